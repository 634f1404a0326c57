import type { Article } from './model.js';
import type { ScoreExplanation } from './types.js';

/**
 * Ranking constants. The score of an article for a topic is
 *   topicMatch × quality × recency × heat
 * and is compared in log space, so articles years old still order correctly instead of all
 * rounding to zero.
 */
export const RANK = {
  /** The topic is the article's first (main) topic. */
  TOPIC_PRIMARY: 1,
  /** The topic is one of the article's other topics. */
  TOPIC_SECONDARY: 0.8,
  /** Added to quality so an article with quality 0 still ranks by recency. */
  QUALITY_FLOOR: 10,
  /** Quality at which the quality factor is 1. Real data reaches ~190. */
  QUALITY_REFERENCE: 100,
  /** Quality above this is clamped, so one outlier cannot bury everything else. */
  QUALITY_CAP: 250,
  /** Heat (reader interest, -1 when unknown) adds at most this share: heat 100 → ×1.25. */
  HEAT_WEIGHT: 0.25,
  HEAT_CAP: 200,
  /**
   * Default recency half-life: a two-day-old story counts half as much as a fresh one, so a day of age
   * (×0.71) is worth less than the gap between an average and a good outlet.
   */
  HALF_LIFE_HOURS: 48,
  /** An article tagged with more topics than this matches each of them less: × sqrt(TOPICS_FREE / topics). */
  TOPICS_FREE: 3,
  /** A story's weight grows with the outlets covering it: × (1 + COVERAGE_WEIGHT × ln(outlets)). */
  COVERAGE_WEIGHT: 0.5,
  /** Factor for a story whose lead reads as non-news (market report, promotion, how-to, listicle, stale page). */
  NON_NEWS_FACTOR: 0.2,
  /** A URL dated this many days before the article's publication marks an old page re-surfaced (non-news). */
  STALE_DAYS: 180,
} as const;

const HOUR_MS = 3_600_000;

export interface RankOptions {
  now: Date;
  halfLifeHours?: number;
}

export function qualityFactor(quality: number): number {
  const q = Math.min(Math.max(quality, 0), RANK.QUALITY_CAP);
  return (q + RANK.QUALITY_FLOOR) / (RANK.QUALITY_REFERENCE + RANK.QUALITY_FLOOR);
}

export function heatFactor(heat: number): number {
  const h = Math.min(Math.max(heat, 0), RANK.HEAT_CAP);
  return 1 + (RANK.HEAT_WEIGHT * h) / 100;
}

/** How well an article matches a topic key: main topic or a secondary one (0 when not at all). */
export function topicMatch(articleTopicKeys: readonly string[], topicKey: string): number {
  const index = articleTopicKeys.indexOf(topicKey);
  if (index === -1) return 0;
  return index === 0 ? RANK.TOPIC_PRIMARY : RANK.TOPIC_SECONDARY;
}

/**
 * The time-independent part of the log score plus publication time scaled by the decay rate.
 * Ordering by this key equals ordering by the full score at any `now`, so the store can index it.
 */
export function staticRankKey(
  article: Pick<Article, 'quality' | 'heat' | 'publishedAt'>,
  match: number,
  halfLifeHours: number = RANK.HALF_LIFE_HOURS,
): number {
  return rankBase(article, match) + publishedHours(article.publishedAt) * (Math.LN2 / halfLifeHours);
}

/** ln(topicMatch × quality × heat): the part of the log score that does not decay. */
export function rankBase(article: Pick<Article, 'quality' | 'heat'>, match: number): number {
  return Math.log(match) + Math.log(qualityFactor(article.quality)) + Math.log(heatFactor(article.heat));
}

export function publishedHours(iso: string): number {
  return Date.parse(iso) / HOUR_MS;
}

/** The score of an article for a topic at `now`, with every component. Deterministic for a given `now`. */
export function explainScore(
  article: Pick<Article, 'quality' | 'heat' | 'publishedAt'>,
  match: number,
  options: RankOptions,
): ScoreExplanation {
  const halfLife = options.halfLifeHours ?? RANK.HALF_LIFE_HOURS;
  // A date in the future (clock skew at the source) counts as fresh, not as a bonus.
  const ageHours = Math.max(0, (options.now.getTime() - Date.parse(article.publishedAt)) / HOUR_MS);
  return composeScore(match, qualityFactor(article.quality), heatFactor(article.heat), ageHours, halfLife);
}

/** The product of the factors, taken in log space, with each factor kept for `--explain`. */
function composeScore(
  match: number,
  quality: number,
  heat: number,
  ageHours: number,
  halfLife: number,
  extra: { coverage: number; news: number } = { coverage: 1, news: 1 },
): ScoreExplanation {
  const logScore =
    Math.log(match) + Math.log(quality) + Math.log(heat) + Math.log(extra.coverage) + Math.log(extra.news) - (ageHours / halfLife) * Math.LN2;
  return {
    total: Math.exp(logScore),
    logScore,
    topicMatch: match,
    quality,
    recency: Math.pow(0.5, ageHours / halfLife),
    heat,
    ageHours,
  };
}

/** Orders by score (log space), then newer first, then id, so the order is total and stable. */
export function compareScored(
  a: { score: ScoreExplanation; publishedAt: string; id: string },
  b: { score: ScoreExplanation; publishedAt: string; id: string },
): number {
  return (
    b.score.logScore - a.score.logScore ||
    Date.parse(b.publishedAt) - Date.parse(a.publishedAt) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** How much a topic match counts for an article tagged with `topicCount` topics (1 up to TOPICS_FREE). */
export function topicBreadthFactor(topicCount: number): number {
  return topicCount <= RANK.TOPICS_FREE ? 1 : Math.sqrt(RANK.TOPICS_FREE / topicCount);
}

export function coverageFactor(outlets: number): number {
  return 1 + RANK.COVERAGE_WEIGHT * Math.log(Math.max(1, outlets));
}

// Non-news rule: plain substring and prefix tests over lower-cased text (no backtracking), conservative by design.
const MARKET_REPORT_WORDS = ['forecast', 'cagr', 'key players', 'market size', 'market share', 'market research', 'research report', 'industry analysis'];
const PROMO_PHRASES = [
  'webinar', 'sponsored', 'promo code', 'coupon', 'discount code', 'deal alert', 'best deals', '% off', 'black friday deal',
  'register now', 'sign up now', 'enroll now', 'enrol now', 'free course', 'online course', 'course bundle', 'training bundle',
  'masterclass', 'free ebook', 'free e-book',
];
/** Evergreen service content: how-tos, tutorials, guides, explainers. Matched anywhere in the title. */
const HOW_TO_PHRASES = [
  "beginner's guide", 'beginner’s guide', 'beginners guide', 'ultimate guide', 'complete guide', 'step-by-step', 'step by step',
  'tutorial', 'cheat sheet', 'tips and tricks', 'explainer', ': how to ', ' – how to ', ' - how to ', "here's how", 'here’s how',
];
/** …and the same at the start of a title ("How to …", "What is …"). */
const HOW_TO_STARTS = [
  'how to ', 'how-to ', 'what is ', 'what are ', 'a guide to ', 'guide to ', 'the guide to ', 'understanding ', 'a closer look at ',
  'an introduction to ', 'introduction to ', 'getting started with ', 'get started with ',
];
/** …and as the title's last word ("… explained", "Product X overview"). */
const HOW_TO_ENDS = ['explained', 'overview', 'tutorial'];
/** With "market" in the title, these mark a market-research promotion ("X Market Next Big Thing | Major Giants …"). */
const MARKET_REPORT_TITLE_WORDS = ['giants', 'key players', 'major players', 'top players', 'key vendors', 'next big thing', 'thriving', 'booming'];
/** Words that make "N … " at the start of a title a listicle ("7 ways to …", "10+ apps for …"). */
const LISTICLE_WORDS = new Set(['best', 'ways', 'tips', 'tricks', 'things', 'apps', 'tools', 'steps', 'mistakes', 'ideas', 'examples', 'hacks', 'habits', 'lessons']);

/**
 * Why an article reads as non-news, or undefined when it reads as news:
 * - `market report`: a market-research promotion ("… market … forecast / CAGR / key players", "… to 2027");
 * - `promotion`: a deal, ad, webinar invitation or course promotion;
 * - `how-to`: a how-to, tutorial, guide or explainer ("How to …", "… explained", "beginner's guide");
 * - `listicle`: "7 ways to …", "10+ apps for …", "The best 6 …";
 * - `stale`: the URL carries a date more than RANK.STALE_DAYS before the article's publication (an old page
 *   re-surfaced with a new date).
 * Linear in the text length.
 */
export function nonNewsReason(article: NewsText): string | undefined {
  const title = article.title.toLowerCase();
  const text = `${title} ${article.excerpt.slice(0, 600).toLowerCase()}`;
  // "… Market to 2027", "… Industry 2021-2026": a market report sold by its forecast horizon.
  if (/\b(markets?|industry)\b/.test(title)) {
    if (MARKET_REPORT_WORDS.some((w) => text.includes(w))) return 'market report';
    if (/\b(to|by|through) 20\d\d\b|\b20\d\d ?[-–] ?20\d\d\b/.test(title)) return 'market report';
    if (MARKET_REPORT_TITLE_WORDS.some((w) => title.includes(w)) || endsWithWord(title, 'market')) return 'market report';
  }
  if (PROMO_PHRASES.some((p) => title.includes(p))) return 'promotion';
  if (HOW_TO_STARTS.some((p) => title.startsWith(p)) || HOW_TO_PHRASES.some((p) => title.includes(p)) || HOW_TO_ENDS.some((w) => endsWithWord(title, w))) {
    return 'how-to';
  }
  if (isListicle(title)) return 'listicle';
  if (article.url !== undefined && article.publishedAt !== undefined && staleUrl(article.url, article.publishedAt)) return 'stale';
  return undefined;
}

/** Whether an article reads as non-news (see nonNewsReason). */
export function looksLikeNonNews(article: NewsText): boolean {
  return nonNewsReason(article) !== undefined;
}

type NewsText = Pick<Article, 'title' | 'excerpt'> & Partial<Pick<Article, 'url' | 'publishedAt'>>;

/** Whether `title` ends with `word` (then only punctuation), e.g. "Zero trust, explained". */
function endsWithWord(title: string, word: string): boolean {
  let end = title.length;
  while (end > 0 && !isLetterOrDigit(title.charCodeAt(end - 1))) end--;
  const start = end - word.length;
  return start >= 0 && title.slice(start, end) === word && (start === 0 || !isLetterOrDigit(title.charCodeAt(start - 1)));
}

function isLetterOrDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || code > 127;
}

/**
 * "7 ways to …", "10+ apps for …", "The best top 6 …", "Top 5 tips …": a number among the first four words, with
 * "best"/"top" before it or a list word (LISTICLE_WORDS) among the three after it. "3 big reasons to buy" is not one: stock
 * commentary of that shape is news.
 */
function isListicle(title: string): boolean {
  const words = title.split(' ', 8).map((w) => w.replace(/[^a-z0-9+’']/g, ''));
  for (let i = 0; i < Math.min(4, words.length); i++) {
    const w = words[i]!;
    const n = Number.parseInt(w, 10);
    if (!(n >= 2 && n <= 100 && /^\d+\+?$/.test(w))) continue;
    const before = words.slice(0, i);
    if (before.includes('best') || before.includes('top')) return true;
    return words.slice(i + 1, i + 4).some((x) => LISTICLE_WORDS.has(x));
  }
  return false;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Whether a URL's path carries a date ("/2019/08/…", "/2015/07/…", "/2021/mar/02/…", or a year alone, read as
 * its last day) more than RANK.STALE_DAYS before `publishedAt`. Segments are split, not matched by a regex.
 */
export function staleUrl(url: string, publishedAt: string): boolean {
  const published = Date.parse(publishedAt);
  if (!Number.isFinite(published) || url.length > 2048) return false;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return false;
  }
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.length !== 4 || !/^\d{4}$/.test(seg)) continue;
    const year = Number(seg);
    if (year < 1990 || year > 2100) continue;
    const next = (segments[i + 1] ?? '').toLowerCase();
    let month = /^\d{1,2}$/.test(next) ? Number(next) : MONTHS.indexOf(next.slice(0, 3)) + 1;
    if (!(month >= 1 && month <= 12)) month = 12;
    // The end of that month (or year): the latest the page can be from.
    const urlDate = Date.UTC(year, month, 1);
    return published - urlDate > RANK.STALE_DAYS * 86_400_000;
  }
  return false;
}

export interface StoryMemberScore {
  article: Pick<Article, 'quality' | 'heat' | 'publishedAt' | 'topics' | 'title' | 'excerpt'>;
  /** The article's match to the topic (topicMatch), 1 when no topic is asked for. */
  topicMatch: number;
}

/**
 * The score of a story at `now`: topic × quality × recency × heat × coverage × news, where topic is the
 * best member's match (weighed down for articles tagged with many topics), quality and heat the best
 * member's, recency the decay of the latest member's age, coverage grows with the outlets, and news demotes
 * a non-news lead.
 */
export function explainStory(
  members: readonly StoryMemberScore[],
  lead: NewsText,
  outlets: number,
  options: RankOptions,
): ScoreExplanation {
  return scoreStory(storyFacts(members, lead), members, outlets, options);
}

/**
 * What a story's score takes from its member articles alone (explainStory in two steps): none of it depends
 * on the time or the topic asked for, so a story grouped once can be scored again cheaply.
 */
export interface StoryFacts {
  /** topicBreadthFactor of each member, in member order. */
  breadth: number[];
  bestQuality: number;
  bestHeat: number;
  /** The latest member's publication time, ms since the epoch. */
  latest: number;
  /** Why the lead reads as non-news (nonNewsReason), if it does. */
  nonNews: string | undefined;
}

export function storyFacts(members: readonly Pick<StoryMemberScore, 'article'>[], lead: NewsText): StoryFacts {
  let bestQuality = -Infinity;
  let bestHeat = -Infinity;
  let latest = -Infinity;
  const breadth: number[] = [];
  for (const m of members) {
    breadth.push(topicBreadthFactor(m.article.topics.length));
    bestQuality = Math.max(bestQuality, m.article.quality);
    bestHeat = Math.max(bestHeat, m.article.heat);
    latest = Math.max(latest, Date.parse(m.article.publishedAt));
  }
  return { breadth, bestQuality, bestHeat, latest, nonNews: nonNewsReason(lead) };
}

/** explainStory from a story's facts and its members' topic matches (same order as the facts' members). */
export function scoreStory(
  facts: StoryFacts,
  members: readonly Pick<StoryMemberScore, 'topicMatch'>[],
  outlets: number,
  options: RankOptions,
): ScoreExplanation {
  const halfLife = options.halfLifeHours ?? RANK.HALF_LIFE_HOURS;
  let match = 0;
  for (let i = 0; i < members.length; i++) match = Math.max(match, members[i]!.topicMatch * facts.breadth[i]!);
  const ageHours = Math.max(0, (options.now.getTime() - facts.latest) / HOUR_MS);
  const coverage = coverageFactor(outlets);
  const reason = facts.nonNews;
  const news = reason === undefined ? 1 : RANK.NON_NEWS_FACTOR;
  const s = composeScore(match, qualityFactor(facts.bestQuality), heatFactor(facts.bestHeat), ageHours, halfLife, { coverage, news });
  // Written out rather than spread: this runs for every story of every request.
  const score: ScoreExplanation = {
    total: s.total,
    logScore: s.logScore,
    topicMatch: s.topicMatch,
    quality: s.quality,
    recency: s.recency,
    heat: s.heat,
    ageHours: s.ageHours,
    coverage,
    outlets,
    news,
  };
  if (reason !== undefined) score.nonNews = reason;
  return score;
}
