import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle } from './helpers/articles.js';
import { indexArticles, recencyWeight } from '../src/index.js';
import { runStorageContracts } from './contract/index.js';

runStorageContracts('SQLite (in memory)', async () => openSqliteStorage(':memory:'));

describe('SQLite storage: what only SQLite does', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDb = () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsbrief-store-'));
    dirs.push(dir);
    return join(dir, 'nested', 'newsbrief.db');
  };

  it('creates the folder, uses WAL and keeps data across reopen', async () => {
    const path = tempDb();
    const store = openSqliteStorage(path);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const a = makeArticle();
    await store.articles.upsertArticles(indexArticles([a]));
    await store.close();
    const again = openSqliteStorage(path);
    expect((await again.articles.getArticle(a.id))?.title).toBe(a.title);
    expect(again.schemaVersion).toBe(4);
    await again.close();
  });

  it('refuses a database from a newer version instead of damaging it', async () => {
    const path = tempDb();
    await openSqliteStorage(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openSqliteStorage(path)).toThrow(/schema version 99 is newer/);
  });

  it('keeps the rank weight across reopen and re-keys stored ranks when it changes', async () => {
    const path = tempDb();
    const older = makeArticle({ topics: ['AI'], quality: 150, publishedAt: '2026-11-20T00:00:00Z' });
    const newer = makeArticle({ topics: ['AI'], quality: 20, publishedAt: '2026-11-25T00:00:00Z' });
    const short = openSqliteStorage(path);
    await short.articles.setRankWeight(recencyWeight(6));
    await short.articles.upsertArticles(indexArticles([older, newer]));
    expect((await short.articles.candidates({ topicKeys: ['ai'], limit: 2 }))[0]?.article.id).toBe(newer.id);
    await short.close();
    const long = openSqliteStorage(path);
    expect(await long.articles.rankWeight()).toBe(recencyWeight(6));
    await long.articles.setRankWeight(recencyWeight(24 * 365));
    expect((await long.articles.candidates({ topicKeys: ['ai'], limit: 2 }))[0]?.article.id).toBe(older.id);
    await long.close();
  });

  it('upgrades a version 3 database: topic matches, transient attempts and targets become columns', async () => {
    const path = tempDb();
    // The file as version 3 left it: written by the first three migrations, targets as 'platform:chat:thread'.
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    for (const migration of MIGRATIONS.slice(0, 3)) raw.exec(migration);
    raw.exec(`
      INSERT INTO meta (key, value) VALUES ('half_life_hours', '12');
      INSERT INTO articles (id, url, published_at, removed, doc) VALUES ('a1', 'https://x.example/1', 0, 0, '{}');
      INSERT INTO article_topics VALUES ('ai', 'a1', 1.5, 10, 2), ('robots', 'a1', 1.5 + ln(0.8), 10, 1.8);
      INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, retry_at)
        VALUES (1, '2026-11-26T08:00:00.000Z', 'failed', '[]', 'attempt 3/5: Bad Gateway', '', 0);
      INSERT INTO sent_articles VALUES ('telegram:-100:7', 'a1', ''), ('discord:123:', 'a2', '');
      INSERT INTO chat_settings VALUES ('telegram:-100:', 'Europe/Kyiv');
      PRAGMA user_version = 3;
    `);
    raw.close();
    const upgraded = openSqliteStorage(path);
    expect(upgraded.schemaVersion).toBe(4);
    const matches = upgraded.db.prepare('SELECT topic_key, topic_match FROM article_topics ORDER BY topic_key').all();
    expect(matches).toEqual([{ topic_key: 'ai', topic_match: 1 }, { topic_key: 'robots', topic_match: 0.8 }]);
    expect((await upgraded.deliveries.getDelivery(1, '2026-11-26T08:00:00.000Z'))?.attempts).toBe(3);
    expect(await upgraded.articles.rankWeight()).toBeCloseTo(Math.LN2 / 12, 12);
    expect(await upgraded.deliveries.sentArticleIds({ platform: 'telegram', chatId: '-100', threadId: '7' })).toEqual(new Set(['a1']));
    expect(await upgraded.deliveries.sentArticleIds({ platform: 'discord', chatId: '123' })).toEqual(new Set(['a2']));
    expect(await upgraded.subscriptions.getTimezone({ platform: 'telegram', chatId: '-100' })).toBe('Europe/Kyiv');
    await upgraded.close();
  });

  const plan = (store: ReturnType<typeof openSqliteStorage>, sql: string, ...params: unknown[]) =>
    (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join(' | ');

  it('answers a topic query without a window from the rank index without scanning or sorting', async () => {
    const store = openSqliteStorage(':memory:');
    const text = plan(
      store,
      `SELECT article_id AS id FROM article_topics INDEXED BY article_topics_rank
       WHERE topic_key = ? AND published_hours <= ? ORDER BY rank_key DESC`,
      'ai',
      1e9,
    );
    expect(text).toMatch(/article_topics_rank/);
    expect(text).not.toMatch(/TEMP B-TREE/);
    await store.close();
  });

  it('answers a window query with a range search of the covering window index', async () => {
    const store = openSqliteStorage(':memory:');
    const text = plan(
      store,
      `SELECT article_id AS id FROM article_topics INDEXED BY article_topics_window
       WHERE topic_key = ? AND published_hours BETWEEN ? AND ? ORDER BY rank_key DESC`,
      'ai',
      0,
      1e9,
    );
    expect(text).toMatch(/SEARCH article_topics USING COVERING INDEX article_topics_window \(topic_key=\? AND published_hours>\? AND published_hours<\?\)/);
    const all = plan(store, 'SELECT doc FROM articles WHERE removed = 0 AND published_at BETWEEN ? AND ? ORDER BY published_at, id', 0, 1);
    expect(all).toMatch(/articles_published \(published_at>\? AND published_at<\?\)/);
    await store.close();
  });

  it('sees an article another process changed, though it keeps parsed articles between queries', async () => {
    const path = tempDb();
    const bot = openSqliteStorage(path);
    const a = makeArticle({ topics: ['AI'], title: 'Before' });
    const top = async () => (await bot.articles.candidates({ topicKeys: ['ai'], limit: 5 }))[0]!.article;
    await bot.articles.upsertArticles(indexArticles([a]));
    expect((await top()).title).toBe('Before');
    // The same object comes back while nothing changed: the parse is cached.
    expect(await top()).toBe(await top());
    const cli = openSqliteStorage(path);
    await cli.articles.upsertArticles(indexArticles([{ ...a, title: 'After' }]));
    await cli.close();
    expect((await top()).title).toBe('After');
    await bot.articles.upsertArticles(indexArticles([{ ...a, title: 'Again' }]));
    expect((await top()).title).toBe('Again');
    await bot.close();
  });
});
