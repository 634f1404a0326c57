// The core `ingest` with a source held in memory: no files, no parser, no threads. What it proves holds for
// any ArticleSource, the seed folder being one (test/ingest.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ingest, type IngestReport } from '../src/ingest.js';
import { MAX_LISTED_DUPLICATES, type ArticleSource, type SourceItem, type SourceItemRecord, type SourceProblem, type SourceRead, type Storage } from '../src/index.js';
import type { Article } from '../src/model.js';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { makeArticle } from './helpers/articles.js';

/** One item as the fake source holds it: an article, or a reason it is bad, under a content hash. */
type Entry = { hash: string; article: Partial<Article> } | { hash: string; field?: string; reason: string };

/**
 * A source over a map of items, listed in name order. It keeps the port's promise: an item whose hash
 * matches a known record holding an article comes `unchanged` and is not "parsed"; the rest are.
 */
class MemorySource implements ArticleSource {
  readonly kind = 'memory';
  readonly name = 'test items';
  readonly entries = new Map<string, Entry>();
  /** Names of the items built into articles or rejections, per run. */
  parsed: string[] = [];
  closed = 0;
  /** Called as each item is handed over; tests use it to act mid-run. */
  onYield?: (item: SourceItem) => void;
  // The same entry under the same name builds the same article on every run, as a parser would.
  private readonly built = new Map<string, Article>();

  /** What the source says it left out on purpose, when set. */
  skipped?: SourceProblem[];

  async open(known: ReadonlyMap<string, SourceItemRecord>): Promise<SourceRead> {
    this.parsed = [];
    const names = [...this.entries.keys()].sort();
    const outcome = (name: string): SourceItem => {
      const entry = this.entries.get(name)!;
      const record = known.get(name);
      if (record?.articleId != null && record.contentHash === entry.hash) return { kind: 'unchanged', name, contentHash: entry.hash };
      this.parsed.push(name);
      if ('reason' in entry) return { kind: 'rejected', name, contentHash: entry.hash, ...entry };
      const key = `${name}\n${entry.hash}`;
      if (!this.built.has(key)) this.built.set(key, makeArticle({ ...entry.article, source: name, contentHash: entry.hash }));
      return { kind: 'parsed', name, contentHash: entry.hash, article: this.built.get(key)! };
    };
    const source = this;
    return {
      names,
      problems: [],
      ...(this.skipped ? { skipped: this.skipped } : {}),
      async *items() {
        for (const name of names) {
          const item = outcome(name);
          source.onYield?.(item);
          yield item;
        }
      },
      close: async () => void this.closed++,
    };
  }
}

const URL_A = 'https://publisher.example.com/story';
const storages: Storage[] = [];
const open = () => {
  const storage = createMemoryStorage();
  storages.push(storage);
  return storage;
};

afterEach(async () => {
  vi.restoreAllMocks();
  for (const storage of storages.splice(0)) await storage.close();
});

/** Every item ends up in exactly one bucket. */
function expectBalanced(report: IngestReport) {
  expect(report.accepted + report.updated + report.unchanged + report.duplicates + report.rejected.length).toBe(report.files);
}

const idOf = async (storage: Storage, name: string) => (await storage.sources.sourceItems()).get(name)?.articleId;

describe('ingest from any source', () => {
  it('keeps the better of two copies of one article whatever the item order, on every run', async () => {
    const better = { hash: 'h-better', article: { url: URL_A, title: 'Better', quality: 90 } };
    const worse = { hash: 'h-worse', article: { url: URL_A, title: 'Worse', quality: 20 } };
    for (const [first, second] of [['a', 'b'], ['b', 'a']] as const) {
      const source = new MemorySource();
      source.entries.set(first, better).set(second, worse);
      const storage = open();
      for (let run = 0; run < 3; run++) {
        const report = await ingest(source, storage);
        expect(report).toMatchObject({ files: 2, duplicates: 1, rejected: [] });
        expect(report.accepted + report.unchanged).toBe(1);
        expectBalanced(report);
        const id = await idOf(storage, first);
        expect(await storage.articles.getArticle(id!)).toMatchObject({ title: 'Better', source: first });
        expect(await idOf(storage, second)).toBeNull();
      }
      expect(source.closed).toBe(3);
    }
  });

  it('names each duplicate with the item that holds the article at the end of the run, not the one it lost to', async () => {
    const source = new MemorySource();
    // In listing order each copy beats the one before: a loses to b, then b to c.
    source.entries
      .set('a', { hash: 'h-a', article: { url: URL_A, quality: 10 } })
      .set('b', { hash: 'h-b', article: { url: URL_A, quality: 50 } })
      .set('c', { hash: 'h-c', article: { url: URL_A, quality: 90 } });
    const storage = open();
    const first = await ingest(source, storage);
    expect(first).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(first.duplicateItems).toEqual([
      { file: 'a', keptIn: 'c' },
      { file: 'b', keptIn: 'c' },
    ]);
    // Next run the kept item comes unchanged, unparsed; the others are named the same way.
    const second = await ingest(source, storage);
    expect(second).toMatchObject({ unchanged: 1, duplicates: 2 });
    expect(second.duplicateItems).toEqual(first.duplicateItems);
  });

  it(`names at most ${MAX_LISTED_DUPLICATES} duplicates and counts them all`, async () => {
    const source = new MemorySource();
    source.entries.set('keep', { hash: 'h-keep', article: { url: URL_A, quality: 99 } });
    const copies = MAX_LISTED_DUPLICATES + 7;
    for (let i = 0; i < copies; i++) source.entries.set(`copy-${String(i).padStart(3, '0')}`, { hash: `h-${i}`, article: { url: URL_A, quality: 1 } });
    const report = await ingest(source, open());
    expect(report.duplicates).toBe(copies);
    expect(report.duplicateItems).toHaveLength(MAX_LISTED_DUPLICATES);
    expect(new Set(report.duplicateItems.map((d) => d.file)).size).toBe(MAX_LISTED_DUPLICATES);
    for (const item of report.duplicateItems) expect(item).toEqual({ file: expect.stringMatching(/^copy-\d{3}$/), keptIn: 'keep' });
    expectBalanced(report);
  });

  it('reports what the source skipped on purpose, apart from rejections; nothing when it says nothing', async () => {
    const source = new MemorySource();
    source.entries.set('one', { hash: 'h1', article: {} });
    expect(await ingest(source, open())).toMatchObject({ skipped: [], duplicateItems: [], rejected: [] });
    source.skipped = [{ name: 'link', reason: 'symbolic link, not followed' }];
    const report = await ingest(source, open());
    expect(report).toMatchObject({ files: 1, accepted: 1, rejected: [], skipped: [{ file: 'link', reason: 'symbolic link, not followed' }] });
    expectBalanced(report);
  });

  it('lets a better copy listed before the stored one take the article over, counted as an update', async () => {
    const source = new MemorySource();
    source.entries.set('z', { hash: 'h1', article: { url: URL_A, title: 'First seen', quality: 10 } });
    expect(await ingest(source, open())).toMatchObject({ accepted: 1 });
    const storage = storages[0]!;
    source.entries.set('a', { hash: 'h2', article: { url: URL_A, title: 'Better later', quality: 80 } });
    expect(await ingest(source, storage)).toMatchObject({ files: 2, accepted: 0, updated: 1, unchanged: 0, duplicates: 1 });
    expect(await storage.articles.getArticle((await idOf(storage, 'a'))!)).toMatchObject({ title: 'Better later', source: 'a' });
    // The stored winner is not parsed again; the loser is, so that it can take the article back.
    expect(await ingest(source, storage)).toMatchObject({ unchanged: 1, duplicates: 1, updated: 0 });
    expect(source.parsed).toEqual(['z']);
  });

  it('keeps the stored article when an item turns bad, and picks the item up again once fixed', async () => {
    const source = new MemorySource();
    const good = { hash: 'h-good', article: { url: URL_A, title: 'Stays stored' } };
    source.entries.set('story', good).set('other', { hash: 'h-other', article: {} });
    const storage = open();
    await ingest(source, storage);
    const id = (await idOf(storage, 'story'))!;
    const stored = await storage.articles.getArticle(id);

    source.entries.set('story', { hash: 'h-bad', field: 'title', reason: 'is empty' });
    const broken = await ingest(source, storage);
    expect(broken).toMatchObject({ files: 2, unchanged: 1, rejected: [{ file: 'story', field: 'title', reason: 'is empty' }] });
    expectBalanced(broken);
    expect(await storage.articles.getArticle(id)).toEqual(stored);
    expect((await storage.sources.sourceItems()).get('story')).toEqual({ source: 'story', contentHash: 'h-bad', articleId: null });
    // A rejected item is never skipped as unchanged: it is reported on every run.
    expect((await ingest(source, storage)).rejected).toHaveLength(1);

    source.entries.set('story', good);
    expect(await ingest(source, storage)).toMatchObject({ accepted: 0, updated: 0, unchanged: 2, rejected: [] });
    expect(await idOf(storage, 'story')).toBe(id);
  });

  it('neither parses nor writes items that are unchanged since the last run', async () => {
    const source = new MemorySource();
    source.entries.set('a', { hash: 'h1', article: {} }).set('b', { hash: 'h2', article: {} }).set('bad', { hash: 'h3', reason: 'no front matter' });
    const storage = open();
    expect(await ingest(source, storage)).toMatchObject({ files: 3, accepted: 2 });

    const upsert = vi.spyOn(storage.articles, 'upsertArticles');
    const record = vi.spyOn(storage.sources, 'recordSourceItems');
    const again = await ingest(source, storage);
    expect(again).toMatchObject({ files: 3, accepted: 0, updated: 0, unchanged: 2, duplicates: 0, rejected: [{ file: 'bad', reason: 'no front matter' }] });
    expect(source.parsed).toEqual(['bad']);
    expect(upsert).not.toHaveBeenCalled();
    expect(record).not.toHaveBeenCalled();
  });

  it('writes articles in batches of at most 500, each before its records, and reports progress', async () => {
    const source = new MemorySource();
    for (let i = 0; i < 1200; i++) source.entries.set(`item-${String(i).padStart(4, '0')}`, { hash: `h${i}`, article: {} });
    const storage = open();
    const calls: string[] = [];
    const upsert = storage.articles.upsertArticles.bind(storage.articles);
    vi.spyOn(storage.articles, 'upsertArticles').mockImplementation(async (articles) => {
      calls.push(`articles ${articles.length}`);
      return upsert(articles);
    });
    const record = storage.sources.recordSourceItems.bind(storage.sources);
    vi.spyOn(storage.sources, 'recordSourceItems').mockImplementation(async (records) => {
      calls.push(`records ${records.length}`);
      return record(records);
    });
    const progress: number[] = [];
    const report = await ingest(source, storage, { onProgress: (done, total) => progress.push(done / total) });
    expect(report).toMatchObject({ files: 1200, accepted: 1200 });
    expect(calls).toEqual(['articles 500', 'records 500', 'articles 500', 'records 500', 'articles 200', 'records 200']);
    expect(progress).toHaveLength(12);
    expect(progress.at(-1)).toBe(1);
  });

  it('stops between items when aborted, leaving nothing half-recorded, and the next run stores everything', async () => {
    const source = new MemorySource();
    for (const name of ['a', 'b', 'c']) source.entries.set(name, { hash: `h-${name}`, article: {} });
    const storage = open();
    const controller = new AbortController();
    source.onYield = (item) => item.name === 'b' && controller.abort(new Error('shutting down'));
    await expect(ingest(source, storage, { signal: controller.signal })).rejects.toThrow('shutting down');
    expect(source.closed).toBe(1);
    expect((await storage.sources.sourceItems()).size).toBe(0);
    source.onYield = undefined;
    expect(await ingest(source, storage)).toMatchObject({ accepted: 3 });
  });

  it('refuses a source that calls an item unchanged when nothing is stored for it, naming the source', async () => {
    const liar: ArticleSource = {
      kind: 'memory',
      name: 'liar',
      open: async () => ({
        names: ['x'],
        problems: [],
        async *items() {
          yield { kind: 'unchanged', name: 'x', contentHash: 'h' } satisfies SourceItem;
        },
        close: async () => {},
      }),
    };
    await expect(ingest(liar, open())).rejects.toThrow('memory source liar: item x came unchanged, but no article is stored for its content');
  });

  it('reports the parts of a source it could not list before the items', async () => {
    const source: ArticleSource = {
      kind: 'memory',
      name: 'partial',
      open: async () => ({
        names: ['x'],
        problems: [{ name: 'sub/', reason: 'could not read folder: EACCES' }],
        async *items() {
          yield { kind: 'rejected', name: 'x', reason: 'empty file' } satisfies SourceItem;
        },
        close: async () => {},
      }),
    };
    const report = await ingest(source, open());
    expect(report).toMatchObject({ files: 1, rejected: [{ file: 'sub/', reason: 'could not read folder: EACCES' }, { file: 'x', reason: 'empty file' }] });
  });
});
