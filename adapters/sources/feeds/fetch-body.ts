import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';

/** A body larger than the cap, counted on the wire (`compressed`) or after decoding (`decoded`). */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number, readonly stage: 'declared' | 'compressed' | 'decoded') {
    super(
      stage === 'declared'
        ? `the server announced a body larger than the ${formatBytes(limit)} cap`
        : stage === 'compressed'
          ? `the body was cut off after ${formatBytes(limit)} on the wire (the cap)`
          : `the body was cut off after ${formatBytes(limit)} of decompressed content (the cap; a compression bomb or an oversized feed)`,
    );
    this.name = 'BodyTooLargeError';
  }
}

/** A Content-Encoding we did not ask for and cannot undo. */
export class UnsupportedEncodingError extends Error {
  constructor(readonly encoding: string) {
    super(`the server used Content-Encoding "${encoding}", which is not gzip, deflate or br`);
    this.name = 'UnsupportedEncodingError';
  }
}

/** A compressed body that does not decompress (truncated or corrupt). */
export class CorruptBodyError extends Error {
  constructor(readonly encoding: string, cause: unknown) {
    super(`the ${encoding} body could not be decompressed (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'CorruptBodyError';
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The one coding a Content-Encoding header names; stacked codings (`gzip, br`) are not supported. */
export function contentCoding(header: string | undefined): Coding {
  if (header === undefined) return 'identity';
  const codings = header
    .slice(0, 256)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  const [only] = codings;
  if (codings.length === 1 && (only === 'gzip' || only === 'x-gzip')) return 'gzip';
  if (codings.length === 1 && (only === 'deflate' || only === 'br')) return only;
  throw new UnsupportedEncodingError(header.trim().slice(0, 64));
}

/** Counts bytes going through and fails the pipeline as soon as they pass `limit`. */
class ByteCap extends Transform {
  private seen = 0;
  constructor(private readonly limit: number, private readonly stage: 'compressed' | 'decoded') {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) return callback(new BodyTooLargeError(this.limit, this.stage));
    callback(null, chunk);
  }
}

/**
 * Reads a response body to one buffer, undoing its Content-Encoding while it streams. Both the bytes on
 * the wire and the decoded bytes are held to `maxBytes`: reading stops (and the connection is dropped) as
 * soon as either passes it, so neither an endless body nor a compression bomb is ever held in memory whole.
 * Aborting `signal` stops it as well.
 */
export async function readBody(
  body: Readable,
  header: { contentEncoding?: string; contentLength?: string },
  options: { maxBytes: number; signal: AbortSignal },
): Promise<Buffer> {
  const coding = contentCoding(header.contentEncoding);
  const declared = header.contentLength === undefined ? NaN : Number(header.contentLength);
  if (Number.isSafeInteger(declared) && declared > options.maxBytes) throw new BodyTooLargeError(options.maxBytes, 'declared');

  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      size += chunk.length;
      callback();
    },
  });
  const wire = new ByteCap(options.maxBytes, 'compressed');
  const decoded = new ByteCap(options.maxBytes, 'decoded');

  if (coding === 'identity') {
    await pipeline(body, wire, sink, { signal: options.signal });
    return Buffer.concat(chunks, size);
  }
  let decoder: Transform;
  if (coding === 'deflate') {
    // "deflate" should be zlib-wrapped (RFC 9110), but some servers send raw deflate: the first two bytes say which.
    const { head, ended } = await peek(body, 2, options.signal);
    if (ended && head.length === 0) return Buffer.alloc(0);
    if (ended) throw new CorruptBodyError(coding, new Error('a deflate stream cannot be a single byte'));
    decoder = hasZlibHeader(head) ? createInflate() : createInflateRaw();
  } else {
    decoder = coding === 'gzip' ? createGunzip() : createBrotliDecompress();
  }
  try {
    await pipeline(body, wire, decoder, decoded, sink, { signal: options.signal });
  } catch (error) {
    if (isZlibError(error)) throw new CorruptBodyError(coding, error);
    throw error;
  }
  return Buffer.concat(chunks, size);
}

/** CMF/FLG of a zlib stream: method 8 (deflate), window ≤ 32 KiB, and the pair a multiple of 31. */
function hasZlibHeader(head: Buffer): boolean {
  const cmf = head[0]!;
  const flg = head[1] ?? 0;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0;
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const errno = (error as { errno?: unknown })?.errno;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__')) && typeof errno === 'number';
}

/**
 * The first `n` bytes of a stream, put back with `unshift` so whoever reads next still sees them; or, when
 * the stream ends first, all of it (`ended`).
 */
function peek(stream: Readable, n: number, signal: AbortSignal): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const settle = (ended: boolean) => {
      cleanup();
      const head = Buffer.concat(chunks, length);
      if (!ended && head.length > 0) stream.unshift(head);
      resolve({ head, ended });
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (length < n && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        length += chunk.length;
      }
      if (length >= n) settle(false);
    };
    const onEnd = () => settle(true);
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => onError(Object.assign(new Error('the connection closed before the body arrived'), { code: 'ECONNRESET' }));
    const onAbort = () => onError(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
