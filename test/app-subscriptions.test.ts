import { afterEach, describe, expect, it } from 'vitest';
import { Newsbrief } from '../src/app.js';
import { parseSubscribeArgs } from '../src/command-args.js';
import { indexArticles } from '../src/index.js';
import type { Article, Target } from '../src/model.js';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { wordError } from '../adapters/console/wording.js';
import { TERMINAL } from '../adapters/console/wording.js';
import { makeArticle } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';

const chat: Target = { platform: 'telegram', chatId: '7' };
const stores: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** The app over memory storage on a fake clock (Thursday 26 Nov 2026, 12:00 UTC), with articles on AI and Space. */
async function setup(extra: Article[] = []) {
  const clock = new FakeClock('2026-11-26T12:00:00Z');
  const storage = createMemoryStorage();
  stores.push(storage);
  const base = [
    makeArticle({ topics: ['AI'], title: 'Chip makers race ahead', publishedAt: '2026-11-26T06:00:00Z' }),
    makeArticle({ topics: ['Space'], title: 'Comet seen over Chile', publishedAt: '2026-11-26T05:00:00Z' }),
  ];
  await storage.articles.upsertArticles(indexArticles([...base, ...extra]));
  const app = new Newsbrief({ storage, clock: clock.now });
  const subscribe = async (text: string) => {
    const { topic, ...options } = parseSubscribeArgs(text);
    return app.subscribeWith(chat, topic, options);
  };
  const only = async () => {
    const [view] = await app.subscriptions(chat);
    return view!.subscription;
  };
  return { clock, storage, app, subscribe, only };
}

describe('/subscribe edits change only what is given', () => {
  it('keeps a 09:05 America/Los_Angeles subscription as it is when the topic is subscribed again without options', async () => {
    const { subscribe, only } = await setup();
    const created = await subscribe('AI 9:05 America/Los_Angeles');
    expect(created).toMatchObject({ ok: true, created: true, changed: [] });
    const before = await only();
    const again = await subscribe('AI');
    expect(again).toMatchObject({ ok: true, created: false, changed: [] });
    expect(await only()).toEqual(before);
    expect(before).toMatchObject({ time: '09:05', timezone: 'America/Los_Angeles', ownZone: true, nextDueAt: '2026-11-26T17:05:00.000Z' });
  });

  it('changes only the time when only a time is given, and the next slot with it, in the same zone', async () => {
    const { subscribe, only } = await setup();
    await subscribe('AI 9:05 America/Los_Angeles count=3 exclude=crypto');
    const result = await subscribe('AI 6pm');
    expect(result).toMatchObject({ ok: true, created: false, changed: ['time'] });
    expect(await only()).toMatchObject({
      time: '18:00',
      schedule: { kind: 'daily', times: ['18:00'] },
      timezone: 'America/Los_Angeles',
      ownZone: true,
      count: 3,
      filters: { exclude: ['crypto'] },
      nextDueAt: '2026-11-27T02:00:00.000Z',
    });
  });

  it('replaces the options given, each whole, and keeps the others', async () => {
    const { subscribe, only } = await setup();
    await subscribe('AI 08:00,18:00 Europe/Kyiv days=mon-fri count=3 include="openai, gpt" exclude=crypto outlets=example.com min=60');
    const created = await only();
    expect(created).toMatchObject({
      schedule: { kind: 'weekdays', days: [1, 2, 3, 4, 5], times: ['08:00', '18:00'] },
      timezone: 'Europe/Kyiv',
      count: 3,
      filters: { include: ['openai', 'gpt'], exclude: ['crypto'], outlets: ['example.com'], minQuality: 60 },
    });
    const edited = await subscribe('AI include=llm days=sat');
    expect(edited).toMatchObject({ ok: true, changed: ['days', 'include'] });
    expect(await only()).toEqual({
      ...created,
      schedule: { kind: 'weekly', days: [6], times: ['08:00', '18:00'] },
      filters: { ...created.filters, include: ['llm'] },
      // Saturday 28 Nov, 08:00 in Kyiv.
      nextDueAt: '2026-11-28T06:00:00.000Z',
    });
    const cleared = await subscribe('AI include=none min=none count=default');
    expect(cleared).toMatchObject({ ok: true, changed: ['count', 'include', 'min'] });
    expect(await only()).toMatchObject({ count: null, filters: { include: [], exclude: ['crypto'], outlets: ['example.com'], minQuality: null } });
  });

  it('changes nothing when an option is wrong, and says which', async () => {
    const { subscribe, only } = await setup();
    await subscribe('AI 07:00');
    const before = await only();
    expect(await subscribe('AI 08:00 count=0')).toMatchObject({ ok: false, code: 'bad-count', params: { option: 'count' } });
    expect(await subscribe(`AI exclude=${'z,'.repeat(5000)}`)).toMatchObject({ ok: false, code: 'bad-option', params: { option: 'exclude', problem: 'total-too-long' } });
    expect(await subscribe('AI 08:00 colour=red')).toMatchObject({ ok: false, code: 'bad-option', params: { option: 'colour', problem: 'unknown-option' } });
    expect(await only()).toEqual(before);
  });

  it('wakes a subscription the platform deactivated, keeping its options, with its next slot from now', async () => {
    const { app, clock, subscribe, only } = await setup();
    await subscribe('AI 07:00 count=2');
    await app.storage.subscriptions.setActive(chat, false, 'blocked');
    clock.set('2026-12-03T12:00:00Z');
    await subscribe('AI');
    expect(await only()).toMatchObject({ active: true, count: 2, time: '07:00', nextDueAt: '2026-12-04T07:00:00.000Z' });
  });
});

describe('times and zones in /subscribe', () => {
  it('answers "/subscribe space 09:15 EST" about the zone, suggesting America/New_York or UTC-5, not about the topic', async () => {
    const { subscribe, app } = await setup();
    const result = await subscribe('space 09:15 EST');
    expect(result).toEqual({
      ok: false,
      code: 'bad-timezone',
      params: { given: 'EST', suggestions: ['America/New_York', 'UTC-5'], abbreviation: true },
    });
    if (result.ok) return;
    const { sentence } = wordError(result, TERMINAL);
    expect(sentence).toContain('The time zone "EST" is not recognised');
    expect(sentence).toContain('America/New_York or UTC-5');
    expect(await app.subscriptions(chat)).toEqual([]);
  });

  it('takes a word after a clock time as a zone and says that zone is unknown', async () => {
    const { subscribe } = await setup();
    expect(await subscribe('space 09:15 Moonbase')).toMatchObject({ ok: false, code: 'bad-timezone', params: { given: 'Moonbase' } });
  });

  it('accepts 9am, 6:30pm, 18:00 and 8, and UTC offsets', async () => {
    const { subscribe, only } = await setup();
    await subscribe('AI 9am,6:30pm,18:00,8 UTC+3');
    expect(await only()).toMatchObject({ schedule: { times: ['08:00', '09:00', '18:00', '18:30'] }, timezone: 'UTC+03:00', nextDueAt: '2026-11-26T15:00:00.000Z' });
  });

  it('says which time is wrong', async () => {
    const { subscribe } = await setup();
    expect(await subscribe('AI 08:00,25:00')).toEqual({ ok: false, code: 'bad-time', params: { given: '25:00' } });
  });
});

describe('/timezone and subscriptions that follow it', () => {
  it('moves the subscriptions that follow the chat’s zone and names them; one given its own zone keeps it', async () => {
    const { app, subscribe } = await setup();
    await app.setTimezone(chat, 'Europe/Kyiv');
    await subscribe('Space 07:30');
    await subscribe('AI 09:00 Asia/Tokyo');
    const result = await app.setTimezone(chat, 'America/New_York');
    expect(result).toEqual({ ok: true, timezone: 'America/New_York', updated: 1, moved: ['Space'], kept: [{ topic: 'AI', timezone: 'Asia/Tokyo' }] });
    const byTopic = new Map((await app.subscriptions(chat)).map((v) => [v.subscription.topic, v.subscription]));
    expect(byTopic.get('Space')).toMatchObject({ timezone: 'America/New_York', time: '07:30', ownZone: false, nextDueAt: '2026-11-26T12:30:00.000Z' });
    expect(byTopic.get('AI')).toMatchObject({ timezone: 'Asia/Tokyo', time: '09:00', ownZone: true });
  });

  it('makes a zone given with an edit the subscription’s own', async () => {
    const { app, subscribe, only } = await setup();
    await subscribe('AI 07:30');
    await app.setTimezone(chat, 'Europe/Kyiv');
    // The zone it already follows, given: now its own, and said to have changed.
    expect(await subscribe('AI Europe/Kyiv')).toMatchObject({ ok: true, changed: ['timezone'] });
    expect(await only()).toMatchObject({ ownZone: true, timezone: 'Europe/Kyiv' });
    expect(await subscribe('AI Europe/Kyiv')).toMatchObject({ ok: true, changed: [] });
    expect(await app.setTimezone(chat, 'Asia/Tokyo')).toMatchObject({ moved: [], kept: [{ topic: 'AI' }] });
  });
});

describe('/pause and /resume', () => {
  it('pauses one subscription: not due, settings kept, shown as paused; pausing again changes nothing', async () => {
    const { app, subscribe, only } = await setup();
    await subscribe('AI 07:00 count=2');
    await subscribe('Space 08:00');
    const paused = await app.pause(chat, 'ai');
    expect(paused).toMatchObject({ ok: true, action: 'pause', changed: [{ subscription: { topic: 'AI', paused: true, count: 2 } }], unchanged: [] });
    expect((await app.storage.subscriptions.dueSubscriptions(new Date('2027-01-01T00:00:00Z'), 10)).map((s) => s.topic)).toEqual(['Space']);
    expect(await app.pause(chat, 'AI')).toMatchObject({ changed: [], unchanged: [{ subscription: { topic: 'AI' } }] });
    expect((await app.subscriptions(chat)).map((v) => [v.subscription.topic, v.subscription.paused])).toEqual([['AI', true], ['Space', false]]);
    expect(await only()).toMatchObject({ count: 2, time: '07:00' });
  });

  it('resumes from the next slot after now, never one missed while paused', async () => {
    const { app, clock, subscribe } = await setup();
    await subscribe('AI 07:00');
    await app.pause(chat, 'AI');
    clock.set('2026-12-02T09:00:00Z');
    const resumed = await app.resume(chat, 'AI');
    expect(resumed).toMatchObject({ ok: true, action: 'resume', changed: [{ subscription: { paused: false, nextDueAt: '2026-12-03T07:00:00.000Z' } }] });
    expect(await app.storage.subscriptions.dueSubscriptions(clock.now(), 10)).toEqual([]);
    expect(await app.resume(chat, 'AI')).toMatchObject({ changed: [], unchanged: [{ subscription: { topic: 'AI' } }] });
  });

  it('pauses and resumes all at once, and says what is wrong with a topic', async () => {
    const { app, subscribe } = await setup();
    expect(await app.pause(chat, 'all')).toEqual({ ok: false, code: 'no-subscriptions', params: {} });
    await subscribe('AI');
    await subscribe('Space');
    expect(await app.pause(chat, 'ALL')).toMatchObject({ changed: [{}, {}] });
    expect(await app.resume(chat, 'all')).toMatchObject({ changed: [{}, {}] });
    expect(await app.pause(chat, 'Climate')).toMatchObject({ ok: false, code: 'not-subscribed', params: { topic: 'Climate', command: 'pause' } });
    expect(await app.resume(chat, undefined)).toMatchObject({ ok: false, code: 'missing-topic', params: { command: 'resume' } });
  });

  it('keeps a subscription paused when it is edited', async () => {
    const { app, subscribe, only } = await setup();
    await subscribe('AI 07:00');
    await app.pause(chat, 'AI');
    await subscribe('AI 09:00');
    expect(await only()).toMatchObject({ paused: true, time: '09:00' });
  });
});

describe('/preview', () => {
  it('shows the articles the next digest would hold, with the subscription’s count and filters, marking nothing sent', async () => {
    const at = (h: number) => `2026-11-26T${String(h).padStart(2, '0')}:00:00Z`;
    const extra = [
      makeArticle({ topics: ['AI'], title: 'Crypto exchange adds AI trading', publishedAt: at(7), quality: 90 }),
      makeArticle({ topics: ['AI'], title: 'Robots said to learn faster', excerpt: 'Nothing about the keyword here.', publishedAt: at(8) }),
      makeArticle({ topics: ['AI'], title: 'Open models close the gap', publishedAt: at(9), provider: { name: 'Blocked', domain: 'blocked.example' } }),
      makeArticle({ topics: ['AI'], title: 'Open weights ship for a new model', publishedAt: at(10), quality: 40 }),
      makeArticle({ topics: ['AI'], title: 'Open tooling for model evaluation', publishedAt: at(11), quality: 80 }),
    ];
    const { app, subscribe } = await setup(extra);
    await subscribe('AI 18:00 exclude=crypto outlets=blocked.example min=50 count=5');
    const preview = await app.preview(chat, 'ai');
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    const titles = preview.digest.items.map((i) => i.title);
    expect(titles).toContain('Open tooling for model evaluation');
    expect(titles).toContain('Chip makers race ahead');
    expect(titles).not.toContain('Crypto exchange adds AI trading');
    expect(titles).not.toContain('Open models close the gap');
    expect(titles).not.toContain('Open weights ship for a new model');
    // First digest: looks back 36 hours from now.
    expect(preview.since).toBe('2026-11-25T00:00:00.000Z');
    expect(await app.storage.deliveries.sentArticleIds(chat)).toEqual(new Set());
    expect(await app.storage.deliveries.deliveries(preview.view.subscription.id)).toEqual([]);
    const narrowed = await subscribe('AI count=1');
    expect(narrowed.ok).toBe(true);
    const one = await app.preview(chat, 'AI');
    expect(one.ok && one.digest.items).toHaveLength(1);
  });

  it('holds only what is new since the last delivered slot', async () => {
    const { app, subscribe, clock, storage } = await setup();
    await subscribe('AI 08:00');
    const sub = (await app.subscriptions(chat))[0]!.subscription;
    await storage.deliveries.recordDelivery({ subscriptionId: sub.id, slot: '2026-11-26T08:00:00.000Z', status: 'sent', articleIds: [], detail: null }, chat);
    clock.set('2026-11-26T13:00:00Z');
    const preview = await app.preview(chat, 'AI');
    expect(preview).toMatchObject({ ok: true, since: '2026-11-26T08:00:00.000Z' });
    // The AI article of the setup was published at 06:00, before the last delivery.
    expect(preview.ok && preview.digest.items).toEqual([]);
  });

  it('answers for a topic not subscribed here', async () => {
    const { app, subscribe } = await setup();
    expect(await app.preview(chat, 'AI')).toEqual({ ok: false, code: 'no-subscriptions', params: {} });
    await subscribe('Space');
    expect(await app.preview(chat, 'AI')).toMatchObject({ ok: false, code: 'not-subscribed', params: { command: 'preview', topic: 'AI' } });
    expect(await app.preview(chat, 'all')).toMatchObject({ ok: false, code: 'not-subscribed' });
  });
});
