import pg from 'pg';
import { describeDatabase } from './database.js';

/** Session advisory lock key of a running `npm start`: "newsbriefrun" folded into 63 bits. */
const INSTANCE_LOCK = 0x6e6273727572n;

/** Another `npm start` holds the database: until instances share work with leases, only one may run. */
export class InstanceLockedError extends Error {
  constructor(readonly location: string) {
    super(
      `${location} is in use by another running Newsbrief (it holds the instance lock, a Postgres advisory lock). ` +
        'Only one `npm start` per DATABASE_URL may run for now: stop that one first, or use another database.',
    );
    this.name = 'InstanceLockedError';
  }
}

/** A lock held by one dedicated connection for the life of the process; release() is idempotent. */
export interface InstanceLock {
  release(): Promise<void>;
}

/**
 * Takes the instance lock: a session-level pg_try_advisory_lock on a connection of its own, held until
 * release() or until the process dies (the server drops the session and with it the lock). The same role
 * as the SQLite lock file: a second scheduler on one database would send every digest twice.
 */
export async function lockInstance(url: string, onLost?: (why: string) => void): Promise<InstanceLock> {
  const location = describeDatabase(url);
  const client = new pg.Client({ connectionString: url });
  let held = false;
  let released = false;
  // The lock goes with its session (a server restart, a dropped connection): say so, since a second
  // instance could then start beside this one.
  const lost = (why: string) => {
    if (!held || released) return;
    released = true;
    onLost?.(why);
  };
  client.on('error', (error) => lost(error.message));
  client.on('end', () => lost('connection closed'));
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to ${location}: ${(error as Error).message}`, { cause: error });
  }
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [INSTANCE_LOCK.toString()]);
  if (!rows[0]?.locked) {
    released = true;
    await client.end();
    throw new InstanceLockedError(location);
  }
  held = true;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.end().catch(() => {});
    },
  };
}
