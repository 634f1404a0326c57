import type pg from 'pg';
import type { FeedFetchOutcome, FeedRecord, FeedStore, NewFeed } from '../../../src/index.js';
import { checkLease, redirectRefusedStatus } from '../feed-rules.js';
import type { PostgresDatabase } from './database.js';

interface FeedRow {
  id: number;
  url: string;
  name: string | null;
  topics: string;
  quality: number;
  enabled: boolean;
  disabled_reason: string | null;
  etag: string | null;
  last_modified: string | null;
  last_fetch_at: Date | null;
  last_success_at: Date | null;
  last_status: string | null;
  failures: number;
  next_fetch_at: Date;
  items: number;
  feed_title: string | null;
  site_url: string | null;
  created_at: Date;
}

/** Postgres's code for a unique constraint violated. */
const UNIQUE_VIOLATION = '23505';

/**
 * Feed sources in Postgres, shared by every instance on the database: claims lock the rows they take and
 * skip rows another instance holds, and a URL is unique however many write at once.
 */
export class PostgresFeedStore implements FeedStore {
  constructor(private readonly db: PostgresDatabase) {}

  async addFeed(feed: NewFeed, now: Date): Promise<{ feed: FeedRecord; created: boolean }> {
    this.db.use('feeds.addFeed');
    const settings = [feed.url, feed.name, JSON.stringify(feed.topics), feed.quality];
    // Insert, else update: of two adds of one URL at once, one inserts and the other updates its row. A
    // row removed between the two statements is added again on the next round.
    for (;;) {
      const inserted = await this.db.query<FeedRow>(
        `INSERT INTO feeds (url, name, topics, quality, next_fetch_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (url) DO NOTHING RETURNING *`,
        [...settings, now],
      );
      if (inserted.rows[0]) return { feed: toFeed(inserted.rows[0]), created: true };
      const updated = await this.db.query<FeedRow>('UPDATE feeds SET name = $2, topics = $3, quality = $4 WHERE url = $1 RETURNING *', settings);
      if (updated.rows[0]) return { feed: toFeed(updated.rows[0]), created: false };
    }
  }

  async removeFeed(id: number): Promise<boolean> {
    this.db.use('feeds.removeFeed');
    const r = await this.db.query('DELETE FROM feeds WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async getFeed(id: number): Promise<FeedRecord | undefined> {
    this.db.use('feeds.getFeed');
    const { rows } = await this.db.query<FeedRow>('SELECT * FROM feeds WHERE id = $1', [id]);
    return rows[0] ? toFeed(rows[0]) : undefined;
  }

  async findFeed(url: string): Promise<FeedRecord | undefined> {
    this.db.use('feeds.findFeed');
    const { rows } = await this.db.query<FeedRow>('SELECT * FROM feeds WHERE url = $1', [url]);
    return rows[0] ? toFeed(rows[0]) : undefined;
  }

  async listFeeds(): Promise<FeedRecord[]> {
    this.db.use('feeds.listFeeds');
    const { rows } = await this.db.query<FeedRow>('SELECT * FROM feeds ORDER BY id');
    return rows.map(toFeed);
  }

  async disableFeed(id: number, reason: string | null): Promise<FeedRecord | undefined> {
    this.db.use('feeds.disableFeed');
    const { rows } = await this.db.query<FeedRow>('UPDATE feeds SET enabled = false, disabled_reason = $2 WHERE id = $1 RETURNING *', [id, reason]);
    return rows[0] ? toFeed(rows[0]) : undefined;
  }

  async enableFeed(id: number, now: Date): Promise<FeedRecord | undefined> {
    this.db.use('feeds.enableFeed');
    // Only a disabled feed: an enabled one may be claimed right now, and making it due would hand it out twice.
    const { rows } = await this.db.query<FeedRow>(
      `UPDATE feeds SET enabled = true, disabled_reason = NULL, failures = 0, next_fetch_at = $2 WHERE id = $1 AND NOT enabled RETURNING *`,
      [id, now],
    );
    return rows[0] ? toFeed(rows[0]) : this.getFeed(id);
  }

  async claimDueFeeds(now: Date, leaseUntil: Date, limit: number): Promise<FeedRecord[]> {
    this.db.use('feeds.claimDueFeeds');
    checkLease(now, leaseUntil);
    if (limit <= 0) return [];
    // One statement: the due rows are locked as they are picked, rows another instance is claiming (or
    // recording) are skipped, and a row another claim committed meanwhile is checked again and left out.
    const { rows } = await this.db.query<FeedRow & { due_at: Date }>(
      `WITH due AS (
         SELECT id, next_fetch_at FROM feeds WHERE enabled AND next_fetch_at <= $1
         ORDER BY next_fetch_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       UPDATE feeds f SET next_fetch_at = $2 FROM due WHERE f.id = due.id
       RETURNING f.*, due.next_fetch_at AS due_at`,
      [now, leaseUntil, limit],
    );
    rows.sort((a, b) => a.due_at.getTime() - b.due_at.getTime() || a.id - b.id);
    return rows.map(toFeed);
  }

  async recordFetch(id: number, outcome: FeedFetchOutcome): Promise<FeedRecord | undefined> {
    // A redirect target another transaction adds between our check and our write breaks the unique URL:
    // the second round sees that feed and keeps the URL.
    for (let round = 1; ; round++) {
      try {
        return await this.db.transaction('feeds.recordFetch', (c) => record(c, id, outcome));
      } catch (error) {
        if (round >= 2 || (error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      }
    }
  }
}

/** recordFetch inside its transaction, the feed's row locked while its new values are worked out. */
async function record(c: pg.PoolClient, id: number, outcome: FeedFetchOutcome): Promise<FeedRecord | undefined> {
  const { rows } = await c.query<FeedRow>(
    'SELECT * FROM feeds WHERE id = $1 AND ($2::timestamptz IS NULL OR next_fetch_at = $2) FOR UPDATE',
    [id, outcome.claimedUntil ?? null],
  );
  const row = rows[0];
  if (!row) return undefined;
  let url = row.url;
  let status = outcome.status;
  if (outcome.url !== undefined && outcome.url !== row.url) {
    const owner = await c.query<{ id: number }>('SELECT id FROM feeds WHERE url = $1', [outcome.url]);
    if (owner.rows[0]) status = redirectRefusedStatus(status, outcome.url, owner.rows[0].id, row.url);
    else url = outcome.url;
  }
  const keep = <T>(value: T | undefined, stored: T): T => (value === undefined ? stored : value);
  const disable = outcome.disable ?? null;
  const updated = await c.query<FeedRow>(
    `UPDATE feeds SET url = $2, last_status = $3, last_fetch_at = $4, last_success_at = $5, etag = $6, last_modified = $7,
       feed_title = $8, site_url = $9, next_fetch_at = $10, failures = $11, enabled = $12, disabled_reason = $13, items = items + $14
     WHERE id = $1 RETURNING *`,
    [
      id,
      url,
      status,
      outcome.at,
      outcome.ok ? outcome.at : row.last_success_at,
      keep(outcome.etag, row.etag),
      keep(outcome.lastModified, row.last_modified),
      keep(outcome.feedTitle, row.feed_title),
      keep(outcome.siteUrl, row.site_url),
      outcome.nextFetchAt,
      outcome.failures,
      disable === null ? row.enabled : false,
      disable === null ? row.disabled_reason : disable,
      outcome.newItems ?? 0,
    ],
  );
  return toFeed(updated.rows[0]!);
}

function toFeed(row: FeedRow): FeedRecord {
  return {
    id: row.id,
    url: row.url,
    name: row.name,
    topics: JSON.parse(row.topics) as string[],
    quality: row.quality,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    etag: row.etag,
    lastModified: row.last_modified,
    lastFetchAt: row.last_fetch_at?.toISOString() ?? null,
    lastSuccessAt: row.last_success_at?.toISOString() ?? null,
    lastStatus: row.last_status,
    failures: row.failures,
    nextFetchAt: row.next_fetch_at.toISOString(),
    items: row.items,
    feedTitle: row.feed_title,
    siteUrl: row.site_url,
    createdAt: row.created_at.toISOString(),
  };
}
