import {
  type DeliveryStatus,
  type Digest,
  type Schedule,
  type SubscriptionFilters,
  type SourceItemRecord,
  type Target,
  type TopicEntry,
} from '../../../src/index.js';

/** A stored article: the serialised document (compared to tell "unchanged") and what queries read. */
export interface ArticleRow {
  json: string;
  url: string;
  publishedMs: number;
  removed: boolean;
  /** Topic keys the article has entries under, so replacing it can drop them. */
  keys: string[];
}

/** A topic entry with the rank key it sorts by at the current weight. */
export interface RankedEntry {
  articleId: string;
  entry: TopicEntry;
  rankKey: number;
}

/** One topic's entries by article id; `ranked` is sorted on first read and dropped by every change. */
export interface TopicIndex {
  entries: Map<string, TopicEntry>;
  ranked?: RankedEntry[];
}

export interface SubscriptionRow {
  id: number;
  target: Target;
  topic: string;
  topicKey: string;
  time: string;
  timezone: string;
  schedule: Schedule;
  ownZone: boolean;
  count: number | null;
  filters: SubscriptionFilters;
  paused: boolean;
  active: boolean;
  /** Why the subscription was deactivated; nothing reads it back through the ports yet. */
  inactiveReason: string | null;
  nextDueMs: number;
  createdAt: string;
}

export interface DeliveryRow {
  subscriptionId: number;
  slot: string;
  status: DeliveryStatus;
  articleIds: string[];
  detail: string | null;
  updatedAt: string;
  attempts: number;
  partsSent: number;
  partsTotal: number | null;
  digest: Digest | null;
  retryMs: number | null;
  claimedBy: string | null;
}

/** A stored feed: FeedRecord with instants in ms since the epoch (null: never). */
export interface FeedRow {
  id: number;
  url: string;
  name: string | null;
  topics: string[];
  quality: number;
  enabled: boolean;
  disabledReason: string | null;
  etag: string | null;
  lastModified: string | null;
  lastFetchMs: number | null;
  lastSuccessMs: number | null;
  lastStatus: string | null;
  failures: number;
  nextFetchMs: number;
  items: number;
  feedTitle: string | null;
  siteUrl: string | null;
  createdMs: number;
}

/** Everything one memory storage holds, shared by its stores. */
export interface MemoryTables {
  articles: Map<string, ArticleRow>;
  /** URL → article id: a URL belongs to one article, as in the SQLite schema. */
  urlOwners: Map<string, string>;
  topics: Map<string, TopicIndex>;
  /** Topic key → display name; the first name stored for a key wins and is never dropped. */
  topicNames: Map<string, string>;
  /** The weight last set by the core; undefined until then. */
  rankWeight: number | undefined;
  subscriptions: Map<number, SubscriptionRow>;
  lastSubscriptionId: number;
  /** Target key → time zone. */
  chatSettings: Map<string, string>;
  /** `deliveryKey` → row. */
  deliveries: Map<string, DeliveryRow>;
  /** Target key → ids of the articles sent there. */
  sentArticles: Map<string, Set<string>>;
  sourceItems: Map<string, SourceItemRecord>;
  /** `platform chatId` → the scheduler holding the chat's lease and until when (ms since the epoch). */
  chatLeases: Map<string, { claimedBy: string; untilMs: number }>;
  feeds: Map<number, FeedRow>;
  /** The highest feed id handed out: ids are never reused. */
  lastFeedId: number;
}

/** The tables behind an open storage; after close() every use rejects, naming the call. */
export class MemoryDatabase {
  private tables: MemoryTables | undefined = {
    articles: new Map(),
    urlOwners: new Map(),
    topics: new Map(),
    topicNames: new Map(),
    rankWeight: undefined,
    subscriptions: new Map(),
    lastSubscriptionId: 0,
    chatSettings: new Map(),
    deliveries: new Map(),
    sentArticles: new Map(),
    sourceItems: new Map(),
    chatLeases: new Map(),
    feeds: new Map(),
    lastFeedId: 0,
  };

  /** The tables, for `method` (e.g. 'articles.getArticle'); throws once the storage is closed. */
  use(method: string): MemoryTables {
    if (!this.tables) throw new Error(`memory storage is closed: ${method} was called after close()`);
    return this.tables;
  }

  /** Drops everything; idempotent. */
  close(): void {
    this.tables = undefined;
  }
}

/** A target with an empty thread id is the chat itself, as in SQLite (thread '' = none). */
export function normalTarget(target: Target): Target {
  const { platform, chatId, threadId } = target;
  return threadId ? { platform, chatId, threadId } : { platform, chatId };
}

/**
 * One string per target. JSON rather than joined with ':' so that a chat id containing ':' can never
 * pass for another chat's thread.
 */
export function targetKey(target: Target): string {
  return JSON.stringify([target.platform, target.chatId, target.threadId || '']);
}

/** The target a key was made from. */
export function keyTarget(key: string): Target {
  const [platform, chatId, threadId] = JSON.parse(key) as [Target['platform'], string, string];
  return normalTarget({ platform, chatId, threadId });
}

/** Whether `target` is the chat `chat` or one of its threads. */
export function inChat(target: Target, chat: Target): boolean {
  return target.platform === chat.platform && target.chatId === chat.chatId;
}

/** Plain code-unit order, like SQLite's default BINARY collation (they differ only beyond U+FFFF). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
