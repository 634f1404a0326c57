import type { RateBudget } from '../../../src/index.js';
import type { PostgresDatabase } from './database.js';

/**
 * One sending schedule per key (a bot token's budget) in the `rate_budget` table, shared by every instance on
 * the database. Each reservation is a single upsert: the conflicting row is locked before its new value is
 * computed, so concurrent reservations from any number of pools line up one interval apart. Every instant is
 * read from the server's clock_timestamp(), never the instance's, so clock skew between hosts does not matter.
 * A key idle for longer than its interval starts again from now: unused time is not saved up as a burst.
 */
export class PostgresRateBudget implements RateBudget {
  constructor(private readonly db: PostgresDatabase) {}

  async reserve(key: string, intervalMs: number): Promise<number> {
    this.db.use('rateBudget.reserve');
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new Error(`rateBudget.reserve: intervalMs must be a finite number of at least 0, got ${intervalMs}`);
    }
    // clock_timestamp() rather than now(): now() is the transaction's start, which for a statement that waited
    // on the row lock is already in the past. The SET reads the clock after the lock is taken; RETURNING reads
    // it a few microseconds later still, which can only shorten the wait by that much.
    const { rows } = await this.db.query<{ wait_ms: number }>(
      `INSERT INTO rate_budget AS b (key, next_at)
       VALUES ($1, clock_timestamp() + $2::float8 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE
         SET next_at = greatest(b.next_at, clock_timestamp()) + $2::float8 * interval '1 millisecond'
       RETURNING greatest(0, extract(epoch FROM b.next_at - $2::float8 * interval '1 millisecond' - clock_timestamp()) * 1000)::float8 AS wait_ms`,
      [key, intervalMs],
    );
    return rows[0]!.wait_ms;
  }
}
