import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { start } from '../entry/service.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { SCHEDULE } from '../src/schedule.js';
import type { Target } from '../src/model.js';
import { FakeTelegram, TOKEN, privateChat, user } from './helpers/fake-telegram.js';
import { DEFAULT_CHANNEL, FakeDiscord } from './helpers/fake-discord.js';
import { binPath, runBin } from './helpers/cli.js';
import { SEEDS_LOOKBACK_HOURS, seededDatabase } from './helpers/seeded-database.js';

const workspaces: Array<{ remove(): void }> = [];
afterEach(async () => {
  for (const w of workspaces.splice(0)) w.remove();
});

/** A database file with the bundled seeds and subscriptions that are due a minute ago. */
async function databaseWithDueSubscriptions(targets: Target[]) {
  const ws = await seededDatabase(targets, 'newsbrief-start-');
  workspaces.push(ws);
  return ws;
}

describe('npm start with both tokens', () => {
  it('runs Telegram and Discord side by side and delivers due digests on each', async () => {
    const telegram = await FakeTelegram.start();
    const discord = await FakeDiscord.start();
    const tgChat = privateChat(user(5001));
    telegram.addChat(tgChat);
    const ws = await databaseWithDueSubscriptions([
      { platform: 'telegram', chatId: String(tgChat.id) },
      { platform: 'discord', chatId: DEFAULT_CHANNEL },
    ]);
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const stderr = new PassThrough();
    let log = '';
    stderr.on('data', (d) => (log += String(d)));
    try {
      const running = start({
        env: {
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          DISCORD_TOKEN: discord.token,
          DISCORD_API_BASE: discord.apiBase,
          DATABASE_PATH: ws.dbPath,
          SEEDS_DIR: ws.seeds,
          SEEDS_RESCAN: 'off',
          LOG_LEVEL: 'warn',
          FIRST_DIGEST_LOOKBACK_HOURS: SEEDS_LOOKBACK_HOURS,
        },
        stderr,
        stopSignal,
      });
      await telegram.waitForCall('setMyCommands', { timeoutMs: 10_000 });
      await discord.waitForCall((c) => c.method === 'PUT' && c.path.endsWith('/commands'), 10_000);

      const digest = await telegram.waitForCall('sendMessage', { where: (c) => c.payload.chat_id === tgChat.id, timeoutMs: 10_000 });
      expect(String(digest.payload.text)).toMatch(/AI/);
      await expect.poll(() => discord.channelMessages.filter((m) => m.channel_id === DEFAULT_CHANNEL).length, { timeout: 10_000 }).toBeGreaterThan(0);

      const since = telegram.mark();
      telegram.sendText({ from: user(5002), chat: privateChat(user(5002)), text: '/news space 1' });
      const reply = await telegram.waitForCall('sendMessage', { since, timeoutMs: 10_000 });
      expect(String(reply.payload.text)).toMatch(/Space/);

      stop();
      expect(await running).toBe(0);
      expect(log).not.toMatch(/"level":(50|60)/);
      // Delivered once each and remembered: the store says so after shutdown.
      const store = openSqliteStorage(ws.dbPath);
      expect(await store.subscriptions.dueSubscriptions(new Date(), 10)).toEqual([]);
      await store.close();
    } finally {
      stop();
      await telegram.close();
      await discord.close();
    }
  }, 40_000);
});

describe('exactly-once delivery across kill -9', () => {
  it('a restart after kill -9 mid fan-out sends the rest and resends none', async () => {
    const fake = await FakeTelegram.start();
    const chats = Array.from({ length: 40 }, (_, i) => privateChat(user(7001 + i)));
    for (const chat of chats) fake.addChat(chat);
    const ws = await databaseWithDueSubscriptions(chats.map((c) => ({ platform: 'telegram', chatId: String(c.id) })));
    const env = {
      PATH: process.env.PATH ?? '',
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      DATABASE_PATH: ws.dbPath,
      SEEDS_DIR: ws.seeds,
      SEEDS_RESCAN: 'off',
      DIGEST_COUNT: '2',
      LOG_LEVEL: 'warn',
      FIRST_DIGEST_LOOKBACK_HOURS: SEEDS_LOOKBACK_HOURS,
    };
    const digestsTo = (chatId: number) =>
      fake.calls.filter((c) => c.method === 'sendMessage' && c.payload.chat_id === chatId).length;
    const launch = () => {
      const child = spawn(process.execPath, [binPath, 'start'], { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += String(d)));
      child.stderr.on('data', (d) => (output += String(d)));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      return { child, exited, output: () => output };
    };
    try {
      // First run: three digests are answered, then the platform stops answering and the process dies.
      const first = launch();
      await fake.waitForCalls('sendMessage', 3, { timeoutMs: 15_000 });
      fake.failNext('sendMessage', { kind: 'hang' }, 100);
      // Killed once every send worker holds a request the fake received and never answers: then no request is
      // between being marked in flight and reaching the platform, which Telegram's rule (an in-flight part is
      // taken as delivered) would count as delivered although it never left. A fixed sleep raced that gap.
      const unanswered = () => fake.calls.filter((c) => c.method === 'sendMessage' && c.answer === undefined).length;
      await expect.poll(unanswered, { timeout: 15_000, interval: 20 }).toBe(SCHEDULE.CONCURRENCY);
      const inFlight = openSqliteStorage(ws.dbPath);
      expect(await inFlight.deliveries.deliveriesWithStatus('sending')).toHaveLength(SCHEDULE.CONCURRENCY);
      await inFlight.close();
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      const reachedBeforeCrash = chats.filter((c) => digestsTo(c.id) > 0).length;
      expect(reachedBeforeCrash).toBeGreaterThanOrEqual(3);
      expect(reachedBeforeCrash).toBeLessThan(chats.length);
      // Some sends were in flight (received, never answered) when the process died: the hard case.
      expect(fake.calls.filter((c) => c.method === 'sendMessage' && c.answer === undefined).length).toBeGreaterThan(0);

      // Second run: the rest are delivered; nobody gets a second copy.
      fake.clearFaults();
      const second = launch();
      await expect.poll(() => chats.filter((c) => digestsTo(c.id) > 0).length, { timeout: 15_000 }).toBe(chats.length);
      await new Promise((r) => setTimeout(r, 500));
      second.child.kill('SIGTERM');
      expect(await second.exited, second.output()).toBe(0);
      expect(chats.map((c) => digestsTo(c.id))).toEqual(chats.map(() => 1));
    } finally {
      await fake.close();
    }
  }, 60_000);
});

describe('npm start settings', () => {
  it('NEWS_WINDOW_DAYS reaches /news: a short window falls back to the latest stories, a long one does not', async () => {
    const { dir } = await databaseWithDueSubscriptions([]);
    const env = (days: string) => ({ TERMINAL_MODE: 'on', DATABASE_PATH: join(dir, 'nb.db'), SEEDS_DIR: join(dir, 'seeds'), SEEDS_RESCAN: 'off', NEWS_WINDOW_DAYS: days });
    // The bundled Space articles are from 24 Nov 2026, more than a day before any run of this test.
    const short = await runBin(['start'], { env: env('1'), input: '/news space 1\n/quit\n' });
    expect(short.code).toBe(0);
    expect(short.stdout).toContain('Nothing on Space in the last 1 day. The latest stories:');
    const long = await runBin(['start'], { env: env('36500'), input: '/news space 1\n/quit\n' });
    expect(long.stdout).toMatch(/Space — 1 story/);
    expect(long.stdout).not.toContain('Nothing on Space');
  }, 30_000);
});
