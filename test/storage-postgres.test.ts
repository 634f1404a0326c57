import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MIGRATIONS, openPostgresStorage, tryAdvisoryLock, type PostgresStorage } from '../adapters/storage/postgres/index.js';
import { indexArticles, StorageGoneError } from '../src/index.js';
import { runStorageContracts } from './contract/index.js';
import { chat, newSubscription } from './contract/fixtures.js';
import { makeArticle } from './helpers/articles.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';
import { captureIO, repoRoot, runBin } from './helpers/cli.js';
import { main } from '../entry/cli.js';
import { start } from '../entry/service.js';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`Postgres tests skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)('Postgres storage', () => {
  let server: TestPostgres;
  let admin: pg.Pool;
  const schemas: string[] = [];
  /** A fresh schema name; dropped after the test. */
  const freshSchema = () => {
    const name = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(name);
    return name;
  };

  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });
  // After each contract suite's own afterEach has closed the storage.
  afterEach(async () => {
    for (const name of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });

  runStorageContracts('Postgres', async () => openPostgresStorage(server.url, { schema: freshSchema(), poolSize: 4 }));

  describe('what only Postgres does', () => {
    const opened: PostgresStorage[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const open = async (schema: string, poolSize = 4) => {
      const s = await openPostgresStorage(server.url, { schema, poolSize });
      opened.push(s);
      return s;
    };

    it('migrates a fresh database once when six pools open it at the same time', async () => {
      const schema = freshSchema();
      const all = await Promise.all(Array.from({ length: 6 }, () => open(schema, 2)));
      for (const s of all) expect(await s.schemaVersion()).toBe(MIGRATIONS.length);
      const { rows } = await admin.query(`SELECT version FROM "${schema}".newsbrief_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    });

    it('upgrades version 3 subscriptions to daily schedules at their time; a zone unlike the chat setting becomes their own', async () => {
      const schema = freshSchema();
      // The schema as version 3 left it, written the way version 3 wrote it.
      const client = await admin.connect();
      try {
        await client.query(`CREATE SCHEMA "${schema}"`);
        await client.query(`SET search_path = "${schema}"`);
        await client.query('CREATE TABLE newsbrief_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
        for (const [i, sql] of MIGRATIONS.slice(0, 3).entries()) {
          await client.query(sql);
          await client.query('INSERT INTO newsbrief_migrations (version) VALUES ($1)', [i + 1]);
        }
        const insert = `INSERT INTO subscriptions (platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at)
          VALUES ('telegram', $1, '', $2, $3, $4, $5, now(), now())`;
        await client.query(insert, ['1', 'AI', 'ai', '09:05', 'Europe/Kyiv']);
        await client.query(insert, ['1', 'Space', 'space', '18:30', 'Asia/Tokyo']);
        await client.query(insert, ['2', 'AI', 'ai', '07:00', 'America/Los_Angeles']);
        await client.query(`INSERT INTO chat_settings (platform, chat_id, thread_id, timezone) VALUES ('telegram', '1', '', 'Europe/Kyiv')`);
      } finally {
        await client.query('RESET search_path');
        client.release();
      }
      const upgraded = await open(schema);
      expect(await upgraded.schemaVersion()).toBe(MIGRATIONS.length);
      const chat1 = await upgraded.subscriptions.listSubscriptions({ platform: 'telegram', chatId: '1' });
      const [chat2] = await upgraded.subscriptions.listSubscriptions({ platform: 'telegram', chatId: '2' });
      expect(chat1.map((s) => [s.topic, s.schedule, s.ownZone, s.paused, s.count])).toEqual([
        ['AI', { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['09:05'] }, false, false, null],
        ['Space', { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['18:30'] }, true, false, null],
      ]);
      expect(chat2).toMatchObject({ ownZone: false, schedule: { times: ['07:00'] }, filters: { include: [], minQuality: null } });
      await upgraded.subscriptions.updateSubscription(chat2!.id, { paused: true });
      expect(await upgraded.subscriptions.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toHaveLength(2);
    });

    it('refuses a database whose schema version is newer than it knows', async () => {
      const schema = freshSchema();
      await (await open(schema)).close();
      await admin.query(`INSERT INTO "${schema}".newsbrief_migrations (version) VALUES (99)`);
      await expect(openPostgresStorage(server.url, { schema })).rejects.toThrow(/version 99 is newer than this Newsbrief knows/);
    });

    it('lets exactly one of six concurrent claimants on separate pools win a slot', async () => {
      const schema = freshSchema();
      const pools = await Promise.all(Array.from({ length: 6 }, () => open(schema, 1)));
      const { subscription } = await pools[0]!.subscriptions.upsertSubscription(newSubscription(chat));
      const slot = '2026-11-27T08:00:00.000Z';
      for (let round = 0; round < 5; round++) {
        const at = `2026-11-2${round}T08:00:00.000Z`;
        const claims = await Promise.all(pools.map((p, i) => p.deliveries.claimDelivery(subscription.id, at, `instance-${i}`, new Date(slot))));
        expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
      }
    });

    it('hands each due feed to one of five instances claiming at once, round after round', async () => {
      const schema = freshSchema();
      const pools = await Promise.all(Array.from({ length: 5 }, () => open(schema, 1)));
      const t0 = Date.parse('2026-11-27T08:00:00.000Z');
      const minute = (m: number) => new Date(t0 + m * 60_000);
      for (let i = 0; i < 40; i++) {
        await pools[0]!.feeds.addFeed({ url: `https://f${i}.example/feed`, name: null, topics: ['AI'], quality: 70 }, minute(i % 7));
      }
      // Each round the leases of the last one have ended: every feed is due again, and each goes to one instance.
      for (let round = 0; round < 4; round++) {
        const now = minute(10 + round * 10);
        const claims = await Promise.all(pools.map((p) => p.feeds.claimDueFeeds(now, minute(15 + round * 10), 12)));
        const claimed = claims.flatMap((c) => c.map((f) => f.id));
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(claimed).toHaveLength(40);
      }
    });

    it('keeps a feed\'s URL when another transaction adds the URL it is redirected to while the poll is recorded', async () => {
      const schema = freshSchema();
      const s = await open(schema);
      const { feed } = await s.feeds.addFeed({ url: 'http://a.example/rss', name: null, topics: ['AI'], quality: 70 }, new Date('2026-11-27T08:00:00Z'));
      // `sources add` of the redirect's target, committed only after the poll's write has found the URL free.
      const other = await admin.connect();
      try {
        await other.query('BEGIN');
        const added = await other.query(
          `INSERT INTO "${schema}".feeds (url, topics, quality, next_fetch_at, created_at) VALUES ('https://a.example/feed.xml', '["AI"]', 70, now(), now()) RETURNING id`,
        );
        const recording = s.feeds.recordFetch(feed.id, {
          at: new Date('2026-11-27T08:01:00Z'),
          status: '200 after 301',
          ok: true,
          url: 'https://a.example/feed.xml',
          nextFetchAt: new Date('2026-11-27T08:31:00Z'),
          failures: 0,
        });
        const waiting = async () => Number((await admin.query('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')).rows[0].n);
        await expect.poll(waiting, { timeout: 10_000 }).toBeGreaterThan(0);
        await other.query('COMMIT');
        expect(await recording).toMatchObject({
          url: 'http://a.example/rss',
          lastStatus: `200 after 301; moved permanently to https://a.example/feed.xml, which feed ${added.rows[0].id} already has: kept http://a.example/rss`,
        });
      } finally {
        other.release();
      }
    });

    it('stores the same new articles written by several pools at once exactly once, counts included', async () => {
      const schema = freshSchema();
      const pools = await Promise.all(Array.from({ length: 4 }, () => open(schema, 1)));
      const articles = Array.from({ length: 40 }, (_, i) => makeArticle({ topics: i % 2 ? ['AI', 'Space'] : ['AI'] }));
      // Each pool in its own order, so that their new ids cross (and may deadlock, which a retry resolves).
      const orders = pools.map((_, p) => [...articles].sort((a, b) => ((a.id + p).localeCompare(b.id + p) * (p % 2 ? -1 : 1))));
      const results = await Promise.all(pools.map((p, i) => p.articles.upsertArticles(indexArticles(orders[i]!))));
      expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(40);
      expect(await pools[0]!.articles.articleCount()).toBe(40);
      expect(await pools[0]!.articles.topicCounts()).toEqual([
        { key: 'ai', name: 'AI', count: 40 },
        { key: 'space', name: 'Space', count: 20 },
      ]);
    });

    it('hands out the same parsed candidate while its row is unchanged, and a fresh one once another pool changes it', async () => {
      const schema = freshSchema();
      const [reader, writer] = [await open(schema), await open(schema)];
      const a = makeArticle({ topics: ['AI'], title: 'First' });
      const b = makeArticle({ topics: ['AI'] });
      await writer.articles.upsertArticles(indexArticles([a, b]));
      const query = { topicKeys: ['ai'], limit: 10 };
      const first = await reader.articles.candidates(query);
      const again = await reader.articles.candidates(query);
      expect(again.map((c) => c.article)).toEqual(first.map((c) => c.article));
      for (const [i, c] of again.entries()) expect(c.article).toBe(first[i]!.article);

      await writer.articles.upsertArticles(indexArticles([{ ...a, title: 'Second' }]));
      const after = await reader.articles.candidates(query);
      expect(after.find((c) => c.article.id === a.id)?.article.title).toBe('Second');
      // The unchanged one is still the object handed out before.
      expect(after.find((c) => c.article.id === b.id)?.article).toBe(first.find((c) => c.article.id === b.id)!.article);
    });

    it('excludes ids given, whether or not their documents are cached', async () => {
      const schema = freshSchema();
      const storage = await open(schema);
      const articles = Array.from({ length: 6 }, (_, i) => makeArticle({ topics: ['AI'], quality: 50 + i }));
      await storage.articles.upsertArticles(indexArticles(articles));
      const all = (await storage.articles.candidates({ topicKeys: ['ai'], limit: 10 })).map((c) => c.article.id);
      const excludeIds = new Set([all[0]!, all[3]!, 'no-such-id']);
      const left = (await storage.articles.candidates({ topicKeys: ['ai'], limit: 3, excludeIds })).map((c) => c.article.id);
      expect(left).toEqual([all[1], all[2], all[4]]);
      const cold = await open(schema);
      expect((await cold.articles.candidates({ topicKeys: ['ai'], limit: 3, excludeIds })).map((c) => c.article.id)).toEqual(left);
    });

    it('keeps data across reopen, and the rank weight with it', async () => {
      const schema = freshSchema();
      const first = await open(schema);
      const a = makeArticle({ topics: ['AI'] });
      await first.articles.setRankWeight(0.01);
      await first.articles.upsertArticles(indexArticles([a]));
      const { subscription } = await first.subscriptions.upsertSubscription(newSubscription(chat));
      await first.close();
      const again = await open(schema);
      expect(await again.articles.getArticle(a.id)).toEqual(a);
      expect(await again.articles.rankWeight()).toBe(0.01);
      expect(await again.subscriptions.getSubscription(subscription.id)).toEqual(subscription);
    });

    it('names the database, not the password, when it cannot connect', async () => {
      // The same URL with a password and a port nothing listens on.
      const url = new URL(server.url);
      url.password = 'hunter2-secret';
      url.port = '1';
      const error = await openPostgresStorage(url.toString()).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/^cannot connect to postgres database postgres on 127\.0\.0\.1:1: /);
      expect((error as Error).message).not.toContain('hunter2');
    });

    it('reports the database gone from checkIntact, and an advisory lock lost, once its server stops', async () => {
      const own = await startTestPostgres();
      try {
        const s = await openPostgresStorage(own.url);
        const lost: string[] = [];
        const lock = await tryAdvisoryLock(own.url, 'held-while-the-server-stops', (why) => lost.push(why));
        expect(lock).toBeDefined();
        await expect(s.checkIntact()).resolves.toBeUndefined();
        await own.stop();
        for (let waited = 0; lost.length === 0 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        expect(lost).toHaveLength(1);
        await lock!.release();
        const error = await s.checkIntact().catch((e: Error) => e);
        expect(error).toBeInstanceOf(StorageGoneError);
        expect((error as Error).message).toMatch(/^postgres database postgres on 127\.0\.0\.1:\d+ could not be reached/);
        await s.close();
      } finally {
        await own.stop();
      }
    }, 60_000);

    it('lets one session at a time hold an advisory lock, and another once it is released', async () => {
      const lock = await tryAdvisoryLock(server.url, 'one-at-a-time');
      expect(lock).toBeDefined();
      expect(await tryAdvisoryLock(server.url, 'one-at-a-time')).toBeUndefined();
      const other = await tryAdvisoryLock(server.url, 'another-name');
      expect(other).toBeDefined();
      await other!.release();
      await lock!.release();
      await lock!.release();
      const next = await tryAdvisoryLock(server.url, 'one-at-a-time');
      expect(next).toBeDefined();
      await next!.release();
    });
  });

  describe('selected by DATABASE_URL', () => {
    // Trust authentication ignores the password, so it can stand in for a real one that must never be shown.
    const password = 'pg-pa55word-never-shown';
    const urlWithPassword = () => {
      const url = new URL(server.url);
      url.password = password;
      return url.toString();
    };

    it('answers CLI commands from Postgres, filling an empty database from the seeds first', async () => {
      const env = { DATABASE_URL: urlWithPassword(), SEEDS_DIR: join(repoRoot, 'seeds') };
      const run = captureIO(env);
      expect(await main(['news', 'Machine', 'Learning', '--count', '1'], run.io)).toBe(0);
      expect(run.stdout()).toMatch(/^Machine Learning — 1 story/);
      const again = captureIO(env);
      expect(await main(['topics', '--json'], again.io)).toBe(0);
      expect(JSON.parse(again.stdout()).length).toBeGreaterThan(0);
      expect(run.stderr() + again.stderr()).not.toContain(password);
    });

    it('runs a second npm start on the same database beside the first, without showing the URL', async () => {
      const env = { DATABASE_URL: urlWithPassword(), SEEDS_DIR: join(repoRoot, 'seeds'), SEEDS_RESCAN: 'off', TERMINAL_MODE: 'on' };
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      stdout.on('data', (d) => (out += String(d)));
      let stop!: () => void;
      const first = start({ env, stdin, stdout, stderr, stopSignal: new Promise<void>((resolve) => (stop = resolve)) });
      // The terminal's first words: the storage is open and the seeds are in by then.
      for (let waited = 0; out === '' && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(out).not.toBe('');
      const second = await runBin(['start'], { env, input: '/quit\n' });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('Newsbrief terminal mode.');
      expect(second.stderr + second.stdout).not.toContain(password);
      stop();
      expect(await first).toBe(0);
    }, 60_000);
  });
});
