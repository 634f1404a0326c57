import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Newsbrief, indexArticles, silentLogger } from '../src/index.js';
import { cronTicker } from '../adapters/runtime/cron.js';
import type { Article, Subscription, Target } from '../src/model.js';
import { DigestScheduler, type DigestSchedulerOptions, type TickReport } from '../src/schedule.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import { RecordingDeliverer } from './helpers/recording-deliverer.js';

const chat = (chatId: string, platform: Target['platform'] = 'telegram'): Target => ({ platform, chatId });

let wordCounter = 0;
/** A title of words no other test article shares, so no two articles are taken for one story. */
function uniqueTitle(): string {
  const word = () => {
    let n = ++wordCounter;
    let out = '';
    do {
      out += String.fromCharCode(97 + (n % 26));
      n = Math.floor(n / 26);
    } while (n > 0);
    return `q${out}x`;
  };
  return `${word()} ${word()} ${word()} ${word()}`;
}

const opened: SqliteStorage[] = [];

/** Runs `fn` over the items one after another (subscription ids follow the order). */
async function seq<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const [i, item] of items.entries()) out.push(await fn(item, i));
  return out;
}
const schedulers: DigestScheduler[] = [];

afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop(100)));
  for (const store of opened.splice(0)) await store.close();
});

/** A real in-memory store, the app on a fake clock, and a recording Telegram deliverer. */
function world(start: string) {
  const clock = new FakeClock(start);
  const store = openSqliteStorage(':memory:');
  opened.push(store);
  const app = new Newsbrief({ storage: store, clock: clock.now });
  const telegram = new RecordingDeliverer('telegram', clock.now);

  const scheduler = (options: Partial<DigestSchedulerOptions> = {}) => {
    const s = new DigestScheduler({ app, deliverers: [telegram], clock: clock.now, ...options });
    schedulers.push(s);
    return s;
  };

  /** Adds `n` new articles on the topic, published now. */
  const addArticles = async (n: number, topic = 'AI'): Promise<Article[]> => {
    const articles = Array.from({ length: n }, () =>
      makeArticle({ title: uniqueTitle(), topics: [topic], publishedAt: clock.now().toISOString() }),
    );
    await store.articles.upsertArticles(indexArticles(articles));
    app.refreshTopics();
    return articles;
  };

  const subscribe = async (target: Target, time: string, timezone: string | undefined, topic = 'AI'): Promise<Subscription> => {
    const result = await app.subscribe(target, topic, time, timezone);
    if (!result.ok) throw new Error(`subscribe failed: ${result.code}`);
    return result.view.subscription;
  };

  const current = async (sub: Subscription): Promise<Subscription> => (await store.subscriptions.getSubscription(sub.id))!;

  /** Moves the clock to the subscription's next due instant and ticks. */
  const tickAtNextDue = async (s: DigestScheduler, sub: Subscription): Promise<TickReport> => {
    clock.set((await current(sub)).nextDueAt);
    return s.tick();
  };

  return { clock, store, app, telegram, scheduler, addArticles, subscribe, current, tickAtNextDue };
}

const sentIds = (calls: { digest: { items: { articleIds: string[] }[] } }[]) =>
  calls.flatMap((c) => c.digest.items.flatMap((i) => i.articleIds));

describe('DigestScheduler: one digest per local day', () => {
  const scenarios = [
    { name: 'Europe/Kyiv spring forward', zone: 'Europe/Kyiv', start: '2026-03-27T22:00:00Z', odd: '03:30', oddLocal: ['03:30', '04:00', '03:30'] },
    { name: 'Europe/Kyiv fall back', zone: 'Europe/Kyiv', start: '2026-10-23T21:00:00Z', odd: '03:30', oddLocal: ['03:30', '03:30', '03:30'] },
    { name: 'America/New_York spring forward', zone: 'America/New_York', start: '2026-03-07T05:00:00Z', odd: '02:30', oddLocal: ['02:30', '03:00', '02:30'] },
    { name: 'America/New_York fall back', zone: 'America/New_York', start: '2026-10-31T04:00:00Z', odd: '01:30', oddLocal: ['01:30', '01:30', '01:30'] },
  ];

  it.each(scenarios)(
    '$name: ticking every minute for three days sends each subscriber one digest a day, at its local time',
    async ({ zone, start, odd, oddLocal }) => {
      const w = world(start);
      await w.addArticles(2);
      const regular = await w.subscribe(chat('1'), '08:00', zone);
      const inOddHour = await w.subscribe(chat('2'), odd, zone);
      const s = w.scheduler();
      const end = Date.parse(start) + 3 * 86_400_000;
      while (w.clock.now().getTime() < end) {
        // New articles every six hours, so every day has something to send.
        if (w.clock.now().getTime() % (6 * 3_600_000) === 0) await w.addArticles(2);
        await s.tick();
        w.clock.advanceMinutes(1);
      }

      const localTimes = (chatId: string) =>
        w.telegram.deliveredTo(chatId).map((c) => DateTime.fromJSDate(c.at, { zone }).toFormat('yyyy-MM-dd HH:mm'));
      const days = [0, 1, 2].map((d) => DateTime.fromISO(start, { zone }).plus({ days: d }).toFormat('yyyy-MM-dd'));
      expect(localTimes('1')).toEqual(days.map((d) => `${d} 08:00`));
      expect(localTimes('2')).toEqual(days.map((d, i) => `${d} ${oddLocal[i]}`));
      // Every tick of those three days found nothing to do except at the six slots.
      expect(w.telegram.calls).toHaveLength(6);
      expect((await w.store.deliveries.deliveries(regular.id)).map((d) => d.status)).toEqual(['sent', 'sent', 'sent']);
      expect((await w.store.deliveries.deliveries(inOddHour.id)).map((d) => d.status)).toEqual(['sent', 'sent', 'sent']);
    },
  );
});

describe('DigestScheduler: a scheduled digest holds only what is new since the previous one', () => {
  it('day 2 brings only stories published after day 1\'s slot, not day 1\'s leftovers', async () => {
    const w = world('2026-11-26T00:00:00Z');
    const day0 = await w.addArticles(4);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler({ count: 2 });
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ sent: 1 });
    w.clock.set('2026-11-27T00:00:00Z');
    const day1 = await w.addArticles(1);
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ sent: 1 });

    const [first, second] = w.telegram.deliveredTo('1');
    expect(first!.digest.items).toHaveLength(2);
    expect(sentIds([first!]).every((id) => day0.some((a) => a.id === id))).toBe(true);
    // Two of day 0's articles were never shown, but they are older than the previous delivery.
    expect(sentIds([second!])).toEqual([day1[0]!.id]);
    expect(await w.store.deliveries.sentArticleIds(chat('1'))).toEqual(new Set([...sentIds([first!]), day1[0]!.id]));
  });

  it('a new article on a story shown yesterday comes as its own item; the article shown yesterday does not', async () => {
    const w = world('2026-11-26T06:00:00Z');
    const story = (outlet: string, publishedAt: string) =>
      makeArticle({
        title: 'Orbital Labs recovers Kestrel upper stage after launch',
        excerpt: 'Orbital Labs flew and recovered the second stage of its Kestrel rocket, a first for the company.',
        topics: ['AI'],
        url: `https://${outlet}.example.com/orbital-labs-kestrel`,
        provider: { name: outlet, domain: `${outlet}.example.com` },
        publishedAt,
      });
    const early = story('techwire', '2026-11-26T06:00:00.000Z');
    await w.store.articles.upsertArticles(indexArticles([early]));
    w.app.refreshTopics();
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler();
    await w.tickAtNextDue(s, sub);
    const follow = story('orbitreport', '2026-11-26T20:00:00.000Z');
    await w.store.articles.upsertArticles(indexArticles([follow]));
    // The two are one story: /news over both folds them into one item.
    w.clock.set('2026-11-26T21:00:00Z');
    const both = await w.app.news('AI');
    expect(both.ok && both.digest.items.map((i) => i.articleIds.sort())).toEqual([[early.id, follow.id].sort()]);
    await w.tickAtNextDue(s, sub);

    const [day1, day2] = w.telegram.deliveredTo('1');
    expect(sentIds([day1!])).toEqual([early.id]);
    expect(sentIds([day2!])).toEqual([follow.id]);
  });

  it('never delivers an old article that was never sent: a years-old one makes an empty run, no message', async () => {
    const w = world('2026-11-26T00:00:00Z');
    const old = makeArticle({ title: uniqueTitle(), topics: ['AI'], publishedAt: '2023-03-01T09:00:00.000Z' });
    await w.store.articles.upsertArticles(indexArticles([old]));
    w.app.refreshTopics();
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler();
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ sent: 0, empty: 1 });
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ sent: 0, empty: 1 });
    expect(w.telegram.calls).toHaveLength(0);
    // /news still shows it, as the latest story with its age.
    const news = await w.app.news('AI');
    expect(news.ok && news.digest.stale).toBe(true);
  });

  it('the first digest looks back FIRST_DIGEST_LOOKBACK_HOURS (36 h by default), then from the previous slot', async () => {
    const w = world('2026-11-24T12:00:00Z');
    const tooOld = await w.addArticles(1);
    w.clock.set('2026-11-25T08:00:00Z');
    const recent = await w.addArticles(1);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler();
    // Due 26 Nov 08:00: the first is 44 h old, the second 24 h.
    await w.tickAtNextDue(s, sub);
    expect(sentIds(w.telegram.deliveredTo('1'))).toEqual([recent[0]!.id]);
    expect((await w.store.deliveries.sentArticleIds(chat('1'))).has(tooOld[0]!.id)).toBe(false);

    const w2 = world('2026-11-25T08:00:00Z');
    await w2.addArticles(1);
    const sub2 = await w2.subscribe(chat('2'), '08:00', 'UTC');
    const short = w2.scheduler({ firstLookbackHours: 12 });
    expect(await w2.tickAtNextDue(short, sub2)).toMatchObject({ sent: 0, empty: 1 });
  });

  it('an empty run counts as a delivery: the next digest holds only what came after it', async () => {
    const w = world('2026-11-26T07:00:00Z');
    const firstNews = await w.addArticles(1);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler();
    await w.tickAtNextDue(s, sub);
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ empty: 1 });
    // Published after 26 Nov's digest but before 27 Nov's empty run: that run would have had it, had it
    // been stored in time; the next one holds only what came after 27 Nov 08:00.
    const late = makeArticle({ title: uniqueTitle(), topics: ['AI'], publishedAt: '2026-11-27T07:00:00.000Z' });
    w.clock.set('2026-11-27T12:00:00Z');
    await w.store.articles.upsertArticles(indexArticles([late]));
    const after = await w.addArticles(1);
    await w.tickAtNextDue(s, sub);
    expect(sentIds(w.telegram.deliveredTo('1'))).toEqual([firstNews[0]!.id, after[0]!.id]);
    expect((await w.store.deliveries.deliveries(sub.id)).map((d) => d.status)).toEqual(['sent', 'empty', 'sent']);
  });
});

describe('DigestScheduler: what a digest holds', () => {
  it('never sends an article twice to a chat: the next day brings only what is new', async () => {
    const w = world('2026-11-26T00:00:00Z');
    const first = await w.addArticles(3);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler({ count: 5 });
    await w.tickAtNextDue(s, sub);
    w.clock.advanceHours(12);
    const second = await w.addArticles(2);
    await w.tickAtNextDue(s, sub);

    const [day1, day2] = w.telegram.deliveredTo('1');
    expect(sentIds([day1!]).sort()).toEqual(first.map((a) => a.id).sort());
    expect(sentIds([day2!]).sort()).toEqual(second.map((a) => a.id).sort());
    expect(await w.store.deliveries.sentArticleIds(chat('1'))).toEqual(new Set([...first, ...second].map((a) => a.id)));
  });

  it('keeps two subscriptions of one chat from sending the same article', async () => {
    const w = world('2026-11-26T00:00:00Z');
    // Both topics on the same articles: whichever subscription goes first takes them.
    const shared = Array.from({ length: 3 }, () =>
      makeArticle({ title: uniqueTitle(), topics: ['AI', 'Robotics'], publishedAt: w.clock.now().toISOString() }),
    );
    await w.store.articles.upsertArticles(indexArticles(shared));
    w.app.refreshTopics();
    const ai = await w.subscribe(chat('1'), '08:00', 'UTC', 'AI');
    const robotics = await w.subscribe(chat('1'), '08:00', 'UTC', 'Robotics');
    const s = w.scheduler({ concurrency: 4 });
    w.clock.set((await w.current(ai)).nextDueAt);
    await s.tick();

    const ids = sentIds(w.telegram.deliveredTo('1'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(shared.map((a) => a.id)));
    expect((await w.current(robotics)).nextDueAt).toBe((await w.current(ai)).nextDueAt);
  });

  it('sends no message when nothing is new, and records the run as empty', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler();
    await w.tickAtNextDue(s, sub);
    const report = await w.tickAtNextDue(s, sub);

    expect(report).toMatchObject({ due: 1, sent: 0, empty: 1 });
    expect(w.telegram.calls).toHaveLength(1);
    const [latest] = await w.store.deliveries.deliveries(sub.id);
    expect(latest).toMatchObject({ slot: '2026-11-27T08:00:00.000Z', status: 'empty', articleIds: [] });
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-28T08:00:00.000Z');
  });

  it('hands the deliverer the subscription\'s zone, whatever the chat\'s default zone is', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    await w.addArticles(2, 'Space');
    await w.app.setTimezone(chat('1'), 'Asia/Tokyo');
    const kyiv = await w.subscribe(chat('1'), '10:00', 'Europe/Kyiv');
    const tokyo = await w.subscribe(chat('1'), '09:00', undefined, 'Space');
    expect(tokyo.timezone).toBe('Asia/Tokyo');
    const s = w.scheduler();
    await w.tickAtNextDue(s, kyiv);
    await w.tickAtNextDue(s, tokyo);
    expect(w.telegram.delivered.map((c) => [c.digest.topic, c.context.timezone])).toEqual([
      ['AI', 'Europe/Kyiv'],
      ['Space', 'Asia/Tokyo'],
    ]);
  });

  it('records a failed delivery and moves on when the topic no longer has articles', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const [gone] = await w.addArticles(1, 'Robotics');
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC', 'Robotics');
    await w.store.articles.upsertArticles(indexArticles([{ ...gone!, removed: true }]));
    w.app.refreshTopics();
    const s = w.scheduler();
    const report = await w.tickAtNextDue(s, sub);

    expect(report).toMatchObject({ due: 1, failed: 1, sent: 0 });
    expect(w.telegram.calls).toHaveLength(0);
    expect((await w.store.deliveries.deliveries(sub.id))[0]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^unknown-topic/) });
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });
});

describe('DigestScheduler: downtime', () => {
  it('catches up a slot missed by less than the grace window, once', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler({ graceMs: 6 * 3_600_000 });
    w.clock.set('2026-11-26T13:30:00Z'); // back up 5.5 hours late
    expect(await s.tick()).toMatchObject({ due: 1, sent: 1 });
    w.clock.advanceMinutes(1);
    expect(await s.tick()).toMatchObject({ due: 0 });

    expect(w.telegram.delivered).toHaveLength(1);
    expect((await w.store.deliveries.deliveries(sub.id))[0]).toMatchObject({ slot: '2026-11-26T08:00:00.000Z', status: 'sent' });
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });

  it('skips and records slots older than the grace window without sending them', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler({ graceMs: 6 * 3_600_000 });
    w.clock.set('2026-11-28T07:00:00Z'); // down for two days; today's slot is still ahead
    expect(await s.tick()).toMatchObject({ due: 1, skipped: 1, sent: 0 });

    expect(w.telegram.calls).toHaveLength(0);
    const [skipped] = await w.store.deliveries.deliveries(sub.id);
    expect(skipped).toMatchObject({ slot: '2026-11-26T08:00:00.000Z', status: 'skipped', articleIds: [] });
    expect(skipped!.detail).toContain('2 slots');
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-28T08:00:00.000Z');
    expect((await w.store.deliveries.sentArticleIds(chat('1'))).size).toBe(0);
  });

  it('skips the old slots and sends the latest one when it is still within the grace window', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(1);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    // Published during the downtime, within the first digest's lookback (36 h) of the slot that is sent.
    w.clock.set('2026-11-27T12:00:00Z');
    await w.addArticles(3);
    const s = w.scheduler({ graceMs: 6 * 3_600_000 });
    w.clock.set('2026-11-28T09:00:00Z');
    expect(await s.tick()).toMatchObject({ due: 1, skipped: 1, sent: 1 });

    expect(w.telegram.delivered).toHaveLength(1);
    expect((await w.store.deliveries.deliveries(sub.id)).map((d) => [d.slot, d.status])).toEqual([
      ['2026-11-28T08:00:00.000Z', 'sent'],
      ['2026-11-26T08:00:00.000Z', 'skipped'],
    ]);
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-29T08:00:00.000Z');
  });
});

describe('DigestScheduler: crash and restart', () => {
  it('after a crash halfway through a fan-out, a restart sends the rest and resends none', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const targets = ['1', '2', '3', '4', '5'].map((id) => chat(id));
    const subs = await seq(targets, (t) => w.subscribe(t, '08:00', 'UTC'));
    w.clock.set('2026-11-26T08:00:00Z');

    // First process: two sends go through, the third is in flight when the process dies.
    const before = new RecordingDeliverer('telegram', w.clock.now).holdAfter(2);
    const crashed = new DigestScheduler({ app: w.app, deliverers: [before], clock: w.clock.now, concurrency: 1 });
    void crashed.tick();
    await vi.waitFor(() => expect(before.inFlight).toHaveLength(1), { timeout: 2000, interval: 5 });
    const inFlight = before.inFlight[0]!.target.chatId;

    // Second process on the same database.
    w.clock.advanceMinutes(1);
    const after = new RecordingDeliverer('telegram', w.clock.now);
    const restarted = w.scheduler({ deliverers: [after], concurrency: 1 });
    expect((await restarted.recover())).toBe(1);
    expect(await restarted.tick()).toMatchObject({ due: 2, sent: 2, resumed: 0 });

    const first = before.delivered.map((c) => c.target.chatId);
    const second = after.delivered.map((c) => c.target.chatId);
    expect(first).toHaveLength(2);
    expect([...first, inFlight, ...second].sort()).toEqual(['1', '2', '3', '4', '5']);
    const inFlightSub = subs[targets.findIndex((t) => t.chatId === inFlight)]!;
    expect((await w.store.deliveries.deliveries(inFlightSub.id))[0]).toMatchObject({ status: 'sent', detail: expect.stringMatching(/^unconfirmed/) });
    // Its articles count as sent, so tomorrow's digest does not repeat them either.
    expect((await w.store.deliveries.sentArticleIds(chat(inFlight))).size).toBeGreaterThan(0);
    for (const sub of subs) expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');

    // Nothing is due any more: more ticks send nothing.
    w.clock.advanceMinutes(1);
    expect(await restarted.tick()).toMatchObject({ due: 0 });
    expect(after.calls).toHaveLength(2);
  });

  it('after kill -9 in the middle of a real fan-out, a restart sends the rest and resends none', { timeout: 15_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsbrief-crash-'));
    try {
      const dbPath = join(dir, 'newsbrief.db');
      const received = join(dir, 'received.log');
      const now = '2026-11-26T08:00:00.000Z';
      const setup = openSqliteStorage(dbPath);
      const setupApp = new Newsbrief({ storage: setup, clock: () => new Date('2026-11-26T00:00:00Z') });
      await setup.articles.upsertArticles(indexArticles(Array.from({ length: 3 }, () => makeArticle({ title: uniqueTitle(), publishedAt: now }))));
      for (const id of ['1', '2', '3', '4', '5']) await setupApp.subscribe(chat(id), 'AI', '08:00', 'UTC');
      await setup.close();

      // The child's "platform" writes each message it receives to a file; on the third one the
      // process is killed before the platform's answer can be recorded.
      const src = (file: string) => JSON.stringify(fileURLToPath(new URL(`../${file}`, import.meta.url)));
      const script = `
        const { appendFileSync } = await import('node:fs');
        const { openSqliteStorage } = await import(${src('adapters/storage/sqlite/index.ts')});
        const { Newsbrief, DigestScheduler } = await import(${src('src/index.ts')});
        const clock = () => new Date(${JSON.stringify(now)});
        const app = new Newsbrief({ storage: openSqliteStorage(${JSON.stringify(dbPath)}), clock });
        let n = 0;
        const deliverer = {
          platform: 'telegram',
          async deliver(target, digest, context, hooks) {
            await hooks?.onSending?.();
            appendFileSync(${JSON.stringify(received)}, target.chatId + '\\n');
            if (++n === 3) process.kill(process.pid, 'SIGKILL');
            return { ok: true, messages: 1 };
          },
        };
        await new DigestScheduler({ app, deliverers: [deliverer], clock, concurrency: 1 }).tick();
      `;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(child.signal, child.stderr).toBe('SIGKILL');
      const beforeCrash = readFileSync(received, 'utf8').split('\n').filter(Boolean);
      expect(beforeCrash).toHaveLength(3);

      const store = openSqliteStorage(dbPath);
      opened.push(store);
      const clock = new FakeClock('2026-11-26T08:01:00Z');
      const app = new Newsbrief({ storage: store, clock: clock.now });
      const afterRestart = new RecordingDeliverer('telegram', clock.now);
      const restarted = new DigestScheduler({ app, deliverers: [afterRestart], clock: clock.now });
      schedulers.push(restarted);
      expect((await restarted.recover())).toBe(1);
      expect(await restarted.tick()).toMatchObject({ due: 2, sent: 2 });

      const all = [...beforeCrash, ...afterRestart.delivered.map((c) => c.target.chatId)];
      expect(all.sort()).toEqual(['1', '2', '3', '4', '5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a digest still waiting for a pacing slot when the process dies is sent after a restart', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    // A deliverer stuck in its pacing wait: it never reaches the point of sending.
    const stuck = { platform: 'telegram' as const, deliver: () => new Promise<never>(() => {}) };
    const first = new DigestScheduler({ app: w.app, deliverers: [stuck], clock: w.clock.now });
    w.clock.set('2026-11-26T08:00:00Z');
    void first.tick();
    await new Promise((r) => setTimeout(r, 20));
    // Claimed, but nothing on the wire.
    expect((await w.store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z'))?.status).toBe('claimed');

    // "Restart": a new scheduler on the same database releases the dead one's claim and sends it, once.
    w.clock.set('2026-11-26T08:01:00Z');
    const restarted = w.scheduler();
    expect((await restarted.recover())).toBe(1);
    expect(await restarted.tick()).toMatchObject({ due: 1, sent: 1, resumed: 0 });
    expect(w.telegram.calls).toHaveLength(1);
    expect((await w.store.deliveries.getDelivery(sub.id, '2026-11-26T08:00:00.000Z'))?.status).toBe('sent');
  });

  it('a tick that meets a send left in flight takes it as delivered rather than resending it', async () => {
    const w = world('2026-11-26T00:00:00Z');
    const [article] = await w.addArticles(1);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    await w.store.deliveries.recordDelivery(
      { subscriptionId: sub.id, slot: sub.nextDueAt, status: 'sending', articleIds: [article!.id], detail: null },
      sub.target,
    );
    const s = w.scheduler();
    w.clock.set('2026-11-26T08:05:00Z');
    expect(await s.tick()).toMatchObject({ due: 1, resumed: 1, sent: 0 });

    expect(w.telegram.calls).toHaveLength(0);
    expect(await w.store.deliveries.sentArticleIds(chat('1'))).toEqual(new Set([article!.id]));
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });

  it('a slot already recorded as sent is not sent again, only moved past', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    await w.store.deliveries.recordDelivery({ subscriptionId: sub.id, slot: sub.nextDueAt, status: 'sent', articleIds: [], detail: null }, sub.target);
    const s = w.scheduler();
    await w.tickAtNextDue(s, sub);

    expect(w.telegram.calls).toHaveLength(0);
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });
});

describe('DigestScheduler: failures', () => {
  it('deactivates a chat that fails permanently and stops sending to it, while the others get theirs', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    await w.addArticles(3, 'Robotics');
    await w.subscribe(chat('1'), '08:00', 'UTC');
    const blockedAi = await w.subscribe(chat('2'), '08:00', 'UTC');
    await w.subscribe(chat('2'), '08:00', 'UTC', 'Robotics');
    await w.subscribe(chat('3'), '08:00', 'UTC');
    w.telegram.failTarget(chat('2'), { ok: false, permanent: true, reason: 'Forbidden: bot was blocked by the user' });
    const s = w.scheduler();
    const report = await w.tickAtNextDue(s, blockedAi);

    expect(report).toMatchObject({ sent: 2, failed: 1, deactivated: 1 });
    expect(w.telegram.deliveredTo('1')).toHaveLength(1);
    expect(w.telegram.deliveredTo('3')).toHaveLength(1);
    // One try, not one per subscription of the blocked chat.
    expect(w.telegram.calls.filter((c) => c.target.chatId === '2')).toHaveLength(1);
    expect((await w.store.subscriptions.listSubscriptions(chat('2'))).map((s) => s.active)).toEqual([false, false]);
    expect((await w.store.deliveries.deliveries(blockedAi.id))[0]).toMatchObject({ status: 'failed', detail: expect.stringContaining('blocked') });

    await w.addArticles(2);
    w.clock.set('2026-11-27T08:00:00Z');
    await s.tick();
    expect(w.telegram.calls.filter((c) => c.target.chatId === '2')).toHaveLength(1);
    expect(w.telegram.deliveredTo('1')).toHaveLength(2);
  });

  it('retries a transient failure on the next tick and delivers once', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    w.telegram.failNext({ ok: false, permanent: false, reason: 'Too Many Requests: retry after 30' });
    const s = w.scheduler();
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ due: 1, failed: 1, sent: 0 });
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-26T08:00:00.000Z');
    expect((await w.store.deliveries.deliveries(sub.id))[0]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^attempt 1\//) });

    w.clock.advanceMinutes(1);
    expect(await s.tick()).toMatchObject({ due: 1, sent: 1 });
    expect(w.telegram.calls).toHaveLength(2);
    expect(w.telegram.delivered).toHaveLength(1);
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });

  it('gives a transient failure up after the last attempt instead of retrying forever', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    w.telegram.failTarget(chat('1'), { ok: false, permanent: false, reason: 'Bad Gateway' });
    const s = w.scheduler({ maxAttempts: 3 });
    w.clock.set(sub.nextDueAt);
    for (let i = 0; i < 6; i++) {
      await s.tick();
      w.clock.advanceMinutes(1);
    }

    expect(w.telegram.calls).toHaveLength(3);
    expect((await w.store.deliveries.deliveries(sub.id))[0]).toMatchObject({ status: 'failed', detail: 'gave up after 3 attempts: Bad Gateway' });
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
    expect((await w.current(sub)).active).toBe(true);
  });

  it('treats a deliverer that throws as a transient failure of that subscriber only', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const subs = await seq(['1', '2', '3'], (id) => w.subscribe(chat(id), '08:00', 'UTC'));
    w.telegram.failNext(new Error('socket hang up'));
    const s = w.scheduler({ concurrency: 1 });
    expect(await w.tickAtNextDue(s, subs[0]!)).toMatchObject({ due: 3, sent: 2, failed: 1 });
    w.clock.advanceMinutes(1);
    expect(await s.tick()).toMatchObject({ due: 1, sent: 1 });
    expect(w.telegram.delivered.map((c) => c.target.chatId).sort()).toEqual(['1', '2', '3']);
  });

  it('follows a Telegram group that became a supergroup and delivers there', async () => {
    const w = world('2026-11-26T00:00:00Z');
    const articles = await w.addArticles(2);
    const sub = await w.subscribe(chat('-123'), '08:00', 'UTC');
    const supergroup = chat('-100123');
    w.telegram.failNext({ ok: false, permanent: false, reason: 'group upgraded to a supergroup', migrateTo: supergroup });
    const s = w.scheduler();
    expect(await w.tickAtNextDue(s, sub)).toMatchObject({ sent: 1, failed: 0 });

    expect(w.telegram.delivered.map((c) => c.target.chatId)).toEqual(['-100123']);
    expect((await w.store.subscriptions.listSubscriptions(supergroup)).map((s) => s.topic)).toEqual(['AI']);
    expect(await w.store.subscriptions.listSubscriptions(chat('-123'))).toEqual([]);
    expect(await w.store.deliveries.sentArticleIds(supergroup)).toEqual(new Set(articles.map((a) => a.id)));
  });

  it('does not let one slow send hold up the other subscribers', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(3);
    const subs = await seq(['1', '2', '3', '4'], (id) => w.subscribe(chat(id), '08:00', 'UTC'));
    w.telegram.holdTarget(chat('1'));
    const s = w.scheduler({ concurrency: 2 });
    w.clock.set(subs[0]!.nextDueAt);
    const ticking = s.tick();
    await vi.waitFor(() => expect(w.telegram.delivered.map((c) => c.target.chatId).sort()).toEqual(['2', '3', '4']), {
      timeout: 2000,
      interval: 5,
    });
    expect(w.telegram.inFlight.map((c) => c.target.chatId)).toEqual(['1']);
    w.telegram.release();
    expect(await ticking).toMatchObject({ due: 4, sent: 4 });
  });

  it('leaves subscriptions on a platform without a deliverer due, and still serves the others', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const onDiscord = await w.subscribe(chat('9', 'discord'), '08:00', 'UTC');
    await w.subscribe(chat('1'), '08:00', 'UTC');
    const s = w.scheduler();
    expect(await w.tickAtNextDue(s, onDiscord)).toMatchObject({ due: 1, sent: 1 });
    expect((await w.current(onDiscord)).nextDueAt).toBe('2026-11-26T08:00:00.000Z');
  });

  it('works through more due subscriptions than one page, some of them failing, in one tick', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const subs = await seq(Array.from({ length: 1100 }, (_, i) => i), (i) => w.subscribe(chat(String(i)), '08:00', 'UTC'));
    for (let i = 0; i < 600; i += 1) w.telegram.failTarget(chat(String(i)), { ok: false, permanent: false, reason: 'Bad Gateway' });
    const s = w.scheduler({ concurrency: 8 });
    const report = await w.tickAtNextDue(s, subs[0]!);

    expect(report).toMatchObject({ due: 1100, sent: 500, failed: 600 });
    expect(w.telegram.calls).toHaveLength(1100);
    expect(new Set(w.telegram.calls.map((c) => c.target.chatId)).size).toBe(1100);
  });
});

describe('DigestScheduler: start and stop with node-cron', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('catches up at once on start, ticks with node-cron, and leaves no task or timer after stop', async () => {
    const w = world('2026-11-26T09:00:00Z');
    await w.addArticles(2);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    w.clock.set('2026-11-27T09:00:00Z'); // yesterday's slot was missed; today's is an hour late
    const tasksBefore = cron.getTasks().size;
    const timersBefore = timers();
    const s = w.scheduler();
    await s.start(cronTicker(silentLogger, '* * * * * *'));
    expect(cron.getTasks().size).toBe(tasksBefore + 1);
    await vi.waitFor(() => expect(w.telegram.delivered).toHaveLength(1), { timeout: 2000, interval: 10 });

    // The next day's slot is picked up by a cron tick, not by the test.
    await w.addArticles(2);
    w.clock.set('2026-11-28T08:00:00Z');
    await vi.waitFor(() => expect(w.telegram.delivered).toHaveLength(2), { timeout: 3000, interval: 20 });

    await s.stop();
    expect(cron.getTasks().size).toBe(tasksBefore);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-29T08:00:00.000Z');
  });

  it('stop lets a send under way finish and starts no new ones', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const subs = await seq(['1', '2', '3'], (id) => w.subscribe(chat(id), '08:00', 'UTC'));
    w.telegram.holdAfter(0);
    w.clock.set('2026-11-26T08:00:00Z');
    const s = w.scheduler({ concurrency: 1 });
    await s.start(cronTicker(silentLogger));
    await vi.waitFor(() => expect(w.telegram.inFlight).toHaveLength(1), { timeout: 2000, interval: 5 });
    const stopping = s.stop();
    w.telegram.release();
    await stopping;

    expect(w.telegram.delivered).toHaveLength(1);
    const due = (await seq(subs, (sub) => w.current(sub))).filter((sub) => sub.nextDueAt === '2026-11-26T08:00:00.000Z');
    expect(due).toHaveLength(2);
  });

  it('stop returns after its timeout when a send hangs, and the next start settles it', async () => {
    const w = world('2026-11-26T00:00:00Z');
    await w.addArticles(2);
    const sub = await w.subscribe(chat('1'), '08:00', 'UTC');
    w.telegram.holdAfter(0);
    w.clock.set('2026-11-26T08:00:00Z');
    const s = w.scheduler();
    await s.start(cronTicker(silentLogger));
    await vi.waitFor(() => expect(w.telegram.inFlight).toHaveLength(1), { timeout: 2000, interval: 5 });
    await s.stop(50);
    expect((await w.store.deliveries.deliveries(sub.id))[0]?.status).toBe('sending');

    const next = w.scheduler({ deliverers: [new RecordingDeliverer('telegram', w.clock.now)] });
    expect((await next.recover())).toBe(1);
    expect((await w.store.deliveries.deliveries(sub.id))[0]?.status).toBe('sent');
    expect((await w.current(sub)).nextDueAt).toBe('2026-11-27T08:00:00.000Z');
  });

  it('refuses a bad cron expression and a second start', async () => {
    const w = world('2026-11-26T00:00:00Z');
    const s = w.scheduler();
    expect(() => cronTicker(silentLogger, 'every minute')).toThrow(/not a cron expression/);
    await s.start(cronTicker(silentLogger));
    await expect(s.start(cronTicker(silentLogger))).rejects.toThrow(/already started/);
  });
});
