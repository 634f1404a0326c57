// OPML subscription lists, in and out: `newsbrief sources import` reads one, `sources export` writes one.
// feedsmith parses and generates; a structure check runs first, since its parser is lenient (xml-shape.ts).
import { generateOpml, parseOpml, type Opml } from 'feedsmith';
import { cleanText, cutAtWord, type FeedRecord } from '../../../src/index.js';
import { htmlToText } from './articles.js';
import { decodeBody } from './fetch-charset.js';
import { checkXmlShape } from './xml-shape.js';

export const OPML_LIMITS = {
  /** Bigger files are refused unread; a list of 10,000 feeds is about 2 MB. */
  MAX_BYTES: 5 * 1024 * 1024,
  /** Outlines of every kind (folders too). */
  MAX_OUTLINES: 10_000,
  /** Folders within folders; no reader nests anywhere near this. */
  MAX_DEPTH: 32,
  /** Per outline; OPML defines 13 attributes, and readers add a few. */
  MAX_ATTRIBUTES: 64,
  /** Longer names are cut at a word (the limit `sources add --name` has). */
  MAX_NAME: 100,
} as const;

/** The outline attribute that carries a feed's quality (0–100) from `sources export` back to `sources import`. */
export const QUALITY_ATTRIBUTE = 'newsbriefQuality';

/** A feed outline as the file gives it; nothing here is checked yet (URL, topics). */
export interface OpmlFeed {
  /** The xmlUrl attribute, trimmed. */
  xmlUrl: string;
  /**
   * The name the list gives the feed (`text`, cut to MAX_NAME); null when it only repeats the feed's own title
   * (`title`) or its URL, so the feed keeps showing the title it gives itself.
   */
  name: string | null;
  /** Its `category` entries (a tag as it is, a "/path/like/this" by its last part), then its folder's name. */
  topics: string[];
  /** From QUALITY_ATTRIBUTE, when that is a number from 0 to 100. */
  quality: number | null;
  /** `isComment="true"` on it or a folder around it: the list keeps the feed but does not use it. */
  commented: boolean;
  /** How messages name the outline: its text, else its URL without credentials. */
  label: string;
}

/** An outline that is not a feed: no xmlUrl. */
export interface OpmlNonFeed {
  label: string;
  reason: string;
}

export type OpmlRead =
  | { ok: true; title: string | null; feeds: OpmlFeed[]; nonFeeds: OpmlNonFeed[]; outlines: number }
  | { ok: false; reason: string };

/**
 * Reads an OPML file's bytes (any encoding its BOM or XML declaration names; UTF-8 otherwise) into its feed
 * outlines and the outlines that are not feeds, in document order. Refuses, with the reason, a file over
 * OPML_LIMITS.MAX_BYTES, one that is not well-formed XML (with line and column), one that is not OPML, and
 * one with more than MAX_OUTLINES outlines or folders nested deeper than MAX_DEPTH.
 */
export function readOpml(bytes: Uint8Array): OpmlRead {
  if (bytes.length > OPML_LIMITS.MAX_BYTES) {
    return { ok: false, reason: `it is ${megabytes(bytes.length)}, over the ${megabytes(OPML_LIMITS.MAX_BYTES)} an import accepts` };
  }
  const text = decodeBody(bytes, null).text;
  if (text.trim() === '') return { ok: false, reason: 'the file is empty' };
  const shape = checkXmlShape(text, {
    // opml > body > outline …
    maxDepth: OPML_LIMITS.MAX_DEPTH + 2,
    counted: 'outline',
    maxCounted: OPML_LIMITS.MAX_OUTLINES,
    maxAttributes: OPML_LIMITS.MAX_ATTRIBUTES,
  });
  if (!shape.ok) {
    return { ok: false, reason: `not well-formed XML: ${shape.reason} (line ${shape.line}, column ${shape.column})` };
  }
  if (shape.root.toLowerCase() !== 'opml') {
    const feedLike = ['rss', 'feed', 'rdf:rdf'].includes(shape.root.toLowerCase());
    return {
      ok: false,
      reason: `not an OPML file: its root element is <${cleanText(shape.root.slice(0, 40))}>, not <opml>${feedLike ? ' (a feed itself? add it with newsbrief sources add URL)' : ''}`,
    };
  }
  if (shape.counted === 0) return { ok: true, title: null, feeds: [], nonFeeds: [], outlines: 0 };
  let document: Opml.Document<string, readonly [typeof QUALITY_ATTRIBUTE]>;
  try {
    document = parseOpml(text, { extraOutlineAttributes: [QUALITY_ATTRIBUTE] as const });
  } catch (error) {
    return { ok: false, reason: `not a readable OPML file (${(error as Error).message})` };
  }
  const feeds: OpmlFeed[] = [];
  const nonFeeds: OpmlNonFeed[] = [];
  walk(document.body?.outlines ?? [], { folder: null, commented: false }, feeds, nonFeeds);
  const title = document.head?.title === undefined ? null : cleanText(document.head.title) || null;
  return { ok: true, title, feeds, nonFeeds, outlines: shape.counted };
}

type Outline = Opml.Outline<string, readonly [typeof QUALITY_ATTRIBUTE]>;

/** Recursion is bounded: checkXmlShape refused anything nested deeper than MAX_DEPTH. */
function walk(outlines: readonly Outline[], context: { folder: string | null; commented: boolean }, feeds: OpmlFeed[], nonFeeds: OpmlNonFeed[]): void {
  for (const outline of outlines) {
    const commented = context.commented || outline.isComment === true;
    const text = cleanText(outline.text ?? '');
    const title = cleanText(outline.title ?? '');
    const xmlUrl = outline.xmlUrl?.trim() ?? '';
    const children = outline.outlines ?? [];
    if (xmlUrl !== '') {
      const topics = categoryTopics(outline.category ?? '');
      if (context.folder !== null) topics.push(...splitNames(context.folder));
      feeds.push({
        xmlUrl,
        name: text === '' || text === title || text === xmlUrl ? null : cutAtWord(text, OPML_LIMITS.MAX_NAME),
        topics,
        quality: qualityOf(outline[QUALITY_ATTRIBUTE]),
        commented,
        label: labelOf(text || title, xmlUrl),
      });
    } else if (children.length === 0) {
      const kind = outline.type === undefined ? '' : `, type "${cleanText(outline.type).slice(0, 20)}"`;
      nonFeeds.push({ label: labelOf(text || title, outline.url ?? ''), reason: `not a feed (no xmlUrl${kind})` });
    }
    if (children.length > 0) walk(children, { folder: text || title || context.folder, commented }, feeds, nonFeeds);
  }
}

/**
 * Topic names from an OPML `category` attribute: comma-separated; an entry starting with "/" is a path whose
 * last part names the topic ("/News/Technology" → Technology), any other entry is a tag taken whole.
 */
export function categoryTopics(category: string): string[] {
  const topics: string[] = [];
  for (const entry of category.split(',')) {
    const trimmed = entry.trim();
    const name = trimmed.startsWith('/') ? (trimmed.split('/').filter((part) => part.trim() !== '').at(-1) ?? '') : trimmed;
    const clean = cleanText(name);
    if (clean !== '') topics.push(clean);
  }
  return topics;
}

/** A folder's name as topic names: split at commas, as a category is (a topic holds no comma). */
function splitNames(folder: string): string[] {
  return folder
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function qualityOf(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,3}(\.\d{1,6})?$/.test(value.trim())) return null;
  const quality = Number(value.trim());
  return quality <= 100 ? quality : null;
}

/** An outline as messages name it: its text, else its URL with any user name and password left out. */
function labelOf(text: string, url: string): string {
  if (text !== '') return `"${cutAtWord(text, 60)}"`;
  return url === '' ? '(an outline with no text)' : cutAtWord(withoutCredentials(url), 120);
}

/** A URL as it may be shown: `user:password@` removed (the text is cleaned of controls either way). */
export function withoutCredentials(url: string): string {
  if (!URL.canParse(url)) return cleanText(url);
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return cleanText(parsed.href);
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

// ---------------------------------------------------------------------------------------------------
// Writing

/** What an export's head says. */
export interface OpmlHead {
  title: string;
  dateCreated: Date;
}

/**
 * The feeds as an OPML 2.0 subscription list that `readOpml` reads back to the same feeds: per feed `text`
 * (the operator's name, else the feed's title, else its URL), `title` (the feed's own title, when known),
 * `xmlUrl`, `htmlUrl` (its site, when known), its topics in `category` and its quality in QUALITY_ATTRIBUTE;
 * a disabled feed is written as a comment (`isComment="true"`), which other readers skip.
 */
export function writeOpml(feeds: readonly FeedRecord[], head: OpmlHead): string {
  if (feeds.length === 0) {
    // feedsmith will not generate a body without outlines; an empty list is still a valid export.
    return [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<opml version="2.0">',
      '  <head>',
      `    <title>${escapeXml(head.title)}</title>`,
      `    <dateCreated>${head.dateCreated.toUTCString()}</dateCreated>`,
      '  </head>',
      '  <body/>',
      '</opml>',
      '',
    ].join('\n');
  }
  const outlines: Outline[] = feeds.map((feed) => {
    const ownTitle = feed.feedTitle === null ? '' : htmlToText(feed.feedTitle);
    const name = feed.name === null ? '' : cleanText(feed.name);
    return {
      text: name || ownTitle || feed.url,
      ...(ownTitle === '' ? {} : { title: ownTitle }),
      type: 'rss',
      xmlUrl: feed.url,
      ...(feed.siteUrl === null ? {} : { htmlUrl: feed.siteUrl }),
      ...(feed.topics.length === 0 ? {} : { category: feed.topics.map((t) => cleanText(t.replaceAll(',', ' '))).join(',') }),
      [QUALITY_ATTRIBUTE]: String(feed.quality),
      ...(feed.enabled ? {} : { isComment: true }),
    };
  });
  return generateOpml(
    { head: { title: head.title, dateCreated: head.dateCreated }, body: { outlines } },
    { extraOutlineAttributes: [QUALITY_ATTRIBUTE] },
  );
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
