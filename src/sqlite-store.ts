import Database from 'better-sqlite3';
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Article, Subscription, Target } from './model.js';
import type { Digest } from './types.js';
import { DatabaseGoneError } from './store.js';
import type {
  Candidate,
  DeliveryProgress,
  CandidateQuery,
  DeliveryRecord,
  NewSubscription,
  SeedFileRecord,
  Store,
  TopicCount,
  UpsertResult,
} from './store.js';
import { targetKey } from './store.js';
import { RANK, publishedHours, rankBase, topicMatch } from './rank.js';
import { TopicAliasTable, type TopicAliases } from './topics.js';

export interface SqliteStoreOptions {
  /** Recency half-life the stored rank keys are computed with; a change re-keys once at open. */
  halfLifeHours?: number;
  aliases?: TopicAliases;
}

/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; `PRAGMA user_version`
 * records how many have run. Append new migrations, never edit old ones.
 */
const MIGRATIONS: string[] = [
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
];

interface SubscriptionRow {
  id: number;
  platform: Target['platform'];
  chat_id: string;
  thread_id: string;
  topic: string;
  topic_key: string;
  time: string;
  timezone: string;
  active: number;
  next_due_at: number;
  created_at: string;
}

interface DeliveryRow {
  subscription_id: number;
  slot: string;
  status: DeliveryRecord['status'];
  article_ids: string;
  detail: string | null;
  updated_at: string;
  claimed_by: string | null;
  parts_sent: number;
  parts_total: number | null;
  digest: string | null;
  retry_at: number | null;
}

/** Opens (and migrates) a SQLite database; ':memory:' for a throwaway one. */
export function openStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    return new SqliteStore(db, options);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Parsed articles kept in memory: every topic's /news window (40 topics × 160 candidates) fits. */
const ARTICLE_CACHE_SIZE = 8192;

/** How long a statement waits for another process's write lock (ingest beside the bot) before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

/** Another process holds the database: `npm start` refuses to run a second scheduler on it. */
export class DatabaseLockedError extends Error {
  constructor(
    readonly databasePath: string,
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'a process that is still starting';
    super(
      `database ${databasePath} is in use by another Newsbrief process (${who}); lock ${lockPath} is held. ` +
        'Stop that process first, or give this one another DATABASE_PATH.',
    );
    this.name = 'DatabaseLockedError';
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/** A lock held for the life of the process; release() is idempotent. */
export interface DatabaseLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the one-scheduler-per-database lock: an exclusive SQLite transaction on \`<db>.lock\`, held open
 * until release() or the process dies. The lock is the operating system's (fcntl) lock on that file, not
 * the file itself, so kill -9 releases it and a stale file left behind is harmless. The holder's pid is
 * written into the database's meta table by recordLockHolder(), so a refused start can name it.
 * Throws DatabaseLockedError when another process (or another opener in this one) holds it.
 */
export function lockDatabase(databasePath: string): DatabaseLock {
  // A private in-memory database cannot be shared, so there is nothing to lock.
  if (databasePath === ':memory:') return { path: ':memory:', release: () => {} };
  mkdirSync(dirname(databasePath), { recursive: true });
  const lockPath = `${canonicalPath(databasePath)}.lock`;
  const db = new Database(lockPath, { timeout: 0 });
  try {
    // No journal file next to the lock file: the transaction never writes.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new DatabaseLockedError(databasePath, lockPath, readLockHolder(databasePath));
    }
    throw error;
  }
  return {
    path: lockPath,
    release: () => {
      if (db.open) db.close();
    },
  };
}

/** The database path with symlinks resolved, so two spellings of one file share a lock. */
function canonicalPath(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  return join(realpathSync(dirname(path)), basename(path));
}

function readLockHolder(databasePath: string): LockHolder | undefined {
  if (!existsSync(databasePath)) return undefined;
  try {
    const db = new Database(databasePath, { readonly: true, fileMustExist: true, timeout: 1000 });
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'lock_holder'").get() as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as LockHolder) : undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/** The SQLite implementation of Store: WAL, versioned migrations, prepared statements, batched transactions. */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly halfLifeHours: number;
  private readonly aliases: TopicAliasTable;
  private readonly stmts;

  /** Device and inode of the file at open: a different answer later means it was deleted or replaced. */
  private readonly identity: { dev: number; ino: number } | undefined;
  private gone: DatabaseGoneError | undefined;
  private readonly goneListeners: ((error: DatabaseGoneError) => void)[] = [];

  constructor(db: Database.Database, options: SqliteStoreOptions = {}) {
    this.db = db;
    this.halfLifeHours = options.halfLifeHours ?? RANK.HALF_LIFE_HOURS;
    this.aliases = new TopicAliasTable(options.aliases);
    // First, so that a second process opening a fresh file waits for the first instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Fewer, larger WAL checkpoints: bulk ingest writes tens of megabytes in one go.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    migrate(db);
    this.stmts = prepare(db);
    this.rekeyIfHalfLifeChanged();
    if (!db.memory && db.name !== '') {
      const st = statSync(db.name);
      this.identity = { dev: st.dev, ino: st.ino };
    }
  }

  /**
   * Throws DatabaseGoneError when the file at the path the store was opened with is gone or is another
   * file (deleted, or replaced by a restore): SQLite would go on writing into the unlinked file, and every
   * confirmed change would vanish. Called before every write and after every subscription change, and by
   * the scheduler each tick; the first detection also calls the onGone listeners.
   */
  checkIntact(): void {
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
    this.gone = new DatabaseGoneError(this.db.name, why);
    for (const listener of this.goneListeners) listener(this.gone);
    throw this.gone;
  }

  /** Calls `listener` once when checkIntact() first finds the file gone. */
  onGone(listener: (error: DatabaseGoneError) => void): void {
    if (this.gone) listener(this.gone);
    else this.goneListeners.push(listener);
  }

  /** Remembers this process as the holder of the database lock, for the message a refused start shows. */
  recordLockHolder(): void {
    const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    this.write(() => this.stmts.setMeta.run('lock_holder', JSON.stringify(holder)));
  }

  /** A write transaction taken with BEGIN IMMEDIATE, so a read-then-write never fails on a busy snapshot. */
  private write<T>(fn: () => T): T {
    this.checkIntact();
    return this.db.transaction(fn).immediate();
  }

  /** Schema version after migrations: the number of migrations applied. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private rekeyIfHalfLifeChanged(): void {
    const row = this.stmts.getMeta.get('half_life_hours') as { value: string } | undefined;
    if (row && Number(row.value) === this.halfLifeHours) return;
    this.write(() => {
      this.db
        .prepare('UPDATE article_topics SET rank_key = rank_base + published_hours * ?')
        .run(Math.LN2 / this.halfLifeHours);
      this.stmts.setMeta.run('half_life_hours', String(this.halfLifeHours));
    });
  }

  seedFiles(): Map<string, SeedFileRecord> {
    const rows = this.stmts.allSeedFiles.all() as { source: string; content_hash: string; article_id: string | null }[];
    return new Map(
      rows.map((r) => [r.source, { source: r.source, contentHash: r.content_hash, articleId: r.article_id }]),
    );
  }

  recordSeedFiles(records: SeedFileRecord[]): void {
    this.write(() => {
      for (const r of records) this.stmts.upsertSeedFile.run(r.source, r.contentHash, r.articleId);
    });
  }

  upsertArticles(articles: Article[]): UpsertResult {
    const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
    const k = Math.LN2 / this.halfLifeHours;
    this.write(() => {
      // Topic names this call has already written (INSERT OR IGNORE): the first name of a key wins either way.
      const named = new Set<string>();
      for (const article of articles) {
        const doc = JSON.stringify(article);
        const publishedAt = Date.parse(article.publishedAt);
        const removed = article.removed ? 1 : 0;
        // A new id is the common case (every article of a first ingest): insert without reading first.
        if (this.stmts.insertArticle.run(article.id, article.url, publishedAt, removed, doc).changes > 0) {
          result.inserted++;
        } else {
          const existing = this.stmts.getDoc.get(article.id) as { doc: string };
          if (existing.doc === doc) {
            result.unchanged++;
            continue;
          }
          this.stmts.updateArticle.run(article.url, publishedAt, removed, doc, article.id);
          this.stmts.deleteTopics.run(article.id);
          this.articleCache.delete(article.id);
          result.updated++;
        }
        if (article.removed) continue;
        const names = this.topicNames(article.topics);
        const keys = [...names.keys()];
        const hours = publishedHours(article.publishedAt);
        for (const [key, name] of names) {
          const base = rankBase(article, topicMatch(keys, key));
          this.stmts.insertTopic.run(key, article.id, base, hours, base + hours * k);
          if (named.has(key)) continue;
          named.add(key);
          this.stmts.insertTopicName.run(key, this.aliases.displayName(key) ?? name);
        }
      }
    });
    return result;
  }

  /** Canonical keys of an article's topics, in order, without repeats. */
  topicKeys(topics: readonly string[]): string[] {
    return [...this.topicNames(topics).keys()];
  }

  /** Canonical key → the name the article first used for it, in the article's order. */
  private topicNames(topics: readonly string[]): Map<string, string> {
    const names = new Map<string, string>();
    for (const topic of topics) {
      const key = this.aliases.key(topic);
      if (key.length > 0 && !names.has(key)) names.set(key, topic);
    }
    return names;
  }

  getArticle(id: string): Article | undefined {
    const row = this.stmts.getDoc.get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Article) : undefined;
  }

  articleCount(): number {
    return (this.stmts.countArticles.get() as { n: number }).n;
  }

  candidates(query: CandidateQuery): Candidate[] {
    this.dropCacheIfChangedElsewhere();
    const out: Candidate[] = [];
    const seen = new Set<string>();
    const exclude = query.excludeIds;
    const until = query.until ? publishedHours(query.until.toISOString()) : Number.MAX_VALUE;
    for (const key of query.topicKeys) {
      // A window reads its range of the window index and sorts it by rank; without a lower bound the rank
      // index is walked best first and stops early. Either way only ids: documents come from the cache.
      const rows = query.since
        ? this.stmts.candidatesInWindow.iterate(key, publishedHours(query.since.toISOString()), until)
        : this.stmts.candidatesUntil.iterate(key, until);
      let taken = 0;
      for (const row of rows as Iterable<{ id: string }>) {
        if (exclude?.has(row.id) || seen.has(row.id)) continue;
        const parsed = this.parsedArticle(row.id);
        if (!parsed) continue;
        seen.add(row.id);
        out.push({ article: parsed.article, topicMatch: topicMatch(parsed.topicKeys, key) });
        if (++taken >= query.limit) break;
      }
    }
    return out;
  }

  windowArticles(since: Date, until: Date): Article[] {
    const rows = this.stmts.windowArticles.all(since.getTime(), until.getTime()) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as Article);
  }

  /**
   * Parsed candidates, kept between requests: parsing the JSON documents (related lists included) was most
   * of a /news request, and the grouping code's per-article caches (canonical URLs, terms) live as long as
   * the object does. Articles are never mutated by readers. Own writes drop what they change; another
   * process's commit (`newsbrief ingest` beside the bot) changes PRAGMA data_version and drops everything.
   */
  private readonly articleCache = new Map<string, { article: Article; topicKeys: string[] }>();
  private dataVersion = -1;

  private parsedArticle(id: string): { article: Article; topicKeys: string[] } | undefined {
    const cached = this.articleCache.get(id);
    if (cached) return cached;
    const row = this.stmts.getDoc.get(id) as { doc: string } | undefined;
    if (!row) return undefined;
    const article = JSON.parse(row.doc) as Article;
    const parsed = { article, topicKeys: this.topicKeys(article.topics) };
    if (this.articleCache.size >= ARTICLE_CACHE_SIZE) {
      // Oldest first: a Map iterates in insertion order.
      this.articleCache.delete(this.articleCache.keys().next().value as string);
    }
    this.articleCache.set(id, parsed);
    return parsed;
  }

  private dropCacheIfChangedElsewhere(): void {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    if (version !== this.dataVersion) this.articleCache.clear();
    this.dataVersion = version;
  }

  topicMatchCount(topicKey: string): number {
    return (this.stmts.countTopic.get(topicKey) as { n: number }).n;
  }

  topicCounts(): TopicCount[] {
    return this.stmts.topicCounts.all() as TopicCount[];
  }

  upsertSubscription(sub: NewSubscription): { subscription: Subscription; created: boolean } {
    const key = targetKey(sub.target);
    const result = this.write(() => {
      const existing = this.stmts.findSubscription.get(key, sub.topicKey) as { id: number } | undefined;
      if (existing) {
        this.stmts.updateSubscription.run(sub.topic, sub.time, sub.timezone, Date.parse(sub.nextDueAt), existing.id);
        return { subscription: this.getSubscription(existing.id)!, created: false };
      }
      const info = this.stmts.insertSubscription.run(
        key,
        sub.target.platform,
        sub.target.chatId,
        sub.target.threadId ?? '',
        sub.topic,
        sub.topicKey,
        sub.time,
        sub.timezone,
        Date.parse(sub.nextDueAt),
        new Date().toISOString(),
      );
      return { subscription: this.getSubscription(Number(info.lastInsertRowid))!, created: true };
    });
    // Checked again after the commit: a change written into a deleted file must not be confirmed.
    this.checkIntact();
    return result;
  }

  removeSubscription(target: Target, topicKey: string): boolean {
    const removed = this.write(() => this.stmts.deleteSubscription.run(targetKey(target), topicKey).changes > 0);
    this.checkIntact();
    return removed;
  }

  removeAllSubscriptions(target: Target): number {
    const removed = this.write(() => this.stmts.deleteAllSubscriptions.run(targetKey(target)).changes);
    this.checkIntact();
    return removed;
  }

  listSubscriptions(target: Target): Subscription[] {
    return (this.stmts.listSubscriptions.all(targetKey(target)) as SubscriptionRow[]).map(toSubscription);
  }

  getSubscription(id: number): Subscription | undefined {
    const row = this.stmts.getSubscription.get(id) as SubscriptionRow | undefined;
    return row ? toSubscription(row) : undefined;
  }

  setTargetActive(target: Target, active: boolean, reason?: string): number {
    const flag = active ? 1 : 0;
    const why = active ? null : (reason ?? null);
    // A chat without a thread means the whole chat, forum topics included (kicked, blocked).
    if (target.threadId === undefined) {
      return this.write(() => this.stmts.setChatActive.run(flag, why, target.platform, target.chatId, flag).changes);
    }
    return this.write(() => this.stmts.setActive.run(flag, why, targetKey(target), flag).changes);
  }

  migrateTarget(from: Target, to: Target): number {
    const fromKey = targetKey(from);
    if (fromKey === targetKey(to)) return 0;
    // Without a thread the whole chat moves, each forum topic to the same topic of the new chat.
    const pairs =
      from.threadId === undefined && to.threadId === undefined
        ? this.chatTargets(from).map((key) => [key, `${targetKey(to).slice(0, -1)}${key.slice(fromKey.length - 1)}`] as const)
        : [[fromKey, targetKey(to)] as const];
    return this.write(() => {
      let moved = 0;
      for (const [oldKey, newKey] of pairs) {
        const threadId = newKey.slice(newKey.lastIndexOf(':') + 1);
        // Where the new chat already has a topic, its own subscription wins.
        moved += this.stmts.moveSubscriptions.run(newKey, to.platform, to.chatId, threadId, oldKey).changes;
        this.stmts.deleteAllSubscriptions.run(oldKey);
        this.stmts.copySent.run(newKey, oldKey);
        this.stmts.deleteSent.run(oldKey);
        this.stmts.moveSettings.run(newKey, oldKey);
        this.stmts.deleteSettings.run(oldKey);
      }
      return moved;
    });
  }

  /** Every target key of a chat: the chat itself and each of its threads that has any state. */
  private chatTargets(chat: Target): string[] {
    const prefix = targetKey({ platform: chat.platform, chatId: chat.chatId });
    const rows = this.stmts.chatTargets.all(prefix.length, prefix, prefix.length, prefix, prefix.length, prefix) as { target: string }[];
    return [...new Set([prefix, ...rows.map((r) => r.target)])];
  }

  getTimezone(target: Target): string | undefined {
    const row = this.stmts.getTimezone.get(targetKey(target)) as { timezone: string | null } | undefined;
    return row?.timezone ?? undefined;
  }

  setTimezone(target: Target, timezone: string): void {
    this.write(() => this.stmts.setTimezone.run(targetKey(target), timezone));
    this.checkIntact();
  }

  dueSubscriptions(now: Date, limit: number, platform?: Target['platform']): Subscription[] {
    const rows = platform === undefined ? this.stmts.due.all(now.getTime(), limit) : this.stmts.duePlatform.all(now.getTime(), platform, limit);
    return (rows as SubscriptionRow[]).map(toSubscription);
  }

  setNextDue(subscriptionId: number, nextDueAt: string): void {
    this.write(() => this.stmts.setNextDue.run(Date.parse(nextDueAt), subscriptionId));
  }

  getDelivery(subscriptionId: number, slot: string): DeliveryRecord | undefined {
    const row = this.stmts.getDelivery.get(subscriptionId, slot) as DeliveryRow | undefined;
    return row ? toDelivery(row) : undefined;
  }

  recordDelivery(record: Omit<DeliveryRecord, 'updatedAt'>, target: Target, nextDueAt?: string, claimant?: string): boolean {
    const now = new Date().toISOString();
    const owned = record.status === 'claimed' || record.status === 'sending';
    const retryAt = record.status === 'failed' && record.retryAt ? Date.parse(record.retryAt) : null;
    // Unfinished slots keep their digest so a resume sends the same parts; finished ones drop it.
    const keepDigest = owned || record.status === 'pending' || retryAt !== null;
    return this.write(() => {
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
        claimant: claimant ?? null,
      }).changes;
      if (changes === 0) return false;
      // A failed delivery may have shown some items before it failed: those articles are sent too.
      if (record.status === 'sent' || record.status === 'failed') {
        const key = targetKey(target);
        for (const id of record.articleIds) this.stmts.insertSent.run(key, id, now);
      }
      if (nextDueAt !== undefined) this.stmts.setNextDue.run(Date.parse(nextDueAt), record.subscriptionId);
      return true;
    });
  }

  claimDelivery(subscriptionId: number, slot: string, claimant: string, now: Date): DeliveryRecord | undefined {
    return this.write(() => {
      const won = this.stmts.claim.run(subscriptionId, slot, now.toISOString(), claimant, now.getTime()).changes > 0;
      return won ? this.getDelivery(subscriptionId, slot) : undefined;
    });
  }

  updateClaim(subscriptionId: number, slot: string, claimant: string, progress: DeliveryProgress): boolean {
    return this.write(
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

  releaseDelivery(subscriptionId: number, slot: string, partsSent?: number, detail?: string | null): void {
    this.write(() =>
      this.stmts.release.run({
        partsSent: partsSent ?? null,
        detail: detail ?? null,
        now: new Date().toISOString(),
        subscriptionId,
        slot,
      }),
    );
  }

  deliveries(subscriptionId: number, limit = 100): DeliveryRecord[] {
    return (this.stmts.deliveries.all(subscriptionId, limit) as DeliveryRow[]).map(toDelivery);
  }

  lastDeliveredSlot(subscriptionId: number, beforeSlot: string): string | undefined {
    const row = this.stmts.lastDeliveredSlot.get(subscriptionId, beforeSlot) as { slot: string | null };
    return row.slot ?? undefined;
  }

  /** Deliveries in a given state across all subscriptions (used by crash recovery). */
  deliveriesWithStatus(status: DeliveryRecord['status']): DeliveryRecord[] {
    return (this.stmts.deliveriesWithStatus.all(status) as DeliveryRow[]).map(toDelivery);
  }

  sentArticleIds(target: Target): Set<string> {
    const rows = this.stmts.sentIds.all(targetKey(target)) as { article_id: string }[];
    return new Set(rows.map((r) => r.article_id));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Runs the migrations not yet applied, under BEGIN IMMEDIATE: the version is read inside the write lock,
 * so two processes opening a fresh file at once take turns and the second finds nothing left to do.
 */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `Database schema version ${version} is newer than this Newsbrief knows (${MIGRATIONS.length}): upgrade Newsbrief or use another DATABASE_PATH.`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function prepare(db: Database.Database) {
  return {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    allSeedFiles: db.prepare('SELECT source, content_hash, article_id FROM seed_files'),
    upsertSeedFile: db.prepare(
      `INSERT INTO seed_files (source, content_hash, article_id) VALUES (?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET content_hash = excluded.content_hash, article_id = excluded.article_id`,
    ),
    getDoc: db.prepare('SELECT doc FROM articles WHERE id = ?'),
    insertArticle: db.prepare(
      'INSERT INTO articles (id, url, published_at, removed, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    updateArticle: db.prepare('UPDATE articles SET url = ?, published_at = ?, removed = ?, doc = ? WHERE id = ?'),
    deleteTopics: db.prepare('DELETE FROM article_topics WHERE article_id = ?'),
    insertTopic: db.prepare(
      'INSERT OR IGNORE INTO article_topics (topic_key, article_id, rank_base, published_hours, rank_key) VALUES (?, ?, ?, ?, ?)',
    ),
    insertTopicName: db.prepare('INSERT OR IGNORE INTO topic_names (key, name) VALUES (?, ?)'),
    countArticles: db.prepare('SELECT count(*) AS n FROM articles WHERE removed = 0'),
    candidatesUntil: db.prepare(
      `SELECT article_id AS id FROM article_topics INDEXED BY article_topics_rank
       WHERE topic_key = ? AND published_hours <= ? ORDER BY rank_key DESC`,
    ),
    candidatesInWindow: db.prepare(
      `SELECT article_id AS id FROM article_topics INDEXED BY article_topics_window
       WHERE topic_key = ? AND published_hours BETWEEN ? AND ? ORDER BY rank_key DESC`,
    ),
    windowArticles: db.prepare(
      'SELECT doc FROM articles WHERE removed = 0 AND published_at BETWEEN ? AND ? ORDER BY published_at, id',
    ),
    lastDeliveredSlot: db.prepare(
      `SELECT max(slot) AS slot FROM deliveries WHERE subscription_id = ? AND slot < ? AND status IN ('sent', 'empty')`,
    ),
    countTopic: db.prepare('SELECT count(*) AS n FROM article_topics WHERE topic_key = ?'),
    topicCounts: db.prepare(
      `SELECT t.topic_key AS key, coalesce(n.name, t.topic_key) AS name, count(*) AS count
       FROM article_topics t LEFT JOIN topic_names n ON n.key = t.topic_key
       GROUP BY t.topic_key ORDER BY count DESC, name`,
    ),
    findSubscription: db.prepare('SELECT id FROM subscriptions WHERE target = ? AND topic_key = ?'),
    insertSubscription: db.prepare(
      `INSERT INTO subscriptions (target, platform, chat_id, thread_id, topic, topic_key, time, timezone, next_due_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateSubscription: db.prepare(
      'UPDATE subscriptions SET topic = ?, time = ?, timezone = ?, next_due_at = ?, active = 1, inactive_reason = NULL WHERE id = ?',
    ),
    deleteSubscription: db.prepare('DELETE FROM subscriptions WHERE target = ? AND topic_key = ?'),
    deleteAllSubscriptions: db.prepare('DELETE FROM subscriptions WHERE target = ?'),
    listSubscriptions: db.prepare('SELECT * FROM subscriptions WHERE target = ? ORDER BY topic'),
    getSubscription: db.prepare('SELECT * FROM subscriptions WHERE id = ?'),
    setActive: db.prepare('UPDATE subscriptions SET active = ?, inactive_reason = ? WHERE target = ? AND active != ?'),
    setChatActive: db.prepare(
      'UPDATE subscriptions SET active = ?, inactive_reason = ? WHERE platform = ? AND chat_id = ? AND active != ?',
    ),
    moveSubscriptions: db.prepare(
      'UPDATE OR IGNORE subscriptions SET target = ?, platform = ?, chat_id = ?, thread_id = ? WHERE target = ?',
    ),
    copySent: db.prepare(
      'INSERT OR IGNORE INTO sent_articles (target, article_id, sent_at) SELECT ?, article_id, sent_at FROM sent_articles WHERE target = ?',
    ),
    deleteSent: db.prepare('DELETE FROM sent_articles WHERE target = ?'),
    moveSettings: db.prepare('UPDATE OR IGNORE chat_settings SET target = ? WHERE target = ?'),
    deleteSettings: db.prepare('DELETE FROM chat_settings WHERE target = ?'),
    chatTargets: db.prepare(
      `SELECT target FROM subscriptions WHERE substr(target, 1, ?) = ?
       UNION SELECT target FROM sent_articles WHERE substr(target, 1, ?) = ?
       UNION SELECT target FROM chat_settings WHERE substr(target, 1, ?) = ?`,
    ),
    getTimezone: db.prepare('SELECT timezone FROM chat_settings WHERE target = ?'),
    setTimezone: db.prepare(
      'INSERT INTO chat_settings (target, timezone) VALUES (?, ?) ON CONFLICT (target) DO UPDATE SET timezone = excluded.timezone',
    ),
    due: db.prepare('SELECT * FROM subscriptions WHERE active = 1 AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?'),
    duePlatform: db.prepare(
      'SELECT * FROM subscriptions WHERE active = 1 AND next_due_at <= ? AND platform = ? ORDER BY next_due_at, id LIMIT ?',
    ),
    setNextDue: db.prepare('UPDATE subscriptions SET next_due_at = ? WHERE id = ?'),
    getDelivery: db.prepare('SELECT * FROM deliveries WHERE subscription_id = ? AND slot = ?'),
    upsertDelivery: db.prepare(
      `INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, claimed_by, parts_sent, parts_total, digest, retry_at)
       VALUES (@subscriptionId, @slot, @status, @articleIds, @detail, @now, @claimedBy, coalesce(@partsSent, 0), @partsTotal,
         CASE WHEN @keepDigest THEN @digest END, @retryAt)
       ON CONFLICT (subscription_id, slot) DO UPDATE SET status = excluded.status, article_ids = excluded.article_ids,
       detail = excluded.detail, updated_at = excluded.updated_at, claimed_by = excluded.claimed_by,
       parts_sent = coalesce(@partsSent, deliveries.parts_sent), parts_total = coalesce(@partsTotal, deliveries.parts_total),
       digest = CASE WHEN @keepDigest THEN coalesce(@digest, deliveries.digest) END, retry_at = excluded.retry_at
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
       WHERE subscription_id = @subscriptionId AND slot = @slot AND status IN ('claimed', 'sending')`,
    ),
    deliveries: db.prepare('SELECT * FROM deliveries WHERE subscription_id = ? ORDER BY slot DESC LIMIT ?'),
    deliveriesWithStatus: db.prepare('SELECT * FROM deliveries WHERE status = ? ORDER BY slot'),
    insertSent: db.prepare('INSERT OR IGNORE INTO sent_articles (target, article_id, sent_at) VALUES (?, ?, ?)'),
    sentIds: db.prepare('SELECT article_id FROM sent_articles WHERE target = ?'),
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
    partsSent: row.parts_sent ?? 0,
    partsTotal: row.parts_total ?? null,
    digest: row.digest ? (JSON.parse(row.digest) as Digest) : null,
    retryAt: row.retry_at === null || row.retry_at === undefined ? null : new Date(row.retry_at).toISOString(),
    claimedBy: row.claimed_by ?? null,
  };
}
