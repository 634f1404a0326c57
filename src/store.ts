import type { Article, Subscription, Target } from './model.js';
import type { Digest } from './types.js';

/** What ingest remembers about one seed file, so an unchanged file is skipped without parsing. */
export interface SeedFileRecord {
  source: string;
  contentHash: string;
  articleId: string | null;
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
  /** How many candidates at most per topic key, best static rank first. */
  limit: number;
  /** Article ids to leave out (already delivered). */
  excludeIds?: ReadonlySet<string>;
  /** Only articles published at or after this instant (a range on the indexed publication time). */
  since?: Date;
  /** Only articles published at or before this instant. */
  until?: Date;
}

export interface Candidate {
  article: Article;
  /** How the article matches the queried topic (see rank.ts topicMatch). */
  topicMatch: number;
}

export interface NewSubscription {
  target: Target;
  topic: string;
  topicKey: string;
  time: string;
  timezone: string;
  nextDueAt: string;
}

/**
 * A slot's state in the delivery log. `claimed`: one scheduler owns it and nothing of it is on the wire;
 * `sending`: part `partsSent` may be on the wire; `pending`: unfinished and owned by nobody (a claim
 * released after a crash), sent on the next tick from part `partsSent`. The rest are final, except a
 * `failed` row with `retryAt`, which is tried again from then on.
 */
export type DeliveryStatus = 'claimed' | 'sending' | 'pending' | 'sent' | 'empty' | 'skipped' | 'failed';

export interface DeliveryRecord {
  subscriptionId: number;
  /** The due instant this delivery is for, ISO 8601 UTC. */
  slot: string;
  status: DeliveryStatus;
  articleIds: string[];
  detail: string | null;
  updatedAt: string;
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

/** Progress of a claimed slot (see Store.updateClaim). */
export interface DeliveryProgress {
  status: 'claimed' | 'sending';
  partsSent: number;
  partsTotal?: number | null;
  articleIds?: string[];
  digest?: Digest;
}

/** The file behind the store was deleted or replaced while open: writes would vanish, so none are accepted. */
export class DatabaseGoneError extends Error {
  constructor(readonly path: string, why: string) {
    super(`database file ${path} ${why} while Newsbrief was running; writes would be lost, so it stops. Restore the file or restart to create a new one.`);
    this.name = 'DatabaseGoneError';
  }
}

/**
 * Persistence for the core. The SQLite store is the one implementation today; the interface keeps the
 * rest of the core free of SQL so that a second backend can come later.
 */
export interface Store {
  // Articles and ingest bookkeeping
  seedFiles(): Map<string, SeedFileRecord>;
  /** Stores articles and their seed-file records in one transaction. */
  upsertArticles(articles: Article[]): UpsertResult;
  recordSeedFiles(records: SeedFileRecord[]): void;
  getArticle(id: string): Article | undefined;
  articleCount(): number;
  /**
   * Live (not removed) articles for the topics, best static rank (quality and recency) first; with
   * `since`/`until`, only those published in that window, read through the window index.
   */
  candidates(query: CandidateQuery): Candidate[];
  /** Every live article published in [since, until], whatever its topics, oldest first. */
  windowArticles(since: Date, until: Date): Article[];
  /** How many live articles a topic has. */
  topicMatchCount(topicKey: string): number;
  topicCounts(): TopicCount[];

  // Subscriptions
  /** Adds a subscription, or updates time and zone of the target's existing one for the topic. */
  upsertSubscription(sub: NewSubscription): { subscription: Subscription; created: boolean };
  removeSubscription(target: Target, topicKey: string): boolean;
  removeAllSubscriptions(target: Target): number;
  listSubscriptions(target: Target): Subscription[];
  getSubscription(id: number): Subscription | undefined;
  /**
   * Marks every subscription of the target (in)active; returns how many changed. A target without a
   * thread means the whole chat, its forum topics included.
   */
  setTargetActive(target: Target, active: boolean, reason?: string): number;
  /**
   * Moves a chat's subscriptions, settings and history to a new id (Telegram group → supergroup); a target
   * without a thread moves the whole chat, each forum topic to the same topic of the new chat.
   */
  migrateTarget(from: Target, to: Target): number;
  getTimezone(target: Target): string | undefined;
  setTimezone(target: Target, timezone: string): void;

  // Schedule and delivery log
  /** Active subscriptions whose next due instant is at or before `now`, earliest first; optionally one platform's. */
  dueSubscriptions(now: Date, limit: number, platform?: Target['platform']): Subscription[];
  setNextDue(subscriptionId: number, nextDueAt: string): void;
  getDelivery(subscriptionId: number, slot: string): DeliveryRecord | undefined;
  /**
   * Records a delivery; for 'sent' (and 'failed', whose articleIds are what delivered parts showed) also
   * remembers the articles as sent to the target, atomically. With
   * `claimant`, only if that claimant still owns the slot; returns whether anything was written.
   */
  recordDelivery(record: Omit<DeliveryRecord, 'updatedAt'>, target: Target, nextDueAt?: string, claimant?: string): boolean;
  /**
   * Claims a slot for `claimant` in one conditional write only one claimant can win: a slot with no row,
   * a `pending` one, or a failed one whose `retryAt` has come. Returns the claimed row, or undefined.
   */
  claimDelivery(subscriptionId: number, slot: string, claimant: string, now: Date): DeliveryRecord | undefined;
  /** Records progress of a slot `claimant` owns; false when it no longer does. */
  updateClaim(subscriptionId: number, slot: string, claimant: string, progress: DeliveryProgress): boolean;
  /** Hands a claimed or sending slot over to nobody (`pending`), keeping its progress. */
  releaseDelivery(subscriptionId: number, slot: string, partsSent?: number, detail?: string | null): void;
  /** Throws DatabaseGoneError when the storage behind the store was deleted or replaced. */
  checkIntact(): void;
  deliveries(subscriptionId: number, limit?: number): DeliveryRecord[];
  /**
   * The slot of the subscription's latest delivery before `beforeSlot` that went out or found nothing new
   * ('sent' or 'empty'): a scheduled digest holds only articles published after it.
   */
  lastDeliveredSlot(subscriptionId: number, beforeSlot: string): string | undefined;
  /** Deliveries in a given state across all subscriptions (crash recovery looks for 'sending'). */
  deliveriesWithStatus(status: DeliveryStatus): DeliveryRecord[];
  /** Ids of every article ever sent to the target. */
  sentArticleIds(target: Target): Set<string>;

  close(): void;
}

/** One string per target, used as a key in storage and logs. */
export function targetKey(target: Target): string {
  return [target.platform, target.chatId, target.threadId ?? ''].join(':');
}
