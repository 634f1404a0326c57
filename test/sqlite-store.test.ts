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
    expect(again.schemaVersion).toBe(2);
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

  it('answers a topic query from the rank index without scanning or sorting', () => {
    const store = openStore(':memory:');
    const plan = store.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT a.id, a.doc FROM article_topics t JOIN articles a ON a.id = t.article_id
         WHERE t.topic_key = ? ORDER BY t.rank_key DESC`,
      )
      .all('ai') as { detail: string }[];
    const text = plan.map((p) => p.detail).join(' | ');
    expect(text).toMatch(/article_topics_rank/);
    expect(text).not.toMatch(/TEMP B-TREE/);
    store.close();
  });
});
