import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, constants as zlibConstants, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { fetchFeed, type FetchOptions, type FetchResult } from '../adapters/sources/feeds/fetch.js';
import { charsetParameter, decodeBody, xmlDeclaredEncoding } from '../adapters/sources/feeds/fetch-charset.js';
import { freshnessMs, parseHttpDate, parseRetryAfter } from '../adapters/sources/feeds/fetch-headers.js';
import type { HostResolver } from '../adapters/sources/feeds/net-guard.js';

/**
 * fetchFeed against a real HTTP server on loopback. The server's routes are plain handlers; every request
 * it receives is recorded so a test can say what was sent (and that nothing was, when a URL is refused).
 */
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const routes = new Map<string, Handler>();
const received: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
let server: http.Server;
let port: number;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push({ path: req.url ?? '', headers: req.headers });
    const handler = routes.get((req.url ?? '').split('?')[0]!);
    if (handler) return handler(req, res);
    res.writeHead(404).end('no route');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const UA = 'Newsbrief/1.4 (+https://example.org/bot; ops@example.org)';
const RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title></channel></rss>';

let routeCount = 0;
/** Registers a handler under a fresh path and returns that path's URL. */
function route(handler: Handler): string {
  const path = `/r${++routeCount}`;
  routes.set(path, handler);
  return `${base}${path}`;
}
const pathOf = (url: string) => new URL(url).pathname;
const requestsTo = (url: string) => received.filter((r) => r.path === pathOf(url));

function fetchLocal(url: string, options: Partial<FetchOptions> = {}): Promise<FetchResult> {
  return fetchFeed(url, { userAgent: UA, allowPrivate: true, ...options });
}

function expectOk(result: FetchResult): Extract<FetchResult, { kind: 'ok' }> {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}
function expectError(result: FetchResult): Extract<FetchResult, { kind: 'error' }> {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(result).slice(0, 300)}`);
  return result;
}

const redirect = (status: number, location: string): Handler => (_req, res) => res.writeHead(status, { location }).end();
const serve = (body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): Handler => (_req, res) =>
  res.writeHead(200, { 'content-type': 'application/rss+xml', ...headers }).end(body);

describe('fetchFeed: conditional GET and what it sends', () => {
  it('returns the body with its validators, then not-modified when they are sent back', async () => {
    const etag = '"v1-abc"';
    const lastModified = 'Tue, 03 Mar 2026 10:00:00 GMT';
    const url = route((req, res) => {
      if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag, 'cache-control': 'max-age=60' }).end();
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag, 'last-modified': lastModified }).end(RSS);
    });

    const first = expectOk(await fetchLocal(url));
    expect(first).toMatchObject({ status: 200, body: RSS, etag, lastModified, contentType: 'application/rss+xml', finalUrl: url });
    expect(first.permanentRedirect).toBeNull();

    const second = await fetchLocal(url, { etag: first.etag, lastModified: first.lastModified });
    expect(second).toEqual({ kind: 'not-modified', etag, lastModified, finalUrl: url, permanentRedirect: null, maxAgeMs: 60_000 });

    const [plain, conditional] = requestsTo(url);
    expect(plain!.headers['if-none-match']).toBeUndefined();
    expect(conditional!.headers['if-none-match']).toBe(etag);
    expect(conditional!.headers['if-modified-since']).toBe(lastModified);
  });

  it('sends the User-Agent as given, feed types in Accept, and the three encodings it can undo', async () => {
    const url = route(serve(RSS));
    expectOk(await fetchLocal(url));
    const [request] = requestsTo(url);
    expect(request!.headers['user-agent']).toBe(UA);
    expect(request!.headers.accept).toContain('application/rss+xml');
    expect(request!.headers.accept).toContain('application/atom+xml');
    expect(request!.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('leaves out a stored validator with a line break rather than send a broken header', async () => {
    const url = route(serve(RSS));
    expectOk(await fetchLocal(url, { etag: '"a"\r\nX-Injected: 1', lastModified: 'Tue, 03 Mar 2026 10:00:00 GMT' }));
    const [request] = requestsTo(url);
    expect(request!.headers['x-injected']).toBeUndefined();
    expect(request!.headers['if-none-match']).toBeUndefined();
    expect(request!.headers['if-modified-since']).toBe('Tue, 03 Mar 2026 10:00:00 GMT');
  });

  it('treats a 304 to a request without validators as an error: there is no copy to keep', async () => {
    const url = route((_req, res) => res.writeHead(304).end());
    const result = expectError(await fetchLocal(url));
    expect(result).toMatchObject({ status: 304, permanent: false });
    expect(result.reason).toContain('not conditional');
  });

  it('reads Cache-Control max-age less Age into maxAgeMs, and Expires when there is no max-age', async () => {
    const maxAge = route(serve(RSS, { 'cache-control': 'public, max-age=600', age: '100' }));
    expect(expectOk(await fetchLocal(maxAge)).maxAgeMs).toBe(500_000);
    const expires = route(serve(RSS, { date: 'Wed, 04 Mar 2026 10:00:00 GMT', expires: 'Wed, 04 Mar 2026 10:30:00 GMT' }));
    expect(expectOk(await fetchLocal(expires)).maxAgeMs).toBe(30 * 60_000);
    const none = route(serve(RSS));
    expect(expectOk(await fetchLocal(none)).maxAgeMs).toBeNull();
  });
});

describe('fetchFeed: error statuses', () => {
  const now = () => Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

  it('429 with Retry-After in seconds: transient, with the wait', async () => {
    const url = route((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());
    const result = expectError(await fetchLocal(url));
    expect(result).toMatchObject({ status: 429, retryAfterMs: 120_000, permanent: false });
    expect(result.reason).toBe(`HTTP 429 Too Many Requests from ${url}`);
  });

  it('429 with Retry-After as an HTTP date: the wait is measured on the given clock', async () => {
    const url = route((_req, res) => res.writeHead(429, { 'retry-after': 'Wed, 21 Oct 2026 07:30:00 GMT' }).end());
    expect(await fetchLocal(url, { now })).toMatchObject({ kind: 'error', status: 429, retryAfterMs: 120_000, permanent: false });
  });

  it('503 is transient, with or without Retry-After', async () => {
    const bare = route((_req, res) => res.writeHead(503).end());
    expect(await fetchLocal(bare)).toMatchObject({ kind: 'error', status: 503, retryAfterMs: null, permanent: false });
    const advised = route((_req, res) => res.writeHead(503, { 'retry-after': '30' }).end());
    expect(await fetchLocal(advised)).toMatchObject({ kind: 'error', status: 503, retryAfterMs: 30_000, permanent: false });
  });

  it('410 Gone and 404 Not Found are permanent; 500 is not', async () => {
    const gone = route((_req, res) => res.writeHead(410).end());
    expect(await fetchLocal(gone)).toMatchObject({ kind: 'error', status: 410, permanent: true });
    expect(await fetchLocal(`${base}/nothing-here`)).toMatchObject({ kind: 'error', status: 404, permanent: true });
    const broken = route((_req, res) => res.writeHead(500).end());
    expect(await fetchLocal(broken)).toMatchObject({ kind: 'error', status: 500, permanent: false });
  });

  it('a refused connection is a transient error, not a throw', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = expectError(await fetchLocal(`http://127.0.0.1:${closedPort}/feed`));
    expect(result).toMatchObject({ status: null, permanent: false });
    expect(result.reason).toContain('connection refused');
  });
});

describe('fetchFeed: redirects', () => {
  it('follows 301 then 308 and reports the final URL as a permanent redirect', async () => {
    const feed = route(serve(RSS));
    const second = route(redirect(308, pathOf(feed)));
    const first = route(redirect(301, second));
    const result = expectOk(await fetchLocal(first));
    expect(result).toMatchObject({ body: RSS, finalUrl: feed, permanentRedirect: feed });
  });

  it('reports no permanent redirect when one hop was temporary (302, 303 or 307)', async () => {
    const feed = route(serve(RSS));
    for (const temporary of [302, 303, 307]) {
      const middle = route(redirect(temporary, feed));
      const start = route(redirect(301, middle));
      expect(expectOk(await fetchLocal(start))).toMatchObject({ finalUrl: feed, permanentRedirect: null });
    }
  });

  it('reports a permanent redirect on a 304 too, so the stored URL moves even when nothing changed', async () => {
    const feed = route((_req, res) => res.writeHead(304, { etag: '"x"' }).end());
    const start = route(redirect(301, feed));
    expect(await fetchLocal(start, { etag: '"x"' })).toMatchObject({ kind: 'not-modified', finalUrl: feed, permanentRedirect: feed });
  });

  it('names a redirect loop as a loop', async () => {
    const a = `${base}/loop-a`;
    const b = `${base}/loop-b`;
    routes.set('/loop-a', redirect(302, b));
    routes.set('/loop-b', redirect(302, '/loop-a'));
    const result = expectError(await fetchLocal(a));
    expect(result.reason).toBe(`redirect loop: ${a} → ${b} → ${a}`);
    expect(result.permanent).toBe(false);
    expect(requestsTo(a)).toHaveLength(1);
    expect(requestsTo(b)).toHaveLength(1);
  });

  it('gives up after maxRedirects hops', async () => {
    let hops = 0;
    routes.set('/endless', (_req, res) => res.writeHead(302, { location: `/endless?n=${++hops}` }).end());
    const result = expectError(await fetchLocal(`${base}/endless`, { maxRedirects: 3 }));
    expect(result.reason).toContain('too many redirects (more than 3)');
    expect(hops).toBe(4); // the first request and three followed redirects, each answered with one more
  });

  it('refuses a redirect to file: or ftp:, permanently, without following it', async () => {
    for (const target of ['file:///etc/passwd', 'ftp://ftp.example.org/feed.xml']) {
      const url = route(redirect(301, target));
      const result = expectError(await fetchLocal(url));
      expect(result).toMatchObject({ status: 301, permanent: true });
      expect(result.reason).toContain(`only http and https feed URLs are fetched, not ${new URL(target).protocol}`);
    }
  });

  it('refuses a redirect to a URL with credentials', async () => {
    const url = route(redirect(302, `http://admin:hunter2@127.0.0.1:${port}/feed`));
    const result = expectError(await fetchLocal(url));
    expect(result).toMatchObject({ permanent: true });
    expect(result.reason).toContain('user name or password');
  });

  it('refuses a redirect without a Location', async () => {
    const url = route((_req, res) => res.writeHead(302).end());
    expect(expectError(await fetchLocal(url)).reason).toContain('has no Location');
  });
});

describe('fetchFeed: the private-address guard', () => {
  // The server is on 127.0.0.1. With allowPrivate off, only the exception list lets the first hop reach it, so
  // each test below runs the real guard: the URL check for IP literals and the connection's own lookup for names.
  const guarded = (url: string, options: Partial<FetchOptions> = {}) =>
    fetchFeed(url, { userAgent: UA, allowPrivate: false, allowAddresses: ['127.0.0.1'], ...options });

  it('refuses a loopback URL outright when private addresses are not allowed', async () => {
    const url = route(serve(RSS));
    const result = expectError(await fetchFeed(url, { userAgent: UA }));
    expect(result).toMatchObject({ status: null, permanent: true });
    expect(result.reason).toContain('loopback 127.0.0.0/8');
    expect(requestsTo(url)).toHaveLength(0);
  });

  it('refuses a redirect to another loopback address, named by IP', async () => {
    const start = route(redirect(302, `http://127.0.0.2:${port}/feed`));
    const result = expectError(await guarded(start));
    expect(result).toMatchObject({ status: 302, permanent: true });
    expect(result.reason).toContain('private address (loopback 127.0.0.0/8)');
  });

  it('refuses a redirect to localhost by name', async () => {
    const start = route(redirect(302, `http://localhost:${port}/feed`));
    expect(expectError(await guarded(start)).reason).toContain('is this machine');
  });

  it('refuses a redirect to a public-looking name that resolves to loopback, before any byte is sent to it', async () => {
    const feed = route(serve(RSS));
    const start = route(redirect(301, `http://feeds.example.com:${port}${pathOf(feed)}`));
    const resolver: HostResolver = async (name) => (name === 'feeds.example.com' ? [{ address: '127.0.0.2', family: 4 }] : []);
    const result = expectError(await guarded(start, { resolver }));
    expect(result).toMatchObject({ status: null, permanent: true });
    expect(result.reason).toContain('feeds.example.com resolves to 127.0.0.2 (loopback 127.0.0.0/8)');
    expect(requestsTo(feed)).toHaveLength(0);
  });

  it('connects to exactly the address the guarded lookup returned (so a rebinding name cannot swap it)', async () => {
    const feed = route(serve(RSS));
    const named = `http://rebind.example.net:${port}${pathOf(feed)}`;
    // Answers loopback-but-allowed first, then another loopback address: each connection is judged on its own answer.
    const answers = ['127.0.0.1', '127.0.0.2'];
    const resolver: HostResolver = async () => [{ address: answers.shift() ?? '127.0.0.2', family: 4 }];
    expect(expectOk(await guarded(named, { resolver })).body).toBe(RSS);
    expect(expectError(await guarded(named, { resolver })).reason).toContain('resolves to 127.0.0.2');
    expect(requestsTo(feed)).toHaveLength(1);
  });

  it('refuses a name when any of its addresses is private, even if the first is allowed', async () => {
    const feed = route(serve(RSS));
    const resolver: HostResolver = async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '::ffff:10.0.0.7', family: 6 },
    ];
    const result = expectError(await guarded(`http://mixed.example.org:${port}${pathOf(feed)}`, { resolver }));
    expect(result.reason).toContain('::ffff:10.0.0.7 (IPv4-mapped private 10.0.0.0/8)');
    expect(requestsTo(feed)).toHaveLength(0);
  });

  it('refuses credentials in the URL without sending anything, and does not echo the password', async () => {
    const url = route(serve(RSS));
    const withCredentials = url.replace('http://', 'http://reader:s3cret@');
    const result = expectError(await fetchLocal(withCredentials));
    expect(result).toMatchObject({ permanent: true, status: null });
    expect(result.reason).toContain('user name or password');
    expect(result.reason).not.toContain('s3cret');
    expect(requestsTo(url)).toHaveLength(0);
  });
});

describe('fetchFeed: compression and size caps', () => {
  const xml = `<?xml version="1.0" encoding="utf-8"?><rss><channel><title>Zipped ✓</title>${'<item/>'.repeat(500)}</channel></rss>`;

  it('undoes gzip, deflate (zlib-wrapped and raw) and br', async () => {
    const bodies: Record<string, Buffer> = {
      gzip: gzipSync(xml),
      deflate: deflateSync(xml),
      br: brotliCompressSync(xml),
    };
    for (const [encoding, body] of Object.entries(bodies)) {
      const url = route(serve(body, { 'content-encoding': encoding }));
      expect(expectOk(await fetchLocal(url)).body, encoding).toBe(xml);
    }
    const raw = route(serve(deflateRawSync(xml), { 'content-encoding': 'deflate' }));
    expect(expectOk(await fetchLocal(raw)).body).toBe(xml);
  });

  it('reports a truncated or corrupt compressed body as a transient error', async () => {
    const bodies: Array<[string, Buffer]> = [
      ['gzip', gzipSync(xml).subarray(0, 40)],
      ['deflate', deflateSync(xml).subarray(0, 30)],
      ['br', brotliCompressSync(xml).subarray(0, 20)],
      ['br', Buffer.from('definitely not brotli, just text that claims to be')],
    ];
    for (const [encoding, body] of bodies) {
      const url = route(serve(body, { 'content-encoding': encoding }));
      const result = expectError(await fetchLocal(url));
      expect(result.reason, encoding).toContain(`${encoding} body could not be decompressed`);
      expect(result.permanent).toBe(false);
    }
  });

  it('refuses an encoding it did not ask for', async () => {
    const url = route(serve(xml, { 'content-encoding': 'compress' }));
    expect(expectError(await fetchLocal(url)).reason).toContain('Content-Encoding "compress"');
  });

  it('cuts off a 20 MB body at the 5 MiB cap, long before the server has sent it all', async () => {
    let written = 0;
    const url = route((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (written < 20_000_000) {
          if (res.destroyed) return;
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const result = expectError(await fetchLocal(url));
    expect(result.reason).toContain('cut off after 5 MiB');
    expect(result.permanent).toBe(false);
    expect(written).toBeLessThan(20_000_000);
  });

  it('refuses a body whose Content-Length is over the cap without reading it, and hangs up', async () => {
    let hungUp!: () => void;
    const closed = new Promise<void>((resolve) => (hungUp = resolve));
    const url = route((_req, res) => {
      res.writeHead(200, { 'content-length': String(6 * 1024 * 1024) });
      res.write('<rss>');
      res.on('close', hungUp);
    });
    expect(expectError(await fetchLocal(url)).reason).toContain('announced a body larger than the 5 MiB cap');
    await closed; // the test times out if the connection is left open
  });

  it('hangs up on an error status without reading its body', async () => {
    let hungUp!: () => void;
    const closed = new Promise<void>((resolve) => (hungUp = resolve));
    const url = route((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.write('<html>');
      res.on('close', hungUp);
    });
    expect(expectError(await fetchLocal(url)).status).toBe(500);
    await closed;
  });

  it('stops a gzip bomb and a brotli bomb (small on the wire, huge decoded) at the decoded cap', async () => {
    const huge = Buffer.alloc(64 * 1024 * 1024);
    for (const [encoding, body] of [
      ['gzip', gzipSync(huge)],
      ['br', brotliCompressSync(huge, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } })],
    ] as const) {
      expect(body.length).toBeLessThan(200 * 1024);
      const url = route(serve(body, { 'content-encoding': encoding }));
      const result = expectError(await fetchLocal(url, { maxBytes: 1024 * 1024 }));
      expect(result.reason, encoding).toContain('cut off after 1 MiB of decompressed content');
    }
  });
});

describe('fetchFeed: deadlines and cancelling', () => {
  it('cuts a server that trickles bytes at the whole-request deadline', async () => {
    const url = route((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const tick = setInterval(() => res.write('<'), 20);
      res.on('close', () => clearInterval(tick));
    });
    const started = performance.now();
    const result = expectError(await fetchLocal(url, { timeoutMs: 300 }));
    const elapsed = performance.now() - started;
    expect(result.reason).toBe(`timed out after 300 ms fetching ${url}`);
    expect(result.permanent).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
  });

  it('times out a server that never answers', async () => {
    const url = route(() => {});
    expect(expectError(await fetchLocal(url, { timeoutMs: 200 })).reason).toContain('timed out after 200 ms');
  });

  it('stops when the caller aborts, and says it was cancelled', async () => {
    const url = route(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = expectError(await fetchLocal(url, { signal: controller.signal }));
    expect(result.reason).toBe(`cancelled while fetching ${url}`);
  });
});

describe('fetchFeed: a long-lived caller signal', () => {
  it('is left without listeners once each fetch is over, so one shutdown signal can serve every fetch', async () => {
    const shutdown = new AbortController();
    const url = route(serve(RSS));
    for (let i = 0; i < 3; i++) expectOk(await fetchLocal(url, { signal: shutdown.signal }));
    expectError(await fetchLocal(`${base}/missing`, { signal: shutdown.signal }));
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});

describe('fetchFeed: content types and character sets', () => {
  it('returns an HTML page as it is, with its media type, for the parser to judge', async () => {
    const url = route(serve('<!doctype html><title>Not a feed</title>', { 'content-type': 'text/html; charset=utf-8' }));
    const result = expectOk(await fetchLocal(url));
    expect(result.contentType).toBe('text/html');
    expect(result.body).toContain('Not a feed');
  });

  it('decodes ISO-8859-1 named in Content-Type', async () => {
    const url = route(serve(Buffer.from('<rss><title>Café à Zürich</title></rss>', 'latin1'), { 'content-type': 'text/xml; charset="ISO-8859-1"' }));
    const result = expectOk(await fetchLocal(url));
    expect(result.body).toBe('<rss><title>Café à Zürich</title></rss>');
    expect(result.charset).toBe('windows-1252');
  });

  it('strips a UTF-8 byte-order mark', async () => {
    const url = route(serve(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(RSS)])));
    const result = expectOk(await fetchLocal(url));
    expect(result.body).toBe(RSS);
    expect(result.body.charCodeAt(0)).toBe(0x3c);
  });

  it('reads UTF-16 little- and big-endian by their byte-order marks', async () => {
    const text = '<?xml version="1.0" encoding="UTF-16"?><rss><title>Grüße – 你好</title></rss>';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const body of [le, be]) {
      const url = route(serve(body, { 'content-type': 'application/xml' }));
      expect(expectOk(await fetchLocal(url)).body).toBe(text);
    }
  });

  it('uses the XML declaration when Content-Type names no charset', async () => {
    const body = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="KOI8-R"?><rss><title>'), Buffer.from([0xcd, 0xc9, 0xd2]), Buffer.from('</title></rss>')]);
    const url = route(serve(body, { 'content-type': 'application/rss+xml' }));
    const result = expectOk(await fetchLocal(url));
    expect(result.body).toBe('<?xml version="1.0" encoding="KOI8-R"?><rss><title>мир</title></rss>');
    expect(result).toMatchObject({ charset: 'koi8-r', charsetNote: null });
  });

  it('falls back to UTF-8 for an unknown charset, and says so', async () => {
    const url = route(serve('<rss><title>naïve</title></rss>', { 'content-type': 'application/rss+xml; charset=x-klingon' }));
    const result = expectOk(await fetchLocal(url));
    expect(result.body).toBe('<rss><title>naïve</title></rss>');
    expect(result.charset).toBe('utf-8');
    expect(result.charsetNote).toBe('unknown charset "x-klingon" in Content-Type; decoded as UTF-8');
  });
});

describe('decodeBody: which source of the charset wins', () => {
  const latin1Decl = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="iso-8859-1"?><a>'), Buffer.from([0xe9]), Buffer.from('</a>')]);

  it('Content-Type over the XML declaration', () => {
    const utf8 = Buffer.from('<?xml version="1.0" encoding="iso-8859-1"?><a>é</a>');
    expect(decodeBody(utf8, 'text/xml; charset=utf-8').text).toBe('<?xml version="1.0" encoding="iso-8859-1"?><a>é</a>');
    expect(decodeBody(latin1Decl, 'text/xml').text).toContain('<a>é</a>');
  });

  it('a byte-order mark over Content-Type', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>é</a>')]);
    expect(decodeBody(body, 'text/xml; charset=iso-8859-1')).toEqual({ text: '<a>é</a>', charset: 'utf-8', note: null });
  });

  it('an unknown Content-Type charset gives way to the XML declaration, noted', () => {
    expect(decodeBody(latin1Decl, 'text/xml; charset=bogus')).toMatchObject({ charset: 'windows-1252', note: 'unknown charset "bogus" in Content-Type; used the XML declaration' });
  });

  it('a UTF-16 declaration in an 8-bit document is ignored (it was readable as ASCII, so it is not UTF-16)', () => {
    const body = Buffer.from('<?xml version="1.0" encoding="utf-16"?><a>ok</a>');
    expect(decodeBody(body, null)).toMatchObject({ text: '<?xml version="1.0" encoding="utf-16"?><a>ok</a>', charset: 'utf-8' });
  });

  it('UTF-16 without a BOM, recognised by the shape of "<?"', () => {
    const text = '<?xml version="1.0" encoding="UTF-16"?><a>ü</a>';
    expect(decodeBody(Buffer.from(text, 'utf16le'), null)).toMatchObject({ text, charset: 'utf-16le' });
    const be = Buffer.from(text, 'utf16le');
    be.swap16();
    expect(decodeBody(be, null)).toMatchObject({ text, charset: 'utf-16be' });
  });

  it('reads charset parameters with quotes, spaces and case', () => {
    expect(charsetParameter('text/xml ; Charset = "Windows-1251" ; q=1')).toBe('Windows-1251');
    expect(charsetParameter('text/xml')).toBeNull();
    expect(charsetParameter('text/xml; charset=')).toBeNull();
  });
});

describe('freshness and Retry-After headers', () => {
  const now = Date.parse('2026-03-04T10:00:00Z');

  it('max-age wins over Expires; no-cache and no-store mean stale now', () => {
    expect(freshnessMs({ cacheControl: 'max-age=300', expires: 'Wed, 04 Mar 2026 12:00:00 GMT' }, now)).toBe(300_000);
    expect(freshnessMs({ cacheControl: 'max-age="90"' }, now)).toBe(90_000);
    expect(freshnessMs({ cacheControl: 'no-cache, max-age=300' }, now)).toBe(0);
    expect(freshnessMs({ cacheControl: 'private, no-store' }, now)).toBe(0);
  });

  it('Expires relative to the Date header, else our clock; an unreadable Expires is already stale', () => {
    expect(freshnessMs({ expires: 'Wed, 04 Mar 2026 10:05:00 GMT' }, now)).toBe(300_000);
    expect(freshnessMs({ expires: 'Wed, 04 Mar 2026 10:05:00 GMT', date: 'Wed, 04 Mar 2026 10:04:00 GMT' }, now)).toBe(60_000);
    expect(freshnessMs({ expires: 'soon' }, now)).toBe(0);
    expect(freshnessMs({ cacheControl: 'public' }, now)).toBeNull();
  });

  it('caps what a server can ask for at a week, and never goes negative', () => {
    const week = 7 * 24 * 3600 * 1000;
    expect(freshnessMs({ cacheControl: 'max-age=999999999' }, now)).toBe(week);
    expect(parseRetryAfter('999999999', now)).toBe(week);
    expect(freshnessMs({ cacheControl: 'max-age=10', age: '50' }, now)).toBe(0);
    expect(parseRetryAfter('Tue, 03 Mar 2026 10:00:00 GMT', now)).toBe(0);
  });

  it('reads the three HTTP date forms, and nothing else', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(expected);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(expected);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(expected);
    expect(parseHttpDate('Mon, 06 Nov 2034 08:49:37 GMT')).toBe(Date.UTC(2034, 10, 6, 8, 49, 37));
    for (const notADate of ['-5', '1', '0', '2026-03-04', 'Wed, 31 Feb 2026 10:00:00 GMT', 'Wed, 04 Mar 2026 25:00:00 GMT', 'Wed, 04 Xyz 2026 10:00:00 GMT']) {
      expect(parseHttpDate(notADate), notADate).toBeNull();
    }
  });

  it('ignores a Retry-After it cannot read', () => {
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('later', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('header and declaration parsing stays linear on 1 MiB of hostile text', () => {
  const MiB = 1024 * 1024;
  const cases: Array<[string, () => unknown]> = [
    ['Cache-Control of commas', () => freshnessMs({ cacheControl: ','.repeat(MiB) }, 0)],
    ['Cache-Control of max-age= runs', () => freshnessMs({ cacheControl: 'max-age='.repeat(MiB / 8) }, 0)],
    ['Retry-After of digits', () => parseRetryAfter('9'.repeat(MiB), 0)],
    ['Content-Type of semicolons', () => charsetParameter(`text/xml${';'.repeat(MiB)}`)],
    ['XML declaration of spaces', () => xmlDeclaredEncoding(Buffer.from(`<?xml${' '.repeat(MiB)}encoding=`))],
    ['XML declaration of encoding= runs', () => xmlDeclaredEncoding(Buffer.from(`<?xml ${' encoding= '.repeat(MiB / 11)}?>`))],
    ['a body of 1 MiB without a declaration end', () => decodeBody(Buffer.from(`<?xml ${'"'.repeat(MiB)}`), 'text/xml; charset')],
  ];
  for (const [shape, run] of cases) {
    it(shape, () => {
      const started = performance.now();
      run();
      expect(performance.now() - started).toBeLessThan(1000);
    });
  }
});
