import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { leaderLock, runExclusive, type LeaderHandlers, type Leadership } from '../adapters/storage/postgres/index.js';
import { FakeTelegram, TOKEN, privateChat, user } from './helpers/fake-telegram.js';
import { binPath, repoRoot } from './helpers/cli.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`Multi-instance tests skipped (they need Postgres): ${unavailable}\n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 25 ms for up to `timeoutMs`; true once it holds. */
async function within(timeoutMs: number, done: () => boolean): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(25)) if (done()) return true;
  return done();
}

/** A contender that records what the election told it, in order, into a log shared with the others. */
function contender(name: string, log: string[], options: { stopTakesMs?: number } = {}): LeaderHandlers & { errors: Error[] } {
  const errors: Error[] = [];
  return {
    errors,
    onAcquired: () => void log.push(`${name} acquired`),
    onLost: async (why) => {
      log.push(`${name} lost: ${why}`);
      if (options.stopTakesMs) await sleep(options.stopTakesMs);
      log.push(`${name} stopped`);
    },
    onError: (error) => void errors.push(error),
  };
}

describe.skipIf(unavailable !== undefined)('several instances on one Postgres database', () => {
  let server: TestPostgres;
  let admin: pg.Pool;
  const elections: Leadership[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await Promise.all(elections.splice(0).map((e) => e.stop()));
  });

  const elect = async (name: string, handlers: LeaderHandlers) => {
    const election = await leaderLock(server.url, name, handlers, { retryMs: 200 });
    elections.push(election);
    return election;
  };

  describe('leader election', () => {
    it('makes exactly one of two contenders on one name the leader, and keeps it so', async () => {
      const log: string[] = [];
      const a = await elect('poll:one', contender('a', log));
      const b = await elect('poll:one', contender('b', log));
      expect([a.leading, b.leading]).toEqual([true, false]);
      // Several retry rounds later the follower still follows.
      await sleep(800);
      expect([a.leading, b.leading]).toEqual([true, false]);
      expect(log).toEqual(['a acquired']);
    });

    it('hands over on stop: the leader stops its work first, then the other takes the lead within seconds', async () => {
      const log: string[] = [];
      const a = await elect('poll:handover', contender('a', log, { stopTakesMs: 300 }));
      const b = await elect('poll:handover', contender('b', log));
      expect(a.leading).toBe(true);
      await a.stop();
      expect(a.leading).toBe(false);
      expect(await within(10_000, () => b.leading)).toBe(true);
      await within(1000, () => log.includes('b acquired'));
      expect(log).toEqual(['a acquired', 'a lost: stopping', 'a stopped', 'b acquired']);
    });

    it('passes the lead on when the leader process is killed', async () => {
      const helper = join(repoRoot, 'test', 'helpers', 'lock-contender.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', helper, server.url, 'poll:killed'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += String(d)));
      child.stderr!.on('data', (d) => (out += String(d)));
      expect(await within(15_000, () => out.includes('leading')), out).toBe(true);

      const log: string[] = [];
      const b = await elect('poll:killed', contender('b', log));
      await sleep(500);
      expect(b.leading).toBe(false);
      child.kill('SIGKILL');
      expect(await within(15_000, () => b.leading)).toBe(true);
      expect(log).toEqual(['b acquired']);
    }, 30_000);

    it('stops a leader whose lock connection is cut, and lets it compete again as a follower', async () => {
      const log: string[] = [];
      const a = await elect('poll:cut', contender('a', log));
      const b = await elect('poll:cut', contender('b', log));
      expect(a.leading).toBe(true);
      // The server ends the leader's session, as when its connection breaks.
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
            AND pid IN (SELECT pid FROM pg_stat_activity WHERE application_name = 'newsbrief lock poll:cut')`,
      );
      expect(rows).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // The follower retries every 2 s; a loaded machine (CI on 2 cores) can stretch that several times over.
      expect(await within(15_000, () => log.some((l) => l.startsWith('a lost')))).toBe(true);
      expect(await within(15_000, () => b.leading)).toBe(true);
      // A reconnects and finds the lock taken: exactly one leader again.
      await sleep(800);
      expect([a.leading, b.leading]).toEqual([false, true]);
      expect(log.filter((l) => l.endsWith('acquired'))).toEqual(['a acquired', 'b acquired']);
    }, 40_000);

    it('keeps elections of different names apart', async () => {
      const log: string[] = [];
      const a = await elect('poll:first', contender('a', log));
      const b = await elect('poll:second', contender('b', log));
      const c = await elect('poll:first', contender('c', log));
      expect([a.leading, b.leading, c.leading]).toEqual([true, true, false]);
    });

    it('tells of a database it cannot reach without leading, and keeps trying', async () => {
      const url = new URL(server.url);
      url.password = 'never-shown-pw';
      url.port = '1';
      const handlers = contender('a', []);
      const lonely = await leaderLock(url.toString(), 'poll:unreachable', handlers, { retryMs: 100 });
      elections.push(lonely);
      expect(lonely.leading).toBe(false);
      expect(await within(10_000, () => handlers.errors.length >= 2)).toBe(true);
      expect(handlers.errors[0]!.message).toMatch(/^leader election "poll:unreachable" on postgres database postgres on 127\.0\.0\.1:1: cannot connect/);
      expect(handlers.errors.map((e) => e.message).join('\n')).not.toContain('never-shown-pw');
    }, 20_000);
  });

  describe('work one instance does for all', () => {
    it('runs it on one instance at a time: a second skips at once, or waits for the first to finish', async () => {
      let finish!: () => void;
      const running = new Promise<void>((resolve) => (finish = resolve));
      const ran: string[] = [];
      const first = runExclusive(server.url, 'ingest:test', async () => {
        ran.push('first');
        await running;
        return 47;
      });
      await within(3000, () => ran.length > 0);

      let busy = 0;
      const skipped = await runExclusive(server.url, 'ingest:test', async () => void ran.push('skipper'), { onBusy: () => busy++ });
      expect(skipped).toEqual({ ran: false, finishedElsewhere: false });

      const startedWaiting = Date.now();
      const waiter = runExclusive(server.url, 'ingest:test', async () => void ran.push('waiter'), { waitMs: 10_000, pollMs: 50, onBusy: () => busy++ });
      await sleep(300);
      finish();
      expect(await first).toEqual({ ran: true, value: 47 });
      expect(await waiter).toEqual({ ran: false, finishedElsewhere: true });
      expect(Date.now() - startedWaiting).toBeLessThan(5000);
      expect(ran).toEqual(['first']);
      expect(busy).toBe(2);
      // Free again: the next one runs.
      expect(await runExclusive(server.url, 'ingest:test', async () => 'again')).toEqual({ ran: true, value: 'again' });
    });

    it('gives up waiting after waitMs when the holder is still busy', async () => {
      let finish!: () => void;
      const holder = runExclusive(server.url, 'ingest:slow', () => new Promise<void>((resolve) => (finish = resolve)));
      await sleep(200);
      const began = Date.now();
      expect(await runExclusive(server.url, 'ingest:slow', async () => 1, { waitMs: 400, pollMs: 100 })).toEqual({ ran: false, finishedElsewhere: false });
      expect(Date.now() - began).toBeGreaterThanOrEqual(350);
      finish();
      await holder;
    });

    it('releases the lock when the work throws', async () => {
      await expect(runExclusive(server.url, 'ingest:throws', async () => Promise.reject(new Error('disk on fire')))).rejects.toThrow('disk on fire');
      expect(await runExclusive(server.url, 'ingest:throws', async () => 'next')).toEqual({ ran: true, value: 'next' });
    });
  });

  describe('npm start twice on one database with one Telegram token', () => {
    // Each instance talks to a fake Bot API of its own (same token), so that every call is known to come
    // from the one instance or the other.
    interface Instance {
      fake: FakeTelegram;
      child: ChildProcess;
      exited: Promise<number | string | null>;
      log: () => string;
    }

    const launch = async (env: Record<string, string>): Promise<Instance> => {
      const fake = await FakeTelegram.start();
      const child = spawn(process.execPath, [binPath, 'start'], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', ...env, TELEGRAM_API_ROOT: fake.apiRoot },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let log = '';
      child.stdout!.on('data', (d) => (log += String(d)));
      child.stderr!.on('data', (d) => (log += String(d)));
      const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      return { fake, child, exited, log: () => log };
    };

    it('polls from exactly one of them; stopping that one makes the other poll and answer', async () => {
      const env = {
        DATABASE_URL: server.url,
        TELEGRAM_BOT_TOKEN: TOKEN,
        SEEDS_DIR: join(repoRoot, 'seeds'),
        SEEDS_RESCAN: 'off',
        TERMINAL_MODE: 'off',
        LOG_LEVEL: 'info',
      };
      const one = await launch(env);
      const two = await launch(env);
      const instances = [one, two];
      const polls = (i: Instance) => i.fake.callsOf('getUpdates').length;
      const role = (i: Instance) => /"msg":"instance role"/.test(i.log());
      try {
        expect(await within(30_000, () => role(one) && role(two)), one.log() + two.log()).toBe(true);
        expect(await within(15_000, () => polls(one) + polls(two) > 0)).toBe(true);
        const leader = polls(one) > 0 ? one : two;
        const standby = leader === one ? two : one;
        expect(leader.log()).toMatch(/"telegram":"polling \(elected\)"/);
        expect(standby.log()).toMatch(/"telegram":"standby \(another instance polls\)"/);
        // Over several election rounds only one polls.
        await sleep(3000);
        expect(polls(standby)).toBe(0);
        expect(polls(leader)).toBeGreaterThan(0);
        // Each ingested the seeds or waited for the other to; neither was refused the database.
        for (const i of instances) expect(i.log()).toMatch(/"msg":"(seeds ingested|seed ingest finished on another instance; skipped here)"/);

        leader.child.kill('SIGTERM');
        expect(await leader.exited, leader.log()).toBe(0);
        expect(leader.log()).toMatch(/"level":30,[^\n]*"msg":"telegram: stopping polling and handing it over to another instance"/);
        expect(await within(20_000, () => polls(standby) > 0)).toBe(true);
        expect(standby.log()).toMatch(/telegram: this instance now polls for updates/);
        const since = standby.fake.mark();
        standby.fake.sendText({ from: user(6101), chat: privateChat(user(6101)), text: '/news space 1' });
        const reply = await standby.fake.waitForCall('sendMessage', { since, timeoutMs: 10_000 });
        expect(String(reply.payload.text)).toMatch(/Space/);
        standby.child.kill('SIGTERM');
        expect(await standby.exited, standby.log()).toBe(0);
        for (const i of instances) expect(i.log()).not.toMatch(/"level":(50|60)/);
      } finally {
        for (const i of instances) i.child.kill('SIGKILL');
        await Promise.allSettled(instances.map((i) => i.exited));
        for (const i of instances) await i.fake.close();
      }
    }, 90_000);
  });
});
