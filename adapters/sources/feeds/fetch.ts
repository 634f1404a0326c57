import http from 'node:http';
import https from 'node:https';
import { BodyTooLargeError, CorruptBodyError, UnsupportedEncodingError, readBody } from './fetch-body.js';
import { decodeBody, mediaType } from './fetch-charset.js';
import { freshnessMs, parseRetryAfter, validator } from './fetch-headers.js';
import { checkFeedUrl, hostAddress, type FeedUrlCheck } from './fetch-url.js';
import { PrivateAddressError, guardedLookup, systemResolver, type AddressPolicy, type HostResolver } from './net-guard.js';

export { checkFeedUrl, MAX_FEED_URL_LENGTH } from './fetch-url.js';
export type { FeedUrlCheck } from './fetch-url.js';
export { HostLimiter, HostQueueFullError } from './fetch-limiter.js';
export type { HostLimiterOptions, LimiterTimers } from './fetch-limiter.js';
export { isPrivateAddress, privateRange, systemResolver } from './net-guard.js';
export type { AddressPolicy, HostResolver } from './net-guard.js';

export interface FetchOptions {
  /** Validators from the last 200: sent as If-None-Match / If-Modified-Since, so an unchanged feed costs a 304. */
  etag?: string | null;
  lastModified?: string | null;
  /** Sent as given on every request, e.g. `Newsbrief/1.4 (+https://example.org/bot; ops@example.org)`. */
  userAgent: string;
  /** Deadline for the whole fetch: every redirect hop, headers and body (default 20 s). */
  timeoutMs?: number;
  /** Deadline for each TCP connection to be made (default 10 s, never more than `timeoutMs`). */
  connectTimeoutMs?: number;
  /** Cap on the body, counted both on the wire and decompressed (default 5 MiB). */
  maxBytes?: number;
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
  /** Fetch from loopback, private, link-local … addresses too (default false; for tests and intranet feeds). */
  allowPrivate?: boolean;
  /** Private addresses allowed all the same, e.g. the one intranet host a feed lives on. */
  allowAddresses?: readonly string[];
  /** Cancels the fetch; the result is then an error with reason "cancelled". */
  signal?: AbortSignal;
  /** Name resolution (default: the system's, `dns.lookup`); the guard checks whatever it returns. */
  resolver?: HostResolver;
  /** The clock for Expires and Retry-After dates (default `Date.now`). */
  now?: () => number;
}

export type FetchResult =
  | {
      kind: 'ok';
      status: number;
      /** The body decoded to text (BOM stripped); whether it is a feed is for the parser to say. */
      body: string;
      /** The media type without parameters, lower-cased (`application/rss+xml`, `text/html`), or null. */
      contentType: string | null;
      etag: string | null;
      lastModified: string | null;
      finalUrl: string;
      /** The final URL when every redirect on the way was permanent (301/308): store it as the source's URL. */
      permanentRedirect: string | null;
      /** How long the response stays fresh (Cache-Control max-age, else Expires); null when unsaid. */
      maxAgeMs: number | null;
      /** The encoding the body was read in (WHATWG name). */
      charset: string;
      /** Why the charset was a fallback (an unknown label), else null. */
      charsetNote: string | null;
    }
  | {
      kind: 'not-modified';
      etag: string | null;
      lastModified: string | null;
      finalUrl: string;
      permanentRedirect: string | null;
      maxAgeMs: number | null;
    }
  | {
      kind: 'error';
      /** One sentence for the log: what failed and where. */
      reason: string;
      status: number | null;
      /** From Retry-After (429, 503 …): how long the server asks us to wait. */
      retryAfterMs: number | null;
      /**
       * True when fetching this URL again cannot succeed until someone changes something: 404, 410 and other
       * client errors, a URL or redirect we refuse (scheme, credentials, private address). False for what
       * may pass: 5xx, 429, timeouts, resets, DNS and TLS failures, oversized or corrupt bodies.
       */
      permanent: boolean;
    };

export const FETCH_DEFAULTS = {
  timeoutMs: 20_000,
  connectTimeoutMs: 10_000,
  maxBytes: 5 * 1024 * 1024,
  maxRedirects: 5,
} as const;

/** The media types a feed comes in, best first; anything else is still accepted, so servers don't answer 406. */
export const FEED_ACCEPT =
  'application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const PERMANENT_REDIRECTS = new Set([301, 308]);
/** Client errors that say "not now" rather than "never". */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 425, 429]);

/** The whole-fetch deadline passed. */
class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** No TCP connection within the connect deadline. */
class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`could not connect within ${ms} ms`);
    this.name = 'ConnectTimeoutError';
  }
}

/** What one fetch shares across its hops. */
interface Context {
  headers: Record<string, string>;
  conditional: boolean;
  lookup: ReturnType<typeof guardedLookup>;
  connectTimeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

/**
 * Fetches a feed politely (conditional GET, the caller's User-Agent, compression) and defensively (a
 * deadline on the whole exchange, capped body, re-checked redirects, no private addresses — checked on the
 * address the socket connects to). Network and HTTP problems come back as `kind: 'error'` results; it does
 * not throw. One call is one fetch: pacing per host is `HostLimiter`'s job.
 */
export async function fetchFeed(url: string, options: FetchOptions): Promise<FetchResult> {
  const policy: AddressPolicy = { allowPrivate: options.allowPrivate ?? false, allowAddresses: options.allowAddresses ?? [] };
  const timeoutMs = positive(options.timeoutMs, FETCH_DEFAULTS.timeoutMs);
  const maxRedirects = Math.max(0, Math.floor(options.maxRedirects ?? FETCH_DEFAULTS.maxRedirects));
  const now = options.now ?? Date.now;

  const first = checkFeedUrl(url, policy);
  if (!first.ok) return failure(`${first.reason}: ${shown(url)}`, { permanent: true });
  if (options.signal?.aborted) return failure(`cancelled before fetching ${first.url}`, {});

  // One controller for both the deadline and the caller's signal. Not AbortSignal.any: combined with a
  // long-lived caller signal (one shutdown signal for every fetch) it retains each combination (nodejs/node#55351).
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new DeadlineError(timeoutMs)), timeoutMs);
  const onCallerAbort = () => stop.abort(new Error('cancelled'));
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const signal = stop.signal;

  const headers: Record<string, string> = {
    'user-agent': options.userAgent,
    accept: FEED_ACCEPT,
    'accept-encoding': 'gzip, deflate, br',
  };
  const etag = headerSafe(options.etag);
  const lastModified = headerSafe(options.lastModified);
  if (etag) headers['if-none-match'] = etag;
  if (lastModified) headers['if-modified-since'] = lastModified;
  const context: Context = {
    headers,
    conditional: Boolean(etag || lastModified),
    lookup: guardedLookup(policy, options.resolver ?? systemResolver),
    connectTimeoutMs: Math.min(positive(options.connectTimeoutMs, FETCH_DEFAULTS.connectTimeoutMs), timeoutMs),
    maxBytes: positive(options.maxBytes, FETCH_DEFAULTS.maxBytes),
    signal,
  };

  let current = first.url;
  let response: http.IncomingMessage | undefined;
  try {
    const visited = [current];
    let allPermanent = true;
    for (;;) {
      response = await send(current, context);
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        response.destroy();
        const next = redirectTarget(response.headers.location, current, policy);
        if (!next.ok) return failure(`redirect from ${current} refused: ${next.reason}`, { status, permanent: true });
        if (visited.includes(next.url)) return failure(`redirect loop: ${[...visited, next.url].map(shown).join(' → ')}`, { status });
        if (visited.length > maxRedirects) {
          return failure(`too many redirects (more than ${maxRedirects}) starting at ${visited[0]}`, { status });
        }
        if (!PERMANENT_REDIRECTS.has(status)) allPermanent = false;
        visited.push(next.url);
        current = next.url;
        continue;
      }
      const permanentRedirect = visited.length > 1 && allPermanent ? current : null;
      const maxAgeMs = freshnessMs(
        {
          cacheControl: response.headers['cache-control'],
          expires: response.headers.expires,
          date: response.headers.date,
          age: response.headers.age,
        },
        now(),
      );
      if (status === 304) {
        response.destroy();
        if (!context.conditional) return failure(`HTTP 304 to a request that was not conditional from ${current}`, { status });
        return {
          kind: 'not-modified',
          etag: validator(response.headers.etag) ?? etag,
          lastModified: validator(response.headers['last-modified']) ?? lastModified,
          finalUrl: current,
          permanentRedirect,
          maxAgeMs,
        };
      }
      if (status < 200 || status > 299) {
        response.destroy();
        const retryAfterMs = parseRetryAfter(header(response.headers['retry-after']), now());
        const permanent = status >= 400 && status < 500 && !TRANSIENT_CLIENT_ERRORS.has(status);
        return failure(`HTTP ${status}${statusText(response.statusMessage)} from ${current}`, { status, retryAfterMs, permanent });
      }
      const bytes = await readBody(
        response,
        { contentEncoding: response.headers['content-encoding'], contentLength: response.headers['content-length'] },
        { maxBytes: context.maxBytes, signal },
      );
      const contentType = header(response.headers['content-type']);
      const decoded = decodeBody(bytes, contentType ?? null);
      return {
        kind: 'ok',
        status,
        body: decoded.text,
        contentType: mediaType(contentType),
        etag: validator(response.headers.etag),
        lastModified: validator(response.headers['last-modified']),
        finalUrl: current,
        permanentRedirect,
        maxAgeMs,
        charset: decoded.charset,
        charsetNote: decoded.note,
      };
    }
  } catch (error) {
    if (signal.reason instanceof DeadlineError) return failure(`${signal.reason.message} fetching ${current}`, {});
    if (signal.aborted) return failure(`cancelled while fetching ${current}`, {});
    return describe(error, current);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
    // Whatever was not read to the end (an error status, a refused encoding, a cap) closes its connection now.
    response?.destroy();
  }
}

/** One GET; resolves with the response once its headers are in (the body is left unread). */
function send(url: string, context: Context): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    let connectTimer: NodeJS.Timeout | undefined;
    const request = transport.request(
      target,
      {
        method: 'GET',
        headers: context.headers,
        // A fresh connection each time: every socket passes through the guarded lookup, and none is shared
        // between fetches that allow private addresses and fetches that don't.
        agent: false,
        lookup: context.lookup as unknown as http.RequestOptions['lookup'],
        signal: context.signal,
      },
      (response) => {
        clearTimeout(connectTimer);
        resolve(response);
      },
    );
    request.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => request.destroy(new ConnectTimeoutError(context.connectTimeoutMs)), context.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    request.on('error', (error) => {
      clearTimeout(connectTimer);
      reject(error);
    });
    request.on('close', () => clearTimeout(connectTimer));
    request.end();
  });
}

/** Where a redirect points, resolved against the current URL and held to the same checks as the first URL. */
function redirectTarget(location: string | undefined, from: string, policy: AddressPolicy): FeedUrlCheck {
  if (location === undefined || location.trim() === '') return { ok: false, reason: 'the redirect has no Location' };
  let resolved: string;
  try {
    resolved = new URL(location.trim(), from).href;
  } catch {
    return { ok: false, reason: `the Location "${shown(location)}" is not a URL` };
  }
  return checkFeedUrl(resolved, policy);
}

/** A network or body failure as an error result. */
function describe(error: unknown, url: string): FetchResult {
  if (error instanceof PrivateAddressError) return failure(`${error.message}: ${url}`, { permanent: true });
  if (error instanceof BodyTooLargeError) return failure(`${error.message}: ${url}`, {});
  if (error instanceof UnsupportedEncodingError || error instanceof CorruptBodyError) return failure(`${error.message}: ${url}`, {});
  if (error instanceof ConnectTimeoutError) return failure(`${error.message} to ${url}`, {});
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const host = hostAddress(new URL(url).hostname);
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failure(`could not resolve ${host} (${code}): ${url}`, {});
    case 'ECONNREFUSED':
      return failure(`connection refused by ${host}: ${url}`, {});
    case 'ECONNRESET':
    case 'EPIPE':
      return failure(`connection reset while fetching ${url}`, {});
    case 'ERR_INVALID_CHAR':
    case 'ERR_INVALID_HTTP_TOKEN':
    case 'ERR_HTTP_INVALID_HEADER_VALUE':
      // The request itself cannot be sent (a control character in the User-Agent, say): no retry fixes it.
      return failure(`the request to ${url} could not be sent: ${message}`, { permanent: true });
  }
  if (code.startsWith('HPE_')) return failure(`malformed HTTP response from ${url} (${code})`, {});
  if (code.includes('CERT') || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) {
    return failure(`TLS failure with ${host} (${code}): ${url}`, {});
  }
  return failure(`${message}${code ? ` (${code})` : ''} fetching ${url}`, {});
}

function failure(reason: string, detail: { status?: number; retryAfterMs?: number | null; permanent?: boolean }): FetchResult {
  return {
    kind: 'error',
    reason,
    status: detail.status ?? null,
    retryAfterMs: detail.retryAfterMs ?? null,
    permanent: detail.permanent ?? false,
  };
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** A header that may repeat, as its first value. */
function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A stored validator fit to send back: printable, one line, at most 512 characters; else left out. */
function headerSafe(value: string | null | undefined): string | null {
  if (!value || value.length > 512) return null;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c > 0xff) return null;
  }
  return value;
}

/** The server's reason phrase, shortened; it is the server's text, so only printable ASCII is kept. */
function statusText(message: string | undefined): string {
  if (!message) return '';
  let out = '';
  for (const ch of message.slice(0, 60)) if (ch >= ' ' && ch <= '~') out += ch;
  return out.trim() ? ` ${out.trim()}` : '';
}

/** A URL as it may appear in a reason: shortened, and without a password if it had one. */
function shown(url: string): string {
  let text = url.trim();
  try {
    const parsed = new URL(text);
    if (parsed.password) parsed.password = '***';
    text = parsed.href;
  } catch {
    // not a URL: shown as typed, shortened
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

