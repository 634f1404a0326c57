import { createHash } from 'node:crypto';
import pg from 'pg';
import { describeDatabase } from './database.js';

/**
 * Session advisory locks for several `npm start` on one database: a lock held by a connection of its own is
 * released by the server as soon as that session ends, a killed process included. Locks are named
 * ("seed-ingest", "telegram-polling:123456"); a name becomes a 64-bit key by hashing.
 */

/** How long connecting, and any one query, may take before the lock's connection is given up. */
const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * The bigint key of a lock name: the first 8 bytes of sha256("newsbrief:" + name), signed as Postgres reads
 * a bigint. The prefix keeps other applications' keys on the same database unlikely to meet ours.
 */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(`newsbrief:${name}`).digest().readBigInt64BE(0).toString();
}

/** A held lock; release() is idempotent. */
export interface AdvisoryLock {
  release(): Promise<void>;
}

async function connect(url: string, location: string, name: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    query_timeout: CONNECTION_TIMEOUT_MS,
    // Lets the server see a vanished peer sooner, so a lock held by a host that went away is freed.
    keepAlive: true,
    application_name: `newsbrief lock ${name}`.slice(0, 63),
  });
  // Until a caller listens, an error on an idle connection must not end the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to ${location}: ${(error as Error).message}`, { cause: error });
  }
  return client;
}

async function tryLock(client: pg.Client, key: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
  return rows[0]?.locked === true;
}

/** Unlocks before disconnecting: the server frees a session's locks a moment after the client has gone. */
async function unlockAndEnd(client: pg.Client, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
  await client.end().catch(() => {});
}

/**
 * Takes lock `name` if no other session holds it, on a connection of its own, and keeps it until release()
 * or until the connection ends; resolves to undefined when another session holds it. `onLost` hears of a
 * lock lost with its connection (a server restart, a network failure) before release().
 */
export async function tryAdvisoryLock(url: string, name: string, onLost?: (why: string) => void): Promise<AdvisoryLock | undefined> {
  const location = describeDatabase(url);
  const key = advisoryKey(name);
  const client = await connect(url, location, name);
  let held = false;
  let released = false;
  const lost = (why: string) => {
    if (!held || released) return;
    released = true;
    onLost?.(why);
  };
  client.on('error', (error) => lost(error.message));
  client.on('end', () => lost('connection closed'));
  let locked: boolean;
  try {
    locked = await tryLock(client, key);
  } catch (error) {
    await client.end().catch(() => {});
    throw new Error(`cannot take the lock "${name}" on ${location}: ${(error as Error).message}`, { cause: error });
  }
  if (!locked) {
    await client.end().catch(() => {});
    return undefined;
  }
  held = true;
  return {
    async release() {
      if (released) return;
      released = true;
      await unlockAndEnd(client, key);
    },
  };
}

/** What runExclusive did: ran `work`, or left it to the session holding the lock. */
export type ExclusiveRun<T> =
  | { ran: true; value: T }
  /** `finishedElsewhere`: the holder let go while this one waited (false: still busy when the wait ended, or no wait). */
  | { ran: false; finishedElsewhere: boolean };

export interface ExclusiveOptions {
  /** How long to wait for the holder to finish before giving up (default 0: give up at once). */
  waitMs?: number;
  /** How often to look while waiting (default 1000). */
  pollMs?: number;
  /** Called once when another session holds the lock, before any wait. */
  onBusy?: () => void;
}

/**
 * Runs `work` under lock `name` unless another session holds it: then `work` does not run here, and with
 * `waitMs` this waits (looking every `pollMs`) until the holder has let go, so that what it wrote is there.
 * Used for work one instance does for all, such as ingesting the seed folder.
 */
export async function runExclusive<T>(url: string, name: string, work: () => Promise<T>, options: ExclusiveOptions = {}): Promise<ExclusiveRun<T>> {
  // A lock lost with its connection midway lets `work` finish unguarded: fit for work that is safe to repeat
  // side by side (ingest is idempotent), which is all this is for.
  const lock = await tryAdvisoryLock(url, name);
  if (lock) {
    try {
      return { ran: true, value: await work() };
    } finally {
      await lock.release();
    }
  }
  options.onBusy?.();
  const waitMs = options.waitMs ?? 0;
  if (waitMs <= 0) return { ran: false, finishedElsewhere: false };
  const pollMs = options.pollMs ?? 1000;
  const location = describeDatabase(url);
  const key = advisoryKey(name);
  const client = await connect(url, location, name);
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(pollMs, deadline - Date.now()))));
      // Free now: taken and given back at once, only to know that the holder is done.
      if (await tryLock(client, key)) {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
        return { ran: false, finishedElsewhere: true };
      }
      if (Date.now() >= deadline) return { ran: false, finishedElsewhere: false };
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** What a leader election tells its owner. */
export interface LeaderHandlers {
  /**
   * This instance now holds the lock: start the work only one instance may do. Called only once the
   * previous onLost has finished.
   */
  onAcquired(): void | Promise<void>;
  /**
   * This instance no longer holds the lock (its connection failed), or is giving it up (stop()): stop that
   * work, including an onAcquired still under way (it is not waited for, so that a start that hangs cannot
   * hold up stopping). On stop() the lock is released only once this has resolved, so the next leader
   * never overlaps it.
   */
  onLost(why: string): void | Promise<void>;
  /** A failed attempt (no connection, a handler that threw); the election keeps trying. */
  onError?(error: Error): void;
}

export interface LeaderOptions {
  /** How often a follower tries to take the lock, and a leader checks that it still holds it (default 2000). */
  retryMs?: number;
}

/** A running election; `leading` says whether this instance holds the lock right now. */
export interface Leadership {
  readonly leading: boolean;
  /** Stops competing: a leader's onLost runs to its end, then the lock is released. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Elects one leader among the processes calling this with the same `name` on one database: each tries
 * pg_try_advisory_lock on a dedicated connection every `retryMs`; the one that gets it leads until its
 * session ends (a crash or kill included: the server frees the lock and a follower takes over within
 * `retryMs`). A leader checks its lock every `retryMs` too, and a lock lost with its connection calls
 * onLost at once, so that it stops before a follower starts. Resolves after the first attempt.
 */
export async function leaderLock(url: string, name: string, handlers: LeaderHandlers, options: LeaderOptions = {}): Promise<Leadership> {
  const election = new LeaderElection(url, name, handlers, options.retryMs ?? 2000);
  await election.attempt();
  return election;
}

class LeaderElection implements Leadership {
  private readonly location: string;
  private readonly key: string;
  private client: pg.Client | undefined;
  private held = false;
  /** Counts acquisitions, so that an onAcquired whose term ended before its turn came is not called. */
  private term = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private attempting: Promise<void> | undefined;
  /** The last onLost call: the next onAcquired waits for it. */
  private lost: Promise<void> = Promise.resolve();
  /**
   * A leader that lost its connection sits out until then: the followers, who try every `retryMs`, get
   * the lock first, rather than a process whose connection just failed winning it back by chance.
   */
  private sitOutUntil = 0;

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly handlers: LeaderHandlers,
    private readonly retryMs: number,
  ) {
    this.location = describeDatabase(url);
    this.key = advisoryKey(name);
  }

  get leading(): boolean {
    return this.held;
  }

  attempt(): Promise<void> {
    this.attempting ??= this.tryOnce().finally(() => {
      this.attempting = undefined;
      if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), this.retryMs);
    });
    return this.attempting;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.attempting;
    const client = this.client;
    this.client = undefined;
    if (this.held) await this.lose('stopping');
    else await this.lost;
    if (client) await unlockAndEnd(client, this.key);
  }

  private async tryOnce(): Promise<void> {
    let client = this.client;
    try {
      if (!client) {
        client = await connect(this.url, this.location, this.name);
        if (this.stopped) {
          await client.end().catch(() => {});
          return;
        }
        const current = client;
        this.client = current;
        current.on('error', (error) => this.drop(current, error.message));
        current.on('end', () => this.drop(current, 'connection closed'));
      }
      if (!this.held) {
        if (Date.now() < this.sitOutUntil) return;
        const locked = await tryLock(client, this.key);
        // Lost and replaced while asking: that answer was about a session that is gone.
        if (this.client !== client || !locked) return;
        this.acquire();
      } else if (!(await this.holds(client))) {
        this.drop(client, 'the lock is no longer held by this session');
      }
    } catch (error) {
      if (client) this.drop(client, (error as Error).message);
      this.handlers.onError?.(new Error(`leader election "${this.name}" on ${this.location}: ${(error as Error).message}`, { cause: error }));
    }
  }

  /** Whether this session holds the lock, from pg_locks (a bigint key is kept as classid and objid, objsubid 1). */
  private async holds(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ holds: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND pid = pg_backend_pid()
            AND ((classid::bigint << 32) | objid::bigint) = $1::bigint
       ) AS holds`,
      [this.key],
    );
    return rows[0]?.holds === true;
  }

  /** Forgets a connection that failed; a leader hears at once that it no longer leads. */
  private drop(client: pg.Client, why: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => {});
    if (this.held && !this.stopped) {
      this.sitOutUntil = Date.now() + 2 * this.retryMs;
      void this.lose(why);
    }
  }

  private acquire(): void {
    this.held = true;
    const term = ++this.term;
    void this.lost.then(() => {
      if (this.held && this.term === term) return this.call('onAcquired', () => this.handlers.onAcquired());
    });
  }

  private lose(why: string): Promise<void> {
    this.held = false;
    const before = this.lost;
    this.lost = before.then(() => this.call('onLost', () => this.handlers.onLost(why)));
    return this.lost;
  }

  private async call(which: string, handler: () => void | Promise<void>): Promise<void> {
    try {
      await handler();
    } catch (error) {
      this.handlers.onError?.(new Error(`leader election "${this.name}": ${which} failed: ${(error as Error).message}`, { cause: error }));
    }
  }
}

/** A mutex held by this session; `lost` turns true when its connection ended while it was held. */
export interface HeldMutex {
  readonly lost: boolean;
  release(): Promise<void>;
}

/** A lock that the processes on one database take in turn, many times over, on one connection of this process. */
export interface SessionMutex {
  /** Resolves once this session holds the lock, however long another holds it first; rejects without a connection. */
  acquire(): Promise<HeldMutex>;
  /** Ends the connection (and with it any hold); acquire() then rejects. */
  close(): Promise<void>;
}

export interface SessionMutexOptions {
  /** How often to look while another session holds the lock (default 250 ms). */
  pollMs?: number;
  /** Called each time an acquire finds the lock held elsewhere, before its first wait. */
  onWait?: () => void;
}

/**
 * A mutual-exclusion lock across processes, for work that must never run in two at once but must not be
 * skipped either (an ingest: unlike runExclusive, which leaves work to the holder). Each acquire tries
 * pg_try_advisory_lock every `pollMs` on a dedicated connection, opened on first use and kept, so a burst of
 * short holds costs one query each. One holder at a time in this process: the caller serialises (IngestLane).
 */
export function advisoryMutex(url: string, name: string, options: SessionMutexOptions = {}): SessionMutex {
  return new AdvisoryMutex(url, name, options.pollMs ?? 250, options.onWait);
}

class AdvisoryMutex implements SessionMutex {
  private readonly location: string;
  private readonly key: string;
  private client: pg.Client | undefined;
  private held: { lost: boolean } | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly pollMs: number,
    private readonly onWait: (() => void) | undefined,
  ) {
    this.location = describeDatabase(url);
    this.key = advisoryKey(name);
  }

  async acquire(): Promise<HeldMutex> {
    let waited = false;
    for (;;) {
      if (this.closed) throw new Error(`the lock "${this.name}" on ${this.location} is closed`);
      const client = await this.connection();
      let locked: boolean;
      try {
        locked = await tryLock(client, this.key);
      } catch (error) {
        this.drop(client);
        throw new Error(`cannot take the lock "${this.name}" on ${this.location}: ${(error as Error).message}`, { cause: error });
      }
      if (locked) return this.hold(client);
      if (!waited) this.onWait?.();
      waited = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    const client = this.client;
    if (client) {
      this.drop(client);
      await client.end().catch(() => {});
    }
  }

  private hold(client: pg.Client): HeldMutex {
    const state = { lost: false };
    this.held = state;
    return {
      get lost() {
        return state.lost;
      },
      release: async () => {
        if (this.held !== state) return;
        this.held = undefined;
        if (state.lost || this.client !== client) return;
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
        } catch {
          // A connection that fails here takes its session's locks with it.
          this.drop(client);
        }
      },
    };
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = await connect(this.url, this.location, this.name);
    if (this.closed) {
      await client.end().catch(() => {});
      throw new Error(`the lock "${this.name}" on ${this.location} is closed`);
    }
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    this.client = client;
    return client;
  }

  /** Forgets a connection that failed or is closing; a hold on it is lost with its session. */
  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.held) {
      this.held.lost = true;
      this.held = undefined;
    }
    void client.end().catch(() => {});
  }
}
