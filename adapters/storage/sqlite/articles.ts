import type Database from 'better-sqlite3';
import type {
  Article,
  ArticleStore,
  Candidate,
  CandidateQuery,
  IndexedArticle,
  TopicCount,
  TopicEntry,
  UpsertResult,
} from '../../../src/index.js';
import { decodeDocument, decodeDocumentText, urlHash } from './documents.js';
import { DocumentEncoder } from './encoder.js';
import { decodeEntryKeys, encodeEntryKeys } from './entries.js';
import type { SqliteStorage } from './index.js';

/** Parsed articles kept in memory: every topic's /news window (40 topics × 160 candidates) fits. */
const ARTICLE_CACHE_SIZE = 8192;

/**
 * The recency weight used until the core sets one (ln 2 / 48 h, the default half-life): the core sets
 * its own at start, so this only orders a database written before that.
 */
const DEFAULT_RANK_WEIGHT = Math.LN2 / 48;

type ArticleStatements = ReturnType<typeof prepareArticles>;

/** An article of a batch as upsertArticles took it, with its document's JSON text. */
interface Pending {
  id: string;
  url: string;
  publishedAt: number;
  removed: boolean;
  json: string;
  topics: TopicEntry[];
}

/**
 * Articles and their topic index (schema version 5). An article is a row numbered `n` with its id, the hash
 * of its URL, publication time, removed flag and the encoded document (documents.ts). Each topic entry is a
 * row of `topic_entries` keyed by (topic, publication hours, n) — the /news window is a range of that key —
 * with a second index by rank key for queries without a window. `topics` keeps each key's display name and
 * its live article count, maintained by every write, so the topic list is a read, not a count.
 */
export class SqliteArticleStore implements ArticleStore {
  private readonly stmts: ArticleStatements;
  /**
   * Parsed candidates by row number, kept between requests: decoding and parsing documents (related lists
   * included) was most of a /news request, and the grouping code's per-article caches (canonical URLs,
   * terms) live as long as the object does. Articles are never mutated by readers. Own writes drop what
   * they change; another process's commit (`newsbrief ingest` beside the bot) changes PRAGMA data_version
   * and drops everything.
   */
  private readonly cache = new Map<number, Article>();
  private dataVersion = -1;
  private weight: number;
  /** Topic key → row id. A topic row is never deleted or renumbered, so a hit stays right. */
  private readonly topicIds = new Map<string, number>();
  /** @internal Encodes the documents of a batch (tests wait for its worker). */
  readonly encoder = new DocumentEncoder();
  /** The last batch written or being written: the next one waits for it. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly s: SqliteStorage) {
    this.stmts = prepareArticles(s.db);
    this.weight = this.storedWeight() ?? DEFAULT_RANK_WEIGHT;
  }

  private storedWeight(): number | undefined {
    const row = this.s.stmts.getMeta.get('rank_weight') as { value: string } | undefined;
    if (row) return Number(row.value);
    // Before rank_weight, the meta table kept the half-life the keys were computed with.
    const legacy = this.s.stmts.getMeta.get('half_life_hours') as { value: string } | undefined;
    return legacy ? Math.LN2 / Number(legacy.value) : undefined;
  }

  async rankWeight(): Promise<number | undefined> {
    return this.storedWeight();
  }

  async setRankWeight(weight: number): Promise<void> {
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError(`rank weight must be a finite number ≥ 0 (got ${weight})`);
    this.s.write(() => {
      this.stmts.rekey.run(weight);
      this.s.stmts.setMeta.run('rank_weight', String(weight));
      this.s.stmts.deleteMeta.run('half_life_hours');
    });
    this.weight = weight;
  }

  async upsertArticles(articles: readonly IndexedArticle[]): Promise<UpsertResult> {
    // Taken now: the caller may change its objects once this returns.
    const batch: Pending[] = articles.map(({ article, topics }) => ({
      id: article.id,
      url: article.url,
      publishedAt: Date.parse(article.publishedAt),
      removed: article.removed,
      json: JSON.stringify(article),
      topics: article.removed ? [] : topics.map((t) => ({ ...t })),
    }));
    // Batches are written in call order, each in one transaction; documents are encoded before it begins.
    const run = async () => {
      const docs = await this.encoder.encode(batch.map((b) => b.json));
      const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
      try {
        this.s.write(() => this.upsertBatch(batch, docs, result));
      } catch (error) {
        // Topics this batch added are gone with it: forget their ids.
        this.topicIds.clear();
        throw error;
      }
      return result;
    };
    const done = this.writing.then(run, run);
    this.writing = done.catch(() => undefined);
    return done;
  }

  /** Stops the document encoder's worker thread. */
  async close(): Promise<void> {
    await this.encoder.close();
  }

  /** One batch inside its write transaction; adds to `result`. */
  private upsertBatch(batch: readonly Pending[], docs: readonly Buffer[], result: UpsertResult): void {
    const k = this.weight;
    const st = this.stmts;
    // Live-article count changes per topic id, written once at the end of the batch.
    const delta = new Map<number, number>();
    const changed: number[] = [];
    batch.forEach((article, i) => {
      const { json, topics } = article;
      const hash = urlHash(article.url);
      const removed = article.removed ? 1 : 0;
      // Where its entries go (the first entry of a repeated key wins); a removed article has none.
      const chosen: { topic: number; entry: TopicEntry }[] = [];
      for (const entry of topics) {
        const topic = this.topicIdFor(entry.key, entry.name);
        if (!chosen.some((c) => c.topic === topic)) chosen.push({ topic, entry });
      }
      const entries = encodeEntryKeys(chosen.map((c) => [c.topic, c.entry.publishedHours] as const));
      const doc = docs[i]!;
      let n: number;
      // A new id is the common case (every article of a first ingest): insert without reading first.
      const insert = st.insertArticle.run(article.id, hash, article.publishedAt, removed, entries, doc);
      if (insert.changes > 0) {
        n = Number(insert.lastInsertRowid);
        result.inserted++;
      } else {
        const existing = st.articleById.get(article.id) as { n: number; entries: Buffer | null; doc: Buffer };
        if (decodeDocumentText(existing.doc) === json) {
          result.unchanged++;
          return;
        }
        n = existing.n;
        for (const [topic, hours] of decodeEntryKeys(existing.entries)) {
          st.deleteEntry.run(topic, hours, n);
          delta.set(topic, (delta.get(topic) ?? 0) - 1);
        }
        st.updateArticle.run(hash, article.publishedAt, removed, entries, doc, n);
        changed.push(n);
        result.updated++;
      }
      this.checkUrlFree(article, n, hash);
      for (const { topic, entry: t } of chosen) {
        st.insertEntry.run(topic, t.publishedHours, n, t.rankBase + t.publishedHours * k, t.match, t.rankBase);
        delta.set(topic, (delta.get(topic) ?? 0) + 1);
      }
    });
    for (const [topic, d] of delta) if (d !== 0) st.addToCount.run(d, topic);
    for (const n of changed) this.cache.delete(n);
  }

  /**
   * Throws (rolling the batch back) when another article already has this URL: a URL is one article's. The
   * index holds URL hashes, so an equal hash is confirmed by the other document's URL.
   */
  private checkUrlFree(article: Pick<Pending, 'id' | 'url'>, n: number, hash: number): void {
    for (const other of this.stmts.sameUrlHash.all(hash, n) as number[]) {
      const doc = decodeDocument(this.stmts.docByRow.get(other) as Buffer);
      if (doc.url === article.url) {
        throw new Error(
          `articles.upsertArticles: article ${article.id} has URL ${article.url}, which article ${doc.id} already has; nothing of the batch was stored`,
        );
      }
    }
  }

  /** The row id of a topic key, adding the topic (with this display name) when new. */
  private topicIdFor(key: string, name: string): number {
    let id = this.topicIds.get(key);
    if (id === undefined) {
      this.stmts.insertTopic.run(key, name);
      id = this.stmts.topicId.get(key) as number;
      this.topicIds.set(key, id);
    }
    return id;
  }

  /** The row id of a known topic key, or undefined. */
  private knownTopicId(key: string): number | undefined {
    let id = this.topicIds.get(key);
    if (id === undefined) {
      id = this.stmts.topicId.get(key) as number | undefined;
      if (id !== undefined) this.topicIds.set(key, id);
    }
    return id;
  }

  async getArticle(id: string): Promise<Article | undefined> {
    const doc = this.stmts.docById.get(id) as Buffer | undefined;
    return doc ? decodeDocument(doc) : undefined;
  }

  async articleCount(): Promise<number> {
    return this.stmts.countArticles.get() as number;
  }

  async candidates(query: CandidateQuery): Promise<Candidate[]> {
    this.dropCacheIfChangedElsewhere();
    const out: Candidate[] = [];
    const seen = new Set<number>();
    const exclude = query.excludeIds;
    const until = query.until ? hoursOf(query.until) : Number.MAX_VALUE;
    for (const key of query.topicKeys) {
      const topic = this.knownTopicId(key);
      if (topic === undefined) continue;
      // Rows that can be skipped (excluded, or already taken under an earlier key) come on top of the limit.
      const wanted = query.limit + (exclude?.size ?? 0) + seen.size;
      const rows = wanted > 1e9 ? -1 : wanted;
      // A window is a range of the table's own key, sorted by rank; without a lower bound the rank index is
      // walked best first. Either way only row numbers: documents come from the cache.
      const found = (
        query.since
          ? this.stmts.candidatesInWindow.all(topic, hoursOf(query.since), until, rows)
          : this.stmts.candidatesUntil.all(topic, until, rows)
      ) as [number, number][];
      let taken = 0;
      for (const [n, match] of found) {
        if (taken >= query.limit) break;
        if (seen.has(n)) continue;
        // An excluded article is recognised by its id, without decoding its document when it is not cached.
        if (exclude && exclude.has(this.cache.get(n)?.id ?? (this.stmts.idByRow.get(n) as string))) continue;
        const article = this.parsed(n);
        if (!article) continue;
        seen.add(n);
        out.push({ article, topicMatch: match });
        taken++;
      }
    }
    return out;
  }

  private parsed(n: number): Article | undefined {
    const cached = this.cache.get(n);
    if (cached) return cached;
    const doc = this.stmts.docByRow.get(n) as Buffer | undefined;
    if (!doc) return undefined;
    const article = decodeDocument(doc);
    if (this.cache.size >= ARTICLE_CACHE_SIZE) {
      // Oldest first: a Map iterates in insertion order.
      this.cache.delete(this.cache.keys().next().value as number);
    }
    this.cache.set(n, article);
    return article;
  }

  private dropCacheIfChangedElsewhere(): void {
    const version = this.stmts.dataVersion.get() as number;
    if (version !== this.dataVersion) this.cache.clear();
    this.dataVersion = version;
  }

  async windowArticles(since: Date, until: Date): Promise<Article[]> {
    const docs = this.stmts.windowArticles.all(since.getTime(), until.getTime()) as Buffer[];
    return docs.map(decodeDocument);
  }

  async topicMatchCount(topicKey: string): Promise<number> {
    return (this.stmts.topicCount.get(topicKey) as number | undefined) ?? 0;
  }

  async topicCounts(): Promise<TopicCount[]> {
    return this.stmts.topicCounts.all() as TopicCount[];
  }
}

/** Hours since the epoch, the unit of the stored publication times. */
function hoursOf(date: Date): number {
  return date.getTime() / 3_600_000;
}

function prepareArticles(db: Database.Database) {
  const one = (sql: string) => db.prepare(sql).pluck();
  return {
    dataVersion: one('PRAGMA data_version'),
    insertArticle: db.prepare(
      'INSERT INTO articles (id, url_hash, published_at, removed, entries, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    articleById: db.prepare('SELECT n, entries, doc FROM articles WHERE id = ?'),
    updateArticle: db.prepare('UPDATE articles SET url_hash = ?, published_at = ?, removed = ?, entries = ?, doc = ? WHERE n = ?'),
    sameUrlHash: one('SELECT n FROM articles WHERE url_hash = ? AND n != ?'),
    docById: one('SELECT doc FROM articles WHERE id = ?'),
    docByRow: one('SELECT doc FROM articles WHERE n = ?'),
    idByRow: one('SELECT id FROM articles WHERE n = ?'),
    deleteEntry: db.prepare('DELETE FROM topic_entries WHERE topic = ? AND published_hours = ? AND n = ?'),
    insertEntry: db.prepare(
      'INSERT INTO topic_entries (topic, published_hours, n, rank_key, topic_match, rank_base) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertTopic: db.prepare('INSERT OR IGNORE INTO topics (key, name) VALUES (?, ?)'),
    topicId: one('SELECT id FROM topics WHERE key = ?'),
    addToCount: db.prepare('UPDATE topics SET count = count + ? WHERE id = ?'),
    rekey: db.prepare('UPDATE topic_entries SET rank_key = rank_base + published_hours * ?'),
    countArticles: one('SELECT count(*) FROM articles WHERE removed = 0'),
    // Row number and topic match, best rank first; ties in row order (the order articles were first stored).
    candidatesUntil: db
      .prepare(
        `SELECT n, topic_match FROM topic_entries INDEXED BY topic_entries_rank
         WHERE topic = ? AND published_hours <= ? ORDER BY rank_key DESC, n LIMIT ?`,
      )
      .raw(),
    candidatesInWindow: db
      .prepare(
        `SELECT n, topic_match FROM topic_entries
         WHERE topic = ? AND published_hours BETWEEN ? AND ? ORDER BY rank_key DESC, n LIMIT ?`,
      )
      .raw(),
    windowArticles: one('SELECT doc FROM articles WHERE removed = 0 AND published_at BETWEEN ? AND ? ORDER BY published_at, id'),
    topicCount: one('SELECT count FROM topics WHERE key = ?'),
    topicCounts: db.prepare('SELECT key, name, count FROM topics WHERE count > 0 ORDER BY count DESC, name, key'),
  };
}
