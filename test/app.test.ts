import { describe, expect, it } from 'vitest';
import { Newsbrief, MAX_SUBSCRIPTIONS_PER_TARGET, NEWS_MAX_PAGE } from '../src/app.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import type { Target } from '../src/model.js';
import { makeArticle } from './helpers/articles.js';
import { indexArticles } from '../src/index.js';

const now = new Date('2026-11-26T12:00:00Z');
const chat: Target = { platform: 'telegram', chatId: '1' };

async function appWith(topics: string[][]) {
  const store = openSqliteStorage(':memory:');
  const words = ['comets', 'batteries', 'vaccines', 'tariffs', 'glaciers', 'chips', 'elections', 'reefs'];
  await store.articles.upsertArticles(indexArticles(
    topics.map((t, i) => makeArticle({ topics: t, title: `${words[i % words.length]} ${i} ${words[(i * 3 + 1) % words.length]} report` })),
  ));
  return new Newsbrief({ storage: store, clock: () => now });
}

describe('Newsbrief commands', () => {
  it('pages through one ranking: each page the next best stories, none twice, then an empty page', async () => {
    const store = openSqliteStorage(':memory:');
    // Seven unrelated stories on one topic, each in its own words so none group together.
    const articles = Array.from({ length: 7 }, (_, i) =>
      makeArticle({ topics: ['Space'], title: `zq${i}a zq${i}b zq${i}c bulletin`, quality: 90 - i * 5, provider: { name: `Outlet ${i}`, domain: `o${i}.example` } }),
    );
    await store.articles.upsertArticles(indexArticles(articles));
    const app = new Newsbrief({ storage: store, clock: () => now });
    const ids = async (page?: number) => {
      const r = await app.news('space', { count: 3, page });
      if (!r.ok) throw new Error(r.code);
      return { page: r.digest.page, ids: r.digest.items.flatMap((i) => i.articleIds) };
    };
    const all = (await app.news('space', { count: 7 })) as { ok: true; digest: { items: { articleIds: string[] }[] } };
    const ranking = all.digest.items.flatMap((i) => i.articleIds);
    expect(await ids()).toEqual({ page: 0, ids: ranking.slice(0, 3) });
    expect(await ids(1)).toEqual({ page: 1, ids: ranking.slice(3, 6) });
    expect(await ids(2)).toEqual({ page: 2, ids: ranking.slice(6) });
    expect((await ids(3)).ids).toEqual([]);
    // A forged page number reads as the nearest page there is.
    expect((await ids(-4)).ids).toEqual(ranking.slice(0, 3));
    expect((await ids(10_000)).page).toBeLessThanOrEqual(NEWS_MAX_PAGE);
  });

  it('answers /news for a topic typed in any case, spacing or alias', async () => {
    const app = await appWith([['Machine Learning'], ['Machine Learning'], ['AI']]);
    for (const query of ['machine learning', 'MachineLearning', 'ML']) {
      const result = await app.news(query);
      expect(result.ok && result.digest.topic).toBe('Machine Learning');
      expect(result.ok && result.digest.items).toHaveLength(2);
    }
  });

  it('answers an alias with the broader topic when the named one has no articles', async () => {
    const app = await appWith([['AI'], ['AI'], ['Space']]);
    const result = await app.news('ml');
    expect(result.ok && result.digest.topic).toBe('AI');
    expect(await app.stories('machine learning')).toMatchObject({ ok: true, topic: 'AI' });
  });

  it('does not take a prefix that stops inside a word: "data" is not Databases, it gets a suggestion', async () => {
    const app = await appWith([['Databases'], ['Space']]);
    const result = await app.news('data');
    expect(result).toEqual({
      ok: false,
      code: 'unknown-topic',
      params: { command: 'news', topic: 'data', suggestions: [{ key: 'databases', name: 'Databases', count: 1 }] },
    });
    expect(await app.subscribe(chat, 'data')).toMatchObject({ ok: false, code: 'unknown-topic', params: { command: 'subscribe', topic: 'data' } });
    expect((await app.news('databases')).ok).toBe(true);
  });

  it('suggests the closest topics for an unknown one', async () => {
    const result = await (await appWith([['Space'], ['AI']])).news('spaec');
    expect(result).toMatchObject({ ok: false, code: 'unknown-topic', params: { topic: 'spaec' } });
    expect(!result.ok && result.code === 'unknown-topic' && result.params.suggestions.map((s) => s.name)).toEqual(['Space']);
  });

  it('asks for a topic when none is given and offers the main ones', async () => {
    const result = await (await appWith([['Space']])).news('  ');
    expect(result).toMatchObject({ ok: false, code: 'missing-topic', params: { command: 'news', suggestions: [{ name: 'Space' }] } });
  });

  it('rejects a count outside 1–10 with the limits and what was given', async () => {
    const app = await appWith([['Space']]);
    for (const count of ['0', '11', 'many', 2.5]) {
      expect(await app.news('Space', { count })).toEqual({ ok: false, code: 'bad-count', params: { min: 1, max: 10, given: String(count) } });
    }
    expect((await app.news('Space', { count: '1' })).ok).toBe(true);
  });

  it('subscribes with defaults 08:00 and UTC and reports the next delivery', async () => {
    const result = await (await appWith([['AI']])).subscribe(chat, 'ai');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.created).toBe(true);
    expect(result.view.subscription).toMatchObject({ topic: 'AI', time: '08:00', timezone: 'UTC' });
    expect(result.view.nextDelivery).toBe('2026-11-27T08:00:00.000Z');
    expect(result.view.nextDeliveryLocal).toBe('Fri 27 Nov, 08:00 (UTC)');
  });

  it('uses the chat\'s zone once set, and moves the subscriptions that follow it', async () => {
    const app = await appWith([['AI'], ['Space']]);
    await app.subscribe(chat, 'AI', '09:30');
    const tz = await app.setTimezone(chat, 'europe/kyiv');
    expect(tz).toEqual({ ok: true, timezone: 'Europe/Kyiv', updated: 1, moved: ['AI'], kept: [] });
    expect((await app.subscriptions(chat))[0]?.subscription).toMatchObject({ timezone: 'Europe/Kyiv', time: '09:30', nextDueAt: '2026-11-27T07:30:00.000Z' });
    const space = await app.subscribe(chat, 'Space');
    expect(space.ok && space.view.subscription.timezone).toBe('Europe/Kyiv');
  });

  it('reports a bad time or zone with what was given, and zones named like the city typed', async () => {
    const app = await appWith([['AI']]);
    expect(await app.subscribe(chat, 'AI', '25:00')).toEqual({ ok: false, code: 'bad-time', params: { given: '25:00' } });
    expect(await app.subscribe(chat, 'AI', '08:00', 'Mars/Olympus')).toEqual({ ok: false, code: 'bad-timezone', params: { given: 'Mars/Olympus', suggestions: [] } });
    expect(await app.setTimezone(chat, 'kyiv')).toEqual({ ok: false, code: 'bad-timezone', params: { given: 'kyiv', suggestions: ['Europe/Kyiv'] } });
    expect(await app.subscriptions(chat)).toEqual([]);
  });

  it('updates instead of duplicating a subscription to the same topic', async () => {
    const app = await appWith([['AI']]);
    await app.subscribe(chat, 'AI', '08:00');
    const again = await app.subscribe(chat, 'Artificial Intelligence', '18:00');
    expect(again.ok && again.created).toBe(false);
    expect((await app.subscriptions(chat)).map((v) => v.subscription.time)).toEqual(['18:00']);
  });

  it('limits how many subscriptions one chat may have', async () => {
    const topics = Array.from({ length: MAX_SUBSCRIPTIONS_PER_TARGET + 1 }, (_, i) => [`Topic ${String.fromCharCode(65 + i)}${i}`]);
    const app = await appWith(topics);
    for (const [t] of topics.slice(0, MAX_SUBSCRIPTIONS_PER_TARGET)) expect((await app.subscribe(chat, t!)).ok).toBe(true);
    expect(await app.subscribe(chat, topics.at(-1)![0]!)).toEqual({
      ok: false,
      code: 'too-many-subscriptions',
      params: { count: MAX_SUBSCRIPTIONS_PER_TARGET, max: MAX_SUBSCRIPTIONS_PER_TARGET },
    });
  });

  it('unsubscribes one topic or all, and says when there is nothing to remove', async () => {
    const app = await appWith([['AI'], ['Space']]);
    expect(await app.unsubscribe(chat, 'AI')).toEqual({ ok: false, code: 'no-subscriptions', params: {} });
    await app.subscribe(chat, 'AI');
    await app.subscribe(chat, 'Space');
    expect(await app.unsubscribe(chat, ' Climate ')).toEqual({
      ok: false,
      code: 'not-subscribed',
      params: { topic: 'Climate', subscribed: [{ key: 'ai', name: 'AI', count: 0 }, { key: 'space', name: 'Space', count: 0 }] },
    });
    expect(await app.unsubscribe(chat, '')).toMatchObject({ ok: false, code: 'missing-topic', params: { command: 'unsubscribe', suggestions: [{ name: 'AI' }, { name: 'Space' }] } });
    expect(await app.unsubscribe(chat, 'ai')).toEqual({ ok: true, removed: ['AI'] });
    await app.subscribe(chat, 'AI');
    expect(await app.unsubscribe(chat, 'ALL')).toEqual({ ok: true, removed: ['AI', 'Space'] });
    expect(await app.subscriptions(chat)).toEqual([]);
  });

  it('sees topics added by a later ingest after refreshTopics', async () => {
    const app = await appWith([['AI']]);
    expect((await app.news('Robotics')).ok).toBe(false);
    await app.storage.articles.upsertArticles(indexArticles([makeArticle({ topics: ['Robotics'] })]));
    app.refreshTopics();
    expect((await app.news('Robotics')).ok).toBe(true);
  });

  it('lists the stories of a window across all topics or for one, each with every member article', async () => {
    const store = openSqliteStorage(':memory:');
    const base = { publishedAt: '2026-11-25T08:00:00.000Z' };
    const a = makeArticle({ ...base, topics: ['Space'], title: 'Orbital Labs recovers the Kestrel upper stage', excerpt: 'A first for the industry.' });
    const b = makeArticle({ ...base, topics: ['Space'], title: 'Orbital Labs recovers the Kestrel upper stage', excerpt: 'A first for the industry.' });
    const c = makeArticle({ ...base, topics: ['AI'], title: 'Parliament debates the budget for schools' });
    const old = makeArticle({ topics: ['AI'], title: 'An old piece about glaciers', publishedAt: '2026-10-01T08:00:00.000Z' });
    const future = makeArticle({ topics: ['AI'], title: 'Tomorrow’s chip launch', publishedAt: '2026-11-27T08:00:00.000Z' });
    await store.articles.upsertArticles(indexArticles([a, b, c, old, future]));
    const app = new Newsbrief({ storage: store, clock: () => now });
    const all = await app.stories(undefined);
    expect(all.ok).toBe(true);
    if (!all.ok) return;
    const urls = all.stories.map((s) => s.articles.map((x) => x.url).sort());
    expect(urls).toContainEqual([a.url, b.url].sort());
    expect(urls).toContainEqual([c.url]);
    expect(urls.flat()).not.toContain(old.url);
    expect(urls.flat()).not.toContain(future.url);
    for (const s of all.stories) expect(s.articles[0]!.url).toBe(s.url);
    const space = await app.stories('space');
    expect(space.ok && space.stories.map((s) => s.articles.length)).toEqual([2]);
    expect(await app.stories('spaec')).toMatchObject({ ok: false, code: 'unknown-topic' });
    const wide = await app.stories(undefined, { since: new Date('2026-09-01T00:00:00Z') });
    expect(wide.ok && wide.stories.flatMap((s) => s.articles.map((x) => x.url))).toContain(old.url);
  });
});
