import type { Article } from './model.js';
import { nonNewsReason, qualityFactor } from './rank.js';
import { articleUrlKey, hostMatchesDomain, providerKey, quickUrlKey, urlHost, usableUrl } from './url.js';
import {
  cachedTermFrequencies,
  cosine,
  denseScratch,
  Idf,
  sparseCosine,
  stem,
  terms,
  tfidf,
  Vocabulary,
  type DenseScratch,
  type SparseVector,
  type TermVector,
} from './similarity.js';

/**
 * Story grouping constants. Two articles are one story when their title and excerpt say the same thing
 * (TF-IDF cosine) and they appeared close together, or when they are the same page. Grouping is centroid
 * linkage: a story takes in an article (or another story) only when it is similar to the story as a whole
 * and every member stays close to the result, so A~B and B~C never pull a far-off C into A's story.
 */
export const STORIES = {
  /** Average cosine similarity at which two groups are one story. */
  SIMILARITY: 0.32,
  /** Every member must be at least this similar to its story's centroid: no chaining of A~B~C. */
  MEMBER_SIMILARITY: 0.25,
  /**
   * Two titles must share at least this many stemmed words: on a small candidate set the IDF cannot discount
   * boilerplate, and one shared word ("faster") is not one event.
   */
  MIN_SHARED_TITLE_TERMS: 2,
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
  /**
   * Press-release wires: a page on one of these hosts, or under a press-release path ("/press-release/",
   * "/news-releases/"), is the issuer's own announcement.
   */
  PRESS_WIRES: ['prnewswire.com', 'businesswire.com', 'globenewswire.com', 'accesswire.com', 'einpresswire.com', 'prweb.com', 'newswire.ca', 'newswire.com', 'prlog.org', 'openpr.com'],
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
  /** Term ids of this set, for sparse vectors. */
  readonly vocabulary = new Vocabulary();
  private readonly vectors = new WeakMap<object, TermVector>();
  private readonly sparseVectors = new WeakMap<object, SparseVector>();

  constructor(articles: readonly Pick<Article, 'title' | 'excerpt'>[]) {
    // Term frequencies do not depend on the set, so they are kept with the article; only the weights are new.
    const tfs = articles.map((a) => cachedTermFrequencies(a));
    this.idf = new Idf(tfs);
    articles.forEach((a, i) => this.vectors.set(a, tfidf(tfs[i]!, this.idf)));
  }

  /** The vector of an article of the set, or of any other text (unseen words count as rare). */
  vector(item: Pick<Article, 'title' | 'excerpt'>): TermVector {
    let v = this.vectors.get(item);
    if (!v) {
      v = tfidf(cachedTermFrequencies(item), this.idf);
      this.vectors.set(item, v);
    }
    return v;
  }

  /** vector() as term ids and weights (same weights, same order). */
  sparse(item: Pick<Article, 'title' | 'excerpt'>): SparseVector {
    let v = this.sparseVectors.get(item);
    if (!v) {
      v = this.vocabulary.sparse(this.vector(item));
      this.sparseVectors.set(item, v);
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
  if (pairBlocked(a, b) || sharedTitleTerms(a, b) < STORIES.MIN_SHARED_TITLE_TERMS) return 0;
  let sim = cosine(index.vector(a), index.vector(b));
  if (features(a).outlet === features(b).outlet && sim < STORIES.SAME_OUTLET_SIMILARITY) return 0;
  if (sim > 0 && relatedLink(a, b)) sim += STORIES.RELATED_BONUS;
  return sim;
}

/**
 * Groups articles into stories by content: agglomerative clustering with centroid linkage over TF-IDF
 * vectors. Two groups merge when their centroids are similar enough, no pair across them breaks a rule
 * (time window, conflicting figures, one template with different subjects), and every member stays close to
 * the merged centroid. O(n²) memory; meant for a candidate window of a few hundred articles. Stories come back
 * in the order of their first member in the input.
 *
 * The result is that of evaluating every rule for every pair, but the work is done only where it can matter:
 * a link below the threshold can never cause a merge, so it is stored as 0, and the pair rules (and related[]
 * links) are looked at only for links that reach the threshold. Cosines are merges of typed arrays summed in
 * the same order as cosine(), so every similarity is bit-for-bit the one a Map-based computation gives.
 */
export function groupStories<T extends { article: Article }>(
  items: readonly T[],
  options: { index?: TextIndex; threshold?: number } = {},
): StoryGroup<T>[] {
  const n = items.length;
  if (n === 0) return [];
  const articles = items.map((i) => i.article);
  const index = options.index ?? new TextIndex(articles);
  const threshold = options.threshold ?? STORIES.SIMILARITY;
  const vectors = articles.map((a) => index.sparse(a));
  const keys = articles.map((a) => features(a).key);
  const outlets = articles.map((a) => features(a).outlet);
  const titleIds = articles.map((a) => {
    const ids = new Int32Array([...titleTerms(a)].map((t) => index.vocabulary.id(t)));
    return ids.sort();
  });
  const scratch = denseScratch(index.vocabulary.size);
  // Pair rules, computed on demand: 0 unknown, 1 allowed, 2 blocked. Row i stands for article i.
  const pairRule = new Uint8Array(n * n);
  const pairBlockedAt = (i: number, j: number): boolean => {
    let r = pairRule[i * n + j]!;
    if (r === 0) {
      r = pairBlocked(articles[i]!, articles[j]!) ? 2 : 1;
      pairRule[i * n + j] = pairRule[j * n + i] = r;
    }
    return r === 2;
  };
  // link: similarity between groups (initially articles), 0 where below the threshold. Row i stands for the
  // group whose lowest index is i.
  const link = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s: number;
      if (keys[i] === keys[j]) s = 1;
      else {
        if (sharedCount(titleIds[i]!, titleIds[j]!) < STORIES.MIN_SHARED_TITLE_TERMS) continue;
        const cos = sparseCosine(vectors[i]!, vectors[j]!, scratch);
        if (cos + STORIES.RELATED_BONUS < threshold) continue;
        if (outlets[i] === outlets[j] && cos < STORIES.SAME_OUTLET_SIMILARITY) continue;
        s = cos;
        if (s > 0 && relatedLink(articles[i]!, articles[j]!)) s += STORIES.RELATED_BONUS;
        if (s < threshold || pairBlockedAt(i, j)) continue;
      }
      link[i * n + j] = link[j * n + i] = s;
    }
  }
  const members: number[][] = items.map((_, i) => [i]);
  const active = new Set<number>(items.map((_, i) => i));
  const sums: SparseVector[] = vectors.slice();
  const centroids: SparseVector[] = vectors.slice();
  /** Whether any pair across two groups breaks a rule / has a related[] link. */
  const groupsBlocked = (g: number, k: number) => members[g]!.some((x) => members[k]!.some((y) => pairBlockedAt(x, y)));
  const groupsLinked = (g: number, k: number) =>
    members[g]!.some((x) => members[k]!.some((y) => relatedLink(articles[x]!, articles[y]!)));
  // Each row's best partner, so finding the next merge is O(groups) instead of O(groups²).
  const rowBest = new Float64Array(n).fill(-1);
  const rowArg = new Int32Array(n).fill(-1);
  const refresh = (i: number) => {
    let best = -1;
    let arg = -1;
    for (const j of active) {
      if (j === i) continue;
      const v = link[i * n + j]!;
      if (v > best || (v === best && j < arg)) {
        best = v;
        arg = j;
      }
    }
    rowBest[i] = best;
    rowArg[i] = arg;
  };
  for (const i of active) refresh(i);
  for (;;) {
    let best = -1;
    let bi = -1;
    for (const i of active) {
      if (rowBest[i]! > best) {
        best = rowBest[i]!;
        bi = i;
      }
    }
    if (bi === -1 || best < threshold) break;
    let bj = rowArg[bi]!;
    if (bj < bi) [bi, bj] = [bj, bi];
    const merged = addVectors(sums[bi]!, sums[bj]!, scratch);
    const c = normaliseSparse(merged);
    if (![...members[bi]!, ...members[bj]!].every((m) => sparseCosine(vectors[m]!, c, scratch) >= STORIES.MEMBER_SIMILARITY)) {
      // Some member would be far from the merged story: these two groups stay apart.
      link[bi * n + bj] = link[bj * n + bi] = 0;
      refresh(bi);
      refresh(bj);
      continue;
    }
    members[bi]!.push(...members[bj]!);
    members[bj] = [];
    active.delete(bj);
    sums[bi] = merged;
    centroids[bi] = c;
    for (const k of active) {
      if (k === bi) continue;
      const cos = sparseCosine(c, centroids[k]!, scratch);
      let s = 0;
      if (cos + STORIES.RELATED_BONUS >= threshold) {
        s = cos + (groupsLinked(bi, k) ? STORIES.RELATED_BONUS : 0);
        if (s < threshold || groupsBlocked(bi, k)) s = 0;
      }
      link[bi * n + k] = link[k * n + bi] = s;
    }
    refresh(bi);
    for (const k of active) {
      if (k === bi) continue;
      if (rowArg[k] === bi || rowArg[k] === bj) refresh(k);
      else if (link[k * n + bi]! > rowBest[k]!) {
        rowBest[k] = link[k * n + bi]!;
        rowArg[k] = bi;
      }
    }
  }
  const groups = [...active]
    .map((i) => members[i]!.sort((a, b) => a - b))
    .sort((a, b) => a[0]! - b[0]!);
  return groups.map((idx) => {
    const sorted = idx.map((i) => items[i]!).sort((a, b) => compareLead(a.article, b.article));
    return { lead: sorted[0]!, others: sorted.slice(1), members: sorted };
  });
}

/** How many ids two sorted arrays share. */
function sharedCount(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      shared++;
      i++;
      j++;
    }
  }
  return shared;
}

/** a + b, in a's order with b's new terms after (as adding b's entries into a copy of a's Map would). */
function addVectors(a: SparseVector, b: SparseVector, scratch: DenseScratch): SparseVector {
  const stamp = ++scratch.stamp;
  const ids: number[] = Array.from(a.ids);
  const weights: number[] = Array.from(a.weights);
  // values[] holds each of a's terms' position here.
  for (let k = 0; k < a.ids.length; k++) {
    scratch.stamps[a.ids[k]!] = stamp;
    scratch.values[a.ids[k]!] = k;
  }
  for (let k = 0; k < b.ids.length; k++) {
    const id = b.ids[k]!;
    if (scratch.stamps[id] === stamp) {
      const at = scratch.values[id]!;
      weights[at] = weights[at]! + b.weights[k]!;
    } else {
      scratch.stamps[id] = stamp;
      scratch.values[id] = ids.length;
      ids.push(id);
      weights.push(0 + b.weights[k]!);
    }
  }
  return { ids: Int32Array.from(ids), weights: Float64Array.from(weights) };
}

/** normalise() for sparse vectors, same arithmetic and order. */
function normaliseSparse(v: SparseVector): SparseVector {
  let norm = 0;
  for (let k = 0; k < v.weights.length; k++) norm += v.weights[k]! * v.weights[k]!;
  if (norm === 0) return v;
  const n = Math.sqrt(norm);
  const weights = new Float64Array(v.weights.length);
  for (let k = 0; k < weights.length; k++) weights[k] = v.weights[k]! / n;
  return { ids: v.ids, weights };
}

interface TitleFeatures {
  numbers: Set<string>;
  first: string;
  words: Set<string>;
  /** The stems of the title's words ("introducing" and "introduces" are one). */
  stems: Set<string>;
  /** The title's words after the first, for titles of 4 words or more (else empty). */
  rest: Set<string>;
  roundup: boolean;
}

const titleCache = new WeakMap<object, TitleFeatures>();

function titleFeatures(article: Pick<Article, 'title'>): TitleFeatures {
  let f = titleCache.get(article);
  if (!f) {
    const words = article.title.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
    f = {
      numbers: new Set(article.title.match(/\d+/g) ?? []),
      first: words[0] ?? '',
      words: new Set(words),
      stems: new Set(words.map(stem)),
      rest: words.length >= 4 ? new Set(words.slice(1)) : new Set(),
      roundup: isRoundup(article.title),
    };
    titleCache.set(article, f);
  }
  return f;
}

const titleTermCache = new WeakMap<object, Set<string>>();

/** How many distinct stemmed, non-stop words two titles share. */
export function sharedTitleTerms(a: Pick<Article, 'title'>, b: Pick<Article, 'title'>): number {
  const ta = titleTerms(a);
  const tb = titleTerms(b);
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared;
}

function titleTerms(article: Pick<Article, 'title'>): Set<string> {
  let set = titleTermCache.get(article);
  if (!set) {
    set = new Set(terms(article.title).map((t) => t.term));
    titleTermCache.set(article, set);
  }
  return set;
}

interface Features {
  key: string;
  time: number;
  outlet: string;
  /** quickUrlKey of the related[] entries: evidence only, so a cheap key (no URL parsing) is enough. */
  related: Set<string>;
  quick: string;
  /** A press release (see isPressRelease). */
  pressRelease: boolean;
  /** A market-research or promotional item (see sellsSomething). */
  selling: boolean;
  /** The first stemmed word of the title: for a press release, its issuer ("ElectrifAi achieves …"). */
  subject: string | undefined;
}

const featureCache = new WeakMap<object, Features>();

/** What the pair rules look at, computed once per article object. */
function features(article: Article): Features {
  let f = featureCache.get(article);
  if (!f) {
    f = {
      key: articleUrlKey(article),
      quick: quickUrlKey(article.url),
      time: Date.parse(article.publishedAt),
      outlet: outletKey(article),
      related: new Set(article.related.filter((r) => usableUrl(r.url)).map((r) => quickUrlKey(r.url))),
      pressRelease: isPressRelease(article),
      selling: sellsSomething(article),
      subject: terms(article.title)[0]?.term,
    };
    featureCache.set(article, f);
  }
  return f;
}

/** Whether either article lists the other in related[]. */
function relatedLink(a: Article, b: Article): boolean {
  const fa = features(a);
  const fb = features(b);
  return fa.related.has(fb.quick) || fb.related.has(fa.quick);
}

function pairBlocked(a: Article, b: Article): boolean {
  const fa = features(a);
  const fb = features(b);
  if (fa.key === fb.key) return false;
  if (!(Math.abs(fa.time - fb.time) / 3_600_000 <= STORIES.WINDOW_HOURS)) return true;
  return (
    numbersConflict(a, b) ||
    subjectConflict(a, b) ||
    titleFeatures(a).roundup !== titleFeatures(b).roundup ||
    fa.selling !== fb.selling ||
    issuerMissing(a, b)
  );
}

/**
 * A market-research promotion or an advertisement sells its own product; it shares a field's words with the
 * news of the day ("healthcare cloud" in a market report the week a healthcare cloud launched) but is never
 * coverage of that news. So such an item groups only with its own kind (the same report released twice).
 */
export function sellsSomething(article: Pick<Article, 'title' | 'excerpt'>): boolean {
  const reason = nonNewsReason(article);
  return reason === 'market report' || reason === 'promotion';
}

/**
 * A press release is its issuer's account of its own news, and its title starts with the issuer ("ElectrifAi
 * achieves …", "IBM positioned as …"). Coverage of the same announcement names the issuer; an article that does
 * not (a review of the platform the release mentions, another company's news in the same programme) shares only
 * the generic words of the field, which are no evidence. So when exactly one of two articles is a press release,
 * the other must mention its issuer (title or excerpt). Two press releases are judged by the other rules
 * (different issuers in one template are caught by subjectConflict).
 */
export function issuerMissing(a: Article, b: Article): boolean {
  const fa = features(a);
  const fb = features(b);
  if (fa.pressRelease === fb.pressRelease) return false;
  const [release, other] = fa.pressRelease ? [fa, b] : [fb, a];
  return release.subject !== undefined && !textTerms(other).has(release.subject);
}

const textTermCache = new WeakMap<object, Set<string>>();

/** Every stemmed word of an article's title and excerpt. */
function textTerms(article: Pick<Article, 'title' | 'excerpt'>): Set<string> {
  let set = textTermCache.get(article);
  if (!set) {
    set = new Set([...terms(article.title), ...terms(article.excerpt.slice(0, 2000))].map((t) => t.term));
    textTermCache.set(article, set);
  }
  return set;
}

/** Whether an article is a press release: served by a wire (STORIES.PRESS_WIRES) or from a press-release path. */
export function isPressRelease(article: Pick<Article, 'url' | 'provider'>): boolean {
  const host = urlHost(article.url);
  if (STORIES.PRESS_WIRES.some((d) => hostMatchesDomain(host, d) || hostMatchesDomain(providerKey(article.provider.domain), d))) return true;
  const url = article.url.slice(0, 2048).toLowerCase();
  return url.includes('/press-release') || url.includes('/news-release') || url.includes('/pressrelease');
}

const ROUNDUP_PHRASES = ['announcements', 'everything announced', 'roundup', 'round-up', 'round up', 'recap', 'highlights from'];

/**
 * Whether a title announces a roundup of several news items ("The biggest announcements from …", "…: everything
 * announced"). A roundup is a story of its own: it may group with other roundups of the same event, never with
 * the story of one announcement it lists (else a conference week would become one story).
 */
export function isRoundup(title: string): boolean {
  const lower = title.toLowerCase();
  return ROUNDUP_PHRASES.some((p) => lower.includes(p));
}

/** Two titles that both state figures and share none report different events (another round, another count). */
export function numbersConflict(a: Pick<Article, 'title'>, b: Pick<Article, 'title'>): boolean {
  const na = titleFeatures(a).numbers;
  const nb = titleFeatures(b).numbers;
  if (na.size === 0 || nb.size === 0) return false;
  for (const x of na) if (nb.has(x)) return false;
  return true;
}

/**
 * Two titles that follow one template with a different subject ("Acme achieves X status" and "Globex
 * achieves X status") are different actors in the same programme, not one event.
 */
export function subjectConflict(a: Pick<Article, 'title'>, b: Pick<Article, 'title'>): boolean {
  const fa = titleFeatures(a);
  const fb = titleFeatures(b);
  if (fa.rest.size === 0 || fb.rest.size === 0 || fa.first === fb.first) return false;
  // A first word the other title also has, in any form, is no other subject ("Introducing X" / "Acme introduces X").
  if (fa.stems.has(stem(fb.first)) || fb.stems.has(stem(fa.first))) return false;
  let shared = 0;
  for (const w of fa.rest) if (fb.rest.has(w)) shared++;
  return shared >= 3 && shared / (fa.rest.size + fb.rest.size - shared) >= STORIES.TEMPLATE_SIMILARITY;
}
