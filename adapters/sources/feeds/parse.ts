// A fetched feed body (already decoded text) → its entries in one shape, whatever the format: RSS 0.9x/2.0,
// Atom, RDF 1.0 or JSON Feed 1.x, read by feedsmith. Pure: no I/O, and never throws for bad input. Which
// entries become articles, and how, is articles.ts.
import { parseFeed, type AtomFeed, type JsonFeed, type MediaNs, type RdfFeed, type RssFeed } from 'feedsmith';
import { safeHttpUrl } from '../../../src/index.js';

export const FEED_LIMITS = {
  /** Longer bodies are refused unread: no news feed comes near it, and parsing is linear in it. */
  MAX_BODY_CHARS: 5 * 1024 * 1024,
  /** Entries after these are not read: feeds list the newest first. */
  MAX_ITEMS: 500,
  /** Per entry, of each list: images, other media, authors, categories. */
  MAX_IMAGES: 10,
  MAX_MEDIA: 10,
  MAX_AUTHORS: 10,
  MAX_CATEGORIES: 30,
} as const;

export type FeedFormat = 'rss' | 'atom' | 'rdf' | 'json';

export interface FeedImage {
  /** Absolute when the feed's was relative; not yet checked for scheme. */
  url: string;
  width?: number;
  height?: number;
}

/** A non-image medium attached to an entry: its URL and its MIME type or medium ('video/mp4', 'video'). */
export interface FeedMedium {
  url: string;
  type: string;
}

/**
 * One entry of a feed in one shape. Text fields are HTML, as most feeds mean them (a format's plain-text
 * field is escaped into HTML here), so every field is read one way. Links and image URLs are resolved
 * against `xml:base` and the feed's URL but not checked: articles.ts decides what is acceptable.
 */
export interface FeedEntry {
  /** RSS guid, Atom id, RDF rdf:about, JSON Feed id. */
  guid?: string;
  /** The entry's page. */
  link?: string;
  title?: string;
  /** RSS and RDF description, Atom summary, JSON Feed summary. */
  summary?: string;
  /** RSS content:encoded, Atom content, JSON Feed content_html or content_text. */
  content?: string;
  /** Dates as the feed writes them (RFC 822 in RSS, RFC 3339 elsewhere, sometimes neither). */
  published?: string;
  updated?: string;
  /** Names (or, in RSS, e-mail addresses), as HTML. */
  authors: string[];
  images: FeedImage[];
  media: FeedMedium[];
  categories: string[];
}

export interface ParsedFeed {
  format: FeedFormat;
  /** The feed's title, as HTML. */
  title?: string;
  /** The site the feed belongs to, when it names an http(s) one. */
  siteUrl?: string;
  items: FeedEntry[];
  /** True when the feed listed more than FEED_LIMITS.MAX_ITEMS entries and only the first were read. */
  truncated: boolean;
}

export type ParseFeedResult = { ok: true; feed: ParsedFeed } | { ok: false; reason: string };

/**
 * Reads a feed body into its entries, or says why it cannot: too large, empty, not a feed (an HTML page, say),
 * malformed XML or JSON. `feedUrl` is the URL the body finally came from, which relative links resolve against.
 */
export function parseFeedBody(body: string, feedUrl: string): ParseFeedResult {
  if (body.length > FEED_LIMITS.MAX_BODY_CHARS) {
    return { ok: false, reason: `the feed is ${body.length} characters long, over the ${FEED_LIMITS.MAX_BODY_CHARS} accepted` };
  }
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim() === '') return { ok: false, reason: 'the feed is empty' };
  try {
    return { ok: true, feed: readFeed(text, feedUrl) };
  } catch (error) {
    return { ok: false, reason: describeFailure(error, text) };
  }
}

function readFeed(text: string, feedUrl: string): ParsedFeed {
  // One more than kept, to know whether anything was left out.
  const options = { maxItems: FEED_LIMITS.MAX_ITEMS + 1 };
  const input = looksLikeJson(text) ? parseJson(text) : text;
  const parsed = parseFeed(input, options);
  let feed: Omit<ParsedFeed, 'truncated'>;
  switch (parsed.format) {
    case 'rss':
      feed = fromRss(parsed.feed, feedUrl);
      break;
    case 'atom':
      feed = fromAtom(parsed.feed, feedUrl);
      break;
    case 'rdf':
      feed = fromRdf(parsed.feed, feedUrl);
      break;
    case 'json':
      feed = fromJson(parsed.feed, feedUrl);
      break;
  }
  const truncated = feed.items.length > FEED_LIMITS.MAX_ITEMS;
  return { ...feed, items: truncated ? feed.items.slice(0, FEED_LIMITS.MAX_ITEMS) : feed.items, truncated };
}

// ---------------------------------------------------------------------------------------------------
// The formats

function fromRss(feed: RssFeed.Feed<string>, feedUrl: string): Omit<ParsedFeed, 'truncated'> {
  const base = resolve(feed.xml?.base, feedUrl);
  return {
    format: 'rss',
    title: feed.title,
    siteUrl: siteUrl(feed.link, base),
    items: (feed.items ?? []).map((item) => {
      const itemBase = resolve(item.xml?.base, base);
      const images: FeedImage[] = [];
      const media: FeedMedium[] = [];
      mediaOf(item.media, itemBase, images, media);
      for (const enclosure of item.enclosures ?? []) attach(enclosure.url, enclosure.type, itemBase, images, media);
      return {
        guid: item.guid?.value,
        link: resolveLink(item.link, itemBase),
        title: item.title,
        summary: item.description,
        content: item.content?.encoded,
        published: item.pubDate ?? item.dc?.dates?.[0],
        updated: item.atom?.updated ?? item.dcterms?.modified?.[0],
        authors: names([...(item.authors ?? []).map((a) => a.name ?? a.email), ...(item.dc?.creators ?? [])], FEED_LIMITS.MAX_AUTHORS),
        images: images.slice(0, FEED_LIMITS.MAX_IMAGES),
        media: media.slice(0, FEED_LIMITS.MAX_MEDIA),
        categories: names([...(item.categories ?? []).map((c) => c.name), ...(item.dc?.subjects ?? [])], FEED_LIMITS.MAX_CATEGORIES),
      };
    }),
  };
}

function fromAtom(feed: AtomFeed.Feed<string>, feedUrl: string): Omit<ParsedFeed, 'truncated'> {
  // xml:base nests: an entry's is relative to the feed's, which is relative to where the feed came from.
  const base = resolve(feed.xml?.base, feedUrl);
  return {
    format: 'atom',
    title: atomText(feed.title),
    siteUrl: siteUrl(alternateLink(feed.links), base),
    items: (feed.entries ?? []).map((entry) => {
      const entryBase = resolve(entry.xml?.base, base);
      const images: FeedImage[] = [];
      const media: FeedMedium[] = [];
      for (const link of entry.links ?? []) {
        if (link.rel === 'enclosure') attach(link.href, link.type, entryBase, images, media);
      }
      mediaOf(entry.media, entryBase, images, media);
      const link = resolveLink(alternateLink(entry.links), entryBase);
      // A YouTube channel feed says so only here: its entries carry no video enclosure.
      if (entry.yt?.videoId !== undefined && link !== undefined) media.push({ url: link, type: 'video' });
      const content = entry.content?.src === undefined ? atomText(entry.content) : undefined;
      return {
        guid: entry.id,
        link,
        title: atomText(entry.title),
        summary: atomText(entry.summary),
        content,
        published: entry.published,
        updated: entry.updated,
        authors: names((entry.authors ?? []).map((a) => a.name), FEED_LIMITS.MAX_AUTHORS),
        images: images.slice(0, FEED_LIMITS.MAX_IMAGES),
        media: media.slice(0, FEED_LIMITS.MAX_MEDIA),
        categories: names((entry.categories ?? []).map((c) => c.label ?? c.term), FEED_LIMITS.MAX_CATEGORIES),
      };
    }),
  };
}

function fromRdf(feed: RdfFeed.Feed<string>, feedUrl: string): Omit<ParsedFeed, 'truncated'> {
  const base = resolve(feed.xml?.base, feedUrl);
  return {
    format: 'rdf',
    title: feed.title,
    siteUrl: siteUrl(feed.link, base),
    items: (feed.items ?? []).map((item) => {
      const itemBase = resolve(item.xml?.base, base);
      const images: FeedImage[] = [];
      const media: FeedMedium[] = [];
      mediaOf(item.media, itemBase, images, media);
      return {
        guid: item.rdf?.about,
        link: resolveLink(item.link, itemBase),
        title: item.title,
        summary: item.description,
        content: item.content?.encoded,
        published: item.dc?.dates?.[0],
        updated: item.dcterms?.modified?.[0],
        authors: names(item.dc?.creators ?? [], FEED_LIMITS.MAX_AUTHORS),
        images: images.slice(0, FEED_LIMITS.MAX_IMAGES),
        media: media.slice(0, FEED_LIMITS.MAX_MEDIA),
        categories: names(item.dc?.subjects ?? [], FEED_LIMITS.MAX_CATEGORIES),
      };
    }),
  };
}

function fromJson(feed: JsonFeed.Feed<string>, feedUrl: string): Omit<ParsedFeed, 'truncated'> {
  // JSON Feed text fields are plain text, except content_html: escaped so every field reads as HTML.
  return {
    format: 'json',
    title: escapeHtml(feed.title),
    siteUrl: siteUrl(feed.home_page_url, feedUrl),
    items: (feed.items ?? []).map((item) => {
      const images: FeedImage[] = [];
      const media: FeedMedium[] = [];
      for (const url of [item.image, item.banner_image]) attach(url, 'image', feedUrl, images, media);
      for (const attachment of item.attachments ?? []) attach(attachment.url, attachment.mime_type, feedUrl, images, media);
      return {
        guid: item.id,
        link: resolveLink(item.url ?? item.external_url, feedUrl),
        title: escapeHtml(item.title),
        summary: escapeHtml(item.summary),
        content: item.content_html ?? escapeHtml(item.content_text),
        published: item.date_published,
        updated: item.date_modified,
        authors: names((item.authors ?? []).map((a) => escapeHtml(a.name)), FEED_LIMITS.MAX_AUTHORS),
        images: images.slice(0, FEED_LIMITS.MAX_IMAGES),
        media: media.slice(0, FEED_LIMITS.MAX_MEDIA),
        categories: names((item.tags ?? []).map((t) => escapeHtml(t)), FEED_LIMITS.MAX_CATEGORIES),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Shared pieces

/**
 * An Atom text construct (or content) as HTML: `html` and `xhtml` are markup already, `text` (the default)
 * and other text types are escaped; content of another MIME type (an image in base64) is no text at all.
 */
function atomText(text: { value?: string; type?: string } | undefined): string | undefined {
  if (text?.value === undefined) return undefined;
  const type = (text.type ?? 'text').trim().toLowerCase();
  if (type === 'html' || type === 'xhtml' || type.endsWith('html') || type.endsWith('+xml')) return text.value;
  return type === 'text' || type.startsWith('text/') ? escapeHtml(text.value) : undefined;
}

/** The link to the page: rel="alternate" (or no rel) of an HTML type or none, the first such. */
function alternateLink(links: readonly { href?: string; rel?: string; type?: string }[] | undefined): string | undefined {
  let fallback: string | undefined;
  for (const link of links ?? []) {
    if (link.href === undefined || (link.rel !== undefined && link.rel !== 'alternate')) continue;
    const type = link.type?.toLowerCase();
    if (type === undefined || type.includes('html')) return link.href;
    fallback ??= link.href;
  }
  return fallback;
}

/** media:content and media:thumbnail, at the item's level and inside media:group. */
function mediaOf(ns: MediaNs.ItemOrFeed | undefined, base: string, images: FeedImage[], media: FeedMedium[]): void {
  if (!ns) return;
  const contents = [...(ns.contents ?? []), ...(ns.groups ?? []).flatMap((g) => g.contents ?? [])];
  for (const content of contents) {
    // A media:content that names neither medium nor type is taken as an image: news feeds use it for their pictures.
    attach(content.url, content.medium ?? content.type ?? 'image', base, images, media, content);
    for (const thumbnail of content.thumbnails ?? []) attach(thumbnail.url, 'image', base, images, media, thumbnail);
  }
  const thumbnails = [...(ns.thumbnails ?? []), ...(ns.groups ?? []).flatMap((g) => g.thumbnails ?? [])];
  for (const thumbnail of thumbnails) attach(thumbnail.url, 'image', base, images, media, thumbnail);
}

/** Files one attached URL as an image or another medium by its kind (a MIME type or a medium); one of neither is left out. */
function attach(
  url: string | undefined,
  kindGiven: string | undefined,
  base: string,
  images: FeedImage[],
  media: FeedMedium[],
  size?: { width?: number; height?: number },
): void {
  if (url === undefined || url.trim() === '' || kindGiven === undefined || kindGiven.trim() === '') return;
  const absolute = resolve(url, base);
  const kind = kindGiven.trim().toLowerCase();
  if (kind === 'image' || kind.startsWith('image/')) {
    if (images.length >= FEED_LIMITS.MAX_IMAGES || images.some((i) => i.url === absolute)) return;
    const image: FeedImage = { url: absolute };
    if (isSize(size?.width)) image.width = size.width;
    if (isSize(size?.height)) image.height = size.height;
    images.push(image);
  } else if (media.length < FEED_LIMITS.MAX_MEDIA) {
    media.push({ url: absolute, type: kind.slice(0, 100) });
  }
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** Non-empty strings, each once, at most `max`. */
function names(values: readonly (string | undefined)[], max: number): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (out.length >= max) break;
    if (value !== undefined && value.trim() !== '' && !out.includes(value)) out.push(value);
  }
  return out;
}

/** `ref` resolved against `base`; as it is when either is not a URL (articles.ts then rejects a link). */
function resolve(ref: string | undefined, base: string): string {
  if (ref === undefined || ref.trim() === '') return base;
  try {
    return new URL(ref.trim(), base).href;
  } catch {
    return ref.trim();
  }
}

const resolveLink = (ref: string | undefined, base: string): string | undefined =>
  ref === undefined || ref.trim() === '' ? undefined : resolve(ref, base);

const siteUrl = (ref: string | undefined, base: string): string | undefined =>
  ref === undefined || ref.trim() === '' ? undefined : safeHttpUrl(resolve(ref, base));

const HTML_SPECIAL: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function escapeHtml(text: string | undefined): string | undefined {
  return text === undefined ? undefined : text.replace(/[&<>]/g, (c) => HTML_SPECIAL[c]!);
}

// ---------------------------------------------------------------------------------------------------
// Failures

function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{' || c === '[') return true;
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return false;
  }
  return false;
}

class JsonSyntaxError extends Error {}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonSyntaxError(messageOf(error));
  }
}

function describeFailure(error: unknown, text: string): string {
  if (error instanceof JsonSyntaxError) return `not valid JSON: ${error.message}`;
  const name = error instanceof Error ? error.name : '';
  if (name === 'DetectError') {
    return looksLikeHtml(text)
      ? 'not a feed: an HTML page (is the URL the site rather than its feed?)'
      : 'not a feed: no RSS, Atom, RDF or JSON Feed document found';
  }
  if (name === 'MalformedError') {
    const cause = (error as Error).cause;
    return `not well-formed XML${cause === undefined ? '' : `: ${messageOf(cause)}`}`;
  }
  if (name === 'ParseError') return 'not a feed: the document has no channel or feed element that can be read';
  // A defect in the parser must not stop the other feeds.
  return `could not parse the feed: ${messageOf(error)}`;
}

function looksLikeHtml(text: string): boolean {
  const head = text.trimStart().slice(0, 200).toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || (head.startsWith('<?xml') && head.includes('<html'));
}

const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!.slice(0, 200);
