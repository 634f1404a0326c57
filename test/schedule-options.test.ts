import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { Newsbrief, indexArticles, parseSubscribeArgs } from '../src/index.js';
import type { Article, Subscription, Target } from '../src/model.js';
import { DigestScheduler } from '../src/schedule.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle, makeRelated } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import { RecordingDeliverer, type DeliveryCall } from './helpers/recording-deliverer.js';

const chat: Target = { platform: 'telegram', chatId: '5' };
const opened: SqliteStorage[] = [];
const schedulers: DigestScheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop(100)));
  for (const s of opened.splice(0)) await s.close();
});

let words = 0;
/** A title no other article shares a word with, so each article is its own story. */
function title(): string {
  const word = () => `z${(++words).toString(36)}q${(words * 7919).toString(36)}`;
  return `${word()} ${word()} ${word()} ${word()}`;
}

/**
 * SQLite in memory, the app and a scheduler on one fake clock, a recording Telegram deliverer, and one AI
 * article from long before, so the topic exists but no first digest finds it.
 */
async function world(start: string, schedulerCount?: number) {
  const clock = new FakeClock(start);
  const store = openSqliteStorage(':memory:');
  opened.push(store);
  const app = new Newsbrief({ storage: store, clock: clock.now });
  const telegram = new RecordingDeliverer('telegram', clock.now);
  const scheduler = new DigestScheduler({ app, deliverers: [telegram], clock: clock.now, ...(schedulerCount ? { count: schedulerCount } : {}) });
  schedulers.push(scheduler);

  /** Articles on AI published now (or as given). */
  const publish = async (n: number, overrides: Partial<Article> = {}): Promise<Article[]> => {
    const articles = Array.from({ length: n }, () => makeArticle({ title: title(), topics: ['AI'], publishedAt: clock.now().toISOString(), ...overrides }));
    await store.articles.upsertArticles(indexArticles(articles));
    app.refreshTopics();
    return articles;
  };

  const subscribe = async (text: string): Promise<Subscription> => {
    const { topic, ...options } = parseSubscribeArgs(text);
    const result = await app.subscribeWith(chat, topic, options);
    if (!result.ok) throw new Error(`subscribe failed: ${result.code} ${JSON.stringify(result.params)}`);
    return result.view.subscription;
  };

  const current = async (sub: Subscription) => (await store.subscriptions.getSubscription(sub.id))!;

  /** Moves to the subscription's next slot and ticks; returns the slot, as its local wall clock. */
  const nextDelivery = async (sub: Subscription, zone: string): Promise<string> => {
    const due = (await current(sub)).nextDueAt;
    clock.set(due);
    await scheduler.tick();
    return DateTime.fromISO(due, { zone }).toFormat('ccc dd HH:mm ZZ');
  };

  await publish(1, { publishedAt: '2025-01-01T00:00:00.000Z' });
  return { clock, store, app, telegram, scheduler, publish, subscribe, current, nextDelivery };
}

const ids = (call: DeliveryCall | undefined) => (call?.digest.items.flatMap((i) => i.articleIds) ?? []).sort();
const idsOf = (articles: Article[]) => articles.map((a) => a.id).sort();

describe('DigestScheduler: schedules across DST, on the controllable clock', () => {
  it('two times a day (New York, spring forward): each digest holds what is new since the one before', async () => {
    const w = await world('2026-03-07T04:00:00Z');
    const sub = await w.subscribe('AI 02:30,18:00 America/New_York');
    const slots: string[] = [];
    const expected: string[][] = [];
    for (let i = 0; i < 6; i++) {
      const due = Date.parse((await w.current(sub)).nextDueAt);
      // Two articles an hour before each slot: what that slot, and only that slot, must bring.
      w.clock.set(new Date(due - 3_600_000));
      expected.push(idsOf(await w.publish(2)));
      slots.push(await w.nextDelivery(sub, 'America/New_York'));
    }
    expect(slots).toEqual([
      'Sat 07 02:30 -05:00',
      'Sat 07 18:00 -05:00',
      'Sun 08 03:00 -04:00',
      'Sun 08 18:00 -04:00',
      'Mon 09 02:30 -04:00',
      'Mon 09 18:00 -04:00',
    ]);
    expect(w.telegram.delivered.map(ids)).toEqual(expected);
    expect(w.telegram.delivered.every((c) => c.context.timezone === 'America/New_York')).toBe(true);
  });

  it('weekdays (Kyiv, fall back on a Sunday): nothing at the weekend, Monday brings what came since Friday', async () => {
    const w = await world('2026-10-22T12:00:00Z');
    const sub = await w.subscribe('AI 09:00 Europe/Kyiv days=weekdays');
    w.clock.set('2026-10-23T05:00:00Z');
    const friday = await w.publish(1);
    expect(await w.nextDelivery(sub, 'Europe/Kyiv')).toBe('Fri 23 09:00 +03:00');
    // Published over the weekend; ticking every hour of it sends nothing.
    w.clock.set('2026-10-24T10:00:00Z');
    const weekend = await w.publish(2);
    for (let h = 0; h < 40; h++) {
      w.clock.advanceHours(1);
      await w.scheduler.tick();
    }
    expect(w.telegram.delivered).toHaveLength(1);
    expect(await w.nextDelivery(sub, 'Europe/Kyiv')).toBe('Mon 26 09:00 +02:00');
    expect(w.telegram.delivered.map(ids)).toEqual([idsOf(friday), idsOf(weekend)]);
  });

  it('chosen days (mon,wed,fri 07:15 New York) keep their local time across the fall-back', async () => {
    const w = await world('2026-10-28T12:00:00Z');
    const sub = await w.subscribe('AI 7:15am America/New_York days=mon,wed,fri');
    const slots: string[] = [];
    for (let i = 0; i < 4; i++) {
      w.clock.set(new Date(Date.parse((await w.current(sub)).nextDueAt) - 3_600_000));
      await w.publish(1);
      slots.push(await w.nextDelivery(sub, 'America/New_York'));
    }
    expect(slots).toEqual(['Fri 30 07:15 -04:00', 'Mon 02 07:15 -05:00', 'Wed 04 07:15 -05:00', 'Fri 06 07:15 -05:00']);
    expect(w.telegram.delivered).toHaveLength(4);
  });
});

describe('DigestScheduler: a subscription’s count and filters', () => {
  it('sends its own count, else the scheduler’s', async () => {
    const w = await world('2026-11-26T06:00:00Z', 4);
    await w.publish(8);
    const own = await w.subscribe('AI 08:00 count=2');
    await w.nextDelivery(own, 'UTC');
    expect(w.telegram.delivered[0]!.digest.items).toHaveLength(2);
    await w.publish(8);
    await w.subscribe('AI count=default');
    await w.nextDelivery(own, 'UTC');
    expect(w.telegram.delivered[1]!.digest.items).toHaveLength(4);
  });

  it('leaves out what the filters exclude, and links to excluded outlets', async () => {
    const w = await world('2026-11-26T06:00:00Z');
    const [kept] = await w.publish(1, {
      title: 'Open model tops the benchmark',
      related: [
        makeRelated({ title: 'Open model tops the benchmark, analysts say', url: 'https://blocked.example/r', provider: { name: 'Blocked', domain: 'blocked.example' }, publishedAt: '2026-11-26T05:00:00.000Z' }),
        makeRelated({ title: 'Open model tops the benchmark in tests', url: 'https://fine.example/r', provider: { name: 'Fine', domain: 'fine.example' }, publishedAt: '2026-11-26T05:00:00.000Z' }),
      ],
    });
    await w.publish(1, { title: 'Crypto fund buys GPU farm' });
    await w.publish(1, { title: 'Low quality rumour', quality: 10 });
    await w.publish(1, { title: 'Blocked outlet story', provider: { name: 'Blocked', domain: 'blocked.example' } });
    const sub = await w.subscribe('AI 08:00 exclude=crypto outlets=blocked.example min=30');
    await w.nextDelivery(sub, 'UTC');
    const [call] = w.telegram.delivered;
    expect(call!.digest.items.map((i) => i.articleId)).toEqual([kept!.id]);
    expect(call!.digest.items[0]!.related.map((r) => r.url)).toEqual(['https://fine.example/r']);
  });
});

describe('DigestScheduler: pause, resume and preview', () => {
  it('skips a paused subscription; resumed, it comes at its next slot after now with what is new since its last digest', async () => {
    const w = await world('2026-11-26T06:00:00Z');
    const first = await w.publish(1);
    const sub = await w.subscribe('AI 08:00');
    await w.nextDelivery(sub, 'UTC');
    await w.app.pause(chat, 'AI');
    for (let d = 0; d < 3; d++) {
      w.clock.advanceHours(24);
      await w.publish(1);
      await w.scheduler.tick();
    }
    expect(w.telegram.delivered).toHaveLength(1);
    w.clock.set('2026-11-29T12:00:00Z');
    const resumed = await w.app.resume(chat, 'AI');
    expect(resumed.ok && resumed.changed[0]!.subscription.nextDueAt).toBe('2026-11-30T08:00:00.000Z');
    await w.scheduler.tick();
    expect(w.telegram.delivered).toHaveLength(1);
    expect(await w.nextDelivery(sub, 'UTC')).toBe('Mon 30 08:00 +00:00');
    const [, after] = w.telegram.delivered;
    expect(ids(after)).toHaveLength(3);
    expect(ids(after)).not.toContain(first[0]!.id);
    // No slot of the pause was recorded as missed.
    expect((await w.store.deliveries.deliveries(sub.id)).map((d) => [d.slot, d.status])).toEqual([
      ['2026-11-30T08:00:00.000Z', 'sent'],
      ['2026-11-26T08:00:00.000Z', 'sent'],
    ]);
  });

  it('previews exactly what the next slot then sends, and the preview marks nothing as sent', async () => {
    const w = await world('2026-11-26T06:00:00Z', 3);
    await w.publish(5);
    const sub = await w.subscribe('AI 08:00 exclude=nothingmatches');
    await w.nextDelivery(sub, 'UTC');
    w.clock.set('2026-11-26T20:00:00Z');
    await w.publish(4);
    w.clock.set('2026-11-27T07:59:00Z');
    const preview = await w.app.preview(chat, 'AI');
    if (!preview.ok) throw new Error('expected a preview');
    expect(preview.since).toBe('2026-11-26T08:00:00.000Z');
    expect(preview.digest.items).toHaveLength(3);
    await w.nextDelivery(sub, 'UTC');
    const [, sent] = w.telegram.delivered;
    expect(sent!.digest.items.map((i) => i.articleIds)).toEqual(preview.digest.items.map((i) => i.articleIds));
  });
});
