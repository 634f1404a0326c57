// The feed poller against a feed publisher on loopback, through the real fetcher, parser and core ingest,
// on the memory storage (and SQLite where two pollers share one database file).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fetchFeed, HostLimiter } from '../adapters/sources/feeds/fetch.js';
import { FeedPoller, feedUserAgent, type FeedPollerOptions, type FeedPollResult } from '../adapters/sources/feeds/poller.js';
import { IngestLane } from '../adapters/sources/ingest-lane.js';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { Newsbrief, type FeedRecord, type Logger, type Storage } from '../src/index.js';
import { FakeClock } from './helpers/fake-clock.js';
import { FeedServer, rss, type RssItem } from './helpers/feed-server.js';
import { makeTempDir, removeDir } from './helpers/seed-files.js';

const START = '2026-03-10T12:00:00Z';
const MIN = 60_000;
const HOUR = 60 * MIN;
const UA = feedUserAgent('0.1.0', 'https://newsbrief.example/contact');

let server: FeedServer;
beforeAll(async () => {
  server = await FeedServer.start();
});
afterAll(async () => {
  await server.close();
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let pathCount = 0;
/** A path no other test uses. */
const fresh = (name: string) => `/${name}-${++pathCount}.xml`;

// Distinct subjects, so that no two items are grouped into one story.
const SUBJECTS = [
  ['Orkney turbine array reaches full output', 'Engineers report rated power through a spring tide.'],
  ['Harbour authority approves lagoon feasibility study', 'Councillors voted for a two-year survey of the estuary.'],
  ['Cable fault halts Pentland test berth', 'Divers found abrasion where the export cable crosses a reef.'],
  ['Seabed survey maps sediment around foundations', 'Sonar passes show scour holes shallower than modelled.'],
  ['Blade maker opens coastal factory', 'The plant will build composite rotors for floating devices.'],
];

function item(n: number, site: string, hoursBefore = 2): RssItem {
  const [title, description] = SUBJECTS[n % SUBJECTS.length]!;
  return {
    guid: `tide-${n}`,
    link: `${site}/news/tidal-story-${n}`,
    title: `${title} (${n})`,
    date: new Date(Date.parse(START) - hoursBefore * HOUR).toUTCString(),
    description,
  };
}

const SITE = 'https://www.tidewatch.example';
const feedBody = (items: RssItem[]) => rss({ title: 'Tidewatch &amp; Co', site: SITE }, items);

/** Storage, clock and a poller with test-friendly settings (no host spacing, private addresses allowed). */
function setup(options: Omit<Partial<FeedPollerOptions>, 'storage' | 'clock'> & { storage?: Storage; clock?: FakeClock } = {}) {
  const storage = options.storage ?? createMemoryStorage();
  if (!options.storage) cleanups.push(() => storage.close());
  const clock = options.clock ?? new FakeClock(START);
  const { clock: _ignored, ...rest } = options;
  const poller = new FeedPoller({
    userAgent: UA,
    allowPrivate: true,
    limiter: new HostLimiter({ perHost: 16, spacingMs: 0 }),
    clock: clock.now,
    ...rest,
    storage,
  });
  cleanups.push(() => poller.stop());
  return { storage, clock, poller };
}

async function addFeed(storage: Storage, url: string, now: Date, topics = ['Tidal Energy']): Promise<FeedRecord> {
  return (await storage.feeds.addFeed({ url, name: null, topics, quality: 70 }, now)).feed;
}

async function feed(storage: Storage, id: number): Promise<FeedRecord> {
  const record = await storage.feeds.getFeed(id);
  if (!record) throw new Error(`no feed ${id}`);
  return record;
}

/** A logger that keeps what it is told. */
function recordingLogger() {
  const entries: Array<{ level: string; obj: unknown; msg: string | undefined }> = [];
  const at = (level: string) => (obj: object | string, msg?: string) => entries.push({ level, obj, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

describe('FeedPoller: a good feed', () => {
  it('fetches a due feed, and its items reach /news under the feed\'s topic', async () => {
    const path = fresh('tidewatch');
    const url = server.serve(path, { body: feedBody([item(1, SITE), item(2, SITE), item(3, SITE, 5)]), etag: '"v1"' });
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());

    const report = await poller.pollDue();
    expect(report).toMatchObject({ feeds: 1, fetched: 1, notModified: 0, failed: 0, disabled: 0, newArticles: 3, rejected: 0 });
    expect(server.hits(path)).toBe(1);
    expect(server.requestsTo(path)[0]!.headers['user-agent']).toBe('Newsbrief/0.1.0 (+https://newsbrief.example/contact)');

    const stored = await feed(storage, added.id);
    expect(stored).toMatchObject({
      lastStatus: '200, 3 items, 3 new',
      etag: '"v1"',
      failures: 0,
      items: 3,
      feedTitle: 'Tidewatch & Co',
      siteUrl: `${SITE}/`,
      enabled: true,
    });
    expect(stored.nextFetchAt).toBe(new Date(Date.parse(START) + 30 * MIN).toISOString());
    expect(stored.lastSuccessAt).toBe(new Date(START).toISOString());

    const app = new Newsbrief({ storage, clock: clock.now });
    const news = await app.news('tidal energy', { count: 10 });
    if (!news.ok) throw new Error(`expected a digest, got ${news.code}`);
    expect(news.digest.topic).toBe('Tidal Energy');
    expect(news.digest.items.map((i) => i.title).sort()).toEqual([
      'Cable fault halts Pentland test berth (2)',
      'Harbour authority approves lagoon feasibility study (1)',
      'Seabed survey maps sediment around foundations (3)',
    ]);
    expect(news.digest.items.map((i) => i.url)).toContain(`${SITE}/news/tidal-story-1`);
    expect(news.digest.items.every((i) => i.provider.name === 'Tidewatch & Co' && i.provider.domain === 'tidewatch.example')).toBe(true);
  });

  it('sends the ETag back on the next cycle, gets 304 and stores nothing new', async () => {
    const path = fresh('conditional');
    const url = server.serve(path, { body: feedBody([item(1, SITE), item(2, SITE)]), etag: '"abc"' });
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    const articlesBefore = (await storage.articles.topicCounts()).reduce((n, t) => n + t.count, 0);

    // Not due yet: nothing is fetched.
    clock.advanceMinutes(10);
    expect(await poller.pollDue()).toMatchObject({ feeds: 0 });
    expect(server.hits(path)).toBe(1);

    clock.advanceMinutes(21);
    const second = await poller.pollDue();
    expect(second).toMatchObject({ feeds: 1, fetched: 0, notModified: 1, newArticles: 0 });
    expect(server.hits(path)).toBe(2);
    expect(server.requestsTo(path)[1]!.headers['if-none-match']).toBe('"abc"');
    const stored = await feed(storage, added.id);
    expect(stored).toMatchObject({ lastStatus: '304 not modified', etag: '"abc"', items: 2, failures: 0 });
    expect(stored.nextFetchAt).toBe(new Date(clock.now().getTime() + 30 * MIN).toISOString());
    expect((await storage.articles.topicCounts()).reduce((n, t) => n + t.count, 0)).toBe(articlesBefore);
  });

  it('stores only the new entries when the feed changes, and keeps the earlier ones', async () => {
    const path = fresh('changing');
    let items = [item(1, SITE), item(2, SITE)];
    const url = server.serve(path, () => ({ body: feedBody(items), etag: `"n${items.length}"` }));
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    items = [item(3, SITE, 1), ...items];
    clock.advanceMinutes(30);
    const report = await poller.pollDue();
    expect(report).toMatchObject({ fetched: 1, newArticles: 1 });
    expect(await feed(storage, added.id)).toMatchObject({ lastStatus: '200, 3 items, 1 new', items: 3, etag: '"n3"' });
  });

  it('comes back after the max-age, but never sooner than the minimum interval nor later than a day', async () => {
    const { storage, clock, poller } = setup();
    const cases: Array<[string, number]> = [
      ['max-age=3600', HOUR],
      ['max-age=60', 5 * MIN],
      ['no-cache', 5 * MIN],
      ['max-age=604800', 24 * HOUR],
    ];
    const ids: number[] = [];
    for (const [cacheControl] of cases) {
      const url = server.serve(fresh('cache'), { body: feedBody([item(ids.length + 10, SITE)]), cacheControl });
      ids.push((await addFeed(storage, url, clock.now())).id);
    }
    expect(await poller.pollDue()).toMatchObject({ feeds: 4, fetched: 4 });
    for (const [i, [, wait]] of cases.entries()) {
      expect((await feed(storage, ids[i]!)).nextFetchAt).toBe(new Date(Date.parse(START) + wait).toISOString());
    }
  });
});

describe('FeedPoller: failures', () => {
  it('backs off exponentially, caps the wait, and disables the feed after maxFailures with the reason', async () => {
    const path = fresh('broken');
    const url = server.route(path, (_req, res) => res.writeHead(500, 'Internal Server Error').end());
    const { logger, entries } = recordingLogger();
    const { storage, clock, poller } = setup({ maxFailures: 5, maxBackoffMs: 3 * HOUR, logger });
    const added = await addFeed(storage, url, clock.now());

    // 30 min, 1 h, 2 h, then the 3 h cap.
    const waits = [30 * MIN, HOUR, 2 * HOUR, 3 * HOUR];
    for (const [i, wait] of waits.entries()) {
      const report = await poller.pollDue();
      expect(report).toMatchObject({ feeds: 1, failed: 1, disabled: 0 });
      const stored = await feed(storage, added.id);
      expect(stored.failures).toBe(i + 1);
      expect(stored.enabled).toBe(true);
      expect(stored.lastStatus).toBe(`error: HTTP 500 Internal Server Error from ${url}`);
      expect(stored.nextFetchAt).toBe(new Date(clock.now().getTime() + wait).toISOString());
      // Not due a minute before.
      clock.advance(wait - MIN);
      expect(await poller.pollDue()).toMatchObject({ feeds: 0 });
      clock.advance(MIN);
    }

    const last = await poller.pollDue();
    expect(last).toMatchObject({ failed: 1, disabled: 1 });
    const disabled = await feed(storage, added.id);
    expect(disabled.enabled).toBe(false);
    expect(disabled.failures).toBe(5);
    expect(disabled.disabledReason).toBe(`5 failures in a row, the last: HTTP 500 Internal Server Error from ${url}`);
    expect(entries.some((e) => e.level === 'warn' && e.msg === 'feed disabled')).toBe(true);
    expect(entries.filter((e) => e.level === 'warn' && e.msg === 'feed poll failed')).toHaveLength(5);

    // Never polled again while disabled.
    clock.advanceHours(48);
    expect(await poller.pollDue()).toMatchObject({ feeds: 0 });
    expect(server.hits(path)).toBe(5);
  });

  it('waits as long as Retry-After asks when that is longer than the back-off, and no less than the back-off', async () => {
    let retryAfter = '7200';
    const url = server.route(fresh('busy'), (_req, res) => res.writeHead(503, { 'retry-after': retryAfter }).end());
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    expect((await feed(storage, added.id)).nextFetchAt).toBe(new Date(clock.now().getTime() + 2 * HOUR).toISOString());

    // Second failure: a back-off of 1 h beats a Retry-After of 60 s.
    clock.advanceHours(2);
    retryAfter = '60';
    await poller.pollDue();
    const stored = await feed(storage, added.id);
    expect(stored.failures).toBe(2);
    expect(stored.nextFetchAt).toBe(new Date(clock.now().getTime() + HOUR).toISOString());
  });

  it('resets the failure count after a good poll', async () => {
    let failing = true;
    const body = feedBody([item(1, SITE)]);
    const url = server.route(fresh('flaky'), (_req, res) => (failing ? res.writeHead(502).end() : res.writeHead(200).end(body)));
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    clock.advanceMinutes(30);
    await poller.pollDue();
    expect((await feed(storage, added.id)).failures).toBe(2);
    failing = false;
    clock.advanceHours(1);
    expect(await poller.pollDue()).toMatchObject({ fetched: 1, newArticles: 1 });
    const stored = await feed(storage, added.id);
    expect(stored).toMatchObject({ failures: 0, lastStatus: '200, 1 items, 1 new' });
    expect(stored.nextFetchAt).toBe(new Date(clock.now().getTime() + 30 * MIN).toISOString());
  });

  it('disables a feed that answers 410 Gone at once', async () => {
    const url = server.route(fresh('gone'), (_req, res) => res.writeHead(410, 'Gone').end());
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    expect(await poller.pollDue()).toMatchObject({ failed: 1, disabled: 1 });
    const stored = await feed(storage, added.id);
    expect(stored.enabled).toBe(false);
    expect(stored.disabledReason).toBe(`gone: HTTP 410 Gone from ${url}`);
    expect(stored.failures).toBe(1);
  });

  it('disables a feed on its third 404 in a row, not before (a 404 may pass)', async () => {
    const path = fresh('missing');
    const url = server.url(path);
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    clock.advanceMinutes(30);
    await poller.pollDue();
    expect(await feed(storage, added.id)).toMatchObject({ enabled: true, failures: 2 });
    clock.advanceHours(1);
    expect(await poller.pollDue()).toMatchObject({ disabled: 1 });
    const stored = await feed(storage, added.id);
    expect(stored.enabled).toBe(false);
    expect(stored.disabledReason).toBe(`3 failures in a row, the last permanent: HTTP 404 Not Found from ${url}`);
    expect(server.hits(path)).toBe(3);
  });

  it('counts a body that is no feed as a failure, with the parser\'s reason, and keeps the old ETag', async () => {
    let html = false;
    const body = feedBody([item(1, SITE)]);
    const url = server.route(fresh('turned-html'), (_req, res) => {
      if (html) res.writeHead(200, { 'content-type': 'text/html', etag: '"page"' }).end('<!DOCTYPE html><html><body>Our new site</body></html>');
      else res.writeHead(200, { etag: '"feed"' }).end(body);
    });
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    html = true;
    clock.advanceMinutes(30);
    expect(await poller.pollDue()).toMatchObject({ failed: 1, fetched: 0 });
    const stored = await feed(storage, added.id);
    expect(stored.lastStatus).toBe(`error: not a feed: an HTML page (is the URL the site rather than its feed?): ${url}`);
    expect(stored.failures).toBe(1);
    expect(stored.etag).toBe('"feed"');
  });

  it('refuses a loopback feed unless private addresses are allowed, and records why without fetching', async () => {
    const path = fresh('private');
    const url = server.serve(path, { body: feedBody([item(1, SITE)]) });
    const { storage, clock, poller } = setup({ allowPrivate: undefined });
    const added = await addFeed(storage, url, clock.now());
    expect(await poller.pollDue()).toMatchObject({ failed: 1, fetched: 0 });
    expect(server.hits(path)).toBe(0);
    const stored = await feed(storage, added.id);
    expect(stored.lastStatus).toBe(`error: the feed URL's host 127.0.0.1 is a private address (loopback 127.0.0.0/8): ${url}`);
    expect(stored).toMatchObject({ failures: 1, enabled: true });
  });

  it('records one feed\'s unexpected exception on that feed, names it in the log, and polls the others', async () => {
    const good = server.serve(fresh('fine'), { body: feedBody([item(1, SITE)]) });
    const bad = server.url(fresh('explodes'));
    const { logger, entries } = recordingLogger();
    const { storage, clock, poller } = setup({
      logger,
      fetch: (url, options) => (url === bad ? Promise.reject(new Error('parser defect')) : fetchFeed(url, options)),
    });
    const goodFeed = await addFeed(storage, good, clock.now());
    const badFeed = await addFeed(storage, bad, clock.now());
    expect(await poller.pollDue()).toMatchObject({ feeds: 2, fetched: 1, failed: 1 });
    expect(await feed(storage, goodFeed.id)).toMatchObject({ failures: 0, items: 1 });
    expect(await feed(storage, badFeed.id)).toMatchObject({ failures: 1, lastStatus: 'error: internal error: parser defect' });
    const logged = entries.find((e) => e.level === 'error');
    expect(logged?.obj).toMatchObject({ feedId: badFeed.id, url: bad });
  });
});

describe('FeedPoller: redirects, sharing and concurrency', () => {
  it('moves the stored URL after a permanent redirect and fetches the new one from then on', async () => {
    const oldPath = fresh('old-home');
    const newPath = fresh('new-home');
    const target = server.serve(newPath, { body: feedBody([item(1, SITE)]) });
    const url = server.route(oldPath, (_req, res) => res.writeHead(301, { location: target }).end());
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    expect(await poller.pollDue()).toMatchObject({ fetched: 1, newArticles: 1 });
    expect((await feed(storage, added.id)).url).toBe(target);
    clock.advanceMinutes(30);
    await poller.pollDue();
    expect(server.hits(oldPath)).toBe(1);
    expect(server.hits(newPath)).toBe(2);
  });

  it('keeps the URL after a temporary redirect', async () => {
    const target = server.serve(fresh('temp-target'), { body: feedBody([item(1, SITE)]) });
    const url = server.route(fresh('temp'), (_req, res) => res.writeHead(302, { location: target }).end());
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    expect((await feed(storage, added.id)).url).toBe(url);
  });

  it('two pollers on one database never fetch the same feed twice', async () => {
    const dir = makeTempDir('newsbrief-poller-');
    const path = join(dir, 'nb.db');
    const a = openSqliteStorage(path);
    const b = openSqliteStorage(path);
    cleanups.push(async () => {
      await a.close();
      await b.close();
      removeDir(dir);
    });
    const clock = new FakeClock(START);
    const paths = Array.from({ length: 30 }, (_, i) => fresh(`shared-${i}`));
    for (const [i, p] of paths.entries()) {
      const body = feedBody([item(100 + i, SITE)]);
      // Slow enough that both pollers are at work at the same time.
      server.route(p, (_req, res) => setTimeout(() => res.writeHead(200).end(body), 20));
      await addFeed(a, server.url(p), clock.now());
    }
    // One lane for both: in production a SQLite database has one process (its lock file), so one lane.
    const lane = new IngestLane();
    const first = setup({ storage: a, clock, lane, concurrency: 4 });
    const second = setup({ storage: b, clock, lane, concurrency: 4 });
    const [ra, rb] = await Promise.all([first.poller.pollDue(), second.poller.pollDue()]);
    expect(ra.feeds + rb.feeds).toBe(30);
    expect(ra.feeds).toBeGreaterThan(0);
    expect(rb.feeds).toBeGreaterThan(0);
    expect(paths.map((p) => server.hits(p))).toEqual(paths.map(() => 1));
    expect(ra.newArticles + rb.newArticles).toBe(30);
  });

  it('a slow feed does not hold up the others', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowBody = feedBody([item(50, SITE)]);
    const slow = server.route(fresh('slow'), (_req, res) => void released.then(() => res.writeHead(200).end(slowBody)));
    const fast = Array.from({ length: 6 }, (_, i) => server.serve(fresh(`quick-${i}`), { body: feedBody([item(60 + i, SITE)]) }));
    const done: FeedPollResult[] = [];
    const { storage, clock, poller } = setup({ concurrency: 3, onProgress: (r) => done.push(r) });
    const slowFeed = await addFeed(storage, slow, clock.now());
    for (const url of fast) await addFeed(storage, url, clock.now());

    const cycle = poller.pollDue();
    // Every fast feed is polled while the slow one still waits for its answer.
    await expect.poll(() => done.length, { timeout: 10_000 }).toBe(6);
    expect(done.every((r) => r.feedId !== slowFeed.id && r.outcome === 'fetched')).toBe(true);
    release();
    const report = await cycle;
    expect(report).toMatchObject({ feeds: 7, fetched: 7, newArticles: 7 });
  });

  it('a second pollDue while a cycle runs joins it instead of fetching again', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const body = feedBody([item(70, SITE)]);
    const path = fresh('joined');
    const url = server.route(path, (_req, res) => void released.then(() => res.writeHead(200).end(body)));
    const { storage, clock, poller } = setup();
    await addFeed(storage, url, clock.now());
    const first = poller.pollDue();
    const second = poller.pollDue();
    expect(second).toBe(first);
    release();
    expect(await first).toMatchObject({ feeds: 1, fetched: 1 });
    expect(server.hits(path)).toBe(1);
  });

  it('stop() cancels a fetch under way, records nothing for it and resolves promptly', async () => {
    const path = fresh('hangs');
    const url = server.route(path, () => {
      // Never answers.
    });
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    const cycle = poller.pollDue();
    await expect.poll(() => server.hits(path), { timeout: 5_000 }).toBe(1);
    const started = Date.now();
    await poller.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await cycle).toMatchObject({ feeds: 1, skipped: 1, failed: 0 });
    const stored = await feed(storage, added.id);
    expect(stored).toMatchObject({ lastFetchAt: null, failures: 0, lastStatus: null });
    // Still claimed: due again when the claim runs out, for whichever instance comes first.
    expect(stored.nextFetchAt).toBe(new Date(Date.parse(START) + 120_000).toISOString());
  });

  it('pollFeed polls one feed now, due or not', async () => {
    const path = fresh('on-demand');
    const url = server.serve(path, { body: feedBody([item(80, SITE)]) });
    const { storage, clock, poller } = setup();
    const added = await addFeed(storage, url, clock.now());
    await poller.pollDue();
    clock.advanceMinutes(1);
    const result = await poller.pollFeed(added.id);
    expect(result).toMatchObject({ feedId: added.id, outcome: 'fetched', status: '200, 1 items, 0 new' });
    expect(server.hits(path)).toBe(2);
    expect(await poller.pollFeed(9999)).toBeUndefined();
  });

  it('refuses a lease that a fetch could outlast', () => {
    expect(() => setup({ leaseMs: 10_000, fetchTimeoutMs: 20_000 })).toThrow(/leaseMs \(10000\) must be longer than fetchTimeoutMs \(20000\)/);
  });
});

describe('feedUserAgent', () => {
  it('names the version and the operator\'s contact, or says there is none', () => {
    expect(feedUserAgent('1.2.3', 'ops@example.org')).toBe('Newsbrief/1.2.3 (+ops@example.org)');
    expect(feedUserAgent('1.2.3', undefined)).toBe('Newsbrief/1.2.3 (no contact given)');
  });
});
