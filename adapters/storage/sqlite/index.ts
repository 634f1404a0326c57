import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import {
  StorageGoneError,
  type DeliveryLog,
  type DeliveryProgress,
  type DeliveryRecord,
  type DeliveryStatus,
  type NewSubscription,
  type SourceItemRecord,
  type SourceStateStore,
  type Storage,
  type SubscriptionChanges,
  type SubscriptionStore,
  type TargetScope,
} from '../../../src/index.js';
import { filtersColumn, filtersFrom, scheduleColumns, scheduleFrom, settingsOf } from '../subscription-columns.js';
import type { Digest, Subscription, Target } from '../../../src/index.js';
import { SqliteArticleStore } from './articles.js';
import { encodeDocument, urlHash } from './documents.js';
import { encodeEntryKeys } from './entries.js';
import { SqliteFeedStore } from './feeds.js';
import type { LockHolder } from './lock.js';

export { SqliteArticleStore } from './articles.js';
export { SqliteFeedStore } from './feeds.js';
export { DatabaseLockedError, lockDatabase, type DatabaseLock, type LockHolder } from './lock.js';

/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; `PRAGMA user_version`
 * records how many have run. Append new migrations, never edit old ones.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    published_at INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
  );

  -- One row per live article and topic; rank_key orders by score at any "now" (see rank.ts).
  CREATE TABLE article_topics (
    topic_key TEXT NOT NULL,
    article_id TEXT NOT NULL,
    rank_base REAL NOT NULL,
    published_hours REAL NOT NULL,
    rank_key REAL NOT NULL,
    PRIMARY KEY (topic_key, article_id)
  ) WITHOUT ROWID;
  CREATE INDEX article_topics_rank ON article_topics (topic_key, rank_key DESC);
  CREATE INDEX article_topics_article ON article_topics (article_id);

  CREATE TABLE topic_names (key TEXT PRIMARY KEY, name TEXT NOT NULL);

  CREATE TABLE seed_files (
    source TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    article_id TEXT
  );

  CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    thread_id TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL,
    topic_key TEXT NOT NULL,
    time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    next_due_at INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (target, topic_key)
  );
  CREATE INDEX subscriptions_due ON subscriptions (active, next_due_at);

  CREATE TABLE chat_settings (target TEXT PRIMARY KEY, timezone TEXT);

  CREATE TABLE deliveries (
    subscription_id INTEGER NOT NULL,
    slot TEXT NOT NULL,
    status TEXT NOT NULL,
    article_ids TEXT NOT NULL,
    detail TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, slot)
  );

  CREATE TABLE sent_articles (
    target TEXT NOT NULL,
    article_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (target, article_id)
  ) WITHOUT ROWID;
  `,
  // Slot claims, per-part progress (resume from the first unsent part) and retry times (honour retry_after).
  `
  ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
  ALTER TABLE deliveries ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE deliveries ADD COLUMN parts_total INTEGER;
  ALTER TABLE deliveries ADD COLUMN digest TEXT;
  ALTER TABLE deliveries ADD COLUMN retry_at INTEGER;
  UPDATE deliveries SET retry_at = 0 WHERE status = 'failed' AND detail LIKE 'attempt %/%';
  CREATE INDEX deliveries_status ON deliveries (status);
  `,
  // Publication-time windows: /news and scheduled digests read [since, until] of a topic, `stories` of all.
  `
  CREATE INDEX article_topics_window ON article_topics (topic_key, published_hours, rank_key);
  CREATE INDEX articles_published ON articles (published_at) WHERE removed = 0;
  `,
  // Structured state: the topic match is stored (the core computes it) and transient attempts are a column.
  // Before this version the match was folded into rank_base only; an article's first topic had the highest
  // base (match 1), every later one 0.8 (RANK.TOPIC_PRIMARY / TOPIC_SECONDARY at the time).
  `
  ALTER TABLE article_topics ADD COLUMN topic_match REAL NOT NULL DEFAULT 1;
  UPDATE article_topics SET topic_match = 0.8
    WHERE rank_base < (SELECT max(t.rank_base) FROM article_topics t WHERE t.article_id = article_topics.article_id);
  ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  UPDATE deliveries SET attempts = CAST(substr(detail, 9, instr(detail, '/') - 9) AS INTEGER)
    WHERE status = 'failed' AND detail LIKE 'attempt %/%';

  -- Targets as columns (platform, chat, thread), never a string prefix: a chat id may contain ':'.
  -- Before this version the only platforms were telegram, discord and console, whose ids have none.
  CREATE TABLE sent_articles_v4 (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, thread_id, article_id)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO sent_articles_v4
    SELECT substr(target, 1, instr(target, ':') - 1),
      substr(rest, 1, instr(rest, ':') - 1), substr(rest, instr(rest, ':') + 1), article_id, sent_at
    FROM (SELECT *, substr(target, instr(target, ':') + 1) AS rest FROM sent_articles);
  DROP TABLE sent_articles;
  ALTER TABLE sent_articles_v4 RENAME TO sent_articles;

  CREATE TABLE chat_settings_v4 (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    timezone TEXT,
    PRIMARY KEY (platform, chat_id, thread_id)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO chat_settings_v4
    SELECT substr(target, 1, instr(target, ':') - 1),
      substr(rest, 1, instr(rest, ':') - 1), substr(rest, instr(rest, ':') + 1), timezone
    FROM (SELECT *, substr(target, instr(target, ':') + 1) AS rest FROM chat_settings);
  DROP TABLE chat_settings;
  ALTER TABLE chat_settings_v4 RENAME TO chat_settings;

  -- subscriptions.target stays as written (its UNIQUE constraint keeps it) but nothing reads it any more.
  CREATE UNIQUE INDEX subscriptions_target ON subscriptions (platform, chat_id, thread_id, topic_key);
  `,
  // Shaped for a million articles (issue 11): documents deflated (documents.ts), a URL index of 32-bit
  // hashes instead of URLs, topics as small integers with live counts kept by every write, and one topic
  // entry table whose own key is the /news window (topic, publication hours, article row). Existing rows
  // keep their row numbers; documents are re-encoded as they are copied (newsbrief_encode_document,
  // registered by openSqliteStorage), streamed, never all in memory; topic counts are counted once.
  `
  CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO topics (key, name) SELECT key, name FROM topic_names ORDER BY rowid;
  INSERT OR IGNORE INTO topics (key, name) SELECT DISTINCT topic_key, topic_key FROM article_topics ORDER BY topic_key;
  DROP TABLE topic_names;

  -- entries: where the article's topic entries are (entries.ts), so that replacing it finds them by key.
  CREATE TABLE articles_v5 (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url_hash INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    entries BLOB,
    doc BLOB NOT NULL
  );
  INSERT INTO articles_v5 (n, id, url_hash, published_at, removed, doc)
    SELECT rowid, id, newsbrief_url_hash(url), published_at, removed, newsbrief_encode_document(doc) FROM articles ORDER BY rowid;

  CREATE TABLE topic_entries (
    topic INTEGER NOT NULL,
    published_hours REAL NOT NULL,
    n INTEGER NOT NULL,
    rank_key REAL NOT NULL,
    topic_match REAL NOT NULL,
    rank_base REAL NOT NULL,
    PRIMARY KEY (topic, published_hours, n)
  ) WITHOUT ROWID;
  INSERT INTO topic_entries (topic, published_hours, n, rank_key, topic_match, rank_base)
    SELECT t.id, e.published_hours, a.n, e.rank_key, e.topic_match, e.rank_base
    FROM article_topics e JOIN topics t ON t.key = e.topic_key JOIN articles_v5 a ON a.id = e.article_id
    ORDER BY t.id, e.published_hours, a.n;
  UPDATE articles_v5 SET entries = g.keys
    FROM (SELECT n, newsbrief_entry_keys(topic, published_hours) AS keys FROM topic_entries GROUP BY n) AS g
    WHERE g.n = articles_v5.n;
  DROP TABLE article_topics;
  DROP TABLE articles;
  ALTER TABLE articles_v5 RENAME TO articles;

  -- A topic's entries best rank first without a window; ties in row order.
  CREATE INDEX topic_entries_rank ON topic_entries (topic, rank_key DESC, n, topic_match);
  CREATE INDEX articles_url ON articles (url_hash);
  CREATE INDEX articles_published ON articles (published_at) WHERE removed = 0;

  UPDATE topics SET count = (SELECT count(*) FROM topic_entries e WHERE e.topic = topics.id);
  CREATE INDEX topics_by_count ON topics (count DESC, name, key);
  `,
  // Subscription ids are never reused (AUTOINCREMENT): SQLite would hand a removed subscription's id to the
  // next one, which would then inherit its delivery log (its last delivered slot, a claim in flight).
  // Deliveries of subscriptions already gone are dropped.
  `
  CREATE TABLE subscriptions_v6 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    thread_id TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL,
    topic_key TEXT NOT NULL,
    time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    next_due_at INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (target, topic_key)
  );
  INSERT INTO subscriptions_v6 SELECT id, target, platform, chat_id, thread_id, topic, topic_key, time, timezone,
    active, inactive_reason, next_due_at, created_at FROM subscriptions;
  DROP TABLE subscriptions;
  ALTER TABLE subscriptions_v6 RENAME TO subscriptions;
  CREATE INDEX subscriptions_due ON subscriptions (active, next_due_at);
  CREATE UNIQUE INDEX subscriptions_target ON subscriptions (platform, chat_id, thread_id, topic_key);
  DELETE FROM deliveries WHERE subscription_id NOT IN (SELECT id FROM subscriptions);
  `,
  // Chat leases (DeliveryLog.leaseChat): which scheduler works on a chat's due slots, until when (ms since
  // the epoch). Kept in SQLite too, though one process owns a SQLite database, so every backend passes the
  // same contract.
  `
  CREATE TABLE chat_leases (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id)
  );
  CREATE INDEX chat_leases_claimant ON chat_leases (claimed_by);
  `,
  // Feed sources an operator manages (issue 13, FeedStore): what was set (topics as a JSON array), and the
  // polling state. Instants in ms since the epoch; next_fetch_at is also the end of a poller's claim. Ids
  // are never reused, like subscription ids.
  `
  CREATE TABLE feeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    name TEXT,
    topics TEXT NOT NULL,
    quality REAL NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    etag TEXT,
    last_modified TEXT,
    last_fetch_at INTEGER,
    last_success_at INTEGER,
    last_status TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_fetch_at INTEGER NOT NULL,
    items INTEGER NOT NULL DEFAULT 0,
    feed_title TEXT,
    site_url TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX feeds_due ON feeds (next_fetch_at, id) WHERE enabled = 1;
  `,
  // Subscription options (issue 14): a schedule (its kind, the local days as ISO weekday numbers and the
  // times, comma-separated; existing rows are daily at their time), a count of their own (NULL: the
  // scheduler's), filters as JSON (NULL: none), whether the zone is the subscription's own or follows the
  // chat's, and a pause the chat chose (apart from `active`, which the platform's refusals decide). A zone
  // that differs from the chat's setting can only have been given with the subscription: it is its own.
  `
  ALTER TABLE subscriptions ADD COLUMN schedule_kind TEXT NOT NULL DEFAULT 'daily';
  ALTER TABLE subscriptions ADD COLUMN days TEXT NOT NULL DEFAULT '1,2,3,4,5,6,7';
  ALTER TABLE subscriptions ADD COLUMN times TEXT NOT NULL DEFAULT '';
  UPDATE subscriptions SET times = time;
  ALTER TABLE subscriptions ADD COLUMN digest_count INTEGER;
  ALTER TABLE subscriptions ADD COLUMN filters TEXT;
  ALTER TABLE subscriptions ADD COLUMN own_zone INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE subscriptions ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
  UPDATE subscriptions SET own_zone = 1 WHERE EXISTS (
    SELECT 1 FROM chat_settings c WHERE c.platform = subscriptions.platform AND c.chat_id = subscriptions.chat_id
      AND c.thread_id = subscriptions.thread_id AND c.timezone IS NOT NULL AND c.timezone <> subscriptions.timezone);
  DROP INDEX subscriptions_due;
  CREATE INDEX subscriptions_due ON subscriptions (active, paused, next_due_at);
  `,
];

interface SubscriptionRow {
  id: number;
  platform: string;
  chat_id: string;
  thread_id: string;
  topic: string;
  topic_key: string;
  time: string;
  timezone: string;
  active: number;
  next_due_at: number;
  created_at: string;
  schedule_kind: string;
  days: string;
  times: string;
  digest_count: number | null;
  filters: string | null;
  own_zone: number;
  paused: number;
}

interface DeliveryRow {
  subscription_id: number;
  slot: string;
  status: DeliveryStatus;
  article_ids: string;
  detail: string | null;
  updated_at: string;
  claimed_by: string | null;
  parts_sent: number;
  parts_total: number | null;
  digest: string | null;
  retry_at: number | null;
  attempts: number;
}

/** How long a statement waits for another process's write lock (ingest beside the bot) before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

/** Opens (and migrates) a SQLite database; ':memory:' for a throwaway one. */
export function openSqliteStorage(path: string): SqliteStorage {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    return new SqliteStorage(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

type Statements = ReturnType<typeof prepare>;

/**
 * The SQLite implementation of every storage port: WAL, versioned migrations, prepared statements,
 * batched transactions. better-sqlite3 is synchronous; the async methods resolve with its results.
 */
export class SqliteStorage implements Storage {
  readonly db: Database.Database;
  readonly articles: SqliteArticleStore;
  readonly subscriptions: SqliteSubscriptionStore;
  readonly deliveries: SqliteDeliveryLog;
  readonly sources: SqliteSourceState;
  readonly feeds: SqliteFeedStore;
  /** @internal shared by the stores */
  readonly stmts: Statements;

  /** Device and inode of the file at open: a different answer later means it was deleted or replaced. */
  private readonly identity: { dev: number; ino: number } | undefined;
  private gone: StorageGoneError | undefined;
  private readonly goneListeners: ((error: StorageGoneError) => void)[] = [];

  constructor(db: Database.Database) {
    this.db = db;
    // First, so that a second process opening a fresh file waits for the first instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A new file gets 8 KiB pages: a deflated article is about 1.1 KiB, and a 4 KiB page holding three of
    // them left a sixth of it empty (7 % at 8 KiB; larger pages would cost more on every random index
    // write). An existing file keeps the page size it was made with.
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('page_size = 8192');
    // Turning a fresh file to WAL takes an exclusive lock, and SQLite can answer SQLITE_BUSY at once instead
    // of waiting out busy_timeout when other processes are opening the same fresh file: try again briefly.
    withBusyRetry(() => db.pragma('journal_mode = WAL'));
    db.pragma('synchronous = NORMAL');
    // Fewer, larger WAL checkpoints: bulk ingest writes tens of megabytes in one go.
    db.pragma('wal_autocheckpoint = 10000');
    // Up to 64 MiB of pages in memory (the default is 2 MiB): a bulk insert touches the id and URL indexes
    // at random places, and re-reading their pages from the OS was most of its time at a million articles.
    // Only pages actually read take memory, so a serving process stays small.
    db.pragma('cache_size = -65536');
    db.pragma('foreign_keys = ON');
    migrate(db);
    this.stmts = prepare(db);
    if (!db.memory && db.name !== '') {
      const st = statSync(db.name);
      this.identity = { dev: st.dev, ino: st.ino };
    }
    this.articles = new SqliteArticleStore(this);
    this.subscriptions = new SqliteSubscriptionStore(this);
    this.deliveries = new SqliteDeliveryLog(this);
    this.sources = new SqliteSourceState(this);
    this.feeds = new SqliteFeedStore(this);
  }

  /** Schema version after migrations: the number of migrations applied. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  async checkIntact(): Promise<void> {
    this.assertIntact();
  }

  /**
   * Throws StorageGoneError when the file at the path the storage was opened with is gone or is another
   * file (deleted, or replaced by a restore): SQLite would go on writing into the unlinked file, and every
   * confirmed change would vanish. Called before every write and after every subscription change; the
   * first detection also calls the onGone listeners.
   */
  assertIntact(): void {
    if (this.gone) throw this.gone;
    if (!this.identity) return;
    let why: string | undefined;
    try {
      const st = statSync(this.db.name);
      if (st.dev !== this.identity.dev || st.ino !== this.identity.ino) why = 'was replaced by another file';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      why = 'was deleted';
    }
    if (!why) return;
    this.gone = new StorageGoneError(`database file ${this.db.name}`, why);
    for (const listener of this.goneListeners) listener(this.gone);
    throw this.gone;
  }

  /** Calls `listener` once when the file is first found gone. */
  onGone(listener: (error: StorageGoneError) => void): void {
    if (this.gone) listener(this.gone);
    else this.goneListeners.push(listener);
  }

  /** Remembers this process as the holder of the database lock, for the message a refused start shows. */
  recordLockHolder(): void {
    const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    this.write(() => this.stmts.setMeta.run('lock_holder', JSON.stringify(holder)));
  }

  /** @internal A write transaction taken with BEGIN IMMEDIATE, so a read-then-write never fails on a busy snapshot. */
  write<T>(fn: () => T): T {
    this.assertIntact();
    return this.db.transaction(fn).immediate();
  }

  async close(): Promise<void> {
    await this.articles.close();
    if (this.db.open) this.db.close();
  }
}

export class SqliteSourceState implements SourceStateStore {
  constructor(private readonly s: SqliteStorage) {}

  async sourceItems(): Promise<Map<string, SourceItemRecord>> {
    const rows = this.s.stmts.allSeedFiles.all() as { source: string; content_hash: string; article_id: string | null }[];
    return new Map(rows.map((r) => [r.source, { source: r.source, contentHash: r.content_hash, articleId: r.article_id }]));
  }

  async recordSourceItems(records: readonly SourceItemRecord[]): Promise<void> {
    this.s.write(() => {
      for (const r of records) this.s.stmts.upsertSeedFile.run(r.source, r.contentHash, r.articleId);
    });
  }
}

export class SqliteSubscriptionStore implements SubscriptionStore {
  private readonly stmts: Statements;

  constructor(private readonly s: SqliteStorage) {
    this.stmts = s.stmts;
  }

  async upsertSubscription(sub: NewSubscription): Promise<{ subscription: Subscription; created: boolean }> {
    const key = targetKey(sub.target);
    const settings = settingsOf(sub);
    const schedule = scheduleColumns(settings.schedule);
    const values = {
      topic: sub.topic,
      time: settings.time,
      timezone: sub.timezone,
      nextDueAt: Date.parse(sub.nextDueAt),
      kind: schedule.kind,
      days: schedule.days,
      times: schedule.times,
      count: settings.count,
      filters: filtersColumn(settings.filters),
      ownZone: settings.ownZone ? 1 : 0,
      paused: settings.paused ? 1 : 0,
    };
    const result = this.s.write(() => {
      const existing = this.stmts.findSubscription.get(...where(sub.target), sub.topicKey) as { id: number } | undefined;
      if (existing) {
        this.stmts.updateSubscription.run({ ...values, id: existing.id });
        return { id: existing.id, created: false };
      }
      const info = this.stmts.insertSubscription.run({
        ...values,
        target: key,
        platform: sub.target.platform,
        chatId: sub.target.chatId,
        threadId: sub.target.threadId ?? '',
        topicKey: sub.topicKey,
        createdAt: new Date().toISOString(),
      });
      return { id: Number(info.lastInsertRowid), created: true };
    });
    // Checked again after the commit: a change written into a deleted file must not be confirmed.
    this.s.assertIntact();
    return { subscription: this.get(result.id)!, created: result.created };
  }

  async updateSubscription(id: number, changes: SubscriptionChanges): Promise<Subscription | undefined> {
    const schedule = changes.schedule ? scheduleColumns(changes.schedule) : undefined;
    const flag = (present: boolean) => (present ? 1 : 0);
    const changed = this.s.write(
      () =>
        this.stmts.changeSubscription.run({
          id,
          setTopic: flag(changes.topic !== undefined),
          topic: changes.topic ?? null,
          setSchedule: flag(schedule !== undefined),
          time: changes.schedule?.times[0] ?? null,
          kind: schedule?.kind ?? null,
          days: schedule?.days ?? null,
          times: schedule?.times ?? null,
          setTimezone: flag(changes.timezone !== undefined),
          timezone: changes.timezone ?? null,
          setOwnZone: flag(changes.ownZone !== undefined),
          ownZone: changes.ownZone ? 1 : 0,
          setCount: flag(changes.count !== undefined),
          count: changes.count ?? null,
          setFilters: flag(changes.filters !== undefined),
          filters: changes.filters ? filtersColumn(changes.filters) : null,
          setPaused: flag(changes.paused !== undefined),
          paused: changes.paused ? 1 : 0,
          wake: flag(changes.active === true),
          setNextDue: flag(changes.nextDueAt !== undefined),
          nextDueAt: changes.nextDueAt === undefined ? null : Date.parse(changes.nextDueAt),
        }).changes > 0,
    );
    this.s.assertIntact();
    return changed ? this.get(id) : undefined;
  }

  async removeSubscription(target: Target, topicKey: string): Promise<boolean> {
    const removed = this.s.write(() => this.stmts.deleteSubscription.run(...where(target), topicKey).changes > 0);
    this.s.assertIntact();
    return removed;
  }

  async removeAllSubscriptions(target: Target): Promise<number> {
    const removed = this.s.write(() => this.stmts.deleteAllSubscriptions.run(...where(target)).changes);
    this.s.assertIntact();
    return removed;
  }

  async listSubscriptions(target: Target): Promise<Subscription[]> {
    return (this.stmts.listSubscriptions.all(...where(target)) as SubscriptionRow[]).map(toSubscription);
  }

  async getSubscription(id: number): Promise<Subscription | undefined> {
    return this.get(id);
  }

  private get(id: number): Subscription | undefined {
    const row = this.stmts.getSubscription.get(id) as SubscriptionRow | undefined;
    return row ? toSubscription(row) : undefined;
  }

  async setActive(scope: TargetScope, active: boolean, reason?: string): Promise<number> {
    const flag = active ? 1 : 0;
    const why = active ? null : (reason ?? null);
    // A chat without a thread means the whole chat, forum topics included (kicked, blocked).
    if (scope.threadId === undefined) {
      return this.s.write(() => this.stmts.setChatActive.run(flag, why, scope.platform, scope.chatId, flag).changes);
    }
    return this.s.write(() => this.stmts.setActive.run(flag, why, ...where(scope), flag).changes);
  }

  async migrateTarget(from: TargetScope, to: TargetScope): Promise<number> {
    if (targetKey(from) === targetKey(to)) return 0;
    // Both without a thread: the whole chat moves, each thread to the same thread of the new chat. Where
    // the new chat already has a subscription to a topic (or a setting), its own wins.
    const whole = from.threadId === undefined && to.threadId === undefined;
    const m = whole ? this.stmts.moveChat : this.stmts.moveThread;
    const params = {
      fromPlatform: from.platform,
      fromChat: from.chatId,
      fromThread: from.threadId ?? '',
      toPlatform: to.platform,
      toChat: to.chatId,
      toThread: to.threadId ?? '',
    };
    return this.s.write(() => {
      const moved = m.subscriptions.run(params).changes;
      m.dropSubscriptions.run(params);
      m.copySent.run(params);
      m.dropSent.run(params);
      m.moveSettings.run(params);
      m.dropSettings.run(params);
      return moved;
    });
  }

  async getTimezone(target: Target): Promise<string | undefined> {
    const row = this.stmts.getTimezone.get(...where(target)) as { timezone: string | null } | undefined;
    return row?.timezone ?? undefined;
  }

  async setTimezone(target: Target, timezone: string): Promise<void> {
    this.s.write(() => this.stmts.setTimezone.run(...where(target), timezone));
    this.s.assertIntact();
  }

  async dueSubscriptions(now: Date, limit: number, platform?: string): Promise<Subscription[]> {
    const rows =
      platform === undefined ? this.stmts.due.all(now.getTime(), limit) : this.stmts.duePlatform.all(now.getTime(), platform, limit);
    return (rows as SubscriptionRow[]).map(toSubscription);
  }

  async setNextDue(subscriptionId: number, nextDueAt: string): Promise<void> {
    this.s.write(() => this.stmts.setNextDue.run(Date.parse(nextDueAt), subscriptionId));
  }
}

export class SqliteDeliveryLog implements DeliveryLog {
  private readonly stmts: Statements;

  constructor(private readonly s: SqliteStorage) {
    this.stmts = s.stmts;
  }

  async getDelivery(subscriptionId: number, slot: string): Promise<DeliveryRecord | undefined> {
    return this.get(subscriptionId, slot);
  }

  private get(subscriptionId: number, slot: string): DeliveryRecord | undefined {
    const row = this.stmts.getDelivery.get(subscriptionId, slot) as DeliveryRow | undefined;
    return row ? toDelivery(row) : undefined;
  }

  async recordDelivery(record: Omit<DeliveryRecord, 'updatedAt'>, target: Target, nextDueAt?: string, claimant?: string): Promise<boolean> {
    const now = new Date().toISOString();
    const owned = record.status === 'claimed' || record.status === 'sending';
    const retryAt = record.status === 'failed' && record.retryAt ? Date.parse(record.retryAt) : null;
    // Unfinished slots keep their digest so a resume sends the same parts; finished ones drop it.
    const keepDigest = owned || record.status === 'pending' || retryAt !== null;
    return this.s.write(() => {
      const changes = this.stmts.upsertDelivery.run({
        subscriptionId: record.subscriptionId,
        slot: record.slot,
        status: record.status,
        articleIds: JSON.stringify(record.articleIds),
        detail: record.detail,
        now,
        claimedBy: owned ? (claimant ?? record.claimedBy ?? null) : null,
        partsSent: record.partsSent ?? null,
        partsTotal: record.partsTotal ?? null,
        digest: record.digest ? JSON.stringify(record.digest) : null,
        keepDigest: keepDigest ? 1 : 0,
        retryAt,
        attempts: record.attempts ?? null,
        claimant: claimant ?? null,
      }).changes;
      if (changes === 0) return false;
      // A failed delivery may have shown some items before it failed: those articles are sent too.
      if (record.status === 'sent' || record.status === 'failed') {
        for (const id of record.articleIds) this.stmts.insertSent.run(...where(target), id, now);
      }
      if (nextDueAt !== undefined) this.stmts.setNextDue.run(Date.parse(nextDueAt), record.subscriptionId);
      return true;
    });
  }

  async claimDelivery(subscriptionId: number, slot: string, claimant: string, now: Date): Promise<DeliveryRecord | undefined> {
    return this.s.write(() => {
      const won = this.stmts.claim.run(subscriptionId, slot, now.toISOString(), claimant, now.getTime()).changes > 0;
      return won ? this.get(subscriptionId, slot) : undefined;
    });
  }

  async updateClaim(subscriptionId: number, slot: string, claimant: string, progress: DeliveryProgress): Promise<boolean> {
    return this.s.write(
      () =>
        this.stmts.updateClaim.run({
          status: progress.status,
          partsSent: progress.partsSent,
          partsTotal: progress.partsTotal ?? null,
          articleIds: progress.articleIds ? JSON.stringify(progress.articleIds) : null,
          digest: progress.digest ? JSON.stringify(progress.digest) : null,
          now: new Date().toISOString(),
          subscriptionId,
          slot,
          claimant,
        }).changes > 0,
    );
  }

  async releaseDelivery(subscriptionId: number, slot: string, partsSent?: number, detail?: string | null, owner?: string): Promise<void> {
    this.s.write(() =>
      this.stmts.release.run({
        partsSent: partsSent ?? null,
        detail: detail ?? null,
        owner: owner ?? null,
        now: new Date().toISOString(),
        subscriptionId,
        slot,
      }),
    );
  }

  async deliveries(subscriptionId: number, limit = 100): Promise<DeliveryRecord[]> {
    return (this.stmts.deliveries.all(subscriptionId, limit) as DeliveryRow[]).map(toDelivery);
  }

  async lastDeliveredSlot(subscriptionId: number, beforeSlot: string): Promise<string | undefined> {
    const row = this.stmts.lastDeliveredSlot.get(subscriptionId, beforeSlot) as { slot: string | null };
    return row.slot ?? undefined;
  }

  async deliveriesWithStatus(status: DeliveryStatus): Promise<DeliveryRecord[]> {
    return (this.stmts.deliveriesWithStatus.all(status) as DeliveryRow[]).map(toDelivery);
  }

  async sentArticleIds(target: Target): Promise<Set<string>> {
    const rows = this.stmts.sentIds.all(...where(target)) as { article_id: string }[];
    return new Set(rows.map((r) => r.article_id));
  }

  async leaseChat(platform: string, chatId: string, claimant: string, now: Date, until: Date): Promise<boolean> {
    // One statement: taken when free, expired or already ours; the conflict update's WHERE refuses the rest.
    return this.s.write(() => this.stmts.leaseChat.run({ platform, chatId, claimant, until: until.getTime(), now: now.getTime() }).changes > 0);
  }

  async renewLeases(claimant: string, until: Date): Promise<number> {
    return this.s.write(() => this.stmts.renewLeases.run(until.getTime(), claimant).changes);
  }

  async releaseChat(platform: string, chatId: string, claimant: string): Promise<void> {
    this.s.write(() => this.stmts.releaseChat.run(platform, chatId, claimant));
  }

  async releaseLeases(claimant: string): Promise<number> {
    return this.s.write(() => this.stmts.releaseLeases.run(claimant).changes);
  }
}

/** What the old `subscriptions.target` column holds for a target (kept for its UNIQUE constraint, never parsed). */
function targetKey(target: Target): string {
  return [target.platform, target.chatId, target.threadId ?? ''].join(':');
}

/** A target as the (platform, chat_id, thread_id) columns hold it; no thread is stored as ''. */
function where(target: Target): [string, string, string] {
  return [target.platform, target.chatId, target.threadId ?? ''];
}

/** The statements that move a chat (every thread) or one thread to another id; named parameters. */
function moveStatements(db: Database.Database, whole: boolean) {
  const from = whole ? 'platform = @fromPlatform AND chat_id = @fromChat' : 'platform = @fromPlatform AND chat_id = @fromChat AND thread_id = @fromThread';
  const thread = whole ? 'thread_id' : '@toThread';
  return {
    subscriptions: db.prepare(
      `UPDATE OR IGNORE subscriptions SET platform = @toPlatform, chat_id = @toChat, thread_id = ${thread},
       target = @toPlatform || ':' || @toChat || ':' || ${thread} WHERE ${from}`,
    ),
    dropSubscriptions: db.prepare(`DELETE FROM subscriptions WHERE ${from}`),
    copySent: db.prepare(
      `INSERT OR IGNORE INTO sent_articles (platform, chat_id, thread_id, article_id, sent_at)
       SELECT @toPlatform, @toChat, ${thread}, article_id, sent_at FROM sent_articles WHERE ${from}`,
    ),
    dropSent: db.prepare(`DELETE FROM sent_articles WHERE ${from}`),
    moveSettings: db.prepare(`UPDATE OR IGNORE chat_settings SET platform = @toPlatform, chat_id = @toChat, thread_id = ${thread} WHERE ${from}`),
    dropSettings: db.prepare(`DELETE FROM chat_settings WHERE ${from}`),
  };
}

/**
 * Runs the migrations not yet applied, under BEGIN IMMEDIATE: the version is read inside the write lock,
 * so two processes opening a fresh file at once take turns and the second finds nothing left to do.
 */
/** Runs `fn`, trying again for up to BUSY_TIMEOUT_MS while SQLite answers "database is locked". */
function withBusyRetry<T>(fn: () => T): T {
  const until = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() > until) throw error;
      // A short, growing pause: the constructor is synchronous, so it blocks like busy_timeout would.
      Atomics.wait(pause, 0, 0, Math.min(200, 10 * attempt));
    }
  }
}

function migrate(db: Database.Database): void {
  // What migration 5 re-encodes stored documents with.
  db.function('newsbrief_encode_document', { deterministic: true }, (json) => encodeDocument(String(json)));
  db.function('newsbrief_url_hash', { deterministic: true }, (url) => urlHash(String(url)));
  db.aggregate('newsbrief_entry_keys', {
    start: () => [] as [number, number][],
    // Called with (keys, topic, hours); the typings know of one value only.
    step: ((keys: [number, number][], topic: number, hours: number) => void keys.push([topic, hours])) as (keys: [number, number][]) => void,
    result: (keys: [number, number][]) => encodeEntryKeys(keys),
  });
  const from = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `Database schema version ${version} is newer than this Newsbrief knows (${MIGRATIONS.length}): upgrade Newsbrief or use another DATABASE_PATH.`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
    return version;
  }).immediate();
  // Migration 5 copies every article into a table a quarter the size and frees the old one: a file that held
  // articles would stay at its old size, mostly empty pages. Given back once, right after the upgrade.
  if (from >= 1 && from < 5 && !db.memory) {
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    if (free > pages / 2) db.exec('VACUUM');
  }
}

function prepare(db: Database.Database) {
  return {
    deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    allSeedFiles: db.prepare('SELECT source, content_hash, article_id FROM seed_files'),
    upsertSeedFile: db.prepare(
      `INSERT INTO seed_files (source, content_hash, article_id) VALUES (?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET content_hash = excluded.content_hash, article_id = excluded.article_id`,
    ),
    lastDeliveredSlot: db.prepare(
      `SELECT max(slot) AS slot FROM deliveries WHERE subscription_id = ? AND slot < ? AND status IN ('sent', 'empty')`,
    ),
    findSubscription: db.prepare('SELECT id FROM subscriptions WHERE platform = ? AND chat_id = ? AND thread_id = ? AND topic_key = ?'),
    insertSubscription: db.prepare(
      `INSERT INTO subscriptions (target, platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at,
         schedule_kind, days, times, digest_count, filters, own_zone, paused)
       VALUES (@target, @platform, @chatId, @threadId, @topic, @topicKey, @time, @timezone, @nextDueAt, @createdAt,
         @kind, @days, @times, @count, @filters, @ownZone, @paused)`,
    ),
    updateSubscription: db.prepare(
      `UPDATE subscriptions SET topic = @topic, time = @time, timezone = @timezone, next_due_at = @nextDueAt, schedule_kind = @kind,
         days = @days, times = @times, digest_count = @count, filters = @filters, own_zone = @ownZone, paused = @paused,
         active = 1, inactive_reason = NULL
       WHERE id = @id`,
    ),
    // One statement for any change: each @setX says whether that field is written.
    changeSubscription: db.prepare(
      `UPDATE subscriptions SET
         topic = CASE WHEN @setTopic THEN @topic ELSE topic END,
         time = CASE WHEN @setSchedule THEN @time ELSE time END,
         schedule_kind = CASE WHEN @setSchedule THEN @kind ELSE schedule_kind END,
         days = CASE WHEN @setSchedule THEN @days ELSE days END,
         times = CASE WHEN @setSchedule THEN @times ELSE times END,
         timezone = CASE WHEN @setTimezone THEN @timezone ELSE timezone END,
         own_zone = CASE WHEN @setOwnZone THEN @ownZone ELSE own_zone END,
         digest_count = CASE WHEN @setCount THEN @count ELSE digest_count END,
         filters = CASE WHEN @setFilters THEN @filters ELSE filters END,
         paused = CASE WHEN @setPaused THEN @paused ELSE paused END,
         active = CASE WHEN @wake THEN 1 ELSE active END,
         inactive_reason = CASE WHEN @wake THEN NULL ELSE inactive_reason END,
         next_due_at = CASE WHEN @setNextDue THEN @nextDueAt ELSE next_due_at END
       WHERE id = @id`,
    ),
    deleteSubscription: db.prepare('DELETE FROM subscriptions WHERE platform = ? AND chat_id = ? AND thread_id = ? AND topic_key = ?'),
    deleteAllSubscriptions: db.prepare('DELETE FROM subscriptions WHERE platform = ? AND chat_id = ? AND thread_id = ?'),
    listSubscriptions: db.prepare('SELECT * FROM subscriptions WHERE platform = ? AND chat_id = ? AND thread_id = ? ORDER BY topic'),
    getSubscription: db.prepare('SELECT * FROM subscriptions WHERE id = ?'),
    setActive: db.prepare('UPDATE subscriptions SET active = ?, inactive_reason = ? WHERE platform = ? AND chat_id = ? AND thread_id = ? AND active != ?'),
    setChatActive: db.prepare(
      'UPDATE subscriptions SET active = ?, inactive_reason = ? WHERE platform = ? AND chat_id = ? AND active != ?',
    ),
    moveChat: moveStatements(db, true),
    moveThread: moveStatements(db, false),
    getTimezone: db.prepare('SELECT timezone FROM chat_settings WHERE platform = ? AND chat_id = ? AND thread_id = ?'),
    setTimezone: db.prepare(
      `INSERT INTO chat_settings (platform, chat_id, thread_id, timezone) VALUES (?, ?, ?, ?)
       ON CONFLICT (platform, chat_id, thread_id) DO UPDATE SET timezone = excluded.timezone`,
    ),
    due: db.prepare('SELECT * FROM subscriptions WHERE active = 1 AND paused = 0 AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?'),
    duePlatform: db.prepare(
      'SELECT * FROM subscriptions WHERE active = 1 AND paused = 0 AND next_due_at <= ? AND platform = ? ORDER BY next_due_at, id LIMIT ?',
    ),
    setNextDue: db.prepare('UPDATE subscriptions SET next_due_at = ? WHERE id = ?'),
    getDelivery: db.prepare('SELECT * FROM deliveries WHERE subscription_id = ? AND slot = ?'),
    upsertDelivery: db.prepare(
      `INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, claimed_by, parts_sent, parts_total, digest, retry_at, attempts)
       VALUES (@subscriptionId, @slot, @status, @articleIds, @detail, @now, @claimedBy, coalesce(@partsSent, 0), @partsTotal,
         CASE WHEN @keepDigest THEN @digest END, @retryAt, coalesce(@attempts, 0))
       ON CONFLICT (subscription_id, slot) DO UPDATE SET status = excluded.status, article_ids = excluded.article_ids,
       detail = excluded.detail, updated_at = excluded.updated_at, claimed_by = excluded.claimed_by,
       parts_sent = coalesce(@partsSent, deliveries.parts_sent), parts_total = coalesce(@partsTotal, deliveries.parts_total),
       digest = CASE WHEN @keepDigest THEN coalesce(@digest, deliveries.digest) END, retry_at = excluded.retry_at,
       attempts = coalesce(@attempts, deliveries.attempts)
       WHERE @claimant IS NULL OR deliveries.claimed_by = @claimant`,
    ),
    // The conditional write that makes a claim: only one claimant can turn a claimable row into its own.
    claim: db.prepare(
      `INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, claimed_by)
       VALUES (?, ?, 'claimed', '[]', NULL, ?, ?)
       ON CONFLICT (subscription_id, slot) DO UPDATE SET status = 'claimed', claimed_by = excluded.claimed_by,
       updated_at = excluded.updated_at
       WHERE deliveries.status = 'pending' OR (deliveries.status = 'failed' AND deliveries.retry_at IS NOT NULL AND deliveries.retry_at <= ?)`,
    ),
    updateClaim: db.prepare(
      `UPDATE deliveries SET status = @status, parts_sent = @partsSent, parts_total = coalesce(@partsTotal, parts_total),
       article_ids = coalesce(@articleIds, article_ids), digest = coalesce(@digest, digest), updated_at = @now
       WHERE subscription_id = @subscriptionId AND slot = @slot AND claimed_by = @claimant AND status IN ('claimed', 'sending')`,
    ),
    release: db.prepare(
      `UPDATE deliveries SET status = 'pending', claimed_by = NULL, parts_sent = coalesce(@partsSent, parts_sent),
       detail = coalesce(@detail, detail), updated_at = @now
       WHERE subscription_id = @subscriptionId AND slot = @slot AND status IN ('claimed', 'sending')
         AND (@owner IS NULL OR claimed_by = @owner)`,
    ),
    deliveries: db.prepare('SELECT * FROM deliveries WHERE subscription_id = ? ORDER BY slot DESC LIMIT ?'),
    deliveriesWithStatus: db.prepare('SELECT * FROM deliveries WHERE status = ? ORDER BY slot'),
    insertSent: db.prepare('INSERT OR IGNORE INTO sent_articles (platform, chat_id, thread_id, article_id, sent_at) VALUES (?, ?, ?, ?, ?)'),
    sentIds: db.prepare('SELECT article_id FROM sent_articles WHERE platform = ? AND chat_id = ? AND thread_id = ?'),
    leaseChat: db.prepare(
      `INSERT INTO chat_leases (platform, chat_id, claimed_by, lease_until) VALUES (@platform, @chatId, @claimant, @until)
       ON CONFLICT (platform, chat_id) DO UPDATE SET claimed_by = excluded.claimed_by, lease_until = excluded.lease_until
       WHERE chat_leases.claimed_by = excluded.claimed_by OR chat_leases.lease_until <= @now`,
    ),
    renewLeases: db.prepare('UPDATE chat_leases SET lease_until = ? WHERE claimed_by = ?'),
    releaseChat: db.prepare('DELETE FROM chat_leases WHERE platform = ? AND chat_id = ? AND claimed_by = ?'),
    releaseLeases: db.prepare('DELETE FROM chat_leases WHERE claimed_by = ?'),
  };
}


function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    target: {
      platform: row.platform,
      chatId: row.chat_id,
      ...(row.thread_id ? { threadId: row.thread_id } : {}),
    },
    topic: row.topic,
    topicKey: row.topic_key,
    time: row.time,
    timezone: row.timezone,
    ownZone: row.own_zone === 1,
    schedule: scheduleFrom(row.schedule_kind, row.days, row.times, row.time),
    count: row.digest_count,
    filters: filtersFrom(row.filters),
    paused: row.paused === 1,
    active: row.active === 1,
    nextDueAt: new Date(row.next_due_at).toISOString(),
    createdAt: row.created_at,
  };
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    subscriptionId: row.subscription_id,
    slot: row.slot,
    status: row.status,
    articleIds: JSON.parse(row.article_ids) as string[],
    detail: row.detail,
    updatedAt: row.updated_at,
    attempts: row.attempts ?? 0,
    partsSent: row.parts_sent ?? 0,
    partsTotal: row.parts_total ?? null,
    digest: row.digest ? (JSON.parse(row.digest) as Digest) : null,
    retryAt: row.retry_at === null || row.retry_at === undefined ? null : new Date(row.retry_at).toISOString(),
    claimedBy: row.claimed_by ?? null,
  };
}
