import type { Article } from './model.js';
import { qualityFactor } from './rank.js';
import { articleUrlKey, hostMatchesDomain, providerKey, urlHost } from './url.js';
import { cosine, Idf, termFrequencies, tfidf, type TermVector } from './similarity.js';

/**
 * Story grouping constants. Two articles are one story when their title and excerpt say the same thing
 * (TF-IDF cosine) and they appeared close together, or when they are the same page. Grouping is average
 * linkage: a story takes in an article (or another story) only when the members are, on average, similar
 * to each other, so A~B and B~C never pull a far-off C into A's story.
 */
export const STORIES = {
  /** Average cosine similarity at which two groups are one story. */
  SIMILARITY: 0.3,
  /** Articles further apart than this are never similar: the same words a week later are a new story. */
  WINDOW_HOURS: 96,
  /**
   * Two articles from the same outlet are one story only when near-identical (a re-post, an edited copy):
   * outlets publish many pieces on one subject, each its own story.
   */
  SAME_OUTLET_SIMILARITY: 0.6,
  /** A related[] link between two articles adds this much evidence; never enough to merge on its own. */
  RELATED_BONUS: 0.05,
  /** The lead prefers the outlet whose own domain serves the page (original reporting over a copy). */
  ORIGINAL_BONUS: Math.log(1.25),
} as const;

export interface StoryGroup<T extends { article: Article }> {
  /** The best article: quality, original reporting, then earliest. */
  lead: T;
  /** The other members, best first. */
  others: T[];
  /** Every member, lead first. */
  members: T[];
}

/** Text vectors of a candidate set, with the IDF computed over that set. */
export class TextIndex {
  readonly idf: Idf;
  private readonly vectors = new WeakMap<object, TermVector>();

  constructor(articles: readonly Pick<Article, 'title' | 'excerpt'>[]) {
    const tfs = articles.map((a) => termFrequencies(a.title, a.excerpt));
    this.idf = new Idf(tfs);
    articles.forEach((a, i) => this.vectors.set(a, tfidf(tfs[i]!, this.idf)));
  }

  /** The vector of an article of the set, or of any other text (unseen words count as rare). */
  vector(item: Pick<Article, 'title' | 'excerpt'>): TermVector {
    let v = this.vectors.get(item);
    if (!v) {
      v = tfidf(termFrequencies(item.title, item.excerpt), this.idf);
      this.vectors.set(item, v);
    }
    return v;
  }

  /** The normalised sum of several vectors: what a story as a whole is about. */
  static centroid(vectors: readonly TermVector[]): TermVector {
    const sum: TermVector = new Map();
    for (const v of vectors) for (const [t, w] of v) sum.set(t, (sum.get(t) ?? 0) + w);
    let norm = 0;
    for (const w of sum.values()) norm += w * w;
    if (norm > 0) {
      const n = Math.sqrt(norm);
      for (const [t, w] of sum) sum.set(t, w / n);
    }
    return sum;
  }
}

/** How strongly an article deserves to lead its story (log scale): quality, plus a bonus for the original. */
export function leadStrength(article: Pick<Article, 'quality' | 'url' | 'provider'>): number {
  const original = hostMatchesDomain(urlHost(article.url), article.provider.domain);
  return Math.log(qualityFactor(article.quality)) + (original ? STORIES.ORIGINAL_BONUS : 0);
}

/** Best lead first: strength, then earliest, then id. */
export function compareLead(a: Pick<Article, 'quality' | 'url' | 'provider' | 'publishedAt' | 'id'>, b: typeof a): number {
  return (
    leadStrength(b) - leadStrength(a) ||
    Date.parse(a.publishedAt) - Date.parse(b.publishedAt) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export function outletKey(article: Pick<Article, 'provider'>): string {
  return providerKey(article.provider.domain || article.provider.name);
}

/** Pairwise similarity of two articles for grouping, with every rule applied (0 = never the same story). */
export function pairSimilarity(a: Article, b: Article, index: TextIndex): number {
  if (articleUrlKey(a) === articleUrlKey(b)) return 1;
  const hours = Math.abs(Date.parse(a.publishedAt) - Date.parse(b.publishedAt)) / 3_600_000;
  if (!(hours <= STORIES.WINDOW_HOURS)) return 0;
  let sim = cosine(index.vector(a), index.vector(b));
  if (outletKey(a) === outletKey(b) && sim < STORIES.SAME_OUTLET_SIMILARITY) return 0;
  if (sim > 0 && (links(a, b) || links(b, a))) sim += STORIES.RELATED_BONUS;
  return sim;
}

function links(from: Article, to: Article): boolean {
  const key = articleUrlKey(to);
  for (const r of from.related) if (r.url.length <= 2048 && articleUrlKey(r) === key) return true;
  return false;
}

/**
 * Groups articles into stories by content (average-linkage agglomerative clustering over pairwise
 * similarity). O(n²) memory and about O(n³) time in the worst case: meant for a candidate window of a few
 * hundred articles. Stories come back in the order of their first member in the input.
 */
export function groupStories<T extends { article: Article }>(
  items: readonly T[],
  options: { index?: TextIndex; threshold?: number } = {},
): StoryGroup<T>[] {
  const n = items.length;
  if (n === 0) return [];
  const index = options.index ?? new TextIndex(items.map((i) => i.article));
  const threshold = options.threshold ?? STORIES.SIMILARITY;
  const sim = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = pairSimilarity(items[i]!.article, items[j]!.article, index);
      sim[i * n + j] = s;
      sim[j * n + i] = s;
    }
  }
  const members: number[][] = items.map((_, i) => [i]);
  const active = new Set<number>(items.map((_, i) => i));
  for (;;) {
    let best = -1;
    let bi = -1;
    let bj = -1;
    for (const i of active) {
      for (const j of active) {
        if (j <= i) continue;
        const s = sim[i * n + j]!;
        if (s > best) {
          best = s;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi === -1 || best < threshold) break;
    // Average linkage (Lance–Williams): the merged group's similarity to k is the size-weighted mean.
    const si = members[bi]!.length;
    const sj = members[bj]!.length;
    for (const k of active) {
      if (k === bi || k === bj) continue;
      const s = (si * sim[bi * n + k]! + sj * sim[bj * n + k]!) / (si + sj);
      sim[bi * n + k] = s;
      sim[k * n + bi] = s;
    }
    members[bi]!.push(...members[bj]!);
    members[bj] = [];
    active.delete(bj);
  }
  const groups = [...active]
    .map((i) => members[i]!.sort((a, b) => a - b))
    .sort((a, b) => a[0]! - b[0]!);
  return groups.map((idx) => {
    const sorted = idx.map((i) => items[i]!).sort((a, b) => compareLead(a.article, b.article));
    return { lead: sorted[0]!, others: sorted.slice(1), members: sorted };
  });
}
