import type { Newsbrief } from './app.js';
import { DEFAULT_COUNT } from './app.js';
import { nextDueFor } from './clock.js';
import { buildSubscriptionDigest, FIRST_LOOKBACK_HOURS } from './subscription-digest.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { targetKey, type Subscription, type Target } from './model.js';
import type { Clock, DeliverHooks, Deliverer, DeliveryOutcome, DeliveryProgress, DeliveryRecord, Storage } from './ports.js';
import type { Digest } from './types.js';

/**
 * Calls `tick` periodically (about once a minute) until stopped; the entry point provides one (node-cron
 * in adapters/runtime), tests drive tick() directly.
 */
export type Ticker = (tick: () => void) => { stop(): void | Promise<void> };

export const SCHEDULE = {
  /** Missed slots younger than this are still delivered after a restart; older ones are skipped. */
  GRACE_MS: 6 * 60 * 60 * 1000,
  /** A shorter grace is raised to this, so an ordinary late tick never skips a slot. */
  MIN_GRACE_MS: 5 * 60 * 1000,
  /**
   * Parallel sends per platform; the deliverer paces them against the platform's limits. Telegram allows
   * one message a second per chat, so each chat's digest holds a worker for a second or more: 16 workers
   * keep the 30 messages/s overall limit busy.
   */
  CONCURRENCY: 16,
  /** Tries per slot for transient failures (one per tick) before the slot is given up. */
  MAX_ATTEMPTS: 5,
  /** Due subscriptions fetched per store query. */
  PAGE_SIZE: 500,
  /** How long stop() waits for sends already under way. */
  STOP_TIMEOUT_MS: 30_000,
  /** A subscription's first digest holds articles published at most this long before it. */
  FIRST_LOOKBACK_HOURS: FIRST_LOOKBACK_HOURS,
  /**
   * Shared mode: how long a chat lease lasts without renewal. A live scheduler renews its leases three
   * times per lease; a dead one's chats (and the slots it had claimed) are taken over once it ends.
   */
  LEASE_MS: 30_000,
} as const;

export interface DigestSchedulerOptions {
  app: Newsbrief;
  /** One per platform; subscriptions on a platform without one are left due, untouched. */
  deliverers: readonly Deliverer[];
  /** Current time; tests pass a fake clock. */
  clock?: Clock;
  /** Names this scheduler's claims on slots; default a random id. */
  claimant?: string;
  /** How late a missed slot may still be delivered (default 6 h, at least 5 min). */
  graceMs?: number;
  /** Items per digest. */
  count?: number;
  logger?: Logger;
  /** Parallel sends per platform. */
  concurrency?: number;
  /** Tries per slot for transient failures before the slot is recorded as failed for good. */
  maxAttempts?: number;
  /**
   * A subscription's first digest holds articles published at most this many hours before now (default
   * 36); later ones hold only articles published after the previous delivery's slot.
   */
  firstLookbackHours?: number;
  /**
   * Several schedulers on one database (npm start × N on Postgres): each works on a chat's due slots only
   * while it holds the chat's lease (DeliveryLog.leaseChat), and a slot claimed by a scheduler that lost
   * its lease is settled by the new holder. Off (the default), this scheduler is the only one (SQLite's
   * lock file guarantees it) and settles every slot a previous run left owned at start.
   */
  shared?: boolean;
  /** Shared mode: lease length (default 30 s, at least 3 s). */
  leaseMs?: number;
}

/** What one tick did; each due subscription is counted once under what became of its slot. */
export interface TickReport {
  /** Due subscriptions looked at (those on a platform with a deliverer). */
  due: number;
  sent: number;
  /** Nothing new for the subscriber: no message, an 'empty' delivery recorded. */
  empty: number;
  /** Slots older than the grace window, recorded as 'skipped' and not sent. */
  skipped: number;
  /** Failed sends (transient ones are retried next tick) and topics that no longer exist. */
  failed: number;
  /** Targets deactivated after a permanent failure. */
  deactivated: number;
  /** Sends found in flight from a crashed run, taken as delivered and not resent. */
  resumed: number;
  /** Slots waiting out a platform's retry_after, or owned by another scheduler: left for a later tick. */
  deferred: number;
}

/** Thrown into a send whose slot this scheduler no longer owns: it must not go out. */
export class ClaimLostError extends Error {
  constructor(subscriptionId: number, slot: string) {
    super(`DigestScheduler: the claim on subscription ${subscriptionId}, slot ${slot} was lost; not sending`);
    this.name = 'ClaimLostError';
  }
}

/** Sends the scheduled digests: one cron tick a minute delivers every subscription whose slot is due. */
export class DigestScheduler {
  private readonly app: Newsbrief;
  private readonly storage: Storage;
  private readonly deliverers: Map<string, Deliverer>;
  private readonly clock: Clock;
  private readonly graceMs: number;
  private readonly count: number;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly firstLookbackHours: number;
  private task: ReturnType<Ticker> | undefined;
  /** The latest tick, until it ends. */
  private inFlight: Promise<TickReport> | undefined;
  /** Each platform's pass under way, until it ends (see tick()). */
  private readonly passes = new Map<string, Promise<void>>();
  private draining = false;
  private readonly warnedPlatforms = new Set<string>();
  private readonly shared: boolean;
  private readonly leaseMs: number;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  /** Names this scheduler's claims on slots in the delivery log. */
  readonly claimant: string;

  constructor(options: DigestSchedulerOptions) {
    this.app = options.app;
    this.storage = options.app.storage;
    this.claimant = options.claimant ?? `scheduler-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    this.deliverers = new Map();
    for (const deliverer of options.deliverers) {
      if (this.deliverers.has(deliverer.platform)) {
        throw new Error(`DigestScheduler: two deliverers for platform "${deliverer.platform}"`);
      }
      this.deliverers.set(deliverer.platform, deliverer);
    }
    this.clock = options.clock ?? options.app.clock;
    this.graceMs = Math.max(options.graceMs ?? SCHEDULE.GRACE_MS, SCHEDULE.MIN_GRACE_MS);
    this.count = options.count ?? DEFAULT_COUNT;
    this.logger = options.logger ?? silentLogger;
    this.concurrency = Math.max(1, options.concurrency ?? SCHEDULE.CONCURRENCY);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? SCHEDULE.MAX_ATTEMPTS);
    const lookback = options.firstLookbackHours ?? SCHEDULE.FIRST_LOOKBACK_HOURS;
    if (!(lookback > 0)) throw new Error(`DigestScheduler: firstLookbackHours must be positive (got ${lookback})`);
    this.firstLookbackHours = lookback;
    // /preview builds what this scheduler would send: same default count, same first look-back.
    this.app.useScheduledDigestSettings({ count: this.count, firstLookbackHours: lookback });
    this.shared = options.shared ?? false;
    this.leaseMs = Math.max(3_000, options.leaseMs ?? SCHEDULE.LEASE_MS);
  }

  /**
   * Settles sends a crash left in flight, then ticks whenever `ticker` says (every minute) and once right
   * away, so slots missed while the bot was down are caught up without waiting for the first minute.
   */
  async start(ticker: Ticker): Promise<void> {
    if (this.task) throw new Error('DigestScheduler.start: already started');
    this.task = { stop: () => {} };
    if (this.shared) {
      // Renewed three times per lease, so a live scheduler never loses a chat it is working on.
      this.renewTimer = setInterval(() => void this.renewLeases(), Math.floor(this.leaseMs / 3));
      this.renewTimer.unref?.();
    }
    await this.recover();
    this.task = ticker(() => void this.tickSafely());
    void this.tickSafely();
  }

  /**
   * Stops the cron task and lets a running tick finish the sends already under way; it starts no new
   * ones. Waits at most `timeoutMs`; anything still in flight after that is settled by recover() on
   * the next start, like a crash.
   */
  async stop(timeoutMs: number = SCHEDULE.STOP_TIMEOUT_MS): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (task) await task.stop();
    // Every pass under way, whichever tick started it.
    const pending: Promise<unknown>[] = [...this.passes.values(), ...(this.inFlight ? [this.inFlight] : [])];
    if (pending.length === 0) return this.endLeases();
    const running = Promise.allSettled(pending);
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([running.then(() => 'done' as const, () => 'done' as const), timedOut]);
      if (result === 'timeout') {
        this.logger.warn({ timeoutMs }, 'digest scheduler stopped with sends still in flight; recover() settles them on the next start');
        // Sends still running keep their chats until their leases run out (the renewals stop below).
        if (this.renewTimer) clearInterval(this.renewTimer);
        this.renewTimer = undefined;
        return;
      }
    } finally {
      clearTimeout(timer);
    }
    await this.endLeases();
  }

  /**
   * Shared mode: extends every chat lease this scheduler holds (the timer started by start() calls it a
   * third of a lease apart). Returns how many were renewed.
   */
  async renewLeases(): Promise<number> {
    if (!this.shared) return 0;
    try {
      return await this.storage.deliveries.renewLeases(this.claimant, new Date(this.clock().getTime() + this.leaseMs));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not renew chat leases; another instance may take those chats over');
      return 0;
    }
  }

  /** Stops renewing and hands this scheduler's chats to the other instances at once. */
  private async endLeases(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    if (!this.shared) return;
    try {
      await this.storage.deliveries.releaseLeases(this.claimant);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release chat leases; they run out on their own');
    }
  }

  /** Shared mode: takes or renews the lease on the target's chat; always true when not shared. */
  private async holdChat(target: Target, now: Date): Promise<boolean> {
    if (!this.shared) return true;
    return this.storage.deliveries.leaseChat(target.platform, target.chatId, this.claimant, now, new Date(now.getTime() + this.leaseMs));
  }

  private async letGoChat(target: Target): Promise<void> {
    if (!this.shared) return;
    try {
      await this.storage.deliveries.releaseChat(target.platform, target.chatId, this.claimant);
    } catch (error) {
      this.logger.warn({ err: error, target: targetKey(target) }, 'could not release a chat lease; it runs out on its own');
    }
  }

  /**
   * Settles slots a crashed (or kill -9ed) scheduler left owned. Call it only while no other scheduler
   * runs on the database (npm start holds the database lock):
   *
   * - `claimed`: nothing of the current part was on the wire (still building, queued for pacing, waiting
   *   out a 429). The slot is released and sent on the next tick from its first unsent part.
   * - `sending`: part `partsSent` was on the wire and may or may not have arrived. Where a resend cannot
   *   show twice (Discord's nonce) the slot is released and that part resent. Telegram has no idempotency
   *   key: resending risks a duplicate, not resending a loss, and we choose not to resend. The part is
   *   taken as delivered (a warning names the subscription and slot) and the digest resumes after it; if
   *   it was the last part, the slot is recorded as sent and its articles as sent to the target.
   *
   * Slots on a platform with no deliverer this run are left as they are. Returns how many were settled.
   * tick() applies the same rule to an in-flight row that names no owner (written before claims existed).
   *
   * Shared mode: only slots of chats whose lease this scheduler can take are settled — the owner of any
   * other is alive and still working on it. tick() does the same for each due slot it finds owned.
   */
  async recover(): Promise<number> {
    const now = this.clock();
    let settled = 0;
    const log = this.storage.deliveries;
    const rows = [...(await log.deliveriesWithStatus('sending')), ...(await log.deliveriesWithStatus('claimed'))];
    for (const row of rows) {
      if (row.claimedBy === this.claimant) continue;
      const sub = await this.storage.subscriptions.getSubscription(row.subscriptionId);
      // A subscription removed since the crash has no target left to mark articles for.
      if (!sub) continue;
      if (!this.deliverers.has(sub.target.platform)) continue;
      try {
        if (!(await this.holdChat(sub.target, now))) continue;
        try {
          await this.settleInFlight(sub, row, now);
          settled++;
        } finally {
          await this.letGoChat(sub.target);
        }
      } catch (error) {
        this.logger.error({ err: error, subscriptionId: sub.id, slot: row.slot }, 'could not settle an in-flight digest delivery');
      }
    }
    return settled;
  }

  /**
   * Delivers everything due at clock(): earliest slot first, in pages, with bounded parallel sends per
   * platform. Each platform's pass runs on its own: a platform whose previous pass is still running (a long
   * Telegram fan-out) is left to it, and the others start a new pass, so one platform's backlog never holds
   * up another's due slots (nor, with several instances, the takeover of a dead one's chats). When every
   * platform is still busy, the latest tick is joined rather than overlapped. The report counts the passes
   * this tick started.
   */
  tick(): Promise<TickReport> {
    const idle = [...this.deliverers.keys()].filter((platform) => !this.passes.has(platform));
    if (idle.length === 0 && this.inFlight) return this.inFlight;
    const tick = this.runTick(idle);
    const settled = tick.finally(() => {
      if (this.inFlight === settled) this.inFlight = undefined;
    });
    this.inFlight = settled;
    return settled;
  }

  private async tickSafely(): Promise<void> {
    try {
      const report = await this.tick();
      if (report.due > 0) this.logger.info({ ...report }, 'digest tick');
    } catch (error) {
      this.logger.error({ err: error }, 'digest tick failed');
    }
  }

  private runTick(platforms: string[]): Promise<TickReport> {
    this.draining = false;
    const ready = (async (): Promise<RunState> => {
      // A deleted or replaced database file stops the tick before it sends what it could not record.
      await this.storage.checkIntact();
      const now = this.clock();
      const report: TickReport = { due: 0, sent: 0, empty: 0, skipped: 0, failed: 0, deactivated: 0, resumed: 0, deferred: 0 };
      return { now, report, migrated: new Map(), deactivated: new Set() };
    })();
    // Each platform pages through its own due subscriptions, so a slow platform never idles a fast one. A
    // platform is busy from this moment (synchronously) until its own pass ends.
    const passes = platforms.map((platform) => {
      const pass = ready.then((run) => this.runPlatform(platform, run));
      this.passes.set(platform, pass);
      pass.then(
        () => this.passes.get(platform) === pass && this.passes.delete(platform),
        () => this.passes.get(platform) === pass && this.passes.delete(platform),
      );
      return pass;
    });
    return (async () => {
      const run = await ready;
      await Promise.all(passes);
      for (const sub of await this.storage.subscriptions.dueSubscriptions(run.now, SCHEDULE.PAGE_SIZE)) {
        if (!this.deliverers.has(sub.target.platform)) this.warnNoDeliverer(sub.target.platform);
      }
      return run.report;
    })();
  }

  private async runPlatform(platform: string, run: RunState): Promise<void> {
    // Subscriptions held back (transient failure) stay due; asking for that many more rows each time
    // keeps the next page full of ones this tick has not looked at yet.
    const seen = new Set<number>();
    while (!this.draining) {
      const page = (await this.storage.subscriptions.dueSubscriptions(run.now, SCHEDULE.PAGE_SIZE + seen.size, platform)).filter(
        (sub) => !seen.has(sub.id),
      );
      if (page.length === 0) break;
      for (const sub of page) seen.add(sub.id);
      await this.runPage(page, run);
    }
  }

  private async runPage(page: Subscription[], run: RunState): Promise<void> {
    // One chat's subscriptions (every thread of it) run one after another, so two digests for it never
    // pick the same article and its messages keep the platform's per-chat pace. In shared mode the chat's
    // lease makes that hold across instances: a chat another scheduler is working on is left to it.
    const byChat = new Map<string, Subscription[]>();
    for (const sub of page) {
      const key = `${sub.target.platform}\u0000${sub.target.chatId}`;
      const subs = byChat.get(key);
      if (subs) subs.push(sub);
      else byChat.set(key, [sub]);
    }
    await eachLimited([...byChat.values()], this.concurrency, async (subs) => {
      let held = false;
      try {
        for (const sub of subs) {
          if (this.draining) return;
          run.report.due++;
          // Taken, or renewed and so confirmed, before each subscription: a lease lost meanwhile stops here.
          if (!(await this.holdChatSafely(sub, run))) {
            run.report.deferred++;
            continue;
          }
          held = true;
          await this.processSafely(sub, run);
        }
      } finally {
        if (held) await this.letGoChat(subs[0]!.target);
      }
    });
  }

  private async holdChatSafely(sub: Subscription, run: RunState): Promise<boolean> {
    try {
      return await this.holdChat(sub.target, run.now);
    } catch (error) {
      this.logger.error({ err: error, target: targetKey(sub.target) }, 'could not take a chat lease; the chat waits for a later tick');
      return false;
    }
  }

  private async processSafely(sub: Subscription, run: RunState): Promise<void> {
    try {
      await this.process(sub, run);
    } catch (error) {
      run.report.failed++;
      // A claim this scheduler still holds would keep the slot from everyone until a restart.
      try {
        const row = await this.storage.deliveries.getDelivery(sub.id, sub.nextDueAt);
        if (row && row.claimedBy === this.claimant && row.status === 'claimed') await this.storage.deliveries.releaseDelivery(sub.id, sub.nextDueAt);
      } catch {
        // The store itself failing is what the log line below reports.
      }
      this.logger.error(
        { err: error, subscriptionId: sub.id, target: targetKey(sub.target), slot: sub.nextDueAt },
        'digest delivery failed unexpectedly; the slot stays due',
      );
    }
  }

  /** Works the subscription's due slots until its next one lies in the future or it is held back. */
  private async process(original: Subscription, run: RunState): Promise<void> {
    const target = run.migrated.get(targetKey(original.target)) ?? original.target;
    if (run.deactivated.has(targetKey(target))) return;
    const sub = { ...original, target };
    let slot = sub.nextDueAt;
    // Only a skip can leave the next slot in the past, and only once; the bound is a guard.
    for (let step = 0; step < 3; step++) {
      const next = await this.processSlot(sub, slot, run);
      if (next === undefined || Date.parse(next) > run.now.getTime()) return;
      slot = next;
    }
  }

  /** Handles one slot; returns the subscription's new next due instant, or undefined when it stays due. */
  private async processSlot(sub: Subscription, slot: string, run: RunState): Promise<string | undefined> {
    const { now, report } = run;
    const log = this.storage.deliveries;
    const existing = await log.getDelivery(sub.id, slot);
    const following = this.nextSlot(sub, slot, now);
    if (
      existing?.status === 'sent' ||
      existing?.status === 'empty' ||
      existing?.status === 'skipped' ||
      (existing?.status === 'failed' && !existing.retryAt)
    ) {
      // Settled, by this scheduler or another; a final failure whose advance did not happen lands here too.
      await this.storage.subscriptions.setNextDue(sub.id, following);
      return following;
    }
    if (existing?.status === 'sending' || existing?.status === 'claimed') {
      if (existing.claimedBy && !(this.shared && existing.claimedBy !== this.claimant)) {
        // Another scheduler's slot (recover() settles those of a dead one at start).
        report.deferred++;
        return undefined;
      }
      // No owner (a row from before claims), or, in shared mode, an owner that no longer holds the chat's
      // lease this scheduler now holds: it died or stalled past its lease, so its slot is settled here.
      report.resumed++;
      return await this.settleInFlight(sub, existing, now);
    }
    if (existing?.status === 'failed' && existing.retryAt && Date.parse(existing.retryAt) > now.getTime()) {
      report.deferred++;
      return undefined;
    }

    if (now.getTime() - Date.parse(slot) > this.graceMs) return this.skip(sub, slot, run);

    // The claim comes before the digest is built: of two schedulers on one database, one sends it.
    const claim = await log.claimDelivery(sub.id, slot, this.claimant, now);
    if (!claim) {
      report.deferred++;
      return undefined;
    }
    const previousAttempts = existing?.status === 'failed' ? (existing.attempts ?? 0) : 0;
    const record = (target: Target, status: DeliveryRecord['status'], ids: string[], detail: string | null, next?: string, extra: Partial<DeliveryRecord> = {}) =>
      log.recordDelivery({ subscriptionId: sub.id, slot, status, articleIds: ids, detail, attempts: previousAttempts, ...extra }, target, next, this.claimant);

    // A digest partly delivered is finished with the same digest, so its parts are the same messages.
    let digest: Digest;
    let partsSent = claim.partsSent ?? 0;
    if (claim.digest && partsSent > 0) {
      digest = claim.digest;
    } else {
      partsSent = 0;
      const built = await this.buildDigest(sub, slot, now);
      if (!built.ok) {
        report.failed++;
        await record(sub.target, 'failed', [], built.reason, following);
        this.logger.warn({ subscriptionId: sub.id, topic: sub.topic, slot }, `scheduled digest not built: ${built.reason}`);
        return following;
      }
      digest = built.digest;
    }
    const articleIds = [...new Set(digest.items.flatMap((item) => item.articleIds))];
    if (articleIds.length === 0) {
      report.empty++;
      await record(sub.target, 'empty', [], `nothing new (${digest.matched} articles on the topic)`, following);
      return following;
    }

    // A part becomes durable as "in flight" the moment its request is about to leave (after the adapter's
    // pacing and any 429 wait) and stops being so when the platform refuses it, so a crash while waiting
    // leaves the slot to be sent on restart; each accepted part is recorded, so a retry resumes after it.
    const claimed = async (progress: Omit<DeliveryProgress, 'partsSent'>) => {
      if (!(await log.updateClaim(sub.id, slot, this.claimant, { ...progress, partsSent }))) {
        throw new ClaimLostError(sub.id, slot);
      }
    };
    let onWire = false;
    const startPart = partsSent;
    // Items the delivered parts show (reported by the deliverer): a digest cut short records only their articles.
    let itemsShown = 0;
    const hooks: DeliverHooks = {
      fromPart: partsSent,
      onSending: async (part, parts) => {
        if (part !== undefined) partsSent = part;
        if (onWire) return;
        onWire = true;
        await claimed({ status: 'sending', partsTotal: parts ?? null, articleIds, digest });
      },
      onPartSent: async (part, items) => {
        partsSent = part + 1;
        if (items !== undefined) itemsShown = Math.max(itemsShown, items);
        onWire = false;
        await claimed({ status: 'claimed' });
      },
      onNotSent: async () => {
        if (!onWire) return;
        onWire = false;
        await claimed({ status: 'claimed' });
      },
    };
    let target = sub.target;
    // Dates in the digest are shown in the subscription's own zone, whatever the chat's default is.
    const context = { timezone: sub.timezone };
    let outcome = await this.deliver(target, digest, context, hooks);
    if (!outcome.ok && outcome.migrateTo) {
      const to = outcome.migrateTo;
      await this.storage.subscriptions.migrateTarget(target, to);
      run.migrated.set(targetKey(target), to);
      this.logger.info({ from: targetKey(target), to: targetKey(to) }, 'chat moved; subscriptions follow it');
      target = to;
      outcome = await this.deliver(target, digest, context, { ...hooks, fromPart: partsSent });
    }
    const progress = { partsSent, digest };

    if (outcome.ok) {
      report.sent++;
      // A deliverer that does not report parts still says how many messages it sent.
      const total = Math.max(partsSent, startPart + outcome.messages);
      const earlier = total - outcome.messages;
      const detail = `${total} message${total === 1 ? '' : 's'}${earlier > 0 ? ` (${earlier} sent by an earlier attempt)` : ''}`;
      await record(target, 'sent', articleIds, detail, following, { partsSent: total });
      return following;
    }
    const sentSoFar = partsSent > 0 ? `; ${partsSent} part${partsSent === 1 ? '' : 's'} delivered` : '';
    // What the delivered parts showed counts as sent even if the rest never arrives; nothing else does.
    const shownIds = [...new Set(digest.items.slice(0, itemsShown).flatMap((item) => item.articleIds))];
    if (outcome.permanent) {
      report.failed++;
      if ((await this.storage.subscriptions.setActive(target, false, outcome.reason)) > 0) report.deactivated++;
      run.deactivated.add(targetKey(target));
      await record(target, 'failed', shownIds, `permanent: ${outcome.reason}${sentSoFar}`, following, { partsSent });
      this.logger.warn({ target: targetKey(target), reason: outcome.reason }, 'target deactivated after a permanent delivery failure');
      return following;
    }
    report.failed++;
    if (outcome.retryAfterMs !== undefined) {
      // The platform said when: not before then (a rate limit is not the chat's fault and is not an attempt).
      const retryAt = new Date(now.getTime() + outcome.retryAfterMs).toISOString();
      const detail = `rate limited until ${retryAt}: ${outcome.reason}${sentSoFar}`;
      await record(target, 'failed', shownIds, detail, undefined, { ...progress, retryAt });
      this.logger.info({ subscriptionId: sub.id, slot, retryAt, reason: outcome.reason }, 'digest delivery deferred by a rate limit');
      return undefined;
    }
    const attempt = previousAttempts + 1;
    if (attempt >= this.maxAttempts) {
      await record(target, 'failed', shownIds, `gave up after ${attempt} attempts: ${outcome.reason}${sentSoFar}`, following, { partsSent, attempts: attempt });
      this.logger.warn({ subscriptionId: sub.id, slot, reason: outcome.reason }, 'digest delivery given up');
      return following;
    }
    // Not advanced: the next tick tries this slot again (while it is within the grace window).
    await record(target, 'failed', shownIds, `attempt ${attempt}/${this.maxAttempts}: ${outcome.reason}${sentSoFar}`, undefined, {
      ...progress,
      retryAt: now.toISOString(),
      attempts: attempt,
    });
    this.logger.info({ subscriptionId: sub.id, slot, attempt, reason: outcome.reason }, 'digest delivery will be retried');
    return undefined;
  }

  /** Records the slot as skipped and moves to the first slot still inside the grace window. */
  private async skip(sub: Subscription, slot: string, run: RunState): Promise<string> {
    const firstKept = new Date(run.now.getTime() - this.graceMs - 1);
    let missed = 1;
    let last = slot;
    let next = nextDueFor(sub, new Date(slot));
    // Counting is only for the record; a year of downtime is still cheap, beyond that it is capped.
    while (next <= firstKept && missed < 1000) {
      missed++;
      last = next.toISOString();
      next = nextDueFor(sub, next);
    }
    const resume = next <= firstKept ? nextDueFor(sub, firstKept) : next;
    const range = missed === 1 ? slot : `${missed} slots, ${slot} to ${last}`;
    const detail = `missed ${range}: more than ${formatHours(this.graceMs)} late`;
    await this.storage.deliveries.recordDelivery({ subscriptionId: sub.id, slot, status: 'skipped', articleIds: [], detail }, sub.target, resume.toISOString());
    run.report.skipped++;
    return resume.toISOString();
  }

  /** Settles a slot a crash left owned (see recover()); returns the subscription's next due instant. */
  private async settleInFlight(sub: Subscription, row: DeliveryRecord, now: Date): Promise<string> {
    const partsSent = row.partsSent ?? 0;
    // Every write is conditional on the old owner still owning the slot, so a slot it settled itself
    // meanwhile (it was slow, not dead) is left as it is.
    const owner = row.claimedBy ?? undefined;
    // Resending is harmless only as the same parts (same nonces): a row from before digests were kept has none.
    if (row.status === 'claimed' || (row.digest && this.deliverers.get(sub.target.platform)?.resendIsHarmless)) {
      await this.storage.deliveries.releaseDelivery(sub.id, row.slot, undefined, undefined, owner);
      this.logger.info({ subscriptionId: sub.id, slot: row.slot, fromPart: partsSent }, 'an unfinished digest from a stopped process will be sent');
      return sub.nextDueAt;
    }
    const current = row.slot === sub.nextDueAt;
    const log = { subscriptionId: sub.id, target: targetKey(sub.target), topic: sub.topic, slot: row.slot, part: partsSent + 1 };
    if (row.partsTotal && partsSent + 1 < row.partsTotal && row.digest) {
      this.logger.warn(log, 'a digest part was being sent when the process stopped; taking it as delivered and sending the rest');
      await this.storage.deliveries.releaseDelivery(sub.id, row.slot, partsSent + 1, `part ${partsSent + 1} unconfirmed: the process stopped while sending it`, owner);
      return sub.nextDueAt;
    }
    const following = current ? this.nextSlot(sub, row.slot, now) : sub.nextDueAt;
    this.logger.warn(log, 'a digest was being sent when the process stopped; taking it as delivered and not resending it');
    const detail = `unconfirmed: the process stopped while sending${row.detail ? ` (${row.detail})` : ''}`;
    await this.storage.deliveries.recordDelivery({ ...row, status: 'sent', detail, partsSent: partsSent + 1 }, sub.target, current ? following : undefined, owner);
    return following;
  }

  /** The digest for a slot (see buildSubscriptionDigest). */
  private async buildDigest(sub: Subscription, slot: string, now: Date): Promise<{ ok: true; digest: Digest } | { ok: false; reason: string }> {
    return buildSubscriptionDigest(this.app, sub, { slot, now, settings: { count: this.count, firstLookbackHours: this.firstLookbackHours } });
  }

  private async deliver(target: Target, digest: Digest, context: { timezone: string }, hooks: DeliverHooks): Promise<DeliveryOutcome> {
    const deliverer = this.deliverers.get(target.platform);
    if (!deliverer) return { ok: false, permanent: false, reason: `no deliverer for ${target.platform}` };
    try {
      return await deliverer.deliver(target, digest, context, hooks);
    } catch (error) {
      // Deliverers report platform errors as outcomes; a throw is a bug, retried like a transient error.
      this.logger.error({ err: error, target: targetKey(target) }, 'deliverer threw instead of returning an outcome');
      return { ok: false, permanent: false, reason: `deliverer threw: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** The slot after `slot`, never one already past: a late delivery does not trigger a second one. */
  private nextSlot(sub: Subscription, slot: string, now: Date): string {
    const from = Math.max(now.getTime(), Date.parse(slot));
    return nextDueFor(sub, new Date(from)).toISOString();
  }



  private warnNoDeliverer(platform: string): void {
    if (this.warnedPlatforms.has(platform)) return;
    this.warnedPlatforms.add(platform);
    this.logger.warn({ platform }, 'subscriptions are due on a platform that is not running; they wait');
  }
}

interface RunState {
  now: Date;
  report: TickReport;
  /** Chats that moved during this tick (Telegram group → supergroup), old key → new target. */
  migrated: Map<string, Target>;
  /** Targets deactivated during this tick; their other subscriptions are not tried. */
  deactivated: Set<string>;
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function formatHours(ms: number): string {
  const hours = ms / 3_600_000;
  return `${Number.isInteger(hours) ? hours : hours.toFixed(2)} h`;
}
