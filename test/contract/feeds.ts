import { describe, expect, it } from 'vitest';
import type { FeedFetchOutcome, FeedRecord, NewFeed } from '../../src/ports.js';
import { openPerTest, type StorageFactory } from './fixtures.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
/** An instant `minutes` after 08:00 on 27 Nov 2026. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

/** A feed filed under AI at quality 70; override any field. */
function newFeed(url: string, overrides: Partial<NewFeed> = {}): NewFeed {
  return { url, name: null, topics: ['AI'], quality: 70, ...overrides };
}

/** A successful poll at `minutes`, due again half an hour later; override any field. */
function polled(minutes: number, overrides: Partial<FeedFetchOutcome> = {}): FeedFetchOutcome {
  return { at: at(minutes), status: '200, 3 items (3 new)', ok: true, nextFetchAt: at(minutes + 30), failures: 0, ...overrides };
}

/** The behaviour every FeedStore must have, run against one backend. */
export function runFeedStoreContract(name: string, factory: StorageFactory): void {
  describe(`FeedStore contract: ${name}`, () => {
    const open = openPerTest(factory);
    const ids = (feeds: readonly FeedRecord[]) => feeds.map((f) => f.id);

    it('adds a feed due at once, with no polling state yet', async () => {
      const { feeds } = await open();
      const { feed, created } = await feeds.addFeed(newFeed('https://a.example/feed', { name: 'A', topics: ['AI', 'ML'], quality: 82.5 }), at(0));
      expect(created).toBe(true);
      expect(feed).toEqual({
        id: feed.id,
        url: 'https://a.example/feed',
        name: 'A',
        topics: ['AI', 'ML'],
        quality: 82.5,
        enabled: true,
        disabledReason: null,
        etag: null,
        lastModified: null,
        lastFetchAt: null,
        lastSuccessAt: null,
        lastStatus: null,
        failures: 0,
        nextFetchAt: iso(0),
        items: 0,
        feedTitle: null,
        siteUrl: null,
        createdAt: iso(0),
      });
      expect(await feeds.getFeed(feed.id)).toEqual(feed);
    });

    it('adds a URL once: adding it again changes name, topics and quality and keeps the rest', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await feeds.recordFetch(feed.id, polled(1, { etag: '"v1"', newItems: 3, feedTitle: 'A Times' }));
      await feeds.disableFeed(feed.id, 'paused by the operator');
      const before = (await feeds.getFeed(feed.id))!;

      const again = await feeds.addFeed(newFeed('https://a.example/feed', { name: 'Renamed', topics: ['Space'], quality: 40 }), at(60));
      expect(again.created).toBe(false);
      expect(again.feed).toEqual({ ...before, name: 'Renamed', topics: ['Space'], quality: 40 });
      expect(await feeds.listFeeds()).toEqual([again.feed]);
    });

    it('lists every feed by id, and finds one by id or by its exact URL', async () => {
      const { feeds } = await open();
      const c = (await feeds.addFeed(newFeed('https://c.example/feed'), at(0))).feed;
      const a = (await feeds.addFeed(newFeed('https://a.example/feed'), at(5))).feed;
      const b = (await feeds.addFeed(newFeed('https://b.example/feed'), at(2))).feed;
      await feeds.disableFeed(a.id, null);
      expect(c.id).toBeLessThan(a.id);
      expect(a.id).toBeLessThan(b.id);
      expect(ids(await feeds.listFeeds())).toEqual([c.id, a.id, b.id]);
      expect((await feeds.findFeed('https://b.example/feed'))?.id).toBe(b.id);
      expect(await feeds.findFeed('https://B.example/feed')).toBeUndefined();
      expect(await feeds.findFeed('https://b.example/feed/')).toBeUndefined();
      expect(await feeds.getFeed(b.id + 100)).toBeUndefined();
    });

    it('removes a feed, and never hands its id to a later one', async () => {
      const { feeds } = await open();
      const a = (await feeds.addFeed(newFeed('https://a.example/feed'), at(0))).feed;
      const b = (await feeds.addFeed(newFeed('https://b.example/feed'), at(0))).feed;
      expect(await feeds.removeFeed(b.id)).toBe(true);
      expect(await feeds.removeFeed(b.id)).toBe(false);
      expect(await feeds.getFeed(b.id)).toBeUndefined();
      expect(await feeds.findFeed(b.url)).toBeUndefined();
      expect(ids(await feeds.listFeeds())).toEqual([a.id]);
      // The same URL again is a new feed with a new id, starting afresh.
      const { feed, created } = await feeds.addFeed(newFeed('https://b.example/feed'), at(9));
      expect(created).toBe(true);
      expect(feed.id).toBeGreaterThan(b.id);
      expect(feed.nextFetchAt).toBe(iso(9));
    });

    it('keeps the reason of a disabled feed, and polls it again once enabled: failures reset, due at once', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await feeds.recordFetch(feed.id, polled(1, { ok: false, status: 'error: timeout', failures: 3, nextFetchAt: at(10) }));
      const disabled = await feeds.disableFeed(feed.id, 'too many timeouts');
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'too many timeouts', failures: 3, nextFetchAt: iso(10) });
      expect(await feeds.getFeed(feed.id)).toEqual(disabled);
      expect(await feeds.claimDueFeeds(at(500), at(505), 10)).toEqual([]);
      // Disabling again replaces the reason.
      expect((await feeds.disableFeed(feed.id, 'moved to another site'))?.disabledReason).toBe('moved to another site');

      const enabled = await feeds.enableFeed(feed.id, at(600));
      expect(enabled).toEqual({ ...disabled, disabledReason: null, enabled: true, failures: 0, nextFetchAt: iso(600) });
      expect(enabled?.lastStatus).toBe('error: timeout');
      expect(ids(await feeds.claimDueFeeds(at(600), at(605), 10))).toEqual([feed.id]);
      expect(await feeds.disableFeed(feed.id + 100, 'x')).toBeUndefined();
      expect(await feeds.enableFeed(feed.id + 100, at(600))).toBeUndefined();
    });

    it('leaves an enabled feed as it is when asked to enable it, so a feed being polled is not handed out twice', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await feeds.claimDueFeeds(at(1), at(6), 10);
      expect(await feeds.enableFeed(feed.id, at(2))).toMatchObject({ enabled: true, nextFetchAt: iso(6) });
      expect(await feeds.claimDueFeeds(at(2), at(7), 10)).toEqual([]);
    });

    it('claims only enabled feeds due by now, earliest due first (ties by id), up to the limit', async () => {
      const { feeds } = await open();
      const add = async (url: string, due: number) => (await feeds.addFeed(newFeed(url), at(due))).feed;
      const late = await add('https://late.example/feed', 3);
      const early = await add('https://early.example/feed', 1);
      const middle = await add('https://middle.example/feed', 2);
      const tie = await add('https://tie.example/feed', 2);
      const future = await add('https://future.example/feed', 10);
      const off = await add('https://off.example/feed', 0);
      await feeds.disableFeed(off.id, 'paused');

      const first = await feeds.claimDueFeeds(at(5), at(15), 3);
      expect(ids(first)).toEqual([early.id, middle.id, tie.id]);
      // Handed back as claimed: due again when the lease ends.
      for (const f of first) {
        expect(f.nextFetchAt).toBe(iso(15));
        expect(f).toEqual(await feeds.getFeed(f.id));
      }
      expect(ids(await feeds.claimDueFeeds(at(5), at(15), 3))).toEqual([late.id]);
      expect(await feeds.claimDueFeeds(at(5), at(15), 3)).toEqual([]);
      expect(ids(await feeds.claimDueFeeds(at(10), at(20), 3))).toEqual([future.id]);
      expect(await feeds.claimDueFeeds(at(10), at(20), 0)).toEqual([]);
    });

    it('keeps a claimed feed from every poller until its lease ends, then hands it out again', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      expect(ids(await feeds.claimDueFeeds(at(0), at(5), 10))).toEqual([feed.id]);
      expect(await feeds.claimDueFeeds(at(4.99), at(9), 10)).toEqual([]);
      // The poller died: when the lease ends, the feed is due again.
      const again = await feeds.claimDueFeeds(at(5), at(10), 10);
      expect(again).toEqual([{ ...feed, nextFetchAt: iso(10) }]);
    });

    it('gives each due feed to exactly one of five pollers claiming at once', async () => {
      const { feeds } = await open();
      for (let i = 0; i < 12; i++) await feeds.addFeed(newFeed(`https://f${i}.example/feed`), at(i % 4));
      const claims = await Promise.all(Array.from({ length: 5 }, () => feeds.claimDueFeeds(at(5), at(10), 3)));
      const claimed = claims.flatMap(ids);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort((a, b) => a - b)).toEqual(ids(await feeds.listFeeds()));
      for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(3);
      expect(await feeds.claimDueFeeds(at(9), at(14), 100)).toEqual([]);
    });

    it('refuses a lease that ends at or before now, which would keep no poller off', async () => {
      const { feeds } = await open();
      await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await expect(feeds.claimDueFeeds(at(5), at(5), 10)).rejects.toThrow(/leaseUntil .* must be after now/);
      await expect(feeds.claimDueFeeds(at(5), at(4), 10)).rejects.toThrow(RangeError);
      expect(await feeds.claimDueFeeds(at(5), at(6), 10)).toHaveLength(1);
    });

    it('records a successful poll: status, times, validators, title and site, next due, failures, new items', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed', { name: 'A' }), at(0));
      const recorded = await feeds.recordFetch(
        feed.id,
        polled(1, {
          status: '200, 12 items (3 new)',
          etag: 'W/"abc"',
          lastModified: 'Fri, 27 Nov 2026 07:55:00 GMT',
          newItems: 3,
          feedTitle: 'A Times',
          siteUrl: 'https://a.example/',
        }),
      );
      expect(recorded).toEqual({
        ...feed,
        etag: 'W/"abc"',
        lastModified: 'Fri, 27 Nov 2026 07:55:00 GMT',
        lastFetchAt: iso(1),
        lastSuccessAt: iso(1),
        lastStatus: '200, 12 items (3 new)',
        nextFetchAt: iso(31),
        items: 3,
        feedTitle: 'A Times',
        siteUrl: 'https://a.example/',
      });
      expect(await feeds.getFeed(feed.id)).toEqual(recorded);
      expect(await feeds.recordFetch(feed.id + 100, polled(2))).toBeUndefined();
    });

    it('keeps validators, title and site a poll does not mention, and clears those it gives as null', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      const full = { etag: '"v1"', lastModified: 'Fri, 27 Nov 2026 07:00:00 GMT', feedTitle: 'A', siteUrl: 'https://a.example/' };
      await feeds.recordFetch(feed.id, polled(1, full));
      const unchanged = await feeds.recordFetch(feed.id, polled(31, { status: '304 not modified' }));
      expect(unchanged).toMatchObject({ ...full, lastStatus: '304 not modified', lastSuccessAt: iso(31) });
      const cleared = await feeds.recordFetch(feed.id, polled(61, { etag: null, lastModified: null, feedTitle: null, siteUrl: null }));
      expect(cleared).toMatchObject({ etag: null, lastModified: null, feedTitle: null, siteUrl: null });
    });

    it('records a failed poll without moving the last success', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await feeds.recordFetch(feed.id, polled(1, { etag: '"v1"' }));
      const failed = await feeds.recordFetch(feed.id, { at: at(31), status: 'error: timeout', ok: false, nextFetchAt: at(36), failures: 1 });
      const again = await feeds.recordFetch(feed.id, { at: at(36), status: 'HTTP 503', ok: false, nextFetchAt: at(46), failures: 2 });
      expect(failed).toMatchObject({ lastFetchAt: iso(31), lastSuccessAt: iso(1), failures: 1, etag: '"v1"' });
      expect(again).toMatchObject({ lastFetchAt: iso(36), lastSuccessAt: iso(1), lastStatus: 'HTTP 503', failures: 2, nextFetchAt: iso(46) });
      expect(again?.enabled).toBe(true);
    });

    it('disables a feed from a poll with its reason, and a poll without one leaves a disabled feed disabled', async () => {
      const { feeds } = await open();
      const a = (await feeds.addFeed(newFeed('https://a.example/feed'), at(0))).feed;
      const b = (await feeds.addFeed(newFeed('https://b.example/feed'), at(0))).feed;
      const gone = await feeds.recordFetch(a.id, polled(1, { ok: false, status: 'HTTP 410', failures: 1, disable: 'HTTP 410: the feed is gone' }));
      expect(gone).toMatchObject({ enabled: false, disabledReason: 'HTTP 410: the feed is gone', lastStatus: 'HTTP 410' });
      // The operator disables b while a poller has it; the poll's outcome does not enable it again.
      await feeds.claimDueFeeds(at(1), at(6), 10);
      await feeds.disableFeed(b.id, 'paused by the operator');
      const polledB = await feeds.recordFetch(b.id, polled(2, { disable: null }));
      expect(polledB).toMatchObject({ enabled: false, disabledReason: 'paused by the operator', lastStatus: '200, 3 items (3 new)' });
      expect(await feeds.claimDueFeeds(at(1000), at(1005), 10)).toEqual([]);
    });

    it('moves a feed to the URL a permanent redirect names', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('http://a.example/rss'), at(0));
      const moved = await feeds.recordFetch(feed.id, polled(1, { url: 'https://a.example/feed.xml', status: '200 after 301' }));
      expect(moved).toMatchObject({ id: feed.id, url: 'https://a.example/feed.xml', lastStatus: '200 after 301' });
      expect((await feeds.findFeed('https://a.example/feed.xml'))?.id).toBe(feed.id);
      expect(await feeds.findFeed('http://a.example/rss')).toBeUndefined();
      // The old URL is free again: adding it makes another feed.
      expect((await feeds.addFeed(newFeed('http://a.example/rss'), at(2))).created).toBe(true);
    });

    it('keeps its URL when redirected to one another feed has, and says so in the status', async () => {
      const { feeds } = await open();
      const a = (await feeds.addFeed(newFeed('http://a.example/rss'), at(0))).feed;
      const b = (await feeds.addFeed(newFeed('https://a.example/feed.xml', { name: 'B' }), at(0))).feed;
      const recorded = await feeds.recordFetch(a.id, polled(1, { url: b.url, etag: '"v2"', newItems: 2 }));
      expect(recorded).toMatchObject({
        url: 'http://a.example/rss',
        lastStatus: `200, 3 items (3 new); moved permanently to https://a.example/feed.xml, which feed ${b.id} already has: kept http://a.example/rss`,
        etag: '"v2"',
        items: 2,
        nextFetchAt: iso(31),
      });
      expect(await feeds.getFeed(b.id)).toEqual(b);
      expect((await feeds.findFeed(b.url))?.id).toBe(b.id);
      // Redirected to where it already is: nothing to move, nothing to say.
      const same = await feeds.recordFetch(a.id, polled(2, { url: a.url }));
      expect(same).toMatchObject({ url: a.url, lastStatus: '200, 3 items (3 new)' });
    });

    it('counts the new items of every poll', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await feeds.recordFetch(feed.id, polled(1, { newItems: 3 }));
      await feeds.recordFetch(feed.id, polled(31, { newItems: 4 }));
      await feeds.recordFetch(feed.id, polled(61, { status: '304 not modified' }));
      await feeds.recordFetch(feed.id, polled(91, { newItems: 0 }));
      expect((await feeds.getFeed(feed.id))?.items).toBe(7);
      // Adding the URL again does not reset what was counted.
      expect((await feeds.addFeed(newFeed('https://a.example/feed'), at(100))).feed.items).toBe(7);
    });

    it('writes a poll that names its claim only while that claim stands', async () => {
      const { feeds } = await open();
      const { feed } = await feeds.addFeed(newFeed('https://a.example/feed'), at(0));
      await feeds.claimDueFeeds(at(0), at(5), 10);
      // The first poller stalls past its lease; a second claims the feed and records its poll.
      await feeds.claimDueFeeds(at(5), at(10), 10);
      const stale = await feeds.recordFetch(feed.id, polled(6, { status: 'stale', claimedUntil: at(5), newItems: 5 }));
      expect(stale).toBeUndefined();
      expect(await feeds.getFeed(feed.id)).toMatchObject({ lastStatus: null, items: 0, nextFetchAt: iso(10) });
      const current = await feeds.recordFetch(feed.id, polled(7, { claimedUntil: at(10), newItems: 1 }));
      expect(current).toMatchObject({ lastStatus: '200, 3 items (3 new)', items: 1, nextFetchAt: iso(37) });
      // Without claimedUntil a poll is written whatever the claim.
      expect(await feeds.recordFetch(feed.id, polled(8, { status: 'unclaimed' }))).toMatchObject({ lastStatus: 'unclaimed' });
    });

    it('hands out copies: changing what was passed in or handed back leaves what is stored alone', async () => {
      const { feeds } = await open();
      const input = newFeed('https://a.example/feed', { topics: ['AI', 'ML'] });
      const { feed } = await feeds.addFeed(input, at(0));
      input.topics.push('Tampered');
      feed.topics.push('Tampered');
      feed.name = 'Tampered';
      const [listed] = await feeds.listFeeds();
      listed!.topics.length = 0;
      (await feeds.claimDueFeeds(at(0), at(5), 1))[0]!.topics.push('Tampered');
      expect((await feeds.getFeed(feed.id))?.topics).toEqual(['AI', 'ML']);
      expect((await feeds.findFeed(feed.url))?.name).toBeNull();
    });
  });
}
