import type { Article, Subscription, Target } from './model.js';

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

export type DeliveryStatus = 'sending' | 'sent' | 'empty' | 'skipped' | 'failed';

export interface DeliveryRecord {
  subscriptionId: number;
  /** The due instant this delivery is for, ISO 8601 UTC. */
  slot: string;
  status: DeliveryStatus;
  articleIds: string[];
  detail: string | null;
  updatedAt: string;
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
  /** Live (not removed) articles for the topics, best static rank (quality and recency) first. */
  candidates(query: CandidateQuery): Candidate[];
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
  /** Records a delivery; for 'sent' also remembers the articles as sent to the target, atomically. */
  recordDelivery(record: Omit<DeliveryRecord, 'updatedAt'>, target: Target, nextDueAt?: string): void;
  deliveries(subscriptionId: number, limit?: number): DeliveryRecord[];
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
