import { describe, expect, it } from 'vitest';
import type { DeliveryRecord, DeliveryStatus, Storage } from '../../src/ports.js';
import { chat, chatThread, emptyDigest, newSubscription, openPerTest, type StorageFactory } from './fixtures.js';

type NewRecord = Omit<DeliveryRecord, 'updatedAt'>;

/** The behaviour every DeliveryLog must have, run against one backend. */
export function runDeliveryLogContract(name: string, factory: StorageFactory): void {
  describe(`DeliveryLog contract: ${name}`, () => {
    const open = openPerTest(factory);
    const slot = '2026-11-27T08:00:00.000Z';

    /** A storage with one subscription (to AI, in `chat`, due at `slot`). */
    const withSubscription = async (): Promise<{ storage: Storage; id: number }> => {
      const storage = await open();
      const { subscription } = await storage.subscriptions.upsertSubscription(newSubscription(chat, { nextDueAt: slot }));
      return { storage, id: subscription.id };
    };
    const record = (id: number, status: DeliveryStatus, fields: Partial<NewRecord> = {}): NewRecord => ({
      subscriptionId: id,
      slot,
      status,
      articleIds: [],
      detail: null,
      ...fields,
    });

    it('names the slot of the latest delivery that went out or found nothing, before a given slot', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const at = (day: number) => `2026-11-${day}T08:00:00.000Z`;
      expect(await deliveries.lastDeliveredSlot(id, at(30))).toBeUndefined();
      await deliveries.recordDelivery(record(id, 'sent', { slot: at(26) }), chat);
      await deliveries.recordDelivery(record(id, 'empty', { slot: at(27) }), chat);
      await deliveries.recordDelivery(record(id, 'failed', { slot: at(28) }), chat);
      await deliveries.recordDelivery(record(id, 'skipped', { slot: at(29) }), chat);
      expect(await deliveries.lastDeliveredSlot(id, at(30))).toBe(at(27));
      expect(await deliveries.lastDeliveredSlot(id, at(27))).toBe(at(26));
      expect(await deliveries.lastDeliveredSlot(id + 1, at(30))).toBeUndefined();
    });

    it('never hands a removed subscription\'s delivery log to a later one', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries, subscriptions } = storage;
      await deliveries.recordDelivery(record(id, 'sent', { slot: '2026-11-26T08:00:00.000Z' }), chat);
      await deliveries.claimDelivery(id, slot, 'gone-process', new Date(slot));
      expect(await subscriptions.removeSubscription(chat, 'ai')).toBe(true);
      const { subscription } = await subscriptions.upsertSubscription(newSubscription(chat, { nextDueAt: slot }));
      expect(await deliveries.deliveries(subscription.id)).toEqual([]);
      expect(await deliveries.lastDeliveredSlot(subscription.id, slot)).toBeUndefined();
      expect(await deliveries.claimDelivery(subscription.id, slot, 'new-process', new Date(slot))).toMatchObject({ claimedBy: 'new-process' });
    });

    it('records deliveries, remembers sent articles and advances the due time together', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries, subscriptions } = storage;
      await deliveries.recordDelivery(record(id, 'sending', { articleIds: ['a', 'b'] }), chat);
      expect((await deliveries.sentArticleIds(chat)).size).toBe(0);
      expect(await deliveries.recordDelivery(record(id, 'sent', { articleIds: ['a', 'b'] }), chat, '2026-11-28T08:00:00.000Z')).toBe(true);
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'sent', articleIds: ['a', 'b'], detail: null });
      expect([...(await deliveries.sentArticleIds(chat))].sort()).toEqual(['a', 'b']);
      expect((await subscriptions.getSubscription(id))?.nextDueAt).toBe('2026-11-28T08:00:00.000Z');
      expect(await deliveries.deliveries(id)).toHaveLength(1);
    });

    it('lets one claimant at a time own a slot, and only the owner record its progress', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const at = new Date(slot);
      expect(await deliveries.claimDelivery(id, slot, 'a', at)).toMatchObject({ status: 'claimed', claimedBy: 'a', partsSent: 0 });
      expect(await deliveries.claimDelivery(id, slot, 'b', at)).toBeUndefined();
      expect(await deliveries.updateClaim(id, slot, 'b', { status: 'sending', partsSent: 0 })).toBe(false);
      expect(await deliveries.updateClaim(id, slot, 'a', { status: 'sending', partsSent: 1, partsTotal: 3 })).toBe(true);
      // A retryable failure is claimable again once its retry time has come, keeping its progress.
      const retryAt = '2026-11-27T08:02:00.000Z';
      expect(await deliveries.recordDelivery(record(id, 'failed', { detail: 'attempt 1/5', retryAt }), chat, undefined, 'a')).toBe(true);
      expect(await deliveries.claimDelivery(id, slot, 'b', new Date('2026-11-27T08:01:00Z'))).toBeUndefined();
      expect(await deliveries.claimDelivery(id, slot, 'b', new Date(retryAt))).toMatchObject({ claimedBy: 'b', partsSent: 1, partsTotal: 3 });
      expect(await deliveries.recordDelivery(record(id, 'sent', { articleIds: ['x'] }), chat, undefined, 'a')).toBe(false);
      await deliveries.releaseDelivery(id, slot);
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'pending', claimedBy: null, partsSent: 1 });
      expect(await deliveries.claimDelivery(id, slot, 'c', at)).toMatchObject({ claimedBy: 'c' });
      expect(await deliveries.recordDelivery(record(id, 'sent', { articleIds: ['x'] }), chat, undefined, 'c')).toBe(true);
      expect(await deliveries.claimDelivery(id, slot, 'd', new Date('2030-01-01T00:00:00Z'))).toBeUndefined();
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'sent', claimedBy: null, digest: null });
    });

    it('starts a claim on a new slot with nothing done', async () => {
      const { storage, id } = await withSubscription();
      const claimed = await storage.deliveries.claimDelivery(id, slot, 'a', new Date(slot));
      expect(claimed).toMatchObject({
        subscriptionId: id,
        slot,
        status: 'claimed',
        articleIds: [],
        detail: null,
        attempts: 0,
        partsSent: 0,
        partsTotal: null,
        digest: null,
        retryAt: null,
        claimedBy: 'a',
      });
      expect(await storage.deliveries.getDelivery(id, slot)).toEqual(claimed);
    });

    it('never hands out a final slot, nor a failed one without a retry time', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const later = new Date('2030-01-01T00:00:00Z');
      const statuses: DeliveryStatus[] = ['sent', 'empty', 'skipped', 'failed'];
      for (const [i, status] of statuses.entries()) {
        const at = `2026-11-2${i}T08:00:00.000Z`;
        await deliveries.recordDelivery(record(id, status, { slot: at }), chat);
        expect(await deliveries.claimDelivery(id, at, 'a', later)).toBeUndefined();
        expect((await deliveries.getDelivery(id, at))?.status).toBe(status);
      }
    });

    it('keeps the count of transient failures it was given', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      await deliveries.recordDelivery(record(id, 'sent', { slot: '2026-11-26T08:00:00.000Z' }), chat);
      expect((await deliveries.getDelivery(id, '2026-11-26T08:00:00.000Z'))?.attempts).toBe(0);
      await deliveries.claimDelivery(id, slot, 'a', new Date(slot));
      const retryAt = '2026-11-27T08:05:00.000Z';
      await deliveries.recordDelivery(record(id, 'failed', { attempts: 2, retryAt }), chat, undefined, 'a');
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ attempts: 2, retryAt });
      expect(await deliveries.claimDelivery(id, slot, 'b', new Date(retryAt))).toMatchObject({ attempts: 2 });
      await deliveries.recordDelivery(record(id, 'failed', { attempts: 3 }), chat, undefined, 'b');
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'failed', attempts: 3, retryAt: null });
    });

    it('counts the articles a failed delivery showed as sent, and nothing of unfinished or empty ones', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const at = (day: number) => `2026-11-${day}T08:00:00.000Z`;
      await deliveries.recordDelivery(record(id, 'failed', { slot: at(20), articleIds: ['shown'] }), chat);
      for (const [day, status] of [[21, 'claimed'], [22, 'sending'], [23, 'pending'], [24, 'empty'], [25, 'skipped']] as const) {
        await deliveries.recordDelivery(record(id, status, { slot: at(day), articleIds: [`not-${status}`] }), chat);
      }
      expect([...(await deliveries.sentArticleIds(chat))]).toEqual(['shown']);
    });

    it('remembers sent articles per target, a thread apart from its chat', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      await deliveries.recordDelivery(record(id, 'sent', { articleIds: ['in-thread'] }), chatThread);
      expect([...(await deliveries.sentArticleIds(chatThread))]).toEqual(['in-thread']);
      expect((await deliveries.sentArticleIds(chat)).size).toBe(0);
    });

    it('keeps the digest while a slot is unfinished and drops it once the slot is final', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const digest = emptyDigest();
      await deliveries.recordDelivery(record(id, 'sending', { digest, partsTotal: 2 }), chat);
      expect((await deliveries.getDelivery(id, slot))?.digest).toEqual(digest);
      // Unfinished without a digest of its own: the one already stored stays.
      await deliveries.recordDelivery(record(id, 'pending'), chat);
      expect((await deliveries.getDelivery(id, slot))?.digest).toEqual(digest);
      await deliveries.recordDelivery(record(id, 'failed', { retryAt: '2026-11-27T08:05:00.000Z' }), chat);
      expect((await deliveries.getDelivery(id, slot))?.digest).toEqual(digest);
      // A retry time means something only on a failed slot.
      await deliveries.recordDelivery(record(id, 'sent', { retryAt: '2026-11-27T08:05:00.000Z' }), chat);
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ digest: null, partsTotal: 2, retryAt: null });

      const other = '2026-11-28T08:00:00.000Z';
      await deliveries.recordDelivery(record(id, 'sending', { slot: other, digest }), chat);
      await deliveries.recordDelivery(record(id, 'failed', { slot: other, digest }), chat);
      expect((await deliveries.getDelivery(id, other))?.digest).toBeNull();
    });

    it('writes nothing for a claimant that lost the slot: no row change, no sent articles, no due change', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries, subscriptions } = storage;
      await deliveries.claimDelivery(id, slot, 'a', new Date(slot));
      await deliveries.releaseDelivery(id, slot);
      await deliveries.claimDelivery(id, slot, 'b', new Date(slot));
      const before = await deliveries.getDelivery(id, slot);
      const written = await deliveries.recordDelivery(record(id, 'sent', { articleIds: ['x'] }), chat, '2026-11-28T08:00:00.000Z', 'a');
      expect(written).toBe(false);
      expect(await deliveries.getDelivery(id, slot)).toEqual(before);
      expect((await deliveries.sentArticleIds(chat)).size).toBe(0);
      expect((await subscriptions.getSubscription(id))?.nextDueAt).toBe(slot);
    });

    it('records progress only while the claimant owns a claimed or sending slot, keeping what it does not give', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const digest = emptyDigest();
      await deliveries.claimDelivery(id, slot, 'a', new Date(slot));
      expect(await deliveries.updateClaim(id, slot, 'a', { status: 'sending', partsSent: 0, partsTotal: 3, articleIds: ['x', 'y'], digest })).toBe(true);
      expect(await deliveries.updateClaim(id, slot, 'a', { status: 'sending', partsSent: 2 })).toBe(true);
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'sending', claimedBy: 'a', partsSent: 2, partsTotal: 3, articleIds: ['x', 'y'], digest });
      await deliveries.releaseDelivery(id, slot);
      expect(await deliveries.updateClaim(id, slot, 'a', { status: 'sending', partsSent: 3 })).toBe(false);
      expect((await deliveries.getDelivery(id, slot))?.partsSent).toBe(2);
      expect(await deliveries.updateClaim(id, '2026-11-30T08:00:00.000Z', 'a', { status: 'claimed', partsSent: 0 })).toBe(false);
    });

    it('releases a claimed or sending slot to nobody with the progress given, and leaves a final one alone', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      await deliveries.claimDelivery(id, slot, 'a', new Date(slot));
      await deliveries.updateClaim(id, slot, 'a', { status: 'sending', partsSent: 1, partsTotal: 3 });
      await deliveries.releaseDelivery(id, slot, 2, 'crashed after part 2');
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'pending', claimedBy: null, partsSent: 2, partsTotal: 3, detail: 'crashed after part 2' });
      const done = '2026-11-26T08:00:00.000Z';
      await deliveries.recordDelivery(record(id, 'sent', { slot: done, partsSent: 3 }), chat);
      await deliveries.releaseDelivery(id, done, 0, 'late release');
      expect(await deliveries.getDelivery(id, done)).toMatchObject({ status: 'sent', partsSent: 3, detail: null });
    });

    it('releases for a named owner only while that owner still owns the slot', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      await deliveries.claimDelivery(id, slot, 'dead', new Date(slot));
      await deliveries.releaseDelivery(id, slot, 1, 'settled for dead', 'someone-else');
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'claimed', claimedBy: 'dead', partsSent: 0 });
      await deliveries.releaseDelivery(id, slot, 1, 'settled for dead', 'dead');
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ status: 'pending', claimedBy: null, partsSent: 1, detail: 'settled for dead' });
    });

    describe('chat leases', () => {
      const t0 = new Date('2026-11-27T08:00:00.000Z');
      const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

      it('gives a free chat to one claimant until its lease ends, then to another', async () => {
        const { deliveries } = await open();
        expect(await deliveries.leaseChat('telegram', '42', 'a', t0, at(30))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '42', 'b', at(10), at(40))).toBe(false);
        // The holder renews (and so confirms) its own lease.
        expect(await deliveries.leaseChat('telegram', '42', 'a', at(20), at(50))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '42', 'b', at(40), at(70))).toBe(false);
        // At the instant the lease ends it is free.
        expect(await deliveries.leaseChat('telegram', '42', 'b', at(50), at(80))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '42', 'a', at(60), at(90))).toBe(false);
      });

      it('keeps chats of other platforms and other ids apart, threads together', async () => {
        const { deliveries } = await open();
        expect(await deliveries.leaseChat('telegram', '42', 'a', t0, at(30))).toBe(true);
        expect(await deliveries.leaseChat('discord', '42', 'b', t0, at(30))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '420', 'b', t0, at(30))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '4', 'b', t0, at(30))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '42', 'b', t0, at(30))).toBe(false);
      });

      it('renews every lease of a claimant and no other', async () => {
        const { deliveries } = await open();
        await deliveries.leaseChat('telegram', '1', 'a', t0, at(30));
        await deliveries.leaseChat('telegram', '2', 'a', t0, at(30));
        await deliveries.leaseChat('telegram', '3', 'b', t0, at(30));
        expect(await deliveries.renewLeases('a', at(90))).toBe(2);
        expect(await deliveries.renewLeases('nobody', at(90))).toBe(0);
        // a's chats are held past b's lease end; b's is free then.
        expect(await deliveries.leaseChat('telegram', '1', 'c', at(60), at(120))).toBe(false);
        expect(await deliveries.leaseChat('telegram', '2', 'c', at(60), at(120))).toBe(false);
        expect(await deliveries.leaseChat('telegram', '3', 'c', at(60), at(120))).toBe(true);
      });

      it("releases one chat or all of a claimant's, never another claimant's", async () => {
        const { deliveries } = await open();
        await deliveries.leaseChat('telegram', '1', 'a', t0, at(30));
        await deliveries.leaseChat('telegram', '2', 'a', t0, at(30));
        await deliveries.leaseChat('telegram', '3', 'a', t0, at(30));
        await deliveries.leaseChat('telegram', '4', 'b', t0, at(30));
        await deliveries.releaseChat('telegram', '4', 'a');
        expect(await deliveries.leaseChat('telegram', '4', 'c', at(1), at(31))).toBe(false);
        await deliveries.releaseChat('telegram', '1', 'a');
        expect(await deliveries.leaseChat('telegram', '1', 'c', at(1), at(31))).toBe(true);
        expect(await deliveries.releaseLeases('a')).toBe(2);
        expect(await deliveries.leaseChat('telegram', '2', 'c', at(1), at(31))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '3', 'c', at(1), at(31))).toBe(true);
        expect(await deliveries.leaseChat('telegram', '4', 'c', at(1), at(31))).toBe(false);
      });

      it('lets exactly one of many simultaneous claimants take a free chat', async () => {
        const { deliveries } = await open();
        const won = await Promise.all(Array.from({ length: 8 }, (_, i) => deliveries.leaseChat('telegram', '42', `c${i}`, t0, at(30))));
        expect(won.filter(Boolean)).toHaveLength(1);
      });
    });

    it("lists a subscription's deliveries latest first, and deliveries in a state across subscriptions by slot", async () => {
      const { storage, id } = await withSubscription();
      const { deliveries, subscriptions } = storage;
      const { subscription: second } = await subscriptions.upsertSubscription(newSubscription(chatThread));
      const at = (day: number) => `2026-11-${day}T08:00:00.000Z`;
      for (const day of [25, 27, 26]) await deliveries.recordDelivery(record(id, 'sending', { slot: at(day) }), chat);
      await deliveries.recordDelivery(record(second.id, 'sending', { slot: at(24) }), chatThread);
      await deliveries.recordDelivery(record(second.id, 'sent', { slot: at(23) }), chatThread);
      expect((await deliveries.deliveries(id)).map((d) => d.slot)).toEqual([at(27), at(26), at(25)]);
      expect((await deliveries.deliveries(id, 2)).map((d) => d.slot)).toEqual([at(27), at(26)]);
      const sending = await deliveries.deliveriesWithStatus('sending');
      expect(sending.map((d) => [d.subscriptionId, d.slot])).toEqual([[second.id, at(24)], [id, at(25)], [id, at(26)], [id, at(27)]]);
      expect(await deliveries.getDelivery(id, at(20))).toBeUndefined();
    });

    it('hands out copies: changing a returned record or digest leaves the stored one alone', async () => {
      const { storage, id } = await withSubscription();
      const { deliveries } = storage;
      const digest = emptyDigest();
      await deliveries.recordDelivery(record(id, 'sending', { articleIds: ['a'], digest }), chat);
      await deliveries.recordDelivery(record(id, 'sent', { slot: '2026-11-26T08:00:00.000Z', articleIds: ['s'] }), chat);
      digest.topic = 'Changed by the caller';
      const got = (await deliveries.getDelivery(id, slot))!;
      got.articleIds.push('b');
      got.digest!.matched = 99;
      (await deliveries.sentArticleIds(chat)).add('c');
      expect(await deliveries.getDelivery(id, slot)).toMatchObject({ articleIds: ['a'], digest: emptyDigest() });
      expect([...(await deliveries.sentArticleIds(chat))]).toEqual(['s']);
    });
  });
}
