// The core's public API: what adapters and entry points may import.
export { Newsbrief, DEFAULT_COUNT, MAX_COUNT, DEFAULT_TIME, DEFAULT_TIMEZONE } from './app.js';
export type { NewsbriefOptions, NewsOptions } from './app.js';
export type { Article, RelatedArticle, Provider, Target, Subscription } from './model.js';
export { safeHttpUrl, plainText } from './model.js';
export type * from './types.js';
export type { Store, TopicCount, DeliveryRecord, DeliveryStatus } from './store.js';
export { targetKey } from './store.js';
export { openStore, SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { buildDigest, cutAtWord, DIGEST } from './digest.js';
export { RANK, explainScore } from './rank.js';
export { TopicIndex, normalizeTopic, DEFAULT_TOPIC_ALIASES } from './topics.js';
export type { TopicAliases } from './topics.js';
export { parseTime, parseTimezone, nextDueAfter, describeLocal } from './clock.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
