import { describe, expect, it } from 'vitest';
import type { Article } from '../../src/model.js';
import type { CandidateQuery, Storage } from '../../src/ports.js';
import { makeArticle } from '../helpers/articles.js';
import { entry, indexed, openPerTest, type StorageFactory } from './fixtures.js';

/** The behaviour every ArticleStore must have, run against one backend. */
export function runArticleStoreContract(name: string, factory: StorageFactory): void {
  describe(`ArticleStore contract: ${name}`, () => {
    const open = openPerTest(factory);
    const ids = async (storage: Storage, query: Partial<CandidateQuery> & Pick<CandidateQuery, 'topicKeys'>) =>
      (await storage.articles.candidates({ limit: 10, ...query })).map((c) => c.article.id);

    it('inserts, updates and recognises unchanged articles', async () => {
      const { articles } = await open();
      const a = makeArticle({ topics: ['AI'] });
      expect(await articles.upsertArticles(indexed(a))).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(await articles.upsertArticles(indexed(a))).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect(await articles.upsertArticles(indexed({ ...a, title: 'Changed' }))).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      expect((await articles.getArticle(a.id))?.title).toBe('Changed');
      expect(await articles.articleCount()).toBe(1);
      expect(await articles.getArticle('no-such-id')).toBeUndefined();
    });

    it('counts each article of a mixed batch once', async () => {
      const { articles } = await open();
      const same = makeArticle();
      const changed = makeArticle();
      await articles.upsertArticles(indexed(same, changed));
      const result = await articles.upsertArticles(indexed(same, { ...changed, quality: 99 }, makeArticle()));
      expect(result).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
    });

    it('refuses a batch that gives a stored URL to another article, writing none of it', async () => {
      const { articles } = await open();
      const stored = makeArticle();
      await articles.upsertArticles(indexed(stored));
      const fresh = makeArticle();
      const clash = makeArticle({ id: 'another-id', url: stored.url });
      await expect(articles.upsertArticles(indexed(fresh, clash))).rejects.toThrow();
      expect(await articles.getArticle(fresh.id)).toBeUndefined();
      expect(await articles.articleCount()).toBe(1);
    });

    it('keeps removed articles out of counts, candidates and windows, but still returns the document', async () => {
      const storage = await open();
      const { articles } = storage;
      const live = makeArticle({ topics: ['AI'] });
      const gone = makeArticle({ topics: ['AI'], removed: true });
      await articles.upsertArticles(indexed(live, gone));
      expect(await ids(storage, { topicKeys: ['ai'] })).toEqual([live.id]);
      expect(await articles.topicCounts()).toEqual([{ key: 'ai', name: 'AI', count: 1 }]);
      expect(await articles.articleCount()).toBe(1);
      expect((await articles.getArticle(gone.id))?.removed).toBe(true);
      const window = await articles.windowArticles(new Date('2026-11-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'));
      expect(window.map((a) => a.id)).toEqual([live.id]);
    });

    it('drops the topic entries of an article when it is removed', async () => {
      const storage = await open();
      const a = makeArticle({ topics: ['AI', 'Space'] });
      await storage.articles.upsertArticles(indexed(a));
      await storage.articles.upsertArticles(indexed({ ...a, removed: true }));
      expect(await ids(storage, { topicKeys: ['ai', 'space'] })).toEqual([]);
      expect(await storage.articles.topicMatchCount('ai')).toBe(0);
      expect(await storage.articles.topicCounts()).toEqual([]);
      expect(await storage.articles.articleCount()).toBe(0);
    });

    it('replaces the topic entries of an article that changed', async () => {
      const storage = await open();
      const a = makeArticle({ topics: ['AI'] });
      await storage.articles.upsertArticles(indexed(a));
      await storage.articles.upsertArticles(indexed({ ...a, topics: ['Space'] }));
      expect(await storage.articles.topicMatchCount('ai')).toBe(0);
      expect(await ids(storage, { topicKeys: ['space'] })).toEqual([a.id]);
      expect(await storage.articles.topicCounts()).toEqual([{ key: 'space', name: 'Space', count: 1 }]);
    });

    it('files topics under their canonical alias key (indexArticle and storage together)', async () => {
      const { articles } = await open();
      await articles.upsertArticles(indexed(makeArticle({ topics: ['Artificial Intelligence'] }), makeArticle({ topics: ['ai'] })));
      expect(await articles.topicCounts()).toEqual([{ key: 'ai', name: 'AI', count: 2 }]);
      expect(await articles.topicMatchCount('ai')).toBe(2);
      expect(await articles.topicMatchCount('artificialintelligence')).toBe(0);
    });

    it("names each topic after the article's own spelling even when an alias came first", async () => {
      const { articles } = await open();
      await articles.upsertArticles(indexed(makeArticle({ topics: ['AI', 'Artificial Intelligence', 'Deep Sea Mining'] })));
      expect((await articles.topicCounts()).map((t) => t.name).sort()).toEqual(['AI', 'Deep Sea Mining']);
    });

    it('keeps the first name stored for a topic key', async () => {
      const { articles } = await open();
      // Not in the alias table, so each article names the topic its own way.
      await articles.upsertArticles(indexed(makeArticle({ topics: ['Deep Sea Mining'] })));
      await articles.upsertArticles(indexed(makeArticle({ topics: ['DEEP SEA MINING'] }), makeArticle({ topics: ['deep-sea mining'] })));
      expect(await articles.topicCounts()).toEqual([{ key: 'deepseamining', name: 'Deep Sea Mining', count: 3 }]);
    });

    it('lists topics with most articles first, then by name', async () => {
      const { articles } = await open();
      const about = (topic: string) => makeArticle({ topics: [topic] });
      await articles.upsertArticles(indexed(about('Zed'), about('Beta'), about('Alpha'), about('Beta')));
      expect(await articles.topicCounts()).toEqual([
        { key: 'beta', name: 'Beta', count: 2 },
        { key: 'alpha', name: 'Alpha', count: 1 },
        { key: 'zed', name: 'Zed', count: 1 },
      ]);
    });

    it('returns candidates best-ranked first, skipping excluded ids, up to the limit', async () => {
      const storage = await open();
      const old = makeArticle({ topics: ['Space'], quality: 100, publishedAt: '2026-11-01T00:00:00Z' });
      const fresh = makeArticle({ topics: ['Space'], quality: 50, publishedAt: '2026-11-25T00:00:00Z' });
      const good = makeArticle({ topics: ['Space'], quality: 150, publishedAt: '2026-11-25T00:00:00Z' });
      await storage.articles.upsertArticles(indexed(old, fresh, good));
      expect(await ids(storage, { topicKeys: ['space'] })).toEqual([good.id, fresh.id, old.id]);
      expect(await ids(storage, { topicKeys: ['space'], limit: 1, excludeIds: new Set([good.id]) })).toEqual([fresh.id]);
    });

    it('takes up to the limit per topic key and each article once across keys', async () => {
      const storage = await open();
      // Best in both topics: found under 'ai' first, then skipped under 'space' without using up its limit.
      const both = makeArticle({ topics: ['AI', 'Space'], quality: 150 });
      const ai = [makeArticle({ topics: ['AI'], quality: 100 }), makeArticle({ topics: ['AI'], quality: 50 })];
      const space = [makeArticle({ topics: ['Space'], quality: 100 }), makeArticle({ topics: ['Space'], quality: 50 })];
      await storage.articles.upsertArticles(indexed(both, ...ai, ...space));
      const found = await ids(storage, { topicKeys: ['ai', 'space'], limit: 2 });
      expect(found.sort()).toEqual([both.id, ai[0]!.id, space[0]!.id, space[1]!.id].sort());
    });

    it('reads only a publication window when asked, inclusive at both ends, best-ranked first', async () => {
      const storage = await open();
      const before = makeArticle({ topics: ['Space'], quality: 190, publishedAt: '2026-11-19T23:59:59.999Z' });
      const first = makeArticle({ topics: ['Space'], quality: 40, publishedAt: '2026-11-20T00:00:00.000Z' });
      const best = makeArticle({ topics: ['Space'], quality: 190, publishedAt: '2026-11-24T00:00:00.000Z' });
      const last = makeArticle({ topics: ['Space'], quality: 40, publishedAt: '2026-11-25T00:00:00.000Z' });
      const future = makeArticle({ topics: ['Space'], quality: 190, publishedAt: '2026-11-25T00:00:00.001Z' });
      const other = makeArticle({ topics: ['AI'], publishedAt: '2026-11-22T00:00:00.000Z' });
      const gone = makeArticle({ topics: ['Space'], publishedAt: '2026-11-22T00:00:00.000Z', removed: true });
      await storage.articles.upsertArticles(indexed(before, first, best, last, future, other, gone));
      const since = new Date('2026-11-20T00:00:00.000Z');
      const until = new Date('2026-11-25T00:00:00.000Z');
      const space = (q: Partial<CandidateQuery>) => ids(storage, { topicKeys: ['space'], ...q });
      expect(await space({ since, until })).toEqual([best.id, last.id, first.id]);
      expect(await space({ since, until, limit: 2, excludeIds: new Set([best.id]) })).toEqual([last.id, first.id]);
      expect(await space({ until })).toEqual([best.id, last.id, before.id, first.id]);
      expect(await space({ since })).toEqual([future.id, best.id, last.id, first.id]);
      expect(await space({ since: new Date('2026-11-26T00:00:00Z'), until: new Date('2026-11-27T00:00:00Z') })).toEqual([]);
      // Every topic, oldest first; nothing removed, nothing outside the window.
      const window = await storage.articles.windowArticles(since, until);
      expect(window.map((a) => a.id)).toEqual([first.id, other.id, best.id, last.id]);
    });

    it('reports how an article matches the topic', async () => {
      const { articles } = await open();
      await articles.upsertArticles(indexed(makeArticle({ topics: ['Computer Vision', 'AI'] })));
      expect((await articles.candidates({ topicKeys: ['ai'], limit: 1 }))[0]?.topicMatch).toBeLessThan(1);
      expect((await articles.candidates({ topicKeys: ['computervision'], limit: 1 }))[0]?.topicMatch).toBe(1);
    });

    it('hands back the match it was given, without computing its own', async () => {
      const { articles } = await open();
      await articles.upsertArticles([{ article: makeArticle({ topics: ['AI'] }), topics: [entry('ai', { match: 0.37 })] }]);
      expect((await articles.candidates({ topicKeys: ['ai'], limit: 1 }))[0]?.topicMatch).toBe(0.37);
    });

    it('orders by a 48-hour half-life until the core sets a weight', async () => {
      const storage = await open();
      // Half the quality factor (45 vs 100) is worth exactly one half-life of age.
      const fresh = (topic: string) => makeArticle({ topics: [topic], quality: 45, publishedAt: '2026-11-25T12:00:00Z' });
      const older36h = makeArticle({ topics: ['Space'], quality: 100, publishedAt: '2026-11-24T00:00:00Z' });
      const older60h = makeArticle({ topics: ['Oceans'], quality: 100, publishedAt: '2026-11-23T00:00:00Z' });
      const [freshSpace, freshOceans] = [fresh('Space'), fresh('Oceans')];
      await storage.articles.upsertArticles(indexed(freshSpace, older36h, freshOceans, older60h));
      expect(await storage.articles.rankWeight()).toBeUndefined();
      expect(await ids(storage, { topicKeys: ['space'] })).toEqual([older36h.id, freshSpace.id]);
      expect(await ids(storage, { topicKeys: ['oceans'] })).toEqual([freshOceans.id, older60h.id]);
    });

    it('re-ranks stored and new articles with the weight the core sets', async () => {
      const storage = await open();
      const old = makeArticle({ topics: ['Space'], quality: 100, publishedAt: '2026-11-01T00:00:00Z' });
      const fresh = makeArticle({ topics: ['Space'], quality: 50, publishedAt: '2026-11-25T00:00:00Z' });
      const good = makeArticle({ topics: ['Space'], quality: 150, publishedAt: '2026-11-25T00:00:00Z' });
      await storage.articles.upsertArticles(indexed(old, fresh, good));
      // A ten-year half-life: quality decides.
      const slow = Math.LN2 / (24 * 3650);
      await storage.articles.setRankWeight(slow);
      expect(await storage.articles.rankWeight()).toBe(slow);
      expect(await ids(storage, { topicKeys: ['space'] })).toEqual([good.id, old.id, fresh.id]);
      const older = makeArticle({ topics: ['Space'], quality: 120, publishedAt: '2026-10-01T00:00:00Z' });
      await storage.articles.upsertArticles(indexed(older));
      expect(await ids(storage, { topicKeys: ['space'] })).toEqual([good.id, older.id, old.id, fresh.id]);
      await storage.articles.setRankWeight(Math.LN2 / 48);
      expect(await ids(storage, { topicKeys: ['space'] })).toEqual([good.id, fresh.id, old.id, older.id]);
    });

    // Candidates may be shared between calls (SQLite keeps parsed ones in a cache; readers never change them).
    it('keeps its own copy of what it is given and hands out fresh documents from getArticle', async () => {
      const { articles } = await open();
      const a = makeArticle({ topics: ['AI'], title: 'Original' });
      const batch = indexed(a);
      await articles.upsertArticles(batch);
      a.title = 'Changed by the caller';
      batch[0]!.topics[0]!.match = 0.01;
      const got = (await articles.getArticle(a.id)) as Article;
      got.title = 'Changed by a reader';
      expect((await articles.getArticle(a.id))?.title).toBe('Original');
      expect((await articles.candidates({ topicKeys: ['ai'], limit: 1 }))[0]).toMatchObject({ topicMatch: 1, article: { title: 'Original' } });
    });
  });
}
