// The feed source on its own (the SourceRead contract) and through the real core: ingest into the memory
// storage, then /news and story grouping over feed and seed articles together.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { feedItemName, type FeedInfo } from '../adapters/sources/feeds/articles.js';
import { parseFeedBody, type ParsedFeed } from '../adapters/sources/feeds/parse.js';
import { FeedBodySource } from '../adapters/sources/feeds/source.js';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { ingest, Newsbrief, type SourceItem, type SourceItemRecord, type Storage } from '../src/index.js';
import { makeTempDir, removeDir, seedFields, seedText, writeSeeds } from './helpers/seed-files.js';

const now = new Date('2026-03-03T12:00:00Z');
const FEED_URL = 'https://www.harbourhill.example/rss.xml';
const info: FeedInfo = { feedId: 4, feedUrl: FEED_URL, topics: ['Harbour'], quality: 60 };

interface Item {
  guid?: string;
  link?: string;
  title?: string;
  date?: string;
  description?: string;
}

/** An RSS 2.0 body with these entries. */
function rss(items: Item[]): string {
  const tag = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${value}</${name}>`);
  const body = items
    .map((i) => `<item>${tag('title', i.title)}${tag('link', i.link)}${tag('guid', i.guid)}${tag('pubDate', i.date)}${tag('description', i.description)}</item>`)
    .join('\n');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour &amp; Hill Gazette</title><link>https://www.harbourhill.example/</link><description>d</description>${body}</channel></rss>`;
}

const story = (n: number, overrides: Item = {}): Item => ({
  guid: `hh-${n}`,
  link: `https://www.harbourhill.example/news/${n}`,
  title: `Harbour story number ${n}`,
  date: 'Tue, 03 Mar 2026 08:00:00 GMT',
  ...overrides,
});

function parse(body: string): ParsedFeed {
  const result = parseFeedBody(body, FEED_URL);
  if (!result.ok) throw new Error(result.reason);
  return result.feed;
}

async function readAll(source: FeedBodySource, known: ReadonlyMap<string, SourceItemRecord> = new Map()) {
  const read = await source.open(known);
  const items: SourceItem[] = [];
  for await (const item of read.items()) items.push(item);
  await read.close();
  return { names: read.names, problems: read.problems, items };
}

const storages: Storage[] = [];
const dirs: string[] = [];
function memory(): Storage {
  const storage = createMemoryStorage();
  storages.push(storage);
  return storage;
}
afterEach(async () => {
  vi.restoreAllMocks();
  for (const storage of storages.splice(0)) await storage.close();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

describe('FeedBodySource', () => {
  it('lists every entry first, then yields each once in that order, named under its feed', async () => {
    const source = new FeedBodySource(info, parse(rss([story(1), story(2), story(3)])), now);
    expect(source).toMatchObject({ kind: 'feed', name: FEED_URL });
    const { names, problems, items } = await readAll(source);
    expect(names).toEqual(['hh-1', 'hh-2', 'hh-3'].map((guid) => feedItemName(4, { guid, authors: [], images: [], media: [], categories: [] })));
    expect(problems).toEqual([]);
    expect(items.map((i) => i.name)).toEqual(names);
    expect(items.map((i) => i.kind)).toEqual(['parsed', 'parsed', 'parsed']);
    const first = items[0]!;
    if (first.kind !== 'parsed') throw new Error('expected a parsed item');
    // The article names its item and hash, and the feed's title fills in for the provider's name.
    expect(first.article).toMatchObject({ source: first.name, contentHash: first.contentHash, provider: { name: 'Harbour & Hill Gazette', domain: 'harbourhill.example' } });
  });

  it("fills in the feed's own title and site where the stored feed has none", async () => {
    const source = new FeedBodySource({ ...info, name: null, feedTitle: null, siteUrl: null }, parse(rss([story(1)])), now);
    const [item] = (await readAll(source)).items;
    expect(item!.kind === 'parsed' && item!.article.provider).toEqual({ name: 'Harbour & Hill Gazette', domain: 'harbourhill.example' });
    const named = new FeedBodySource({ ...info, name: 'HHG', siteUrl: 'https://hhg.example/' }, parse(rss([story(1)])), now);
    const [other] = (await readAll(named)).items;
    expect(other!.kind === 'parsed' && other!.article.provider).toEqual({ name: 'HHG', domain: 'hhg.example' });
  });

  it('owns only the item names of its own feed', () => {
    const source = new FeedBodySource(info, parse(rss([])), now);
    expect(source.owns('feed:4/0123456789abcdef')).toBe(true);
    expect(source.owns('feed:4/0123456789abcdef#2')).toBe(true);
    expect(source.owns('feed:41/0123456789abcdef')).toBe(false);
    expect(source.owns('news/2026/story.md')).toBe(false);
  });

  it('rejects later entries with a guid already seen, naming the guid, under names of their own', async () => {
    const source = new FeedBodySource(info, parse(rss([story(1), story(2, { guid: 'hh-1', title: 'Copy' }), story(3, { guid: 'hh-1' })])), now);
    const { names, items } = await readAll(source);
    expect(new Set(names).size).toBe(3);
    expect(names.slice(1)).toEqual([`${names[0]}#2`, `${names[0]}#3`]);
    expect(items.map((i) => i.kind)).toEqual(['parsed', 'rejected', 'rejected']);
    expect(items[1]).toMatchObject({ field: 'guid', reason: 'duplicate guid "hh-1": an earlier entry of the feed has it, and that one is kept' });
    // Without a guid, the link is what repeats.
    const byLink = await readAll(new FeedBodySource(info, parse(rss([story(5, { guid: undefined }), story(6, { guid: undefined, link: story(5).link })])), now));
    expect(byLink.items[1]).toMatchObject({ kind: 'rejected', field: 'link', reason: expect.stringContaining('duplicate link "https://www.harbourhill.example/news/5"') });
  });

  it('yields an entry unchanged only when its hash matches a remembered record that holds an article', async () => {
    const source = new FeedBodySource(info, parse(rss([story(1), story(2), story(3)])), now);
    const first = await readAll(source);
    const hash = (i: number) => first.items[i]!.contentHash!;
    const known = new Map<string, SourceItemRecord>([
      [first.names[0]!, { source: first.names[0]!, contentHash: hash(0), articleId: 'a1' }],
      // Same content, but it held no article (a duplicate last time): built again.
      [first.names[1]!, { source: first.names[1]!, contentHash: hash(1), articleId: null }],
      [first.names[2]!, { source: first.names[2]!, contentHash: 'older', articleId: 'a3' }],
    ]);
    expect((await readAll(source, known)).items.map((i) => i.kind)).toEqual(['unchanged', 'parsed', 'parsed']);
  });

  it('reports a feed cut to 500 entries as a problem, and stops yielding once closed', async () => {
    const many = Array.from({ length: 600 }, (_, i) => story(i + 1));
    const source = new FeedBodySource(info, parse(rss(many)), now);
    const read = await source.open(new Map());
    expect(read.names).toHaveLength(500);
    expect(read.problems).toEqual([{ name: 'feed:4/', reason: 'the feed lists more than 500 entries: only the first 500 were read' }]);
    const seen: string[] = [];
    for await (const item of read.items()) {
      seen.push(item.name);
      if (seen.length === 2) await read.close();
    }
    expect(seen).toHaveLength(2);
  });

  it('rejects, naming the field, what cannot become an article', async () => {
    const body = readFileSync(path.join(import.meta.dirname, 'fixtures', 'feeds', 'rss2-edge.xml'), 'utf8');
    const { items } = await readAll(new FeedBodySource({ ...info, feedUrl: 'https://edge.example/feed' }, parse(body), now));
    const rejected = items.filter((i) => i.kind === 'rejected').map((i) => ({ field: i.field, reason: i.reason }));
    expect(rejected).toEqual([
      { field: 'guid', reason: 'duplicate guid "edge-4": an earlier entry of the feed has it, and that one is kept' },
      { field: 'link', reason: 'not an http(s) URL (javascript:)' },
      { field: 'title', reason: 'missing or empty' },
      { field: 'link', reason: 'missing, and the guid is not an http(s) URL' },
    ]);
    expect(items.filter((i) => i.kind === 'parsed')).toHaveLength(6);
  });
});

describe('a feed through ingest', () => {
  it('stores its entries, reports the bad ones, and a second poll of the same body writes nothing', async () => {
    const storage = memory();
    const body = rss([story(1), story(2), story(3, { link: 'javascript:void(0)' }), story(4, { guid: 'hh-1' })]);
    const report = await ingest(new FeedBodySource(info, parse(body), now), storage);
    expect(report).toMatchObject({ files: 4, accepted: 2, updated: 0, unchanged: 0, duplicates: 0 });
    expect(report.rejected.map((r) => r.field)).toEqual(['link', 'guid']);
    expect(await storage.articles.articleCount()).toBe(2);

    const upsert = vi.spyOn(storage.articles, 'upsertArticles');
    const record = vi.spyOn(storage.sources, 'recordSourceItems');
    // The next poll, an hour later: same body, so nothing is built, dated or written again.
    const again = await ingest(new FeedBodySource(info, parse(body), new Date(now.getTime() + 3_600_000)), storage);
    expect(again).toMatchObject({ files: 4, accepted: 0, updated: 0, unchanged: 2 });
    expect(upsert).not.toHaveBeenCalled();
    expect(record).not.toHaveBeenCalled();
  });

  it('keeps the first-seen date of an undated entry while it does not change, and stores an edited one again', async () => {
    const storage = memory();
    const undated = story(1, { date: undefined });
    await ingest(new FeedBodySource(info, parse(rss([undated, story(2)])), now), storage);
    // A poll later, another entry arrives first and the undated one is unchanged.
    const later = new Date(now.getTime() + 7_200_000);
    const report = await ingest(new FeedBodySource(info, parse(rss([story(3), undated, story(2)])), later), storage);
    expect(report).toMatchObject({ accepted: 1, unchanged: 2, updated: 0 });
    const stored = await storage.articles.getArticle((await storage.sources.sourceItems()).get(feedItemName(4, { guid: 'hh-1', authors: [], images: [], media: [], categories: [] }))!.articleId!);
    expect(stored).toMatchObject({ publishedAt: now.toISOString(), extra: { publishedAtEstimated: 'missing' } });

    const edited = await ingest(new FeedBodySource(info, parse(rss([story(3), { ...undated, title: 'Harbour story one, corrected' }, story(2)])), later), storage);
    expect(edited).toMatchObject({ updated: 1, unchanged: 2 });
  });

  it('shows its entries in /news for its topic, and groups a feed article and a seed article about one event', async () => {
    const storage = memory();
    const dir = makeTempDir();
    dirs.push(dir);
    writeSeeds(dir, {
      'harbour/ferry.md': seedText(
        seedFields({
          title: 'Gull ferry adds night crossings until 1 a.m. on Fridays and Saturdays',
          excerpt: 'The port authority extends the Gull ferry timetable with late crossings at weekends from April.',
          webUrl: 'https://tidewater.example/2026/03/gull-ferry-night-crossings',
          publishedDateTime: '2026-03-03T06:00:00Z',
          provider: { name: 'Tidewater Post', domain: 'tidewater.example' },
          quality: 70,
          topics: ['Harbour'],
        }),
      ),
    });
    await ingestSeedFolder(dir, storage, { workers: 0 });

    const body = rss([
      story(1, {
        title: 'Night crossings: Gull ferry to run until 1 a.m. at weekends',
        description: 'From April the Gull ferry timetable adds late crossings on Fridays and Saturdays, the port authority said.',
        date: 'Tue, 03 Mar 2026 08:15:00 GMT',
      }),
      story(2, { title: 'Harbour wall repairs close the east promenade for six weeks', description: 'Masons rebuild the storm-damaged wall from Monday.' }),
      story(3, { title: 'Lifeboat crew rescues two kayakers off Gannet Point', description: 'Both were brought ashore unhurt after an hour in the water.' }),
      story(4, { title: 'Fish market reopens after roof replacement', description: 'Traders return to the quay hall on Thursday.' }),
    ]);
    const report = await ingest(new FeedBodySource(info, parse(body), now), storage);
    expect(report).toMatchObject({ files: 4, accepted: 4, rejected: [] });

    const app = new Newsbrief({ storage, clock: () => now });
    const news = await app.news('harbour', { count: 10 });
    if (!news.ok) throw new Error(`expected a digest, got ${news.code}`);
    expect(news.digest.topic).toBe('Harbour');
    const urls = news.digest.items.flatMap((i) => [i.url, ...i.alsoCoveredBy.map((c) => c.url)]);
    expect(urls).toEqual(expect.arrayContaining([
      'https://www.harbourhill.example/news/1',
      'https://www.harbourhill.example/news/2',
      'https://www.harbourhill.example/news/3',
      'https://www.harbourhill.example/news/4',
      'https://tidewater.example/2026/03/gull-ferry-night-crossings',
    ]));
    // The two ferry articles are one story: one digest item, the other folded into it.
    expect(news.digest.items).toHaveLength(4);
    const ferry = news.digest.items.find((i) => i.title.includes('Gull ferry'))!;
    expect([ferry.url, ...ferry.alsoCoveredBy.map((c) => c.url)].sort()).toEqual([
      'https://tidewater.example/2026/03/gull-ferry-night-crossings',
      'https://www.harbourhill.example/news/1',
    ]);
    const stories = await app.stories('harbour');
    expect(stories.ok && stories.stories.map((s) => s.articles.length).sort()).toEqual([1, 1, 1, 2]);
  });
});
