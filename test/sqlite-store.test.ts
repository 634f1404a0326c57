import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../src/sqlite-store.js';
import { runStoreContract } from './helpers/store-contract.js';
import { makeArticle } from './helpers/articles.js';

runStoreContract('SQLite (memory)', () => openStore(':memory:'));

describe('SQLite store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDb = () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsbrief-store-'));
    dirs.push(dir);
    return join(dir, 'nested', 'newsbrief.db');
  };

  it('creates the folder, uses WAL and keeps data across reopen', () => {
    const path = tempDb();
    const store = openStore(path);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const a = makeArticle();
    store.upsertArticles([a]);
    store.close();
    const again = openStore(path);
    expect(again.getArticle(a.id)?.title).toBe(a.title);
    expect(again.schemaVersion).toBe(3);
    again.close();
  });

  it('refuses a database from a newer version instead of damaging it', () => {
    const path = tempDb();
    openStore(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openStore(path)).toThrow(/schema version 99 is newer/);
  });

  it('re-keys stored ranks when the half-life setting changes', () => {
    const path = tempDb();
    const older = makeArticle({ topics: ['AI'], quality: 150, publishedAt: '2026-11-20T00:00:00Z' });
    const newer = makeArticle({ topics: ['AI'], quality: 20, publishedAt: '2026-11-25T00:00:00Z' });
    const short = openStore(path, { halfLifeHours: 6 });
    short.upsertArticles([older, newer]);
    expect(short.candidates({ topicKeys: ['ai'], limit: 2 })[0]?.article.id).toBe(newer.id);
    short.close();
    const long = openStore(path, { halfLifeHours: 24 * 365 });
    expect(long.candidates({ topicKeys: ['ai'], limit: 2 })[0]?.article.id).toBe(older.id);
    long.close();
  });

  const plan = (store: ReturnType<typeof openStore>, sql: string, ...params: unknown[]) =>
    (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join(' | ');

  it('answers a topic query without a window from the rank index without scanning or sorting', () => {
    const store = openStore(':memory:');
    const text = plan(
      store,
      `SELECT article_id AS id FROM article_topics INDEXED BY article_topics_rank
       WHERE topic_key = ? AND published_hours <= ? ORDER BY rank_key DESC`,
      'ai',
      1e9,
    );
    expect(text).toMatch(/article_topics_rank/);
    expect(text).not.toMatch(/TEMP B-TREE/);
    store.close();
  });

  it('answers a window query with a range search of the covering window index', () => {
    const store = openStore(':memory:');
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
    store.close();
  });

  it('sees an article another process changed, though it keeps parsed articles between queries', () => {
    const path = tempDb();
    const bot = openStore(path);
    const a = makeArticle({ topics: ['AI'], title: 'Before' });
    bot.upsertArticles([a]);
    expect(bot.candidates({ topicKeys: ['ai'], limit: 5 })[0]!.article.title).toBe('Before');
    // The same object comes back while nothing changed: the parse is cached.
    expect(bot.candidates({ topicKeys: ['ai'], limit: 5 })[0]!.article).toBe(bot.candidates({ topicKeys: ['ai'], limit: 5 })[0]!.article);
    const cli = openStore(path);
    cli.upsertArticles([{ ...a, title: 'After' }]);
    cli.close();
    expect(bot.candidates({ topicKeys: ['ai'], limit: 5 })[0]!.article.title).toBe('After');
    bot.upsertArticles([{ ...a, title: 'Again' }]);
    expect(bot.candidates({ topicKeys: ['ai'], limit: 5 })[0]!.article.title).toBe('Again');
    bot.close();
  });
});
