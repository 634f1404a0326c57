import { stemmer } from 'stemmer';
import { eng } from 'stopword';

/**
 * Text similarity for story grouping and related-link choice: TF-IDF cosine over normalised, stemmed terms
 * with English stop words removed. The IDF is computed over the set being compared (the candidate window),
 * so words every article in it shares (the topic's own name, "announces") weigh little.
 */
export const SIMILARITY = {
  /** A title term counts this many times an excerpt term: titles say what the story is. */
  TITLE_WEIGHT: 2,
  /** Numbers and words written with a capital inside a sentence (names, products) weigh this much more. */
  NAME_WEIGHT: 1.5,
  /** Only this many characters of an excerpt are read. */
  EXCERPT_CHARS: 600,
} as const;

const STOP = new Set<string>(eng);

// Stemming is the costly part of reading a text; words repeat across requests, so stems are memoised (bounded).
const STEMS = new Map<string, string>();
const MAX_STEMS = 100_000;

/** The Porter stem of a lower-case word, memoised. */
export function stem(word: string): string {
  let s = STEMS.get(word);
  if (s === undefined) {
    s = stemmer(word);
    if (STEMS.size >= MAX_STEMS) STEMS.clear();
    STEMS.set(word, s);
  }
  return s;
}

export type TermVector = Map<string, number>;

/** The stems of a text with a flag for names (capitalised inside a sentence) and numbers. */
export function terms(text: string): { term: string; name: boolean }[] {
  const out: { term: string; name: boolean }[] = [];
  const words = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').split(/[^\p{L}\p{N}]+/u);
  let letters = 0;
  let capitals = 0;
  for (const word of words) {
    if (!/^\p{L}/u.test(word) || STOP.has(word.toLowerCase())) continue;
    letters++;
    if (word[0] !== word[0]!.toLowerCase()) capitals++;
  }
  // In Title Case every word has a capital, so only acronyms and numbers stand out as names.
  const titleCase = letters >= 3 && capitals / letters > 0.6;
  let first = true;
  for (const word of words) {
    if (word.length === 0) continue;
    const lower = word.toLowerCase();
    const numeric = /^\p{N}+$/u.test(word);
    const isFirst = first;
    first = false;
    if (STOP.has(lower)) continue;
    if (!numeric && lower.length < 2) continue;
    const capital = titleCase ? word.length >= 2 && word === word.toUpperCase() : word[0] !== lower[0] && !isFirst;
    out.push({ term: numeric ? word : stem(lower), name: numeric || capital });
  }
  return out;
}

/** Raw term frequencies of a title and an excerpt, title terms weighted more. */
export function termFrequencies(title: string, excerpt: string): TermVector {
  const tf: TermVector = new Map();
  const add = (text: string, weight: number) => {
    for (const { term, name } of terms(text)) {
      tf.set(term, (tf.get(term) ?? 0) + weight * (name ? SIMILARITY.NAME_WEIGHT : 1));
    }
  };
  add(title, SIMILARITY.TITLE_WEIGHT);
  add(excerpt.slice(0, SIMILARITY.EXCERPT_CHARS), 1);
  return tf;
}

const tfCache = new WeakMap<object, { title: string; excerpt: string; tf: TermVector }>();

/**
 * termFrequencies of an article-like object, kept while the object lives (the store caches parsed articles, so
 * a term is stemmed once, not on every request). Checked against the object's current title and excerpt, so
 * an object whose text changed is read again. The result is shared: do not modify it.
 */
export function cachedTermFrequencies(item: { title: string; excerpt: string }): TermVector {
  const hit = tfCache.get(item);
  if (hit && hit.title === item.title && hit.excerpt === item.excerpt) return hit.tf;
  const tf = termFrequencies(item.title, item.excerpt);
  tfCache.set(item, { title: item.title, excerpt: item.excerpt, tf });
  return tf;
}

/** Inverse document frequencies over a set of term-frequency vectors; unseen terms get `unseen()`. */
export class Idf {
  private readonly df = new Map<string, number>();
  readonly documents: number;

  constructor(docs: readonly TermVector[]) {
    this.documents = docs.length;
    for (const doc of docs) for (const term of doc.keys()) this.df.set(term, (this.df.get(term) ?? 0) + 1);
  }

  weight(term: string): number {
    return Math.log((this.documents + 1) / ((this.df.get(term) ?? 0) + 1)) + 1;
  }
}

/** TF-IDF weights, L2-normalised (an empty text gives an empty vector). */
export function tfidf(tf: TermVector, idf: Idf): TermVector {
  const v: TermVector = new Map();
  let norm = 0;
  for (const [term, f] of tf) {
    // Sub-linear term frequency: a word repeated in title and excerpt counts more, but not linearly.
    const w = (1 + Math.log(f)) * idf.weight(term);
    v.set(term, w);
    norm += w * w;
  }
  if (norm === 0) return v;
  const n = Math.sqrt(norm);
  for (const [term, w] of v) v.set(term, w / n);
  return v;
}

export function cosine(a: TermVector, b: TermVector): number {
  if (a.size > b.size) [a, b] = [b, a];
  let dot = 0;
  for (const [term, w] of a) {
    const o = b.get(term);
    if (o !== undefined) dot += w * o;
  }
  return dot;
}

/** A TF-IDF vector as parallel arrays of term ids and weights, in the order of the Map it was made from. */
export interface SparseVector {
  ids: Int32Array;
  weights: Float64Array;
}

/** Term ids for one candidate set: terms become small integers, so vectors are typed arrays. */
export class Vocabulary {
  private readonly ids = new Map<string, number>();

  get size(): number {
    return this.ids.size;
  }

  id(term: string): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(term, id);
    }
    return id;
  }

  sparse(v: TermVector): SparseVector {
    const ids = new Int32Array(v.size);
    const weights = new Float64Array(v.size);
    let k = 0;
    for (const [term, w] of v) {
      ids[k] = this.id(term);
      weights[k++] = w;
    }
    return { ids, weights };
  }
}

/**
 * cosine() over sparse vectors, with the same floating-point result: the products are summed in the order of
 * the shorter vector (the first on a tie), as cosine() iterates the smaller Map. `scratch` holds dense
 * lookups of the other vector; its arrays must cover every term id.
 */
export function sparseCosine(a: SparseVector, b: SparseVector, scratch: DenseScratch): number {
  if (a.ids.length > b.ids.length) [a, b] = [b, a];
  const { values, stamps } = scratch;
  const stamp = ++scratch.stamp;
  const bi = b.ids;
  const bw = b.weights;
  for (let k = 0; k < bi.length; k++) {
    values[bi[k]!] = bw[k]!;
    stamps[bi[k]!] = stamp;
  }
  const ai = a.ids;
  const aw = a.weights;
  let dot = 0;
  for (let k = 0; k < ai.length; k++) {
    const id = ai[k]!;
    if (stamps[id] === stamp) dot += aw[k]! * values[id]!;
  }
  return dot;
}

/** Reusable dense arrays for sparseCosine (one per candidate set). */
export interface DenseScratch {
  values: Float64Array;
  stamps: Uint32Array;
  stamp: number;
}

export function denseScratch(terms: number): DenseScratch {
  return { values: new Float64Array(terms), stamps: new Uint32Array(terms), stamp: 0 };
}
