import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTelegramBot, type TelegramBotOptions } from '../adapters/telegram/index.js';
import { Newsbrief } from '../src/app.js';
import { LogRedactor, redactingLogOptions, type Logger } from '../src/logger.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import type { Target } from '../src/model.js';
import { makeArticle } from './helpers/articles.js';
import { binPath, repoRoot } from './helpers/cli.js';
import {
  FakeTelegram,
  TOKEN,
  privateChat,
  recordingLogger,
  startTelegramHarness,
  user,
  type FakeChat,
  type StoredMessage,
  type TelegramHarness,
} from './helpers/fake-telegram.js';
import { indexArticles } from '../src/index.js';

const alice = user(801, 'Alice');
const bob = user(802, 'Bob');
const dm = privateChat(alice);

const articles = () => [
  makeArticle({ title: 'Chips double AI speed', topics: ['AI'], quality: 90 }),
  makeArticle({ title: 'Regulators look at AI', topics: ['AI'], quality: 70 }),
  makeArticle({ title: 'Rocket lands', topics: ['Space'], quality: 60 }),
];

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(h: TelegramHarness): TelegramHarness {
  cleanups.push(() => h.close());
  return h;
}

/** The real bot against a fake that is already failing the way the test wants, before start(). */
async function startBot(prepare: (fake: FakeTelegram) => void, botOptions: Partial<TelegramBotOptions> = {}) {
  const fake = await FakeTelegram.start();
  prepare(fake);
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(articles()));
  const app = new Newsbrief({ storage: store, clock: () => new Date('2026-11-26T09:00:00.000Z') });
  const logger = recordingLogger();
  const telegram = createTelegramBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    app,
    logger,
    pacing: { chatGapMs: 0 },
    retry: { baseDelayMs: 20 },
    stopGraceMs: 200,
    ...botOptions,
  });
  cleanups.push(async () => {
    await telegram.stop();
    await fake.close();
    await store.close();
  });
  return { fake, store, app, logger, telegram };
}

/** A pino logger exactly as `npm start` configures redaction, writing its lines into an array. */
function pinoLines(secrets: string[]): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug', ...redactingLogOptions(secrets) },
    { write: (line: string) => void lines.push(line) },
  );
  return { logger, lines };
}

// ---- 1. Tokens never reach a log ------------------------------------------------------------------

describe('tokens in logs', () => {
  const DISCORD = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123';
  const INTERACTION = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldA';

  it('the serializer removes both tokens and interaction tokens from messages, stacks, causes, error.error and any string property', async () => {
    const url = `http://127.0.0.1:1/bot${TOKEN}/sendMessage`;
    const fetchError = Object.assign(new Error(`request to ${url} failed, reason: socket hang up`), { code: 'ECONNRESET', url });
    const wrapped = Object.assign(new Error("Network request for 'sendMessage' failed!"), { error: fetchError });
    const interaction = new Error('Unknown interaction', {
      cause: new Error(`POST https://discord.com/api/v10/interactions/123456789012345678/${INTERACTION}/callback`),
    });
    const top = new Error(`start-up failed with ${DISCORD}`, { cause: new AggregateError([wrapped, interaction], 'both') });
    Object.assign(top, { headers: { authorization: `Bot ${DISCORD}` }, nested: [{ deeper: { url } }], webhook: `/webhooks/42/${INTERACTION}` });

    const { logger, lines } = pinoLines([TOKEN, DISCORD]);
    logger.error({ err: top, detail: { error: wrapped } }, `failed at ${url}`);
    logger.warn(wrapped);
    const out = lines.join('\n');
    expect(out).toContain('socket hang up');
    expect(out).toContain('ECONNRESET');
    expect(out).toContain('Unknown interaction');
    expect(out).toContain('[REDACTED]');
    for (const secret of [TOKEN, DISCORD, INTERACTION, TOKEN.split(':')[1]!]) expect(out).not.toContain(secret);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('redacts a token-shaped Bot API path it was not told about, and survives cycles, throwing getters and huge values', async () => {
    const redactor = new LogRedactor([]);
    const cyclic: Record<string, unknown> = { text: 'GET /bot987654:Zz_-other-token/getMe' };
    cyclic.self = cyclic;
    Object.defineProperty(cyclic, 'trap', { enumerable: true, get: () => { throw new Error('no'); } });
    const huge = 'x'.repeat(5_000_000) + `/bot1:${'a'.repeat(40)}`;
    const out = JSON.stringify(redactor.value({ cyclic, huge, list: Array.from({ length: 10_000 }, (_, i) => i) }));
    expect(out).not.toContain('Zz_-other-token');
    expect(out).toContain('[Circular]');
    expect(out.length).toBeLessThan(100_000);
  });

  it('no log line holds the token when connections drop mid-request (command menu, a reply, the apology)', async () => {
    const { logger, lines } = pinoLines([TOKEN]);
    const { fake, telegram } = await startBot((f) => f.failNext('setMyCommands', { kind: 'drop' }, 10), { logger });
    await telegram.start();
    expect(lines.some((l) => l.includes('could not register the command menu'))).toBe(true);

    // A reply whose connection drops every time: the one error handler logs it.
    fake.addChat(dm);
    fake.failNext('sendMessage', { kind: 'drop' }, 5);
    fake.sendText({ from: alice, chat: dm, text: '/help' });
    await expect.poll(() => lines.some((l) => l.includes('an update failed')), { timeout: 4000 }).toBe(true);

    // A refused reply, then the apology's connection drops: the error handler's own warning.
    fake.failNext('sendMessage', { kind: '400', description: 'Bad Request: something odd' });
    fake.failNext('sendMessage', { kind: 'drop' }, 5);
    fake.sendText({ from: alice, chat: dm, text: '/help' });
    await expect.poll(() => lines.some((l) => l.includes('could not reply')), { timeout: 4000 }).toBe(true);

    const out = lines.join('\n');
    expect(out).toMatch(/socket hang up|ECONNRESET/);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(TOKEN.split(':')[1]!);
  });
});

/** `npm start` (the bin) against the fake in a scratch folder; resolves its exit code or signal. */
function launch(fake: FakeTelegram, extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-hardening2-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
  const child = spawn(process.execPath, [binPath, 'start'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      DATABASE_PATH: join(dir, 'db.sqlite'),
      SEEDS_DIR: join(dir, 'seeds'),
      SEEDS_RESCAN: 'off',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 40_000);
  cleanups.push(() => {
    clearTimeout(deadline);
    child.kill('SIGKILL');
  });
  return { child, exited, output: () => output };
}

describe('tokens in the logs of npm start', () => {
  it('neither the getMe retries nor the command-menu warning after dropped connections print the token', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    fake.failNext('getMe', { kind: 'drop' }, 2);
    // The bot's client retries a dropped call 4 times (1 + 2 + 4 + 8 s) before the warning.
    fake.failNext('setMyCommands', { kind: 'drop' }, 5);
    const run = launch(fake);
    await fake.waitForCall('getUpdates', { includePending: true, timeoutMs: 35_000 });
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    const lines = run.output().split('\n').filter((l) => l.startsWith('{'));
    const reach = lines.filter((l) => l.includes('cannot reach the Telegram Bot API'));
    expect(reach.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      `telegram: cannot reach the Telegram Bot API at ${fake.apiRoot}: retrying in 1 s`,
      `telegram: cannot reach the Telegram Bot API at ${fake.apiRoot}: retrying in 2 s`,
    ]);
    const menu = lines.find((l) => l.includes('could not register the command menu'));
    expect(menu, run.output()).toMatch(/socket hang up|ECONNRESET/);
    expect(run.output()).not.toContain(TOKEN);
    expect(run.output()).not.toContain(TOKEN.split(':')[1]!);
  }, 45_000);
});

// ---- 14. An unreachable API is reported, not waited on in silence ----------------------------------

describe('Bot API unreachable at start', () => {
  it('logs each getMe retry at warn with the API root and the wait, never the token, and starts once it answers', async () => {
    const { fake, logger, telegram } = await startBot((f) => f.failNext('getMe', { kind: 'drop' }, 2), {
      reachRetry: { baseDelayMs: 50 },
    });
    await telegram.start();
    const retries = logger.entries.filter((e) => e.level === 'warn' && e.msg?.startsWith('telegram: cannot reach the Telegram Bot API'));
    expect(retries.map((e) => e.msg)).toEqual([
      `telegram: cannot reach the Telegram Bot API at ${fake.apiRoot}: retrying in 0.05 s`,
      `telegram: cannot reach the Telegram Bot API at ${fake.apiRoot}: retrying in 0.1 s`,
    ]);
    expect(JSON.stringify(logger.entries)).not.toContain(TOKEN);
    expect(fake.callsOf('getMe')).toHaveLength(3);
  });

  it('keeps retrying with growing waits while nothing listens, and stop() ends the wait', async () => {
    const closed = await FakeTelegram.start();
    const apiRoot = closed.apiRoot;
    await closed.close();
    const store = openSqliteStorage(':memory:');
    cleanups.push(() => store.close());
    const logger = recordingLogger();
    const telegram = createTelegramBot({ token: TOKEN, apiRoot, app: new Newsbrief({ storage: store }), logger, reachRetry: { baseDelayMs: 40, maxDelayMs: 160 } });
    const starting = telegram.start();
    starting.catch(() => {});
    await expect.poll(() => logger.entries.filter((e) => e.level === 'warn').length, { timeout: 4000 }).toBeGreaterThanOrEqual(4);
    const waits = logger.entries.filter((e) => e.level === 'warn').map((e) => (e.obj as { retryInSeconds: number }).retryInSeconds);
    expect(waits.slice(0, 4)).toEqual([0.04, 0.08, 0.16, 0.16]);
    expect(logger.entries[0]!.obj).toMatchObject({ apiRoot, reason: expect.stringContaining('ECONNREFUSED') });
    await telegram.stop();
    await expect(starting).rejects.toThrow();
    expect(JSON.stringify(logger.entries)).not.toContain(TOKEN);
  });
});

// ---- 4. 409 and 401 from getUpdates -----------------------------------------------------------------

describe('getUpdates conflicts and revoked tokens', () => {
  const conflict = { kind: 'status', code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' } as const;

  async function reply(fake: FakeTelegram, text: string, chat: FakeChat = dm, from = alice, timeoutMs = 4000) {
    const since = fake.mark();
    fake.sendText({ from, chat, text });
    return fake.waitForCall('sendMessage', { since, timeoutMs, where: (c) => Number(c.payload.chat_id) === chat.id });
  }

  it('a passing 409 is retried with backoff and said at warn; commands are answered afterwards', async () => {
    const fatal: Error[] = [];
    const h = track(
      await startTelegramHarness({
        articles: articles(),
        botOptions: { polling: { retryBaseMs: 50, conflictMaxAttempts: 5 }, onFatal: (e) => fatal.push(e) },
      }),
    );
    h.fake.failNext('getUpdates', conflict, 2);
    await reply(h.fake, '/help');
    await reply(h.fake, '/topics');
    const warnings = h.logger.entries.filter((e) => e.level === 'warn' && e.msg?.includes('conflict (409)'));
    expect(warnings).toHaveLength(2);
    expect(warnings.map((e) => (e.obj as { retryInSeconds: number }).retryInSeconds)).toEqual([0.05, 0.1]);
    expect(fatal).toEqual([]);
  });

  it('a 409 that persists past the limit is reported as fatal', async () => {
    let fatal!: (e: Error & { errorCode?: number }) => void;
    const reported = new Promise<Error & { errorCode?: number }>((resolve) => (fatal = resolve));
    const h = track(
      await startTelegramHarness({
        articles: articles(),
        botOptions: { polling: { retryBaseMs: 20, conflictMaxAttempts: 3 }, onFatal: (e) => fatal(e) },
      }),
    );
    h.fake.failNext('getUpdates', conflict, 1000);
    h.fake.sendText({ from: alice, chat: dm, text: '/help' });
    const error = await reported;
    expect(error.errorCode).toBe(409);
    expect(error.message).toMatch(/409 Conflict 4 times/);
    expect(h.logger.entries.filter((e) => e.msg?.includes('conflict (409)'))).toHaveLength(3);
  });

  it('a 409 limit in time applies too', async () => {
    let fatal!: (e: Error) => void;
    const reported = new Promise<Error>((resolve) => (fatal = resolve));
    const h = track(
      await startTelegramHarness({
        articles: articles(),
        botOptions: { polling: { retryBaseMs: 100, conflictMaxAttempts: 1000, conflictMaxMs: 300 }, onFatal: (e) => fatal(e) },
      }),
    );
    h.fake.failNext('getUpdates', conflict, 1000);
    h.fake.sendText({ from: alice, chat: dm, text: '/help' });
    await expect(reported).resolves.toMatchObject({ errorCode: 409 });
  });

  it('npm start exits non-zero with a fatal line when getUpdates answers 401', async () => {
    const fake = await FakeTelegram.start();
    cleanups.push(() => fake.close());
    fake.failNext('getUpdates', { kind: 'status', code: 401, description: 'Unauthorized' });
    const run = launch(fake);
    expect(await run.exited, run.output()).toBe(1);
    const fatalLine = run.output().split('\n').find((l) => l.includes('"level":60'));
    expect(fatalLine, run.output()).toBeDefined();
    expect(fatalLine).toContain('401');
    expect(run.output()).not.toContain(TOKEN);
  }, 45_000);
});

// ---- 5. Channel buttons: only administrators change subscriptions -----------------------------------

describe('channel subscriptions and forged buttons', () => {
  const channel: FakeChat = { id: -1_001_234_567, type: 'channel', title: 'News channel' };
  const owner = user(811, 'Owner');
  const viewer = user(812, 'Viewer');
  const target: Target = { platform: 'telegram', chatId: String(channel.id) };

  /** The channel subscribed to AI and Space, and a bot message in it for buttons to sit under. */
  async function channelWithSubscriptions(): Promise<{ h: TelegramHarness; message: StoredMessage }> {
    const h = track(await startTelegramHarness({ articles: articles() }));
    h.fake.addChat(channel);
    h.fake.setAdmins(channel.id, [], owner.id);
    await h.app.subscribe(target, 'AI');
    await h.app.subscribe(target, 'Space');
    const since = h.fake.mark();
    h.fake.pushUpdate({
      channel_post: { message_id: 1, date: 1, chat: channel, sender_chat: channel, text: '/unsubscribe nothing', entities: [{ type: 'bot_command', offset: 0, length: 12 }] },
    });
    const call = await h.fake.waitForCall('sendMessage', { since });
    const result = call.answer!.result as { message_id: number };
    return { h, message: h.fake.messages.get(`${channel.id}:${result.message_id}`)! };
  }

  async function pressAs(h: TelegramHarness, from: typeof viewer, message: StoredMessage, data: string) {
    const since = h.fake.mark();
    h.fake.press({ from, message, data });
    return h.fake.waitForCall('answerCallbackQuery', { since });
  }

  it('a viewer pressing "All of them" under a channel post changes nothing; the owner pressing it does', async () => {
    const { h, message } = await channelWithSubscriptions();
    expect(message.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toContain('All of them');

    const refused = await pressAs(h, viewer, message, 'u|all');
    expect(refused.payload).toMatchObject({ show_alert: true });
    expect(h.fake.callsOf('getChatMember').map((c) => Number(c.payload.user_id))).toEqual([viewer.id]);
    expect(await h.app.subscriptions(target)).toHaveLength(2);

    const since = h.fake.mark();
    await pressAs(h, owner, message, 'u|all');
    await h.fake.waitForCall('editMessageText', { since });
    expect(await h.app.subscriptions(target)).toHaveLength(0);
  });

  it('forged callback data from a viewer adds no subscription, and oversized data is refused as expired', async () => {
    const { h, message } = await channelWithSubscriptions();
    const refused = await pressAs(h, viewer, message, 's|07:00|UTC|cybersecurity');
    expect(refused.payload).toMatchObject({ show_alert: true });
    const huge = await pressAs(h, owner, message, `s|07:00|UTC|${'x'.repeat(10_000)}`);
    expect(String(huge.payload.text)).toMatch(/expired/);
    expect((await h.app.subscriptions(target)).map((v) => v.subscription.topicKey).sort()).toEqual(['ai', 'space']);
  });

  it('a command posted as the channel still manages it (only administrators post there)', async () => {
    const h = track(await startTelegramHarness({ articles: articles() }));
    h.fake.addChat(channel);
    const since = h.fake.mark();
    h.fake.pushUpdate({
      channel_post: { message_id: 1, date: 1, chat: channel, sender_chat: channel, text: '/subscribe Space', entities: [{ type: 'bot_command', offset: 0, length: 10 }] },
    });
    await h.fake.waitForCall('sendMessage', { since });
    expect((await h.app.subscriptions(target)).map((v) => v.subscription.topicKey)).toEqual(['space']);
    expect(h.fake.callsOf('getChatMember')).toHaveLength(0);
  });
});

// ---- 7. One busy chat does not stall the others -----------------------------------------------------

describe('a flooding chat', () => {
  it("another user's /help is answered within 2 s while one user sends 30 commands; the flood is capped and logged", async () => {
    const h = track(
      await startTelegramHarness({ articles: articles(), botOptions: { pacing: { chatGapMs: 1000 }, maxQueuedPerChat: 5 } }),
    );
    for (let i = 0; i < 30; i++) h.fake.sendText({ from: alice, chat: dm, text: i % 2 ? '/help' : '/news AI 1' });
    await h.fake.waitForCall('sendMessage', { where: (c) => Number(c.payload.chat_id) === dm.id });
    const asked = Date.now();
    const since = h.fake.mark();
    h.fake.sendText({ from: bob, chat: privateChat(bob), text: '/help' });
    await h.fake.waitForCall('sendMessage', { since, timeoutMs: 2000, where: (c) => Number(c.payload.chat_id) === bob.id });
    expect(Date.now() - asked).toBeLessThan(2000);

    const floods = h.logger.entries.filter((e) => e.msg?.includes('chat is flooding'));
    expect(floods).toHaveLength(1);
    // At most the cap is answered, plus one short notice; everything else was dropped, not queued.
    await new Promise((r) => setTimeout(r, 300));
    const toAlice = h.fake.calls.filter((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === dm.id);
    const queuedAtMost = 5 + 1;
    await h.telegram.stop();
    expect(toAlice.length).toBeLessThanOrEqual(queuedAtMost);
  }, 15_000);

  it('keeps each chat in order while chats are handled in parallel', async () => {
    const h = track(await startTelegramHarness({ articles: articles(), botOptions: { pacing: { chatGapMs: 300 } } }));
    const carol = user(803, 'Carol');
    const sequence = ['/news AI 1', '/help', '/news Space', '/topics', '/news AI 2'];
    // Alice's five first, then Carol's: handled one at a time, Carol would wait behind all of Alice's slots.
    for (const text of sequence) h.fake.sendText({ from: alice, chat: dm, text });
    for (const text of sequence) h.fake.sendText({ from: carol, chat: privateChat(carol), text });
    for (const who of [alice, carol]) {
      const calls = await h.fake.waitForCalls('sendMessage', sequence.length, { where: (c) => Number(c.payload.chat_id) === who.id });
      const texts = calls.map((c) => String(c.payload.text));
      expect(texts[0]).toMatch(/Chips double AI speed/);
      expect(texts[1]).toMatch(/\/subscribe/);
      expect(texts[2]).toMatch(/Rocket lands/);
      expect(texts[3]).toMatch(/Space/);
      expect(texts[4]).toMatch(/Regulators look at AI/);
    }
    const first = (id: number) => h.fake.calls.find((c) => c.method === 'sendMessage' && Number(c.payload.chat_id) === id)!.at;
    expect(first(carol.id) - first(alice.id)).toBeLessThan(250);
  });

  it('stops within its grace period while a flood is still queued, and confirms the updates it took', async () => {
    const h = track(await startTelegramHarness({ articles: articles(), botOptions: { pacing: { chatGapMs: 1000 }, stopGraceMs: 300 } }));
    for (let i = 0; i < 8; i++) h.fake.sendText({ from: alice, chat: dm, text: '/help' });
    await h.fake.waitForCall('sendMessage');
    const started = Date.now();
    await h.telegram.stop();
    expect(Date.now() - started).toBeLessThan(1500);
    const last = h.fake.callsOf('getUpdates').at(-1)!;
    expect(last.answer?.ok).toBe(true);
    expect(Number(last.payload.offset)).toBeGreaterThan(8);
  });
});

// ---- 9. Webhook body size --------------------------------------------------------------------------

describe('webhook request bodies', () => {
  const SECRET = 'hardening-secret_0123456789';

  async function webhookBot() {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const h = track(
      await startTelegramHarness({
        articles: articles(),
        botOptions: { webhook: { url: `http://127.0.0.1:${port}/hook`, port, host: '127.0.0.1', secret: SECRET } },
      }),
    );
    return { h, port };
  }

  /** POSTs with the secret; `body` is written chunk by chunk until the server answers. Resolves with the status and bytes written. */
  function post(port: number, headers: Record<string, string | number>, chunks: () => Generator<Buffer>) {
    return new Promise<{ status: number; written: number }>((resolve, reject) => {
      let written = 0;
      let answered = false;
      const req = http.request(
        { host: '127.0.0.1', port, path: '/hook', method: 'POST', headers: { 'x-telegram-bot-api-secret-token': SECRET, 'content-type': 'application/json', ...headers } },
        (res) => {
          answered = true;
          res.resume();
          resolve({ status: res.statusCode ?? 0, written });
          req.destroy();
        },
      );
      req.on('error', (error) => (answered ? undefined : reject(error)));
      const source = chunks();
      const pump = () => {
        while (!answered) {
          const next = source.next();
          if (next.done) return void req.end();
          written += next.value.length;
          if (!req.write(next.value)) return void req.once('drain', pump);
        }
      };
      pump();
    });
  }

  function* megabytes(n: number): Generator<Buffer> {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let i = 0; i < n * 16; i++) yield chunk;
  }

  it('answers 413 to a declared 400 MiB body without reading it', async () => {
    const { h, port } = await webhookBot();
    const answer = await post(port, { 'content-length': 400 * 1024 * 1024 }, () => megabytes(400));
    expect(answer.status).toBe(413);
    expect(answer.written).toBeLessThan(16 * 1024 * 1024);
    expect(h.logger.entries.some((e) => e.msg?.includes('too large'))).toBe(true);
  });

  it('answers 413 to a chunked body once it passes 1 MiB, and keeps serving updates', async () => {
    const { h, port } = await webhookBot();
    const answer = await post(port, { 'transfer-encoding': 'chunked' }, () => megabytes(64));
    expect(answer.status).toBe(413);
    expect(answer.written).toBeLessThan(16 * 1024 * 1024);

    const since = h.fake.mark();
    h.fake.sendText({ from: alice, chat: dm, text: '/help' });
    await h.fake.waitForCall('sendMessage', { since });
  });

  it('still takes a body just under the cap, and answers 400 to JSON that is not an update', async () => {
    const { port } = await webhookBot();
    const padded = Buffer.from(JSON.stringify({ update_id: 1, pad: ' '.repeat(1024 * 1024 - 40) }));
    expect(padded.length).toBeLessThanOrEqual(1024 * 1024);
    expect((await post(port, { 'content-length': padded.length }, function* () { yield padded; })).status).toBe(200);
    const list = Buffer.from('[1,2,3]');
    expect((await post(port, { 'content-length': list.length }, function* () { yield list; })).status).toBe(400);
  });
});

