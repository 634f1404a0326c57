// One article reaching the store through two sources (a seed file and a feed, or two feeds): the core's
// ingest keeps the better copy whichever source runs first, and re-running either changes nothing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { articleIdFor } from '../adapters/sources/article-id.js';
import type { FeedInfo } from '../adapters/sources/feeds/articles.js';
import { parseFeedBody } from '../adapters/sources/feeds/parse.js';
import { FeedBodySource } from '../adapters/sources/feeds/source.js';
import { ingestSeedFolder, seedFolderSource } from '../adapters/sources/seed-folder/index.js';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { ingest, type ArticleSource, type IngestReport, type SourceItemRecord, type Storage } from '../src/index.js';
import { makeArticle } from './helpers/articles.js';
import { makeTempDir, removeDir, seedFields, seedText, writeSeeds } from './helpers/seed-files.js';

const now = new Date('2026-03-03T12:00:00Z');
const URL_SHARED = 'https://tidewater.example/2026/03/gull-ferry';
const ID = articleIdFor(URL_SHARED);

const storages: Storage[] = [];
const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const storage of storages.splice(0)) await storage.close();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function memory(): Storage {
  const storage = createMemoryStorage();
  storages.push(storage);
  return storage;
}

/** A seed folder holding one file about the shared URL. */
function seedFolder(fields: Record<string, unknown>): string {
  const dir = makeTempDir();
  dirs.push(dir);
  writeSeeds(dir, {
    'ferry.md': seedText(seedFields({ webUrl: URL_SHARED, title: 'Gull ferry adds night crossings (seed)', publishedDateTime: '2026-03-03T06:00:00Z', ...fields })),
  });
  return dir;
}

/** A feed whose one entry links to the shared URL (with campaign tags, which do not change its id). */
function feed(feedInfo: Partial<FeedInfo> & { feedId: number }, title = 'Gull ferry adds night crossings (feed)'): () => FeedBodySource {
  const feedUrl = `https://feeds.example/${feedInfo.feedId}.xml`;
  const body = `<rss version="2.0"><channel><title>Feed ${feedInfo.feedId}</title><link>https://feeds.example/</link><description>d</description>
    <item><title>${title}</title><link>${URL_SHARED}?utm_source=feed&amp;utm_medium=rss</link><guid>ferry</guid><pubDate>Tue, 03 Mar 2026 07:00:00 GMT</pubDate></item>
  </channel></rss>`;
  const parsed = parseFeedBody(body, feedUrl);
  if (!parsed.ok) throw new Error(parsed.reason);
  return () => new FeedBodySource({ feedUrl, topics: ['Harbour'], ...feedInfo }, parsed.feed, now);
}

type Run = (storage: Storage) => Promise<IngestReport>;

/** Both orders of two runs, each on a fresh storage; then each run again, which must write nothing. */
async function inBothOrders(first: Run, second: Run, check: (storage: Storage) => Promise<void>) {
  const outcomes: unknown[] = [];
  for (const [a, b] of [[first, second], [second, first]] as const) {
    const storage = memory();
    await a(storage);
    await b(storage);
    await check(storage);
    expect(await storage.articles.articleCount()).toBe(1);
    const settled = { article: await storage.articles.getArticle(ID), records: [...(await storage.sources.sourceItems()).values()].sort((x, y) => (x.source < y.source ? -1 : 1)) };
    const upsert = vi.spyOn(storage.articles, 'upsertArticles');
    const record = vi.spyOn(storage.sources, 'recordSourceItems');
    for (const run of [a, b, a]) {
      const report = await run(storage);
      expect(report).toMatchObject({ accepted: 0, updated: 0, rejected: [] });
      expect(report.unchanged + report.duplicates).toBe(1);
    }
    expect(upsert).not.toHaveBeenCalled();
    expect(record).not.toHaveBeenCalled();
    upsert.mockRestore();
    record.mockRestore();
    outcomes.push(settled);
  }
  // The same article and the same records, whichever source ran first.
  expect(outcomes[1]).toEqual(outcomes[0]);
}

describe('ingest across sources', () => {
  it('has each source own only its own item names', () => {
    const seeds = seedFolderSource('/nowhere');
    expect(['a.md', 'news/2026/b.TXT'].map((n) => seeds.owns!(n))).toEqual([true, true]);
    expect(['feed:1/0123456789abcdef', 'feed:1/0123456789abcdef#2', 'folder/'].map((n) => seeds.owns!(n))).toEqual([false, false, false]);
    const one = feed({ feedId: 1 })();
    expect(['feed:1/0123456789abcdef', 'feed:12/0123456789abcdef', 'a.md'].map((n) => one.owns(n))).toEqual([true, false, false]);
  });

  it("keeps the publisher's own seed copy over a feed's copy, whichever runs first", async () => {
    const dir = seedFolder({ provider: { name: 'Tidewater Post', domain: 'tidewater.example' }, quality: 40 });
    // The feed is an aggregator's (its site is not the article's), though weighted higher.
    const aggregator = feed({ feedId: 1, siteUrl: 'https://feeds.example/', quality: 90 });
    const seedRun: Run = (storage) => ingestSeedFolder(dir, storage, { workers: 0 });
    const feedRun: Run = (storage) => ingest(aggregator(), storage);
    await inBothOrders(seedRun, feedRun, async (storage) => {
      expect(await storage.articles.getArticle(ID)).toMatchObject({ title: 'Gull ferry adds night crossings (seed)', source: 'ferry.md', url: URL_SHARED });
      const records = await storage.sources.sourceItems();
      expect(records.get('ferry.md')?.articleId).toBe(ID);
      expect([...records.values()].find((r) => r.source.startsWith('feed:1/'))).toMatchObject({ articleId: null });
    });
  });

  it("keeps the publisher's feed copy over an aggregator's seed copy, whichever runs first", async () => {
    const dir = seedFolder({ provider: { name: 'Aggregated', domain: 'aggregator.example' }, quality: 90 });
    const publisher = feed({ feedId: 2, siteUrl: 'https://www.tidewater.example/', quality: 40 });
    let seedReport: IngestReport | undefined;
    const seedRun: Run = async (storage) => (seedReport = await ingestSeedFolder(dir, storage, { workers: 0 }));
    const feedRun: Run = (storage) => ingest(publisher(), storage);
    await inBothOrders(seedRun, feedRun, async (storage) => {
      expect(await storage.articles.getArticle(ID)).toMatchObject({ title: 'Gull ferry adds night crossings (feed)', provider: { domain: 'tidewater.example' }, quality: 40 });
      expect((await storage.sources.sourceItems()).get('ferry.md')?.articleId).toBeNull();
    });
    // The seed file, run last in the second order, was counted a duplicate.
    expect(seedReport).toMatchObject({ files: 1, duplicates: 1 });
  });

  it('keeps the better of two feeds\u2019 copies, whichever feed is polled first', async () => {
    const weak = feed({ feedId: 3, quality: 30 }, 'Ferry story (weak feed)');
    const strong = feed({ feedId: 4, quality: 80 }, 'Ferry story (strong feed)');
    await inBothOrders(
      (storage) => ingest(weak(), storage),
      (storage) => ingest(strong(), storage),
      async (storage) => {
        expect(await storage.articles.getArticle(ID)).toMatchObject({ title: 'Ferry story (strong feed)', quality: 80 });
      },
    );
  });

  it('takes the article over, counted as an update, when the better copy arrives second', async () => {
    const storage = memory();
    const dir = seedFolder({ provider: { name: 'Tidewater Post', domain: 'tidewater.example' }, quality: 40 });
    expect(await ingest(feed({ feedId: 1, quality: 90 })(), storage)).toMatchObject({ accepted: 1 });
    expect(await ingestSeedFolder(dir, storage, { workers: 0 })).toMatchObject({ files: 1, accepted: 0, updated: 1, duplicates: 0 });
    // The feed's item, displaced, is counted as a duplicate when the feed comes round again.
    expect(await ingest(feed({ feedId: 1, quality: 90 })(), storage)).toMatchObject({ files: 1, accepted: 0, updated: 0, duplicates: 1 });
  });

  it('keeps the copy of a feed entry that has left the feed against a worse seed copy', async () => {
    const storage = memory();
    const publisher = feed({ feedId: 2, siteUrl: 'https://tidewater.example/', quality: 60 });
    await ingest(publisher(), storage);
    // The entry rolls out of the feed; the feed's other items are all that is listed now.
    const parsedEmpty = parseFeedBody('<rss version="2.0"><channel><title>Feed 2</title></channel></rss>', 'https://feeds.example/2.xml');
    if (!parsedEmpty.ok) throw new Error(parsedEmpty.reason);
    await ingest(new FeedBodySource({ feedId: 2, feedUrl: 'https://feeds.example/2.xml', topics: ['Harbour'] }, parsedEmpty.feed, now), storage);
    const dir = seedFolder({ provider: { name: 'Aggregated', domain: 'aggregator.example' }, quality: 60 });
    expect(await ingestSeedFolder(dir, storage, { workers: 0 })).toMatchObject({ accepted: 0, updated: 0, duplicates: 1 });
    expect(await storage.articles.getArticle(ID)).toMatchObject({ title: 'Gull ferry adds night crossings (feed)' });
  });

  it('replaces another source\u2019s copy, as before, when a source does not say which items are its own', async () => {
    const storage = memory();
    const dir = seedFolder({ provider: { name: 'Tidewater Post', domain: 'tidewater.example' }, quality: 90 });
    await ingestSeedFolder(dir, storage, { workers: 0 });
    const worse = makeArticle({ id: ID, url: URL_SHARED, title: 'Worse copy', quality: 10, source: 'plain/1', contentHash: 'h-plain' });
    const plain: ArticleSource = {
      kind: 'plain',
      name: 'a source without owns',
      async open(_known: ReadonlyMap<string, SourceItemRecord>) {
        return {
          names: ['plain/1'],
          problems: [],
          async *items() {
            yield { kind: 'parsed' as const, name: 'plain/1', contentHash: 'h-plain', article: worse };
          },
          close: async () => {},
        };
      },
    };
    expect(await ingest(plain, storage)).toMatchObject({ updated: 1, duplicates: 0 });
    expect(await storage.articles.getArticle(ID)).toMatchObject({ title: 'Worse copy' });
  });
});
