import { afterEach } from 'vitest';
import { indexArticle } from '../../src/indexing.js';
import type { Article, Target } from '../../src/model.js';
import type { IndexedArticle, NewSubscription, Storage, TopicEntry } from '../../src/ports.js';
import { TopicAliasTable } from '../../src/topics.js';
import type { Digest } from '../../src/types.js';

/** Opens a storage for a test; the contract suites take one per backend. */
export type StorageFactory = () => Promise<Storage>;

/** Registers closing after each test and returns the opener; call inside a describe. */
export function openPerTest(factory: StorageFactory): () => Promise<Storage> {
  let opened: Storage | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  return async () => (opened = await factory());
}

const aliases = new TopicAliasTable();

/** Articles as the core hands them to storage, indexed with the default alias table. */
export function indexed(...articles: Article[]): IndexedArticle[] {
  return articles.map((article) => indexArticle(article, aliases));
}

/** A hand-made topic entry, for tests about what storage does with the values it is given. */
export function entry(key: string, overrides: Partial<TopicEntry> = {}): TopicEntry {
  return { key, name: key, match: 1, rankBase: 0, publishedHours: 0, ...overrides };
}

export const chat: Target = { platform: 'telegram', chatId: '42' };
export const chatThread: Target = { platform: 'telegram', chatId: '42', threadId: '7' };

/** A subscription to AI at 08:00 UTC, due on 27 Nov; override any field. */
export function newSubscription(target: Target, overrides: Partial<NewSubscription> = {}): NewSubscription {
  return { target, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z', ...overrides };
}

/** A digest with no items: storage keeps it whole and never looks inside. */
export function emptyDigest(topic = 'AI'): Digest {
  return { topic, topicKey: topic.toLowerCase(), generatedAt: '2026-11-27T08:00:00.000Z', items: [], matched: 0 };
}
