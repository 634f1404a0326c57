/**
 * Ports: what the core needs from the outside world, as narrow async interfaces. Storage is split by
 * aggregate (articles, subscriptions and chat settings, delivery log, source state, feeds); each storage
 * adapter (adapters/storage/sqlite, adapters/storage/postgres, adapters/storage/memory) implements all five
 * and passes the same contract suites (test/contract). Domain computation — topic keys, display names, rank keys — happens in the core
 * and reaches storage as plain values, so a backend never imports ranking or topic code.
 */
import type { Article, Schedule, Subscription, SubscriptionFilters, Target } from './model.js';
import type { Digest } from './types.js';

// ---------------------------------------------------------------------------------------------------
// Articles

/** One row of the topic index: an article under one topic, with the values the core computed for it. */
export interface TopicEntry {
  /** Canonical topic key (aliases resolved by the core). */
  key: string;
  /** Display name for the key; the first name stored for a key wins. */
  name: string;
  /** How the article matches the topic (rank.ts topicMatch): stored, handed back with candidates. */
  match: number;
  /** The time-independent part of the rank key (rank.ts rankBase). */
  rankBase: number;
  /** Publication time in hours since the epoch: the key's time part and the window filter. */
  publishedHours: number;
}

/** An article as the core hands it to storage: the document and its topic index entries (none when removed). */
export interface IndexedArticle {
  article: Article;
  topics: TopicEntry[];
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface TopicCount {
  key: string;
  name: string;
  count: number;
}

export interface CandidateQuery {
  /** Normalised topic keys; an article matching any of them is a candidate. */
  topicKeys: string[];
  /** How many candidates at most per topic key, best rank key first. */
  limit: number;
  /** Article ids to leave out (already delivered). */
  excludeIds?: ReadonlySet<string>;
  /** Only articles published at or after this instant. */
  since?: Date;
  /** Only articles published at or before this instant. */
  until?: Date;
}

export interface Candidate {
  article: Article;
  /** How the article matches the queried topic (the stored TopicEntry.match). */
  topicMatch: number;
}

/**
 * Stored articles and their topic index. The rank key of an entry is `rankBase + publishedHours × weight`,
 * where the core chooses the recency weight (ln 2 / half-life); ordering by it equals ordering by score.
 */
export interface ArticleStore {
  /** Stores articles (replacing the document and entries of an id already stored), in one transaction. */
  upsertArticles(articles: readonly IndexedArticle[]): Promise<UpsertResult>;
  getArticle(id: string): Promise<Article | undefined>;
  /** Live (not removed) articles. */
  articleCount(): Promise<number>;
  /** Live articles for the topics, highest rank key first; with since/until only that publication window. */
  candidates(query: CandidateQuery): Promise<Candidate[]>;
  /** Every live article published in [since, until], whatever its topics, oldest first. */
  windowArticles(since: Date, until: Date): Promise<Article[]>;
  /** How many live articles a topic key has. */
  topicMatchCount(topicKey: string): Promise<number>;
  /** Every topic key with its display name and live article count, most articles first (maintained, not counted). */
  topicCounts(): Promise<TopicCount[]>;
  /** The recency weight rank keys were computed with, undefined before the first setRankWeight. */
  rankWeight(): Promise<number | undefined>;
  /** Recomputes every rank key with a new recency weight. */
  setRankWeight(weight: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Subscriptions and chat settings

export interface NewSubscription {
  target: Target;
  topic: string;
  topicKey: string;
  /** The first local time; ignored when `schedule` is given (its first time is stored). */
  time: string;
  timezone: string;
  nextDueAt: string;
  /** Default: daily at `time`. */
  schedule?: Schedule;
  /** Default: false (the zone follows the chat's). */
  ownZone?: boolean;
  /** Default: null (the scheduler's count). */
  count?: number | null;
  /** Default: none. */
  filters?: SubscriptionFilters;
  /** Default: false. */
  paused?: boolean;
}

/**
 * A change to one subscription: only the fields present are written, every other one keeps what is
 * stored. The core computes `nextDueAt` whenever what it depends on changes.
 */
export interface SubscriptionChanges {
  topic?: string;
  schedule?: Schedule;
  timezone?: string;
  ownZone?: boolean;
  count?: number | null;
  filters?: SubscriptionFilters;
  paused?: boolean;
  /** true wakes a subscription the platform had deactivated (and forgets why); false is setActive's job. */
  active?: true;
  nextDueAt?: string;
}

/**
 * Where something is addressed. A target with a thread is that thread; a target without one, used as a
 * scope, means the whole chat with its threads (a kicked bot leaves every forum topic of the chat).
 */
export type TargetScope = Target;

export interface SubscriptionStore {
  /**
   * Adds a subscription, or replaces every setting of the target's one for the key with `sub`'s (defaults
   * for what `sub` leaves out) and wakes it if the platform had deactivated it. To change some settings
   * only, use updateSubscription.
   */
  upsertSubscription(sub: NewSubscription): Promise<{ subscription: Subscription; created: boolean }>;
  /**
   * Writes the fields `changes` holds and nothing else, in one write; returns the subscription as now
   * stored, or undefined when there is no subscription `id`. Pausing and resuming are changes of `paused`.
   */
  updateSubscription(id: number, changes: SubscriptionChanges): Promise<Subscription | undefined>;
  removeSubscription(target: Target, topicKey: string): Promise<boolean>;
  removeAllSubscriptions(target: Target): Promise<number>;
  listSubscriptions(target: Target): Promise<Subscription[]>;
  getSubscription(id: number): Promise<Subscription | undefined>;
  /** Marks every subscription in the scope (in)active; returns how many changed. */
  setActive(scope: TargetScope, active: boolean, reason?: string): Promise<number>;
  /**
   * Moves subscriptions, settings and sent-article history to a new chat id (Telegram group → supergroup).
   * A scope without a thread moves the whole chat, each thread to the same thread of the new chat; where the
   * new chat already has a subscription to a topic, that one wins. Returns subscriptions moved.
   */
  migrateTarget(from: TargetScope, to: TargetScope): Promise<number>;
  getTimezone(target: Target): Promise<string | undefined>;
  setTimezone(target: Target, timezone: string): Promise<void>;
  /** Active, unpaused subscriptions due at or before `now`, earliest first; optionally of one platform. */
  dueSubscriptions(now: Date, limit: number, platform?: string): Promise<Subscription[]>;
  setNextDue(subscriptionId: number, nextDueAt: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Delivery log

/**
 * A slot's state. `claimed`: one scheduler owns it and nothing of it is on the wire; `sending`: part
 * `partsSent` may be on the wire; `pending`: unfinished and owned by nobody (a claim released after a
 * crash), sent on the next tick from part `partsSent`. The rest are final, except a `failed` row with
 * `retryAt`, which is tried again from then on.
 */
export type DeliveryStatus = 'claimed' | 'sending' | 'pending' | 'sent' | 'empty' | 'skipped' | 'failed';

export interface DeliveryRecord {
  subscriptionId: number;
  /** The due instant this delivery is for, ISO 8601 UTC. */
  slot: string;
  status: DeliveryStatus;
  articleIds: string[];
  /** Human-readable note for logs and `newsbrief` reports; never parsed. */
  detail: string | null;
  updatedAt: string;
  /** Transient failures so far (a rate limit is not one); 0 when none. */
  attempts?: number;
  /** Parts (messages) of the digest the platform has accepted. */
  partsSent?: number;
  /** Parts the digest was rendered into, once known. */
  partsTotal?: number | null;
  /** The digest being sent, kept until the slot is final so that a resume sends the same parts. */
  digest?: Digest | null;
  /** A failed slot is tried again from this instant (ISO 8601); null or absent: failed for good. */
  retryAt?: string | null;
  /** The scheduler instance that owns a `claimed` or `sending` slot. */
  claimedBy?: string | null;
}

/** Progress of a claimed slot (see DeliveryLog.updateClaim). */
export interface DeliveryProgress {
  status: 'claimed' | 'sending';
  partsSent: number;
  partsTotal?: number | null;
  articleIds?: string[];
  digest?: Digest;
}

export interface DeliveryLog {
  getDelivery(subscriptionId: number, slot: string): Promise<DeliveryRecord | undefined>;
  /**
   * Records a delivery; for 'sent' and 'failed' (whose articleIds are what delivered parts showed) also
   * remembers the articles as sent to `target`, and with `nextDueAt` advances the subscription — all in one
   * transaction, so a slot is never recorded without its consequences. With `claimant`, only if that
   * claimant still owns the slot; returns whether anything was written.
   */
  recordDelivery(
    record: Omit<DeliveryRecord, 'updatedAt'>,
    target: Target,
    nextDueAt?: string,
    claimant?: string,
  ): Promise<boolean>;
  /**
   * Claims a slot for `claimant` in one conditional write only one claimant can win: a slot with no row,
   * a `pending` one, or a failed one whose `retryAt` has come. Returns the claimed row, or undefined.
   */
  claimDelivery(subscriptionId: number, slot: string, claimant: string, now: Date): Promise<DeliveryRecord | undefined>;
  /** Records progress of a slot `claimant` owns; false when it no longer does. */
  updateClaim(subscriptionId: number, slot: string, claimant: string, progress: DeliveryProgress): Promise<boolean>;
  /**
   * Hands a claimed or sending slot over to nobody (`pending`), keeping its progress. With `owner`, only
   * while that claimant still owns it (settling a dead scheduler's slot must not undo a live one's).
   */
  releaseDelivery(subscriptionId: number, slot: string, partsSent?: number, detail?: string | null, owner?: string): Promise<void>;
  /** The subscription's deliveries, latest slot first. */
  deliveries(subscriptionId: number, limit?: number): Promise<DeliveryRecord[]>;
  /** The latest slot before `beforeSlot` that was 'sent' or 'empty': a scheduled digest holds only newer articles. */
  lastDeliveredSlot(subscriptionId: number, beforeSlot: string): Promise<string | undefined>;
  /** Deliveries in a given state across all subscriptions (crash recovery looks for 'sending'). */
  deliveriesWithStatus(status: DeliveryStatus): Promise<DeliveryRecord[]>;
  /** Ids of every article ever sent to the target. */
  sentArticleIds(target: Target): Promise<Set<string>>;

  // Chat leases: several schedulers on one database (npm start × N on Postgres) split the work by chat.
  // A scheduler works on a chat's due slots only while it holds the chat's lease, so one chat's digests
  // never run in two processes at once (no article picked twice, the chat's pacing in one place), and a
  // slot claimed by a scheduler that no longer holds the chat's lease belongs to a dead (or stalled)
  // process: the lease holder settles it, as recover() does after a crash.

  /**
   * Takes or renews the lease on a chat (platform + chat id, every thread of it) for `claimant` until
   * `until`, in one conditional write: it succeeds when nobody holds the lease, when the holder's lease
   * ended at or before `now`, or when `claimant` holds it already. Returns whether `claimant` holds it.
   */
  leaseChat(platform: string, chatId: string, claimant: string, now: Date, until: Date): Promise<boolean>;
  /** Extends every lease `claimant` still holds to `until`; returns how many. */
  renewLeases(claimant: string, until: Date): Promise<number>;
  /** Gives up `claimant`'s lease on the chat (no-op when another holds it). */
  releaseChat(platform: string, chatId: string, claimant: string): Promise<void>;
  /** Gives up every lease `claimant` holds (a scheduler stopping); returns how many. */
  releaseLeases(claimant: string): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------
// Source state

/** What ingest remembers about one source item (a seed file), so an unchanged one is skipped unparsed. */
export interface SourceItemRecord {
  /** The item's name within its source (a seed file's path relative to the folder, `feed:<id>/<hash>` for a feed entry). */
  source: string;
  contentHash: string;
  articleId: string | null;
}

export interface SourceStateStore {
  sourceItems(): Promise<Map<string, SourceItemRecord>>;
  recordSourceItems(records: readonly SourceItemRecord[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Feed sources

/**
 * A feed as an operator adds it (`newsbrief sources add URL --topic AI`). The core normalises the URL and
 * topic names first: storage compares URLs exactly.
 */
export interface NewFeed {
  url: string;
  /** The operator's name for it; null shows the feed's own title. */
  name: string | null;
  /** Topics its items are filed under, in the operator's order. */
  topics: string[];
  /** The quality its items get. */
  quality: number;
}

/** A stored feed: what the operator set, and what polling it has learnt so far. Instants are ISO 8601 UTC. */
export interface FeedRecord {
  /** Never reused, so nothing said about a removed feed can be taken for a later one. */
  id: number;
  url: string;
  name: string | null;
  topics: string[];
  quality: number;
  /** False: never claimed for polling until enabled again. */
  enabled: boolean;
  /** Why it was disabled (by the operator or after too many failures); null while enabled. */
  disabledReason: string | null;
  /** Validators of the last good response, sent back so an unchanged feed answers 304. */
  etag: string | null;
  lastModified: string | null;
  lastFetchAt: string | null;
  lastSuccessAt: string | null;
  /** Human-readable outcome of the last poll ("200, 12 items (3 new)", "error: timeout"); never parsed. */
  lastStatus: string | null;
  /** Consecutive failed polls; 0 after a success. */
  failures: number;
  /** When it is due; while a poller holds it, the end of that poller's claim. */
  nextFetchAt: string;
  /** New articles its polls have stored, in total. */
  items: number;
  /** What the feed calls itself and the site it belongs to, as its last good response said. */
  feedTitle: string | null;
  siteUrl: string | null;
  createdAt: string;
}

/**
 * What one poll of a feed did, recorded in one write. An optional field left out keeps what is stored;
 * null clears it.
 */
export interface FeedFetchOutcome {
  at: Date;
  /** Becomes `lastStatus`. */
  status: string;
  /** A usable response (200 or 304): `lastSuccessAt` becomes `at`. */
  ok: boolean;
  etag?: string | null;
  lastModified?: string | null;
  /**
   * Where the feed answered from after a permanent redirect: the feed moves there. When another feed has
   * that URL already, this one keeps its URL and `lastStatus` says so (the operator removes one of the two).
   */
  url?: string;
  nextFetchAt: Date;
  /** Consecutive failures, as the poller counted them (0 after a success). */
  failures: number;
  /** A reason disables the feed (gone for good, failing for days); null or absent leaves `enabled` alone. */
  disable?: string | null;
  /** Articles this poll stored that were new: added to `items`. */
  newItems?: number;
  feedTitle?: string | null;
  siteUrl?: string | null;
  /**
   * The `leaseUntil` the poller claimed the feed with: the outcome is written only while that claim still
   * stands, so a poller that stalled past its lease cannot overwrite what the feed's next poller recorded.
   */
  claimedUntil?: Date;
}

/**
 * The feeds an operator manages, and their polling state. Several instances on one database poll together:
 * `claimDueFeeds` hands each due feed to one of them at a time.
 */
export interface FeedStore {
  /**
   * Adds a feed, due at `now`. A URL already stored is not added twice: that feed gets the new name, topics
   * and quality and keeps everything else (its id, polling state, and whether it is enabled).
   */
  addFeed(feed: NewFeed, now: Date): Promise<{ feed: FeedRecord; created: boolean }>;
  /** Forgets a feed; articles it brought stay. False when there was no such feed. */
  removeFeed(id: number): Promise<boolean>;
  getFeed(id: number): Promise<FeedRecord | undefined>;
  findFeed(url: string): Promise<FeedRecord | undefined>;
  /** Every feed, enabled or not, by id. */
  listFeeds(): Promise<FeedRecord[]>;
  /**
   * Stops polling a feed, keeping `reason` (a disabled feed's reason is replaced). Undefined when there is
   * no such feed.
   */
  disableFeed(id: number, reason: string | null): Promise<FeedRecord | undefined>;
  /**
   * Polls a disabled feed again: clears the reason and the failure count and makes it due at `now`. An
   * enabled feed is left as it is (it may be claimed by a poller right now). Undefined when there is no
   * such feed.
   */
  enableFeed(id: number, now: Date): Promise<FeedRecord | undefined>;
  /**
   * Claims up to `limit` enabled feeds due at or before `now`, earliest due first, for one poller until
   * `leaseUntil` (after `now`): the claim is `nextFetchAt` moved to `leaseUntil`, made in one conditional
   * write, so two pollers (processes) never get the same feed, and a feed whose poller died comes due again
   * when the lease ends. The poller ends its claim with recordFetch. Returns the feeds as claimed.
   */
  claimDueFeeds(now: Date, leaseUntil: Date, limit: number): Promise<FeedRecord[]>;
  /**
   * Records a poll's outcome in one write (see FeedFetchOutcome). Returns the feed as now stored, or
   * undefined when nothing was written: no such feed, or `claimedUntil` no longer its claim.
   */
  recordFetch(id: number, outcome: FeedFetchOutcome): Promise<FeedRecord | undefined>;
}

// ---------------------------------------------------------------------------------------------------
// Storage as a whole

/** The file behind the storage was deleted or replaced while open: writes would vanish, so none are accepted. */
export class StorageGoneError extends Error {
  /** `location` names the database for the operator ("database file /var/lib/newsbrief.db"). */
  constructor(readonly location: string, why: string) {
    super(`${location} ${why} while Newsbrief was running; writes would be lost, so it stops. Restore it or restart to create a new one.`);
    this.name = 'StorageGoneError';
  }
}

/** One backend: the five stores over one database. */
export interface Storage {
  readonly articles: ArticleStore;
  readonly subscriptions: SubscriptionStore;
  readonly deliveries: DeliveryLog;
  readonly sources: SourceStateStore;
  readonly feeds: FeedStore;
  /** Rejects with StorageGoneError when the database behind the storage is gone; the scheduler checks each tick. */
  checkIntact(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Platforms

/** What a platform reports after trying to deliver a digest to a target. */
export type DeliveryOutcome =
  | { ok: true; messages: number }
  | {
      ok: false;
      /** True when retrying cannot help (blocked, kicked, channel gone): the target is deactivated. */
      permanent: boolean;
      reason: string;
      /** The chat moved to this id (Telegram group → supergroup); the scheduler moves the target. */
      migrateTo?: Target;
      /** The platform asked to wait this long and the deliverer did not: retried no sooner than this. */
      retryAfterMs?: number;
    };

/** What the scheduler hears from a deliverer while it works. */
export interface DeliverHooks {
  /** Parts an earlier attempt already delivered: send from this part on (the same digest renders the same). */
  fromPart?: number;
  /**
   * Called right before a request for `part` (0-based, of `parts`) leaves, after any pacing or rate-limit
   * wait, and again before each retry. Rejects when the scheduler no longer owns the slot: then nothing
   * may be sent.
   */
  onSending?(part?: number, parts?: number): Promise<void>;
  /** The platform accepted `part`; `itemsShown`: how many items (from the first) parts 0..part show. */
  onPartSent?(part: number, itemsShown?: number): Promise<void>;
  /** The platform refused the request (a 429, an error): the part is not on the wire. */
  onNotSent?(): Promise<void>;
}

/** What the scheduler hands a deliverer besides the digest. */
export interface DeliveryContext {
  /** The zone dates in the digest are shown in: the subscription's own. */
  timezone: string;
}

/**
 * A chat platform's side of scheduled delivery. Must not throw for platform errors; it reports them as an
 * outcome. A deliverer that never calls `hooks.onSending` makes delivery at-least-once across crashes.
 */
export interface Deliverer {
  /** Open set: 'telegram', 'discord', 'console', or any other adapter's id. */
  readonly platform: string;
  /** True when resending a part that may have arrived cannot show twice (Discord's nonce). */
  readonly resendIsHarmless?: boolean;
  deliver(target: Target, digest: Digest, context: DeliveryContext, hooks?: DeliverHooks): Promise<DeliveryOutcome>;
}

/**
 * One send budget per bot token shared by every instance (several npm start on one Postgres): each call
 * reserves the next free sending instant under `key`, `intervalMs` after the one reserved before it, and
 * resolves to how long the caller must wait before that instant. Without one, a platform adapter paces
 * within its own process only.
 */
export interface RateBudget {
  reserve(key: string, intervalMs: number): Promise<number>;
}

/** The current time; tests pass a controllable one. */
export type Clock = () => Date;
