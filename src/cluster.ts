import type { Article, RelatedArticle } from './model.js';
import type { DigestLink } from './types.js';

export const CLUSTER = {
  /** Token-set overlap (Jaccard) at which two titles count as the same story. */
  TITLE_SIMILARITY: 0.6,
  /** Titles shorter than this many meaningful words are never matched on title alone. */
  MIN_TITLE_TOKENS: 3,
  /** Only articles published this close together are matched on title or on a one-way related link. */
  TITLE_WINDOW_HOURS: 72,
} as const;

const STOPWORDS = new Set(
  'a an the of to in on for and or but with at by from as is are was were be its it this that after over into new says said'.split(' '),
);

const TRACKING_PARAMS = /^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid)$/i;

/** A URL reduced to what identifies the page: no scheme, www, tracking parameters, fragment or trailing slash. */
export function canonicalUrl(url: string): string {
  try {
    const u = new URL(url);
    const params = [...u.searchParams.entries()]
      .filter(([k]) => !TRACKING_PARAMS.test(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const query = params.length > 0 ? `?${new URLSearchParams(params).toString()}` : '';
    const host = u.hostname.toLowerCase().replace(/^(www|m|amp)\./, '');
    const path = u.pathname.replace(/\/amp\/?$/, '/').replace(/\/+$/, '');
    return `${host}${path}${query}`;
  } catch {
    return url;
  }
}

/** Meaningful lower-case words of a title. */
export function titleTokens(title: string): Set<string> {
  const words = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 && !STOPWORDS.has(w));
  return new Set(words);
}

export function titleSimilarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

/** A group of stored articles about one story; `lead` is the best-ranked of them. */
export interface Story<T extends { article: Article }> {
  lead: T;
  others: T[];
}

/**
 * Groups ranked articles into stories. Two articles are one story when they share a canonical URL,
 * have near-identical titles published close together, or either lists the other as related coverage.
 * Input order is kept: each story sits where its best article was.
 */
export function groupStories<T extends { article: Article }>(ranked: readonly T[]): Story<T>[] {
  const parent = ranked.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    // The earlier (better-ranked) index stays the root so it leads the story.
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };

  const byUrl = new Map<string, number>();
  const tokens = ranked.map((c) => titleTokens(c.article.title));
  ranked.forEach((c, i) => {
    const key = canonicalUrl(c.article.url);
    const seen = byUrl.get(key);
    if (seen === undefined) byUrl.set(key, i);
    else union(seen, i);
  });
  // A related link is "same story" when both list each other, or when they appeared close together;
  // an old background piece linked from a new article stays a story of its own.
  const links = ranked.map((c) => new Set(c.article.related.map((r) => canonicalUrl(r.url))));
  ranked.forEach((c, i) => {
    for (const url of links[i]!) {
      const j = byUrl.get(url);
      if (j === undefined || j === i) continue;
      const mutual = links[j]!.has(canonicalUrl(c.article.url));
      if (mutual || hoursApart(c.article, ranked[j]!.article) <= CLUSTER.TITLE_WINDOW_HOURS) union(i, j);
    }
  });
  for (let i = 0; i < ranked.length; i++) {
    const ti = tokens[i]!;
    if (ti.size < CLUSTER.MIN_TITLE_TOKENS) continue;
    for (let j = i + 1; j < ranked.length; j++) {
      const tj = tokens[j]!;
      if (tj.size < CLUSTER.MIN_TITLE_TOKENS || find(i) === find(j)) continue;
      const close = hoursApart(ranked[i]!.article, ranked[j]!.article) <= CLUSTER.TITLE_WINDOW_HOURS;
      if (close && titleSimilarity(ti, tj) >= CLUSTER.TITLE_SIMILARITY) union(i, j);
    }
  }

  const stories = new Map<number, Story<T>>();
  ranked.forEach((c, i) => {
    const root = find(i);
    const story = stories.get(root);
    if (story) story.others.push(c);
    else stories.set(root, { lead: c, others: [] });
  });
  return [...stories.values()];
}

function hoursApart(a: Pick<Article, 'publishedAt'>, b: Pick<Article, 'publishedAt'>): number {
  return Math.abs(Date.parse(a.publishedAt) - Date.parse(b.publishedAt)) / 3_600_000;
}

/**
 * The best few related links: valid http(s) only, one per provider, not the item's own provider or
 * pages already shown, highest quality first and then the newest.
 */
export function pickRelated(
  related: readonly RelatedArticle[],
  options: { limit: number; skipUrls: ReadonlySet<string>; skipDomains?: ReadonlySet<string> },
): DigestLink[] {
  const sorted = [...related].sort(
    (a, b) =>
      b.quality - a.quality ||
      (b.publishedAt ? Date.parse(b.publishedAt) : 0) - (a.publishedAt ? Date.parse(a.publishedAt) : 0),
  );
  const usedDomains = new Set(options.skipDomains ?? []);
  const usedUrls = new Set(options.skipUrls);
  const picked: DigestLink[] = [];
  for (const r of sorted) {
    if (picked.length >= options.limit) break;
    if (!/^https?:\/\//i.test(r.url)) continue;
    const key = canonicalUrl(r.url);
    const domain = providerKey(r.provider.domain || r.provider.name || key);
    if (usedUrls.has(key) || usedDomains.has(domain)) continue;
    usedUrls.add(key);
    usedDomains.add(domain);
    picked.push({ title: r.title, url: r.url, provider: r.provider, publishedAt: r.publishedAt });
  }
  return picked;
}

export function providerKey(domain: string): string {
  return domain.toLowerCase().replace(/^www\./, '');
}
