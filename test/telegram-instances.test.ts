import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramBot, telegramBotId, telegramBudgetKey } from '../adapters/telegram/index.js';
import { Newsbrief } from '../src/index.js';
import { makeArticle } from './helpers/articles.js';
import { FakeTelegram, TOKEN, privateChat, recordingLogger, startTelegramHarness, user, type TelegramHarness } from './helpers/fake-telegram.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';

// Several instances on one bot token: only the one an election picks polls, every one delivers.

let h: TelegramHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const articles = () => [
  makeArticle({ title: 'Chips double AI speed', topics: ['AI'], quality: 90 }),
  makeArticle({ title: 'A new telescope opens', topics: ['Space'], quality: 80 }),
];
const UTC = { timezone: 'UTC' };
const alice = user(3101);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function standby(): Promise<TelegramHarness> {
  h = await startTelegramHarness({ articles: articles(), botOptions: { deferPolling: true, reachRetry: { baseDelayMs: 20 } } });
  return h;
}

describe('a bot started with deferPolling', () => {
  it('is ready to deliver but does not poll, nor touch the webhook, until told to', async () => {
    const { fake, telegram, app } = await standby();
    expect(fake.callsOf('getMe')).toHaveLength(1);
    expect(fake.callsOf('setMyCommands')).toHaveLength(1);
    expect(telegram.polling).toBe(false);
    const chat = fake.addChat(privateChat(alice));
    const digest = await app.news('AI', { count: 1 });
    if (!digest.ok) throw new Error(digest.code);
    expect(await telegram.deliverer.deliver({ platform: 'telegram', chatId: String(chat.id) }, digest.digest, UTC)).toEqual({ ok: true, messages: 1 });
    await sleep(300);
    expect(fake.callsOf('getUpdates')).toHaveLength(0);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(0);
  });

  it('polls after startPolling and answers; after stopPolling it stops asking, and a restart answers what came meanwhile, once', async () => {
    const { fake, telegram } = await standby();
    const chat = privateChat(alice);
    await telegram.startPolling();
    expect(telegram.polling).toBe(true);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    await fake.waitForCall('getUpdates', { includePending: true });
    let since = fake.mark();
    fake.sendText({ from: alice, chat, text: '/news space 1' });
    await fake.waitForCall('sendMessage', { since });

    await telegram.stopPolling();
    expect(telegram.polling).toBe(false);
    const polled = fake.callsOf('getUpdates').length;
    since = fake.mark();
    fake.sendText({ from: alice, chat, text: '/news ai 1' });
    await sleep(500);
    expect(fake.callsOf('getUpdates')).toHaveLength(polled);
    expect(fake.callsOf('sendMessage', since)).toHaveLength(0);

    await telegram.startPolling();
    const [reply] = await fake.waitForCalls('sendMessage', 1, { since });
    expect(String(reply!.payload.text)).toContain('Chips double AI speed');
    await sleep(300);
    expect(fake.callsOf('sendMessage', since)).toHaveLength(1);
  });

  it('treats startPolling twice as once, and a stop and start in quick succession as ending up polling', async () => {
    const { fake, telegram } = await standby();
    await Promise.all([telegram.startPolling(), telegram.startPolling()]);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    const stopping = telegram.stopPolling();
    const starting = telegram.startPolling();
    await Promise.all([stopping, starting]);
    expect(telegram.polling).toBe(true);
    const since = fake.mark();
    fake.sendText({ from: alice, chat: privateChat(alice), text: '/news space 1' });
    await fake.waitForCall('sendMessage', { since });
  });

  it('abandons a start that cannot reach the Bot API when stopPolling comes, without polling', async () => {
    const { fake, telegram } = await standby();
    fake.failNext('deleteWebhook', { kind: '5xx', status: 502 }, 1000);
    const starting = telegram.startPolling();
    await fake.waitForCalls('deleteWebhook', 2);
    await telegram.stopPolling();
    await starting;
    expect(telegram.polling).toBe(false);
    await sleep(200);
    expect(fake.callsOf('getUpdates')).toHaveLength(0);
  });

  it('rejects startPolling when the Bot API refuses, and before start()', async () => {
    const fake = await FakeTelegram.start();
    const store = openSqliteStorage(':memory:');
    const bot = createTelegramBot({ token: TOKEN, apiRoot: fake.apiRoot, app: new Newsbrief({ storage: store }), logger: recordingLogger(), deferPolling: true });
    try {
      await expect(bot.startPolling()).rejects.toThrow(/call start\(\) first/);
      await bot.start();
      fake.failNext('deleteWebhook', { kind: 'status', code: 401, description: 'Unauthorized' });
      await expect(bot.startPolling()).rejects.toThrow(/401/);
      expect(bot.polling).toBe(false);
    } finally {
      await bot.stop();
      await fake.close();
      await store.close();
    }
  });

  it('stop() ends polling started by startPolling, confirming the updates taken', async () => {
    const { fake, telegram } = await standby();
    await telegram.startPolling();
    const since = fake.mark();
    fake.sendText({ from: alice, chat: privateChat(alice), text: '/news space 1' });
    await fake.waitForCall('sendMessage', { since });
    await telegram.stop();
    expect(telegram.polling).toBe(false);
    expect(fake.pendingUpdateCount).toBe(0);
    await expect(telegram.startPolling()).rejects.toThrow(/stopped/);
  });
});

describe('a bot without deferPolling', () => {
  it('polls from start() as before, and stopPolling/startPolling switch it', async () => {
    h = await startTelegramHarness({ articles: articles() });
    const { fake, telegram } = h;
    expect(telegram.polling).toBe(true);
    await fake.waitForCall('getUpdates', { includePending: true });
    await telegram.stopPolling();
    expect(telegram.polling).toBe(false);
    await telegram.startPolling();
    expect(telegram.polling).toBe(true);
  });
});

describe('the key instances share a send budget under', () => {
  it('is the bot id, the public part of the token', () => {
    expect(telegramBudgetKey(TOKEN)).toBe('telegram:424242');
    expect(telegramBotId('123456789:AAH-secret_part')).toBe('123456789');
  });

  it('never holds the secret part, even of a token of an unexpected shape', () => {
    for (const token of ['no-colon-secret-token', 'abc:def-secret', ':leading-colon-secret']) {
      const key = telegramBudgetKey(token);
      expect(key).toMatch(/^telegram:sha256-[0-9a-f]{16}$/);
      expect(key).not.toContain('secret');
    }
    expect(telegramBudgetKey('no-colon-secret-token')).not.toBe(telegramBudgetKey('abc:def-secret'));
  });
});
