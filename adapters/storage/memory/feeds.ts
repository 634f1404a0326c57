import type { FeedFetchOutcome, FeedRecord, FeedStore, NewFeed } from '../../../src/index.js';
import { checkLease, redirectRefusedStatus } from '../feed-rules.js';
import type { FeedRow, MemoryDatabase, MemoryTables } from './database.js';

/** Feed sources in memory. Each method runs to completion before another starts, so a claim is one write. */
export class MemoryFeedStore implements FeedStore {
  constructor(private readonly db: MemoryDatabase) {}

  async addFeed(feed: NewFeed, now: Date): Promise<{ feed: FeedRecord; created: boolean }> {
    const t = this.db.use('feeds.addFeed');
    const existing = byUrl(t, feed.url);
    if (existing) {
      Object.assign(existing, { name: feed.name, topics: [...feed.topics], quality: feed.quality });
      return { feed: toRecord(existing), created: false };
    }
    const row: FeedRow = {
      id: ++t.lastFeedId,
      url: feed.url,
      name: feed.name,
      topics: [...feed.topics],
      quality: feed.quality,
      enabled: true,
      disabledReason: null,
      etag: null,
      lastModified: null,
      lastFetchMs: null,
      lastSuccessMs: null,
      lastStatus: null,
      failures: 0,
      nextFetchMs: now.getTime(),
      items: 0,
      feedTitle: null,
      siteUrl: null,
      createdMs: now.getTime(),
    };
    t.feeds.set(row.id, row);
    return { feed: toRecord(row), created: true };
  }

  async removeFeed(id: number): Promise<boolean> {
    return this.db.use('feeds.removeFeed').feeds.delete(id);
  }

  async getFeed(id: number): Promise<FeedRecord | undefined> {
    const row = this.db.use('feeds.getFeed').feeds.get(id);
    return row ? toRecord(row) : undefined;
  }

  async findFeed(url: string): Promise<FeedRecord | undefined> {
    const row = byUrl(this.db.use('feeds.findFeed'), url);
    return row ? toRecord(row) : undefined;
  }

  async listFeeds(): Promise<FeedRecord[]> {
    const rows = [...this.db.use('feeds.listFeeds').feeds.values()];
    return rows.sort((a, b) => a.id - b.id).map(toRecord);
  }

  async disableFeed(id: number, reason: string | null): Promise<FeedRecord | undefined> {
    const row = this.db.use('feeds.disableFeed').feeds.get(id);
    if (!row) return undefined;
    Object.assign(row, { enabled: false, disabledReason: reason });
    return toRecord(row);
  }

  async enableFeed(id: number, now: Date): Promise<FeedRecord | undefined> {
    const row = this.db.use('feeds.enableFeed').feeds.get(id);
    if (!row) return undefined;
    // Only a disabled feed: an enabled one may be claimed right now, and making it due would hand it out twice.
    if (!row.enabled) Object.assign(row, { enabled: true, disabledReason: null, failures: 0, nextFetchMs: now.getTime() });
    return toRecord(row);
  }

  async claimDueFeeds(now: Date, leaseUntil: Date, limit: number): Promise<FeedRecord[]> {
    const t = this.db.use('feeds.claimDueFeeds');
    checkLease(now, leaseUntil);
    const due = [...t.feeds.values()].filter((row) => row.enabled && row.nextFetchMs <= now.getTime());
    due.sort((a, b) => a.nextFetchMs - b.nextFetchMs || a.id - b.id);
    const claimed = due.slice(0, Math.max(limit, 0));
    for (const row of claimed) row.nextFetchMs = leaseUntil.getTime();
    return claimed.map(toRecord);
  }

  async recordFetch(id: number, outcome: FeedFetchOutcome): Promise<FeedRecord | undefined> {
    const t = this.db.use('feeds.recordFetch');
    const row = t.feeds.get(id);
    if (!row) return undefined;
    if (outcome.claimedUntil !== undefined && row.nextFetchMs !== outcome.claimedUntil.getTime()) return undefined;
    let status = outcome.status;
    if (outcome.url !== undefined && outcome.url !== row.url) {
      const owner = byUrl(t, outcome.url);
      if (owner) status = redirectRefusedStatus(status, outcome.url, owner.id, row.url);
      else row.url = outcome.url;
    }
    const at = outcome.at.getTime();
    row.lastStatus = status;
    row.lastFetchMs = at;
    if (outcome.ok) row.lastSuccessMs = at;
    if (outcome.etag !== undefined) row.etag = outcome.etag;
    if (outcome.lastModified !== undefined) row.lastModified = outcome.lastModified;
    if (outcome.feedTitle !== undefined) row.feedTitle = outcome.feedTitle;
    if (outcome.siteUrl !== undefined) row.siteUrl = outcome.siteUrl;
    row.nextFetchMs = outcome.nextFetchAt.getTime();
    row.failures = outcome.failures;
    if (outcome.disable != null) Object.assign(row, { enabled: false, disabledReason: outcome.disable });
    row.items += outcome.newItems ?? 0;
    return toRecord(row);
  }
}

/** URLs compare exactly, as the SQLite and Postgres unique columns do. */
function byUrl(t: MemoryTables, url: string): FeedRow | undefined {
  for (const row of t.feeds.values()) if (row.url === url) return row;
  return undefined;
}

function toRecord(row: FeedRow): FeedRecord {
  const instant = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    url: row.url,
    name: row.name,
    topics: [...row.topics],
    quality: row.quality,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    etag: row.etag,
    lastModified: row.lastModified,
    lastFetchAt: instant(row.lastFetchMs),
    lastSuccessAt: instant(row.lastSuccessMs),
    lastStatus: row.lastStatus,
    failures: row.failures,
    nextFetchAt: new Date(row.nextFetchMs).toISOString(),
    items: row.items,
    feedTitle: row.feedTitle,
    siteUrl: row.siteUrl,
    createdAt: new Date(row.createdMs).toISOString(),
  };
}
