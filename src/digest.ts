import type { Article, RelatedArticle } from './model.js';
import type { ArticleStore, Candidate } from './ports.js';
import type { Digest, DigestItem, DigestLink, ScoreExplanation } from './types.js';
import { RANK, scoreStory, storyFacts, type StoryFacts } from './rank.js';
import { articleUrlKey, canonicalUrl, usableUrl } from './url.js';
import { cosine, type TermVector } from './similarity.js';
import { compareLead, groupStories, outletKey, TextIndex } from './stories.js';
import { cutAtWord, trimTrailingPunctuation } from './cut.js';
import type { CompiledFilters } from './filters.js';

export const DIGEST = {
  /** Excerpts are cut at a word boundary at or before this many characters. */
  EXCERPT_LENGTH: 280,
  /** Related links shown under each item. */
  RELATED_LINKS: 3,
  /** "Also covered by" links shown under each item. */
  ALSO_COVERED: 3,
  /** Articles read from the topic index per request (best static rank first): the window grouped into stories. */
  CANDIDATES: 160,
  /** /news ranks articles of this many recent days. */
  WINDOW_DAYS: 7,
  /** Items from one outlet in one digest, at most. */
  PER_OUTLET: 2,
  /** A related link must be at least this similar (TF-IDF cosine) to its story. */
  RELATED_SIMILARITY: 0.15,
  /** … and published at most this far from the story's lead. */
  RELATED_WINDOW_HOURS: 7 * 24,
} as const;

const HOUR_MS = 3_600_000;

export interface DigestOptions {
  now: Date;
  count: number;
  /** Article ids to leave out, e.g. everything already delivered to this subscriber. */
  excludeIds?: ReadonlySet<string>;
  /**
   * Only articles published after this instant count (the scheduler passes the previous delivery). Default:
   * `now` minus `windowDays`, falling back to the latest stories when that window is empty.
   */
  since?: Date;
  windowDays?: number;
  perOutlet?: number;
  halfLifeHours?: number;
  excerptLength?: number;
  relatedLinks?: number;
  candidates?: number;
  /** A subscription's filters: articles they leave out are not candidates, links to excluded outlets not shown. */
  filters?: CompiledFilters;
}

/** Candidates read per accepted one wanted when filters apply, so a strict filter still finds a full set. */
const FILTERED_READ_FACTOR = 4;

/** A scored story: its members, lead first, and its score. */
export interface ScoredStory {
  lead: Candidate;
  members: Candidate[];
  outlets: number;
  score: ScoreExplanation;
  latestAt: string;
}

/**
 * What grouping made of one candidate set: its stories as positions in the set (each lead first, as
 * groupStories orders members), with the parts of their scores and digest items that do not depend on the
 * time or the topic match. Kept per set (see groupingOf), so a repeated request only scores the stories.
 */
interface Grouping {
  /** The candidate articles, in order: what the grouping was made from. */
  articles: readonly Article[];
  index: TextIndex;
  stories: { members: number[]; outlets: number; latestAt: string; latestMs: number; facts: StoryFacts }[];
  /** Digest items without their score, by story, lead and the options they were made with. */
  items: Map<string, Omit<DigestItem, 'score'>>;
}

/**
 * Groupings of recent candidate sets, under the first candidate's article. The store hands out the same
 * article objects while they are unchanged (SQLite keeps parsed articles; a changed article is a new object),
 * and readers never change them, so the same articles in the same order are the same set: grouping depends
 * on nothing else. Entries go when their first article is collected.
 */
const groupings = new WeakMap<Article, Grouping[]>();
/** Sets remembered per first article (a topic's plain and excluding requests, a few windows). */
const GROUPINGS_PER_ARTICLE = 4;

function groupingOf(candidates: readonly Candidate[]): Grouping {
  const first = candidates[0]?.article;
  const known = first ? groupings.get(first) : undefined;
  const hit = known?.find((g) => g.articles.length === candidates.length && g.articles.every((a, i) => a === candidates[i]!.article));
  if (hit) return hit;
  const grouping = groupFresh(candidates, new TextIndex(candidates.map((c) => c.article)));
  if (first) {
    const list = known ?? [];
    if (list.length >= GROUPINGS_PER_ARTICLE) list.shift();
    list.push(grouping);
    if (!known) groupings.set(first, list);
  }
  return grouping;
}

function groupFresh(candidates: readonly Candidate[], index: TextIndex): Grouping {
  const position = new Map(candidates.map((c, i) => [c, i]));
  const stories = groupStories(candidates, { index }).map((g) => {
    const members = g.members.map((m) => position.get(m)!);
    let latest = g.members[0]!.article.publishedAt;
    for (const m of g.members) if (Date.parse(m.article.publishedAt) > Date.parse(latest)) latest = m.article.publishedAt;
    const outlets = new Set(g.members.map((m) => outletKey(m.article))).size;
    return { members, outlets, latestAt: latest, latestMs: Date.parse(latest), facts: storyFacts(g.members, g.lead.article) };
  });
  return { articles: candidates.map((c) => c.article), index, stories, items: new Map() };
}

/** Groups articles into stories and ranks them (best first). Shared by /news and `newsbrief stories`. */
export function rankStories(
  candidates: readonly Candidate[],
  options: { now: Date; halfLifeHours?: number; index?: TextIndex },
): { stories: ScoredStory[]; index: TextIndex } {
  return rankGrouping(candidates, options.index ? groupFresh(candidates, options.index) : groupingOf(candidates), options).ranked;
}

/** The stories of a grouping scored at `now` with these candidates' topic matches, best first. */
function rankGrouping(
  candidates: readonly Candidate[],
  grouping: Grouping,
  options: { now: Date; halfLifeHours?: number },
): { ranked: { stories: ScoredStory[]; index: TextIndex }; order: number[] } {
  const halfLifeHours = options.halfLifeHours ?? RANK.HALF_LIFE_HOURS;
  const scored = grouping.stories.map((g, at) => {
    const members = g.members.map((i) => candidates[i]!);
    const score = scoreStory(g.facts, members, g.outlets, { now: options.now, halfLifeHours });
    const story: ScoredStory = { lead: members[0]!, members, outlets: g.outlets, score, latestAt: g.latestAt };
    return { story, at, latestMs: g.latestMs };
  });
  scored.sort(
    (a, b) =>
      b.story.score.logScore - a.story.score.logScore ||
      b.latestMs - a.latestMs ||
      (a.story.lead.article.id < b.story.lead.article.id ? -1 : 1),
  );
  return { ranked: { stories: scored.map((s) => s.story), index: grouping.index }, order: scored.map((s) => s.at) };
}

/** Builds the ranked, story-grouped digest for a topic. Plain data: adapters render it. */
export async function buildDigest(
  store: ArticleStore,
  topic: { key: string; name: string; count?: number },
  options: DigestOptions,
): Promise<Digest> {
  const now = options.now;
  const windowDays = options.windowDays ?? DIGEST.WINDOW_DAYS;
  const since = options.since ?? new Date(now.getTime() - windowDays * 24 * HOUR_MS);
  const wanted = options.candidates ?? DIGEST.CANDIDATES;
  const filters = options.filters;
  const query = { topicKeys: [topic.key], limit: filters ? wanted * FILTERED_READ_FACTOR : wanted, excludeIds: options.excludeIds };
  // Best rank first from the store: the first `wanted` the filters accept are the best ones.
  const read = async (window: { since?: Date; until: Date }) => {
    const found = await store.candidates({ ...query, ...window });
    return filters ? found.filter((c) => filters.article(c.article)).slice(0, wanted) : found;
  };
  // The store reads the window only; nothing from the future of `now` (a replay, or a source's clock ahead
  // of ours) is shown before its time.
  let inRange = await read({ since, until: now });
  let stale = false;
  if (inRange.length === 0 && options.since === undefined) {
    // An empty window on /news says so and shows the latest stories, with their age.
    inRange = await read({ until: now });
    stale = inRange.length > 0;
  }
  const grouping = groupingOf(inRange);
  const { ranked, order } = rankGrouping(inRange, grouping, { now, halfLifeHours: options.halfLifeHours });
  const { stories } = ranked;

  const perOutlet = options.perOutlet ?? DIGEST.PER_OUTLET;
  const outletUse = new Map<string, number>();
  const picked: { rank: number; story: ScoredStory; lead: Candidate }[] = [];
  const skipped: number[] = [];
  stories.forEach((story, rank) => {
    if (picked.length >= options.count) return;
    // The lead is the best member from an outlet still under its cap.
    const lead = story.members.find((m) => (outletUse.get(outletKey(m.article)) ?? 0) < perOutlet);
    if (!lead) {
      skipped.push(rank);
      return;
    }
    const leadOutlet = outletKey(lead.article);
    outletUse.set(leadOutlet, (outletUse.get(leadOutlet) ?? 0) + 1);
    picked.push({ rank, story, lead });
  });
  // The cap keeps one outlet from crowding out the others; when there are no others, the digest still fills up.
  for (const rank of skipped) {
    if (picked.length >= options.count) break;
    picked.push({ rank, story: stories[rank]!, lead: stories[rank]!.members[0]! });
  }
  picked.sort((a, b) => a.rank - b.rank);
  const items: DigestItem[] = picked.map(({ rank, story, lead }) => {
    // An item depends on its story's members, its lead and the options, not on the time: made once per grouping.
    const excerptLength = options.excerptLength ?? DIGEST.EXCERPT_LENGTH;
    const relatedLinks = options.relatedLinks ?? DIGEST.RELATED_LINKS;
    const key = `${order[rank]}:${story.members.indexOf(lead)}:${excerptLength}:${relatedLinks}`;
    let item = grouping.items.get(key);
    if (!item) {
      item = toItem(story, lead, grouping.index, { excerptLength, relatedLinks });
      grouping.items.set(key, item);
    }
    const shown = filters ? (link: DigestLink) => filters.link(link) : () => true;
    return { ...item, related: item.related.filter(shown), alsoCoveredBy: item.alsoCoveredBy.filter(shown), articleIds: item.articleIds.slice(), score: story.score };
  });

  return {
    topic: topic.name,
    topicKey: topic.key,
    generatedAt: now.toISOString(),
    items,
    // A known count (the topic index has one) saves counting a large topic on every request.
    matched: topic.count ?? (await store.topicMatchCount(topic.key)),
    window: { since: since.toISOString(), until: now.toISOString(), days: windowDays },
    ...(stale ? { stale: true } : {}),
  };
}

function toItem(
  story: ScoredStory,
  lead: Candidate,
  index: TextIndex,
  options: { excerptLength: number; relatedLinks: number },
): Omit<DigestItem, 'score'> {
  const a = lead.article;
  const leadOutlet = outletKey(a);
  // Other outlets, best first, one link each: an outlet is never "also covered by" itself.
  const alsoCoveredBy: DigestLink[] = [];
  const outletsShown = new Set([leadOutlet]);
  for (const m of [...story.members].sort((x, y) => compareLead(x.article, y.article))) {
    const o = m.article;
    if (alsoCoveredBy.length >= DIGEST.ALSO_COVERED) break;
    if (outletsShown.has(outletKey(o))) continue;
    outletsShown.add(outletKey(o));
    alsoCoveredBy.push({ title: o.title, url: o.url, provider: o.provider, publishedAt: o.publishedAt });
  }
  const shown = new Set(story.members.map((m) => articleUrlKey(m.article)));
  const storyVector = TextIndex.centroid(story.members.map((m) => index.vector(m.article)));
  const related = pickRelated(story.members.flatMap((m) => m.article.related), {
    limit: options.relatedLinks,
    skipUrls: shown,
    skipDomains: outletsShown,
    relevance: { vector: storyVector, index, around: a.publishedAt },
  });
  return {
    articleId: a.id,
    title: a.title,
    url: a.url,
    provider: a.provider,
    publishedAt: a.publishedAt,
    type: a.type,
    excerpt: cutExcerpt(a.excerpt, options.excerptLength ?? DIGEST.EXCERPT_LENGTH),
    related,
    alsoCoveredBy,
    articleIds: [a.id, ...story.members.filter((m) => m !== lead).map((m) => m.article.id)],
  };
}

/**
 * The best few related links: valid http(s) URLs of at most 2,048 characters, relevant to the story (similar
 * text, published close to it) when `relevance` is given, one per outlet, not the story's outlets or pages
 * already shown; most relevant first, then highest quality. None is better than an irrelevant one.
 */
export function pickRelated(
  related: readonly RelatedArticle[],
  options: {
    limit: number;
    skipUrls: ReadonlySet<string>;
    skipDomains?: ReadonlySet<string>;
    relevance?: { vector: TermVector; index: TextIndex; around: string; minSimilarity?: number; windowHours?: number };
  },
): DigestLink[] {
  const rel = options.relevance;
  const scored: { r: RelatedArticle; sim: number }[] = [];
  for (const r of related) {
    if (!usableUrl(r.url)) continue;
    let sim = 0;
    if (rel) {
      if (r.publishedAt === null) continue;
      const hours = Math.abs(Date.parse(r.publishedAt) - Date.parse(rel.around)) / HOUR_MS;
      if (!(hours <= (rel.windowHours ?? DIGEST.RELATED_WINDOW_HOURS))) continue;
      sim = cosine(rel.vector, rel.index.vector(r));
      if (sim < (rel.minSimilarity ?? DIGEST.RELATED_SIMILARITY)) continue;
    }
    scored.push({ r, sim });
  }
  scored.sort(
    (a, b) =>
      b.sim - a.sim ||
      b.r.quality - a.r.quality ||
      (b.r.publishedAt ? Date.parse(b.r.publishedAt) : 0) - (a.r.publishedAt ? Date.parse(a.r.publishedAt) : 0),
  );
  const usedDomains = new Set(options.skipDomains ?? []);
  const usedUrls = new Set(options.skipUrls);
  const picked: DigestLink[] = [];
  for (const { r } of scored) {
    if (picked.length >= options.limit) break;
    const key = canonicalUrl(r.url);
    const domain = outletKey(r);
    if (usedUrls.has(key) || usedDomains.has(domain)) continue;
    usedUrls.add(key);
    usedDomains.add(domain);
    picked.push({ title: r.title, url: r.url, provider: r.provider, publishedAt: r.publishedAt });
  }
  return picked;
}

const SENTENCE_END = new Set(['.', '!', '?', '…', '"', '”', '’', "'", ')']);

export { cutAtWord } from './cut.js';

/**
 * An excerpt within `max` characters, cut like `cutAtWord`. One that already stops mid-sentence (sources
 * often truncate excerpts) gets the ellipsis too, so no reader takes it for the whole text.
 */
export function cutExcerpt(text: string, max: number): string {
  const cut = cutAtWord(text, max);
  if (cut !== text) return cut;
  const trimmed = text.trimEnd();
  if (trimmed === '' || SENTENCE_END.has(trimmed[trimmed.length - 1]!)) return text;
  return cutAtWord(`${trimTrailingPunctuation(trimmed)}…`, max);
}
