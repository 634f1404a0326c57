/**
 * The Postgres implementation of every storage port, selected by DATABASE_URL=postgres://…: a pg Pool,
 * versioned migrations applied once however many instances start together, real transactions where the
 * SQLite backend has them, and conditional writes for delivery claims so one claimant wins across processes.
 */
import type { Storage } from '../../../src/index.js';
import { PostgresArticleStore } from './articles.js';
import { PostgresDatabase, describeDatabase } from './database.js';
import { PostgresDeliveryLog } from './deliveries.js';
import { PostgresFeedStore } from './feeds.js';
import { migrate } from './migrations.js';
import { PostgresRateBudget } from './rate-budget.js';
import { PostgresSourceState } from './sources.js';
import { PostgresSubscriptionStore } from './subscriptions.js';

export { PostgresRateBudget } from './rate-budget.js';
export { describeDatabase } from './database.js';
export { MIGRATIONS } from './migrations.js';
export {
  advisoryKey,
  advisoryMutex,
  leaderLock,
  runExclusive,
  tryAdvisoryLock,
  type AdvisoryLock,
  type HeldMutex,
  type SessionMutex,
  type SessionMutexOptions,
  type ExclusiveOptions,
  type ExclusiveRun,
  type LeaderHandlers,
  type LeaderOptions,
  type Leadership,
} from './lock.js';

export interface PostgresStorageOptions {
  /** The schema the tables live in (created when missing); tests give each test its own. Default `public`. */
  schema?: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
}

/** Whether a DATABASE_URL names Postgres. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Connects, migrates and returns the storage. Errors name the database by host and name (describeDatabase),
 * never by the URL, which may hold a password.
 */
export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<PostgresStorage> {
  const schema = options.schema ?? 'public';
  const location = describeDatabase(url);
  const db = new PostgresDatabase(url, schema, location, options.poolSize ?? 10);
  try {
    let client;
    try {
      client = await db.pool.connect();
    } catch (error) {
      throw new Error(`cannot connect to ${location}: ${(error as Error).message}`);
    }
    try {
      await migrate(client, schema, location);
    } finally {
      client.release();
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return new PostgresStorage(db);
}

export class PostgresStorage implements Storage {
  readonly articles: PostgresArticleStore;
  readonly subscriptions: PostgresSubscriptionStore;
  readonly deliveries: PostgresDeliveryLog;
  readonly sources: PostgresSourceState;
  readonly feeds: PostgresFeedStore;
  /** The send budget every instance on this database shares; the entry point hands it to the platform adapters. */
  readonly rateBudget: PostgresRateBudget;

  constructor(readonly db: PostgresDatabase) {
    this.articles = new PostgresArticleStore(db);
    this.subscriptions = new PostgresSubscriptionStore(db);
    this.deliveries = new PostgresDeliveryLog(db);
    this.sources = new PostgresSourceState(db);
    this.feeds = new PostgresFeedStore(db);
    this.rateBudget = new PostgresRateBudget(db);
  }

  /** "postgres database newsbrief on db.example:5432" — no password. */
  get location(): string {
    return this.db.location;
  }

  /** The highest migration applied to the schema. */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.db.query<{ version: number | null }>('SELECT max(version) AS version FROM newsbrief_migrations');
    return rows[0]?.version ?? 0;
  }

  async checkIntact(): Promise<void> {
    await this.db.ping();
  }

  async close(): Promise<void> {
    await this.articles.close();
    await this.db.close();
  }
}
