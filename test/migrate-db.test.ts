import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { indexArticles, type Article, type DeliveryStatus, type Storage, type Target } from '../src/index.js';
import { lockDatabase, MIGRATIONS as SQLITE_MIGRATIONS, openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { openPostgresStorage, type PostgresStorage } from '../adapters/storage/postgres/index.js';
import { COPIED_COLUMNS, COPIED_TABLES, TRANSIENT_TABLES } from '../adapters/storage/postgres/from-sqlite.js';
import { main } from '../entry/cli.js';
import { migrateDb, parseMigrateDbArgs, type MigrateDbOptions } from '../entry/migrate-db.js';
import { makeArticle, makeRelated } from './helpers/articles.js';
import { captureIO, runBin } from './helpers/cli.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-migrate-'));
  dirs.push(dir);
  return dir;
}

const chat: Target = { platform: 'telegram', chatId: '42' };
const thread: Target = { platform: 'telegram', chatId: '42', threadId: '7' };
const channel: Target = { platform: 'discord', chatId: '900100' };
const gone: Target = { platform: 'telegram', chatId: '-100555' };
const TARGETS = [chat, thread, channel, gone];
const STATUSES: DeliveryStatus[] = ['claimed', 'sending', 'pending', 'sent', 'empty', 'skipped', 'failed'];

/** What the builder put in the source, for the comparisons. */
interface Built {
  path: string;
  articles: Article[];
  topicKeys: string[];
  subscriptionIds: number[];
  removedSubscriptionId: number;
  feedIds: number[];
  removedFeedId: number;
}

/**
 * A SQLite installation written through the real ports, as a running Newsbrief would have: live and removed
 * articles under several topics, subscriptions (one inactive, one on a forum thread, one removed after it was
 * delivered), chat time zones, deliveries in every state, seed-file state, a rank weight, and feeds (one
 * polled, one disabled after failures, one claimed by a poller, one removed).
 */
async function buildSqlite(dir: string): Promise<Built> {
  const path = join(dir, 'data', 'newsbrief.db');
  const s = openSqliteStorage(path);
  try {
    // A meta row that describes this machine's process, not the installation.
    s.recordLockHolder();
    await s.articles.setRankWeight(0.0173);
    const hour = (h: number) => new Date(Date.UTC(2026, 10, 20) + h * 3_600_000).toISOString();
    const articles = [
      makeArticle({ topics: ['AI'], quality: 90, publishedAt: hour(1), related: [makeRelated(), makeRelated()] }),
      makeArticle({ topics: ['AI', 'Space'], quality: 40, publishedAt: hour(30) }),
      makeArticle({ topics: ['Space'], quality: 70, publishedAt: hour(12) }),
      makeArticle({ topics: ['Climate', 'AI'], quality: 55, publishedAt: hour(20), extra: { note: 'ünïcödé ✓' } }),
      makeArticle({ topics: ['Climate'], quality: 65, publishedAt: hour(5) }),
      makeArticle({ topics: ['AI'], quality: 80, publishedAt: hour(28) }),
      makeArticle({ topics: ['Space'], quality: 50, publishedAt: hour(2) }),
    ];
    await s.articles.upsertArticles(indexArticles(articles));
    // Removed later: kept as a row, gone from its topics and from the live count.
    articles[2] = { ...articles[2]!, removed: true };
    articles[6] = { ...articles[6]!, removed: true };
    await s.articles.upsertArticles(indexArticles([articles[2]!, articles[6]!]));

    const sub = async (target: Target, topic: string, time: string) =>
      (
        await s.subscriptions.upsertSubscription({
          target,
          topic,
          topicKey: topic.toLowerCase(),
          time,
          timezone: 'Europe/Kyiv',
          nextDueAt: '2026-11-27T06:00:00.000Z',
        })
      ).subscription.id;
    const ai = await sub(chat, 'AI', '08:00');
    const space = await sub(chat, 'Space', '09:30');
    const threadAi = await sub(thread, 'AI', '07:15');
    const climate = await sub(channel, 'Climate', '18:00');
    const removed = await sub(gone, 'AI', '08:00');
    // Subscription options (migration 9): a schedule of two times on three days, a count, every filter and its
    // own zone on one; another paused.
    await s.subscriptions.updateSubscription(ai, {
      schedule: { kind: 'days', days: [1, 3, 5], times: ['08:00', '18:30'] },
      count: 3,
      filters: { include: ['open source', 'GPT'], exclude: ['crypto'], outlets: ['example.com', 'The Ledger'], minQuality: 60 },
      ownZone: true,
    });
    await s.subscriptions.updateSubscription(space, { paused: true, schedule: { kind: 'weekly', days: [7], times: ['09:30'] } });
    await s.subscriptions.setActive(channel, false, 'bot was removed from the channel');
    await s.subscriptions.setTimezone(chat, 'Europe/Kyiv');
    await s.subscriptions.setTimezone(thread, 'Asia/Tokyo');

    const slot = (day: number) => `2026-11-${day}T06:00:00.000Z`;
    const d = s.deliveries;
    await d.recordDelivery(
      { subscriptionId: ai, slot: slot(25), status: 'sent', articleIds: [articles[0]!.id, articles[5]!.id], detail: null, partsSent: 2, partsTotal: 2 },
      chat,
      slot(26),
    );
    await d.recordDelivery({ subscriptionId: ai, slot: slot(24), status: 'empty', articleIds: [], detail: 'nothing new' }, chat);
    await d.recordDelivery(
      { subscriptionId: space, slot: slot(25), status: 'failed', articleIds: [articles[1]!.id], detail: 'attempt 2/5: 502', attempts: 2, retryAt: '2026-11-25T06:10:00.000Z' },
      chat,
    );
    await d.recordDelivery({ subscriptionId: space, slot: slot(23), status: 'skipped', articleIds: [], detail: 'caught up' }, chat);
    await d.claimDelivery(threadAi, slot(26), 'instance-a', new Date(slot(26)));
    await d.updateClaim(threadAi, slot(26), 'instance-a', {
      status: 'sending',
      partsSent: 1,
      partsTotal: 3,
      articleIds: [articles[3]!.id],
      digest: { topic: 'AI', topicKey: 'ai', generatedAt: slot(26), items: [], matched: 4 },
    });
    await d.claimDelivery(climate, slot(26), 'instance-b', new Date(slot(26)));
    await d.claimDelivery(climate, slot(25), 'instance-b', new Date(slot(25)));
    await d.releaseDelivery(climate, slot(25), 0, 'handed back');
    await d.recordDelivery({ subscriptionId: removed, slot: slot(25), status: 'sent', articleIds: [articles[4]!.id], detail: null }, gone);
    // Its id stays used: its deliveries outlive it, and no later subscription may take them over.
    await s.subscriptions.removeSubscription(gone, 'ai');
    // A running instance's lease (written directly: SqliteDeliveryLog.leaseChat fails to bind its parameters).
    s.db.prepare('INSERT INTO chat_leases (platform, chat_id, claimed_by, lease_until) VALUES (?, ?, ?, ?)').run('telegram', '42', 'instance-a', Date.now() + 60_000);

    await s.sources.recordSourceItems([
      { source: 'ai/one.md', contentHash: 'h1', articleId: articles[0]!.id },
      { source: 'space/two.md', contentHash: 'h2', articleId: articles[1]!.id },
      { source: 'broken.md', contentHash: 'h3', articleId: null },
    ]);

    const added = new Date('2026-11-20T10:00:00.123Z');
    const feed = async (url: string, name: string | null, topics: string[], quality: number) =>
      (await s.feeds.addFeed({ url, name, topics, quality }, added)).feed.id;
    const polled = await feed('https://ai.example/feed.xml', 'AI Weekly', ['AI', 'Machine Learning'], 72.5);
    const failing = await feed('https://gone.example/rss', null, ['Space'], 60);
    const claimed = await feed('https://climate.example/atom', 'Climate desk', ['Climate'], 80);
    const removedFeed = await feed('https://removed.example/feed', null, ['AI'], 50);
    await s.feeds.recordFetch(polled, {
      at: new Date('2026-11-26T05:00:00.000Z'),
      status: '200, 12 items (3 new)',
      ok: true,
      etag: 'W/"ab12"',
      lastModified: 'Thu, 26 Nov 2026 04:58:00 GMT',
      nextFetchAt: new Date('2026-11-26T05:30:00.000Z'),
      failures: 0,
      newItems: 3,
      feedTitle: 'AI Weekly — ünïcödé',
      siteUrl: 'https://ai.example/',
    });
    await s.feeds.recordFetch(failing, {
      at: new Date('2026-11-26T05:01:00.000Z'),
      status: 'HTTP 410',
      ok: false,
      nextFetchAt: new Date('2026-11-27T05:01:00.000Z'),
      failures: 4,
      disable: 'HTTP 410: the feed is gone',
    });
    await s.feeds.claimDueFeeds(new Date('2026-11-26T05:02:00.000Z'), new Date('2026-11-26T05:07:00.000Z'), 10);
    await s.feeds.removeFeed(removedFeed);
    return {
      path,
      articles,
      topicKeys: ['ai', 'space', 'climate', 'nothing'],
      subscriptionIds: [ai, space, threadAi, climate],
      removedSubscriptionId: removed,
      feedIds: [polled, failing, claimed],
      removedFeedId: removedFeed,
    };
  } finally {
    await s.close();
  }
}

/** Everything a Newsbrief reads through the ports, gathered from one storage for a whole-value comparison. */
async function readBack(s: Storage, built: Built) {
  const ids = [...built.subscriptionIds, built.removedSubscriptionId];
  const window = { since: new Date('2026-11-20T04:00:00Z'), until: new Date('2026-11-21T05:00:00Z') };
  return {
    articles: await Promise.all(built.articles.map((a) => s.articles.getArticle(a.id))),
    articleCount: await s.articles.articleCount(),
    topicCounts: await s.articles.topicCounts(),
    topicMatchCounts: await Promise.all(built.topicKeys.map((k) => s.articles.topicMatchCount(k))),
    candidates: await Promise.all(
      built.topicKeys.map(async (k) => (await s.articles.candidates({ topicKeys: [k], limit: 50 })).map((c) => [c.article.id, c.topicMatch])),
    ),
    windowCandidates: (await s.articles.candidates({ topicKeys: ['ai', 'space'], limit: 3, ...window })).map((c) => c.article.id),
    windowArticles: (await s.articles.windowArticles(window.since, window.until)).map((a) => a.id),
    rankWeight: await s.articles.rankWeight(),
    subscriptions: await Promise.all(TARGETS.map((t) => s.subscriptions.listSubscriptions(t))),
    byId: await Promise.all(ids.map((id) => s.subscriptions.getSubscription(id))),
    due: await s.subscriptions.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 100),
    timezones: await Promise.all(TARGETS.map((t) => s.subscriptions.getTimezone(t))),
    deliveries: await Promise.all(ids.map((id) => s.deliveries.deliveries(id))),
    byStatus: await Promise.all(STATUSES.map((st) => s.deliveries.deliveriesWithStatus(st))),
    lastDelivered: await Promise.all(ids.map((id) => s.deliveries.lastDeliveredSlot(id, '2026-12-01T00:00:00.000Z'))),
    sent: await Promise.all(TARGETS.map(async (t) => [...(await s.deliveries.sentArticleIds(t))].sort())),
    sources: [...(await s.sources.sourceItems())].sort(([a], [b]) => a.localeCompare(b)),
    feeds: await s.feeds.listFeeds(),
    feedsById: await Promise.all([...built.feedIds, built.removedFeedId].map((id) => s.feeds.getFeed(id))),
    feedByUrl: await s.feeds.findFeed('https://climate.example/atom'),
  };
}

describe('migrate-db arguments', () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => parseMigrateDbArgs(argv, env);

  it('takes sqlite:PATH, sqlite://PATH or a plain path, and --to from DATABASE_URL when not given', () => {
    const env = { DATABASE_URL: 'postgres://nb:pw@db.example:5432/nb' };
    for (const from of ['sqlite:./data/nb.db', 'sqlite://./data/nb.db', './data/nb.db']) {
      expect(parse(['--from', from], env)).toEqual({ kind: 'run', options: { from: './data/nb.db', to: env.DATABASE_URL, schema: 'public' } });
    }
    expect(parse(['--from', 'x.db', '--to', 'postgresql://h/other', '--schema', 'trial'], env)).toEqual({
      kind: 'run',
      options: { from: 'x.db', to: 'postgresql://h/other', schema: 'trial' },
    });
  });

  it('names the option that is wrong, and never repeats a URL', () => {
    const error = (argv: string[], env: Record<string, string> = {}) => {
      const r = parse(argv, env);
      return r.kind === 'usage-error' ? r.message : `no error: ${r.kind}`;
    };
    expect(error([])).toMatch(/^--from is required/);
    expect(error(['--from', 'x.db'])).toMatch(/^--to is required \(or DATABASE_URL\)/);
    expect(error(['--from', 'x.db', '--to', 'mysql://u:s3cret@h/db'])).toMatch(/^--to must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(error(['--from', 'x.db'], { DATABASE_URL: './nb.db' })).toMatch(/^DATABASE_URL \(the default for --to\) must be a postgres/);
    expect(error(['--from', 'postgres://u:s3cret@h/db', '--to', 'postgres://h/db'])).toMatch(/^--from must be a SQLite database/);
    expect(error(['--from', 'sqlite::memory:', '--to', 'postgres://h/db'])).toMatch(/^--from must name a SQLite database file/);
    expect(error(['--from', 'x.db', '--to', 'postgres://h/db', '--schema', ''])).toBe('--schema must not be empty');
    expect(error(['--from', 'x.db', '--to', 'postgres://h/db', '--schema', 's'.repeat(64)])).toMatch(/^--schema must be at most 63 bytes/);
    expect(error(['--from', 'x.db', '--to', 'postgres://h/db', '--form', 'y'])).toBe("Unknown option '--form'.");
    const positional = error(['sqlite:x.db', 'postgres://u:s3cret@h/db']);
    expect(positional).toMatch(/no positional arguments/);
    expect(positional).not.toContain('s3cret');
  });

  it('explains itself on --help and `help migrate-db`, and exits 2 on a wrong argument', async () => {
    for (const argv of [['migrate-db', '--help'], ['help', 'migrate-db']]) {
      const run = captureIO();
      expect(await main(argv, run.io)).toBe(0);
      expect(run.stdout()).toMatch(/^Usage: newsbrief migrate-db --from sqlite:PATH \[--to URL\] \[--schema NAME\]/);
      expect(run.stdout()).toMatch(/--to URL +The Postgres database/);
    }
    const overview = captureIO();
    await main(['help'], overview.io);
    expect(overview.stdout()).toContain('newsbrief migrate-db --from sqlite:PATH [--to URL]');
    const wrong = captureIO();
    expect(await main(['migrate-db', '--from', 'x.db', '--to', 'mysql://u:s3cret@h/db'], wrong.io)).toBe(2);
    expect(wrong.stderr()).toMatch(/^newsbrief migrate-db: --to must be a postgres/);
    expect(wrong.stderr()).toContain('Run "newsbrief migrate-db --help" for usage.');
    expect(wrong.stderr()).not.toContain('s3cret');
  });
});

describe('migrate-db refusals before Postgres is touched', () => {
  // Port 1: nothing listens there, so getting as far as connecting would fail differently.
  const options = (from: string): MigrateDbOptions => ({ from, to: 'postgres://nb:s3cret@127.0.0.1:1/nb', schema: 'public' });

  it('refuses a file that does not exist, without creating it', async () => {
    const path = join(tempDir(), 'missing.db');
    const run = captureIO();
    expect(await migrateDb(options(path), run.io)).toBe(1);
    expect(run.stderr()).toBe(`newsbrief migrate-db: no SQLite database at ${path} (--from): check the path\n`);
    expect(() => new Database(path, { fileMustExist: true })).toThrow();
  });

  it('refuses a file that is not SQLite, a SQLite database that is not Newsbrief\'s, and a newer schema', async () => {
    const dir = tempDir();
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'just some notes, long enough to look like a header of something '.repeat(4));
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
    db.close();
    const newer = join(dir, 'newer.db');
    await openSqliteStorage(newer).close();
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    const cases: [string, RegExp][] = [
      [text, /notes\.txt is not a SQLite database$/],
      [other, /other\.db is a SQLite database, but not a Newsbrief one/],
      [newer, new RegExp(`newer\\.db is at schema version 99, newer than this Newsbrief knows \\(${SQLITE_MIGRATIONS.length}\\): upgrade Newsbrief first$`)],
    ];
    for (const [path, message] of cases) {
      const run = captureIO();
      expect(await migrateDb(options(path), run.io)).toBe(1);
      expect(run.stderr().trim()).toMatch(message);
    }
    // Looked at, not changed: the other application's database got no Newsbrief tables.
    const after = new Database(other, { readonly: true });
    expect(after.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all()).toEqual(['accounts']);
    after.close();
  });

  it('refuses a database that a running npm start holds, naming it', async () => {
    const dir = tempDir();
    const path = join(dir, 'nb.db');
    const s = openSqliteStorage(path);
    s.recordLockHolder();
    await s.close();
    const lock = lockDatabase(path);
    try {
      const run = captureIO();
      expect(await migrateDb(options(path), run.io)).toBe(1);
      expect(run.stderr()).toMatch(new RegExp(`^newsbrief migrate-db: ${path}.* is in use by a running Newsbrief \\(pid ${process.pid} on .*; lock .*nb\\.db\\.lock\\)\\. Stop it first`));
    } finally {
      lock.release();
    }
  });
});

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`migrate-db Postgres tests skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)('migrate-db into Postgres', () => {
  let server: TestPostgres;
  let admin: pg.Pool;
  const password = 'migrate-pa55word-never-shown';
  const opened: PostgresStorage[] = [];
  const schemas: string[] = [];
  const freshSchema = () => {
    const name = `m_${randomBytes(6).toString('hex')}`;
    schemas.push(name);
    return name;
  };
  /** The server's URL with a password (trust authentication ignores it), which must never be printed. */
  const url = () => {
    const u = new URL(server.url);
    u.password = password;
    return u.toString();
  };
  const openTarget = async (schema: string) => {
    const s = await openPostgresStorage(server.url, { schema, poolSize: 2 });
    opened.push(s);
    return s;
  };
  const rowsIn = async (schema: string) => {
    const out: Record<string, number> = {};
    for (const t of [...COPIED_TABLES, ...TRANSIENT_TABLES.postgres]) {
      out[t] = Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".${t}`)).rows[0].n);
    }
    return out;
  };
  const migrate = async (from: string, schema: string, extra: Partial<MigrateDbOptions> = {}, io = captureIO()) => {
    const code = await migrateDb({ from, to: url(), schema, batchSize: 2, progressEveryMs: 0, ...extra }, io.io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const name of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });

  it('copies an installation so that every port reads back the same, and prints verified counts', async () => {
    const built = await buildSqlite(tempDir());
    const schema = freshSchema();
    const run = await migrate(built.path, schema);
    expect(run.stderr).not.toContain('newsbrief migrate-db:');
    expect(run.code).toBe(0);

    const source = openSqliteStorage(built.path);
    const target = await openTarget(schema);
    try {
      const expected = await readBack(source, built);
      // The fixture is what it claims to be, so that equality below means something.
      expect(expected.articleCount).toBe(5);
      expect(expected.articles.filter((a) => a?.removed)).toHaveLength(2);
      expect(expected.topicCounts).toEqual([
        { key: 'ai', name: 'AI', count: 4 },
        { key: 'climate', name: 'Climate', count: 2 },
        { key: 'space', name: 'Space', count: 1 },
      ]);
      expect(expected.byStatus.map((l) => l.length)).toEqual([1, 1, 1, 2, 1, 1, 1]);
      expect(expected.sent[0]).toHaveLength(3);
      expect(expected.subscriptions[2]![0]!.active).toBe(false);
      expect(expected.feeds.map((f) => [f.enabled, f.items, f.etag !== null, f.nextFetchAt])).toEqual([
        [true, 3, true, '2026-11-26T05:30:00.000Z'],
        [false, 0, false, '2026-11-27T05:01:00.000Z'],
        [true, 0, false, '2026-11-26T05:07:00.000Z'],
      ]);
      expect(expected.feedsById[3]).toBeUndefined();
      expect(await readBack(target, built)).toEqual(expected);
    } finally {
      await source.close();
    }

    // Printed: per-table counts side by side, the port checks, and that leases stay behind.
    expect(run.stdout).toMatch(/^ {2}articles +7 +7$/m);
    expect(run.stdout).toMatch(/^ {2}subscriptions +4 +4$/m);
    expect(run.stdout).toMatch(/^ {2}deliveries +8 +8$/m);
    expect(run.stdout).toMatch(/^ {2}sent_articles +4 +4$/m);
    expect(run.stdout).toMatch(/^ {2}meta +1 +1$/m);
    expect(run.stdout).toMatch(/^ {2}feeds +3 +3$/m);
    expect(run.stdout).toMatch(/^ {2}live articles +5 +5 +articleCount\(\)$/m);
    expect(run.stdout).toMatch(/^ {2}topics with articles +3 +3 +topicCounts\(\): same names and counts$/m);
    expect(run.stdout).toMatch(/^ {2}rank weight +0\.0173 +0\.0173 +rankWeight\(\)$/m);
    expect(run.stdout).toContain('Not copied: chat_leases');
    expect(run.stdout).toMatch(/Verified: every count matches\./);
    expect(run.stdout).not.toMatch(/DIFFERS/);
    // Progress per batch of two, each table's last line complete.
    expect(run.stderr).toMatch(new RegExp(`^Copying .*newsbrief\\.db into postgres database postgres on 127\\.0\\.0\\.1:\\d+, schema ${schema}, in one transaction:$`, 'm'));
    expect(run.stderr).toMatch(/^ {2}articles: 2\/7 …$/m);
    expect(run.stderr).toMatch(/^ {2}articles: 7\/7$/m);
    expect(run.stderr).toMatch(/^ {2}chat_settings: 2\/2$/m);
    expect(run.stdout + run.stderr).not.toContain(password);

    // What only the SQL shows: the inactive reason, no leases, the lock holder left behind.
    const reason = await admin.query(`SELECT inactive_reason FROM "${schema}".subscriptions WHERE platform = 'discord'`);
    expect(reason.rows).toEqual([{ inactive_reason: 'bot was removed from the channel' }]);
    expect((await rowsIn(schema)).chat_leases).toBe(0);
    expect((await admin.query(`SELECT key FROM "${schema}".meta`)).rows).toEqual([{ key: 'rank_weight' }]);
  });

  it('paces progress lines by the clock: with the clock standing still, a table shows its first batch and its last', async () => {
    const built = await buildSqlite(tempDir());
    const run = await migrate(built.path, freshSchema(), { progressEveryMs: 1000, now: () => 0 });
    expect(run.code).toBe(0);
    expect(run.stderr.match(/^ {2}articles: .*$/gm)).toEqual(['  articles: 2/7 …', '  articles: 7/7']);
    expect(run.stderr.match(/^ {2}deliveries: .*$/gm)).toEqual(['  deliveries: 2/8 …', '  deliveries: 8/8']);
    expect(run.stdout).toMatch(/ in 0 ms:\n/);
  });

  it('hands out ids above the copied ones: subscriptions and feeds above every id SQLite issued, articles and topics above theirs', async () => {
    const built = await buildSqlite(tempDir());
    const schema = freshSchema();
    expect((await migrate(built.path, schema)).code).toBe(0);
    const target = await openTarget(schema);
    const { subscription } = await target.subscriptions.upsertSubscription({
      target: { platform: 'telegram', chatId: '77' },
      topic: 'AI',
      topicKey: 'ai',
      time: '08:00',
      timezone: 'UTC',
      nextDueAt: '2026-11-28T08:00:00.000Z',
    });
    // The removed subscription's id was the highest issued; its delivery log is not inherited.
    expect(built.removedSubscriptionId).toBe(Math.max(...built.subscriptionIds) + 1);
    expect(subscription.id).toBe(built.removedSubscriptionId + 1);
    expect(await target.deliveries.deliveries(subscription.id)).toEqual([]);
    // Likewise the removed feed's id, the highest issued: a new feed comes after it.
    expect(built.removedFeedId).toBe(Math.max(...built.feedIds) + 1);
    const { feed } = await target.feeds.addFeed({ url: 'https://new.example/feed', name: null, topics: ['AI'], quality: 70 }, new Date());
    expect(feed.id).toBe(built.removedFeedId + 1);

    const before = await admin.query(`SELECT max(n) AS n, (SELECT max(id) FROM "${schema}".topics) AS topic FROM "${schema}".articles`);
    await target.articles.upsertArticles(indexArticles([makeArticle({ topics: ['Robotics'] })]));
    const after = await admin.query(
      `SELECT a.n, t.id AS topic FROM "${schema}".articles a, "${schema}".topics t WHERE t.key = 'robotics' ORDER BY a.n DESC LIMIT 1`,
    );
    expect(Number(after.rows[0].n)).toBe(Number(before.rows[0].n) + 1);
    expect(after.rows[0].topic).toBe(before.rows[0].topic + 1);
  });

  it('refuses a target that already holds rows, naming the database and tables but not the password', async () => {
    const built = await buildSqlite(tempDir());
    const schema = freshSchema();
    expect((await migrate(built.path, schema)).code).toBe(0);
    const before = await rowsIn(schema);
    const again = await migrate(built.path, schema);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(`refusing to copy into postgres database postgres on 127\\.0\\.0\\.1:\\d+, schema ${schema}: it already holds rows \\(meta: 1, topics: 3, articles: 7, `),
    );
    expect(again.stderr).toContain('nothing was changed');
    expect(again.stdout + again.stderr).not.toContain(password);
    expect(await rowsIn(schema)).toEqual(before);

    // One row anywhere is enough, a rate budget of an instance that ran on it included.
    const other = freshSchema();
    await (await openTarget(other)).close();
    await admin.query(`INSERT INTO "${other}".rate_budget (key, next_at) VALUES ('telegram', now())`);
    const used = await migrate(built.path, other);
    expect(used.code).toBe(1);
    expect(used.stderr).toMatch(/it already holds rows \(rate_budget: 1\)/);
  });

  it('leaves the target empty when a row fails late in the copy, and copies once the row is fixed', async () => {
    const built = await buildSqlite(tempDir());
    // SQLite takes a NUL character in text; Postgres text refuses it. sent_articles is copied last.
    const raw = new Database(built.path);
    // The last row in copy order (a NUL at the end keeps its place): the three batches before it go in first.
    const last = raw.prepare(`SELECT max(article_id) FROM sent_articles WHERE chat_id = '42'`).pluck().get() as string;
    const rename = raw.prepare('UPDATE sent_articles SET article_id = ? WHERE article_id = ?');
    rename.run(`${last}\0`, last);
    const schema = freshSchema();
    const failed = await migrate(built.path, schema);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^ {2}deliveries: 8\/8$/m);
    expect(failed.stderr).toMatch(
      new RegExp(`the copy failed and was rolled back, postgres database postgres on 127\\.0\\.0\\.1:\\d+, schema ${schema} is still empty: copying sent_articles, rows 3–4 of 4: .*0x00`),
    );
    expect(Object.values(await rowsIn(schema)).every((n) => n === 0)).toBe(true);
    expect(failed.stdout).toBe('');

    rename.run(last, `${last}\0`);
    raw.close();
    const fixed = await migrate(built.path, schema);
    expect(fixed.code).toBe(0);
    expect((await rowsIn(schema)).sent_articles).toBe(4);
  });

  it('exits 1 when the source reads back differently after the copy (something wrote to it meanwhile)', async () => {
    const built = await buildSqlite(tempDir());
    const schema = freshSchema();
    // A concurrent writer, e.g. `newsbrief ingest` removing an article, right after the articles were copied.
    const writer = new Database(built.path);
    const io = captureIO();
    const write = io.io.stderr.write;
    io.io.stderr.write = (text: string) => {
      if (text.includes('articles: 7/7')) writer.prepare('UPDATE articles SET removed = 1 WHERE n = 1').run();
      return write(text);
    };
    const run = await migrate(built.path, schema, {}, io);
    writer.close();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}live articles +4 +5 +DIFFERS: articleCount\(\)$/m);
    expect(run.stderr).toMatch(/the copy is committed but does not read back as the source reads now .* Did something write to .*newsbrief\.db during the copy\?/);
    expect(run.stdout).not.toContain('Verified');
  });

  it('upgrades an older SQLite database first, as npm start would, then copies it', async () => {
    const path = join(tempDir(), 'old.db');
    // Schema version 4: targets as columns, before topics became integers (migration 5).
    const old = new Database(path);
    for (const sql of SQLITE_MIGRATIONS.slice(0, 4)) old.exec(sql);
    old.pragma('user_version = 4');
    old.prepare(
      `INSERT INTO subscriptions (id, target, platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at)
       VALUES (3, 'telegram:5:', 'telegram', '5', '', 'AI', 'ai', '08:00', 'UTC', ?, '2026-01-02T03:04:05.006Z')`,
    ).run(Date.parse('2026-11-27T08:00:00Z'));
    old.close();
    const schema = freshSchema();
    const run = await migrate(path, schema);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Upgrading ${path} from schema version 4 to ${SQLITE_MIGRATIONS.length} first, as npm start would.`);
    const target = await openTarget(schema);
    expect(await target.subscriptions.getSubscription(3)).toEqual({
      id: 3,
      target: { platform: 'telegram', chatId: '5' },
      topic: 'AI',
      topicKey: 'ai',
      time: '08:00',
      timezone: 'UTC',
      // What migration 9 gives a subscription from before options: daily at its time, following the chat's zone.
      schedule: { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['08:00'] },
      ownZone: false,
      count: null,
      filters: { include: [], exclude: [], outlets: [], minQuality: null },
      paused: false,
      active: true,
      nextDueAt: '2026-11-27T08:00:00.000Z',
      createdAt: '2026-01-02T03:04:05.006Z',
    });
  });

  it('runs from the newsbrief command with --to taken from DATABASE_URL', async () => {
    const built = await buildSqlite(tempDir());
    const run = await runBin(['migrate-db', '--from', `sqlite:${built.path}`], { env: { DATABASE_URL: url() }, timeoutMs: 60_000 });
    schemas.push('public');
    expect(run.stderr).toMatch(/^ {2}articles: 7\/7$/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}topics with articles +3 +3 +topicCounts\(\): same names and counts$/m);
    expect(run.stdout).toContain('Set DATABASE_URL to this database to run on it');
    expect(run.stdout + run.stderr).not.toContain(password);
    const target = await openTarget('public');
    expect(await target.articles.articleCount()).toBe(5);
  }, 60_000);

  it('copies every column of every copied table, but the few that exist on one side only', async () => {
    // SQLite-only: a URL hash and the entry list (Postgres indexes instead), the old target key. Postgres-only:
    // the URL, read from the document. Anything else missing from the plan is a column the copy would drop.
    const sqliteOnly: Record<string, string[]> = { articles: ['url_hash', 'entries'], subscriptions: ['target'] };
    const postgresOnly: Record<string, string[]> = { articles: ['url'] };
    const sqlite = openSqliteStorage(':memory:');
    const schema = freshSchema();
    await openTarget(schema);
    try {
      for (const table of COPIED_TABLES) {
        const planned = [...COPIED_COLUMNS[table]!].sort();
        const inSqlite = sqlite.db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
        const { rows } = await admin.query<{ column_name: string }>(
          'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
          [schema, table],
        );
        expect(rows.map((r) => r.column_name).sort(), `Postgres ${table}`).toEqual(planned);
        const expected = planned.filter((c) => !(postgresOnly[table] ?? []).includes(c));
        expect(inSqlite.filter((c) => !(sqliteOnly[table] ?? []).includes(c)).sort(), `SQLite ${table}`).toEqual(expected);
      }
    } finally {
      await sqlite.close();
    }
  });

  it('has a place for every table of both schemas: copied, or transient on purpose', async () => {
    const sqlite = openSqliteStorage(':memory:');
    const sqliteTables = sqlite.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    await sqlite.close();
    expect(sqliteTables).toEqual([...COPIED_TABLES, ...TRANSIENT_TABLES.sqlite, 'sqlite_sequence'].sort());
    const schema = freshSchema();
    await openTarget(schema);
    const { rows } = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
    expect(rows.map((r) => r.table_name)).toEqual([...COPIED_TABLES, ...TRANSIENT_TABLES.postgres, 'newsbrief_migrations'].sort());
  });
});
