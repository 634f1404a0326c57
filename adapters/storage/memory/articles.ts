import {
  type Article,
  type ArticleStore,
  type Candidate,
  type CandidateQuery,
  type IndexedArticle,
  type TopicCount,
  type TopicEntry,
  type UpsertResult,
} from '../../../src/index.js';
import { compareText, type MemoryDatabase, type MemoryTables, type RankedEntry } from './database.js';

/**
 * The core sets the weight at start (ln 2 / RANK.HALF_LIFE_HOURS, 48 hours); this only orders a storage
 * used before that.
 */
const DEFAULT_RANK_WEIGHT = Math.LN2 / 48;

const HOUR_MS = 3_600_000;

/**
 * Articles in memory. Documents are kept serialised, as SQLite keeps them: "unchanged" means the same
 * serialised document, and every read parses a fresh copy callers may change.
 */
export class MemoryArticleStore implements ArticleStore {
  constructor(private readonly db: MemoryDatabase) {}

  async upsertArticles(articles: readonly IndexedArticle[]): Promise<UpsertResult> {
    const t = this.db.use('articles.upsertArticles');
    const batch = articles.map(({ article, topics }) => ({ article, json: JSON.stringify(article), topics: structuredClone(topics) }));
    // Checked before anything is written: the batch is one transaction.
    checkUrls(t, batch.map((b) => b.article));
    const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
    for (const { article, json, topics } of batch) {
      const existing = t.articles.get(article.id);
      if (existing?.json === json) {
        result.unchanged++;
        continue;
      }
      if (existing) {
        result.updated++;
        dropEntries(t, article.id, existing.keys);
        if (t.urlOwners.get(existing.url) === article.id) t.urlOwners.delete(existing.url);
      } else {
        result.inserted++;
      }
      // A removed article has no entries whatever it came with, so it can never be a candidate.
      const live = article.removed ? [] : topics;
      t.articles.set(article.id, {
        json,
        url: article.url,
        publishedMs: Date.parse(article.publishedAt),
        removed: article.removed,
        keys: addEntries(t, article.id, live),
      });
      t.urlOwners.set(article.url, article.id);
    }
    return result;
  }

  async getArticle(id: string): Promise<Article | undefined> {
    const row = this.db.use('articles.getArticle').articles.get(id);
    return row ? parse(row.json) : undefined;
  }

  async articleCount(): Promise<number> {
    let count = 0;
    for (const row of this.db.use('articles.articleCount').articles.values()) if (!row.removed) count++;
    return count;
  }

  async candidates(query: CandidateQuery): Promise<Candidate[]> {
    const t = this.db.use('articles.candidates');
    const since = query.since ? query.since.getTime() / HOUR_MS : -Infinity;
    const until = query.until ? query.until.getTime() / HOUR_MS : Infinity;
    const seen = new Set<string>();
    const out: Candidate[] = [];
    for (const key of query.topicKeys) {
      let taken = 0;
      for (const { articleId, entry } of ranked(t, key)) {
        if (taken >= query.limit) break;
        if (entry.publishedHours < since || entry.publishedHours > until) continue;
        if (query.excludeIds?.has(articleId) || seen.has(articleId)) continue;
        seen.add(articleId);
        out.push({ article: parse(t.articles.get(articleId)!.json), topicMatch: entry.match });
        taken++;
      }
    }
    return out;
  }

  async windowArticles(since: Date, until: Date): Promise<Article[]> {
    const t = this.db.use('articles.windowArticles');
    const from = since.getTime();
    const to = until.getTime();
    const rows = [...t.articles.entries()].filter(([, r]) => !r.removed && r.publishedMs >= from && r.publishedMs <= to);
    rows.sort(([idA, a], [idB, b]) => a.publishedMs - b.publishedMs || compareText(idA, idB));
    return rows.map(([, r]) => parse(r.json));
  }

  async topicMatchCount(topicKey: string): Promise<number> {
    return this.db.use('articles.topicMatchCount').topics.get(topicKey)?.entries.size ?? 0;
  }

  async topicCounts(): Promise<TopicCount[]> {
    const t = this.db.use('articles.topicCounts');
    const counts: TopicCount[] = [];
    for (const [key, index] of t.topics) {
      if (index.entries.size > 0) counts.push({ key, name: t.topicNames.get(key) ?? key, count: index.entries.size });
    }
    return counts.sort((a, b) => b.count - a.count || compareText(a.name, b.name) || compareText(a.key, b.key));
  }

  async rankWeight(): Promise<number | undefined> {
    return this.db.use('articles.rankWeight').rankWeight;
  }

  async setRankWeight(weight: number): Promise<void> {
    const t = this.db.use('articles.setRankWeight');
    t.rankWeight = weight;
    for (const index of t.topics.values()) delete index.ranked;
  }
}

/** Throws, naming both articles, when the batch would give one URL to two articles. */
function checkUrls(t: MemoryTables, articles: readonly Article[]): void {
  // Where each article of the batch ends up (the last copy of an id wins).
  const finalUrl = new Map<string, string>();
  for (const a of articles) finalUrl.set(a.id, a.url);
  const owners = new Map<string, string>();
  for (const [id, url] of finalUrl) {
    const holder = owners.get(url) ?? t.urlOwners.get(url);
    // A stored holder that this batch moves to another URL gives this one up.
    if (holder !== undefined && holder !== id && (finalUrl.get(holder) ?? url) === url) {
      throw new Error(
        `articles.upsertArticles: article ${id} has URL ${url}, which article ${holder} already has; nothing of the batch was stored`,
      );
    }
    owners.set(url, id);
  }
}

/** Adds an article's entries (the first entry of a repeated key wins); returns the keys it is under. */
function addEntries(t: MemoryTables, articleId: string, topics: readonly TopicEntry[]): string[] {
  const keys: string[] = [];
  for (const entry of topics) {
    let index = t.topics.get(entry.key);
    if (!index) t.topics.set(entry.key, (index = { entries: new Map() }));
    if (index.entries.has(articleId)) continue;
    index.entries.set(articleId, entry);
    delete index.ranked;
    keys.push(entry.key);
    if (!t.topicNames.has(entry.key)) t.topicNames.set(entry.key, entry.name);
  }
  return keys;
}

function dropEntries(t: MemoryTables, articleId: string, keys: readonly string[]): void {
  for (const key of keys) {
    const index = t.topics.get(key);
    if (!index) continue;
    index.entries.delete(articleId);
    delete index.ranked;
    // The name stays: the first name stored for a key wins even after its articles are gone.
    if (index.entries.size === 0) t.topics.delete(key);
  }
}

/** A topic's entries, highest rank key first (ties by article id), sorted once per change. */
function ranked(t: MemoryTables, key: string): readonly RankedEntry[] {
  const index = t.topics.get(key);
  if (!index) return [];
  if (!index.ranked) {
    const weight = t.rankWeight ?? DEFAULT_RANK_WEIGHT;
    index.ranked = [...index.entries].map(([articleId, entry]) => ({
      articleId,
      entry,
      rankKey: entry.rankBase + entry.publishedHours * weight,
    }));
    index.ranked.sort((a, b) => b.rankKey - a.rankKey || compareText(a.articleId, b.articleId));
  }
  return index.ranked;
}

function parse(json: string): Article {
  return JSON.parse(json) as Article;
}
