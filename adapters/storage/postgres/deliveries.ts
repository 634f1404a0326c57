import type { DeliveryLog, DeliveryProgress, DeliveryRecord, DeliveryStatus, Digest, Target } from '../../../src/index.js';
import type { PostgresDatabase } from './database.js';
import { where } from './subscriptions.js';

interface DeliveryRow {
  subscription_id: number;
  slot: string;
  status: DeliveryStatus;
  article_ids: string;
  detail: string | null;
  updated_at: Date;
  claimed_by: string | null;
  parts_sent: number;
  parts_total: number | null;
  digest: string | null;
  retry_at: Date | null;
  attempts: number;
}

export class PostgresDeliveryLog implements DeliveryLog {
  constructor(private readonly db: PostgresDatabase) {}

  async getDelivery(subscriptionId: number, slot: string): Promise<DeliveryRecord | undefined> {
    this.db.use('deliveries.getDelivery');
    const { rows } = await this.db.query<DeliveryRow>('SELECT * FROM deliveries WHERE subscription_id = $1 AND slot = $2', [subscriptionId, slot]);
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async recordDelivery(record: Omit<DeliveryRecord, 'updatedAt'>, target: Target, nextDueAt?: string, claimant?: string): Promise<boolean> {
    const now = new Date();
    const owned = record.status === 'claimed' || record.status === 'sending';
    const retryAt = record.status === 'failed' && record.retryAt ? new Date(record.retryAt) : null;
    // Unfinished slots keep their digest so a resume sends the same parts; finished ones drop it.
    const keepDigest = owned || record.status === 'pending' || retryAt !== null;
    return this.db.transaction('deliveries.recordDelivery', async (c) => {
      // With a claimant, the row changes only while that claimant owns it: the WHERE of the conflict update.
      const written = await c.query(
        `INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, claimed_by, parts_sent, parts_total, digest, retry_at, attempts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8::int, 0), $9::int, CASE WHEN $11::boolean THEN $10::text END, $12, coalesce($13::int, 0))
         ON CONFLICT (subscription_id, slot) DO UPDATE SET status = excluded.status, article_ids = excluded.article_ids,
           detail = excluded.detail, updated_at = excluded.updated_at, claimed_by = excluded.claimed_by,
           parts_sent = coalesce($8::int, deliveries.parts_sent), parts_total = coalesce($9::int, deliveries.parts_total),
           digest = CASE WHEN $11::boolean THEN coalesce($10::text, deliveries.digest) END, retry_at = excluded.retry_at,
           attempts = coalesce($13::int, deliveries.attempts)
         WHERE $14::text IS NULL OR deliveries.claimed_by = $14::text`,
        [
          record.subscriptionId,
          record.slot,
          record.status,
          JSON.stringify(record.articleIds),
          record.detail,
          now,
          owned ? (claimant ?? record.claimedBy ?? null) : null,
          record.partsSent ?? null,
          record.partsTotal ?? null,
          record.digest ? JSON.stringify(record.digest) : null,
          keepDigest,
          retryAt,
          record.attempts ?? null,
          claimant ?? null,
        ],
      );
      if ((written.rowCount ?? 0) === 0) return false;
      // A failed delivery may have shown some items before it failed: those articles are sent too.
      if ((record.status === 'sent' || record.status === 'failed') && record.articleIds.length > 0) {
        await c.query(
          `INSERT INTO sent_articles (platform, chat_id, thread_id, article_id, sent_at)
           SELECT $1, $2, $3, id, $5 FROM unnest($4::text[]) AS id ON CONFLICT DO NOTHING`,
          [...where(target), record.articleIds, now],
        );
      }
      if (nextDueAt !== undefined) {
        await c.query('UPDATE subscriptions SET next_due_at = $1 WHERE id = $2', [new Date(nextDueAt), record.subscriptionId]);
      }
      return true;
    });
  }

  async claimDelivery(subscriptionId: number, slot: string, claimant: string, now: Date): Promise<DeliveryRecord | undefined> {
    this.db.use('deliveries.claimDelivery');
    // The conditional write that makes a claim. Of concurrent claimants (any number of processes) one
    // inserts or updates the row; the others wait for its commit, then find the row claimed and get nothing.
    const { rows } = await this.db.query<DeliveryRow>(
      `INSERT INTO deliveries (subscription_id, slot, status, article_ids, detail, updated_at, claimed_by)
       VALUES ($1, $2, 'claimed', '[]', NULL, $3, $4)
       ON CONFLICT (subscription_id, slot) DO UPDATE SET status = 'claimed', claimed_by = excluded.claimed_by, updated_at = excluded.updated_at
       WHERE deliveries.status = 'pending' OR (deliveries.status = 'failed' AND deliveries.retry_at IS NOT NULL AND deliveries.retry_at <= $3)
       RETURNING *`,
      [subscriptionId, slot, now, claimant],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async updateClaim(subscriptionId: number, slot: string, claimant: string, progress: DeliveryProgress): Promise<boolean> {
    this.db.use('deliveries.updateClaim');
    const r = await this.db.query(
      `UPDATE deliveries SET status = $1, parts_sent = $2, parts_total = coalesce($3, parts_total),
         article_ids = coalesce($4, article_ids), digest = coalesce($5, digest), updated_at = $6
       WHERE subscription_id = $7 AND slot = $8 AND claimed_by = $9 AND status IN ('claimed', 'sending')`,
      [
        progress.status,
        progress.partsSent,
        progress.partsTotal ?? null,
        progress.articleIds ? JSON.stringify(progress.articleIds) : null,
        progress.digest ? JSON.stringify(progress.digest) : null,
        new Date(),
        subscriptionId,
        slot,
        claimant,
      ],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async releaseDelivery(subscriptionId: number, slot: string, partsSent?: number, detail?: string | null, owner?: string): Promise<void> {
    this.db.use('deliveries.releaseDelivery');
    await this.db.query(
      `UPDATE deliveries SET status = 'pending', claimed_by = NULL, parts_sent = coalesce($1, parts_sent),
         detail = coalesce($2, detail), updated_at = $3
       WHERE subscription_id = $4 AND slot = $5 AND status IN ('claimed', 'sending') AND ($6::text IS NULL OR claimed_by = $6::text)`,
      [partsSent ?? null, detail ?? null, new Date(), subscriptionId, slot, owner ?? null],
    );
  }

  async deliveries(subscriptionId: number, limit = 100): Promise<DeliveryRecord[]> {
    this.db.use('deliveries.deliveries');
    const { rows } = await this.db.query<DeliveryRow>('SELECT * FROM deliveries WHERE subscription_id = $1 ORDER BY slot DESC LIMIT $2', [
      subscriptionId,
      limit,
    ]);
    return rows.map(toDelivery);
  }

  async lastDeliveredSlot(subscriptionId: number, beforeSlot: string): Promise<string | undefined> {
    this.db.use('deliveries.lastDeliveredSlot');
    const { rows } = await this.db.query<{ slot: string | null }>(
      `SELECT max(slot) AS slot FROM deliveries WHERE subscription_id = $1 AND slot < $2 AND status IN ('sent', 'empty')`,
      [subscriptionId, beforeSlot],
    );
    return rows[0]?.slot ?? undefined;
  }

  async deliveriesWithStatus(status: DeliveryStatus): Promise<DeliveryRecord[]> {
    this.db.use('deliveries.deliveriesWithStatus');
    const { rows } = await this.db.query<DeliveryRow>('SELECT * FROM deliveries WHERE status = $1 ORDER BY slot, subscription_id', [status]);
    return rows.map(toDelivery);
  }

  async sentArticleIds(target: Target): Promise<Set<string>> {
    this.db.use('deliveries.sentArticleIds');
    const { rows } = await this.db.query<{ article_id: string }>(
      'SELECT article_id FROM sent_articles WHERE platform = $1 AND chat_id = $2 AND thread_id = $3',
      where(target),
    );
    return new Set(rows.map((r) => r.article_id));
  }

  async leaseChat(platform: string, chatId: string, claimant: string, now: Date, until: Date): Promise<boolean> {
    this.db.use('deliveries.leaseChat');
    // Row-locked by the conflict update: of instances racing for a free or expired lease, one wins; the
    // others re-check the WHERE against the winner's committed row and get nothing.
    const r = await this.db.query(
      `INSERT INTO chat_leases (platform, chat_id, claimed_by, lease_until) VALUES ($1, $2, $3, $4)
       ON CONFLICT (platform, chat_id) DO UPDATE SET claimed_by = excluded.claimed_by, lease_until = excluded.lease_until
       WHERE chat_leases.claimed_by = excluded.claimed_by OR chat_leases.lease_until <= $5`,
      [platform, chatId, claimant, until, now],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async renewLeases(claimant: string, until: Date): Promise<number> {
    this.db.use('deliveries.renewLeases');
    const r = await this.db.query('UPDATE chat_leases SET lease_until = $1 WHERE claimed_by = $2', [until, claimant]);
    return r.rowCount ?? 0;
  }

  async releaseChat(platform: string, chatId: string, claimant: string): Promise<void> {
    this.db.use('deliveries.releaseChat');
    await this.db.query('DELETE FROM chat_leases WHERE platform = $1 AND chat_id = $2 AND claimed_by = $3', [platform, chatId, claimant]);
  }

  async releaseLeases(claimant: string): Promise<number> {
    this.db.use('deliveries.releaseLeases');
    const r = await this.db.query('DELETE FROM chat_leases WHERE claimed_by = $1', [claimant]);
    return r.rowCount ?? 0;
  }
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    subscriptionId: row.subscription_id,
    slot: row.slot,
    status: row.status,
    articleIds: JSON.parse(row.article_ids) as string[],
    detail: row.detail,
    updatedAt: row.updated_at.toISOString(),
    attempts: row.attempts,
    partsSent: row.parts_sent,
    partsTotal: row.parts_total,
    digest: row.digest ? (JSON.parse(row.digest) as Digest) : null,
    retryAt: row.retry_at ? row.retry_at.toISOString() : null,
    claimedBy: row.claimed_by,
  };
}
