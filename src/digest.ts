import type { Store } from './store.js';
import type { Digest, DigestItem, DigestLink } from './types.js';
import { compareScored, explainScore, RANK } from './rank.js';
import { canonicalUrl, groupStories, pickRelated, providerKey } from './cluster.js';

export const DIGEST = {
  /** Excerpts are cut at a word boundary at or before this many characters. */
  EXCERPT_LENGTH: 280,
  /** Related links shown under each item. */
  RELATED_LINKS: 3,
  /** "Also covered by" links shown under each item. */
  ALSO_COVERED: 3,
  /** Candidates fetched per requested item, so grouping still leaves enough stories. */
  CANDIDATES_PER_ITEM: 8,
  MIN_CANDIDATES: 40,
} as const;

export interface DigestOptions {
  now: Date;
  count: number;
  /** Article ids to leave out, e.g. everything already delivered to this subscriber. */
  excludeIds?: ReadonlySet<string>;
  halfLifeHours?: number;
  excerptLength?: number;
  relatedLinks?: number;
}

/** Builds the ranked, story-grouped digest for a topic. Plain data: adapters render it. */
export function buildDigest(
  store: Store,
  topic: { key: string; name: string; count?: number },
  options: DigestOptions,
): Digest {
  const limit = Math.max(DIGEST.MIN_CANDIDATES, options.count * DIGEST.CANDIDATES_PER_ITEM);
  const scored = store
    .candidates({ topicKeys: [topic.key], limit, excludeIds: options.excludeIds })
    .map((c) => ({
      article: c.article,
      id: c.article.id,
      publishedAt: c.article.publishedAt,
      score: explainScore(c.article, c.topicMatch, { now: options.now, halfLifeHours: options.halfLifeHours ?? RANK.HALF_LIFE_HOURS }),
    }))
    .sort(compareScored);

  const items = groupStories(scored)
    .slice(0, options.count)
    .map(({ lead, others }): DigestItem => {
      const a = lead.article;
      const alsoCoveredBy: DigestLink[] = others.slice(0, DIGEST.ALSO_COVERED).map(({ article: o }) => ({
        title: o.title,
        url: o.url,
        provider: o.provider,
        publishedAt: o.publishedAt,
      }));
      const shown = new Set([a.url, ...others.map((o) => o.article.url)].map(canonicalUrl));
      const related = pickRelated([...a.related, ...others.flatMap((o) => o.article.related)], {
        limit: options.relatedLinks ?? DIGEST.RELATED_LINKS,
        skipUrls: shown,
        skipDomains: new Set([providerKey(a.provider.domain), ...alsoCoveredBy.map((l) => providerKey(l.provider.domain))]),
      });
      return {
        articleId: a.id,
        title: a.title,
        url: a.url,
        provider: a.provider,
        publishedAt: a.publishedAt,
        type: a.type,
        excerpt: cutAtWord(a.excerpt, options.excerptLength ?? DIGEST.EXCERPT_LENGTH),
        related,
        alsoCoveredBy,
        articleIds: [a.id, ...others.map((o) => o.article.id)],
        score: lead.score,
      };
    });

  return {
    topic: topic.name,
    topicKey: topic.key,
    generatedAt: options.now.toISOString(),
    items,
    // A known count (the topic index has one) saves counting a large topic on every request.
    matched: topic.count ?? store.topicMatchCount(topic.key),
  };
}

/** Shortens text to at most `max` characters, at a word boundary, with an ellipsis when cut. */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  let slice = text.slice(0, Math.max(0, max - 1));
  // Do not leave half of a surrogate pair (an emoji) at the end.
  if (/[\ud800-\udbff]$/.test(slice)) slice = slice.slice(0, -1);
  const lastSpace = slice.lastIndexOf(' ');
  const cut = lastSpace > max * 0.5 ? slice.slice(0, lastSpace) : slice;
  return `${cut.replace(/[\s,;:.\-–—]+$/u, '')}…`;
}
