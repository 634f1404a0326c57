// One feed entry → an Article, or the field that keeps it from being one. The feed's settings (its topics,
// weight and provider name) come from the operator; everything else from the entry.
import { createHash } from 'node:crypto';
import { decodeHTML } from 'entities';
import { cleanText, cutAtWord, normalizeEllipsis, plainText, safeHttpUrl, type Article, type Image } from '../../../src/index.js';
import { articleIdFor } from '../article-id.js';
import { parseFeedDate } from './dates.js';
import type { FeedEntry } from './parse.js';

/** What the articles of one feed share: where it is, what the operator calls it, and how it is weighted. */
export interface FeedInfo {
  /** The feed's id in the feed store; item names and their records are kept under it. */
  feedId: number;
  feedUrl: string;
  /** The site the feed belongs to (given, or from the feed): the provider's domain. */
  siteUrl?: string | null;
  /** The feed's own title, as HTML: the provider's name when the operator gave none. */
  feedTitle?: string | null;
  /** The provider name the operator gave. */
  name?: string | null;
  /** Every article of the feed is filed under these. */
  topics: string[];
  /** The quality every article of the feed gets, 0–100. Default 50. */
  quality?: number;
}

export const FEED_ARTICLE = {
  /** Longer titles are cut at a word. */
  MAX_TITLE: 300,
  /** Excerpts are cut at a word to this: about two digest excerpts, enough for story grouping. */
  MAX_EXCERPT: 500,
  MAX_IMAGES: 10,
  DEFAULT_QUALITY: 50,
  /** A date further ahead than this is wrong (a bad clock, a mixed-up zone): the article is dated now. */
  FUTURE_TOLERANCE_MS: 10 * 60_000,
  /** Longer guids are not kept in `extra` (they still name the item). */
  MAX_GUID_KEPT: 500,
} as const;

/**
 * Part of every content hash: raise it when the rules here change what an unchanged entry becomes, so
 * every stored feed article is built again on the next poll.
 */
const RULES_VERSION = 1;

export type EntryResult = { ok: true; article: Article } | { ok: false; field: string; reason: string };

/**
 * The article a feed entry stands for, or the field at fault. `now` dates an entry without a usable date
 * (one in the future is dated now too), marked in `extra.publishedAtEstimated`; since an entry that does not
 * change is not built again, it keeps the date of the poll that first saw it.
 */
export function entryToArticle(entry: FeedEntry, info: FeedInfo, options: { now: Date }): EntryResult {
  const link = articleUrl(entry);
  if (!link.ok) return link;
  const url = link.url;
  const title = cutAtWord(htmlToText(entry.title ?? ''), FEED_ARTICLE.MAX_TITLE);
  if (title === '') return { ok: false, field: 'title', reason: 'missing or empty' };

  const now = options.now.getTime();
  const latest = now + FEED_ARTICLE.FUTURE_TOLERANCE_MS;
  const published = parseFeedDate(entry.published);
  const updated = parseFeedDate(entry.updated);
  let publishedAt = published ?? updated;
  let estimated: 'missing' | 'unparseable' | 'in the future' | undefined;
  if (publishedAt === undefined) {
    estimated = entry.published === undefined && entry.updated === undefined ? 'missing' : 'unparseable';
    publishedAt = options.now;
  } else if (publishedAt.getTime() > latest) {
    estimated = 'in the future';
    publishedAt = options.now;
  }
  const updatedAt =
    updated !== undefined && updated.getTime() <= latest && updated.getTime() > publishedAt.getTime() ? updated.toISOString() : null;

  const extra: Record<string, unknown> = { feedId: info.feedId };
  if (entry.guid !== undefined && entry.guid.length <= FEED_ARTICLE.MAX_GUID_KEPT) extra.guid = cleanText(entry.guid);
  const authors = shortTexts(entry.authors);
  if (authors.length > 0) extra.authors = authors;
  const categories = shortTexts(entry.categories);
  if (categories.length > 0) extra.categories = categories;
  if (estimated !== undefined) extra.publishedAtEstimated = estimated;

  return {
    ok: true,
    article: {
      id: articleIdFor(url),
      url,
      title,
      excerpt: excerptOf(entry, title),
      publishedAt: publishedAt.toISOString(),
      updatedAt,
      type: isVideo(entry, url) ? 'video' : 'article',
      quality: qualityOf(info.quality),
      heat: 0,
      published: true,
      removed: false,
      provider: providerOf(info, url),
      topics: cleanTopics(info.topics),
      images: imagesOf(entry),
      related: [],
      extra,
      source: feedItemName(info.feedId, entry),
      contentHash: feedItemHash(entry, info),
    },
  };
}

/**
 * The entry's name among the feed's items: `feed:<feedId>/` and 16 hex digits of the SHA-256 of its guid,
 * else its link, else its content. Stable across polls as long as the feed keeps the guid.
 */
export function feedItemName(feedId: number, entry: FeedEntry): string {
  const key = entryKey(entry);
  return `${feedItemPrefix(feedId)}${(key === undefined ? feedItemHash(entry) : sha256(key)).slice(0, 16)}`;
}

/** What every item name of the feed starts with. */
export const feedItemPrefix = (feedId: number): string => `feed:${feedId}/`;

/** What identifies an entry within its feed: its guid, else its link; undefined when it has neither. */
export function entryKey(entry: FeedEntry): string | undefined {
  const guid = entry.guid?.trim();
  if (guid) return guid;
  const link = entry.link?.trim();
  return link || undefined;
}

/**
 * The SHA-256 of everything an entry's article is built from: the entry's fields and, when given, the
 * feed's settings (id, site, title, name, topics, weight). Other entries of the feed play no part, so an
 * entry that does not change hashes the same on every poll; a change of the feed's topics, weight or name
 * changes every entry's hash.
 */
export function feedItemHash(entry: FeedEntry, info?: FeedInfo): string {
  const fields = [
    RULES_VERSION,
    entry.guid ?? null,
    entry.link ?? null,
    entry.title ?? null,
    entry.summary ?? null,
    entry.content ?? null,
    entry.published ?? null,
    entry.updated ?? null,
    entry.authors,
    entry.images.map((i) => [i.url, i.width ?? null, i.height ?? null]),
    entry.media.map((m) => [m.url, m.type]),
    entry.categories,
  ];
  // Not the feed's URL: links were resolved against it already, and a feed that moves keeps its entries.
  const feed = info && [
    info.feedId,
    info.siteUrl ?? null,
    info.feedTitle ?? null,
    info.name ?? null,
    info.topics,
    info.quality ?? null,
  ];
  return sha256(JSON.stringify(feed ? [fields, feed] : fields));
}

/**
 * HTML (or escaped plain text) → plain text: comments, scripts and styles dropped, tags stripped, entities
 * decoded once, controls and zero-width characters removed, white space folded. `&lt;b&gt;` is the text "<b>".
 */
export function htmlToText(html: string): string {
  if (html === '') return '';
  return cleanText(decodeHTML(stripHtml(html)));
}

// ---------------------------------------------------------------------------------------------------

type UrlResult = { ok: true; url: string } | { ok: false; field: string; reason: string };

/**
 * The article's canonical URL: the entry's link, or its guid when it has no link and the guid is an
 * http(s) URL; credentials and utm_* parameters removed.
 */
function articleUrl(entry: FeedEntry): UrlResult {
  if (entry.link !== undefined) {
    const url = safeHttpUrl(entry.link);
    return url ? { ok: true, url: withoutUtmParams(url) } : { ok: false, field: 'link', reason: notHttp(entry.link) };
  }
  const fromGuid = safeHttpUrl(entry.guid);
  if (fromGuid) return { ok: true, url: withoutUtmParams(fromGuid) };
  return { ok: false, field: 'link', reason: 'missing, and the guid is not an http(s) URL' };
}

/** Why a link was refused, naming its scheme but never echoing it (it may hold credentials or a script). */
function notHttp(link: string): string {
  if (link.length > 2048) return `longer than 2048 characters (${link.length})`;
  let scheme: string;
  try {
    scheme = new URL(link.trim()).protocol;
  } catch {
    return 'not a URL';
  }
  return /^[a-z][a-z0-9+.-]{0,30}:$/.test(scheme) ? `not an http(s) URL (${scheme})` : 'not an http(s) URL';
}

/**
 * `url` without its utm_* query parameters (campaign tags a feed adds to every link), the rest of it
 * exactly as it was: a feed copy and a seed copy of one page then share an id. Only utm_*: other
 * parameters (`ref`, `source`, `id`) may pick the page.
 */
export function withoutUtmParams(url: string): string {
  const hash = url.indexOf('#');
  const question = url.indexOf('?');
  if (question === -1 || (hash !== -1 && hash < question)) return url;
  const end = hash === -1 ? url.length : hash;
  const params = url.slice(question + 1, end).split('&');
  const kept = params.filter((p) => p.slice(0, 4).toLowerCase() !== 'utm_');
  if (kept.length === params.length) return url;
  return `${url.slice(0, question)}${kept.length > 0 ? `?${kept.join('&')}` : ''}${url.slice(end)}`;
}

function excerptOf(entry: FeedEntry, title: string): string {
  let text = htmlToText(entry.summary ?? '');
  if (text === '') text = htmlToText(entry.content ?? '');
  text = normalizeEllipsis(dropReadMoreMark(text));
  // Some feeds repeat the title as the description: no excerpt is better than the title twice.
  if (text === title) return '';
  return cutAtWord(text, FEED_ARTICLE.MAX_EXCERPT);
}

/** A trailing "[…]" or "[...]" (WordPress's cut-off mark) becomes "…", or goes when a sentence ends before it. */
function dropReadMoreMark(text: string): string {
  if (!text.endsWith(']')) return text;
  const open = text.lastIndexOf('[');
  if (open === -1) return text;
  const inside = text.slice(open + 1, -1).trim();
  if (inside !== '…' && inside !== '...') return text;
  const before = text.slice(0, open).trimEnd();
  return before.endsWith('.') || before.endsWith('!') || before.endsWith('?') ? before : `${before}…`;
}

function providerOf(info: FeedInfo, url: string): Article['provider'] {
  const domain = bareHost(safeHttpUrl(info.siteUrl) ?? url);
  const name = plainText(info.name ?? '') || htmlToText(info.feedTitle ?? '') || domain;
  return { name: cutAtWord(name, 200), domain };
}

function bareHost(url: string): string {
  const host = new URL(url).hostname.toLowerCase();
  return host.startsWith('www.') ? host.slice(4) : host;
}

const qualityOf = (quality: number | undefined): number =>
  quality === undefined || !Number.isFinite(quality) ? FEED_ARTICLE.DEFAULT_QUALITY : Math.min(100, Math.max(0, quality));

/** As seed topics are cleaned: plain text, none empty or over 100 characters, each once ignoring case. */
function cleanTopics(topics: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const topic of topics) {
    const name = plainText(topic);
    const key = name.toLowerCase();
    if (name.length === 0 || name.length > 100 || seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

function imagesOf(entry: FeedEntry): Image[] {
  const out: Image[] = [];
  for (const image of entry.images) {
    const url = safeHttpUrl(image.url);
    if (!url || out.some((i) => i.url === url)) continue;
    const kept: Image = { url };
    if (image.width !== undefined) kept.width = image.width;
    if (image.height !== undefined) kept.height = image.height;
    out.push(kept);
    if (out.length === FEED_ARTICLE.MAX_IMAGES) break;
  }
  return out;
}

const VIDEO_HOSTS = ['youtube.com', 'youtu.be', 'vimeo.com'];

/** A video when the entry attaches one, or links to a video site. */
function isVideo(entry: FeedEntry, url: string): boolean {
  if (entry.media.some((m) => m.type === 'video' || m.type.startsWith('video/'))) return true;
  const host = bareHost(url);
  return VIDEO_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
}

/** Author names and categories for `extra`: plain, non-empty, at most 200 characters each. */
function shortTexts(values: readonly string[]): string[] {
  return values.map((v) => cutAtWord(htmlToText(v), 200)).filter((v) => v !== '');
}

// Tags inside a word's run of text: removed without a space, so "<i>word</i>." stays "word.".
const INLINE = new Set([
  'a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'dfn', 'em', 'font', 'i', 'kbd',
  'mark', 'q', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var',
]);
// Elements whose content is no text.
const HIDDEN = ['script', 'style'];

/**
 * `html` without its markup: an inline tag goes, any other tag becomes a space, a comment, script or style
 * goes with what it holds (one never closed runs to the end, as in a browser). A `<` that starts no tag
 * (`3 < 4`) is text. Entities are left alone. One forward scan: each search starts where the last ended,
 * and a tag never closed ends the scan, as no later one can close either.
 */
function stripHtml(html: string): string {
  let out = '';
  let from = 0;
  let at = html.indexOf('<');
  while (at !== -1) {
    const next = html[at + 1] ?? '';
    const closing = next === '/';
    const nameStart = closing ? at + 2 : at + 1;
    if (html.startsWith('!--', at + 1)) {
      out += html.slice(from, at);
      const end = html.indexOf('-->', at + 4);
      if (end === -1) return out;
      from = end + 3;
    } else if (isAsciiLetter(html[nameStart]) || (!closing && (next === '!' || next === '?'))) {
      const end = html.indexOf('>', at + 1);
      if (end === -1) break;
      const name = tagName(html, nameStart);
      out += html.slice(from, at) + (INLINE.has(name) ? '' : ' ');
      from = end + 1;
      if (!closing && HIDDEN.includes(name) && html[end - 1] !== '/') {
        const close = closingTag(html, end + 1, name);
        if (close === -1) return out;
        from = close;
      }
    }
    at = html.indexOf('<', Math.max(from, at + 1));
  }
  return out + html.slice(from);
}

/** The lower-case name of the tag that starts at `at`: up to 10 letters and digits. */
function tagName(html: string, at: number): string {
  let end = at;
  while (end < at + 10 && /[A-Za-z0-9]/.test(html[end] ?? '')) end++;
  return html.slice(at, end).toLowerCase();
}

const isAsciiLetter = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** Where the text after `</name…>` starts, searching from `from`; -1 when there is none. */
function closingTag(html: string, from: number, name: string): number {
  let at = from;
  for (;;) {
    const candidate = html.indexOf('</', at);
    if (candidate === -1) return -1;
    if (tagName(html, candidate + 2) === name) {
      const end = html.indexOf('>', candidate);
      return end === -1 ? -1 : end + 1;
    }
    at = candidate + 2;
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
