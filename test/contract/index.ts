/**
 * The storage contract: every backend of src/ports.ts runs these suites (test/storage-<backend>.test.ts),
 * so the memory, SQLite and Postgres adapters are held to the same behaviour.
 */
import { runArticleStoreContract } from './articles.js';
import { runDeliveryLogContract } from './deliveries.js';
import { runFeedStoreContract } from './feeds.js';
import type { StorageFactory } from './fixtures.js';
import { runSourceStateStoreContract } from './sources.js';
import { runStorageLifecycleContract } from './storage.js';
import { runSubscriptionStoreContract } from './subscriptions.js';

export type { StorageFactory } from './fixtures.js';

/** Runs every port's contract against storages from `factory`, one fresh storage per test. */
export function runStorageContracts(name: string, factory: StorageFactory): void {
  runArticleStoreContract(name, factory);
  runSubscriptionStoreContract(name, factory);
  runDeliveryLogContract(name, factory);
  runSourceStateStoreContract(name, factory);
  runFeedStoreContract(name, factory);
  runStorageLifecycleContract(name, factory);
}
