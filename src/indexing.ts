import type { Article } from './model.js';
import type { IndexedArticle, TopicEntry } from './ports.js';
import { RANK, publishedHours, rankBase, topicMatch } from './rank.js';
import { TopicAliasTable } from './topics.js';

/** The recency weight of rank keys for a half-life: rank key = rankBase + publishedHours × weight. */
export function recencyWeight(halfLifeHours: number = RANK.HALF_LIFE_HOURS): number {
  return Math.LN2 / halfLifeHours;
}

/**
 * What storage keeps for an article: the document and one topic entry per canonical key (aliases followed,
 * repeats dropped, the article's order kept), with the values ranking orders by. A removed article has none.
 */
export function indexArticle(article: Article, aliases: TopicAliasTable): IndexedArticle {
  if (article.removed) return { article, topics: [] };
  const names = new Map<string, string>();
  for (const topic of article.topics) {
    const key = aliases.key(topic);
    if (key.length > 0 && !names.has(key)) names.set(key, aliases.displayName(key) ?? topic);
  }
  const keys = [...names.keys()];
  const hours = publishedHours(article.publishedAt);
  const topics: TopicEntry[] = [];
  for (const [key, name] of names) {
    const match = topicMatch(keys, key);
    topics.push({ key, name, match, rankBase: rankBase(article, match), publishedHours: hours });
  }
  return { article, topics };
}

/** indexArticle over a list, with one alias table (default: DEFAULT_TOPIC_ALIASES). */
export function indexArticles(articles: readonly Article[], aliases: TopicAliasTable = new TopicAliasTable()): IndexedArticle[] {
  return articles.map((article) => indexArticle(article, aliases));
}
