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
  SIMILARITY: 0.32,
  /** Every member must be at least this similar to its story's centroid: no chaining of A~B~C. */
  MEMBER_SIMILARITY: 0.25,
  /** Titles sharing this much (Jaccard) after their first word, with different first words, are one template. */
  TEMPLATE_SIMILARITY: 0.6,
  /** Articles further apart than this are never similar: the same words a week later are a new story. */
  WINDOW_HOURS: 120,
  /**
   * Two articles from the same outlet start a story together only when near-identical (a re-post, an edited
   * copy): outlets publish many pieces on one subject, each its own story. A follow-up from the same outlet
   * can still join a story that other outlets' coverage has formed.
   */
  SAME_OUTLET_SIMILARITY: 0.6,
  /** A related[] link between two articles adds this much evidence; never enough to merge on its own. */
  RELATED_BONUS: 0.05,
  LINKAGE: 'centroid' as 'centroid' | 'average',
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
  if (!(hours <= STORIES.WINDOW_HOURS) || numbersConflict(a, b) || subjectConflict(a, b)) return 0;
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
  const centroid = STORIES.LINKAGE === 'centroid';
  // Centroid linkage: a group is its summed member vectors; two groups merge when their centroids are
  // similar and no pair across them is further apart in time than the window.
  const sums: TermVector[] = items.map((it) => new Map(index.vector(it.article)));
  const blocked = (a: number, b: number) => {
    for (const i of members[a]!) for (const j of members[b]!) if (pairBlocked(items[i]!.article, items[j]!.article)) return true;
    return false;
  };
  const link = new Float64Array(sim);
  for (;;) {
    let best = -1;
    let bi = -1;
    let bj = -1;
    for (const i of active) {
      for (const j of active) {
        if (j <= i) continue;
        const s = link[i * n + j]!;
        if (s > best) {
          best = s;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi === -1 || best < threshold) break;
    if (centroid && !membersFit(bi, bj)) {
      // Some member would be far from the merged story: these two groups stay apart.
      link[bi * n + bj] = 0;
      link[bj * n + bi] = 0;
      continue;
    }
    const si = members[bi]!.length;
    const sj = members[bj]!.length;
    members[bi]!.push(...members[bj]!);
    members[bj] = [];
    active.delete(bj);
    if (centroid) {
      const sum = sums[bi]!;
      for (const [t, w] of sums[bj]!) sum.set(t, (sum.get(t) ?? 0) + w);
      const c = normalise(sum);
      for (const k of active) {
        if (k === bi) continue;
        const s = blocked(bi, k) ? 0 : cosine(c, normalise(sums[k]!)) + relatedBonus(bi, k);
        link[bi * n + k] = s;
        link[k * n + bi] = s;
      }
    } else {
      // Average linkage (Lance–Williams): the merged group's similarity to k is the size-weighted mean.
      for (const k of active) {
        if (k === bi) continue;
        const s = (si * link[bi * n + k]! + sj * link[bj * n + k]!) / (si + sj);
        link[bi * n + k] = s;
        link[k * n + bi] = s;
      }
    }
  }
  function membersFit(a: number, b: number): boolean {
    const merged: TermVector = new Map(sums[a]!);
    for (const [t, w] of sums[b]!) merged.set(t, (merged.get(t) ?? 0) + w);
    const c = normalise(merged);
    for (const i of [...members[a]!, ...members[b]!]) {
      if (cosine(index.vector(items[i]!.article), c) < STORIES.MEMBER_SIMILARITY) return false;
    }
    return true;
  }
  function relatedBonus(a: number, b: number): number {
    for (const i of members[a]!) for (const j of members[b]!) {
      if (links(items[i]!.article, items[j]!.article) || links(items[j]!.article, items[i]!.article)) return STORIES.RELATED_BONUS;
    }
    return 0;
  }
  const groups = [...active]
    .map((i) => members[i]!.sort((a, b) => a - b))
    .sort((a, b) => a[0]! - b[0]!);
  return groups.map((idx) => {
    const sorted = idx.map((i) => items[i]!).sort((a, b) => compareLead(a.article, b.article));
    return { lead: sorted[0]!, others: sorted.slice(1), members: sorted };
  });
}

function pairBlocked(a: Article, b: Article): boolean {
  if (articleUrlKey(a) === articleUrlKey(b)) return false;
  const hours = Math.abs(Date.parse(a.publishedAt) - Date.parse(b.publishedAt)) / 3_600_000;
  if (!(hours <= STORIES.WINDOW_HOURS)) return true;
  return numbersConflict(a, b) || subjectConflict(a, b);
}

const titleWordCache = new WeakMap<object, string[]>();

function titleWords(article: Pick<Article, 'title'>): string[] {
  let words = titleWordCache.get(article);
  if (!words) {
    words = article.title.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
    titleWordCache.set(article, words);
  }
  return words;
}

/**
 * Two titles that follow one template with a different subject ("Acme achieves X status" and "Globex
 * achieves X status") are different actors in the same programme, not one event.
 */
export function subjectConflict(a: Pick<Article, 'title'>, b: Pick<Article, 'title'>): boolean {
  const wa = titleWords(a);
  const wb = titleWords(b);
  if (wa.length < 4 || wb.length < 4 || wa[0] === wb[0] || wa.includes(wb[0]!) || wb.includes(wa[0]!)) return false;
  const ra = new Set(wa.slice(1));
  const rb = new Set(wb.slice(1));
  let shared = 0;
  for (const w of ra) if (rb.has(w)) shared++;
  return shared >= 3 && shared / (ra.size + rb.size - shared) >= STORIES.TEMPLATE_SIMILARITY;
}

const titleNumberCache = new WeakMap<object, Set<string>>();

/** The numbers in an article's title ("4 million", "$40M", "2027" → 4, 40, 2027). */
function titleNumbers(article: Pick<Article, 'title'>): Set<string> {
  let set = titleNumberCache.get(article);
  if (!set) {
    set = new Set(article.title.match(/\d+/g) ?? []);
    titleNumberCache.set(article, set);
  }
  return set;
}

/** Two titles that both state figures and share none report different events (another round, another count). */
export function numbersConflict(a: Pick<Article, 'title'>, b: Pick<Article, 'title'>): boolean {
  const na = titleNumbers(a);
  const nb = titleNumbers(b);
  if (na.size === 0 || nb.size === 0) return false;
  for (const x of na) if (nb.has(x)) return false;
  return true;
}

function normalise(v: TermVector): TermVector {
  let norm = 0;
  for (const w of v.values()) norm += w * w;
  if (norm === 0) return v;
  const n = Math.sqrt(norm);
  const out: TermVector = new Map();
  for (const [t, w] of v) out.set(t, w / n);
  return out;
}
