// Polls the feeds in the FeedStore: claims the due ones, fetches them politely, ingests what changed through
// the core, and records each outcome with when to come back (interval, back-off, disabling).
import {
  cutAtWord,
  ingest,
  silentLogger,
  type FeedFetchOutcome,
  type FeedRecord,
  type IngestReport,
  type Logger,
  type Storage,
  type TopicAliases,
} from '../../../src/index.js';
import { IngestLane } from '../ingest-lane.js';
import { htmlToText, type FeedInfo } from './articles.js';
import { FETCH_DEFAULTS, HostLimiter, HostQueueFullError, fetchFeed, type FetchResult } from './fetch.js';
import { parseFeedBody } from './parse.js';
import { FeedBodySource } from './source.js';

export const POLLER_DEFAULTS = {
  concurrency: 8,
  leaseMs: 120_000,
  defaultIntervalMs: 30 * 60_000,
  minIntervalMs: 5 * 60_000,
  maxBackoffMs: 24 * 3_600_000,
  maxFailures: 10,
  /** Consecutive failures, the last a permanent one (404, a refused URL), after which a feed is disabled. */
  permanentFailures: 3,
  fetchTimeoutMs: FETCH_DEFAULTS.timeoutMs,
} as const;

/** Longest `lastStatus` and disable reason stored: a server's reason phrase or a parser message is not ours to bound. */
const MAX_STATUS = 500;
/** Longest feed title stored for display. */
const MAX_TITLE = 300;

export interface FeedPollerOptions {
  storage: Storage;
  /** Sent with every request; see `feedUserAgent`. */
  userAgent: string;
  /** Fetch from loopback and private addresses too (default false). */
  allowPrivate?: boolean;
  /** Per-host politeness (default: 2 at a time per host, 1 s between starts). */
  limiter?: HostLimiter;
  /** Feeds fetched at once (default 8). */
  concurrency?: number;
  /** How long a claim keeps other pollers off a feed; more than the fetch timeout (default 120 s). */
  leaseMs?: number;
  /** When a feed is polled again after a good poll whose response said nothing about caching (default 30 min). */
  defaultIntervalMs?: number;
  /** A feed's max-age never makes it polled more often than this (default 5 min). */
  minIntervalMs?: number;
  /** The longest wait after failures, and after a long max-age (default 24 h). */
  maxBackoffMs?: number;
  /** Consecutive failures of any kind after which a feed is disabled (default 10). */
  maxFailures?: number;
  /** Consecutive failures ending in a permanent one (404, 401, a refused URL) that disable a feed (default 3). */
  permanentFailures?: number;
  /** Deadline for one fetch, redirects and body included (default 20 s). */
  fetchTimeoutMs?: number;
  logger?: Logger;
  clock?: () => Date;
  /** Topic aliases the articles are indexed with (as the seed ingest's). */
  aliases?: TopicAliases;
  /** Serialises ingests with the other sources of the process (default: a lane of this poller's own). */
  lane?: IngestLane;
  /** The fetcher (tests). */
  fetch?: typeof fetchFeed;
  /** Hears of each feed once its poll is over. */
  onProgress?: (result: FeedPollResult) => void;
}

/** What one poll of one feed did. */
export interface FeedPollResult {
  feedId: number;
  /** The URL polled (a permanent redirect's target is the feed's URL from now on: see `feed`). */
  url: string;
  /**
   * fetched: a 200 parsed and ingested; not-modified: a 304; failed: an error, or a body that is no feed;
   * skipped: not polled after all (stopping, or its claim about to run out), nothing recorded.
   */
  outcome: 'fetched' | 'not-modified' | 'failed' | 'skipped';
  /** As recorded in `lastStatus`. */
  status: string;
  newArticles: number;
  updatedArticles: number;
  /** Entries of the feed that did not become articles. */
  rejected: number;
  /** Why this poll disabled the feed, else null. */
  disabled: string | null;
  /** When the feed is due next, as recorded; null when nothing was recorded. */
  nextFetchAt: Date | null;
  /** The feed as stored after the poll; undefined when nothing was written (skipped, claim passed, feed removed). */
  feed: FeedRecord | undefined;
}

/** One cycle's totals. */
export interface PollReport {
  /** Feeds claimed and handled in this cycle. */
  feeds: number;
  fetched: number;
  notModified: number;
  failed: number;
  skipped: number;
  /** Feeds this cycle disabled. */
  disabled: number;
  newArticles: number;
  updatedArticles: number;
  rejected: number;
  durationMs: number;
}

/** The User-Agent feeds see: who is asking, and whom to tell when it misbehaves. */
export function feedUserAgent(version: string, contact: string | undefined): string {
  return contact ? `Newsbrief/${version} (+${contact})` : `Newsbrief/${version} (no contact given)`;
}

type FetchError = Extract<FetchResult, { kind: 'error' }>;
type Failure = Pick<FetchError, 'reason' | 'status' | 'retryAfterMs' | 'permanent'>;

/**
 * Polls due feeds: `pollDue` claims them in batches (`claimDueFeeds`, so several pollers on one database
 * never fetch a feed twice), fetches `concurrency` at a time through the per-host limiter, and ingests each
 * changed body through the ingest lane (one ingest at a time per process, and across processes when the lane
 * holds a shared lock). A feed that fails never holds up or breaks the others.
 *
 * After a good poll a feed is due again after its max-age (at least `minIntervalMs`, at most `maxBackoffMs`)
 * or `defaultIntervalMs`. After a failure it backs off: `defaultIntervalMs × 2^(failures − 1)`, at most
 * `maxBackoffMs`, or longer when the server's Retry-After says so. It is disabled, with the reason kept, on a
 * 410, on a permanent error (404, 401, a refused URL …) that is its `permanentFailures`th failure in a row,
 * and after `maxFailures` failures of any kind.
 */
export class FeedPoller {
  private readonly storage: Storage;
  private readonly userAgent: string;
  private readonly allowPrivate: boolean;
  private readonly limiter: HostLimiter;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly defaultIntervalMs: number;
  private readonly minIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxFailures: number;
  private readonly permanentFailures: number;
  private readonly fetchTimeoutMs: number;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly aliases: TopicAliases | undefined;
  private readonly lane: IngestLane;
  private readonly fetch: typeof fetchFeed;
  private readonly onProgress: ((result: FeedPollResult) => void) | undefined;
  private readonly stopper = new AbortController();
  private cycle: Promise<PollReport> | undefined;
  private readonly running = new Set<Promise<unknown>>();

  constructor(options: FeedPollerOptions) {
    this.storage = options.storage;
    this.userAgent = options.userAgent;
    this.allowPrivate = options.allowPrivate ?? false;
    this.limiter = options.limiter ?? new HostLimiter();
    this.concurrency = whole('concurrency', options.concurrency ?? POLLER_DEFAULTS.concurrency, 1);
    this.fetchTimeoutMs = positive('fetchTimeoutMs', options.fetchTimeoutMs ?? POLLER_DEFAULTS.fetchTimeoutMs);
    this.leaseMs = positive('leaseMs', options.leaseMs ?? POLLER_DEFAULTS.leaseMs);
    if (this.leaseMs <= this.fetchTimeoutMs) {
      throw new RangeError(`FeedPoller: leaseMs (${this.leaseMs}) must be longer than fetchTimeoutMs (${this.fetchTimeoutMs})`);
    }
    this.minIntervalMs = positive('minIntervalMs', options.minIntervalMs ?? POLLER_DEFAULTS.minIntervalMs);
    this.defaultIntervalMs = Math.max(this.minIntervalMs, positive('defaultIntervalMs', options.defaultIntervalMs ?? POLLER_DEFAULTS.defaultIntervalMs));
    this.maxBackoffMs = Math.max(this.defaultIntervalMs, positive('maxBackoffMs', options.maxBackoffMs ?? POLLER_DEFAULTS.maxBackoffMs));
    this.maxFailures = whole('maxFailures', options.maxFailures ?? POLLER_DEFAULTS.maxFailures, 1);
    this.permanentFailures = whole('permanentFailures', options.permanentFailures ?? POLLER_DEFAULTS.permanentFailures, 1);
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? (() => new Date());
    this.aliases = options.aliases;
    this.lane = options.lane ?? new IngestLane();
    this.fetch = options.fetch ?? fetchFeed;
    this.onProgress = options.onProgress;
  }

  /**
   * Polls every feed due now, claiming a batch at a time until the store has none left. A call while a
   * cycle runs joins that cycle instead of starting another. Rejects only when the store cannot hand out
   * feeds at all; each feed's own trouble is recorded on the feed.
   */
  pollDue(): Promise<PollReport> {
    this.cycle ??= this.track(this.runCycle()).finally(() => (this.cycle = undefined));
    return this.cycle;
  }

  /**
   * Polls one feed now, due or not, enabled or not (`newsbrief sources poll`), and records the outcome as a
   * cycle would. Undefined when there is no such feed.
   */
  async pollFeed(id: number): Promise<FeedPollResult | undefined> {
    return this.track(
      (async () => {
        const feed = await this.storage.feeds.getFeed(id);
        if (!feed) return undefined;
        const result = await this.poll(feed, undefined);
        this.onProgress?.(result);
        return result;
      })(),
    );
  }

  /**
   * Stops: fetches under way are cancelled, no more feeds are claimed, and this resolves once the work under
   * way has ended. A feed cut off is not recorded: its claim runs out after `leaseMs` and it is due again.
   */
  async stop(): Promise<void> {
    if (!this.stopper.signal.aborted) this.stopper.abort(new Error('the feed poller is stopping'));
    await Promise.allSettled([...this.running]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    void work.finally(() => this.running.delete(work)).catch(() => {});
    return work;
  }

  private get stopping(): boolean {
    return this.stopper.signal.aborted;
  }

  private async runCycle(): Promise<PollReport> {
    const started = performance.now();
    const report: PollReport = {
      feeds: 0,
      fetched: 0,
      notModified: 0,
      failed: 0,
      skipped: 0,
      disabled: 0,
      newArticles: 0,
      updatedArticles: 0,
      rejected: 0,
      durationMs: 0,
    };
    const queue: Array<{ feed: FeedRecord; claimedUntil: Date }> = [];
    const seen = new Set<number>();
    // Enough claimed ahead that no worker waits for the store, few enough that none waits long on its claim.
    const batch = this.concurrency * 2;
    let exhausted = false;
    let claimError: unknown;
    let refilling: Promise<void> | undefined;

    const refill = async () => {
      try {
        const now = this.clock();
        const claimedUntil = new Date(now.getTime() + this.leaseMs);
        const claimed = await this.storage.feeds.claimDueFeeds(now, claimedUntil, batch);
        if (claimed.length < batch) exhausted = true;
        for (const feed of claimed) {
          // Due again within this cycle (a claim of it lapsed): poll it, then leave the rest to the next cycle.
          if (seen.has(feed.id)) exhausted = true;
          seen.add(feed.id);
          queue.push({ feed, claimedUntil });
        }
      } catch (error) {
        exhausted = true;
        claimError = error;
      }
    };

    const worker = async () => {
      for (;;) {
        if (this.stopping) return;
        const next = queue.shift();
        if (next === undefined) {
          if (exhausted) return;
          refilling ??= refill().finally(() => (refilling = undefined));
          await refilling;
          continue;
        }
        const result = await this.poll(next.feed, next.claimedUntil);
        tally(report, result);
        this.onProgress?.(result);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    report.durationMs = Math.round(performance.now() - started);
    if (claimError !== undefined) {
      const message = claimError instanceof Error ? claimError.message : String(claimError);
      throw new Error(`FeedPoller.pollDue: cannot claim due feeds (${report.feeds} polled before): ${message}`, { cause: claimError });
    }
    return report;
  }

  /** One feed, start to end; never throws. */
  private async poll(feed: FeedRecord, claimedUntil: Date | undefined): Promise<FeedPollResult> {
    const base = { feedId: feed.id, url: feed.url };
    const skipped = (status: string): FeedPollResult => ({
      ...base,
      outcome: 'skipped',
      status,
      newArticles: 0,
      updatedArticles: 0,
      rejected: 0,
      disabled: null,
      nextFetchAt: null,
      feed: undefined,
    });
    if (this.stopping) return skipped('not polled: stopping');
    // Fetched this late, its outcome could land after the claim ended, when another poller may have it.
    if (claimedUntil !== undefined && this.clock().getTime() > claimedUntil.getTime() - this.fetchTimeoutMs) {
      this.logger.debug({ feedId: feed.id, url: feed.url }, 'feed not polled: its claim runs out before a fetch could end; due again then');
      return skipped('not polled: claim about to run out');
    }

    const started = performance.now();
    let polled: Polled;
    try {
      polled = await this.fetchAndIngest(feed);
    } catch (error) {
      if (this.stopping) return skipped('not polled: stopping');
      if (error instanceof HostQueueFullError) {
        this.logger.warn({ feedId: feed.id, url: feed.url, err: error }, 'feed not polled: too many requests wait for its host; due again when its claim runs out');
        return skipped(`not polled: ${error.message}`);
      }
      // A defect or a storage failure while ingesting: recorded as this feed's failure, never the others'.
      this.logger.error({ feedId: feed.id, url: feed.url, err: error }, 'feed poll failed unexpectedly');
      polled = { kind: 'failed', failure: { reason: `internal error: ${messageOf(error)}`, status: null, retryAfterMs: null, permanent: false } };
    }

    const now = this.clock();
    const outcome = this.outcomeOf(feed, polled, now);
    if (claimedUntil !== undefined) outcome.claimedUntil = claimedUntil;
    let stored: FeedRecord | undefined;
    try {
      stored = await this.storage.feeds.recordFetch(feed.id, outcome);
      if (!stored) {
        this.logger.warn({ feedId: feed.id, url: feed.url }, 'feed poll not recorded: the feed was removed, or its claim ended before the poll did');
      }
    } catch (error) {
      this.logger.error({ feedId: feed.id, url: feed.url, err: error }, 'feed poll could not be recorded; due again when its claim runs out');
    }

    const ms = Math.round(performance.now() - started);
    const disabled = stored && !stored.enabled && outcome.disable ? outcome.disable : null;
    if (polled.kind === 'failed') {
      this.logger.warn(
        { feedId: feed.id, url: feed.url, failures: outcome.failures, reason: polled.failure.reason, nextFetchAt: outcome.nextFetchAt.toISOString(), ms },
        'feed poll failed',
      );
    } else {
      this.logger.debug({ feedId: feed.id, url: feed.url, status: outcome.status, nextFetchAt: outcome.nextFetchAt.toISOString(), ms }, 'feed polled');
    }
    if (disabled) this.logger.warn({ feedId: feed.id, url: feed.url, reason: disabled }, 'feed disabled');
    const report = polled.kind === 'fetched' ? polled.report : undefined;
    return {
      ...base,
      outcome: polled.kind,
      status: outcome.status,
      newArticles: report?.accepted ?? 0,
      updatedArticles: report?.updated ?? 0,
      rejected: report?.rejected.length ?? 0,
      disabled,
      nextFetchAt: stored ? outcome.nextFetchAt : null,
      feed: stored,
    };
  }

  /** Fetches through the limiter and, for a new body, parses and ingests it (in the lane). Throws only on a defect. */
  private async fetchAndIngest(feed: FeedRecord): Promise<Polled> {
    const signal = this.stopper.signal;
    const fetched = await this.limiter.run(
      feed.url,
      () =>
        this.fetch(feed.url, {
          etag: feed.etag,
          lastModified: feed.lastModified,
          userAgent: this.userAgent,
          allowPrivate: this.allowPrivate,
          timeoutMs: this.fetchTimeoutMs,
          signal,
        }),
      { signal },
    );
    // A cancelled fetch is no failure of the feed's.
    if (this.stopping) throw signal.reason;
    if (fetched.kind === 'error') return { kind: 'failed', failure: fetched };
    if (fetched.kind === 'not-modified') return { kind: 'not-modified', fetched };
    const parsed = parseFeedBody(fetched.body, fetched.finalUrl);
    if (!parsed.ok) {
      return { kind: 'failed', failure: { reason: `${parsed.reason}: ${fetched.finalUrl}`, status: fetched.status, retryAfterMs: null, permanent: false } };
    }
    // Title and site come from this body, not from what was stored: an entry's hash depends on them.
    const info: FeedInfo = { feedId: feed.id, feedUrl: fetched.finalUrl, name: feed.name, topics: feed.topics, quality: feed.quality };
    const source = new FeedBodySource(info, parsed.feed, this.clock());
    const report = await this.lane.run(() => ingest(source, this.storage, { aliases: this.aliases, logger: this.logger, signal }));
    return { kind: 'fetched', fetched, report, items: parsed.feed.items.length, truncated: parsed.feed.truncated, title: parsed.feed.title, siteUrl: parsed.feed.siteUrl };
  }

  /** The record of a poll, and when the feed is due next. */
  private outcomeOf(feed: FeedRecord, polled: Polled, now: Date): FeedFetchOutcome {
    if (polled.kind === 'failed') return this.failureOutcome(feed, polled.failure, now);
    const { fetched } = polled;
    const wait = Math.min(this.maxBackoffMs, Math.max(this.minIntervalMs, fetched.maxAgeMs ?? this.defaultIntervalMs));
    const outcome: FeedFetchOutcome = {
      at: now,
      status: '304 not modified',
      ok: true,
      etag: fetched.etag,
      lastModified: fetched.lastModified,
      nextFetchAt: new Date(now.getTime() + wait),
      failures: 0,
    };
    if (fetched.permanentRedirect !== null && fetched.permanentRedirect !== feed.url) outcome.url = fetched.permanentRedirect;
    if (polled.kind === 'fetched') {
      const { report } = polled;
      const parts = [`${polled.fetched.status}`, `${polled.items}${polled.truncated ? '+' : ''} items`, `${report.accepted} new`];
      if (report.updated > 0) parts.push(`${report.updated} updated`);
      if (report.rejected.length > 0) parts.push(`${report.rejected.length} rejected`);
      outcome.status = parts.join(', ');
      outcome.newItems = report.accepted;
      const title = polled.title === undefined ? '' : cutAtWord(htmlToText(polled.title), MAX_TITLE);
      outcome.feedTitle = title === '' ? null : title;
      outcome.siteUrl = polled.siteUrl ?? null;
    }
    return outcome;
  }

  private failureOutcome(feed: FeedRecord, failure: Failure, now: Date): FeedFetchOutcome {
    const failures = feed.failures + 1;
    const backoff = Math.min(this.maxBackoffMs, this.defaultIntervalMs * 2 ** Math.min(failures - 1, 40));
    const wait = Math.max(backoff, failure.retryAfterMs ?? 0);
    const reason = clip(failure.reason);
    let disable: string | null = null;
    if (failure.status === 410) disable = clip(`gone: ${reason}`);
    else if (failure.permanent && failures >= this.permanentFailures) disable = clip(`${failures} failures in a row, the last permanent: ${reason}`);
    else if (failures >= this.maxFailures) disable = clip(`${failures} failures in a row, the last: ${reason}`);
    return { at: now, status: clip(`error: ${reason}`), ok: false, nextFetchAt: new Date(now.getTime() + wait), failures, disable };
  }
}

type Polled =
  | { kind: 'failed'; failure: Failure }
  | { kind: 'not-modified'; fetched: Extract<FetchResult, { kind: 'not-modified' }> }
  | {
      kind: 'fetched';
      fetched: Extract<FetchResult, { kind: 'ok' }>;
      report: IngestReport;
      items: number;
      truncated: boolean;
      title: string | undefined;
      siteUrl: string | undefined;
    };

function tally(report: PollReport, result: FeedPollResult): void {
  report.feeds++;
  if (result.outcome === 'fetched') report.fetched++;
  else if (result.outcome === 'not-modified') report.notModified++;
  else if (result.outcome === 'failed') report.failed++;
  else report.skipped++;
  if (result.disabled !== null) report.disabled++;
  report.newArticles += result.newArticles;
  report.updatedArticles += result.updatedArticles;
  report.rejected += result.rejected;
}

const clip = (text: string): string => (text.length > MAX_STATUS ? `${text.slice(0, MAX_STATUS - 1)}…` : text);

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!.slice(0, 300);

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`FeedPoller: ${name} must be a positive number of milliseconds (got ${value})`);
  return value;
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`FeedPoller: ${name} must be a whole number of at least ${min} (got ${value})`);
  return value;
}
