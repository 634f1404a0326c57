import {
  type DeliveryLog,
  type DeliveryProgress,
  type DeliveryRecord,
  type DeliveryStatus,
  type Target,
} from '../../../src/index.js';
import { compareText, normalTarget, targetKey, type DeliveryRow, type MemoryDatabase } from './database.js';

/** The delivery log in memory. Each method runs to completion before another starts, so each is atomic. */
export class MemoryDeliveryLog implements DeliveryLog {
  constructor(private readonly db: MemoryDatabase) {}

  async getDelivery(subscriptionId: number, slot: string): Promise<DeliveryRecord | undefined> {
    const row = this.db.use('deliveries.getDelivery').deliveries.get(deliveryKey(subscriptionId, slot));
    return row ? toRecord(row) : undefined;
  }

  async recordDelivery(
    record: Omit<DeliveryRecord, 'updatedAt'>,
    target: Target,
    nextDueAt?: string,
    claimant?: string,
  ): Promise<boolean> {
    const t = this.db.use('deliveries.recordDelivery');
    const key = deliveryKey(record.subscriptionId, record.slot);
    const existing = t.deliveries.get(key);
    // The guard applies to a slot someone claimed; a slot with no row yet is written as for no claimant.
    if (existing && claimant !== undefined && existing.claimedBy !== claimant) return false;
    const owned = isOwned(record.status);
    const retryMs = record.status === 'failed' && record.retryAt ? Date.parse(record.retryAt) : null;
    // Unfinished slots keep their digest so that a resume sends the same parts; final ones drop it.
    const keepDigest = owned || record.status === 'pending' || retryMs !== null;
    t.deliveries.set(key, {
      subscriptionId: record.subscriptionId,
      slot: record.slot,
      status: record.status,
      articleIds: [...record.articleIds],
      detail: record.detail,
      updatedAt: new Date().toISOString(),
      attempts: record.attempts ?? existing?.attempts ?? 0,
      partsSent: record.partsSent ?? existing?.partsSent ?? 0,
      partsTotal: record.partsTotal ?? existing?.partsTotal ?? null,
      digest: keepDigest ? (record.digest ? structuredClone(record.digest) : (existing?.digest ?? null)) : null,
      retryMs,
      claimedBy: owned ? (claimant ?? record.claimedBy ?? null) : null,
    });
    // A failed delivery may have shown some items before it failed: those articles count as sent too.
    if (record.status === 'sent' || record.status === 'failed') {
      const sentKey = targetKey(normalTarget(target));
      const sent = t.sentArticles.get(sentKey) ?? new Set<string>();
      for (const id of record.articleIds) sent.add(id);
      t.sentArticles.set(sentKey, sent);
    }
    if (nextDueAt !== undefined) {
      const subscription = t.subscriptions.get(record.subscriptionId);
      if (subscription) subscription.nextDueMs = Date.parse(nextDueAt);
    }
    return true;
  }

  async claimDelivery(subscriptionId: number, slot: string, claimant: string, now: Date): Promise<DeliveryRecord | undefined> {
    const t = this.db.use('deliveries.claimDelivery');
    const key = deliveryKey(subscriptionId, slot);
    const row = t.deliveries.get(key);
    const updatedAt = now.toISOString();
    if (!row) {
      const claimed: DeliveryRow = {
        subscriptionId,
        slot,
        status: 'claimed',
        articleIds: [],
        detail: null,
        updatedAt,
        attempts: 0,
        partsSent: 0,
        partsTotal: null,
        digest: null,
        retryMs: null,
        claimedBy: claimant,
      };
      t.deliveries.set(key, claimed);
      return toRecord(claimed);
    }
    const claimable = row.status === 'pending' || (row.status === 'failed' && row.retryMs !== null && row.retryMs <= now.getTime());
    if (!claimable) return undefined;
    // Progress, digest and retry time stay: the new owner resumes where the last one stopped.
    Object.assign(row, { status: 'claimed', claimedBy: claimant, updatedAt });
    return toRecord(row);
  }

  async updateClaim(subscriptionId: number, slot: string, claimant: string, progress: DeliveryProgress): Promise<boolean> {
    const row = this.db.use('deliveries.updateClaim').deliveries.get(deliveryKey(subscriptionId, slot));
    if (!row || row.claimedBy !== claimant || !isOwned(row.status)) return false;
    row.status = progress.status;
    row.partsSent = progress.partsSent;
    row.partsTotal = progress.partsTotal ?? row.partsTotal;
    if (progress.articleIds) row.articleIds = [...progress.articleIds];
    if (progress.digest) row.digest = structuredClone(progress.digest);
    row.updatedAt = new Date().toISOString();
    return true;
  }

  async releaseDelivery(subscriptionId: number, slot: string, partsSent?: number, detail?: string | null, owner?: string): Promise<void> {
    const row = this.db.use('deliveries.releaseDelivery').deliveries.get(deliveryKey(subscriptionId, slot));
    if (!row || !isOwned(row.status)) return;
    if (owner !== undefined && row.claimedBy !== owner) return;
    row.status = 'pending';
    row.claimedBy = null;
    row.partsSent = partsSent ?? row.partsSent;
    row.detail = detail ?? row.detail;
    row.updatedAt = new Date().toISOString();
  }

  async deliveries(subscriptionId: number, limit = 100): Promise<DeliveryRecord[]> {
    const t = this.db.use('deliveries.deliveries');
    const rows = [...t.deliveries.values()].filter((row) => row.subscriptionId === subscriptionId);
    rows.sort((a, b) => compareText(b.slot, a.slot));
    return rows.slice(0, Math.max(limit, 0)).map(toRecord);
  }

  async lastDeliveredSlot(subscriptionId: number, beforeSlot: string): Promise<string | undefined> {
    let latest: string | undefined;
    for (const row of this.db.use('deliveries.lastDeliveredSlot').deliveries.values()) {
      if (row.subscriptionId !== subscriptionId || (row.status !== 'sent' && row.status !== 'empty')) continue;
      if (row.slot < beforeSlot && (latest === undefined || row.slot > latest)) latest = row.slot;
    }
    return latest;
  }

  async deliveriesWithStatus(status: DeliveryStatus): Promise<DeliveryRecord[]> {
    const rows = [...this.db.use('deliveries.deliveriesWithStatus').deliveries.values()].filter((row) => row.status === status);
    rows.sort((a, b) => compareText(a.slot, b.slot) || a.subscriptionId - b.subscriptionId);
    return rows.map(toRecord);
  }

  async sentArticleIds(target: Target): Promise<Set<string>> {
    const sent = this.db.use('deliveries.sentArticleIds').sentArticles.get(targetKey(normalTarget(target)));
    return new Set(sent);
  }

  async leaseChat(platform: string, chatId: string, claimant: string, now: Date, until: Date): Promise<boolean> {
    const leases = this.db.use('deliveries.leaseChat').chatLeases;
    const key = `${platform} ${chatId}`;
    const held = leases.get(key);
    if (held && held.claimedBy !== claimant && held.untilMs > now.getTime()) return false;
    leases.set(key, { claimedBy: claimant, untilMs: until.getTime() });
    return true;
  }

  async renewLeases(claimant: string, until: Date): Promise<number> {
    let renewed = 0;
    for (const lease of this.db.use('deliveries.renewLeases').chatLeases.values()) {
      if (lease.claimedBy !== claimant) continue;
      lease.untilMs = until.getTime();
      renewed++;
    }
    return renewed;
  }

  async releaseChat(platform: string, chatId: string, claimant: string): Promise<void> {
    const leases = this.db.use('deliveries.releaseChat').chatLeases;
    const key = `${platform} ${chatId}`;
    if (leases.get(key)?.claimedBy === claimant) leases.delete(key);
  }

  async releaseLeases(claimant: string): Promise<number> {
    const leases = this.db.use('deliveries.releaseLeases').chatLeases;
    let released = 0;
    for (const [key, lease] of leases) {
      if (lease.claimedBy !== claimant) continue;
      leases.delete(key);
      released++;
    }
    return released;
  }
}

function deliveryKey(subscriptionId: number, slot: string): string {
  return `${subscriptionId} ${slot}`;
}

function isOwned(status: DeliveryStatus): boolean {
  return status === 'claimed' || status === 'sending';
}

function toRecord(row: DeliveryRow): DeliveryRecord {
  return {
    subscriptionId: row.subscriptionId,
    slot: row.slot,
    status: row.status,
    articleIds: [...row.articleIds],
    detail: row.detail,
    updatedAt: row.updatedAt,
    attempts: row.attempts,
    partsSent: row.partsSent,
    partsTotal: row.partsTotal,
    digest: row.digest ? structuredClone(row.digest) : null,
    retryAt: row.retryMs === null ? null : new Date(row.retryMs).toISOString(),
    claimedBy: row.claimedBy,
  };
}
