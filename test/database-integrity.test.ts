import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Newsbrief, indexArticles } from '../src/index.js';
import type { Target } from '../src/model.js';
import { DigestScheduler } from '../src/schedule.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle } from './helpers/articles.js';
import { binPath, repoRoot } from './helpers/cli.js';
import { FakeClock } from './helpers/fake-clock.js';
import { RecordingDeliverer } from './helpers/recording-deliverer.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const opened: SqliteStorage[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const store of opened.splice(0)) await store.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-integrity-'));
  dirs.push(dir);
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
  return { dir, dbPath: join(dir, 'data', 'newsbrief.db'), seeds: join(dir, 'seeds') };
}

/** `npm start` in terminal mode on a pipe: runs until stdin closes or a signal. */
function launch(ws: ReturnType<typeof workspace>) {
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_PATH: ws.dbPath,
    SEEDS_DIR: ws.seeds,
    SEEDS_RESCAN: 'off',
    TERMINAL_MODE: 'on',
    LOG_LEVEL: 'warn',
    NO_COLOR: '1',
  };
  const child = spawn(process.execPath, [binPath, 'start'], { cwd: ws.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

const src = (file: string) => JSON.stringify(fileURLToPath(new URL(`../${file}`, import.meta.url)));

/**
 * Runs `body` in `n` node processes that all start it at the same instant (after `setup`, which loads
 * the modules); resolves with each one's output.
 */
async function race(n: number, body: string, setup = ''): Promise<{ code: number | null; stdout: string; stderr: string }[]> {
  const at = Date.now() + 4000;
  const script = `
    const i = Number(process.argv.at(-1));
    ${setup}
    while (Date.now() < ${at}); // start together: the point is what happens when they collide
    ${body}
  `;
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, String(i)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += String(d)));
      child.stderr!.on('data', (d) => (stderr += String(d)));
      return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        child.on('exit', (code) => resolve({ code, stdout, stderr })),
      );
    }),
  );
}

describe('one database, several processes', () => {
  it('a second npm start on the same database refuses, naming the lock and the holder pid; kill -9 frees it', async () => {
    const ws = workspace();
    const first = launch(ws);
    await expect.poll(() => first.stdout(), { timeout: 15_000 }).toContain('Newsbrief terminal mode');

    const second = launch(ws);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(`pid ${first.child.pid}`);
    expect(second.stderr()).toMatch(/lock \S*newsbrief\.db\.lock is held/);
    expect(second.stdout()).not.toContain('Newsbrief terminal mode');

    // The lock belongs to the process, not to a file: kill -9 leaves nothing stale behind.
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const third = launch(ws);
    await expect.poll(() => third.stdout(), { timeout: 15_000 }).toContain('Newsbrief terminal mode');
    third.child.stdin!.end();
    expect(await third.exited, third.stderr()).toBe(0);
  }, 40_000);

  it('the read-only CLI commands work while the bot runs', async () => {
    const ws = workspace();
    const bot = launch(ws);
    await expect.poll(() => bot.stdout(), { timeout: 15_000 }).toContain('Newsbrief terminal mode');
    const [topics] = await race(1, `
      const { main } = await import(${JSON.stringify(join(repoRoot, 'entry', 'cli.ts'))});
      process.exitCode = await main(['topics', '--db', ${JSON.stringify(ws.dbPath)}, '--seeds', ${JSON.stringify(ws.seeds)}]);
    `);
    expect(topics!.code, topics!.stderr).toBe(0);
    expect(topics!.stdout).toMatch(/AI\s+\d+ articles/);
    bot.child.stdin!.end();
    expect(await bot.exited).toBe(0);
  }, 40_000);

  it('processes opening a fresh database file at once all migrate it without error', async () => {
    const ws = workspace();
    const results = await race(
      6,
      `
      const store = openSqliteStorage(${JSON.stringify(ws.dbPath)});
      console.log(store.schemaVersion);
      await store.close();
    `,
      `const { openSqliteStorage } = await import(${src('adapters/storage/sqlite/index.ts')});`,
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const versions = new Set(results.map((r) => r.stdout.trim()));
    expect(versions.size).toBe(1);
    const store = openSqliteStorage(ws.dbPath);
    opened.push(store);
    expect(String(store.schemaVersion)).toBe([...versions][0]);
  }, 30_000);

  it('a slot claimed by processes at once has exactly one winner', async () => {
    const ws = workspace();
    const setup = openSqliteStorage(ws.dbPath);
    const { subscription } = await setup.subscriptions.upsertSubscription({
      target: { platform: 'telegram', chatId: '1' },
      topic: 'AI',
      topicKey: 'ai',
      time: '08:00',
      timezone: 'UTC',
      nextDueAt: '2026-11-26T08:00:00.000Z',
    });
    await setup.close();
    const results = await race(
      6,
      `
      const store = openSqliteStorage(${JSON.stringify(ws.dbPath)});
      const won = await store.deliveries.claimDelivery(${subscription.id}, '2026-11-26T08:00:00.000Z', 'claimant-' + i, new Date('2026-11-26T08:00:00Z'));
      console.log(won ? 'won' : 'lost');
      await store.close();
    `,
      `const { openSqliteStorage } = await import(${src('adapters/storage/sqlite/index.ts')});`,
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.filter((r) => r.stdout.trim() === 'won')).toHaveLength(1);
    expect(results.filter((r) => r.stdout.trim() === 'lost')).toHaveLength(5);
  }, 30_000);

  it('two schedulers on one database file send each due digest once between them', async () => {
    const ws = workspace();
    const clock = new FakeClock('2026-11-26T08:00:00Z');
    const [a, b] = [openSqliteStorage(ws.dbPath), openSqliteStorage(ws.dbPath)];
    opened.push(a!, b!);
    await a!.articles.upsertArticles(
      indexArticles(Array.from({ length: 3 }, (_, i) => makeArticle({ title: `Story ${i} q${i}zz w${i}yy`, topics: ['AI'], publishedAt: '2026-11-26T07:00:00Z' }))),
    );
    const chats: Target[] = Array.from({ length: 20 }, (_, i) => ({ platform: 'telegram', chatId: String(i + 1) }));
    for (const target of chats) {
      await a!.subscriptions.upsertSubscription({ target, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-26T08:00:00.000Z' });
    }
    // Each "process" takes a moment per send, as a real platform does, so the two overlap.
    const slow = (d: RecordingDeliverer) => ({
      platform: d.platform,
      deliver: async (...args: Parameters<RecordingDeliverer['deliver']>) => {
        await new Promise((r) => setTimeout(r, 5));
        return d.deliver(...args);
      },
    });
    const [da, db] = [new RecordingDeliverer('telegram', clock.now), new RecordingDeliverer('telegram', clock.now)];
    const sa = new DigestScheduler({ app: new Newsbrief({ storage: a!, clock: clock.now }), deliverers: [slow(da)], clock: clock.now, concurrency: 4 });
    const sb = new DigestScheduler({ app: new Newsbrief({ storage: b!, clock: clock.now }), deliverers: [slow(db)], clock: clock.now, concurrency: 4 });
    await Promise.all([sa.tick(), sb.tick()]);

    const received = [...da.delivered, ...db.delivered].map((c) => c.target.chatId).sort((x, y) => Number(x) - Number(y));
    expect(received).toEqual(chats.map((c) => c.chatId));
    for (const target of chats) expect((await a!.subscriptions.listSubscriptions(target))[0]!.nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });
});

describe('the database file deleted while the bot runs', () => {
  it('a subscription is not confirmed, and the bot stops with an error naming the file', async () => {
    const ws = workspace();
    const bot = launch(ws);
    await expect.poll(() => bot.stdout(), { timeout: 15_000 }).toContain('Newsbrief terminal mode');
    expect(existsSync(ws.dbPath)).toBe(true);
    unlinkSync(ws.dbPath);

    bot.child.stdin!.write('/subscribe AI 08:00 UTC\n');
    const code = await Promise.race([bot.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(code, bot.stdout() + bot.stderr()).toBe(1);
    expect(bot.stdout()).not.toMatch(/Subscribed to AI/);
    expect(bot.stderr()).toContain(`database file ${ws.dbPath} was deleted`);
  }, 40_000);

  it('the store refuses writes and the scheduler refuses to tick once the file is gone', async () => {
    const ws = workspace();
    const store = openSqliteStorage(ws.dbPath);
    opened.push(store);
    const clock = new FakeClock('2026-11-26T08:00:00Z');
    const app = new Newsbrief({ storage: store, clock: clock.now });
    const scheduler = new DigestScheduler({ app, deliverers: [new RecordingDeliverer('telegram', clock.now)], clock: clock.now });
    unlinkSync(ws.dbPath);
    await expect(store.subscriptions.setTimezone({ platform: 'telegram', chatId: '1' }, 'UTC')).rejects.toThrow(/was deleted/);
    await expect(scheduler.tick()).rejects.toThrow(/was deleted/);
  });
});
