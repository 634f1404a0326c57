import { describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { buildDigest, cutAtWord, cutExcerpt, DIGEST } from '../src/digest.js';
import { makeArticle, makeRelated } from './helpers/articles.js';
import { indexArticles } from '../src/index.js';

const now = new Date('2026-11-26T12:00:00Z');
const space = { key: 'space', name: 'Space' };

async function storeWith(...articles: ReturnType<typeof makeArticle>[]) {
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(articles));
  return store;
}

describe('buildDigest', () => {
  it('returns plain data: topic, time, items with url, provider, excerpt, related and score', async () => {
    const a = makeArticle({
      topics: ['Space'],
      title: 'Comet Borisov sheds its tail near Mars',
      related: [makeRelated({ title: 'Why comet Borisov lost its tail' })],
    });
    const digest = await buildDigest((await storeWith(a)).articles, space, { now, count: 5 });
    expect(digest).toMatchObject({ topic: 'Space', topicKey: 'space', generatedAt: now.toISOString(), matched: 1 });
    expect(digest.items[0]).toMatchObject({ articleId: a.id, title: a.title, url: a.url, provider: a.provider, publishedAt: a.publishedAt });
    expect(digest.items[0]!.related).toHaveLength(1);
    expect(digest.items[0]!.score.total).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(digest))).toEqual(digest);
  });

  it('orders items by score and honours the count', async () => {
    const low = makeArticle({ topics: ['Space'], quality: 10, title: 'Low quality item about rockets' });
    const high = makeArticle({ topics: ['Space'], quality: 150, title: 'High quality item about telescopes' });
    const mid = makeArticle({ topics: ['Space'], quality: 70, title: 'Middle item about lunar landers' });
    const digest = await buildDigest((await storeWith(low, high, mid)).articles, space, { now, count: 2 });
    expect(digest.items.map((i) => i.articleId)).toEqual([high.id, mid.id]);
  });

  it('shows the same story from several outlets once, with the others as also-covered-by links', async () => {
    const a = makeArticle({ topics: ['Space'], quality: 90, title: 'Orbital Labs launches first reusable upper stage' });
    const b = makeArticle({ topics: ['Space'], quality: 60, title: 'Orbital Labs Launches First Reusable Upper Stage, a Milestone' });
    const digest = await buildDigest((await storeWith(a, b)).articles, space, { now, count: 5 });
    expect(digest.items).toHaveLength(1);
    expect(digest.items[0]!.alsoCoveredBy.map((l) => l.url)).toEqual([b.url]);
    expect(digest.items[0]!.articleIds).toEqual([a.id, b.id]);
  });

  it('never links a related page that is already an item or folded story', async () => {
    const b = makeArticle({ topics: ['Space'], title: 'Second outlet take on the launch event today' });
    const a = makeArticle({
      topics: ['Space'],
      quality: 90,
      title: 'Rocket launch first outlet',
      related: [makeRelated({ url: b.url, title: 'Rocket launch event' }), makeRelated({ title: 'What the rocket launch means' })],
    });
    const item = (await buildDigest((await storeWith(a, b)).articles, space, { now, count: 5 })).items[0]!;
    expect(item.related.map((r) => r.url)).not.toContain(b.url);
    expect(item.related).toHaveLength(1);
  });

  it('leaves out excluded articles (already delivered)', async () => {
    const a = makeArticle({ topics: ['Space'], title: 'First distinct story about comets' });
    const b = makeArticle({ topics: ['Space'], title: 'Second distinct story about asteroids' });
    const digest = await buildDigest((await storeWith(a, b)).articles, space, { now, count: 5, excludeIds: new Set([a.id]) });
    expect(digest.items.map((i) => i.articleId)).toEqual([b.id]);
  });

  it('cuts long excerpts at a word boundary', async () => {
    const long = 'word '.repeat(400).trim();
    const a = makeArticle({ topics: ['Space'], excerpt: long });
    const item = (await buildDigest((await storeWith(a)).articles, space, { now, count: 1 })).items[0]!;
    expect(item.excerpt.length).toBeLessThanOrEqual(DIGEST.EXCERPT_LENGTH);
    expect(item.excerpt.endsWith('word…')).toBe(true);
  });

  it('returns an empty list, not an error, when nothing is left', async () => {
    const digest = await buildDigest(openSqliteStorage(':memory:').articles, space, { now, count: 5 });
    expect(digest.items).toEqual([]);
    expect(digest.matched).toBe(0);
  });
});

describe('cutExcerpt', () => {
  it('leaves short text that ends a sentence alone', async () => {
    expect(cutExcerpt('Short text.', 50)).toBe('Short text.');
    expect(cutExcerpt('He said "yes"', 50)).toBe('He said "yes"');
  });
  it('ends text the source cut mid-sentence with an ellipsis', async () => {
    expect(cutExcerpt('The company said on Monday that it would,', 80)).toBe('The company said on Monday that it would…');
  });
  it('keeps the added ellipsis within the limit', async () => {
    expect(cutExcerpt('exactly ten', 11)).toBe('exactly…');
  });
  it('cuts long text like cutAtWord', async () => {
    expect(cutExcerpt('The quick brown fox, jumps over', 22)).toBe(cutAtWord('The quick brown fox, jumps over', 22));
  });
});

describe('buildDigest: freshness, outlets and related links', () => {
  const titles = ['Comet flyby lights up the southern sky', 'Lunar rover finds ice in a polar crater', 'Solar storm disrupts radio across Europe', 'Asteroid sample capsule lands in the desert', 'Telescope mirror segments pass cold test'];
  const outlet = (n: number) => ({ provider: { name: `Outlet ${n}`, domain: `outlet${n}.example.com` }, url: `https://outlet${n}.example.com/${Math.random().toString(36).slice(2)}` });

  it('never shows an article dated after now', async () => {
    const past = makeArticle({ topics: ['Space'], title: titles[0], publishedAt: '2026-11-26T06:00:00.000Z' });
    const future = makeArticle({ topics: ['Space'], title: titles[1], publishedAt: '2026-11-26T18:00:00.000Z', quality: 150 });
    const digest = await buildDigest((await storeWith(past, future)).articles, space, { now, count: 5 });
    expect(digest.items.map((i) => i.articleId)).toEqual([past.id]);
  });

  it('ranks the recent window, and says so when it is empty, showing the latest stories', async () => {
    const old = makeArticle({ topics: ['Space'], title: titles[0], publishedAt: '2026-10-01T06:00:00.000Z' });
    const digest = await buildDigest((await storeWith(old)).articles, space, { now, count: 5 });
    expect(digest.stale).toBe(true);
    expect(digest.items.map((i) => i.articleId)).toEqual([old.id]);
    const recent = makeArticle({ topics: ['Space'], title: titles[1], publishedAt: '2026-11-25T06:00:00.000Z' });
    const fresh = await buildDigest((await storeWith(old, recent)).articles, space, { now, count: 5 });
    expect(fresh.stale).toBeUndefined();
    expect(fresh.items.map((i) => i.articleId)).toEqual([recent.id]);
    // A scheduler passing `since` gets nothing rather than old news.
    expect((await buildDigest((await storeWith(old)).articles, space, { now, count: 5, since: new Date('2026-11-25T00:00:00Z') })).items).toEqual([]);
  });

  it('caps the items from one outlet', async () => {
    const same = titles.map((title, i) => makeArticle({ topics: ['Space'], title, quality: 100 - i, ...outlet(1) }));
    const other = makeArticle({ topics: ['Space'], title: 'Rocket engine test fires for ten minutes', quality: 20, ...outlet(2) });
    // Other outlets get the slots a crowding outlet would take…
    expect((await buildDigest((await storeWith(...same, other)).articles, space, { now, count: 3 })).items.map((i) => i.articleId)).toEqual([same[0]!.id, same[1]!.id, other.id]);
    // …and when no other outlet is left, the digest still fills up, in rank order.
    expect((await buildDigest((await storeWith(...same, other)).articles, space, { now, count: 4 })).items.map((i) => i.articleId)).toEqual([same[0]!.id, same[1]!.id, same[2]!.id, other.id]);
    expect((await buildDigest((await storeWith(...same)).articles, space, { now, count: 5 })).items).toHaveLength(5);
  });

  it('never lists the lead’s own outlet as also covering the story', async () => {
    const a = makeArticle({ topics: ['Space'], title: titles[0], excerpt: 'Seen from Chile.', quality: 90, ...outlet(3) });
    const b = makeArticle({ topics: ['Space'], title: titles[0], excerpt: 'Seen from Chile.', quality: 50, ...outlet(3) });
    const c = makeArticle({ topics: ['Space'], title: titles[0], excerpt: 'Seen from Chile.', quality: 40, ...outlet(4) });
    const item = (await buildDigest((await storeWith(a, b, c)).articles, space, { now, count: 5 })).items[0]!;
    expect(item.articleIds.sort()).toEqual([a.id, b.id, c.id].sort());
    expect(item.alsoCoveredBy.map((l) => l.provider.domain)).toEqual(['outlet4.example.com']);
  });

  it('links only related pages that are about the story and close in time', async () => {
    const a = makeArticle({
      topics: ['Space'],
      title: titles[2],
      excerpt: 'Radio operators lost contact for hours as the solar storm peaked.',
      related: [
        makeRelated({ title: 'Solar storm: why radio blackouts happen', quality: 10 }),
        makeRelated({ title: 'Celebrity chef opens a new restaurant', quality: 99 }),
        makeRelated({ title: 'Solar storm of 1859 revisited', publishedAt: '2025-01-01T00:00:00.000Z' }),
        makeRelated({ title: 'Solar storm radio outage', url: `https://long.example.org/${'a'.repeat(2100)}` }),
      ],
    });
    const item = (await buildDigest((await storeWith(a)).articles, space, { now, count: 1 })).items[0]!;
    expect(item.related.map((r) => r.title)).toEqual(['Solar storm: why radio blackouts happen']);
  });
});
