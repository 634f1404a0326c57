import type pg from 'pg';
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
// The SQLite document format, reused as it is: a move between the backends copies documents byte for byte.
import { decodeDocument, decodeDocumentText } from '../sqlite/documents.js';
import { DocumentEncoder } from '../sqlite/encoder.js';
import type { PostgresDatabase } from './database.js';

/** The recency weight used until the core sets one (ln 2 / 48 h, the default half-life), as in SQLite. */
const DEFAULT_RANK_WEIGHT = Math.LN2 / 48;

/**
 * Advisory lock key between rank-key writers: setRankWeight re-keys under it exclusively, article batches
 * hold it shared, so no batch commits keys computed with a weight that was replaced meanwhile.
 */
const RANK_WEIGHT_LOCK = 0x6e6577737277n;

/** Parsed articles kept between requests (as in SQLite): a week of candidates for every topic, with room. */
const ARTICLE_CACHE_SIZE = 8192;

/** Postgres's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** Tries of a batch that lost a race with another writer (see isRace). */
const MAX_ATTEMPTS = 5;

/** A batch that failed only because another transaction wrote the same new ids at the same time. */
function isRace(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string };
  return (e.code === UNIQUE_VIOLATION && e.constraint === 'articles_id_key') || e.code === '40P01' || e.code === '40001';
}

interface Pending {
  id: string;
  url: string;
  publishedAt: Date;
  removed: boolean;
  json: string;
  topics: TopicEntry[];
}

/**
 * Articles and their topic index on Postgres (see migrations.ts). Every batch is one transaction; topic
 * counts change in the same transaction as the entries they count.
 */
export class PostgresArticleStore implements ArticleStore {
  private readonly encoder = new DocumentEncoder();
  /**
   * Parsed candidates by row number, with the row version (`xmin`) they were parsed from. Decoding and
   * parsing 160 documents was most of a /news, and the core keeps a candidate set's grouping only while it
   * is handed the same article objects. Other instances write the same tables at any time, so every hit is
   * checked against the version the candidate query returns: any committed change to a row gives it a new
   * xmin (the writing transaction's id). A stale hit would need the row rewritten by a transaction whose id
   * equals the cached one, i.e. 2³² transactions later while the entry is still cached.
   */
  private readonly cache = new Map<string, { version: string; article: Article }>();
  /** Topic key → row id. Topic rows are never deleted or renumbered once committed. */
  private readonly topicIds = new Map<string, number>();

  constructor(private readonly db: PostgresDatabase) {}

  async rankWeight(): Promise<number | undefined> {
    this.db.use('articles.rankWeight');
    return weightOf(await this.db.query<{ value: string }>(RANK_WEIGHT_SQL));
  }

  async setRankWeight(weight: number): Promise<void> {
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError(`rank weight must be a finite number ≥ 0 (got ${weight})`);
    await this.db.transaction('articles.setRankWeight', async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [RANK_WEIGHT_LOCK.toString()]);
      await c.query('UPDATE topic_entries SET rank_key = rank_base + published_hours * $1', [weight]);
      await c.query(
        `INSERT INTO meta (key, value) VALUES ('rank_weight', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [String(weight)],
      );
    });
  }

  async upsertArticles(articles: readonly IndexedArticle[]): Promise<UpsertResult> {
    this.db.use('articles.upsertArticles');
    // Taken now: the caller may change its objects once this returns.
    const batch: Pending[] = articles.map(({ article, topics }) => ({
      id: article.id,
      url: article.url,
      publishedAt: new Date(article.publishedAt),
      removed: article.removed,
      json: JSON.stringify(article),
      topics: article.removed ? [] : topics.map((t) => ({ ...t })),
    }));
    const docs = await this.encoder.encode(batch.map((b) => b.json));
    for (let attempt = 1; ; attempt++) {
      const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
      try {
        await this.db.transaction('articles.upsertArticles', (c) => this.upsertBatch(c, batch, docs, result));
        return result;
      } catch (error) {
        // Topics the batch added are gone with it.
        this.topicIds.clear();
        // Another instance stored one of these ids first, or two batches waited on each other's new ids:
        // the batch is rolled back whole, and run again it finds those articles stored.
        if (attempt < MAX_ATTEMPTS && isRace(error)) continue;
        throw await this.explainUrlClash(error);
      }
    }
  }

  private async upsertBatch(c: pg.PoolClient, batch: readonly Pending[], docs: readonly Buffer[], result: UpsertResult): Promise<void> {
    if (batch.length === 0) return;
    await c.query('SELECT pg_advisory_xact_lock_shared($1)', [RANK_WEIGHT_LOCK.toString()]);
    const k = weightOf(await c.query<{ value: string }>(RANK_WEIGHT_SQL)) ?? DEFAULT_RANK_WEIGHT;
    // What is stored of the batch's ids, read once and locked against other writers until commit.
    const stored = new Map<string, { n: string; json: string }>();
    const { rows } = await c.query<{ n: string; id: string; doc: Buffer }>(
      'SELECT n, id, doc FROM articles WHERE id = ANY($1::text[]) ORDER BY n FOR UPDATE',
      [[...new Set(batch.map((b) => b.id))]],
    );
    for (const r of rows) stored.set(r.id, { n: r.n, json: decodeDocumentText(r.doc) });
    const delta = new Map<number, number>();
    for (const [i, article] of batch.entries()) {
      const chosen: { topic: number; entry: TopicEntry }[] = [];
      for (const entry of article.topics) {
        const topic = await this.topicIdFor(c, entry.key, entry.name);
        if (!chosen.some((x) => x.topic === topic)) chosen.push({ topic, entry });
      }
      const doc = docs[i]!;
      const current = stored.get(article.id);
      let n: string;
      if (current?.json === article.json) {
        result.unchanged++;
        continue;
      }
      const values = [article.url, article.publishedAt, article.removed, doc];
      if (current) {
        n = current.n;
        const gone = await c.query<{ topic: number }>('DELETE FROM topic_entries WHERE n = $1 RETURNING topic', [n]);
        for (const { topic } of gone.rows) delta.set(topic, (delta.get(topic) ?? 0) - 1);
        await this.write(c, article, 'UPDATE articles SET url = $1, published_at = $2, removed = $3, doc = $4 WHERE n = $5', [...values, n]);
        result.updated++;
      } else {
        const inserted = await this.write(
          c,
          article,
          'INSERT INTO articles (url, published_at, removed, doc, id) VALUES ($1, $2, $3, $4, $5) RETURNING n',
          [...values, article.id],
        );
        n = (inserted.rows[0] as { n: string }).n;
        result.inserted++;
      }
      stored.set(article.id, { n, json: article.json });
      if (chosen.length > 0) {
        await c.query(
          `INSERT INTO topic_entries (topic, published_hours, n, rank_key, topic_match, rank_base)
           SELECT t, h, $1, b + h * $2, m, b FROM unnest($3::int[], $4::float8[], $5::float8[], $6::float8[]) AS u(t, h, m, b)`,
          [
            n,
            k,
            chosen.map((x) => x.topic),
            chosen.map((x) => x.entry.publishedHours),
            chosen.map((x) => x.entry.match),
            chosen.map((x) => x.entry.rankBase),
          ],
        );
      }
      for (const { topic } of chosen) delta.set(topic, (delta.get(topic) ?? 0) + 1);
    }
    // In topic order, so two batches touching the same topics lock their rows in the same order.
    const changes = [...delta].filter(([, d]) => d !== 0).sort(([a], [b]) => a - b);
    if (changes.length > 0) {
      await c.query('UPDATE topics SET count = count + d FROM unnest($1::int[], $2::int[]) AS u(id, d) WHERE topics.id = u.id', [
        changes.map(([id]) => id),
        changes.map(([, d]) => d),
      ]);
    }
  }

  /** An article write; a unique violation on the URL is tagged with the article so the error can name both. */
  private async write(c: pg.PoolClient, article: Pending, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await c.query(sql, params);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'articles_url_key') {
        throw new UrlClash(article.id, article.url);
      }
      throw error;
    }
  }

  /** After the rollback: which stored article has the URL, for the message. */
  private async explainUrlClash(error: unknown): Promise<unknown> {
    if (!(error instanceof UrlClash)) return error;
    const owner = await this.db
      .query<{ id: string }>('SELECT id FROM articles WHERE url = $1', [error.url])
      .then((r) => r.rows[0]?.id)
      .catch(() => undefined);
    const who = owner ? `article ${owner}` : 'another article of the same batch';
    return new Error(
      `articles.upsertArticles: article ${error.articleId} has URL ${error.url}, which ${who} already has; nothing of the batch was stored`,
    );
  }

  /** The row id of a topic key, adding it (with this display name, which then stays) when new. */
  private async topicIdFor(c: pg.PoolClient, key: string, name: string): Promise<number> {
    const known = this.topicIds.get(key);
    if (known !== undefined) return known;
    // Read first: an INSERT … ON CONFLICT DO NOTHING would use up an identity value on every known topic.
    let row = (await c.query<{ id: number }>('SELECT id FROM topics WHERE key = $1', [key])).rows[0];
    if (!row) {
      await c.query('INSERT INTO topics (key, name) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, name]);
      row = (await c.query<{ id: number }>('SELECT id FROM topics WHERE key = $1', [key])).rows[0]!;
    }
    this.topicIds.set(key, row.id);
    return row.id;
  }

  async getArticle(id: string): Promise<Article | undefined> {
    this.db.use('articles.getArticle');
    const { rows } = await this.db.query<{ doc: Buffer }>('SELECT doc FROM articles WHERE id = $1', [id]);
    return rows[0] ? decodeDocument(rows[0].doc) : undefined;
  }

  async articleCount(): Promise<number> {
    this.db.use('articles.articleCount');
    const { rows } = await this.db.query<{ count: string }>('SELECT count(*) AS count FROM articles WHERE NOT removed');
    return Number(rows[0]!.count);
  }

  async candidates(query: CandidateQuery): Promise<Candidate[]> {
    this.db.use('articles.candidates');
    const out: Candidate[] = [];
    const seen: string[] = [];
    const exclude = [...(query.excludeIds ?? [])];
    const until = query.until ? hoursOf(query.until) : Number.MAX_VALUE;
    const since = query.since ? hoursOf(query.since) : undefined;
    for (const key of query.topicKeys) {
      const { rows } = await this.db.query<CandidateRow>(candidateStatement(key, since, until, exclude, seen, query.limit));
      const articles = await this.parsed(rows);
      for (const [i, r] of rows.entries()) {
        const article = articles[i];
        // Gone between the two reads (never deleted today, but not worth failing a /news over).
        if (!article) continue;
        seen.push(r.n);
        out.push({ article, topicMatch: r.topic_match });
      }
    }
    return out;
  }

  /**
   * The parsed documents of candidate rows: cached ones whose row version still matches, the rest read in
   * one statement and cached. A row read here may be newer than its candidate row (a commit in between);
   * it is cached under the version it was read with, so the next request checks it again.
   */
  private async parsed(rows: readonly CandidateRow[]): Promise<(Article | undefined)[]> {
    const found: (Article | undefined)[] = rows.map((r) => {
      const hit = this.cache.get(r.n);
      return hit?.version === r.version ? hit.article : undefined;
    });
    const missing = rows.filter((_, i) => !found[i]).map((r) => r.n);
    if (missing.length === 0) return found;
    const { rows: docs } = await this.db.query<{ n: string; version: string; doc: Buffer }>({
      name: 'newsbrief.articles.documents',
      text: 'SELECT n, xmin AS version, doc FROM articles WHERE n = ANY($1::bigint[])',
      values: [missing],
    });
    const read = new Map(docs.map((d) => [d.n, d]));
    return rows.map((r, i) => {
      if (found[i]) return found[i];
      const d = read.get(r.n);
      if (!d) return undefined;
      const article = decodeDocument(d.doc);
      this.cache.delete(d.n);
      if (this.cache.size >= ARTICLE_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(d.n, { version: d.version, article });
      return article;
    });
  }

  async windowArticles(since: Date, until: Date): Promise<Article[]> {
    this.db.use('articles.windowArticles');
    const { rows } = await this.db.query<{ doc: Buffer }>(
      'SELECT doc FROM articles WHERE NOT removed AND published_at BETWEEN $1 AND $2 ORDER BY published_at, id',
      [since, until],
    );
    return rows.map((r) => decodeDocument(r.doc));
  }

  async topicMatchCount(topicKey: string): Promise<number> {
    this.db.use('articles.topicMatchCount');
    const { rows } = await this.db.query<{ count: number }>('SELECT count FROM topics WHERE key = $1', [topicKey]);
    return rows[0]?.count ?? 0;
  }

  async topicCounts(): Promise<TopicCount[]> {
    this.db.use('articles.topicCounts');
    const { rows } = await this.db.query<TopicCount>('SELECT key, name, count FROM topics WHERE count > 0 ORDER BY count DESC, name, key');
    return rows;
  }

  /** Stops the document encoder's worker thread. */
  async close(): Promise<void> {
    await this.encoder.close();
  }
}

/** Thrown inside a batch's transaction when an article's URL is another's; rethrown with names after the rollback. */
class UrlClash extends Error {
  constructor(
    readonly articleId: string,
    readonly url: string,
  ) {
    super(`article ${articleId} has URL ${url}, which another article already has`);
  }
}

const RANK_WEIGHT_SQL = `SELECT value FROM meta WHERE key = 'rank_weight'`;

/** A candidate: its row number, how it matches the topic, and its row version (see the article cache). */
interface CandidateRow {
  n: string;
  topic_match: number;
  version: string;
}

/**
 * The candidate statement of one topic key (exported for the bench's EXPLAIN). The window's best entries are
 * chosen from topic_entries alone, excluded ids turned into row numbers once (an InitPlan), and only those
 * `limit` rows are joined to articles, for their version; documents are read separately, for cache misses
 * only. Joining first read an article row (with its document) for every entry of the window, about a
 * thousand for the biggest topic's week at a million articles, before the sort and limit.
 *
 * Unnamed on purpose, so each call is planned with its values: a prepared statement's generic plan walks
 * the rank index and filters on the window, which reads a small topic's whole history when its week has
 * fewer than `limit` entries (20,000 index entries for 81 rows at a million articles; 1.2 ms a call on
 * average against 0.3 ms, measured with bench/postgres-bench.ts).
 */
export function candidateStatement(
  topicKey: string,
  since: number | undefined,
  until: number,
  excludeIds: readonly string[],
  seen: readonly string[],
  limit: number,
): pg.QueryConfig {
  const common = [topicKey, until, excludeIds, seen, limit];
  return since === undefined ? { text: CANDIDATES_UNTIL_SQL, values: common } : { text: CANDIDATES_IN_WINDOW_SQL, values: [...common, since] };
}

/** $1 topic key, $2 until (hours), $3 excluded ids, $4 rows already taken, $5 limit; see candidateStatement. */
const candidatesSql = (window: string) => `
  SELECT c.n, c.topic_match, a.xmin AS version FROM (
    SELECT e.n, e.topic_match, e.rank_key FROM topic_entries e
    WHERE e.topic = (SELECT id FROM topics WHERE key = $1) AND ${window}
      AND e.n <> ALL (ARRAY(SELECT n FROM articles WHERE id = ANY($3::text[])) || $4::bigint[])
    ORDER BY e.rank_key DESC, e.n LIMIT $5
  ) c JOIN articles a ON a.n = c.n
  ORDER BY c.rank_key DESC, c.n`;
/** A window ($6 since): a range of the primary key (topic, published_hours, n), then sorted by rank. */
const CANDIDATES_IN_WINDOW_SQL = candidatesSql('e.published_hours BETWEEN $6 AND $2');
/** No lower bound ("the latest stories" after an empty window): the rank index walked best first. */
const CANDIDATES_UNTIL_SQL = candidatesSql('e.published_hours <= $2');

/** The stored rank weight from a RANK_WEIGHT_SQL result, undefined before the first setRankWeight. */
function weightOf(result: pg.QueryResult<{ value: string }>): number | undefined {
  return result.rows[0] ? Number(result.rows[0].value) : undefined;
}

/** Hours since the epoch, the unit of stored publication times. */
function hoursOf(date: Date): number {
  return date.getTime() / 3_600_000;
}
