import type { Article } from './model.js';
import type { SourceItemRecord, Storage } from './ports.js';
import type { ArticleSource, SourceItem } from './source.js';
import { indexArticle } from './indexing.js';
import { TopicAliasTable, type TopicAliases } from './topics.js';
import { silentLogger, type Logger } from './logger.js';

export interface IngestOptions {
  /** Called with (items handled, items listed) at most every ~100 items and once at the end. */
  onProgress?: (done: number, total: number) => void;
  logger?: Logger;
  /** Topic aliases articles are indexed with (default: DEFAULT_TOPIC_ALIASES). */
  aliases?: TopicAliases;
  /** Stops the run between items; what was written stays consistent, and the next run picks up the rest. */
  signal?: AbortSignal;
}

/** Why one item of a source (or, with a trailing slash, one folder) was not used. */
export interface Rejection {
  /** The item's name in its source: for a seed folder, the path relative to it, forward slashes. */
  file: string;
  /** The field at fault, dotted (`related.3.quality`), when one is. */
  field?: string;
  reason: string;
}

export interface IngestReport {
  /** Items listed (seed files found). */
  files: number;
  /** New articles stored. */
  accepted: number;
  /** Stored articles whose content changed. */
  updated: number;
  /** Items skipped because their content did not change, plus changed items whose article came out identical. */
  unchanged: number;
  rejected: Rejection[];
  /** Items whose article another item carries too, and whose copy was not the one kept (see `compareCopies`). */
  duplicates: number;
  /**
   * The first `MAX_LISTED_DUPLICATES` of those items, in the order the run found them, each with the item
   * whose copy was kept at the end of the run (possibly another source's); `duplicates` counts them all.
   */
  duplicateItems: DuplicateItem[];
  /** What the source left out on purpose (a seed folder's symbolic links), with why. */
  skipped: Rejection[];
  /** Accepted items with something left out, e.g. an oversized unknown field. */
  warnings: Rejection[];
  durationMs: number;
}

/** One item whose article another item's copy was kept for. */
export interface DuplicateItem {
  file: string;
  /** The item holding the article after the run. */
  keptIn: string;
}

/** How many duplicate items a report names; a big folder may hold thousands, and the count says the rest. */
export const MAX_LISTED_DUPLICATES = 20;

const BATCH_SIZE = 500;
const PROGRESS_EVERY = 100;

/**
 * Reads every item of a source into storage, incrementally: the source skips items whose content hash is
 * unchanged since the last run, so re-ingesting an unchanged source writes nothing. Bad items become
 * rejections in the report; an item that turns bad keeps the article it had. When several items carry
 * the same article, the best copy is kept whatever their order (`compareCopies`); with a source that says
 * which remembered items are its own (`ArticleSource.owns`), so is a copy another source stored, whatever
 * the order of the runs. Articles are written in batches, each batch before the records that point at it.
 */
export async function ingest(source: ArticleSource, storage: Storage, options: IngestOptions = {}): Promise<IngestReport> {
  const started = Date.now();
  const logger = options.logger ?? silentLogger;
  const previous = await storage.sources.sourceItems();
  const read = await source.open(previous, { signal: options.signal });
  const names = read.names;
  const total = names.length;
  const rejected: Rejection[] = read.problems.map((p) => ({ file: p.name, reason: p.reason }));
  const warnings: Rejection[] = [];
  const aliases = new TopicAliasTable(options.aliases);
  const index = (list: Iterable<Article>) => [...list].map((a) => indexArticle(a, aliases));
  const report = { files: total, accepted: 0, updated: 0, unchanged: 0, duplicates: 0 };
  // Item name and article id of each duplicate named in the report; who kept the article is known at the end.
  const duplicateOf: { file: string; articleId: string }[] = [];
  const duplicate = (file: string, articleId: string) => {
    report.duplicates++;
    if (duplicateOf.length < MAX_LISTED_DUPLICATES) duplicateOf.push({ file, articleId });
  };
  // Article id → the item whose copy is kept so far in this run (see `compareCopies`).
  const claims = new Map<string, Claim>();
  // Where each item comes in this run, and article id → the item that held it after the last run, for
  // items still present; `elsewhere` holds the articles of other sources' items, which this run never
  // reaches but whose stored copies count as claims.
  const position = new Map<string, number>();
  names.forEach((name, i) => position.set(name, i));
  const owners = new Map<string, string>();
  const elsewhere = new Map<string, string>();
  for (const r of previous.values()) {
    if (r.articleId === null) continue;
    if (position.has(r.source)) owners.set(r.articleId, r.source);
    else if (source.owns !== undefined && !source.owns(r.source)) elsewhere.set(r.articleId, r.source);
  }
  let articles = new Map<string, Article>();
  let records: SourceItemRecord[] = [];

  const flush = async () => {
    if (articles.size > 0) {
      const result = await storage.articles.upsertArticles(index(articles.values()));
      report.accepted += result.inserted;
      report.updated += result.updated;
      report.unchanged += result.unchanged;
      for (const id of articles.keys()) claims.get(id)!.kind = 'written';
    }
    // Records after their articles: if the process dies in between, the next run simply re-parses.
    if (records.length > 0) await storage.sources.recordSourceItems(records);
    articles = new Map();
    records = [];
  };

  const record = (name: string, contentHash: string, articleId: string | null) => {
    const prev = previous.get(name);
    if (prev?.contentHash === contentHash && prev.articleId === articleId) return;
    records.push({ source: name, contentHash, articleId });
  };

  const reject = (rejection: Rejection) => {
    rejected.push(rejection);
    logger.debug({ source: source.kind, ...rejection }, 'source item rejected');
  };

  /** The copy a claim stands for; an item not parsed in this run has its stored article. */
  const copyOf = async (id: string, claim: Claim): Promise<Copy | undefined> => {
    if (claim.copy === undefined) {
      const stored = await storage.articles.getArticle(id);
      if (stored) claim.copy = copyFrom(stored);
    }
    return claim.copy;
  };

  /**
   * The claim on an article id before this item: an item earlier in this run, the item that held it after
   * the last run when that item comes later (so the outcome does not depend on the order), or an item of
   * another source that holds it (so the outcome does not depend on which source ran first).
   */
  const claimBefore = (id: string, name: string): Claim | undefined => {
    const claim = claims.get(id);
    if (claim) return claim;
    const owner = owners.get(id);
    if (owner !== undefined && position.get(owner)! > position.get(name)!) return storedClaim(id, owner);
    const other = owner === undefined ? elsewhere.get(id) : undefined;
    return other === undefined ? undefined : storedClaim(id, other);
  };

  const storedClaim = (id: string, holder: string): Claim => {
    const claim: Claim = { source: holder, hash: previous.get(holder)!.contentHash, kind: 'stored' };
    claims.set(id, claim);
    return claim;
  };

  const take = (article: Article, hash: string) => {
    claims.set(article.id, { source: article.source, hash, kind: 'batch', copy: copyFrom(article) });
    articles.set(article.id, article);
    record(article.source, hash, article.id);
  };

  /** A better copy takes an article over from the item that held it in this run. */
  const displace = async (claim: Claim, article: Article, hash: string) => {
    const kind = claim.kind;
    // The item that held it is a duplicate now; a stored claim's item is counted when its turn comes.
    if (kind !== 'stored') duplicate(claim.source, article.id);
    record(claim.source, claim.hash, null);
    logger.debug({ file: claim.source, keptInstead: article.source, url: article.url }, 'duplicate source item replaced');
    if (kind === 'batch' || kind === 'stored') {
      take(article, hash);
      return;
    }
    // Already written this run (and counted) or counted as unchanged: written now, counted only as a change.
    const result = await storage.articles.upsertArticles(index([article]));
    if (kind === 'unchanged' && result.unchanged === 0) {
      report.unchanged--;
      report.updated++;
    }
    claims.set(article.id, { source: article.source, hash, kind: 'written', copy: copyFrom(article) });
    record(article.source, hash, article.id);
  };

  /** Uses one item's outcome. Called in listing order; which copy of an article is kept does not depend on it. */
  const apply = async (item: SourceItem) => {
    const name = item.name;
    if (item.kind === 'rejected') {
      reject({ file: name, ...(item.field ? { field: item.field } : {}), reason: item.reason });
      // The old article, if any, stays: an item that turns bad must not lose what was stored.
      if (item.contentHash !== undefined) record(name, item.contentHash, null);
      return;
    }
    if (item.kind === 'unchanged') {
      const articleId = unchangedArticle(source, item, previous.get(name));
      const claim = claims.get(articleId);
      if (claim === undefined || claim.source === name) {
        claims.set(articleId, { source: name, hash: item.contentHash, kind: 'unchanged', copy: claim?.copy });
        report.unchanged++;
      } else {
        // A better copy in another item took the article over: this item is parsed from now on, so it
        // can take it back if that item changes or goes away.
        duplicate(name, articleId);
        record(name, item.contentHash, null);
      }
      return;
    }
    const { article, contentHash: hash } = item;
    if (article.source !== name || article.contentHash !== hash) {
      throw new Error(`${source.kind} source ${source.name}: the article of item ${name} names source ${article.source}, hash ${article.contentHash}`);
    }
    for (const warning of item.warnings ?? []) {
      warnings.push({ file: name, ...warning });
      logger.warn({ source: source.kind, file: name, ...warning }, 'source item field dropped');
    }
    const claim = claimBefore(article.id, name);
    if (claim === undefined || claim.source === name) {
      take(article, hash);
    } else {
      const held = await copyOf(article.id, claim);
      if (held === undefined || compareCopies(copyFrom(article), held) < 0) {
        await displace(claim, article, hash);
      } else {
        duplicate(name, article.id);
        logger.debug({ file: name, sameAs: claim.source, url: article.url }, 'duplicate source item skipped');
        record(name, hash, null);
      }
    }
    if (articles.size >= BATCH_SIZE || records.length >= BATCH_SIZE) await flush();
  };

  let done = 0;
  try {
    for await (const item of read.items()) {
      options.signal?.throwIfAborted();
      if (item.name !== names[done]) {
        throw new Error(`${source.kind} source ${source.name}: item ${done} is ${item.name}, but ${names[done] ?? 'nothing'} was listed there`);
      }
      await apply(item);
      const before = done++;
      if (done < total && Math.floor(done / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) {
        options.onProgress?.(done, total);
      }
    }
  } finally {
    await read.close();
  }
  if (done !== total) throw new Error(`${source.kind} source ${source.name}: listed ${total} items but yielded ${done}`);
  await flush();
  options.onProgress?.(total, total);

  const durationMs = Date.now() - started;
  const skipped = (read.skipped ?? []).map((p) => ({ file: p.name, reason: p.reason }));
  logger.info(
    { source: source.kind, name: source.name, ...report, rejected: rejected.length, warnings: warnings.length, skipped: skipped.length, durationMs },
    'source ingested',
  );
  const duplicateItems = duplicateOf.map(({ file, articleId }) => ({ file, keptIn: claims.get(articleId)?.source ?? '?' }));
  return { ...report, duplicateItems, rejected, warnings, skipped, durationMs };
}

/** The stored article an `unchanged` item stands for; a source that says so of anything else is broken. */
function unchangedArticle(source: ArticleSource, item: SourceItem, known: SourceItemRecord | undefined): string {
  if (!known || known.articleId === null || known.contentHash !== item.contentHash) {
    throw new Error(`${source.kind} source ${source.name}: item ${item.name} came unchanged, but no article is stored for its content`);
  }
  return known.articleId;
}

/** What decides which of two items carrying the same article is kept. */
export interface Copy {
  url: string;
  providerDomain: string;
  quality: number;
  publishedAt: string;
  contentHash: string;
}

const copyFrom = (a: Article): Copy => ({
  url: a.url,
  providerDomain: a.provider.domain,
  quality: a.quality,
  publishedAt: a.publishedAt,
  contentHash: a.contentHash,
});

/**
 * Orders two copies of one article (same URL, so same id), the one to keep first: the publisher's own
 * record (its provider domain is the URL's host), then the higher quality, then the earlier publication,
 * then by content. Item names never decide, so the same source keeps the same copy whatever the order.
 */
export function compareCopies(a: Copy, b: Copy): number {
  const home = Number(isPublisherCopy(b)) - Number(isPublisherCopy(a));
  if (home !== 0) return home;
  if (a.quality !== b.quality) return b.quality - a.quality;
  if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt ? -1 : 1;
  return a.contentHash < b.contentHash ? -1 : a.contentHash > b.contentHash ? 1 : 0;
}

function isPublisherCopy(copy: Copy): boolean {
  const host = bareHost(hostOf(copy.url));
  const domain = bareHost(copy.providerDomain.trim().toLowerCase());
  return domain !== '' && (host === domain || host.endsWith(`.${domain}`));
}

const bareHost = (host: string) => (host.startsWith('www.') ? host.slice(4) : host);

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** Which item holds an article id in this run, and how far it has been counted and written. */
interface Claim {
  source: string;
  hash: string;
  /**
   * batch: in the batch not yet written; written: written this run; unchanged: stored before and not
   * parsed; stored: held after the last run by an item later in listing order, not reached yet, or by an
   * item of another source, never reached.
   */
  kind: 'batch' | 'written' | 'unchanged' | 'stored';
  copy?: Copy;
}
