import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Article } from '../../../src/index.js';

/**
 * How article documents are stored: the JSON text exactly as `JSON.stringify` wrote it, deflated with a
 * preset dictionary of the Article's own keys, behind one format byte. Related lists are most of a document
 * (a mean of 8 entries of title, excerpt, URL and outlet), and their repeated keys, outlets and URL slugs
 * compress about 4:1, so the stored document is a quarter of the JSON. Decoding gives back the same text,
 * so a document reads back exactly as it was written.
 *
 * A new encoding gets a new format byte; decoders keep the old ones.
 */
const FORMAT_DEFLATE_V1 = 1;

/**
 * The preset dictionary of format 1: an Article's keys in JSON.stringify order, the related-entry shape last
 * (matches at a short distance cost least, and related entries repeat most). Never change it: every format-1
 * document needs exactly these bytes to decode.
 */
const DICTIONARY_V1 = Buffer.from(
  '{"id":"","url":"https://www.","title":"","excerpt":"","publishedAt":"T00:00:00.000Z","updatedAt":null,' +
    '"type":"article","quality":,"heat":,"published":true,"removed":false,"provider":{"name":"","domain":""},' +
    '"topics":[""],"images":[{"url":"https://","width":,"height":}],"extra":{},"source":"","contentHash":"",' +
    '"related":[{"title":"","excerpt":"","url":"https://www.","publishedAt":"T00:00:00.000Z","provider":{"name":"","domain":""},"quality":},',
);

// Compression is most of the cost of storing an article (about 40 µs of CPU for a 4 KiB document at level 1
// on the 2-vCPU benchmark machine, half again at level 6, for 7 % smaller documents). An 8 KiB window covers
// a typical document and is cheaper to set up per call than the default 32 KiB; 4 KiB output chunks (one
// for nearly every document) instead of 16 KiB ones cut the garbage each call leaves by three quarters.
const DEFLATE_OPTIONS = { level: 1, windowBits: 13, memLevel: 7, chunkSize: 4096, dictionary: DICTIONARY_V1 } as const;
const INFLATE_OPTIONS = { dictionary: DICTIONARY_V1 } as const;

/** What a worker thread needs to encode exactly as encodeDocument does (see encoder.ts). */
export const WORKER_SETTINGS = {
  format: FORMAT_DEFLATE_V1,
  deflate: { level: DEFLATE_OPTIONS.level, windowBits: DEFLATE_OPTIONS.windowBits, memLevel: DEFLATE_OPTIONS.memLevel, chunkSize: DEFLATE_OPTIONS.chunkSize },
  dictionary: new Uint8Array(DICTIONARY_V1),
} as const;

/** The stored form of a document's JSON text. */
export function encodeDocument(json: string): Buffer {
  const body = deflateRawSync(json, DEFLATE_OPTIONS);
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = FORMAT_DEFLATE_V1;
  body.copy(out, 1);
  return out;
}

/** The JSON text of a stored document. */
export function decodeDocumentText(stored: Uint8Array): string {
  if (stored[0] !== FORMAT_DEFLATE_V1) {
    throw new Error(`SQLite storage: unknown document format ${stored[0]} (written by a newer Newsbrief?)`);
  }
  return inflateRawSync(stored.subarray(1), INFLATE_OPTIONS).toString('utf8');
}

/** A stored document, parsed: a fresh object each call. */
export function decodeDocument(stored: Uint8Array): Article {
  return JSON.parse(decodeDocumentText(stored)) as Article;
}

/**
 * A 32-bit hash of a URL, for the index that finds the articles that may already have it: an index of small
 * integers is a tenth the size of one of URLs. Equal hashes are compared by URL, so collisions are harmless.
 */
export function urlHash(url: string): number {
  // FNV-1a over UTF-16 code units.
  let h = 0x811c9dc5;
  for (let i = 0; i < url.length; i++) {
    h ^= url.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
