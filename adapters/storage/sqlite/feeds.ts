import type Database from 'better-sqlite3';
import type { FeedFetchOutcome, FeedRecord, FeedStore, NewFeed } from '../../../src/index.js';
import { checkLease, redirectRefusedStatus } from '../feed-rules.js';
import type { SqliteStorage } from './index.js';

/** A row of `feeds` (migration 8): instants in ms since the epoch, topics as JSON text. */
interface FeedRow {
  id: number;
  url: string;
  name: string | null;
  topics: string;
  quality: number;
  enabled: number;
  disabled_reason: string | null;
  etag: string | null;
  last_modified: string | null;
  last_fetch_at: number | null;
  last_success_at: number | null;
  last_status: string | null;
  failures: number;
  next_fetch_at: number;
  items: number;
  feed_title: string | null;
  site_url: string | null;
  created_at: number;
}

type FeedStatements = ReturnType<typeof prepareFeeds>;

/** Feed sources in SQLite. Every read-then-write runs in one write transaction, which no other writer interleaves. */
export class SqliteFeedStore implements FeedStore {
  private readonly stmts: FeedStatements;

  constructor(private readonly s: SqliteStorage) {
    this.stmts = prepareFeeds(s.db);
  }

  async addFeed(feed: NewFeed, now: Date): Promise<{ feed: FeedRecord; created: boolean }> {
    const topics = JSON.stringify(feed.topics);
    const result = this.s.write(() => {
      const existing = this.stmts.findByUrl.get(feed.url) as FeedRow | undefined;
      if (existing) {
        this.stmts.updateSettings.run(feed.name, topics, feed.quality, existing.id);
        return { id: existing.id, created: false };
      }
      const info = this.stmts.insert.run(feed.url, feed.name, topics, feed.quality, now.getTime(), now.getTime());
      return { id: Number(info.lastInsertRowid), created: true };
    });
    // Checked again after the commit: a change written into a deleted file must not be confirmed.
    this.s.assertIntact();
    return { feed: this.get(result.id)!, created: result.created };
  }

  async removeFeed(id: number): Promise<boolean> {
    const removed = this.s.write(() => this.stmts.delete.run(id).changes > 0);
    this.s.assertIntact();
    return removed;
  }

  async getFeed(id: number): Promise<FeedRecord | undefined> {
    return this.get(id);
  }

  async findFeed(url: string): Promise<FeedRecord | undefined> {
    const row = this.stmts.findByUrl.get(url) as FeedRow | undefined;
    return row ? toFeed(row) : undefined;
  }

  async listFeeds(): Promise<FeedRecord[]> {
    return (this.stmts.list.all() as FeedRow[]).map(toFeed);
  }

  async disableFeed(id: number, reason: string | null): Promise<FeedRecord | undefined> {
    this.s.write(() => this.stmts.disable.run(reason, id));
    this.s.assertIntact();
    return this.get(id);
  }

  async enableFeed(id: number, now: Date): Promise<FeedRecord | undefined> {
    this.s.write(() => this.stmts.enable.run(now.getTime(), id));
    this.s.assertIntact();
    return this.get(id);
  }

  async claimDueFeeds(now: Date, leaseUntil: Date, limit: number): Promise<FeedRecord[]> {
    checkLease(now, leaseUntil);
    if (limit <= 0) return [];
    return this.s.write(() => {
      const due = this.stmts.due.all(now.getTime(), limit) as FeedRow[];
      const claimed: FeedRecord[] = [];
      for (const row of due) {
        if (this.stmts.claim.run(leaseUntil.getTime(), row.id, now.getTime()).changes > 0) claimed.push(toFeed({ ...row, next_fetch_at: leaseUntil.getTime() }));
      }
      return claimed;
    });
  }

  async recordFetch(id: number, outcome: FeedFetchOutcome): Promise<FeedRecord | undefined> {
    const written = this.s.write(() => {
      const row = this.stmts.get.get(id) as FeedRow | undefined;
      if (!row) return false;
      if (outcome.claimedUntil !== undefined && row.next_fetch_at !== outcome.claimedUntil.getTime()) return false;
      let url = row.url;
      let status = outcome.status;
      if (outcome.url !== undefined && outcome.url !== row.url) {
        const owner = this.stmts.findByUrl.get(outcome.url) as FeedRow | undefined;
        if (owner) status = redirectRefusedStatus(status, outcome.url, owner.id, row.url);
        else url = outcome.url;
      }
      const keep = <T>(value: T | undefined, stored: T): T => (value === undefined ? stored : value);
      const at = outcome.at.getTime();
      const disable = outcome.disable ?? null;
      this.stmts.recordFetch.run({
        id,
        url,
        status,
        at,
        lastSuccess: outcome.ok ? at : row.last_success_at,
        etag: keep(outcome.etag, row.etag),
        lastModified: keep(outcome.lastModified, row.last_modified),
        feedTitle: keep(outcome.feedTitle, row.feed_title),
        siteUrl: keep(outcome.siteUrl, row.site_url),
        next: outcome.nextFetchAt.getTime(),
        failures: outcome.failures,
        enabled: disable === null ? row.enabled : 0,
        reason: disable === null ? row.disabled_reason : disable,
        newItems: outcome.newItems ?? 0,
      });
      return true;
    });
    return written ? this.get(id) : undefined;
  }

  private get(id: number): FeedRecord | undefined {
    const row = this.stmts.get.get(id) as FeedRow | undefined;
    return row ? toFeed(row) : undefined;
  }
}

function prepareFeeds(db: Database.Database) {
  return {
    get: db.prepare('SELECT * FROM feeds WHERE id = ?'),
    findByUrl: db.prepare('SELECT * FROM feeds WHERE url = ?'),
    list: db.prepare('SELECT * FROM feeds ORDER BY id'),
    insert: db.prepare('INSERT INTO feeds (url, name, topics, quality, next_fetch_at, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    updateSettings: db.prepare('UPDATE feeds SET name = ?, topics = ?, quality = ? WHERE id = ?'),
    delete: db.prepare('DELETE FROM feeds WHERE id = ?'),
    disable: db.prepare('UPDATE feeds SET enabled = 0, disabled_reason = ? WHERE id = ?'),
    // Only a disabled feed: an enabled one may be claimed right now, and making it due would hand it out twice.
    enable: db.prepare('UPDATE feeds SET enabled = 1, disabled_reason = NULL, failures = 0, next_fetch_at = ? WHERE id = ? AND enabled = 0'),
    due: db.prepare('SELECT * FROM feeds WHERE enabled = 1 AND next_fetch_at <= ? ORDER BY next_fetch_at, id LIMIT ?'),
    claim: db.prepare('UPDATE feeds SET next_fetch_at = ? WHERE id = ? AND enabled = 1 AND next_fetch_at <= ?'),
    recordFetch: db.prepare(
      `UPDATE feeds SET url = @url, last_status = @status, last_fetch_at = @at, last_success_at = @lastSuccess, etag = @etag,
       last_modified = @lastModified, feed_title = @feedTitle, site_url = @siteUrl, next_fetch_at = @next, failures = @failures,
       enabled = @enabled, disabled_reason = @reason, items = items + @newItems
       WHERE id = @id`,
    ),
  };
}

function toFeed(row: FeedRow): FeedRecord {
  const instant = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    url: row.url,
    name: row.name,
    topics: JSON.parse(row.topics) as string[],
    quality: row.quality,
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    etag: row.etag,
    lastModified: row.last_modified,
    lastFetchAt: instant(row.last_fetch_at),
    lastSuccessAt: instant(row.last_success_at),
    lastStatus: row.last_status,
    failures: row.failures,
    nextFetchAt: new Date(row.next_fetch_at).toISOString(),
    items: row.items,
    feedTitle: row.feed_title,
    siteUrl: row.site_url,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
