import {
  type NewSubscription,
  type Subscription,
  type SubscriptionChanges,
  type SubscriptionStore,
  type Target,
  type TargetScope,
} from '../../../src/index.js';
import {
  compareText,
  inChat,
  keyTarget,
  normalTarget,
  targetKey,
  type MemoryDatabase,
  type MemoryTables,
  type SubscriptionRow,
} from './database.js';
import { filtersColumn, filtersFrom, settingsOf } from '../subscription-columns.js';

/** Subscriptions and chat settings in memory; ids count up from 1 and are never reused. */
export class MemorySubscriptionStore implements SubscriptionStore {
  constructor(private readonly db: MemoryDatabase) {}

  async upsertSubscription(sub: NewSubscription): Promise<{ subscription: Subscription; created: boolean }> {
    const t = this.db.use('subscriptions.upsertSubscription');
    const target = normalTarget(sub.target);
    const nextDueMs = Date.parse(sub.nextDueAt);
    const settings = settingsOf(sub);
    const existing = find(t, target, sub.topicKey);
    if (existing) {
      // Subscribing again also wakes a subscription paused by a kick or block.
      Object.assign(existing, { topic: sub.topic, timezone: sub.timezone, ...settings, nextDueMs, active: true, inactiveReason: null });
      return { subscription: toSubscription(existing), created: false };
    }
    const row: SubscriptionRow = {
      id: ++t.lastSubscriptionId,
      target,
      topic: sub.topic,
      topicKey: sub.topicKey,
      timezone: sub.timezone,
      ...settings,
      active: true,
      inactiveReason: null,
      nextDueMs,
      createdAt: new Date().toISOString(),
    };
    t.subscriptions.set(row.id, row);
    return { subscription: toSubscription(row), created: true };
  }

  async updateSubscription(id: number, changes: SubscriptionChanges): Promise<Subscription | undefined> {
    const row = this.db.use('subscriptions.updateSubscription').subscriptions.get(id);
    if (!row) return undefined;
    if (changes.topic !== undefined) row.topic = changes.topic;
    if (changes.schedule !== undefined) {
      row.schedule = { ...changes.schedule, days: [...changes.schedule.days], times: [...changes.schedule.times] };
      row.time = row.schedule.times[0] ?? row.time;
    }
    if (changes.timezone !== undefined) row.timezone = changes.timezone;
    if (changes.ownZone !== undefined) row.ownZone = changes.ownZone;
    if (changes.count !== undefined) row.count = changes.count;
    if (changes.filters !== undefined) row.filters = filtersFrom(filtersColumn(changes.filters));
    if (changes.paused !== undefined) row.paused = changes.paused;
    if (changes.active) Object.assign(row, { active: true, inactiveReason: null });
    if (changes.nextDueAt !== undefined) row.nextDueMs = Date.parse(changes.nextDueAt);
    return toSubscription(row);
  }

  async removeSubscription(target: Target, topicKey: string): Promise<boolean> {
    const t = this.db.use('subscriptions.removeSubscription');
    const row = find(t, normalTarget(target), topicKey);
    return row ? t.subscriptions.delete(row.id) : false;
  }

  async removeAllSubscriptions(target: Target): Promise<number> {
    const t = this.db.use('subscriptions.removeAllSubscriptions');
    const rows = ofTarget(t, normalTarget(target));
    for (const row of rows) t.subscriptions.delete(row.id);
    return rows.length;
  }

  async listSubscriptions(target: Target): Promise<Subscription[]> {
    const rows = ofTarget(this.db.use('subscriptions.listSubscriptions'), normalTarget(target));
    return rows.sort((a, b) => compareText(a.topic, b.topic) || a.id - b.id).map(toSubscription);
  }

  async getSubscription(id: number): Promise<Subscription | undefined> {
    const row = this.db.use('subscriptions.getSubscription').subscriptions.get(id);
    return row ? toSubscription(row) : undefined;
  }

  async setActive(scope: TargetScope, active: boolean, reason?: string): Promise<number> {
    const t = this.db.use('subscriptions.setActive');
    const rows = inScope(t, normalTarget(scope)).filter((row) => row.active !== active);
    for (const row of rows) Object.assign(row, { active, inactiveReason: active ? null : (reason ?? null) });
    return rows.length;
  }

  async migrateTarget(from: TargetScope, to: TargetScope): Promise<number> {
    const t = this.db.use('subscriptions.migrateTarget');
    const source = normalTarget(from);
    const destination = normalTarget(to);
    if (targetKey(source) === targetKey(destination)) return 0;
    // Without threads on either side the whole chat moves, each thread to the same thread of the new chat.
    const pairs: [Target, Target][] =
      source.threadId === undefined && destination.threadId === undefined
        ? chatThreads(t, source).map((threadId) => [withThread(source, threadId), withThread(destination, threadId)])
        : [[source, destination]];
    let moved = 0;
    for (const [a, b] of pairs) moved += moveTarget(t, a, b);
    return moved;
  }

  async getTimezone(target: Target): Promise<string | undefined> {
    return this.db.use('subscriptions.getTimezone').chatSettings.get(targetKey(normalTarget(target)));
  }

  async setTimezone(target: Target, timezone: string): Promise<void> {
    this.db.use('subscriptions.setTimezone').chatSettings.set(targetKey(normalTarget(target)), timezone);
  }

  async dueSubscriptions(now: Date, limit: number, platform?: string): Promise<Subscription[]> {
    const t = this.db.use('subscriptions.dueSubscriptions');
    const due = [...t.subscriptions.values()].filter(
      (row) => row.active && !row.paused && row.nextDueMs <= now.getTime() && (platform === undefined || row.target.platform === platform),
    );
    due.sort((a, b) => a.nextDueMs - b.nextDueMs || a.id - b.id);
    return due.slice(0, Math.max(limit, 0)).map(toSubscription);
  }

  async setNextDue(subscriptionId: number, nextDueAt: string): Promise<void> {
    const row = this.db.use('subscriptions.setNextDue').subscriptions.get(subscriptionId);
    if (row) row.nextDueMs = Date.parse(nextDueAt);
  }
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    target: { ...row.target },
    topic: row.topic,
    topicKey: row.topicKey,
    time: row.time,
    timezone: row.timezone,
    ownZone: row.ownZone,
    schedule: { ...row.schedule, days: [...row.schedule.days], times: [...row.schedule.times] },
    count: row.count,
    filters: filtersFrom(filtersColumn(row.filters)),
    paused: row.paused,
    active: row.active,
    nextDueAt: new Date(row.nextDueMs).toISOString(),
    createdAt: row.createdAt,
  };
}

/** The target's subscriptions (that target exactly, not its threads), by id. */
function ofTarget(t: MemoryTables, target: Target): SubscriptionRow[] {
  const key = targetKey(target);
  return [...t.subscriptions.values()].filter((row) => targetKey(row.target) === key);
}

function find(t: MemoryTables, target: Target, topicKey: string): SubscriptionRow | undefined {
  return ofTarget(t, target).find((row) => row.topicKey === topicKey);
}

/** A scope without a thread is the chat with all its threads. */
function inScope(t: MemoryTables, scope: Target): SubscriptionRow[] {
  if (scope.threadId !== undefined) return ofTarget(t, scope);
  return [...t.subscriptions.values()].filter((row) => inChat(row.target, scope));
}

/** The chat itself (undefined) and every thread of it that has subscriptions, settings or history. */
function chatThreads(t: MemoryTables, chat: Target): (string | undefined)[] {
  const threads = new Set<string | undefined>([undefined]);
  const targets = [
    ...[...t.subscriptions.values()].map((row) => row.target),
    ...[...t.chatSettings.keys(), ...t.sentArticles.keys()].map(keyTarget),
  ];
  for (const target of targets) if (inChat(target, chat)) threads.add(target.threadId);
  return [...threads];
}

function withThread(chat: Target, threadId: string | undefined): Target {
  return normalTarget({ platform: chat.platform, chatId: chat.chatId, threadId });
}

/**
 * Moves one target's subscriptions, time zone and sent history to another; where the destination already
 * has a subscription to a topic or a zone, the destination's wins. Returns subscriptions moved.
 */
function moveTarget(t: MemoryTables, from: Target, to: Target): number {
  let moved = 0;
  for (const row of ofTarget(t, from)) {
    if (find(t, to, row.topicKey)) {
      t.subscriptions.delete(row.id);
    } else {
      row.target = { ...to };
      moved++;
    }
  }
  const fromKey = targetKey(from);
  const toKey = targetKey(to);
  const sent = t.sentArticles.get(fromKey);
  if (sent) {
    const into = t.sentArticles.get(toKey) ?? new Set<string>();
    for (const id of sent) into.add(id);
    t.sentArticles.set(toKey, into);
    t.sentArticles.delete(fromKey);
  }
  const timezone = t.chatSettings.get(fromKey);
  if (timezone !== undefined) {
    if (!t.chatSettings.has(toKey)) t.chatSettings.set(toKey, timezone);
    t.chatSettings.delete(fromKey);
  }
  return moved;
}
