import type { TopicCount } from './store.js';
import type { TopicSuggestion } from './types.js';

/** Canonical display name → other names people use for it. Edit freely; keys are matched ignoring case and spacing. */
export type TopicAliases = Record<string, readonly string[]>;

export const DEFAULT_TOPIC_ALIASES: TopicAliases = {
  AI: ['Artificial Intelligence', 'A.I.'],
  'Machine Learning': ['ML'],
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
};

/** Case, width and spacing do not matter: "Machine-Learning", "machine learning" and "MachineLearning" are one key. */
export function normalizeTopic(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\-_.·'’/]+/g, '');
}

/** Maps any name of a topic to its canonical key and display name. */
export class TopicAliasTable {
  private readonly canonical = new Map<string, { key: string; name: string }>();

  constructor(aliases: TopicAliases = DEFAULT_TOPIC_ALIASES) {
    for (const [name, others] of Object.entries(aliases)) {
      const entry = { key: normalizeTopic(name), name };
      this.canonical.set(entry.key, entry);
      for (const other of others) this.canonical.set(normalizeTopic(other), entry);
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
}

/** Lookups over the known topics: resolve what a user typed, autocomplete, and suggest near misses. */
export class TopicIndex {
  static normalize = normalizeTopic;
  private readonly byKey: Map<string, TopicCount>;
  private readonly sorted: TopicCount[];
  private readonly aliases: TopicAliasTable;

  constructor(counts: TopicCount[], aliases?: TopicAliases) {
    this.aliases = new TopicAliasTable(aliases);
    this.sorted = [...counts].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    this.byKey = new Map(this.sorted.map((t) => [t.key, t]));
  }

  all(): TopicCount[] {
    return this.sorted;
  }

  /**
   * The topic a user meant: exact or alias match, else the one topic whose name starts with what
   * they typed (at least 3 characters). Undefined when unknown or ambiguous.
   */
  resolve(query: string): TopicCount | undefined {
    const key = this.aliases.key(query);
    const exact = this.byKey.get(key);
    if (exact) return exact;
    if (key.length < 3) return undefined;
    const prefixed = this.sorted.filter((t) => t.key.startsWith(key));
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }

  /** Autocomplete: topics whose name or alias starts with the input, then fuzzy matches; most articles first. */
  complete(partial: string, limit = 25): TopicSuggestion[] {
    const key = normalizeTopic(partial);
    if (key.length === 0) return this.sorted.slice(0, limit).map(toSuggestion);
    const prefix: TopicCount[] = [];
    const rest: { topic: TopicCount; distance: number }[] = [];
    for (const topic of this.sorted) {
      const names = [topic.key, ...wordKeys(topic.name), ...this.aliases.namesFor(topic.key)];
      if (names.some((n) => n.startsWith(key))) prefix.push(topic);
      else if (key.length >= 3) {
        const distance = fuzzyDistance(key, topic.key, wordKeys(topic.name));
        if (distance <= fuzzyBudget(key)) rest.push({ topic, distance });
      }
      if (prefix.length >= limit) break;
    }
    rest.sort((a, b) => a.distance - b.distance || b.topic.count - a.topic.count);
    return [...prefix, ...rest.map((r) => r.topic)].slice(0, limit).map(toSuggestion);
  }

  /** The closest known topics to something that did not resolve, best first. */
  suggest(query: string, limit = 5): TopicSuggestion[] {
    const key = this.aliases.key(query);
    if (key.length === 0) return [];
    const queryWords = wordKeys(query);
    return this.sorted
      .map((topic) => {
        const words = wordKeys(topic.name);
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

function fuzzyBudget(key: string): number {
  return Math.max(1, Math.floor(key.length / 3));
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
    best = Math.min(best, editDistance(query, candidate, max));
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions, giving up past `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}
