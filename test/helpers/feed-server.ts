/**
 * A feed publisher on loopback for the poller's tests and benchmark: each path answers as a handler says,
 * and every request is counted with its headers, so a test can say what was fetched, how often and how.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FeedHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface ServedFeed {
  body: string;
  /** Sent as ETag; a request whose If-None-Match matches it gets 304. */
  etag?: string;
  cacheControl?: string;
  contentType?: string;
}

export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export class FeedServer {
  readonly requests: SeenRequest[] = [];
  private readonly routes = new Map<string, FeedHandler>();
  private readonly counts = new Map<string, number>();
  /** Keep full request records (tests); the benchmark counts only. */
  recordRequests = true;

  private constructor(
    private readonly server: http.Server,
    readonly base: string,
  ) {}

  static async start(): Promise<FeedServer> {
    let self!: FeedServer;
    const server = http.createServer((req, res) => self.handle(req, res));
    // The benchmark polls a thousand feeds at once from one process.
    server.maxConnections = 10_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new FeedServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Answers `path` with `handler`; returns the path's URL. */
  route(path: string, handler: FeedHandler): string {
    this.routes.set(path, handler);
    return this.url(path);
  }

  /** Serves a feed body at `path`, with conditional GET when it has an ETag; `feed` may change between polls. */
  serve(path: string, feed: ServedFeed | (() => ServedFeed)): string {
    return this.route(path, (req, res) => {
      const current = typeof feed === 'function' ? feed() : feed;
      const headers: http.OutgoingHttpHeaders = { 'content-type': current.contentType ?? 'application/rss+xml; charset=utf-8' };
      if (current.etag) headers.etag = current.etag;
      if (current.cacheControl) headers['cache-control'] = current.cacheControl;
      if (current.etag && req.headers['if-none-match'] === current.etag) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, headers).end(current.body);
    });
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Requests received for `path`. */
  hits(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /** Requests received for every path. */
  get totalHits(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  requestsTo(path: string): SeenRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    if (this.recordRequests) this.requests.push({ path, headers: req.headers });
    const handler = this.routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed');
  }
}

export interface RssItem {
  guid: string;
  link: string;
  title: string;
  /** RFC 822, as RSS writes dates. */
  date: string;
  description?: string;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An RSS 2.0 document with these items. */
export function rss(channel: { title: string; site: string }, items: readonly RssItem[]): string {
  const entries = items.map(
    (i) =>
      `    <item>\n      <title>${escapeXml(i.title)}</title>\n      <link>${escapeXml(i.link)}</link>\n      <guid isPermaLink="false">${escapeXml(i.guid)}</guid>\n` +
      `      <pubDate>${i.date}</pubDate>\n      <description>${escapeXml(i.description ?? '')}</description>\n    </item>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<rss version="2.0">',
    '  <channel>',
    `    <title>${escapeXml(channel.title)}</title>`,
    `    <link>${escapeXml(channel.site)}</link>`,
    '    <description>Test feed</description>',
    ...entries,
    '  </channel>',
    '</rss>',
    '',
  ].join('\n');
}
