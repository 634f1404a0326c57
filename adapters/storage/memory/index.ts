/**
 * In-memory storage: every port of src/ports.ts over plain Maps, with the semantics of the SQLite backend
 * (the contract suites in test/contract hold both to them). For tests, the terminal demo and small installs:
 * queries scan or sort per call instead of keeping indexes, and nothing survives the process.
 */
import { type Storage } from '../../../src/index.js';
import { MemoryArticleStore } from './articles.js';
import { MemoryDatabase } from './database.js';
import { MemoryDeliveryLog } from './deliveries.js';
import { MemoryFeedStore } from './feeds.js';
import { MemorySourceStateStore } from './sources.js';
import { MemorySubscriptionStore } from './subscriptions.js';

/**
 * A fresh, empty storage. Values are copied going in and coming out, so a caller changing an object it
 * passed or got back never changes what is stored. After close() every call rejects.
 */
export function createMemoryStorage(): Storage {
  const db = new MemoryDatabase();
  return {
    articles: new MemoryArticleStore(db),
    subscriptions: new MemorySubscriptionStore(db),
    deliveries: new MemoryDeliveryLog(db),
    sources: new MemorySourceStateStore(db),
    feeds: new MemoryFeedStore(db),
    // Nothing outside the process can delete or replace it: intact for as long as it is open.
    checkIntact: async () => {
      db.use('checkIntact');
    },
    close: async () => db.close(),
  };
}
