import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MIGRATIONS, openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle, makeRelated } from './helpers/articles.js';
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
    expect(again.schemaVersion).toBe(MIGRATIONS.length);
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
      INSERT INTO subscriptions (id, target, platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at)
        VALUES (1, 'telegram:-100:', 'telegram', '-100', '', 'AI', 'ai', '08:00', 'UTC', 0, '');
      INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, retry_at)
        VALUES (1, '2026-11-26T08:00:00.000Z', 'failed', '[]', 'attempt 3/5: Bad Gateway', '', 0),
          (9, '2026-11-26T08:00:00.000Z', 'sent', '[]', 'of a subscription removed before', '', NULL);
      INSERT INTO sent_articles VALUES ('telegram:-100:7', 'a1', ''), ('discord:123:', 'a2', '');
      INSERT INTO chat_settings VALUES ('telegram:-100:', 'Europe/Kyiv');
      PRAGMA user_version = 3;
    `);
    raw.close();
    const upgraded = openSqliteStorage(path);
    expect(upgraded.schemaVersion).toBe(MIGRATIONS.length);
    const match = async (key: string) => (await upgraded.articles.candidates({ topicKeys: [key], limit: 1 }))[0]?.topicMatch;
    expect(await match('ai')).toBe(1);
    expect(await match('robots')).toBe(0.8);
    expect((await upgraded.deliveries.getDelivery(1, '2026-11-26T08:00:00.000Z'))?.attempts).toBe(3);
    // A removed subscription's log is dropped, so no later subscription can inherit it.
    expect(await upgraded.deliveries.getDelivery(9, '2026-11-26T08:00:00.000Z')).toBeUndefined();
    expect((await upgraded.subscriptions.getSubscription(1))?.topic).toBe('AI');
    expect(await upgraded.articles.rankWeight()).toBeCloseTo(Math.LN2 / 12, 12);
    expect(await upgraded.deliveries.sentArticleIds({ platform: 'telegram', chatId: '-100', threadId: '7' })).toEqual(new Set(['a1']));
    expect(await upgraded.deliveries.sentArticleIds({ platform: 'discord', chatId: '123' })).toEqual(new Set(['a2']));
    expect(await upgraded.subscriptions.getTimezone({ platform: 'telegram', chatId: '-100' })).toBe('Europe/Kyiv');
    await upgraded.close();
  });

  it('upgrades a version 4 database in place: documents deflated, topic counts kept, everything reads back the same', async () => {
    const path = tempDb();
    const weight = recencyWeight(24);
    const at = (day: number, hour = 8) => new Date(Date.UTC(2026, 10, day, hour)).toISOString();
    const articles = [
      makeArticle({ topics: ['AI', 'Robots'], quality: 90, publishedAt: at(20), related: [makeRelated(), makeRelated()] }),
      makeArticle({ topics: ['Artificial Intelligence'], quality: 40, publishedAt: at(24) }),
      makeArticle({ topics: ['Robots', 'AI', 'Space'], quality: 120, publishedAt: at(25) }),
      makeArticle({ topics: ['Space'], quality: 60, publishedAt: at(25), extra: { category: 'news', note: 'ünïcödé ✓' } }),
      makeArticle({ topics: ['AI'], quality: 60, publishedAt: at(25) }),
      makeArticle({ topics: ['AI'], quality: 60, publishedAt: at(10), removed: true }),
      makeArticle({ topics: [], quality: 70, publishedAt: at(22) }),
      makeArticle({ topics: ['Deep Sea Mining'], quality: 10, publishedAt: at(2) }),
    ];
    // Articles without topics, older than any window: their long related lists make the old table big.
    const filler = Array.from({ length: 200 }, () =>
      makeArticle({ topics: [], publishedAt: at(1), related: Array.from({ length: 20 }, () => makeRelated()) }),
    );
    const batch = indexArticles([...articles, ...filler]);
    // The file as version 4 left it, rows written the way the version 4 code wrote them.
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    for (const migration of MIGRATIONS.slice(0, 4)) raw.exec(migration);
    raw.pragma('user_version = 4');
    raw.prepare("INSERT INTO meta (key, value) VALUES ('rank_weight', ?)").run(String(weight));
    const insertArticle = raw.prepare('INSERT INTO articles (id, url, published_at, removed, doc) VALUES (?, ?, ?, ?, ?)');
    const insertTopic = raw.prepare(
      'INSERT OR IGNORE INTO article_topics (topic_key, article_id, rank_base, published_hours, rank_key, topic_match) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertName = raw.prepare('INSERT OR IGNORE INTO topic_names (key, name) VALUES (?, ?)');
    for (const { article, topics } of batch) {
      insertArticle.run(article.id, article.url, Date.parse(article.publishedAt), article.removed ? 1 : 0, JSON.stringify(article));
      if (article.removed) continue;
      for (const t of topics) {
        insertTopic.run(t.key, article.id, t.rankBase, t.publishedHours, t.rankBase + t.publishedHours * weight, t.match);
        insertName.run(t.key, t.name);
      }
    }
    raw.prepare("INSERT INTO seed_files VALUES ('a.md', 'hash', ?)").run(articles[0]!.id);
    raw.close();

    const upgraded = openSqliteStorage(path);
    expect(upgraded.schemaVersion).toBe(MIGRATIONS.length);
    // Most of the old file was freed by the upgrade, and given back.
    expect(upgraded.db.pragma('freelist_count', { simple: true })).toBe(0);
    // The same articles stored through the port by this version: what the upgraded file must match.
    const fresh = openSqliteStorage(':memory:');
    await fresh.articles.setRankWeight(weight);
    await fresh.articles.upsertArticles(batch);

    const both = async <T>(read: (s: SqliteStorage) => Promise<T>) => {
      const value = await read(upgraded);
      expect(value).toEqual(await read(fresh));
      return value;
    };
    for (const a of [...articles, ...filler]) {
      expect(JSON.stringify(await upgraded.articles.getArticle(a.id))).toBe(JSON.stringify(a));
    }
    expect(await both((s) => s.articles.topicCounts())).toEqual([
      { key: 'ai', name: 'AI', count: 4 },
      { key: 'robotics', name: 'Robotics', count: 2 },
      { key: 'space', name: 'Space', count: 2 },
      { key: 'deepseamining', name: 'Deep Sea Mining', count: 1 },
    ]);
    expect(await both((s) => s.articles.articleCount())).toBe(207);
    expect(await both((s) => s.articles.rankWeight())).toBe(weight);
    const since = new Date(at(21));
    const until = new Date(at(26));
    for (const key of ['ai', 'robotics', 'space', 'deepseamining', 'nothing']) {
      await both((s) => s.articles.topicMatchCount(key));
      const ids = async (s: SqliteStorage, q: object) =>
        (await s.articles.candidates({ topicKeys: [key], limit: 10, ...q })).map((c) => [c.article.id, c.topicMatch]);
      await both((s) => ids(s, {}));
      await both((s) => ids(s, { since, until }));
      await both((s) => ids(s, { limit: 1, excludeIds: new Set([articles[2]!.id]) }));
    }
    await both(async (s) => (await s.articles.windowArticles(since, until)).map((a) => a.id));
    expect(await upgraded.sources.sourceItems()).toEqual(new Map([['a.md', { source: 'a.md', contentHash: 'hash', articleId: articles[0]!.id }]]));

    // Writes after the upgrade find the entries of upgraded articles, keep counts and keep URLs unique.
    const changes = indexArticles([
      { ...articles[0]!, topics: ['Space'] },
      { ...articles[2]!, removed: true },
      { ...articles[5]!, removed: false },
    ]);
    await both((s) => s.articles.upsertArticles(changes));
    await both((s) => s.articles.topicCounts());
    await both(async (s) => (await s.articles.candidates({ topicKeys: ['ai', 'space'], limit: 10 })).map((c) => c.article.id));
    const clash = indexArticles([makeArticle({ id: 'another-id', url: articles[3]!.url })]);
    await expect(upgraded.articles.upsertArticles(clash)).rejects.toThrow(/already has/);
    await upgraded.close();
    await fresh.close();
  });

  const plan = (store: ReturnType<typeof openSqliteStorage>, sql: string, ...params: unknown[]) =>
    (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join(' | ');

  it('answers a topic query without a window from the rank index without scanning or sorting', async () => {
    const store = openSqliteStorage(':memory:');
    const text = plan(
      store,
      `SELECT n, topic_match FROM topic_entries INDEXED BY topic_entries_rank
       WHERE topic = ? AND published_hours <= ? ORDER BY rank_key DESC, n LIMIT ?`,
      1,
      1e9,
      10,
    );
    expect(text).toBe('SEARCH topic_entries USING COVERING INDEX topic_entries_rank (topic=?)');
    await store.close();
  });

  it('answers a window query with a range of the topic entries\' own key', async () => {
    const store = openSqliteStorage(':memory:');
    const text = plan(
      store,
      `SELECT n, topic_match FROM topic_entries
       WHERE topic = ? AND published_hours BETWEEN ? AND ? ORDER BY rank_key DESC, n LIMIT ?`,
      1,
      0,
      1e9,
      10,
    );
    expect(text).toMatch(/^SEARCH topic_entries USING PRIMARY KEY \(topic=\? AND published_hours>\? AND published_hours<\?\)/);
    const all = plan(store, 'SELECT doc FROM articles WHERE removed = 0 AND published_at BETWEEN ? AND ? ORDER BY published_at, id', 0, 1);
    expect(all).toMatch(/articles_published \(published_at>\? AND published_at<\?\)/);
    await store.close();
  });

  it('reads the topic list and counts from maintained counts, not by counting entries', async () => {
    const store = openSqliteStorage(':memory:');
    expect(plan(store, 'SELECT key, name, count FROM topics WHERE count > 0 ORDER BY count DESC, name, key')).toBe(
      'SEARCH topics USING COVERING INDEX topics_by_count (count>?)',
    );
    expect(plan(store, 'SELECT count FROM topics WHERE key = ?', 'ai')).toMatch(/^SEARCH topics USING INDEX/);
    await store.close();
  });

  it('keeps topic counts equal to a count of the entries through inserts, updates, re-topics and removals', async () => {
    const store = openSqliteStorage(':memory:');
    const topics = ['AI', 'Space', 'Robots', 'Oceans', 'Climate'];
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const pick = () => topics.filter(() => random() < 0.4);
    let articles = Array.from({ length: 60 }, () => makeArticle({ topics: pick() }));
    for (let round = 0; round < 8; round++) {
      articles = articles.map((a) => (random() < 0.3 ? { ...a, topics: pick(), removed: random() < 0.2, quality: round } : a));
      await store.articles.upsertArticles(indexArticles(articles.filter(() => random() < 0.7)));
      const counted = store.db
        .prepare(
          `SELECT t.key, t.name, count(*) AS count FROM topic_entries e JOIN topics t ON t.id = e.topic
           GROUP BY t.id ORDER BY count DESC, t.name, t.key`,
        )
        .all();
      expect(await store.articles.topicCounts()).toEqual(counted);
      for (const t of counted as { key: string; count: number }[]) expect(await store.articles.topicMatchCount(t.key)).toBe(t.count);
    }
    await store.close();
  });

  it('stores documents deflated and reads back exactly the JSON it was given', async () => {
    const store = openSqliteStorage(':memory:');
    const related = Array.from({ length: 30 }, (_, i) =>
      makeRelated({ title: `Coverage ${i} of the launch — “quoted” ✓ 🚀`, excerpt: 'The same sentence again. '.repeat(4) }),
    );
    const a = makeArticle({ related, extra: { category: 'news', nested: { list: [1, null, 'x'] } }, excerpt: 'Zero\u200bwidth? No: plain é' });
    await store.articles.upsertArticles(indexArticles([a]));
    const stored = store.db.prepare('SELECT doc FROM articles WHERE id = ?').pluck().get(a.id) as Buffer;
    expect(stored.length).toBeLessThan(JSON.stringify(a).length / 3);
    expect(JSON.stringify(await store.articles.getArticle(a.id))).toBe(JSON.stringify(a));
    await store.close();
  });

  it('encodes a large batch on a worker thread exactly as one article at a time', async () => {
    const many = Array.from({ length: 450 }, (_, i) => makeArticle({ topics: ['AI'], related: [makeRelated({ title: `Related ${i}` })] }));
    const together = openSqliteStorage(':memory:');
    const alone = openSqliteStorage(':memory:');
    // The first large batch starts the worker without waiting for it; the next one shares the work.
    await together.articles.upsertArticles(indexArticles(Array.from({ length: 250 }, () => makeArticle())));
    expect(await together.articles.encoder.whenOnline()).toBe(true);
    await together.articles.upsertArticles(indexArticles(many));
    for (const a of many.slice(0, 20)) await alone.articles.upsertArticles(indexArticles([a]));
    const doc = (s: SqliteStorage, id: string) => s.db.prepare('SELECT doc FROM articles WHERE id = ?').pluck().get(id) as Buffer;
    for (const a of many.slice(0, 20)) expect(doc(together, a.id).equals(doc(alone, a.id))).toBe(true);
    for (const a of [many[0]!, many[224]!, many[225]!, many[449]!]) expect(await together.articles.getArticle(a.id)).toEqual(a);
    expect(await together.articles.articleCount()).toBe(700);
    await together.close();
    await alone.close();
  });

  it('lets a process exit that wrote large batches and never closed the storage', async () => {
    const modules = (file: string) => JSON.stringify(fileURLToPath(new URL(`../${file}`, import.meta.url)));
    const script = `
      const { openSqliteStorage } = await import(${modules('adapters/storage/sqlite/index.ts')});
      const { indexArticles } = await import(${modules('src/index.ts')});
      const { makeArticle } = await import(${modules('test/helpers/articles.ts')});
      const store = openSqliteStorage(':memory:');
      for (let i = 0; i < 3; i++) {
        await store.articles.upsertArticles(indexArticles(Array.from({ length: 300 }, () => makeArticle())));
        if (i === 0) await store.articles.encoder.whenOnline();
      }
      console.log(await store.articles.articleCount());
    `;
    // A file, not -e: a script given with -e ends its process when it is done, whatever is still referenced.
    const file = join(mkdtempSync(join(tmpdir(), 'newsbrief-exit-')), 'write.mts');
    dirs.push(dirname(file));
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('900');
    expect(child.status).toBe(0);
  }, 40_000);

  it('writes concurrent batches in call order', async () => {
    const store = openSqliteStorage(':memory:');
    const a = makeArticle({ topics: ['AI'], title: 'First' });
    const big = Array.from({ length: 300 }, () => makeArticle({ topics: ['Space'] }));
    const results = await Promise.all([
      store.articles.upsertArticles(indexArticles([...big, a])),
      store.articles.upsertArticles(indexArticles([{ ...a, title: 'Second' }])),
    ]);
    expect(results).toEqual([{ inserted: 301, updated: 0, unchanged: 0 }, { inserted: 0, updated: 1, unchanged: 0 }]);
    expect((await store.articles.getArticle(a.id))?.title).toBe('Second');
    await store.close();
  });

  it('tells URLs with the same hash apart', async () => {
    const store = openSqliteStorage(':memory:');
    // Two URLs whose 32-bit hashes (articles.url_hash) are equal: both are stored, and each stays unique.
    const first = makeArticle({ url: 'https://a.example/10949' });
    const second = makeArticle({ url: 'https://a.example/1248910' });
    await store.articles.upsertArticles(indexArticles([first, second]));
    const hashes = store.db.prepare('SELECT DISTINCT url_hash FROM articles').pluck().all();
    expect(hashes).toHaveLength(1);
    expect(await store.articles.articleCount()).toBe(2);
    await expect(store.articles.upsertArticles(indexArticles([makeArticle({ id: 'another-id', url: second.url })]))).rejects.toThrow(/already has/);
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

  it('upgrades version 8 subscriptions to daily schedules at their time; a zone unlike the chat setting becomes their own', async () => {
    const path = tempDb();
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    // Migration 5 calls these on existing articles; there are none here.
    raw.function('newsbrief_url_hash', { varargs: true }, () => 0);
    raw.function('newsbrief_encode_document', { varargs: true }, () => null);
    raw.aggregate('newsbrief_entry_keys', { varargs: true, start: null, step: () => null });
    for (const migration of MIGRATIONS.slice(0, 8)) raw.exec(migration);
    raw.pragma('user_version = 8');
    const insert = raw.prepare(
      `INSERT INTO subscriptions (target, platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at)
       VALUES (?, 'telegram', ?, '', ?, ?, ?, ?, 0, '2026-11-01T00:00:00.000Z')`,
    );
    // Chat 1 set Europe/Kyiv: AI follows it, Space was given Asia/Tokyo. Chat 2 never set a zone.
    insert.run('telegram:1:', '1', 'AI', 'ai', '09:05', 'Europe/Kyiv');
    insert.run('telegram:1:', '1', 'Space', 'space', '18:30', 'Asia/Tokyo');
    insert.run('telegram:2:', '2', 'AI', 'ai', '07:00', 'America/Los_Angeles');
    raw.prepare(`INSERT INTO chat_settings (platform, chat_id, thread_id, timezone) VALUES ('telegram', '1', '', 'Europe/Kyiv')`).run();
    raw.close();

    const upgraded = openSqliteStorage(path);
    try {
      const chat1 = await upgraded.subscriptions.listSubscriptions({ platform: 'telegram', chatId: '1' });
      const [chat2] = await upgraded.subscriptions.listSubscriptions({ platform: 'telegram', chatId: '2' });
      expect(chat1.map((s) => [s.topic, s.schedule, s.ownZone, s.paused, s.count])).toEqual([
        ['AI', { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['09:05'] }, false, false, null],
        ['Space', { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['18:30'] }, true, false, null],
      ]);
      expect(chat2).toMatchObject({ ownZone: false, schedule: { times: ['07:00'] }, filters: { include: [], minQuality: null } });
      // The due index now leaves paused ones out as well.
      const plan = upgraded.db
        .prepare(`EXPLAIN QUERY PLAN SELECT * FROM subscriptions WHERE active = 1 AND paused = 0 AND next_due_at <= 1 ORDER BY next_due_at, id LIMIT 5`)
        .all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join('; ')).toContain('subscriptions_due');
    } finally {
      await upgraded.close();
    }
  });
});
