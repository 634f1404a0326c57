import cron, { type ScheduledTask } from 'node-cron';
import type { Newsbrief } from './app.js';
import { DEFAULT_COUNT } from './app.js';
import { nextDueAfter } from './clock.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import type { Subscription, Target } from './model.js';
import type { DeliveryRecord, Store } from './store.js';
import { targetKey } from './store.js';
import type { DeliverHooks, Deliverer, DeliveryOutcome, Digest } from './types.js';

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
} as const;

export interface DigestSchedulerOptions {
  app: Newsbrief;
  /** One per platform; subscriptions on a platform without one are left due, untouched. */
  deliverers: readonly Deliverer[];
  /** Current time; tests pass a fake clock. */
  clock?: () => Date;
  /** How late a missed slot may still be delivered (default 6 h, at least 5 min). */
  graceMs?: number;
  /** Items per digest. */
  count?: number;
  logger?: Logger;
  /** Parallel sends per platform. */
  concurrency?: number;
  /** Tries per slot for transient failures before the slot is recorded as failed for good. */
  maxAttempts?: number;
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
}

/** Sends the daily digests: one cron tick a minute delivers every subscription whose slot is due. */
export class DigestScheduler {
  private readonly app: Newsbrief;
  private readonly store: Store;
  private readonly deliverers: Map<Target['platform'], Deliverer>;
  private readonly clock: () => Date;
  private readonly graceMs: number;
  private readonly count: number;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private task: ScheduledTask | undefined;
  private inFlight: Promise<TickReport> | undefined;
  private draining = false;
  private readonly warnedPlatforms = new Set<string>();

  constructor(options: DigestSchedulerOptions) {
    this.app = options.app;
    this.store = options.app.store;
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
  }

  /**
   * Settles sends a crash left in flight, then runs a tick every minute (`cronExpression`, node-cron
   * syntax, evaluated in the process's zone; only "how often" matters) and one tick right away, so
   * slots missed while the bot was down are caught up without waiting for the first minute.
   */
  start(cronExpression = '* * * * *'): void {
    if (this.task) throw new Error('DigestScheduler.start: already started');
    if (!cron.validate(cronExpression)) {
      throw new Error(`DigestScheduler.start: "${cronExpression}" is not a cron expression`);
    }
    this.recover();
    this.task = cron.schedule(cronExpression, () => this.tickSafely(), {
      name: 'newsbrief-digests',
      noOverlap: true,
      logger: cronLogger(this.logger),
    });
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
    if (task) await task.destroy();
    const running = this.inFlight;
    if (!running) return;
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([running.then(() => 'done' as const, () => 'done' as const), timedOut]);
      if (result === 'timeout') {
        this.logger.warn({ timeoutMs }, 'digest scheduler stopped with sends still in flight; recover() settles them on the next start');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Settles deliveries left in 'sending' by a crash (or kill -9). A slot is marked 'sending' only when
   * the adapter reports its first request leaving (after pacing), so such a row means a request was on
   * the wire: it may or may not have reached the chat, and Telegram offers no idempotency key to ask.
   * Resending risks a duplicate, not resending a loss; we choose not to resend: the slot is recorded as
   * sent, its articles as sent to the target, and a warning names the subscription and slot. Every slot
   * whose request had not left (still building, or queued for a pacing slot) has no such row and is sent
   * on restart, none twice. Discord posts carry a nonce derived from the digest, so there a resend would
   * be harmless; the rule is kept the same for both platforms.
   *
   * Returns how many deliveries were settled. tick() applies the same rule to any such row it meets.
   */
  recover(): number {
    const now = this.clock();
    let settled = 0;
    for (const row of this.store.deliveriesWithStatus('sending')) {
      const sub = this.store.getSubscription(row.subscriptionId);
      // A subscription removed since the crash has no target left to mark articles for.
      if (!sub) continue;
      try {
        this.settleInFlight(sub, row, now);
        settled++;
      } catch (error) {
        this.logger.error({ err: error, subscriptionId: sub.id, slot: row.slot }, 'could not settle an in-flight digest delivery');
      }
    }
    return settled;
  }

  /**
   * Delivers everything due at clock(): earliest slot first, in pages, with bounded parallel sends per
   * platform. A tick already running is joined rather than overlapped.
   */
  tick(): Promise<TickReport> {
    this.inFlight ??= this.runTick().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async tickSafely(): Promise<void> {
    try {
      const report = await this.tick();
      if (report.due > 0) this.logger.info({ ...report }, 'digest tick');
    } catch (error) {
      this.logger.error({ err: error }, 'digest tick failed');
    }
  }

  private async runTick(): Promise<TickReport> {
    this.draining = false;
    const now = this.clock();
    const report: TickReport = { due: 0, sent: 0, empty: 0, skipped: 0, failed: 0, deactivated: 0, resumed: 0 };
    const run: RunState = { now, report, migrated: new Map(), deactivated: new Set() };
    // Each platform pages through its own due subscriptions, so a slow platform never idles a fast one.
    await Promise.all([...this.deliverers.keys()].map((platform) => this.runPlatform(platform, run)));
    for (const sub of this.store.dueSubscriptions(now, SCHEDULE.PAGE_SIZE)) {
      if (!this.deliverers.has(sub.target.platform)) this.warnNoDeliverer(sub.target.platform);
    }
    return report;
  }

  private async runPlatform(platform: Target['platform'], run: RunState): Promise<void> {
    // Subscriptions held back (transient failure) stay due; asking for that many more rows each time
    // keeps the next page full of ones this tick has not looked at yet.
    const seen = new Set<number>();
    while (!this.draining) {
      const page = this.store
        .dueSubscriptions(run.now, SCHEDULE.PAGE_SIZE + seen.size, platform)
        .filter((sub) => !seen.has(sub.id));
      if (page.length === 0) break;
      for (const sub of page) seen.add(sub.id);
      await this.runPage(page, run);
    }
  }

  private async runPage(page: Subscription[], run: RunState): Promise<void> {
    // One chat's subscriptions run one after another so two digests for it never pick the same article.
    const byTarget = new Map<string, Subscription[]>();
    for (const sub of page) {
      const key = targetKey(sub.target);
      byTarget.set(key, [...(byTarget.get(key) ?? []), sub]);
    }
    await eachLimited([...byTarget.values()], this.concurrency, async (subs) => {
      for (const sub of subs) {
        if (this.draining) return;
        run.report.due++;
        await this.processSafely(sub, run);
      }
    });
  }

  private async processSafely(sub: Subscription, run: RunState): Promise<void> {
    try {
      await this.process(sub, run);
    } catch (error) {
      run.report.failed++;
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
    const existing = this.store.getDelivery(sub.id, slot);
    const following = this.nextSlot(sub, slot, now);
    if (existing?.status === 'sent' || existing?.status === 'empty' || existing?.status === 'skipped') {
      this.store.setNextDue(sub.id, following);
      return following;
    }
    if (existing?.status === 'sending') {
      report.resumed++;
      return this.settleInFlight(sub, existing, now);
    }
    const previousAttempts = existing?.status === 'failed' ? attemptsIn(existing) : 0;
    if (existing?.status === 'failed' && previousAttempts === 0) {
      // A final failure whose advance did not happen (the target was deactivated in between).
      this.store.setNextDue(sub.id, following);
      return following;
    }

    if (now.getTime() - Date.parse(slot) > this.graceMs) return this.skip(sub, slot, run);

    const digest = this.buildDigest(sub);
    if (!digest.ok) {
      report.failed++;
      this.record(sub, slot, 'failed', [], digest.reason, following);
      this.logger.warn({ subscriptionId: sub.id, topic: sub.topic, slot }, `scheduled digest not built: ${digest.reason}`);
      return following;
    }
    const articleIds = [...new Set(digest.digest.items.flatMap((item) => item.articleIds))];
    if (articleIds.length === 0) {
      report.empty++;
      this.record(sub, slot, 'empty', [], `nothing new (${digest.digest.matched} articles on the topic)`, following);
      return following;
    }

    // The send becomes durable as "in flight" the moment the platform is about to be asked (after the
    // adapter's pacing wait), so a crash while still waiting for a slot leaves it to be sent on restart.
    let inFlight = false;
    const hooks = {
      onSending: () => {
        if (inFlight) return;
        inFlight = true;
        this.record(sub, slot, 'sending', articleIds, previousAttempts > 0 ? `attempt ${previousAttempts + 1}` : null);
      },
    };
    let target = sub.target;
    let outcome = await this.deliver(target, digest.digest, hooks);
    if (!outcome.ok && outcome.migrateTo) {
      const to = outcome.migrateTo;
      this.store.migrateTarget(target, to);
      run.migrated.set(targetKey(target), to);
      this.logger.info({ from: targetKey(target), to: targetKey(to) }, 'chat moved; subscriptions follow it');
      target = to;
      outcome = await this.deliver(target, digest.digest, hooks);
    }
    const delivered = { ...sub, target };

    if (outcome.ok) {
      report.sent++;
      const detail = `${outcome.messages} message${outcome.messages === 1 ? '' : 's'}`;
      this.record(delivered, slot, 'sent', articleIds, detail, following);
      return following;
    }
    if (outcome.permanent) {
      report.failed++;
      if (this.store.setTargetActive(target, false, outcome.reason) > 0) report.deactivated++;
      run.deactivated.add(targetKey(target));
      this.record(delivered, slot, 'failed', [], `permanent: ${outcome.reason}`, following);
      this.logger.warn({ target: targetKey(target), reason: outcome.reason }, 'target deactivated after a permanent delivery failure');
      return following;
    }
    report.failed++;
    const attempt = previousAttempts + 1;
    if (attempt >= this.maxAttempts) {
      this.record(delivered, slot, 'failed', [], `gave up after ${attempt} attempts: ${outcome.reason}`, following);
      this.logger.warn({ subscriptionId: sub.id, slot, reason: outcome.reason }, 'digest delivery given up');
      return following;
    }
    // Not advanced: the next tick tries this slot again (while it is within the grace window).
    this.record(delivered, slot, 'failed', [], `attempt ${attempt}/${this.maxAttempts}: ${outcome.reason}`);
    this.logger.info({ subscriptionId: sub.id, slot, attempt, reason: outcome.reason }, 'digest delivery will be retried');
    return undefined;
  }

  /** Records the slot as skipped and moves to the first slot still inside the grace window. */
  private skip(sub: Subscription, slot: string, run: RunState): string {
    const firstKept = new Date(run.now.getTime() - this.graceMs - 1);
    let missed = 1;
    let last = slot;
    let next = nextDueAfter(sub.time, sub.timezone, new Date(slot));
    // Counting is only for the record; a year of downtime is still cheap, beyond that it is capped.
    while (next <= firstKept && missed < 1000) {
      missed++;
      last = next.toISOString();
      next = nextDueAfter(sub.time, sub.timezone, next);
    }
    const resume = next <= firstKept ? nextDueAfter(sub.time, sub.timezone, firstKept) : next;
    const range = missed === 1 ? slot : `${missed} slots, ${slot} to ${last}`;
    this.record(sub, slot, 'skipped', [], `missed ${range}: more than ${formatHours(this.graceMs)} late`, resume.toISOString());
    run.report.skipped++;
    return resume.toISOString();
  }

  /** Takes an in-flight send left by a crash as delivered (see recover()); returns the new next due. */
  private settleInFlight(sub: Subscription, row: DeliveryRecord, now: Date): string {
    const current = row.slot === sub.nextDueAt;
    const following = current ? this.nextSlot(sub, row.slot, now) : sub.nextDueAt;
    this.logger.warn(
      { subscriptionId: sub.id, target: targetKey(sub.target), topic: sub.topic, slot: row.slot },
      'a digest was being sent when the process stopped; taking it as delivered and not resending it',
    );
    const detail = `unconfirmed: the process stopped while sending${row.detail ? ` (${row.detail})` : ''}`;
    this.store.recordDelivery({ ...row, status: 'sent', detail }, sub.target, current ? following : undefined);
    return following;
  }

  private buildDigest(sub: Subscription): { ok: true; digest: Digest } | { ok: false; reason: string } {
    const result = this.app.news(sub.topicKey, {
      count: this.count,
      excludeIds: this.store.sentArticleIds(sub.target),
    });
    if (!result.ok) return { ok: false, reason: `${result.code}: ${result.message}` };
    // Resolution falls back to prefixes; a vanished topic must not turn into a different one.
    if (result.digest.topicKey !== sub.topicKey) {
      return { ok: false, reason: `unknown-topic: "${sub.topic}" has no articles any more` };
    }
    return result;
  }

  private async deliver(target: Target, digest: Digest, hooks: DeliverHooks): Promise<DeliveryOutcome> {
    const deliverer = this.deliverers.get(target.platform);
    if (!deliverer) return { ok: false, permanent: false, reason: `no deliverer for ${target.platform}` };
    try {
      return await deliverer.deliver(target, digest, hooks);
    } catch (error) {
      // Deliverers report platform errors as outcomes; a throw is a bug, retried like a transient error.
      this.logger.error({ err: error, target: targetKey(target) }, 'deliverer threw instead of returning an outcome');
      return { ok: false, permanent: false, reason: `deliverer threw: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private record(
    sub: Subscription,
    slot: string,
    status: DeliveryRecord['status'],
    articleIds: string[],
    detail: string | null,
    nextDueAt?: string,
  ): void {
    this.store.recordDelivery({ subscriptionId: sub.id, slot, status, articleIds, detail }, sub.target, nextDueAt);
  }

  /** The slot after `slot`, never one already past: a late delivery does not trigger a second one. */
  private nextSlot(sub: Subscription, slot: string, now: Date): string {
    const from = Math.max(now.getTime(), Date.parse(slot));
    return nextDueAfter(sub.time, sub.timezone, new Date(from)).toISOString();
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

/** Transient attempts recorded in a 'failed' row's detail ("attempt 2/5: …"); 0 for a final failure. */
function attemptsIn(row: DeliveryRecord): number {
  const match = /^attempt (\d+)\//.exec(row.detail ?? '');
  return match ? Number(match[1]) : 0;
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

/** node-cron's own messages (missed runs, overlap) go to the app's log. */
function cronLogger(logger: Logger) {
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message: string) => logger.info(`node-cron: ${message}`),
    warn: (message: string) => logger.warn(`node-cron: ${message}`),
    error: (message: string | Error, err?: Error) => logger.error({ err: err ?? message }, `node-cron: ${text(message)}`),
    debug: (message: string | Error) => logger.debug(`node-cron: ${text(message)}`),
  };
}
