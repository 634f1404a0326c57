// Feeds: (a) poll cycles of N feeds on a loopback publisher through the real FeedPoller on SQLite, cold (every
// feed new) and warm (most answer 304); (b) parse throughput of our parse + entry→article path beside bare
// feedsmith on the same bodies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFeed } from 'feedsmith';
import { entryToArticle, type FeedInfo } from '../adapters/sources/feeds/articles.js';
import { HostLimiter } from '../adapters/sources/feeds/fetch.js';
import { parseFeedBody } from '../adapters/sources/feeds/parse.js';
import { FeedPoller, feedUserAgent, type PollReport } from '../adapters/sources/feeds/poller.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { FeedServer, rss, type RssItem } from '../test/helpers/feed-server.js';
import { fmtCount, fmtMb, fmtMs, median, type Results } from './report.js';

export interface FeedsBenchOptions {
  /** Feeds polled per cycle. */
  feeds: number;
  /** Entries in each feed. */
  itemsPerFeed: number;
  /** Warm cycles timed (the median is reported). */
  warmCycles: number;
  /** Share of feeds that change between cycles (the rest answer 304). */
  changing: number;
  /** Feed bodies parsed for the throughput figure, and how many entries each. */
  parseBodies: number;
  parseItems: number;
  parseRuns: number;
}

const SECTION = 'feeds';
const START = Date.parse('2026-03-10T12:00:00Z');
const WORDS = ['harbour', 'turbine', 'council', 'survey', 'orbit', 'reactor', 'vaccine', 'market', 'glacier', 'compiler', 'rover', 'ledger'];

export async function feedsBench(results: Results, options: FeedsBenchOptions): Promise<void> {
  await pollBench(results, options);
  parseBench(results, options);
}

/** A plausible entry: HTML description of a few sentences, a unique link, a date within the last day. */
function entry(feed: number, n: number): RssItem {
  const w = (k: number) => WORDS[(feed * 7 + n * 3 + k) % WORDS.length]!;
  return {
    guid: `f${feed}-e${n}`,
    link: `https://outlet${feed % 97}.example/${feed}/story-${n}?utm_source=rss`,
    title: `${w(0)} ${w(1)} report ${n} from feed ${feed}: what the ${w(2)} means`,
    date: new Date(START - ((n * 37) % 1440) * 60_000).toUTCString(),
    description:
      `<p>The <b>${w(3)}</b> committee said on Tuesday that the ${w(4)} programme would continue, ` +
      `after a review of ${w(5)} data from ${n + 3} sites. <a href="https://example.org/${n}">Read more</a></p>` +
      `<p>Critics asked whether the ${w(1)} estimates were too optimistic. [&#8230;]</p>`,
  };
}

interface PublishedFeed {
  version: number;
  items: RssItem[];
  next: number;
  body: string;
}

function render(feed: number, state: PublishedFeed): void {
  state.body = rss({ title: `Outlet ${feed} &amp; Co`, site: `https://outlet${feed % 97}.example/` }, state.items);
}

async function pollBench(results: Results, options: FeedsBenchOptions): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'newsbrief-bench-feeds-'));
  const server = await FeedServer.start();
  server.recordRequests = false;
  const storage = openSqliteStorage(path.join(root, 'feeds.db'));
  try {
    const feeds: PublishedFeed[] = [];
    let ms = START;
    for (let f = 0; f < options.feeds; f++) {
      const state: PublishedFeed = { version: 1, items: Array.from({ length: options.itemsPerFeed }, (_, n) => entry(f, n)), next: options.itemsPerFeed, body: '' };
      render(f, state);
      feeds.push(state);
      const url = server.serve(`/feed-${f}.xml`, () => ({ body: state.body, etag: `"v${state.version}"` }));
      await storage.feeds.addFeed({ url, name: null, topics: [WORDS[f % WORDS.length]!], quality: 60 }, new Date(ms));
    }
    const poller = new FeedPoller({
      storage,
      userAgent: feedUserAgent('bench', 'bench@example.org'),
      allowPrivate: true,
      // Every feed here is on one loopback host: the default politeness (1 s between requests to a host) would
      // make a cycle last as many seconds as there are feeds, which measures the limiter, not the poller.
      limiter: new HostLimiter({ perHost: 1000, spacingMs: 0, maxQueuedPerHost: 100_000 }),
      clock: () => new Date(ms),
    });

    const memory = peakMemory();
    const cold = await timed(() => poller.pollDue());
    check(cold.report, { feeds: options.feeds, fetched: options.feeds, failed: 0, newArticles: options.feeds * options.itemsPerFeed }, 'cold cycle');
    results.add({
      section: SECTION,
      name: `cold cycle: ${fmtCount(options.feeds)} feeds × ${options.itemsPerFeed} entries, all new (200)`,
      value: fmtMs(cold.ms),
      note: `${Math.round((options.feeds / cold.ms) * 1000)} feeds/s, ${Math.round(((options.feeds * options.itemsPerFeed) / cold.ms) * 1000)} articles/s stored`,
    });

    const warm: number[] = [];
    let changedTotal = 0;
    for (let cycle = 1; cycle <= options.warmCycles; cycle++) {
      ms += 31 * 60_000;
      let changed = 0;
      const every = Math.round(1 / options.changing);
      for (const [f, state] of feeds.entries()) {
        if ((f + cycle * 7) % every !== 0) continue;
        state.version++;
        state.items = [entry(f, state.next++), ...state.items.slice(0, -1)];
        render(f, state);
        changed++;
      }
      changedTotal += changed;
      const run = await timed(() => poller.pollDue());
      check(run.report, { feeds: options.feeds, fetched: changed, notModified: options.feeds - changed, failed: 0, newArticles: changed }, `warm cycle ${cycle}`);
      warm.push(run.ms);
    }
    // Nothing changed: the cost of claiming, fetching and recording alone, without any ingest.
    ms += 31 * 60_000;
    const still = await timed(() => poller.pollDue());
    check(still.report, { feeds: options.feeds, fetched: 0, notModified: options.feeds, failed: 0 }, 'unchanged cycle');
    const peak = memory.stop();
    const warmMs = median(warm);
    const expectedHits = options.feeds * (2 + options.warmCycles);
    if (server.totalHits !== expectedHits) throw new Error(`feeds bench: ${server.totalHits} requests, expected ${expectedHits} (one per feed per cycle)`);
    results.add({
      section: SECTION,
      name: `warm cycle: ${fmtCount(options.feeds)} feeds, ${Math.round((1 - options.changing) * 100)} % answer 304 (median of ${options.warmCycles})`,
      value: fmtMs(warmMs),
      target: '≤ 60 s (FEEDS_POLL looks every minute)',
      pass: warmMs <= 60_000,
      note: `${Math.round((options.feeds / warmMs) * 1000)} feeds/s; ${Math.round(changedTotal / options.warmCycles)} changed feeds ingested per cycle`,
    });
    results.add({
      section: SECTION,
      name: `unchanged cycle: ${fmtCount(options.feeds)} feeds, all answer 304 (no ingest)`,
      value: fmtMs(still.ms),
      note: `${Math.round((options.feeds / still.ms) * 1000)} feeds/s`,
    });
    results.add({ section: SECTION, name: 'peak RSS during the cycles (poller, SQLite and the loopback publisher in one process)', value: fmtMb(peak.rss) });
    results.add({ section: SECTION, name: 'peak JS heap during the cycles', value: fmtMb(peak.heap) });
    await poller.stop();
  } finally {
    await storage.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

function parseBench(results: Results, options: FeedsBenchOptions): void {
  const bodies = Array.from({ length: options.parseBodies }, (_, f) =>
    rss({ title: `Outlet ${f}`, site: `https://outlet${f}.example/` }, Array.from({ length: options.parseItems }, (_, n) => entry(f, n))),
  );
  const items = options.parseBodies * options.parseItems;
  const now = new Date(START);
  const bare = () => {
    let count = 0;
    for (const body of bodies) {
      const parsed = parseFeed(body);
      count += parsed.format === 'rss' ? (parsed.feed.items?.length ?? 0) : 0;
    }
    return count;
  };
  const ours = () => {
    let count = 0;
    for (const [f, body] of bodies.entries()) {
      const parsed = parseFeedBody(body, `https://outlet${f}.example/feed.xml`);
      if (!parsed.ok) throw new Error(`feeds bench: body ${f} did not parse: ${parsed.reason}`);
      const info: FeedInfo = { feedId: f + 1, feedUrl: `https://outlet${f}.example/feed.xml`, topics: ['Bench'], quality: 60 };
      for (const e of parsed.feed.items) if (entryToArticle(e, info, { now }).ok) count++;
    }
    return count;
  };
  // Warm both paths before timing.
  bare();
  ours();
  const bareMs: number[] = [];
  const oursMs: number[] = [];
  for (let run = 0; run < options.parseRuns; run++) {
    bareMs.push(timedSync(bare, items, 'bare feedsmith'));
    oursMs.push(timedSync(ours, items, 'parseFeedBody + entryToArticle'));
  }
  const b = median(bareMs);
  const o = median(oursMs);
  const rate = (ms: number) => `${fmtCount(Math.round((items / ms) * 1000))} items/s`;
  results.add({ section: SECTION, name: `bare feedsmith parseFeed, ${fmtCount(items)} RSS entries (median of ${options.parseRuns})`, value: rate(b), note: fmtMs(b) });
  results.add({ section: SECTION, name: 'parseFeedBody + entryToArticle, same bodies', value: rate(o), note: fmtMs(o) });
  results.add({ section: SECTION, name: 'ours ÷ bare feedsmith (time)', value: `${(o / b).toFixed(2)}×` });
}

async function timed(fn: () => Promise<PollReport>): Promise<{ ms: number; report: PollReport }> {
  const start = process.hrtime.bigint();
  const report = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, report };
}

function timedSync(fn: () => number, expected: number, what: string): number {
  const start = process.hrtime.bigint();
  const count = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (count !== expected) throw new Error(`feeds bench: ${what} read ${count} entries, expected ${expected}`);
  return ms;
}

function check(report: PollReport, expected: Partial<PollReport>, what: string): void {
  for (const [key, value] of Object.entries(expected)) {
    if (report[key as keyof PollReport] !== value) throw new Error(`feeds bench: ${what}: ${key} was ${report[key as keyof PollReport]}, expected ${value} (${JSON.stringify(report)})`);
  }
}

/** Samples RSS and heap every 20 ms until stopped; returns the highest of each. */
function peakMemory(): { stop(): { rss: number; heap: number } } {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rss, heap };
    },
  };
}
