import type { TopicCount } from './ports.js';
import type { TopicSuggestion } from './types.js';

/** Canonical display name → other names people use for it. Edit freely; keys are matched ignoring case and spacing. */
export type TopicAliases = Record<string, readonly string[]>;

/**
 * Topic → broader topics to answer with, in order, when it has no articles here ("ML" asked of a store
 * that only knows "AI"). Used when resolving what a user typed; never when storing an article's topics.
 */
export type TopicFallbacks = Record<string, readonly string[]>;

export const DEFAULT_TOPIC_ALIASES: TopicAliases = {
  AI: ['Artificial Intelligence', 'A.I.'],
  'Machine Learning': ['ML'],
  'Deep Learning': ['DL'],
  'Generative AI': ['GenAI', 'Gen AI'],
  'Computer Vision': ['CV', 'Image Recognition'],
  'Natural Language Processing': ['NLP'],
  Cybersecurity: ['Cyber Security', 'Infosec', 'Information Security', 'Security'],
  'Electric Vehicles': ['EV', 'EVs', 'Electric Cars'],
  'Quantum Computing': ['Quantum'],
  Space: ['Spaceflight', 'Space Exploration'],
  Climate: ['Climate Change', 'Global Warming'],
  'Open Source': ['OSS', 'FOSS'],
  'Power Apps': ['PowerApps', 'Microsoft Power Apps'],
  Robotics: ['Robots'],
  IoT: ['Internet of Things'],
  Azure: ['Microsoft Azure', 'Windows Azure'],
  AWS: ['Amazon Web Services'],
  'Google Cloud': ['GCP', 'Google Cloud Platform'],
  'Cloud Computing': ['Cloud'],
};

export const DEFAULT_TOPIC_FALLBACKS: TopicFallbacks = {
  'Machine Learning': ['AI'],
  'Deep Learning': ['Machine Learning', 'AI'],
  'Generative AI': ['AI'],
  'Computer Vision': ['AI'],
  'Natural Language Processing': ['AI'],
  'Power Apps': ['Power Platform'],
  Azure: ['Cloud Computing'],
  AWS: ['Cloud Computing'],
  'Google Cloud': ['Cloud Computing'],
};

/** Fallback chains are followed at most this deep (a table with a cycle still ends). */
const MAX_FALLBACK_DEPTH = 4;

/**
 * What a user types is looked at up to this many characters (topic names are at most 100): a longer
 * input cannot name a topic, and every lookup below stays proportional to it.
 */
export const MAX_QUERY_LENGTH = 100;
/** Fuzzy matching (autocomplete, suggestions) compares with at most this many topics, most articles first. */
export const MAX_FUZZY_TOPICS = 2000;
/** At most this many edits make a near miss, however long the input: the work per topic is length × edits. */
export const MAX_EDITS = 8;

/**
 * Case, width, spacing and zero-width characters do not matter: "Machine-Learning", "machine learning"
 * and "MachineLearning" are one key. Each pattern is one character class: linear.
 */
export function normalizeTopic(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\-_.·'’/\u200b-\u200d\u2060\ufeff]+/g, '');
}

/** The part of typed input that is looked at. */
const capped = (input: string) => (input.length > MAX_QUERY_LENGTH * 2 ? input.slice(0, MAX_QUERY_LENGTH * 2) : input);

/** Maps any name of a topic to its canonical key and display name. */
export class TopicAliasTable {
  private readonly canonical = new Map<string, { key: string; name: string }>();
  /** Canonical key → every name of the group as written (the canonical name first). */
  private readonly written = new Map<string, string[]>();

  constructor(aliases: TopicAliases = DEFAULT_TOPIC_ALIASES) {
    for (const [name, others] of Object.entries(aliases)) {
      const entry = { key: normalizeTopic(name), name };
      this.canonical.set(entry.key, entry);
      for (const other of others) this.canonical.set(normalizeTopic(other), entry);
      this.written.set(entry.key, [name, ...others]);
    }
  }

  /** The canonical key for a topic name, following aliases. */
  key(name: string): string {
    const key = normalizeTopic(name);
    return this.canonical.get(key)?.key ?? key;
  }

  /** The preferred display name for a key, when the table defines one. */
  displayName(key: string): string | undefined {
    const entry = this.canonical.get(key);
    return entry?.key === key ? entry.name : undefined;
  }

  /** Every alias key that leads to `key` (including itself). */
  namesFor(key: string): string[] {
    const names: string[] = [];
    for (const [alias, entry] of this.canonical) if (entry.key === key) names.push(alias);
    return names.length > 0 ? names : [key];
  }

  /** The names of `key`'s group as written ("Machine Learning", "ML"); empty when the table has none. */
  writtenNames(key: string): readonly string[] {
    return this.written.get(key) ?? [];
  }
}

/**
 * The keys a typed name may stand for, in order: its canonical key, the keys of its other names (a store
 * filled before an alias was added holds "Internet of Things" under its own key), then the same for each
 * fallback topic, depth first. Duplicates are dropped.
 */
export function candidateKeys(name: string, table: TopicAliasTable, fallbacks: TopicFallbacks): string[] {
  const fallbackKeys = new Map<string, string[]>();
  for (const [topic, broader] of Object.entries(fallbacks)) fallbackKeys.set(table.key(topic), broader.map((b) => table.key(b)));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (key: string, depth: number) => {
    if (seen.has(key) || depth > MAX_FALLBACK_DEPTH) return;
    seen.add(key);
    out.push(key);
    for (const other of table.namesFor(key)) if (!seen.has(other)) (seen.add(other), out.push(other));
    for (const broader of fallbackKeys.get(key) ?? []) visit(broader, depth + 1);
  };
  visit(table.key(name), 0);
  return out;
}

/** A topic with the keys it is matched by, worked out once per index. */
interface Entry {
  topic: TopicCount;
  /** Its name's words, each normalised. */
  words: string[];
  /** Its key, its words and its aliases: what a typed prefix is matched against. */
  names: string[];
  /** Leading whole words of its name or of an alias, joined and normalised ("machine" of "Machine Learning"). */
  wordPrefixes: Set<string>;
}

/** Lookups over the known topics: resolve what a user typed, autocomplete, and suggest near misses. */
export class TopicIndex {
  static normalize = normalizeTopic;
  private readonly byKey: Map<string, TopicCount>;
  private readonly sorted: TopicCount[];
  private readonly entries: Entry[];
  private readonly aliases: TopicAliasTable;
  private readonly fallbacks: TopicFallbacks;

  constructor(counts: TopicCount[], aliases?: TopicAliases, fallbacks: TopicFallbacks = DEFAULT_TOPIC_FALLBACKS) {
    this.aliases = new TopicAliasTable(aliases);
    this.fallbacks = fallbacks;
    this.sorted = [...counts].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    this.byKey = new Map(this.sorted.map((t) => [t.key, t]));
    this.entries = this.sorted.map((topic) => {
      const words = wordKeys(topic.name);
      const wordPrefixes = new Set<string>();
      for (const name of [topic.name, ...this.aliases.writtenNames(topic.key)]) {
        let prefix = '';
        for (const word of boundaryWords(name)) wordPrefixes.add((prefix += word));
      }
      return { topic, words, names: [topic.key, ...words, ...this.aliases.namesFor(topic.key)], wordPrefixes };
    });
  }

  all(): TopicCount[] {
    return this.sorted;
  }

  /**
   * The topic a user meant, or undefined (unknown or ambiguous: `suggest` then offers the near ones):
   * 1. its exact name;
   * 2. an alias, or a fallback, resolving to the first of its candidate topics that has articles ("ML" is
   *    Machine Learning, else AI);
   * 3. the leading whole words of exactly one topic's name or alias, at least 3 letters ("machine" for Machine
   *    Learning). A prefix that stops inside a word ("data" of Databases) or fits two topics never resolves.
   */
  resolve(query: string): TopicCount | undefined {
    const typed = normalizeTopic(capped(query));
    const exact = this.byKey.get(typed);
    if (exact) return exact;
    for (const key of candidateKeys(capped(query), this.aliases, this.fallbacks)) {
      const found = this.byKey.get(key);
      if (found) return found;
    }
    if (typed.length < 3) return undefined;
    let match: TopicCount | undefined;
    for (const { topic, wordPrefixes } of this.entries) {
      if (!wordPrefixes.has(typed)) continue;
      if (match) return undefined;
      match = topic;
    }
    return match;
  }

  /** Autocomplete: topics whose name or alias starts with the input, then fuzzy matches; most articles first. */
  complete(partial: string, limit = 25): TopicSuggestion[] {
    const key = normalizeTopic(capped(partial)).slice(0, MAX_QUERY_LENGTH);
    if (key.length === 0) return this.sorted.slice(0, limit).map(toSuggestion);
    const prefix: TopicCount[] = [];
    const rest: { topic: TopicCount; distance: number }[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const { topic, names, words } = this.entries[i]!;
      if (names.some((n) => n.startsWith(key))) prefix.push(topic);
      else if (key.length >= 3 && i < MAX_FUZZY_TOPICS) {
        const distance = fuzzyDistance(key, topic.key, words);
        if (distance <= fuzzyBudget(key)) rest.push({ topic, distance });
      }
      if (prefix.length >= limit) break;
    }
    rest.sort((a, b) => a.distance - b.distance || b.topic.count - a.topic.count);
    return [...prefix, ...rest.map((r) => r.topic)].slice(0, limit).map(toSuggestion);
  }

  /** The closest known topics to something that did not resolve, best first. */
  suggest(query: string, limit = 5): TopicSuggestion[] {
    const key = this.aliases.key(capped(query)).slice(0, MAX_QUERY_LENGTH);
    if (key.length === 0) return [];
    const queryWords = wordKeys(capped(query)).slice(0, 8);
    return this.entries
      .slice(0, MAX_FUZZY_TOPICS)
      .map(({ topic, words }) => {
        // "comp vison" → Computer Vision: every typed word is close to the start of one of the topic's words.
        const byWords = queryWords.length > 1 && queryWords.every((q) =>
            words.some((w) => Math.min(editDistance(q, w.slice(0, q.length), 1), editDistance(q, w.slice(0, q.length + 1), 1)) <= 1),
          );
        return { topic, distance: byWords ? 1 : fuzzyDistance(key, topic.key, words) };
      })
      .filter((r) => r.distance <= fuzzyBudget(key))
      .sort((a, b) => a.distance - b.distance || b.topic.count - a.topic.count)
      .slice(0, limit)
      .map((r) => toSuggestion(r.topic));
  }
}

function toSuggestion(t: TopicCount): TopicSuggestion {
  return { key: t.key, name: t.name, count: t.count };
}

function wordKeys(name: string): string[] {
  return name.split(/\s+/).map(normalizeTopic).filter(Boolean);
}

/** A name's words split at spaces, hyphens, slashes and the like ("Model-driven apps" → model, driven, apps). */
function boundaryWords(name: string): string[] {
  return name.split(/[\s\-_./·]+/).map(normalizeTopic).filter(Boolean);
}

function fuzzyBudget(key: string): number {
  return Math.min(MAX_EDITS, Math.max(1, Math.floor(key.length / 3)));
}

/**
 * How far a typed query is from a topic key: containment counts as close (1); otherwise the edit
 * distance to the whole key, to any of its words, or to its start, whichever is least.
 */
function fuzzyDistance(query: string, key: string, words: readonly string[] = []): number {
  if (key.includes(query) || query.includes(key)) return 1;
  const max = fuzzyBudget(query) + 1;
  let best = editDistance(query, key, max);
  for (const candidate of [...words, key.slice(0, query.length), key.slice(0, query.length + 1)]) {
    if (best <= 1) break;
    if (candidate === key) continue;
    best = Math.min(best, editDistance(query, candidate, max));
  }
  return best;
}

const FAR = 1 << 29;

/**
 * Levenshtein distance with adjacent transpositions, giving up past `max`. Only the cells within `max` of
 * the diagonal are computed (no path outside them stays within `max`), in three rolling rows: the work is
 * length × (2·max + 1), not length × length.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const band = Math.min(Math.max(a.length, b.length), max);
  const width = b.length + 1;
  let before = new Int32Array(width);
  let prev = new Int32Array(width);
  let cur = new Int32Array(width);
  for (let j = 0; j < width; j++) prev[j] = j <= band ? j : FAR;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - band);
    const hi = Math.min(b.length, i + band);
    // Cells just outside the band count as unreachable; they may hold values from older rows.
    cur[lo - 1] = lo === 1 ? i : FAR;
    if (hi + 1 < width) cur[hi + 1] = FAR;
    let rowMin = cur[lo - 1]!;
    for (let j = lo; j <= hi; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, before[j - 2]! + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [before, prev, cur] = [prev, cur, before];
  }
  const result = prev[b.length]!;
  return result > max ? max + 1 : result;
}
