import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Article, Subscription, Target } from './model.js';
import type {
  Candidate,
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
}

/** Opens (and migrates) a SQLite database; ':memory:' for a throwaway one. */
export function openStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return new SqliteStore(new Database(path), options);
}

/** The SQLite implementation of Store: WAL, versioned migrations, prepared statements, batched transactions. */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly halfLifeHours: number;
  private readonly aliases: TopicAliasTable;
  private readonly stmts;

  constructor(db: Database.Database, options: SqliteStoreOptions = {}) {
    this.db = db;
    this.halfLifeHours = options.halfLifeHours ?? RANK.HALF_LIFE_HOURS;
    this.aliases = new TopicAliasTable(options.aliases);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Fewer, larger WAL checkpoints: bulk ingest writes tens of megabytes in one go.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    this.stmts = prepare(db);
    this.rekeyIfHalfLifeChanged();
  }

  /** Schema version after migrations: the number of migrations applied. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private rekeyIfHalfLifeChanged(): void {
    const row = this.stmts.getMeta.get('half_life_hours') as { value: string } | undefined;
    if (row && Number(row.value) === this.halfLifeHours) return;
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE article_topics SET rank_key = rank_base + published_hours * ?')
        .run(Math.LN2 / this.halfLifeHours);
      this.stmts.setMeta.run('half_life_hours', String(this.halfLifeHours));
    })();
  }

  seedFiles(): Map<string, SeedFileRecord> {
    const rows = this.stmts.allSeedFiles.all() as { source: string; content_hash: string; article_id: string | null }[];
    return new Map(
      rows.map((r) => [r.source, { source: r.source, contentHash: r.content_hash, articleId: r.article_id }]),
    );
  }

  recordSeedFiles(records: SeedFileRecord[]): void {
    this.db.transaction(() => {
      for (const r of records) this.stmts.upsertSeedFile.run(r.source, r.contentHash, r.articleId);
    })();
  }

  upsertArticles(articles: Article[]): UpsertResult {
    const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
    const k = Math.LN2 / this.halfLifeHours;
    this.db.transaction(() => {
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
    })();
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
    const out: Candidate[] = [];
    const seen = new Set<string>();
    const exclude = query.excludeIds;
    // One key (the usual case) walks the index in rank order and stops early.
    for (const key of query.topicKeys) {
      let taken = 0;
      for (const row of this.stmts.candidates.iterate(key) as Iterable<{ id: string; doc: string }>) {
        if (exclude?.has(row.id) || seen.has(row.id)) continue;
        seen.add(row.id);
        const article = JSON.parse(row.doc) as Article;
        out.push({ article, topicMatch: topicMatch(this.topicKeys(article.topics), key) });
        if (++taken >= query.limit) break;
      }
    }
    return out;
  }

  topicMatchCount(topicKey: string): number {
    return (this.stmts.countTopic.get(topicKey) as { n: number }).n;
  }

  topicCounts(): TopicCount[] {
    return this.stmts.topicCounts.all() as TopicCount[];
  }

  upsertSubscription(sub: NewSubscription): { subscription: Subscription; created: boolean } {
    const key = targetKey(sub.target);
    return this.db.transaction(() => {
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
    })();
  }

  removeSubscription(target: Target, topicKey: string): boolean {
    return this.stmts.deleteSubscription.run(targetKey(target), topicKey).changes > 0;
  }

  removeAllSubscriptions(target: Target): number {
    return this.stmts.deleteAllSubscriptions.run(targetKey(target)).changes;
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
      return this.stmts.setChatActive.run(flag, why, target.platform, target.chatId, flag).changes;
    }
    return this.stmts.setActive.run(flag, why, targetKey(target), flag).changes;
  }

  migrateTarget(from: Target, to: Target): number {
    const fromKey = targetKey(from);
    if (fromKey === targetKey(to)) return 0;
    // Without a thread the whole chat moves, each forum topic to the same topic of the new chat.
    const pairs =
      from.threadId === undefined && to.threadId === undefined
        ? this.chatTargets(from).map((key) => [key, `${targetKey(to).slice(0, -1)}${key.slice(fromKey.length - 1)}`] as const)
        : [[fromKey, targetKey(to)] as const];
    return this.db.transaction(() => {
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
    })();
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
    this.stmts.setTimezone.run(targetKey(target), timezone);
  }

  dueSubscriptions(now: Date, limit: number, platform?: Target['platform']): Subscription[] {
    const rows = platform === undefined ? this.stmts.due.all(now.getTime(), limit) : this.stmts.duePlatform.all(now.getTime(), platform, limit);
    return (rows as SubscriptionRow[]).map(toSubscription);
  }

  setNextDue(subscriptionId: number, nextDueAt: string): void {
    this.stmts.setNextDue.run(Date.parse(nextDueAt), subscriptionId);
  }

  getDelivery(subscriptionId: number, slot: string): DeliveryRecord | undefined {
    const row = this.stmts.getDelivery.get(subscriptionId, slot) as DeliveryRow | undefined;
    return row ? toDelivery(row) : undefined;
  }

  recordDelivery(record: Omit<DeliveryRecord, 'updatedAt'>, target: Target, nextDueAt?: string): void {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.stmts.upsertDelivery.run(
        record.subscriptionId,
        record.slot,
        record.status,
        JSON.stringify(record.articleIds),
        record.detail,
        now,
      );
      if (record.status === 'sent') {
        const key = targetKey(target);
        for (const id of record.articleIds) this.stmts.insertSent.run(key, id, now);
      }
      if (nextDueAt !== undefined) this.stmts.setNextDue.run(Date.parse(nextDueAt), record.subscriptionId);
    })();
  }

  deliveries(subscriptionId: number, limit = 100): DeliveryRecord[] {
    return (this.stmts.deliveries.all(subscriptionId, limit) as DeliveryRow[]).map(toDelivery);
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

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `Database schema version ${version} is newer than this Newsbrief knows (${MIGRATIONS.length}): upgrade Newsbrief or use another DATABASE_PATH.`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
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
    candidates: db.prepare(
      `SELECT a.id, a.doc FROM article_topics t JOIN articles a ON a.id = t.article_id
       WHERE t.topic_key = ? ORDER BY t.rank_key DESC`,
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
      `INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (subscription_id, slot) DO UPDATE SET status = excluded.status, article_ids = excluded.article_ids,
       detail = excluded.detail, updated_at = excluded.updated_at`,
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
  };
}
