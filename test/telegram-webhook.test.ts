import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createTelegramBot, type TelegramBot, type TelegramBotOptions } from '../adapters/telegram/index.js';
import { start } from '../entry/service.js';
import { Newsbrief } from '../src/app.js';
import { silentLogger } from '../src/logger.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle } from './helpers/articles.js';
import {
  FakeTelegram,
  TOKEN,
  privateChat,
  startTelegramHarness,
  user,
  type TelegramHarness,
} from './helpers/fake-telegram.js';

const alice = user(301, 'Alice');
const dm = privateChat(alice);
const SECRET = 'webhook-secret_0123456789';
const PATH = '/telegram/hook';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port nobody listens on right now: the webhook URL has to name it before the bot starts. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The real bot in webhook mode on loopback, against a fresh fake that POSTs updates to it. */
async function startWebhookBot(webhook: { secret?: string; ackAfterMs?: number } = {}, botOptions: Partial<TelegramBotOptions> = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${PATH}`;
  const h = await startTelegramHarness({
    articles: [makeArticle({ title: 'Chips double AI speed', topics: ['AI'], quality: 90 })],
    botOptions: { webhook: { url, port, host: '127.0.0.1', secret: SECRET, ...webhook }, ...botOptions },
  });
  cleanups.push(() => h.close());
  return { h, port, url };
}

/** A /news update as Telegram would POST it. */
function newsUpdate(updateId: number, chatId = dm.id) {
  return {
    update_id: updateId,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { ...dm, id: chatId },
      from: alice,
      text: '/news AI 1',
      entities: [{ type: 'bot_command', offset: 0, length: 5 }],
    },
  };
}

function post(port: number, path: string, body: string, headers: Record<string, string> = {}, method = 'POST') {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : body,
    signal: AbortSignal.timeout(4000),
  });
}

async function askNews(h: TelegramHarness) {
  const since = h.fake.mark();
  h.fake.sendText({ from: alice, chat: dm, text: '/news AI 1' });
  return h.fake.waitForCall('sendMessage', { since, where: (c) => Number(c.payload.chat_id) === dm.id });
}

describe('starting in webhook mode', () => {
  it('registers the webhook with its URL and secret, keeps pending updates and never polls', async () => {
    const { h, url } = await startWebhookBot();
    const [setWebhook] = h.fake.callsOf('setWebhook');
    expect(setWebhook!.payload).toMatchObject({ url, secret_token: SECRET, allowed_updates: [], drop_pending_updates: false });
    // The token is checked and the menu registered first, so a bad token fails before Telegram is told anything.
    expect(h.fake.calls.map((c) => c.method)).toEqual(['getMe', 'setMyCommands', 'setWebhook']);
    expect(h.fake.webhook).toEqual({ url, secret_token: SECRET, allowed_updates: [] });
    expect(h.logger.entries.some((e) => e.msg === 'telegram: receiving updates by webhook')).toBe(true);
  });

  it('without a configured secret registers a random one, different for each start', async () => {
    const secrets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { h } = await startWebhookBot({ secret: undefined });
      const secret = String(h.fake.callsOf('setWebhook')[0]!.payload.secret_token);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
      secrets.push(secret);
    }
    expect(secrets[0]).not.toBe(secrets[1]);
  });

  it('rejects start() naming the port and TELEGRAM_WEBHOOK_PORT when the port is taken, and never sets the webhook', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    const squatter = http.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => squatter.close(resolve)));
    const { port } = squatter.address() as AddressInfo;
    const { telegram } = buildBot(fake, { url: `http://127.0.0.1:${port}${PATH}`, port, host: '127.0.0.1' });
    await expect(telegram.start()).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port} \\(TELEGRAM_WEBHOOK_PORT\\): the port is already in use`));
    expect(fake.callsOf('setWebhook')).toEqual([]);
  });

  it('a refused setWebhook fails start() and frees the port', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    const port = await freePort();
    fake.failNext('setWebhook', { kind: '400', description: 'Bad Request: bad webhook: Failed to resolve host' });
    const { telegram } = buildBot(fake, { url: `http://127.0.0.1:${port}${PATH}`, port, host: '127.0.0.1' });
    await expect(telegram.start()).rejects.toThrow(/bad webhook/);
    const again = http.createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => again.close(resolve));
  });

  it('refuses a webhook URL that is not http(s) and a secret Telegram would refuse', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    expect(() => buildBot(fake, { url: 'ftp://bot.example.com/hook', port: 8080 })).toThrow(/webhook\.url must be an http\(s\) URL/);
    expect(() => buildBot(fake, { url: 'bot.example.com/hook', port: 8080 })).toThrow(/webhook\.url/);
    expect(() => buildBot(fake, { url: 'https://bot.example.com/hook', port: 8080, secret: 'has spaces' })).toThrow(/webhook\.secret/);
  });
});

describe('receiving updates', () => {
  it('handles a /news update Telegram POSTs with the secret: the digest goes to the chat', async () => {
    const { h } = await startWebhookBot();
    const reply = await askNews(h);
    expect(String(reply.payload.text)).toContain('Chips double AI speed');
    await h.fake.waitUntil(() => h.fake.pendingUpdateCount === 0, 'the update to be confirmed');
    expect(h.fake.webhookDeliveries.map((d) => d.status)).toEqual([200]);
    expect(h.fake.callsOf('getUpdates')).toEqual([]);
  });

  it('refuses a request with a wrong or missing secret token with 401, and handles nothing', async () => {
    const { h, port } = await startWebhookBot();
    const forgedChat = 999_001;
    const wrong = await post(port, PATH, JSON.stringify(newsUpdate(1, forgedChat)), { 'x-telegram-bot-api-secret-token': 'guess' });
    const missing = await post(port, PATH, JSON.stringify(newsUpdate(2, forgedChat)));
    expect([wrong.status, missing.status]).toEqual([401, 401]);
    // A real update after the forged ones is answered; the forged ones never were.
    await askNews(h);
    expect(h.fake.callsOf('sendMessage').map((c) => Number(c.payload.chat_id))).toEqual([dm.id]);
    expect(h.logger.entries.filter((e) => /without the right secret token/.test(e.msg ?? ''))).toHaveLength(2);
  });

  it('answers 405 to anything but POST on the webhook path and 404 elsewhere', async () => {
    const { h, port } = await startWebhookBot();
    const get = await post(port, PATH, '', { 'x-telegram-bot-api-secret-token': SECRET }, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const body = JSON.stringify(newsUpdate(3));
    expect((await post(port, '/', body, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(404);
    expect((await post(port, `${PATH}/more`, body, { 'x-telegram-bot-api-secret-token': SECRET })).status).toBe(404);
    expect(h.fake.callsOf('sendMessage')).toEqual([]);
  });

  it('answers 400 to a body that is not JSON, and keeps serving', async () => {
    const { h, port } = await startWebhookBot();
    const res = await post(port, PATH, '{"update_id": 1, "mess', { 'x-telegram-bot-api-secret-token': SECRET });
    expect(res.status).toBe(400);
    await askNews(h);
  });

  it('answers a slow update with 200 after ackAfterMs, so Telegram does not send it again, and still finishes it', async () => {
    const { h } = await startWebhookBot({ ackAfterMs: 100 });
    h.fake.failNext('sendMessage', { kind: 'delay', ms: 800 });
    h.fake.sendText({ from: alice, chat: dm, text: '/news AI 1' });
    await h.fake.waitUntil(() => h.fake.webhookDeliveries.length === 1, 'the delivery to be answered');
    expect(h.fake.webhookDeliveries[0]!.status).toBe(200);
    // Answered while the reply was still on its way.
    expect(h.fake.callsOf('sendMessage').every((c) => c.answer === undefined)).toBe(true);
    const [reply] = await h.fake.waitForCalls('sendMessage', 1);
    expect(String(reply!.payload.text)).toContain('Chips double AI speed');
    expect(h.fake.webhookDeliveries).toHaveLength(1);
  });
});

describe('stopping', () => {
  it('lets an update being handled finish, closes the server and leaves the webhook registered', async () => {
    const { h, port } = await startWebhookBot({}, { stopGraceMs: 3000 });
    h.fake.failNext('sendMessage', { kind: 'delay', ms: 300 });
    h.fake.sendText({ from: alice, chat: dm, text: '/news AI 1' });
    await h.fake.waitForCall('sendMessage', { includePending: true });
    const stopping = Date.now();
    await h.telegram.stop();
    // Done when the reply was, not at the end of the grace period.
    expect(Date.now() - stopping).toBeLessThan(2000);
    const [reply] = h.fake.callsOf('sendMessage');
    expect(reply!.answer?.ok).toBe(true);
    // Telegram got its answer too, rather than a dropped connection.
    await h.fake.waitUntil(() => h.fake.webhookDeliveries.length === 1, 'the delivery to be answered');
    expect(h.fake.webhookDeliveries.map((d) => d.status)).toEqual([200]);
    await expect(post(port, PATH, '{}', { 'x-telegram-bot-api-secret-token': SECRET })).rejects.toThrow();
    expect(h.fake.callsOf('deleteWebhook')).toEqual([]);
    expect(h.fake.webhook?.url).toContain(`:${port}${PATH}`);
  });

  it('also waits for an update it already acknowledged to Telegram but is still handling', async () => {
    const { h } = await startWebhookBot({ ackAfterMs: 50 }, { stopGraceMs: 3000 });
    h.fake.failNext('sendMessage', { kind: 'delay', ms: 400 });
    h.fake.sendText({ from: alice, chat: dm, text: '/news AI 1' });
    await h.fake.waitUntil(() => h.fake.webhookDeliveries.length === 1, 'the early answer');
    await h.telegram.stop();
    expect(h.fake.callsOf('sendMessage')[0]!.answer?.ok).toBe(true);
  });

  it('updates sent while the bot is down wait at Telegram and arrive after the next start', async () => {
    const { h, port, url } = await startWebhookBot();
    await h.telegram.stop();
    h.fake.sendText({ from: alice, chat: dm, text: '/news AI 1' });
    await h.fake.waitUntil(() => h.fake.webhookDeliveries.length === 1, 'a failed delivery');
    expect(h.fake.webhookDeliveries[0]!.status).toBe('unreachable');
    expect(h.fake.pendingUpdateCount).toBe(1);

    const restarted = createTelegramBot({
      token: TOKEN,
      apiRoot: h.fake.apiRoot,
      app: h.app,
      logger: h.logger,
      pacing: { chatGapMs: 0 },
      stopGraceMs: 200,
      webhook: { url, port, host: '127.0.0.1', secret: SECRET },
    });
    cleanups.push(() => restarted.stop());
    await restarted.start();
    const reply = await h.fake.waitForCall('sendMessage');
    expect(String(reply.payload.text)).toContain('Chips double AI speed');
    await h.fake.waitUntil(() => h.fake.pendingUpdateCount === 0, 'the queued update to be confirmed');
  });
});

describe('npm start with TELEGRAM_WEBHOOK_URL', () => {
  it('passes the webhook settings through: listens, registers the webhook and answers commands', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}${PATH}`;
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    cleanups.push(() => stop());
    const stderr = new PassThrough();
    let log = '';
    stderr.on('data', (d) => (log += String(d)));
    const running = start({
      env: {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.apiRoot,
        TELEGRAM_WEBHOOK_URL: url,
        TELEGRAM_WEBHOOK_PORT: String(port),
        TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        DATABASE_PATH: ':memory:',
        SEEDS_DIR: '/nonexistent/newsbrief-seeds',
        SEEDS_RESCAN: 'off',
        TERMINAL_MODE: 'off',
        LOG_LEVEL: 'error',
      },
      stderr,
      stopSignal,
    });
    const setWebhook = await fake.waitForCall('setWebhook', { timeoutMs: 10_000 });
    expect(setWebhook.payload).toMatchObject({ url, secret_token: SECRET });
    const since = fake.mark();
    fake.sendText({ from: alice, chat: dm, text: '/help' });
    const reply = await fake.waitForCall('sendMessage', { since });
    expect(String(reply.payload.text)).toContain('/news');
    stop();
    expect(await running, log).toBe(0);
    expect(fake.callsOf('getUpdates')).toEqual([]);
    expect(fake.callsOf('deleteWebhook')).toEqual([]);
    expect(log).not.toContain(SECRET);
  });
});

/** A webhook-mode bot that is not started yet; stopped (and its store closed) after the test. */
function buildBot(fake: FakeTelegram, webhook: { url: string; port: number; host?: string; secret?: string }): { telegram: TelegramBot } {
  const store = openSqliteStorage(':memory:');
  cleanups.push(() => store.close());
  const telegram = createTelegramBot({ token: TOKEN, apiRoot: fake.apiRoot, app: new Newsbrief({ storage: store }), logger: silentLogger, webhook });
  cleanups.push(() => telegram.stop());
  return { telegram };
}
