import { describe, expect, it } from 'vitest';
import type { Target, Weekday } from '../../src/model.js';
import { chat, chatThread, newSubscription, openPerTest, type StorageFactory } from './fixtures.js';

/** Platform ids are an open set (ports.ts); model.ts Target still names three, hence the cast. */
const matrixRoom = (roomId: string): Target => ({ platform: 'matrix' as string as Target['platform'], chatId: roomId });

/** The behaviour every SubscriptionStore must have, run against one backend. */
export function runSubscriptionStoreContract(name: string, factory: StorageFactory): void {
  describe(`SubscriptionStore contract: ${name}`, () => {
    const open = openPerTest(factory);
    const group: Target = { platform: 'telegram', chatId: '-100' };
    const groupTopic: Target = { platform: 'telegram', chatId: '-100', threadId: '5' };
    const otherChat: Target = { platform: 'telegram', chatId: '-1001' };
    const supergroup: Target = { platform: 'telegram', chatId: '-100200' };

    it('adds a subscription once per target and topic, updating name, time, zone and next due', async () => {
      const { subscriptions } = await open();
      const first = await subscriptions.upsertSubscription(newSubscription(chat));
      const again = await subscriptions.upsertSubscription(
        newSubscription(chat, { topic: 'A.I.', time: '09:00', timezone: 'Europe/Kyiv', nextDueAt: '2026-11-27T07:00:00.000Z' }),
      );
      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(again.subscription.id).toBe(first.subscription.id);
      expect(again.subscription).toMatchObject({ topic: 'A.I.', time: '09:00', timezone: 'Europe/Kyiv', nextDueAt: '2026-11-27T07:00:00.000Z' });
      expect(await subscriptions.listSubscriptions(chat)).toEqual([again.subscription]);
    });

    it('wakes a paused subscription when the target subscribes again', async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(newSubscription(chat));
      await subscriptions.setActive(chat, false, 'blocked');
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat));
      expect(subscription.active).toBe(true);
      expect(await subscriptions.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toHaveLength(1);
    });

    it('returns instants as ISO 8601 UTC with milliseconds, whatever form they came in', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat, { nextDueAt: '2026-11-27T10:00:00+02:00' }));
      expect(subscription.nextDueAt).toBe('2026-11-27T08:00:00.000Z');
      expect(new Date(subscription.createdAt).toISOString()).toBe(subscription.createdAt);
      await subscriptions.setNextDue(subscription.id, '2026-11-28T08:00Z');
      expect((await subscriptions.getSubscription(subscription.id))?.nextDueAt).toBe('2026-11-28T08:00:00.000Z');
    });

    it('keeps forum topics of one chat apart', async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(newSubscription(chat));
      await subscriptions.upsertSubscription(newSubscription(chatThread));
      expect(await subscriptions.listSubscriptions(chatThread)).toHaveLength(1);
      expect((await subscriptions.listSubscriptions(chatThread))[0]?.target).toEqual(chatThread);
      expect((await subscriptions.listSubscriptions(chat))[0]?.target).toEqual(chat);
      expect(await subscriptions.removeAllSubscriptions(chat)).toBe(1);
      expect(await subscriptions.listSubscriptions(chat)).toEqual([]);
      expect(await subscriptions.listSubscriptions(chatThread)).toHaveLength(1);
    });

    it("removes one of a target's subscriptions by topic key", async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(newSubscription(chat));
      await subscriptions.upsertSubscription(newSubscription(chat, { topic: 'Space', topicKey: 'space' }));
      await subscriptions.upsertSubscription(newSubscription(otherChat));
      expect(await subscriptions.removeSubscription(chat, 'ai')).toBe(true);
      expect(await subscriptions.removeSubscription(chat, 'ai')).toBe(false);
      expect((await subscriptions.listSubscriptions(chat)).map((s) => s.topicKey)).toEqual(['space']);
      expect(await subscriptions.listSubscriptions(otherChat)).toHaveLength(1);
    });

    it("lists a target's subscriptions by topic name and finds one by id", async () => {
      const { subscriptions } = await open();
      for (const topic of ['Space', 'AI', 'Oceans']) {
        await subscriptions.upsertSubscription(newSubscription(chat, { topic, topicKey: topic.toLowerCase() }));
      }
      const listed = await subscriptions.listSubscriptions(chat);
      expect(listed.map((s) => s.topic)).toEqual(['AI', 'Oceans', 'Space']);
      expect(await subscriptions.getSubscription(listed[1]!.id)).toEqual(listed[1]);
      expect(await subscriptions.getSubscription(Math.max(...listed.map((s) => s.id)) + 1)).toBeUndefined();
    });

    it('deactivates and reactivates a target without deleting its subscriptions, counting only changes', async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(newSubscription(chat));
      expect(await subscriptions.setActive(chat, false, 'blocked')).toBe(1);
      expect(await subscriptions.setActive(chat, false, 'blocked')).toBe(0);
      expect(await subscriptions.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toEqual([]);
      expect((await subscriptions.listSubscriptions(chat))[0]?.active).toBe(false);
      expect(await subscriptions.setActive(chat, true)).toBe(1);
      expect(await subscriptions.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toHaveLength(1);
    });

    it('pauses a whole chat, threads included, when the scope names no thread, and one thread when it does', async () => {
      const { subscriptions } = await open();
      for (const target of [group, groupTopic, otherChat]) await subscriptions.upsertSubscription(newSubscription(target));
      expect(await subscriptions.setActive(group, false, 'kicked')).toBe(2);
      expect((await subscriptions.listSubscriptions(groupTopic))[0]?.active).toBe(false);
      expect((await subscriptions.listSubscriptions(otherChat))[0]?.active).toBe(true);
      expect(await subscriptions.setActive(groupTopic, true)).toBe(1);
      expect((await subscriptions.listSubscriptions(group))[0]?.active).toBe(false);
      expect((await subscriptions.listSubscriptions(groupTopic))[0]?.active).toBe(true);
    });

    it('keeps a whole-chat scope to that chat when another chat id starts with the same text', async () => {
      const { subscriptions } = await open();
      // Matrix room ids hold colons, and a server name may carry a port.
      const room = matrixRoom('!abc:example.org');
      const lookalike = matrixRoom('!abc:example.org:8448');
      await subscriptions.upsertSubscription(newSubscription(room));
      await subscriptions.upsertSubscription(newSubscription(lookalike));
      expect(await subscriptions.setActive(room, false)).toBe(1);
      expect((await subscriptions.listSubscriptions(lookalike))[0]?.active).toBe(true);
      expect(await subscriptions.migrateTarget(room, matrixRoom('!new:example.org'))).toBe(1);
      expect(await subscriptions.listSubscriptions(lookalike)).toEqual([expect.objectContaining({ target: lookalike })]);
    });

    it("moves a migrated chat's subscriptions, zone and history to the new id, keeping subscription ids", async () => {
      const { subscriptions, deliveries } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(group));
      await subscriptions.setTimezone(group, 'Europe/Kyiv');
      await deliveries.recordDelivery({ subscriptionId: subscription.id, slot: 's', status: 'sent', articleIds: ['a'], detail: null }, group);
      expect(await subscriptions.migrateTarget(group, supergroup)).toBe(1);
      expect(await subscriptions.listSubscriptions(group)).toEqual([]);
      const [moved] = await subscriptions.listSubscriptions(supergroup);
      expect(moved).toMatchObject({ id: subscription.id, target: supergroup });
      expect(await subscriptions.getTimezone(supergroup)).toBe('Europe/Kyiv');
      expect(await subscriptions.getTimezone(group)).toBeUndefined();
      expect([...(await deliveries.sentArticleIds(supergroup))]).toEqual(['a']);
      expect((await deliveries.sentArticleIds(group)).size).toBe(0);
    });

    it('moves a whole chat with its threads, each to the same thread of the new chat', async () => {
      const { subscriptions, deliveries } = await open();
      for (const target of [group, groupTopic, otherChat]) await subscriptions.upsertSubscription(newSubscription(target));
      const settingsOnly: Target = { ...group, threadId: '6' };
      await subscriptions.setTimezone(groupTopic, 'Europe/Kyiv');
      await subscriptions.setTimezone(settingsOnly, 'Asia/Tokyo');
      const [topicSub] = await subscriptions.listSubscriptions(groupTopic);
      await deliveries.recordDelivery({ subscriptionId: topicSub!.id, slot: 's', status: 'sent', articleIds: ['t'], detail: null }, groupTopic);
      expect(await subscriptions.migrateTarget(group, supergroup)).toBe(2);
      const movedTopic = { ...supergroup, threadId: '5' };
      expect(await subscriptions.listSubscriptions(movedTopic)).toEqual([expect.objectContaining({ target: movedTopic })]);
      expect(await subscriptions.listSubscriptions(supergroup)).toHaveLength(1);
      expect(await subscriptions.getTimezone(movedTopic)).toBe('Europe/Kyiv');
      expect(await subscriptions.getTimezone({ ...supergroup, threadId: '6' })).toBe('Asia/Tokyo');
      expect([...(await deliveries.sentArticleIds(movedTopic))]).toEqual(['t']);
      expect(await subscriptions.listSubscriptions(groupTopic)).toEqual([]);
      expect(await subscriptions.getTimezone(groupTopic)).toBeUndefined();
      expect(await subscriptions.listSubscriptions(otherChat)).toHaveLength(1);
    });

    it('moves only the named thread when the scope names one', async () => {
      const { subscriptions } = await open();
      for (const target of [group, groupTopic, { ...group, threadId: '6' }]) await subscriptions.upsertSubscription(newSubscription(target));
      const to = { ...supergroup, threadId: '9' };
      expect(await subscriptions.migrateTarget(groupTopic, to)).toBe(1);
      expect(await subscriptions.listSubscriptions(to)).toEqual([expect.objectContaining({ target: to })]);
      expect(await subscriptions.listSubscriptions(groupTopic)).toEqual([]);
      expect(await subscriptions.listSubscriptions(group)).toHaveLength(1);
      expect(await subscriptions.listSubscriptions({ ...group, threadId: '6' })).toHaveLength(1);
    });

    it('lets what the new chat already has win: its subscription to a topic and its zone', async () => {
      const { subscriptions } = await open();
      const own = await subscriptions.upsertSubscription(newSubscription(supergroup, { time: '09:00' }));
      const ownTopic = await subscriptions.upsertSubscription(newSubscription({ ...supergroup, threadId: '5' }, { time: '10:00' }));
      await subscriptions.setTimezone(supergroup, 'Asia/Tokyo');
      await subscriptions.upsertSubscription(newSubscription(group));
      await subscriptions.upsertSubscription(newSubscription(group, { topic: 'Space', topicKey: 'space' }));
      await subscriptions.upsertSubscription(newSubscription(groupTopic));
      await subscriptions.setTimezone(group, 'Europe/Kyiv');
      expect(await subscriptions.migrateTarget(group, supergroup)).toBe(1);
      const kept = await subscriptions.listSubscriptions(supergroup);
      expect(kept.map((s) => [s.topicKey, s.time])).toEqual([['ai', '09:00'], ['space', '08:00']]);
      expect(kept[0]?.id).toBe(own.subscription.id);
      expect(await subscriptions.listSubscriptions({ ...supergroup, threadId: '5' })).toEqual([ownTopic.subscription]);
      expect(await subscriptions.getTimezone(supergroup)).toBe('Asia/Tokyo');
      expect(await subscriptions.listSubscriptions(group)).toEqual([]);
      expect(await subscriptions.listSubscriptions(groupTopic)).toEqual([]);
    });

    it('leaves a target alone when asked to move it onto itself', async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(newSubscription(group));
      await subscriptions.upsertSubscription(newSubscription(groupTopic));
      expect(await subscriptions.migrateTarget(group, group)).toBe(0);
      expect(await subscriptions.migrateTarget(groupTopic, groupTopic)).toBe(0);
      expect(await subscriptions.listSubscriptions(group)).toHaveLength(1);
      expect(await subscriptions.listSubscriptions(groupTopic)).toHaveLength(1);
    });

    it('keeps a time zone per target, a thread apart from its chat', async () => {
      const { subscriptions } = await open();
      expect(await subscriptions.getTimezone(chat)).toBeUndefined();
      await subscriptions.setTimezone(chat, 'Europe/Kyiv');
      await subscriptions.setTimezone(chat, 'Europe/Berlin');
      expect(await subscriptions.getTimezone(chat)).toBe('Europe/Berlin');
      expect(await subscriptions.getTimezone(chatThread)).toBeUndefined();
      await subscriptions.setTimezone(chatThread, 'Asia/Tokyo');
      expect(await subscriptions.getTimezone(chat)).toBe('Europe/Berlin');
    });

    it('lists active due subscriptions earliest first, then by id, up to the limit', async () => {
      const { subscriptions } = await open();
      const other: Target = { platform: 'discord', chatId: '9' };
      const late = await subscriptions.upsertSubscription(newSubscription(chat));
      const early = await subscriptions.upsertSubscription(newSubscription(other, { nextDueAt: '2026-11-27T07:00:00.000Z' }));
      const tie = await subscriptions.upsertSubscription(newSubscription(chat, { topic: 'Space', topicKey: 'space' }));
      const paused = await subscriptions.upsertSubscription(newSubscription(chatThread, { nextDueAt: '2026-11-27T06:00:00.000Z' }));
      await subscriptions.setActive(chatThread, false);
      const due = async (at: string, limit = 10) => (await subscriptions.dueSubscriptions(new Date(at), limit)).map((s) => s.id);
      expect(await due('2026-11-27T06:59:59.999Z')).toEqual([]);
      expect(await due('2026-11-27T07:00:00.000Z')).toEqual([early.subscription.id]);
      expect(await due('2026-11-27T09:00:00Z')).toEqual([early.subscription.id, late.subscription.id, tie.subscription.id]);
      expect(await due('2026-11-27T09:00:00Z', 2)).toEqual([early.subscription.id, late.subscription.id]);
      expect(await due('2026-11-27T09:00:00Z')).not.toContain(paused.subscription.id);
    });

    it("lists one platform's due subscriptions when asked, whatever the platform id", async () => {
      const { subscriptions } = await open();
      const room = matrixRoom('!room:example.org');
      await subscriptions.upsertSubscription(newSubscription(chat));
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(room));
      const now = new Date('2026-11-28T00:00:00Z');
      expect(await subscriptions.dueSubscriptions(now, 10, 'matrix')).toEqual([subscription]);
      expect((await subscriptions.dueSubscriptions(now, 10, 'telegram')).map((s) => s.target)).toEqual([chat]);
      expect(await subscriptions.dueSubscriptions(now, 10, 'discord')).toEqual([]);
      expect(await subscriptions.dueSubscriptions(now, 10)).toHaveLength(2);
    });

    it('moves a subscription in and out of due with its next due instant', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat));
      const now = new Date('2026-11-27T09:00:00Z');
      await subscriptions.setNextDue(subscription.id, '2026-11-28T08:00:00.000Z');
      expect(await subscriptions.dueSubscriptions(now, 10)).toEqual([]);
      await subscriptions.setNextDue(subscription.id, '2026-11-27T08:30:00.000Z');
      expect((await subscriptions.dueSubscriptions(now, 10))[0]?.nextDueAt).toBe('2026-11-27T08:30:00.000Z');
    });

    it('gives a subscription without options a daily schedule at its time, following the chat zone, unfiltered, not paused', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat, { time: '07:45' }));
      expect(subscription).toMatchObject({
        time: '07:45',
        schedule: { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['07:45'] },
        ownZone: false,
        count: null,
        filters: { include: [], exclude: [], outlets: [], minQuality: null },
        paused: false,
      });
    });

    it('stores every option a new subscription is given, and reads them back alike everywhere', async () => {
      const { subscriptions } = await open();
      const options = {
        schedule: { kind: 'days' as const, days: [1, 3, 5] as Weekday[], times: ['08:00', '18:30'] },
        ownZone: true,
        count: 3,
        filters: { include: ['open source', 'GPT‑4'], exclude: ['crypto'], outlets: ['example.com', 'Ünï Times'], minQuality: 60 },
        paused: true,
      };
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat, { time: 'ignored', timezone: 'UTC+03:00', ...options }));
      expect(subscription).toMatchObject({ ...options, time: '08:00', timezone: 'UTC+03:00' });
      expect(await subscriptions.getSubscription(subscription.id)).toEqual(subscription);
      expect(await subscriptions.listSubscriptions(chat)).toEqual([subscription]);
    });

    it('changes only the fields an update names, and reports the subscription as now stored', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(
        newSubscription(chat, { time: '09:05', timezone: 'America/Los_Angeles', ownZone: true, count: 4, filters: { include: ['gpt'], exclude: [], outlets: [], minQuality: null } }),
      );
      const timeOnly = await subscriptions.updateSubscription(subscription.id, {
        schedule: { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['10:15'] },
        nextDueAt: '2026-11-27T18:15:00.000Z',
      });
      expect(timeOnly).toEqual({
        ...subscription,
        time: '10:15',
        schedule: { kind: 'daily', days: [1, 2, 3, 4, 5, 6, 7], times: ['10:15'] },
        nextDueAt: '2026-11-27T18:15:00.000Z',
      });
      const filtersOnly = await subscriptions.updateSubscription(subscription.id, {
        filters: { include: [], exclude: ['crypto'], outlets: [], minQuality: 70 },
        count: null,
      });
      expect(filtersOnly).toEqual({ ...timeOnly, filters: { include: [], exclude: ['crypto'], outlets: [], minQuality: 70 }, count: null });
      const renamed = await subscriptions.updateSubscription(subscription.id, { topic: 'A.I.', timezone: 'Europe/Kyiv', ownZone: false });
      expect(renamed).toEqual({ ...filtersOnly, topic: 'A.I.', timezone: 'Europe/Kyiv', ownZone: false });
      expect(await subscriptions.updateSubscription(subscription.id, {})).toEqual(renamed);
      expect(await subscriptions.getSubscription(subscription.id)).toEqual(renamed);
    });

    it('answers an update of a subscription that does not exist with undefined, writing nothing', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat));
      expect(await subscriptions.updateSubscription(subscription.id + 1000, { paused: true })).toBeUndefined();
      expect(await subscriptions.listSubscriptions(chat)).toEqual([subscription]);
    });

    it('leaves a paused subscription out of due ones, keeping its settings, until it is resumed', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat, { count: 2, time: '06:30' }));
      const later = new Date('2030-01-01T00:00:00Z');
      const paused = await subscriptions.updateSubscription(subscription.id, { paused: true });
      expect(paused).toMatchObject({ paused: true, active: true, count: 2, time: '06:30' });
      expect(await subscriptions.dueSubscriptions(later, 10)).toEqual([]);
      expect(await subscriptions.dueSubscriptions(later, 10, 'telegram')).toEqual([]);
      // A platform's reactivation (/start) does not undo the chat's own pause.
      await subscriptions.setActive(chat, false, 'blocked');
      await subscriptions.setActive(chat, true);
      expect(await subscriptions.dueSubscriptions(later, 10)).toEqual([]);
      const resumed = await subscriptions.updateSubscription(subscription.id, { paused: false, nextDueAt: '2029-12-31T06:30:00.000Z' });
      expect(await subscriptions.dueSubscriptions(later, 10)).toEqual([resumed]);
      expect(resumed).toMatchObject({ paused: false, count: 2, time: '06:30', nextDueAt: '2029-12-31T06:30:00.000Z' });
    });

    it('wakes a deactivated subscription when an update says active, and only then', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat));
      await subscriptions.setActive(chat, false, 'kicked');
      expect(await subscriptions.updateSubscription(subscription.id, { count: 2 })).toMatchObject({ active: false, count: 2 });
      expect(await subscriptions.updateSubscription(subscription.id, { active: true })).toMatchObject({ active: true, count: 2 });
      expect(await subscriptions.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toHaveLength(1);
    });

    it('replaces every option when the same topic is subscribed again through upsert', async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(
        newSubscription(chat, { count: 4, ownZone: true, paused: true, filters: { include: ['x'], exclude: [], outlets: [], minQuality: 10 } }),
      );
      const { subscription, created } = await subscriptions.upsertSubscription(newSubscription(chat, { time: '11:00' }));
      expect(created).toBe(false);
      expect(subscription).toMatchObject({ time: '11:00', count: null, ownZone: false, paused: false, filters: { include: [], minQuality: null } });
    });

    it('keeps options when a chat moves to a new id', async () => {
      const { subscriptions } = await open();
      await subscriptions.upsertSubscription(
        newSubscription(group, { count: 7, paused: true, schedule: { kind: 'weekly', days: [2], times: ['12:00'] } }),
      );
      await subscriptions.migrateTarget(group, supergroup);
      expect((await subscriptions.listSubscriptions(supergroup))[0]).toMatchObject({ count: 7, paused: true, schedule: { kind: 'weekly', days: [2], times: ['12:00'] } });
    });

    it('hands out copies: changing a returned subscription leaves the stored one alone', async () => {
      const { subscriptions } = await open();
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat));
      subscription.target.chatId = 'tampered';
      subscription.active = false;
      subscription.schedule.times.push('23:00');
      subscription.filters.include.push('tampered');
      expect(await subscriptions.getSubscription(subscription.id)).toMatchObject({
        target: chat,
        active: true,
        schedule: { times: ['08:00'] },
        filters: { include: [] },
      });
    });
  });
}
