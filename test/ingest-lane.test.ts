// The ingest lane: one ingest at a time in a process, and with the Postgres advisory mutex, across processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { IngestLane, type HeldLock } from '../adapters/sources/ingest-lane.js';
import { advisoryKey, advisoryMutex } from '../adapters/storage/postgres/index.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Work that notes when it runs and how many pieces ran at once. */
function tracker() {
  let active = 0;
  let most = 0;
  const order: string[] = [];
  const piece = (name: string, ms = 5) => async () => {
    active++;
    most = Math.max(most, active);
    order.push(name);
    await sleep(ms);
    active--;
    return name;
  };
  return { piece, order, most: () => most };
}

/** A lock that counts acquisitions and releases. */
function countingLock() {
  const log: string[] = [];
  let current: { lost: boolean } | undefined;
  const acquire = async (): Promise<HeldLock> => {
    log.push('acquire');
    const state = { lost: false };
    current = state;
    return {
      get lost() {
        return state.lost;
      },
      release: async () => void log.push('release'),
    };
  };
  return { acquire, log, loseCurrent: () => current && (current.lost = true) };
}

describe('IngestLane', () => {
  it('runs pieces one at a time, in the order they were given, and returns each one\'s value', async () => {
    const lane = new IngestLane();
    const t = tracker();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((name) => lane.run(t.piece(name))));
    expect(results).toEqual(['a', 'b', 'c', 'd']);
    expect(t.order).toEqual(['a', 'b', 'c', 'd']);
    expect(t.most()).toBe(1);
  });

  it('a piece that throws fails only its own caller', async () => {
    const lane = new IngestLane();
    const failing = lane.run(async () => {
      throw new Error('bad feed');
    });
    const next = lane.run(async () => 'fine');
    await expect(failing).rejects.toThrow('bad feed');
    await expect(next).resolves.toBe('fine');
  });

  it('holds the shared lock through a burst and gives it back when it runs dry', async () => {
    const lock = countingLock();
    const lane = new IngestLane({ acquire: lock.acquire });
    const t = tracker();
    await Promise.all([lane.run(t.piece('a')), lane.run(t.piece('b')), lane.run(t.piece('c'))]);
    await sleep(0);
    expect(lock.log).toEqual(['acquire', 'release']);
    await lane.run(t.piece('d'));
    await sleep(0);
    expect(lock.log).toEqual(['acquire', 'release', 'acquire', 'release']);
  });

  it('takes the lock again before the next piece when it was lost with its connection', async () => {
    const lock = countingLock();
    const lane = new IngestLane({ acquire: lock.acquire });
    const first = lane.run(async () => {
      lock.loseCurrent();
      return 1;
    });
    const second = lane.run(async () => 2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    await sleep(0);
    expect(lock.log.filter((e) => e === 'acquire')).toHaveLength(2);
  });

  it('a lock that cannot be taken fails that piece, and the next one tries again', async () => {
    let calls = 0;
    const lane = new IngestLane({
      acquire: async () => {
        if (++calls === 1) throw new Error('database unreachable');
        return { lost: false, release: async () => {} };
      },
    });
    let ran = 0;
    const first = lane.run(async () => ran++);
    const second = lane.run(async () => ran++);
    await expect(first).rejects.toThrow('database unreachable');
    await expect(second).resolves.toBe(0);
    expect(ran).toBe(1);
  });
});

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`Postgres ingest-lane tests skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)('IngestLane with the Postgres advisory mutex', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps two processes\' lanes (each with its own connection) from ever running at once', async () => {
    const one = advisoryMutex(server.url, 'ingest:lane-test', { pollMs: 10 });
    const two = advisoryMutex(server.url, 'ingest:lane-test', { pollMs: 10 });
    try {
      const laneOne = new IngestLane({ acquire: () => one.acquire() });
      const laneTwo = new IngestLane({ acquire: () => two.acquire() });
      const t = tracker();
      const work: Promise<string>[] = [];
      for (let i = 0; i < 8; i++) {
        work.push(laneOne.run(t.piece(`one-${i}`, 15)));
        work.push(laneTwo.run(t.piece(`two-${i}`, 15)));
        // Gaps, so that each lane runs dry and gives the lock back now and then.
        if (i % 3 === 2) await sleep(40);
      }
      await Promise.all(work);
      expect(t.most()).toBe(1);
      expect(t.order.filter((n) => n.startsWith('one'))).toHaveLength(8);
      expect(t.order.filter((n) => n.startsWith('two'))).toHaveLength(8);
    } finally {
      await one.close();
      await two.close();
    }
  }, 30_000);

  it('waits for the holder, and tells the caller once that it waits', async () => {
    let waits = 0;
    const holder = advisoryMutex(server.url, 'ingest:wait-test', { pollMs: 10 });
    const waiter = advisoryMutex(server.url, 'ingest:wait-test', { pollMs: 10, onWait: () => waits++ });
    try {
      const held = await holder.acquire();
      let got = false;
      const pending = waiter.acquire().then((lock) => {
        got = true;
        return lock;
      });
      await sleep(100);
      expect(got).toBe(false);
      await held.release();
      const second = await pending;
      expect(got).toBe(true);
      expect(waits).toBe(1);
      await second.release();
    } finally {
      await holder.close();
      await waiter.close();
    }
  }, 30_000);

  it('marks a hold lost when its connection is cut, and the next acquire reconnects', async () => {
    const mutex = advisoryMutex(server.url, 'ingest:lost-test', { pollMs: 10 });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const held = await mutex.acquire();
      expect(held.lost).toBe(false);
      const key = advisoryKey('ingest:lost-test');
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks
          WHERE locktype = 'advisory' AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
        [key],
      );
      await expect.poll(() => held.lost, { timeout: 5_000 }).toBe(true);
      await held.release();
      const again = await mutex.acquire();
      expect(again.lost).toBe(false);
      await again.release();
    } finally {
      await admin.end();
      await mutex.close();
    }
  }, 30_000);
});
