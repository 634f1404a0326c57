import { afterEach, describe, expect, it } from 'vitest';
import { makeArticle } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import {
  BOT_USER,
  group,
  privateChat,
  startTelegramHarness,
  supergroup,
  user,
  type FakeChat,
  type TelegramHarness,
} from './helpers/fake-telegram.js';
import { DigestScheduler } from '../src/schedule.js';
import type { Target } from '../src/model.js';
import type { Digest } from '../src/types.js';

/** The zone a scheduled digest is shown in, as the scheduler hands it over. */
const UTC = { timezone: 'UTC' };

const alice = user(101, 'Alice');
const bob = user(102, 'Bob');
const dm = privateChat(alice);

const articles = () => [
  makeArticle({ title: 'Chips double AI speed', topics: ['AI'], quality: 90 }),
  makeArticle({ title: 'Regulators look at AI', topics: ['AI'], quality: 70 }),
  makeArticle({ title: 'Rocket lands', topics: ['Space'], quality: 60 }),
];

let h: TelegramHarness;
afterEach(async () => {
  await h?.close();
});

function targetFor(chat: FakeChat): Target {
  return { platform: 'telegram', chatId: String(chat.id) };
}

async function aiDigest(count = 2): Promise<Digest> {
  const result = await h.app.news('AI', { count });
  if (!result.ok) throw new Error(result.code);
  return result.digest;
}

/** Pushes an update and waits until the bot has finished with it (its next poll confirms it). */
async function handled(update: Record<string, unknown>): Promise<void> {
  const { update_id } = h.fake.pushUpdate(update);
  await h.fake.waitForCall('getUpdates', { includePending: true, where: (c) => Number(c.payload.offset) > update_id });
}

async function replyTo(text: string, chat: FakeChat = dm, from = alice) {
  const since = h.fake.mark();
  h.fake.sendText({ from, chat, text });
  return h.fake.waitForCall('sendMessage', { since, where: (c) => Number(c.payload.chat_id) === chat.id && c.answer?.ok === true });
}

describe('rate limits and server errors', () => {
  it('waits retry_after on a 429 and then sends', async () => {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.failNext('sendMessage', { kind: '429', retryAfter: 1 });
    const since = h.fake.mark();
    await replyTo('/help');
    const [limited, sent] = h.fake.callsOf('sendMessage', since);
    expect(limited!.answer?.error_code).toBe(429);
    expect(sent!.at - limited!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries 5xx answers with growing backoff', async () => {
    h = await startTelegramHarness({ articles: articles(), botOptions: { retry: { baseDelayMs: 40 } } });
    h.fake.failNext('sendMessage', { kind: '5xx', status: 502 }, 2);
    const since = h.fake.mark();
    await replyTo('/news AI 1');
    const [first, second, third] = h.fake.callsOf('sendMessage', since);
    expect([first, second].map((c) => c!.answer?.error_code)).toEqual([502, 502]);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(35);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(75);
  });

  it('abandons a request that hangs past the timeout and sends it again', async () => {
    h = await startTelegramHarness({
      articles: articles(),
      botOptions: { requestTimeoutSeconds: 1.5, pollTimeoutSeconds: 1 },
    });
    h.fake.failNext('sendMessage', { kind: 'hang' });
    const since = h.fake.mark();
    await replyTo('/help');
    const [hung, sent] = h.fake.callsOf('sendMessage', since);
    expect(hung!.answer).toBeUndefined();
    expect(sent!.at - hung!.at).toBeGreaterThanOrEqual(1400);
  });

  it('keeps polling after getUpdates is rate limited', async () => {
    h = await startTelegramHarness({ articles: articles() });
    await replyTo('/help');
    h.fake.failNext('getUpdates', { kind: '429', retryAfter: 0 }, 2);
    await replyTo('/help');
    await replyTo('/news AI 1');
  });

  it('paces a long digest to one group', async () => {
    h = await startTelegramHarness({ articles: longArticles(), botOptions: { pacing: { chatGapMs: 200 } } });
    const room = h.fake.addChat(supergroup(9));
    const digest = await h.app.news('Chips', { count: 10 });
    if (!digest.ok) throw new Error(digest.code);
    const outcome = await h.telegram.deliverer.deliver(targetFor(room), digest.digest, UTC);
    expect(outcome.ok && outcome.messages).toBeGreaterThan(2);
    const sends = h.fake.callsOf('sendMessage');
    // Arrival times at the fake carry loopback jitter (the first request also opens the connection), so a
    // single gap may look shorter than the pacing gap on a busy machine; unpaced sends arrive milliseconds apart.
    for (let i = 1; i < sends.length; i++) expect(sends[i]!.at - sends[i - 1]!.at).toBeGreaterThanOrEqual(50);
    expect(sends.at(-1)!.at - sends[0]!.at).toBeGreaterThanOrEqual((sends.length - 1) * 200 - 40);
  });
});

describe('scheduled delivery and crash safety', () => {
  it('reports a digest as sending only when the pacer lets it leave', async () => {
    h = await startTelegramHarness({ articles: articles(), botOptions: { pacing: { chatGapMs: 300 } } });
    h.fake.addChat(dm);
    const announced: number[] = [];
    const hooks = { onSending: async () => void announced.push(Date.now()) };
    const first = h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(1), UTC, hooks);
    const second = h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(1), UTC, { onSending: async () => void announced.push(Date.now()) });
    await Promise.all([first, second]);
    const sends = h.fake.callsOf('sendMessage');
    expect(sends).toHaveLength(2);
    expect(announced).toHaveLength(2);
    // The second digest waited its turn in the pacer before it said it was sending.
    expect(announced[1]! - announced[0]!).toBeGreaterThanOrEqual(280);
    expect(Math.abs(sends[1]!.at - announced[1]!)).toBeLessThan(100);
  });
});

function longArticles() {
  return Array.from({ length: 10 }, (_, i) =>
    makeArticle({
      // Words unique to each story, so the core does not fold them into one.
      title: `Chip story ${i + 1}: ${Array.from({ length: 90 }, (_, k) => `w${i}k${k} &`).join(' ')}`,
      topics: ['Chips'],
      quality: 90 - i,
    }),
  );
}

describe('blocked, kicked and migrated chats', () => {
  it('a 403 while answering pauses the chat’s subscriptions, and the bot goes on serving others', async () => {
    h = await startTelegramHarness({ articles: articles() });
    await h.app.subscribe(targetFor(dm), 'AI');
    h.fake.block(dm.id);
    await handled({ message: { message_id: 1, date: 0, chat: dm, from: alice, text: '/news AI', entities: [{ type: 'bot_command', offset: 0, length: 5 }] } });
    expect((await h.store.subscriptions.listSubscriptions(targetFor(dm)))[0]!.active).toBe(false);
    expect(h.logger.entries.some((e) => e.level === 'error' && JSON.stringify(e.obj).includes('blocked'))).toBe(true);

    const other = await replyTo('/help', privateChat(bob), bob);
    expect(other.answer?.ok).toBe(true);
  });

  it('/start in a chat whose subscriptions were paused resumes them', async () => {
    h = await startTelegramHarness({ articles: articles() });
    await h.app.subscribe(targetFor(dm), 'AI');
    await h.store.subscriptions.setActive(targetFor(dm), false, 'bot was blocked by the user');
    const reply = await replyTo('/start');
    expect(String(reply.payload.text)).toContain('Resumed 1 paused subscription');
    expect((await h.store.subscriptions.listSubscriptions(targetFor(dm)))[0]!.active).toBe(true);
  });

  it('pauses a chat when Telegram reports the bot blocked or removed', async () => {
    h = await startTelegramHarness({ articles: articles() });
    const room = group(31);
    await h.app.subscribe(targetFor(room), 'AI');
    await h.app.subscribe(targetFor(dm), 'Space');
    const change = (chat: FakeChat, status: string) => ({
      my_chat_member: {
        chat,
        from: alice,
        date: 0,
        old_chat_member: { status: 'member', user: BOT_USER },
        new_chat_member: { status, user: BOT_USER, ...(status === 'kicked' ? { until_date: 0 } : {}) },
      },
    });
    await handled(change(room, 'left'));
    await handled(change(dm, 'kicked'));
    expect((await h.store.subscriptions.listSubscriptions(targetFor(room)))[0]!.active).toBe(false);
    expect((await h.store.subscriptions.listSubscriptions(targetFor(dm)))[0]!.active).toBe(false);
  });

  it('moves a group’s subscriptions when it announces it became a supergroup', async () => {
    h = await startTelegramHarness({ articles: articles() });
    const old = group(40);
    const upgraded = supergroup(40);
    await h.app.subscribe(targetFor(old), 'AI', '07:00');
    await handled({ message: { message_id: 9, date: 0, chat: old, from: alice, migrate_to_chat_id: upgraded.id } });
    expect(await h.store.subscriptions.listSubscriptions(targetFor(old))).toEqual([]);
    expect((await h.store.subscriptions.listSubscriptions(targetFor(upgraded)))[0]).toMatchObject({ topic: 'AI', time: '07:00' });
  });
});

describe('scheduled delivery', () => {
  const tomorrow = '2026-11-27T08:00:30.000Z';

  async function withScheduler() {
    const clock = new FakeClock('2026-11-26T09:00:00.000Z');
    h = await startTelegramHarness({ articles: articles(), clock: clock.now });
    // The articles are from 25 Nov 08:00; the first digest, on 27 Nov, looks back far enough to hold them.
    const scheduler = new DigestScheduler({ app: h.app, deliverers: [h.telegram.deliverer], clock: clock.now, firstLookbackHours: 72 });
    return { clock, scheduler };
  }

  it('shows dates in the subscription\'s own zone, not the chat\'s default and not UTC', async () => {
    const { clock, scheduler } = await withScheduler();
    h.fake.addChat(dm);
    // The chat's default zone is Tokyo; this subscription was made with its own zone, Kyiv.
    expect(await h.app.setTimezone(targetFor(dm), 'Asia/Tokyo')).toMatchObject({ ok: true });
    expect(await h.app.subscribe(targetFor(dm), 'AI', '10:00', 'Europe/Kyiv')).toMatchObject({ ok: true });
    clock.set('2026-11-27T08:00:30.000Z');
    expect(await scheduler.tick()).toMatchObject({ due: 1, sent: 1 });
    const [sent] = h.fake.callsOf('sendMessage');
    const text = String(sent!.payload.text);
    // The articles were published 25 Nov 08:00 UTC: 10:00 in Kyiv (UTC+2), 17:00 in Tokyo.
    expect(text).toContain('25 Nov 2026, 10:00 EET');
    expect(text).not.toContain('17:00');
    expect(text).not.toContain('08:00 UTC');
  });

  it('delivers a due digest as HTML and reports how many messages it took', async () => {
    const { clock, scheduler } = await withScheduler();
    h.fake.addChat(dm);
    await h.app.subscribe(targetFor(dm), 'AI');
    clock.set(tomorrow);
    const report = await scheduler.tick();
    expect(report).toMatchObject({ due: 1, sent: 1 });
    const [message] = h.fake.messagesIn(dm.id);
    expect(message!.text).toContain('Chips double AI speed');
    expect(message!.parse_mode).toBe('HTML');
  });

  it('a blocked user’s subscriptions are deactivated, kept, and not sent to again', async () => {
    const { clock, scheduler } = await withScheduler();
    h.fake.addChat(dm);
    await h.app.subscribe(targetFor(dm), 'AI');
    h.fake.block(dm.id);
    const outcome = await h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(!outcome.ok && outcome.reason).toContain('blocked by the user');

    clock.set(tomorrow);
    expect(await scheduler.tick()).toMatchObject({ deactivated: 1 });
    const [sub] = await h.store.subscriptions.listSubscriptions(targetFor(dm));
    expect(sub!.active).toBe(false);

    const sends = h.fake.callsOf('sendMessage').length;
    clock.advanceHours(24);
    await scheduler.tick();
    expect(h.fake.callsOf('sendMessage')).toHaveLength(sends);
  });

  it('a group that became a supergroup gets its digest under the new id and keeps its subscriptions', async () => {
    const { clock, scheduler } = await withScheduler();
    const old = h.fake.addChat(group(50));
    const upgraded = supergroup(50);
    await h.app.subscribe(targetFor(old), 'AI');
    h.fake.migrate(old.id, upgraded);

    const outcome = await h.telegram.deliverer.deliver(targetFor(old), await aiDigest(), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: false, migrateTo: targetFor(upgraded) });

    clock.set(tomorrow);
    expect(await scheduler.tick()).toMatchObject({ sent: 1 });
    expect(h.fake.messagesIn(upgraded.id)[0]!.text).toContain('Chips double AI speed');
    expect(await h.store.subscriptions.listSubscriptions(targetFor(upgraded))).toHaveLength(1);
    expect(await h.store.subscriptions.listSubscriptions(targetFor(old))).toEqual([]);
  });

  it('reports server errors that outlast the retries as temporary, leaving the subscription active', async () => {
    h = await startTelegramHarness({ articles: articles(), botOptions: { retry: { retries: 2, baseDelayMs: 10 } } });
    h.fake.addChat(dm);
    await h.app.subscribe(targetFor(dm), 'AI');
    h.fake.failNext('sendMessage', { kind: '5xx' }, 3);
    const outcome = await h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(h.fake.callsOf('sendMessage')).toHaveLength(3);
    expect((await h.store.subscriptions.listSubscriptions(targetFor(dm)))[0]!.active).toBe(true);
  });

  it('reports rate limiting that outlasts auto-retry as temporary', async () => {
    h = await startTelegramHarness({ articles: articles(), botOptions: { maxRateLimitRetries: 1 } });
    h.fake.addChat(dm);
    h.fake.failNext('sendMessage', { kind: '429', retryAfter: 0 }, 5);
    const outcome = await h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(!outcome.ok && outcome.reason).toContain('429');
  });

  it('gives up on a retry_after longer than allowed instead of holding the send', async () => {
    h = await startTelegramHarness({ articles: articles(), botOptions: { maxRetryAfterSeconds: 5 } });
    h.fake.addChat(dm);
    h.fake.failNext('sendMessage', { kind: '429', retryAfter: 3600 });
    const started = Date.now();
    const outcome = await h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(), UTC);
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('stopping', () => {
  it('stops promptly even while a send waits out a 429, and that send reports a temporary failure', async () => {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.addChat(dm);
    h.fake.failNext('sendMessage', { kind: '429', retryAfter: 30 });
    const delivery = h.telegram.deliverer.deliver(targetFor(dm), await aiDigest(), UTC);
    await h.fake.waitForCall('sendMessage');
    const started = Date.now();
    await h.telegram.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await delivery).toMatchObject({ ok: false, permanent: false });
    expect(h.fake.callsOf('getUpdates').at(-1)!.answer?.ok).toBe(true);
  });
});
