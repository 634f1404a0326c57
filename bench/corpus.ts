import { createHash } from 'node:crypto';
import type { Article } from '../src/model.js';
import {
  ACTORS,
  ADJECTIVES,
  ORDINALS,
  OUTLET_FIRST,
  OUTLET_SECOND,
  SENTENCES,
  SYLLABLES,
  TAILS,
  TLDS,
  TOPIC_SPELLINGS,
  TOPICS,
  VERBS,
  WHEN,
} from './vocabulary.js';

/** The newest instant of a generated corpus; ranking runs with the clock here, so results never depend on today. */
export const CORPUS_END = new Date('2026-06-01T00:00:00Z');

export interface CorpusOptions {
  /** Articles to generate (any number up to a million and beyond). */
  size: number;
  /** Same seed and size, same corpus. */
  seed?: number;
  /** Publication dates spread over this many years before `end`. */
  years?: number;
  end?: Date;
}

export interface SeedProvider {
  name: string;
  domain: string;
}

export interface SeedImage {
  url: string;
  width: number;
  height: number;
  isCached: boolean;
}

export interface SeedRelated {
  title: string;
  excerpt?: string;
  publishedDateTime: string;
  webUrl: string;
  ampWebUrl?: string;
  type: string;
  provider: SeedProvider;
  quality: number;
  images: SeedImage[];
}

/** The front matter of one seed file, field for field as the seed format carries it. */
export interface SeedDoc {
  category: string;
  title: string;
  excerpt?: string;
  publishedDateTime: string;
  updatedDateTime?: string;
  originalUrl: string;
  webUrl: string;
  ampWebUrl?: string;
  cdnAmpWebUrl?: string;
  type: string;
  quality: number;
  heat: number;
  published: boolean;
  removed?: boolean;
  provider: SeedProvider;
  topics: string[];
  images: SeedImage[];
  related: SeedRelated[];
}

export interface GeneratedSeed {
  /** File name relative to the seeds folder. */
  source: string;
  doc: SeedDoc;
  /** Articles with the same story number cover one story (they list each other as related). */
  story: number;
}

/** Small, fast, seedable PRNG (mulberry32): the corpus must be reproducible, Math.random is not. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** Index sampler with weight 1/(rank+1)^s: a few topics and outlets carry most articles, as in real feeds. */
class Zipf {
  private readonly cumulative: number[];

  constructor(n: number, s: number) {
    let sum = 0;
    this.cumulative = Array.from({ length: n }, (_, i) => (sum += 1 / Math.pow(i + 1, s)));
    this.cumulative = this.cumulative.map((c) => c / sum);
  }

  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Invented outlets: the first OUTLETS publish corpus articles, all of them appear as related coverage. */
export const PROVIDERS: readonly SeedProvider[] = (() => {
  const out: SeedProvider[] = [];
  for (let i = 0; out.length < 60; i++) {
    const name = `${OUTLET_FIRST[i % OUTLET_FIRST.length]} ${OUTLET_SECOND[(i * 7 + Math.floor(i / OUTLET_FIRST.length)) % OUTLET_SECOND.length]}`;
    if (out.some((p) => p.name === name)) continue;
    out.push({ name, domain: `${slug(name, 40)}.${TLDS[i % TLDS.length]}` });
  }
  return out;
})();
const OUTLETS = 40;

const HOUR = 3_600_000;
const topicZipf = new Zipf(TOPICS.length, 1);
const outletZipf = new Zipf(OUTLETS, 0.8);
const IMAGE_SIZES = [
  [1200, 628],
  [1024, 536],
  [960, 640],
  [768, 438],
  [1200, 675],
] as const;

/**
 * Synthetic seed articles with the shape of the real feed: stories covered by 1–6 outlets that list each
 * other as related coverage (same-story groups), related lists of 0–60 entries (most short, a long tail),
 * Zipf-distributed topics and outlets, quality 0–190, heat often unknown (-1), dates spread over years.
 * Streams: a million articles never sit in memory at once.
 */
export function* generateCorpus(options: CorpusOptions): Generator<GeneratedSeed> {
  const rng = new Rng(options.seed ?? 20_260_601);
  const end = (options.end ?? CORPUS_END).getTime();
  const span = (options.years ?? 6) * 365 * 24 * HOUR;
  const start = end - span;
  let n = 0;
  let story = 0;
  let relatedCounter = 0;

  while (n < options.size) {
    const groupSize = Math.min(options.size - n, pickGroupSize(rng));
    // The story's time advances with its position, so the corpus spans the years evenly; the newest
    // stories sit a few hours before `end`.
    const storyTime = Math.min(end - 36 * HOUR, start + (n / options.size) * span + rng.normal(0, 12) * HOUR);
    const topicIndex = topicZipf.sample(rng);
    const [topic, nouns] = TOPICS[topicIndex]!;
    const topics = [topic, ...secondaryTopics(rng, topicIndex)];
    const name = properName(rng);
    const words = {
      name,
      actor: rng.pick(ACTORS),
      verb: rng.pick(VERBS),
      adjective: rng.pick(ADJECTIVES),
      object: rng.pick(nouns),
      tail: rng.pick(TAILS),
    };
    const outlets = distinctOutlets(rng, groupSize);
    const members = outlets.map((provider, k) => {
      const published = new Date(storyTime + (k === 0 ? 0 : rng.next() * 36 * HOUR));
      const title = k === 0 ? baseTitle(words) : variantTitle(rng, words);
      const id = n + k;
      const url = `https://${provider.domain}/news/${ymd(published, '/')}/${slug(title, 60)}-${id}`;
      return { provider, published, title, url, id };
    });

    for (const [k, m] of members.entries()) {
      const others = members.filter((_, j) => j !== k);
      const related: SeedRelated[] = others.map((o) => ({
        title: o.title,
        excerpt: sentence(rng, words),
        publishedDateTime: isoMinute(o.published),
        webUrl: o.url,
        type: 'article',
        provider: o.provider,
        quality: quality(rng),
        images: images(rng, o.provider, o.published),
      }));
      const external = Math.max(0, Math.min(60, relatedCount(rng)) - related.length);
      for (let r = 0; r < external; r++) {
        const provider = PROVIDERS[rng.int(0, PROVIDERS.length - 1)]!;
        const published = new Date(m.published.getTime() + rng.normal(0, 24) * HOUR);
        const title = relatedTitle(rng, words);
        const webUrl = `https://${provider.domain}/${ymd(published, '/').slice(0, 7)}/${slug(title, 60)}-r${relatedCounter++}`;
        related.push({
          title,
          ...(rng.chance(0.85) ? { excerpt: sentence(rng, words) } : {}),
          publishedDateTime: isoMinute(published),
          webUrl,
          ...(rng.chance(0.3) ? { ampWebUrl: `${webUrl}?amp` } : {}),
          type: 'article',
          provider,
          quality: quality(rng),
          images: images(rng, provider, published),
        });
      }

      const amp = rng.chance(0.4);
      const doc: SeedDoc = {
        category: 'news',
        title: m.title,
        ...(rng.chance(0.97) ? { excerpt: excerpt(rng, words) } : {}),
        publishedDateTime: isoMinute(m.published),
        ...(rng.chance(0.1) ? { updatedDateTime: isoMinute(new Date(m.published.getTime() + rng.int(1, 30) * HOUR)) } : {}),
        originalUrl: m.url,
        webUrl: m.url,
        ...(amp ? { ampWebUrl: m.url.replace('/news/', '/amp/news/') } : {}),
        ...(amp && rng.chance(0.7) ? { cdnAmpWebUrl: `https://${m.provider.domain.replace(/\./g, '-')}.cdn.example.net/c/s/${m.url.slice(8)}` } : {}),
        type: rng.chance(0.96) ? 'article' : rng.pick(['video', 'slideshow']),
        quality: quality(rng),
        heat: rng.chance(0.2) ? -1 : Math.floor(Math.exp(rng.next() * 5.2)) - 1,
        published: rng.chance(0.92),
        ...(rng.chance(0.003) ? { removed: true } : {}),
        provider: m.provider,
        topics: k === 0 ? topics : rng.chance(0.8) ? topics : [topic],
        images: images(rng, m.provider, m.published),
        related,
      };
      const extension = rng.chance(0.1) ? 'txt' : 'md';
      yield { source: `${ymd(m.published, '-')}-${slug(m.title, 50)}-${m.id}.${extension}`, doc, story };
    }
    n += groupSize;
    story++;
  }
}

/**
 * The Article that ingest makes of a generated seed, built directly (no YAML round trip), for filling a
 * store with a million articles in reasonable time. test/bench.test.ts checks it equals what ingest parses.
 */
export function toArticle(seed: GeneratedSeed, contentHash?: string): Article {
  const d = seed.doc;
  const extra: Record<string, unknown> = { category: d.category, originalUrl: d.originalUrl };
  if (d.ampWebUrl !== undefined) extra.ampWebUrl = d.ampWebUrl;
  if (d.cdnAmpWebUrl !== undefined) extra.cdnAmpWebUrl = d.cdnAmpWebUrl;
  return {
    id: sha256(d.webUrl).slice(0, 16),
    url: d.webUrl,
    title: d.title,
    excerpt: d.excerpt ?? '',
    publishedAt: iso(d.publishedDateTime),
    updatedAt: d.updatedDateTime === undefined ? null : iso(d.updatedDateTime),
    type: d.type,
    quality: d.quality,
    heat: d.heat,
    published: d.published,
    removed: d.removed ?? false,
    provider: { name: d.provider.name, domain: d.provider.domain },
    topics: [...d.topics],
    images: d.images.map(({ url, width, height }) => ({ url, width, height })),
    related: d.related.map((r) => ({
      title: r.title,
      excerpt: r.excerpt ?? '',
      url: r.webUrl,
      publishedAt: iso(r.publishedDateTime),
      provider: { name: r.provider.name, domain: r.provider.domain },
      quality: r.quality,
    })),
    extra,
    source: seed.source,
    contentHash: contentHash ?? sha256(seed.source),
  };
}

/** 55 % of stories have one article, the rest 2–6 (several outlets covering one event). */
function pickGroupSize(rng: Rng): number {
  const u = rng.next();
  if (u < 0.55) return 1;
  if (u < 0.75) return 2;
  if (u < 0.87) return 3;
  if (u < 0.94) return 4;
  return rng.int(5, 6);
}

/** Related list length: a quarter none, most a handful, a long tail up to 60. */
function relatedCount(rng: Rng): number {
  const u = rng.next();
  if (u < 0.25) return 0;
  if (u < 0.7) return rng.int(1, 5);
  if (u < 0.92) return rng.int(6, 20);
  return rng.int(21, 60);
}

/** Quality 0–190: mostly around 70, a few outliers high up (real data reaches ~190). */
function quality(rng: Rng): number {
  if (rng.chance(0.03)) return rng.int(120, 190);
  return Math.round(Math.min(190, Math.max(0, rng.normal(72, 32))));
}

function secondaryTopics(rng: Rng, primary: number): string[] {
  const count = rng.chance(0.4) ? 0 : rng.chance(0.65) ? 1 : 2;
  const out: string[] = [];
  for (let i = 0; i < count * 3 && out.length < count; i++) {
    // Neighbours in the list are related subjects (AI / ML / NLP, EVs / batteries …) often enough.
    const index = rng.chance(0.6) ? primary + rng.int(-3, 3) : topicZipf.sample(rng);
    const entry = TOPICS[index];
    if (!entry || index === primary) continue;
    const spellings = TOPIC_SPELLINGS[entry[0]];
    const name = spellings && rng.chance(0.15) ? rng.pick(spellings) : entry[0];
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function distinctOutlets(rng: Rng, count: number): SeedProvider[] {
  const chosen: SeedProvider[] = [];
  while (chosen.length < count) {
    const p = PROVIDERS[outletZipf.sample(rng)]!;
    if (!chosen.includes(p)) chosen.push(p);
  }
  return chosen;
}

function properName(rng: Rng): string {
  const parts = rng.int(2, 3);
  let s = '';
  for (let i = 0; i < parts; i++) s += rng.pick(SYLLABLES);
  return s[0]!.toUpperCase() + s.slice(1);
}

type StoryWords = { name: string; actor: string; verb: string; adjective: string; object: string; tail: string };

function baseTitle(w: StoryWords): string {
  return `${w.name} ${w.verb} ${w.adjective} ${w.object} ${w.tail}`;
}

/** Another outlet's headline for the story: close enough that some pass the title-similarity test, some not. */
function variantTitle(rng: Rng, w: StoryWords): string {
  switch (rng.int(0, 4)) {
    case 0:
      return `${w.name} ${rng.pick(VERBS)} ${w.adjective} ${w.object} ${w.tail}`;
    case 1:
      return `${w.name} ${w.verb} ${w.adjective} ${w.object} ${rng.pick(TAILS)}`;
    case 2:
      return `${w.actor} ${w.name} ${w.verb} ${w.object} ${w.tail}`;
    case 3:
      return `Report: ${w.name} ${w.verb} ${w.adjective} ${w.object}`;
    default:
      return `${w.name}'s ${w.adjective} ${w.object}: what we know`;
  }
}

function relatedTitle(rng: Rng, w: StoryWords): string {
  switch (rng.int(0, 3)) {
    case 0:
      return `Why the ${w.object} from ${w.name} matters`;
    case 1:
      return `${w.actor} react as ${w.name} ${w.verb} ${w.object}`;
    case 2:
      return `${w.name} ${rng.pick(VERBS)} ${w.object} ${rng.pick(TAILS)}`;
    default:
      return `Inside the ${rng.pick(ADJECTIVES)} ${w.object} push by ${w.name}`;
  }
}

function sentence(rng: Rng, w: StoryWords): string {
  return rng
    .pick(SENTENCES)
    .replace('{actor}', w.actor.toLowerCase())
    .replace('{actors}', `${rng.pick(ACTORS).toLowerCase()}`)
    .replace(/\{object\}/g, w.object)
    .replace('{adjective}', rng.pick(ADJECTIVES))
    .replace('{when}', rng.pick(WHEN))
    .replace('{n}', String(rng.int(2, 95)))
    .replace('{name}', properName(rng))
    .replace('{year}', String(rng.int(2015, 2025)))
    .replace('{ordinal}', rng.pick(ORDINALS));
}

function excerpt(rng: Rng, w: StoryWords): string {
  const lead = `${w.name} ${w.verb} a ${w.adjective} ${w.object} ${w.tail}.`;
  let text = lead;
  const more = rng.int(0, 2);
  for (let i = 0; i < more; i++) text += ` ${sentence(rng, w)}`;
  return text;
}

function images(rng: Rng, provider: SeedProvider, at: Date): SeedImage[] {
  if (rng.chance(0.1)) return [];
  const [width, height] = rng.pick(IMAGE_SIZES);
  const hex = Math.floor(rng.next() * 2 ** 32).toString(16).padStart(8, '0');
  return [{ url: `https://img.${provider.domain}/${ymd(at, '/').slice(0, 7)}/${hex}.jpg`, width, height, isCached: true }];
}

export function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

function ymd(date: Date, sep: string): string {
  return date.toISOString().slice(0, 10).replace(/-/g, sep);
}

/** Seed files write times to the minute without milliseconds (`2022-03-24T07:49:00Z`). */
function isoMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16)}:00Z`;
}

function iso(value: string): string {
  return new Date(value).toISOString();
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
