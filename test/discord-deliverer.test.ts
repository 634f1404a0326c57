import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordBot, type DiscordBot } from '../adapters/discord/bot.js';
import { Pacer } from '../adapters/discord/pacer.js';
import { DigestScheduler } from '../src/schedule.js';
import { Newsbrief, silentLogger, type Article, type Digest, type Target, indexArticles } from '../src/index.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { longArticles, makeArticle } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import { FakeRateBudget, unreachableBudget } from './helpers/fake-rate-budget.js';
import { DEFAULT_CHANNEL, FakeDiscord, Perm, type RecordedCall } from './helpers/fake-discord.js';

interface Harness {
  fake: FakeDiscord;
  store: SqliteStorage;
  app: Newsbrief;
  clock: FakeClock;
  bot: DiscordBot;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Distinct words per story, so that the core does not fold them into one story.
const words = (seed: string, n: number) => Array.from({ length: n }, (_, k) => `${seed}x${k}`).join(' ');

function aiArticles(prefix: string, n: number, publishedAt = '2026-11-25T08:00:00.000Z'): Article[] {
  return Array.from({ length: n }, (_, i) =>
    makeArticle({ title: `${prefix} ${i} ${words(`${prefix}${i}`, 6)}`, topics: ['AI'], quality: 90 - i, publishedAt }),
  );
}

async function setup(options: { articles?: Article[]; postsPerSecond?: number } = {}): Promise<Harness> {
  const fake = await FakeDiscord.start();
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(options.articles ?? aiArticles('Story', 3)));
  const clock = new FakeClock('2026-11-25T12:00:00.000Z');
  const app = new Newsbrief({ storage: store, clock: clock.now });
  const bot = createDiscordBot({ token: fake.token, apiBase: fake.apiBase, app, logger: silentLogger, postsPerSecond: options.postsPerSecond });
  cleanups.push(async () => {
    await bot.stop();
    await fake.close();
    await store.close();
  });
  await bot.start();
  return { fake, store, app, clock, bot };
}

async function digestOf(h: Harness, count = 5): Promise<Digest> {
  const result = await h.app.news('AI', { count });
  if (!result.ok) throw new Error(result.code);
  return result.digest;
}

/** Scheduled digests show dates in the subscription's zone; Discord's timestamps show each reader's own. */
const UTC = { timezone: 'UTC' };
const channel = (chatId: string = DEFAULT_CHANNEL): Target => ({ platform: 'discord', chatId });
const posts = (h: Harness, chatId: string = DEFAULT_CHANNEL): RecordedCall[] => h.fake.callsTo('POST', `/channels/${chatId}/messages`);

describe('Discord deliverer', () => {
  it('posts the digest to the channel: header, one embed per story, no mentions parsed, a nonce enforced', async () => {
    const h = await setup();
    const outcome = await h.bot.deliverer.deliver(channel(), await digestOf(h), UTC);
    expect(outcome).toEqual({ ok: true, messages: 1 });
    const [post] = posts(h);
    expect(post!.status).toBe(200);
    expect(post!.headers.authorization).toBe(`Bot ${h.fake.token}`);
    expect(post!.body.content).toContain('Your daily digest: **AI**');
    expect(post!.body.embeds).toHaveLength(3);
    expect(post!.body.allowed_mentions).toEqual({ parse: [] });
    expect(post!.body.nonce).toMatch(/^[\w-]{1,25}$/);
    expect(post!.body.enforce_nonce).toBe(true);
    expect(h.bot.deliverer.platform).toBe('discord');
  });

  it('posts a digest too big for one message as several, in order', async () => {
    const h = await setup({ articles: longArticles() });
    const digest = await digestOf(h, 10);
    expect(digest.items).toHaveLength(10);
    expect(digest.items.every((i) => i.related.length === 3)).toBe(true);
    const outcome = await h.bot.deliverer.deliver(channel(), digest, UTC);
    const sent = posts(h);
    expect(sent.length).toBeGreaterThan(1);
    expect(outcome).toEqual({ ok: true, messages: sent.length });
    expect(sent.every((c) => c.status === 200)).toBe(true);
    expect(sent.flatMap((c) => c.body.embeds.map((e: any) => e.url))).toEqual(digest.items.map((i) => i.url));
    expect(new Set(sent.map((c) => c.body.nonce)).size).toBe(sent.length);
  });

  it('does not post a retried digest twice: Discord returns the message with the same nonce', async () => {
    const h = await setup();
    const digest = await digestOf(h);
    await h.bot.deliverer.deliver(channel(), digest, UTC);
    const again = await h.bot.deliverer.deliver(channel(), digest, UTC);
    expect(again.ok).toBe(true);
    expect(posts(h)).toHaveLength(2);
    expect(h.fake.channelMessages).toHaveLength(1);
  });

  it('waits out a 429 for its Retry-After, then posts', async () => {
    const h = await setup();
    h.fake.fail({ method: 'POST', path: /^\/channels\/\d+\/messages$/, status: 429, retryAfter: 0.3 });
    const outcome = await h.bot.deliverer.deliver(channel(), await digestOf(h), UTC);
    expect(outcome).toEqual({ ok: true, messages: 1 });
    const [limited, accepted] = posts(h);
    expect([limited!.status, accepted!.status]).toEqual([429, 200]);
    expect(accepted!.at - limited!.at).toBeGreaterThanOrEqual(290);
    expect(h.fake.channelMessages).toHaveLength(1);
  });

  it('reports 403 (access lost) as permanent and stops sending to that channel', async () => {
    const h = await setup({ articles: longArticles() });
    h.fake.breakChannel(DEFAULT_CHANNEL, 403);
    const outcome = await h.bot.deliverer.deliver(channel(), await digestOf(h, 10), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('403') });
    expect(posts(h)).toHaveLength(1);
  });

  it('reports 404 (channel deleted) as permanent', async () => {
    const h = await setup();
    h.fake.breakChannel(DEFAULT_CHANNEL, 404);
    expect(await h.bot.deliverer.deliver(channel(), await digestOf(h), UTC)).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('Unknown Channel') });
  });

  it('reports a server error that outlasts the retries as transient', async () => {
    const h = await setup();
    h.fake.fail({ path: /^\/channels\/\d+\/messages$/, status: 500, times: 10 });
    const outcome = await h.bot.deliverer.deliver(channel(), await digestOf(h), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(posts(h).length).toBeGreaterThan(1);
  });

  it('refuses targets that are not Discord channels without calling Discord', async () => {
    const h = await setup();
    const digest = await digestOf(h);
    expect(await h.bot.deliverer.deliver({ platform: 'telegram', chatId: '1' }, digest, UTC)).toMatchObject({ ok: false, permanent: false });
    expect(await h.bot.deliverer.deliver(channel('../../users/@me'), digest, UTC)).toMatchObject({ ok: false, permanent: true });
    expect(h.fake.calls.filter((c) => c.path.includes('messages'))).toEqual([]);
  });

  it('paces posts across all channels to the configured rate', async () => {
    const h = await setup({ postsPerSecond: 20 });
    const digest = await digestOf(h);
    const chats = Array.from({ length: 6 }, (_, i) => `90000000000000100${i}`);
    const outcomes = await Promise.all(chats.map((id) => h.bot.deliverer.deliver(channel(id), digest, UTC)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const times = h.fake.calls.filter((c) => c.path.endsWith('/messages')).map((c) => c.at).sort((a, b) => a - b);
    expect(times).toHaveLength(6);
    // 20/s is one every 50 ms when sent; arrival times jitter a little. Unpaced, all six land within a few ms.
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThanOrEqual(70);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(200);
  });
});

describe('Pacer', () => {
  /** Starts `n` callers at once and returns when each was let through. */
  async function starts(pacer: Pacer, n: number, stallMs = 0): Promise<number[]> {
    // The first slot is taken up front, so every caller below has to wait for its turn.
    await pacer.wait();
    const times: number[] = [performance.now()];
    const all = Array.from({ length: n }, async () => {
      await pacer.wait();
      times.push(performance.now());
    });
    if (stallMs > 0) {
      const until = performance.now() + stallMs;
      while (performance.now() < until); // a blocked event loop, as a long synchronous task causes
    }
    await Promise.all(all);
    return times.sort((a, b) => a - b);
  }

  it('spaces calls made at the same moment evenly', async () => {
    const times = await starts(new Pacer(100), 5);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(48);
    // A slot is never released before its time; a late timer may only push a call later, so each call is
    // checked against the schedule rather than against its neighbour (which a busy machine can crowd).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[0]!).toBeGreaterThanOrEqual(i * 10 - 1);
  });

  it('does not release a burst after the event loop was blocked', async () => {
    const times = await starts(new Pacer(100), 5, 120);
    // A burst would let the waiting calls through within a millisecond of each other.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(5);
  });

  it('lets a caller through at once when the pacer has been idle', async () => {
    const pacer = new Pacer(10);
    await pacer.wait();
    await new Promise((r) => setTimeout(r, 120));
    const before = performance.now();
    await pacer.wait();
    expect(performance.now() - before).toBeLessThan(20);
  });

  it('paces two instances sharing a budget at one combined rate', async () => {
    const budget = new FakeRateBudget();
    const shared = { budget, key: 'discord:bot-1' };
    const pacers = [new Pacer(100, undefined, undefined, shared), new Pacer(100, undefined, undefined, shared)];
    const times: number[] = [];
    await Promise.all(
      pacers.flatMap((pacer) =>
        Array.from({ length: 5 }, async () => {
          await pacer.wait();
          times.push(performance.now());
        }),
      ),
    );
    times.sort((a, b) => a - b);
    // Each pacer alone would let its first call through at once, so two would start together.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[0]!).toBeGreaterThanOrEqual(i * 10 - 2);
    expect(budget.calls).toHaveLength(10);
    expect(budget.calls.every((c) => c.key === 'discord:bot-1' && c.intervalMs === 10)).toBe(true);
  });

  /** A pacer on a clock that only its own sleeps move, so what it waited for can be read back exactly. */
  function steppedPacer(perSecond: number, budget: FakeRateBudget) {
    let t = 1_000_000;
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      t += ms;
    };
    return { pacer: new Pacer(perSecond, () => t, sleep, { budget, key: 'k' }), slept };
  }

  it('waits the delay the shared budget gives after its own slot', async () => {
    const { pacer, slept } = steppedPacer(10, new FakeRateBudget(async () => 30));
    await pacer.wait();
    expect(slept).toEqual([30]);
    await pacer.wait();
    // Its own slot comes 100 ms after the first (70 ms after the first call left), then the budget's delay.
    expect(slept).toEqual([30, 70, 30]);
  });

  it('lets a shared slot go when it wakes up more than an interval late, and reserves another (at most three)', async () => {
    let t = 1_000_000;
    const slept: number[] = [];
    let overshoot = 250;
    // A stalled process: each sleep ends `overshoot` ms after it should.
    const sleep = async (ms: number) => {
      slept.push(ms);
      t += ms + overshoot;
    };
    const budget = new FakeRateBudget(async () => 30);
    const pacer = new Pacer(10, () => t, sleep, { budget, key: 'k' });
    await pacer.wait();
    // Three late wake-ups in a row: three reservations, then it sends anyway.
    expect(budget.calls).toHaveLength(3);
    overshoot = 5;
    const before = budget.calls.length;
    await pacer.wait();
    // On time (within an interval) after its local slot: one reservation.
    expect(budget.calls.length - before).toBe(1);
    expect(slept.at(-1)).toBe(30);
  });

  it('keeps to its own pacing, without throwing, when the shared budget cannot be reached', async () => {
    const budget = unreachableBudget();
    const { pacer, slept } = steppedPacer(10, budget);
    await pacer.wait();
    await pacer.wait();
    await pacer.wait();
    // The first call goes at once; the others wait for their local slots and nothing more.
    expect(slept).toEqual([100, 100]);
    expect(budget.calls).toHaveLength(3);
  });
});

describe('scheduled delivery through the Discord bot', () => {
  it('delivers a channel subscription, and a 403 marks it inactive so nothing more is sent there', async () => {
    const h = await setup();
    const scheduler = new DigestScheduler({ app: h.app, deliverers: [h.bot.deliverer], logger: silentLogger });

    const d = h.fake.slash('subscribe', { topic: 'AI', time: '13:00', timezone: 'UTC' }, { kind: 'guild', permissions: Perm.ManageChannels });
    await d.callback;
    const [sub] = await h.store.subscriptions.listSubscriptions(channel());
    expect(sub).toMatchObject({ active: true, nextDueAt: '2026-11-25T13:00:00.000Z' });

    h.clock.set('2026-11-25T13:00:30.000Z');
    expect(await scheduler.tick()).toMatchObject({ sent: 1 });
    expect(h.fake.channelMessages).toHaveLength(1);
    expect(h.fake.channelMessages[0]!.body.embeds).toHaveLength(3);

    // The next day brings news, but the bot has lost access to the channel.
    await h.store.articles.upsertArticles(indexArticles(aiArticles('Fresh', 2, '2026-11-26T09:00:00.000Z')));
    h.app.refreshTopics();
    h.fake.breakChannel(DEFAULT_CHANNEL, 403);
    h.clock.set('2026-11-26T13:00:30.000Z');
    expect(await scheduler.tick()).toMatchObject({ deactivated: 1, sent: 0 });
    expect((await h.store.subscriptions.listSubscriptions(channel()))[0]!.active).toBe(false);

    const attempts = posts(h).length;
    await h.store.articles.upsertArticles(indexArticles(aiArticles('Later', 2, '2026-11-27T09:00:00.000Z')));
    h.clock.set('2026-11-27T13:00:30.000Z');
    expect(await scheduler.tick()).toMatchObject({ due: 0 });
    expect(posts(h)).toHaveLength(attempts);

    const list = h.fake.slash('subscriptions', {}, { kind: 'guild' });
    expect((await list.callback).body.data.embeds[0].description).toContain('paused');
  });
});
