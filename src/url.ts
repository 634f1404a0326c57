import type { Article } from './model.js';

export const URLS = {
  /** Longer URLs are not canonicalised (and longer related links are dropped): no real page needs more. */
  MAX_LENGTH: 2048,
} as const;

/** Query parameters that track a click rather than identify a page. */
const TRACKING_PARAMS = new Set(['fbclid', 'gclid', 'mc_cid', 'mc_eid', 'ref', 'cmpid', 'ocid', 'source']);

function isTrackingParam(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || TRACKING_PARAMS.has(lower);
}

/** Whether a URL is an http(s) link of acceptable length. */
export function usableUrl(url: string): boolean {
  if (url.length > URLS.MAX_LENGTH) return false;
  const head = url.slice(0, 8).toLowerCase();
  return head.startsWith('http://') || head.startsWith('https://');
}

/** `text` (a path or a URL) without trailing slashes, in one backwards pass (/\/+$/ backtracks quadratically). */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 47 /* / */) end--;
  return text.slice(0, end);
}

/** `path` with a final `/amp` segment (AMP edition of a page) removed. */
function dropAmpSegment(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  return trimmed.toLowerCase().endsWith('/amp') ? trimmed.slice(0, -4) : path;
}

function dropHostPrefix(host: string): string {
  for (const prefix of ['www.', 'm.', 'amp.']) if (host.startsWith(prefix)) return host.slice(prefix.length);
  return host;
}

/**
 * A URL reduced to what identifies the page: no scheme, `www.`/`m.`/`amp.`, tracking parameters, fragment,
 * `/amp` suffix or trailing slash. Linear in the URL's length; URLs over URLS.MAX_LENGTH are returned as they
 * are (they never match anything else and are not shown).
 */
export function canonicalUrl(url: string): string {
  if (url.length > URLS.MAX_LENGTH) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const params = [...u.searchParams.entries()]
    .filter(([k]) => !isTrackingParam(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length > 0 ? `?${new URLSearchParams(params).toString()}` : '';
  const host = dropHostPrefix(u.hostname.toLowerCase());
  const path = trimTrailingSlashes(dropAmpSegment(u.pathname));
  return `${host}${path}${query}`;
}

/**
 * A cheap page key without URL parsing, for evidence where an occasional false match costs little: lower case,
 * no scheme, `www.`, query, fragment or trailing slashes. Linear.
 */
export function quickUrlKey(url: string): string {
  let s = url.length > URLS.MAX_LENGTH ? url.slice(0, URLS.MAX_LENGTH) : url;
  s = s.toLowerCase();
  const scheme = s.indexOf('://');
  if (scheme !== -1) s = s.slice(scheme + 3);
  if (s.startsWith('www.')) s = s.slice(4);
  let end = s.length;
  const q = s.indexOf('?');
  if (q !== -1) end = q;
  const h = s.indexOf('#');
  if (h !== -1 && h < end) end = h;
  return trimTrailingSlashes(s.slice(0, end));
}

const articleKeys = new WeakMap<object, string>();

/** The canonical URL of an article, computed once per article object. */
export function articleUrlKey(article: Pick<Article, 'url'>): string {
  let key = articleKeys.get(article);
  if (key === undefined) {
    key = canonicalUrl(article.url);
    articleKeys.set(article, key);
  }
  return key;
}

/** Host of a URL without `www.`, lower case ('' when it does not parse). */
export function urlHost(url: string): string {
  if (url.length > URLS.MAX_LENGTH) return '';
  try {
    return dropHostPrefix(new URL(url).hostname.toLowerCase());
  } catch {
    return '';
  }
}

/** A provider's domain as a comparable key. */
export function providerKey(domain: string): string {
  const lower = domain.toLowerCase();
  return lower.startsWith('www.') ? lower.slice(4) : lower;
}

/** Whether `host` is `domain` or one of its subdomains. */
export function hostMatchesDomain(host: string, domain: string): boolean {
  const d = providerKey(domain);
  if (!d || !host) return false;
  return host === d || host.endsWith(`.${d}`);
}
