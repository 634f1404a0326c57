import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store.js';
import type { Target } from '../../src/model.js';
import { makeArticle } from './articles.js';

/**
 * The behaviour every Store must have. Each implementation's test file calls this with a factory,
 * so a second backend is held to the same contract.
 */
export function runStoreContract(name: string, newStore: () => Store): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    afterEach(() => store?.close());
    const open = () => (store = newStore());
    const chat: Target = { platform: 'telegram', chatId: '42' };
    const topicThread: Target = { platform: 'telegram', chatId: '42', threadId: '7' };

    it('inserts, updates and recognises unchanged articles', () => {
      open();
      const a = makeArticle({ topics: ['AI'] });
      expect(store.upsertArticles([a])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(store.upsertArticles([a])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect(store.upsertArticles([{ ...a, title: 'Changed' }])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      expect(store.getArticle(a.id)?.title).toBe('Changed');
      expect(store.articleCount()).toBe(1);
    });

    it('keeps removed articles out of candidates and topic counts', () => {
      open();
      const live = makeArticle({ topics: ['AI'] });
      const gone = makeArticle({ topics: ['AI'], removed: true });
      store.upsertArticles([live, gone]);
      expect(store.candidates({ topicKeys: ['ai'], limit: 10 }).map((c) => c.article.id)).toEqual([live.id]);
      expect(store.topicCounts()).toEqual([{ key: 'ai', name: 'AI', count: 1 }]);
      store.upsertArticles([{ ...live, removed: true }]);
      expect(store.candidates({ topicKeys: ['ai'], limit: 10 })).toEqual([]);
      expect(store.topicMatchCount('ai')).toBe(0);
    });

    it('files topics under their canonical alias key', () => {
      open();
      store.upsertArticles([makeArticle({ topics: ['Artificial Intelligence'] }), makeArticle({ topics: ['ai'] })]);
      expect(store.topicCounts()).toEqual([{ key: 'ai', name: 'AI', count: 2 }]);
    });

    it('names each topic after the article\'s own spelling even when an alias came first', () => {
      open();
      store.upsertArticles([makeArticle({ topics: ['AI', 'Artificial Intelligence', 'Deep Sea Mining'] })]);
      expect(store.topicCounts().map((t) => t.name).sort()).toEqual(['AI', 'Deep Sea Mining']);
    });

    it('returns candidates best-ranked first, skipping excluded ids, up to the limit', () => {
      open();
      const old = makeArticle({ topics: ['Space'], quality: 100, publishedAt: '2026-11-01T00:00:00Z' });
      const fresh = makeArticle({ topics: ['Space'], quality: 50, publishedAt: '2026-11-25T00:00:00Z' });
      const good = makeArticle({ topics: ['Space'], quality: 150, publishedAt: '2026-11-25T00:00:00Z' });
      store.upsertArticles([old, fresh, good]);
      expect(store.candidates({ topicKeys: ['space'], limit: 10 }).map((c) => c.article.id)).toEqual([good.id, fresh.id, old.id]);
      expect(store.candidates({ topicKeys: ['space'], limit: 1, excludeIds: new Set([good.id]) }).map((c) => c.article.id)).toEqual([fresh.id]);
    });

    it('reads only a publication window when asked, inclusive at both ends, best-ranked first', () => {
      open();
      const before = makeArticle({ topics: ['Space'], quality: 190, publishedAt: '2026-11-19T23:59:59.999Z' });
      const first = makeArticle({ topics: ['Space'], quality: 40, publishedAt: '2026-11-20T00:00:00.000Z' });
      const best = makeArticle({ topics: ['Space'], quality: 190, publishedAt: '2026-11-24T00:00:00.000Z' });
      const last = makeArticle({ topics: ['Space'], quality: 40, publishedAt: '2026-11-25T00:00:00.000Z' });
      const future = makeArticle({ topics: ['Space'], quality: 190, publishedAt: '2026-11-25T00:00:00.001Z' });
      const other = makeArticle({ topics: ['AI'], publishedAt: '2026-11-22T00:00:00.000Z' });
      const gone = makeArticle({ topics: ['Space'], publishedAt: '2026-11-22T00:00:00.000Z', removed: true });
      store.upsertArticles([before, first, best, last, future, other, gone]);
      const since = new Date('2026-11-20T00:00:00.000Z');
      const until = new Date('2026-11-25T00:00:00.000Z');
      const ids = (q: Partial<Parameters<Store['candidates']>[0]>) =>
        store.candidates({ topicKeys: ['space'], limit: 10, ...q }).map((c) => c.article.id);
      expect(ids({ since, until })).toEqual([best.id, last.id, first.id]);
      expect(ids({ since, until, limit: 2, excludeIds: new Set([best.id]) })).toEqual([last.id, first.id]);
      expect(ids({ until })).toEqual([best.id, last.id, before.id, first.id]);
      expect(ids({ since: new Date('2026-11-26T00:00:00Z'), until: new Date('2026-11-27T00:00:00Z') })).toEqual([]);
      // Every topic, oldest first; nothing removed, nothing outside the window.
      expect(store.windowArticles(since, until).map((a) => a.id)).toEqual([first.id, other.id, best.id, last.id]);
    });

    it('names the slot of the latest delivery that went out or found nothing, before a given slot', () => {
      open();
      const { subscription: sub } = store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      const record = (slot: string, status: 'sent' | 'empty' | 'failed' | 'skipped') =>
        store.recordDelivery({ subscriptionId: sub.id, slot, status, articleIds: [], detail: null }, chat);
      expect(store.lastDeliveredSlot(sub.id, '2026-11-30T08:00:00.000Z')).toBeUndefined();
      record('2026-11-26T08:00:00.000Z', 'sent');
      record('2026-11-27T08:00:00.000Z', 'empty');
      record('2026-11-28T08:00:00.000Z', 'failed');
      record('2026-11-29T08:00:00.000Z', 'skipped');
      expect(store.lastDeliveredSlot(sub.id, '2026-11-30T08:00:00.000Z')).toBe('2026-11-27T08:00:00.000Z');
      expect(store.lastDeliveredSlot(sub.id, '2026-11-27T08:00:00.000Z')).toBe('2026-11-26T08:00:00.000Z');
      expect(store.lastDeliveredSlot(sub.id + 1, '2026-11-30T08:00:00.000Z')).toBeUndefined();
    });

    it('reports how an article matches the topic', () => {
      open();
      const a = makeArticle({ topics: ['Computer Vision', 'AI'] });
      store.upsertArticles([a]);
      expect(store.candidates({ topicKeys: ['ai'], limit: 1 })[0]?.topicMatch).toBeLessThan(1);
      expect(store.candidates({ topicKeys: ['computervision'], limit: 1 })[0]?.topicMatch).toBe(1);
    });

    it('remembers seed files for incremental ingest', () => {
      open();
      store.recordSeedFiles([{ source: 'a.md', contentHash: 'h1', articleId: 'x' }]);
      store.recordSeedFiles([{ source: 'a.md', contentHash: 'h2', articleId: 'x' }, { source: 'b.md', contentHash: 'h3', articleId: null }]);
      expect(store.seedFiles().get('a.md')?.contentHash).toBe('h2');
      expect(store.seedFiles().get('b.md')?.articleId).toBeNull();
    });

    it('adds a subscription once per target and topic, updating time and zone', () => {
      open();
      const first = store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      const again = store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '09:00', timezone: 'Europe/Kyiv', nextDueAt: '2026-11-27T07:00:00.000Z' });
      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(again.subscription.id).toBe(first.subscription.id);
      expect(store.listSubscriptions(chat).map((s) => [s.time, s.timezone])).toEqual([['09:00', 'Europe/Kyiv']]);
    });

    it('keeps forum topics of one chat apart', () => {
      open();
      store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      store.upsertSubscription({ target: topicThread, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      expect(store.listSubscriptions(topicThread)).toHaveLength(1);
      expect(store.listSubscriptions(topicThread)[0]?.target).toEqual(topicThread);
      expect(store.removeAllSubscriptions(chat)).toBe(1);
      expect(store.listSubscriptions(topicThread)).toHaveLength(1);
    });

    it('deactivates and reactivates a target without deleting its subscriptions', () => {
      open();
      store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      expect(store.setTargetActive(chat, false, 'blocked')).toBe(1);
      expect(store.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toEqual([]);
      expect(store.listSubscriptions(chat)[0]?.active).toBe(false);
      expect(store.setTargetActive(chat, true)).toBe(1);
      expect(store.dueSubscriptions(new Date('2030-01-01T00:00:00Z'), 10)).toHaveLength(1);
    });

    it('pauses and moves a whole chat, forum topics included, when no thread is named', () => {
      open();
      const group: Target = { platform: 'telegram', chatId: '-100' };
      const groupTopic: Target = { platform: 'telegram', chatId: '-100', threadId: '5' };
      const otherChat: Target = { platform: 'telegram', chatId: '-1001' };
      for (const target of [group, groupTopic, otherChat]) {
        store.upsertSubscription({ target, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      }
      expect(store.setTargetActive(group, false, 'kicked')).toBe(2);
      expect(store.listSubscriptions(groupTopic)[0]?.active).toBe(false);
      expect(store.listSubscriptions(otherChat)[0]?.active).toBe(true);
      expect(store.setTargetActive(groupTopic, true)).toBe(1);
      expect(store.listSubscriptions(group)[0]?.active).toBe(false);

      const moved: Target = { platform: 'telegram', chatId: '-100999' };
      store.setTimezone(groupTopic, 'Europe/Kyiv');
      expect(store.migrateTarget(group, moved)).toBe(2);
      expect(store.listSubscriptions({ ...moved, threadId: '5' })).toHaveLength(1);
      expect(store.getTimezone({ ...moved, threadId: '5' })).toBe('Europe/Kyiv');
      expect(store.listSubscriptions(moved)).toHaveLength(1);
      expect(store.listSubscriptions(groupTopic)).toEqual([]);
      expect(store.listSubscriptions(otherChat)).toHaveLength(1);
    });

    it('lists due subscriptions earliest first', () => {
      open();
      const other: Target = { platform: 'discord', chatId: '9' };
      store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      store.upsertSubscription({ target: other, topic: 'AI', topicKey: 'ai', time: '07:00', timezone: 'UTC', nextDueAt: '2026-11-27T07:00:00.000Z' });
      expect(store.dueSubscriptions(new Date('2026-11-27T07:30:00Z'), 10).map((s) => s.target.chatId)).toEqual(['9']);
      expect(store.dueSubscriptions(new Date('2026-11-27T09:00:00Z'), 10).map((s) => s.target.chatId)).toEqual(['9', '42']);
    });

    it('records deliveries, remembers sent articles and advances the due time atomically', () => {
      open();
      const { subscription } = store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      const slot = subscription.nextDueAt;
      store.recordDelivery({ subscriptionId: subscription.id, slot, status: 'sending', articleIds: ['a', 'b'], detail: null }, chat);
      expect(store.sentArticleIds(chat).size).toBe(0);
      store.recordDelivery({ subscriptionId: subscription.id, slot, status: 'sent', articleIds: ['a', 'b'], detail: null }, chat, '2026-11-28T08:00:00.000Z');
      expect(store.getDelivery(subscription.id, slot)?.status).toBe('sent');
      expect([...store.sentArticleIds(chat)].sort()).toEqual(['a', 'b']);
      expect(store.getSubscription(subscription.id)?.nextDueAt).toBe('2026-11-28T08:00:00.000Z');
      expect(store.deliveries(subscription.id)).toHaveLength(1);
    });

    it('lets one claimant at a time own a slot, and only the owner record its progress', () => {
      open();
      const { subscription } = store.upsertSubscription({ target: chat, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      const slot = subscription.nextDueAt;
      const at = new Date('2026-11-27T08:00:00Z');
      expect(store.claimDelivery(subscription.id, slot, 'a', at)).toMatchObject({ status: 'claimed', claimedBy: 'a', partsSent: 0 });
      expect(store.claimDelivery(subscription.id, slot, 'b', at)).toBeUndefined();
      expect(store.updateClaim(subscription.id, slot, 'b', { status: 'sending', partsSent: 0 })).toBe(false);
      expect(store.updateClaim(subscription.id, slot, 'a', { status: 'sending', partsSent: 1, partsTotal: 3 })).toBe(true);
      // A retryable failure is claimable again once its retry time has come, keeping its progress.
      const retryAt = '2026-11-27T08:02:00.000Z';
      expect(store.recordDelivery({ subscriptionId: subscription.id, slot, status: 'failed', articleIds: [], detail: 'attempt 1/5', retryAt }, chat, undefined, 'a')).toBe(true);
      expect(store.claimDelivery(subscription.id, slot, 'b', new Date('2026-11-27T08:01:00Z'))).toBeUndefined();
      expect(store.claimDelivery(subscription.id, slot, 'b', new Date(retryAt))).toMatchObject({ claimedBy: 'b', partsSent: 1, partsTotal: 3 });
      expect(store.recordDelivery({ subscriptionId: subscription.id, slot, status: 'sent', articleIds: ['x'], detail: null }, chat, undefined, 'a')).toBe(false);
      store.releaseDelivery(subscription.id, slot);
      expect(store.getDelivery(subscription.id, slot)).toMatchObject({ status: 'pending', claimedBy: null, partsSent: 1 });
      expect(store.claimDelivery(subscription.id, slot, 'c', at)).toMatchObject({ claimedBy: 'c' });
      expect(store.recordDelivery({ subscriptionId: subscription.id, slot, status: 'sent', articleIds: ['x'], detail: null }, chat, undefined, 'c')).toBe(true);
      expect(store.claimDelivery(subscription.id, slot, 'd', new Date('2030-01-01T00:00:00Z'))).toBeUndefined();
      expect(store.getDelivery(subscription.id, slot)).toMatchObject({ status: 'sent', claimedBy: null, digest: null });
    });

    it('moves a migrated chat\'s subscriptions, zone and history to the new id', () => {
      open();
      const group: Target = { platform: 'telegram', chatId: '-100' };
      const supergroup: Target = { platform: 'telegram', chatId: '-100200' };
      const { subscription } = store.upsertSubscription({ target: group, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: '2026-11-27T08:00:00.000Z' });
      store.setTimezone(group, 'Europe/Kyiv');
      store.recordDelivery({ subscriptionId: subscription.id, slot: 's', status: 'sent', articleIds: ['a'], detail: null }, group);
      expect(store.migrateTarget(group, supergroup)).toBe(1);
      expect(store.listSubscriptions(group)).toEqual([]);
      expect(store.listSubscriptions(supergroup)[0]?.target).toEqual(supergroup);
      expect(store.getTimezone(supergroup)).toBe('Europe/Kyiv');
      expect(store.sentArticleIds(supergroup).has('a')).toBe(true);
    });
  });
}
