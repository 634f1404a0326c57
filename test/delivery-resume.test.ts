import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordBot } from '../adapters/discord/bot.js';
import { DigestScheduler } from '../src/schedule.js';
import { Newsbrief, silentLogger, type Target, indexArticles } from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { longArticles } from './helpers/articles.js';
import { binPath } from './helpers/cli.js';
import { SEEDS_LOOKBACK_HOURS, seededDatabase } from './helpers/seeded-database.js';
import { FakeClock } from './helpers/fake-clock.js';
import { DEFAULT_CHANNEL, FakeDiscord } from './helpers/fake-discord.js';
import { FakeTelegram, TOKEN, privateChat, startTelegramHarness, user, type TelegramHarness } from './helpers/fake-telegram.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The stories of these tests are published an hour before the fake clocks start. */
const published = { publishedAt: '2026-11-26T06:00:00.000Z' };

async function subscribe(app: Newsbrief, target: Target) {
  const result = await app.subscribe(target, 'AI', '08:00', 'UTC');
  if (!result.ok) throw new Error(result.code);
  return result.view.subscription;
}

describe('a multi-part digest resumes from its first unsent part', () => {
  it('Telegram: part 2 answered with retry_after 120 is tried again after 120 s, from part 2, and part 1 is not repeated', async () => {
    const clock = new FakeClock('2026-11-26T07:00:00.000Z');
    // One message a third of a second per chat, so the test can fault the second part after the first.
    const h: TelegramHarness = await startTelegramHarness({ articles: longArticles(published), clock: clock.now, botOptions: { pacing: { chatGapMs: 300 } } });
    cleanups.push(() => h.close());
    const chat = h.fake.addChat(privateChat(user(601)));
    const target: Target = { platform: 'telegram', chatId: String(chat.id) };
    const sub = await subscribe(h.app, target);
    const scheduler = new DigestScheduler({ app: h.app, deliverers: [h.telegram.deliverer], clock: clock.now, count: 10 });
    const toChat = () => h.fake.callsOf('sendMessage').filter((c) => c.payload.chat_id === chat.id);
    const delivered = () => toChat().filter((c) => c.answer?.ok === true).map((c) => String(c.payload.text));

    clock.set('2026-11-26T08:00:00.000Z');
    const first = scheduler.tick();
    await h.fake.waitForCall('sendMessage', { where: (c) => c.payload.chat_id === chat.id });
    h.fake.failNext('sendMessage', { kind: '429', retryAfter: 120 }, 1, chat.id);
    expect(await first).toMatchObject({ failed: 1, sent: 0 });
    expect(delivered()).toHaveLength(1);
    expect(toChat().at(-1)!.answer?.error_code).toBe(429);
    const row = (await h.store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z'))!;
    expect(row).toMatchObject({ status: 'failed', partsSent: 1, retryAt: '2026-11-26T08:02:00.000Z' });
    const total = row.partsTotal!;
    expect(total).toBeGreaterThan(1);

    // A minute later Telegram's wait is not over: nothing is sent.
    const calls = toChat().length;
    clock.set('2026-11-26T08:01:00.000Z');
    expect(await scheduler.tick()).toMatchObject({ sent: 0, deferred: 1 });
    expect(toChat()).toHaveLength(calls);

    clock.set('2026-11-26T08:02:01.000Z');
    expect(await scheduler.tick()).toMatchObject({ sent: 1 });
    const texts = delivered();
    expect(texts).toHaveLength(total);
    expect(new Set(texts).size).toBe(total);
    expect(await h.store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z')).toMatchObject({ status: 'sent', partsSent: total });
  }, 30_000);

  it('Telegram: after a crash while part 1 was on the wire, a restart takes part 1 as delivered and sends the rest', async () => {
    const clock = new FakeClock('2026-11-26T07:00:00.000Z');
    const h: TelegramHarness = await startTelegramHarness({ articles: longArticles(published), clock: clock.now });
    cleanups.push(() => h.close());
    const chat = h.fake.addChat(privateChat(user(602)));
    const target: Target = { platform: 'telegram', chatId: String(chat.id) };
    const sub = await subscribe(h.app, target);
    const news = await h.app.news('AI', { count: 10 });
    if (!news.ok) throw new Error(news.code);
    const articleIds = news.digest.items.flatMap((i) => i.articleIds);
    // What a process killed while its first part was on the wire leaves behind.
    await h.store.deliveries.claimDelivery(sub.id, sub.nextDueAt, 'dead-process', clock.now());
    await h.store.deliveries.updateClaim(sub.id, sub.nextDueAt, 'dead-process', { status: 'sending', partsSent: 0, partsTotal: 2, articleIds, digest: news.digest });

    clock.set('2026-11-26T08:01:00.000Z');
    const restarted = new DigestScheduler({ app: h.app, deliverers: [h.telegram.deliverer], clock: clock.now, count: 10 });
    expect(await restarted.recover()).toBe(1);
    expect(await restarted.tick()).toMatchObject({ sent: 1 });
    const sent = h.fake.callsOf('sendMessage').filter((c) => c.payload.chat_id === chat.id && c.answer?.ok === true);
    expect(sent).toHaveLength(1);
    expect(String(sent[0]!.payload.text)).not.toContain('📰');
    expect(await h.store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z')).toMatchObject({ status: 'sent', partsSent: 2 });
    expect(await h.store.deliveries.sentArticleIds(target)).toEqual(new Set(articleIds));
  }, 30_000);

  it('Discord: a part that fails is retried on the next tick without posting the parts before it again', async () => {
    const fake = await FakeDiscord.start();
    const store = openSqliteStorage(':memory:');
    await store.articles.upsertArticles(indexArticles(longArticles(published)));
    const clock = new FakeClock('2026-11-26T07:00:00.000Z');
    const app = new Newsbrief({ storage: store, clock: clock.now });
    // Three posts a second: time to fault the second part once the first has gone.
    const bot = createDiscordBot({ token: fake.token, apiBase: fake.apiBase, app, logger: silentLogger, postsPerSecond: 3 });
    cleanups.push(async () => {
      await bot.stop();
      await fake.close();
      await store.close();
    });
    await bot.start();
    const target: Target = { platform: 'discord', chatId: DEFAULT_CHANNEL };
    const sub = await subscribe(app, target);
    const scheduler = new DigestScheduler({ app, deliverers: [bot.deliverer], clock: clock.now, count: 10 });
    const posts = () => fake.callsTo('POST', `/channels/${DEFAULT_CHANNEL}/messages`);

    clock.set('2026-11-26T08:00:00.000Z');
    const first = scheduler.tick();
    await expect.poll(() => posts().filter((c) => c.status === 200).length, { timeout: 5000, interval: 5 }).toBe(1);
    fake.fail({ method: 'POST', path: /^\/channels\/\d+\/messages$/, status: 500, times: 10 });
    expect(await first).toMatchObject({ failed: 1 });
    const failedRow = (await store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z'))!;
    expect(failedRow).toMatchObject({ status: 'failed', partsSent: 1 });
    // Only the stories part 1 showed count as sent so far: their articles, and nothing of the later parts.
    const shownUrls = new Set(posts()[0]!.body.embeds.map((e: { url: string }) => e.url));
    const items = failedRow.digest!.items;
    const shownIds = items.filter((i) => shownUrls.has(i.url)).flatMap((i) => i.articleIds);
    expect(shownIds.length).toBeGreaterThan(0);
    expect(shownIds.length).toBeLessThan(items.length);
    expect(await store.deliveries.sentArticleIds(target)).toEqual(new Set(shownIds));
    const firstNonce = posts()[0]!.body.nonce;

    // The next ticks try again until the server recovers (the fault outlasts one attempt's retries).
    let sent = 0;
    for (let minute = 1; minute <= 4 && sent === 0; minute++) {
      clock.set(`2026-11-26T08:0${minute}:00.000Z`);
      sent = (await scheduler.tick()).sent;
    }
    expect(sent).toBe(1);
    const accepted = posts().filter((c) => c.status === 200);
    expect(accepted.filter((c) => c.body.nonce === firstNonce)).toHaveLength(1);
    const total = (await store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z'))!.partsTotal!;
    expect(total).toBeGreaterThan(1);
    expect(new Set(accepted.map((c) => c.body.nonce)).size).toBe(total);
    expect(accepted).toHaveLength(total);
    expect(fake.channelMessages).toHaveLength(total);
    expect(await store.deliveries.sentArticleIds(target)).toEqual(new Set(items.flatMap((i) => i.articleIds)));
  }, 30_000);
});

/** A database with the bundled seeds and subscriptions due a minute ago, and `npm start` on it. */
async function workspace(targets: Target[]) {
  const { dir, dbPath, remove } = await seededDatabase(targets, 'newsbrief-resume-');
  cleanups.push(remove);
  const launch = (env: Record<string, string>) => {
    const child = spawn(process.execPath, [binPath, 'start'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: dbPath, SEEDS_DIR: join(dir, 'seeds'), SEEDS_RESCAN: 'off', DIGEST_COUNT: '2', LOG_LEVEL: 'warn', FIRST_DIGEST_LOOKBACK_HOURS: SEEDS_LOOKBACK_HOURS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    return { child, exited, output: () => output };
  };
  return { dbPath, launch };
}

describe('kill -9 while a digest waits out a 429', () => {
  it('Telegram: the digest is not taken as sent; the restart sends it once', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    const chat = fake.addChat(privateChat(user(7101)));
    const ws = await workspace([{ platform: 'telegram', chatId: String(chat.id) }]);
    const env = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.apiRoot };
    const toChat = () => fake.calls.filter((c) => c.method === 'sendMessage' && c.payload.chat_id === chat.id);
    // 30 s is within what auto-retry waits in place: the process sits in that wait when it is killed.
    fake.failNext('sendMessage', { kind: '429', retryAfter: 30 }, 1, chat.id);

    const first = ws.launch(env);
    await expect.poll(() => toChat().filter((c) => c.answer?.error_code === 429).length, { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const store = openSqliteStorage(ws.dbPath);
    const [row] = await store.deliveries.deliveriesWithStatus('claimed');
    await store.close();
    expect(row, 'the slot waits, claimed and not in flight').toBeDefined();

    const second = ws.launch(env);
    await expect.poll(() => toChat().filter((c) => c.answer?.ok === true).length, { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);
    expect(toChat().filter((c) => c.answer?.ok === true)).toHaveLength(1);
  }, 60_000);

  it('Discord: the part is posted again with the same nonce after the restart, and shows once', async () => {
    const fake = await FakeDiscord.start();
    cleanups.push(() => fake.close());
    const ws = await workspace([{ platform: 'discord', chatId: DEFAULT_CHANNEL }]);
    const env = { DISCORD_TOKEN: fake.token, DISCORD_API_BASE: fake.apiBase };
    const posts = () => fake.callsTo('POST', `/channels/${DEFAULT_CHANNEL}/messages`);
    fake.fail({ method: 'POST', path: /^\/channels\/\d+\/messages$/, status: 429, retryAfter: 30 });

    const first = ws.launch(env);
    await expect.poll(() => posts().filter((c) => c.status === 429).length, { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const nonce = posts()[0]!.body.nonce;

    const second = ws.launch(env);
    await expect.poll(() => fake.channelMessages.length, { timeout: 15_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);
    expect(posts().filter((c) => c.status === 200).map((c) => c.body.nonce)).toEqual([nonce]);
    expect(fake.channelMessages).toHaveLength(1);
  }, 60_000);
});
