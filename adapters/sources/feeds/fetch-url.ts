import { isIP } from 'node:net';
import { refusedRange, type AddressPolicy } from './net-guard.js';

/** The longest feed URL accepted, in characters (the same bound the core puts on article URLs). */
export const MAX_FEED_URL_LENGTH = 2048;

export type FeedUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/**
 * The checks a feed URL must pass before anything is sent, and again at every redirect: http(s) only, no
 * user name or password, at most 2,048 characters, and — unless `allowPrivate` — no host that is an IP
 * address in a private range (bar `allowAddresses`) or a `localhost` name. These are syntactic; a name that resolves to a private
 * address is caught when the connection is made (`guardedLookup`). Returns the URL normalised by the WHATWG
 * parser, without its fragment (which is never sent).
 */
export function checkFeedUrl(input: string, options: AddressPolicy = {}): FeedUrlCheck {
  const text = input.trim();
  if (text.length === 0) return { ok: false, reason: 'the feed URL is empty' };
  if (text.length > MAX_FEED_URL_LENGTH) return { ok: false, reason: `the feed URL is longer than ${MAX_FEED_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `only http and https feed URLs are fetched, not ${url.protocol}` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'feed URLs with a user name or password are refused' };
  }
  if (url.hostname === '') return { ok: false, reason: 'the feed URL has no host' };
  if (!options.allowPrivate) {
    const host = hostAddress(url.hostname);
    if (isIP(host) !== 0) {
      const range = refusedRange(host, options);
      if (range !== null) return { ok: false, reason: `the feed URL's host ${url.hostname} is a private address (${range})` };
    } else if (isLocalhostName(host)) {
      return { ok: false, reason: `the feed URL's host ${url.hostname} is this machine` };
    }
  }
  url.hash = '';
  if (url.href.length > MAX_FEED_URL_LENGTH) return { ok: false, reason: `the feed URL is longer than ${MAX_FEED_URL_LENGTH} characters` };
  return { ok: true, url: url.href };
}

/** A URL's hostname without the brackets an IPv6 literal carries. */
export function hostAddress(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** `localhost`, `localhost.` and names under `.localhost` always mean this machine (RFC 6761). */
function isLocalhostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name === 'localhost' || name.endsWith('.localhost');
}
