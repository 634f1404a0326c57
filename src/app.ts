import type { Target } from './model.js';
import type { Candidate, Clock, Storage, TopicCount } from './ports.js';
import { recencyWeight } from './indexing.js';
import { TopicIndex, type TopicAliases, type TopicFallbacks } from './topics.js';
import { buildDigest, DIGEST, rankStories, type DigestOptions } from './digest.js';
import { parseTimezone, nextDueFor, describeLocal } from './clock.js';
import { parseSubscribeInput, type SubscribeInput, type SubscriptionEdit } from './subscription-options.js';
import { buildSubscriptionDigest, FIRST_LOOKBACK_HOURS, type ScheduledDigestSettings } from './subscription-digest.js';
import type { SubscriptionChanges } from './ports.js';
import type { SubscriptionOptionName } from './command-errors.js';
import type {
  CommandError,
  NewsResult,
  PauseResult,
  PreviewResult,
  StoriesResult,
  SubscribeResult,
  SubscriptionView,
  TimezoneResult,
  TopicSuggestion,
  UnsubscribeResult,
} from './types.js';
import { ALL_WEEKDAYS, type Schedule, type Subscription } from './model.js';
import { commandError } from './command-errors.js';
import { commandArgument, DEFAULT_COUNT, DEFAULT_TIME, DEFAULT_TIMEZONE, MAX_COUNT } from './commands.js';

export { DEFAULT_COUNT, DEFAULT_TIME, DEFAULT_TIMEZONE, MAX_COUNT };
export const MAX_SUBSCRIPTIONS_PER_TARGET = 25;

export interface NewsbriefOptions {
  storage: Storage;
  /** Current time; a parameter so tests and schedulers control it. */
  clock?: Clock;
  aliases?: TopicAliases;
  /** Broader topics to answer with when a named topic has no articles (default: DEFAULT_TOPIC_FALLBACKS). */
  fallbacks?: TopicFallbacks;
  digest?: Partial<Omit<DigestOptions, 'now' | 'count' | 'excludeIds' | 'since'>>;
  /** Zone for subscriptions of chats that never set one (default UTC). */
  defaultTimezone?: string;
}

export interface NewsOptions {
  count?: number | string;
  excludeIds?: ReadonlySet<string>;
  /** Only articles published after this count (a scheduled digest passes the previous delivery). */
  since?: Date;
  /**
   * Which page of the ranking (0 = the first `count` stories): a "More" button asks for the next one. Each
   * page is the best `count` stories left once the earlier pages' articles are set aside, so no story shows
   * twice. Out-of-range pages (a forged or stale button) are read as the nearest one from 0 to NEWS_MAX_PAGE.
   */
  page?: number;
}

/** The last page a "More" button can reach (0-based): 6 pages of up to 10 stories. */
export const NEWS_MAX_PAGE = 5;

export interface StoriesOptions {
  /** Default: now minus the /news window. */
  since?: Date;
  /** Default: now. Articles after `until` are not read. */
  until?: Date;
}

/**
 * The platform-neutral commands: every adapter calls these and renders what they return. Expected
 * failures (unknown topic, bad time) come back as values: a code with its parameters, which each adapter
 * words in its own syntax.
 */
export class Newsbrief {
  readonly storage: Storage;
  readonly clock: Clock;
  private readonly aliases: TopicAliases | undefined;
  private readonly fallbacks: TopicFallbacks | undefined;
  private readonly digestOptions: NewsbriefOptions['digest'];
  private readonly defaultTimezone: string;
  private topicIndex: Promise<TopicIndex> | undefined;
  private scheduled: ScheduledDigestSettings = { count: DEFAULT_COUNT, firstLookbackHours: FIRST_LOOKBACK_HOURS };
  private weightChecked: Promise<void> | undefined;

  constructor(options: NewsbriefOptions) {
    this.storage = options.storage;
    this.clock = options.clock ?? (() => new Date());
    this.aliases = options.aliases;
    this.fallbacks = options.fallbacks;
    this.digestOptions = options.digest;
    this.defaultTimezone = options.defaultTimezone ?? DEFAULT_TIMEZONE;
  }

  /** Call after ingest so topic lookups see new topics. */
  refreshTopics(): void {
    this.topicIndex = undefined;
  }

  /** Options the scheduler builds digests with (the same as /news). */
  get digestSettings(): NewsbriefOptions['digest'] {
    return this.digestOptions;
  }

  /** The topic aliases articles are indexed with. */
  get topicAliases(): TopicAliases | undefined {
    return this.aliases;
  }

  private async topics(): Promise<TopicIndex> {
    await this.ready();
    const pending = (this.topicIndex ??= this.storage.articles
      .topicCounts()
      .then((counts) => new TopicIndex(counts, this.aliases, this.fallbacks)));
    // A failed read is not remembered: the next command tries again.
    pending.catch(() => {
      if (this.topicIndex === pending) this.topicIndex = undefined;
    });
    return pending;
  }

  /**
   * Makes stored rank keys match the configured half-life (a change re-keys once). Commands call it
   * themselves; entry points call it at start so the re-key happens before the first request.
   */
  ready(): Promise<void> {
    const pending = (this.weightChecked ??= (async () => {
      const weight = recencyWeight(this.digestOptions?.halfLifeHours);
      if ((await this.storage.articles.rankWeight()) !== weight) await this.storage.articles.setRankWeight(weight);
    })());
    pending.catch(() => {
      if (this.weightChecked === pending) this.weightChecked = undefined;
    });
    return pending;
  }

  /** Known topics with live article counts, most articles first. */
  async listTopics(): Promise<TopicCount[]> {
    return (await this.topics()).all();
  }

  /** The main topics, for a keyboard or menu. */
  async mainTopics(limit = 8): Promise<TopicSuggestion[]> {
    return (await this.topics())
      .all()
      .slice(0, limit)
      .map(({ key, name, count }) => ({ key, name, count }));
  }

  /** Topic autocomplete: prefix matches first, then fuzzy ones, at most `limit`. */
  async completeTopic(partial: string, limit = 25): Promise<TopicSuggestion[]> {
    return (await this.topics()).complete(partial, limit);
  }

  /** The ranked digest for a topic now. */
  async news(topic: string | undefined, options: NewsOptions = {}): Promise<NewsResult> {
    // The count is checked first, so "/news AI 50" says what is wrong with 50 whatever the topic.
    const count = parseCount(options.count);
    if (typeof count !== 'number') return count;
    if (topic === undefined || topic.trim() === '') {
      return commandError('missing-topic', { command: 'news', suggestions: await this.mainTopics() });
    }
    const resolved = (await this.topics()).resolve(topic);
    if (!resolved) return this.unknownTopic('news', topic);
    const page = Number.isInteger(options.page) ? Math.min(Math.max(options.page!, 0), NEWS_MAX_PAGE) : 0;
    const now = this.clock();
    const excluded = new Set(options.excludeIds ?? []);
    for (let p = 0; ; p++) {
      const digest = await buildDigest(this.storage.articles, resolved, {
        ...this.digestOptions,
        now,
        count,
        excludeIds: excluded,
        since: options.since,
      });
      if (p === page || digest.items.length === 0) return { ok: true, digest: { ...digest, page: p } };
      for (const item of digest.items) for (const id of item.articleIds) excluded.add(id);
    }
  }

  /**
   * Every story formed from the stored articles published in [since, until] (default: the /news window up
   * to now), best first, each with all its member articles. Without a topic, all topics.
   */
  async stories(topic: string | undefined, options: StoriesOptions = {}): Promise<StoriesResult | CommandError> {
    const now = this.clock();
    const until = options.until ?? now;
    const windowDays = this.digestOptions?.windowDays ?? DIGEST.WINDOW_DAYS;
    const since = options.since ?? new Date(until.getTime() - windowDays * 86_400_000);
    let topicName: string | null = null;
    let candidates: Candidate[];
    if (topic !== undefined && topic.trim() !== '') {
      const resolved = (await this.topics()).resolve(topic);
      if (!resolved) return this.unknownTopic('stories', topic);
      topicName = resolved.name;
      candidates = await this.storage.articles.candidates({ topicKeys: [resolved.key], limit: Number.MAX_SAFE_INTEGER, since, until });
    } else {
      candidates = (await this.storage.articles.windowArticles(since, until)).map((article) => ({ article, topicMatch: 1 }));
    }
    const { stories } = rankStories(candidates, { now: until, halfLifeHours: this.digestOptions?.halfLifeHours });
    return {
      ok: true,
      topic: topicName,
      since: since.toISOString(),
      until: until.toISOString(),
      stories: stories.map((s) => {
        const a = s.lead.article;
        return {
          title: a.title,
          url: a.url,
          provider: a.provider,
          publishedAt: a.publishedAt,
          score: s.score,
          outlets: s.outlets,
          articles: s.members.map(({ article: m }) => ({
            id: m.id,
            url: m.url,
            title: m.title,
            provider: m.provider,
            publishedAt: m.publishedAt,
          })),
        };
      }),
    };
  }

  /**
   * Subscribes a target to a topic, or changes its subscription: the shorthand of subscribeWith for a time
   * and a zone. What is not given stays as it is (a new subscription: daily at 08:00 in the target's zone).
   */
  async subscribe(target: Target, topic: string | undefined, time?: string, timezone?: string): Promise<SubscribeResult> {
    return this.subscribeWith(target, topic, { ...(time !== undefined ? { time } : {}), ...(timezone !== undefined ? { timezone } : {}) });
  }

  /**
   * Subscribes a target to a topic with options, or edits the target's subscription to it: only the options
   * given change, each replacing that option whole (`include` given replaces the include list). A new one
   * gets defaults for the rest: daily at 08:00, in the target's zone (which it then follows), the
   * scheduler's count, no filters. A zone given is the subscription's own: /timezone leaves it alone.
   * Subscribing again also wakes a subscription the platform had deactivated; a paused one stays paused.
   */
  async subscribeWith(target: Target, topic: string | undefined, input: SubscribeInput = {}): Promise<SubscribeResult> {
    if (topic === undefined || topic.trim() === '') {
      return commandError('missing-topic', { command: 'subscribe', suggestions: await this.mainTopics() });
    }
    const resolved = (await this.topics()).resolve(topic);
    if (!resolved) return this.unknownTopic('subscribe', topic);
    const parsed = parseSubscribeInput(input);
    if (!parsed.ok) return parsed;
    const edit = parsed.value;
    const subs = this.storage.subscriptions;
    const existing = await subs.listSubscriptions(target);
    const current = existing.find((s) => s.topicKey === resolved.key);
    const now = this.clock();
    if (current) {
      const { changes, changed } = changesFor(current, edit);
      if (resolved.name !== current.topic) changes.topic = resolved.name;
      if (!current.active) changes.active = true;
      if (changes.schedule || changes.timezone !== undefined || changes.active) {
        changes.nextDueAt = nextDueFor({ schedule: changes.schedule ?? current.schedule, timezone: changes.timezone ?? current.timezone }, now).toISOString();
      }
      const updated = await subs.updateSubscription(current.id, changes);
      // Removed meanwhile (another command, another instance): subscribe afresh below.
      if (updated) return { ok: true, created: false, changed, view: this.view(updated) };
    }
    if (!current && existing.length >= MAX_SUBSCRIPTIONS_PER_TARGET) {
      return commandError('too-many-subscriptions', { count: existing.length, max: MAX_SUBSCRIPTIONS_PER_TARGET });
    }
    const timezone = edit.timezone ?? (await this.timezone(target));
    const schedule: Schedule = {
      kind: edit.days?.kind ?? 'daily',
      days: edit.days?.days ?? [...ALL_WEEKDAYS],
      times: edit.times ?? [DEFAULT_TIME],
    };
    const { subscription, created } = await subs.upsertSubscription({
      target,
      topic: resolved.name,
      topicKey: resolved.key,
      time: schedule.times[0]!,
      timezone,
      schedule,
      ownZone: edit.timezone !== undefined,
      count: edit.count ?? null,
      filters: {
        include: edit.include ?? [],
        exclude: edit.exclude ?? [],
        outlets: edit.outlets ?? [],
        minQuality: edit.minQuality ?? null,
      },
      nextDueAt: nextDueFor({ schedule, timezone }, now).toISOString(),
    });
    return { ok: true, created, changed: [], view: this.view(subscription) };
  }

  /** Removes one subscription, or every one with `all`. */
  async unsubscribe(target: Target, topic: string | undefined): Promise<UnsubscribeResult> {
    const found = await this.subscribedTo(target, topic, 'unsubscribe');
    if (!found.ok) return found;
    for (const sub of found.subscriptions) await this.storage.subscriptions.removeSubscription(target, sub.topicKey);
    return { ok: true, removed: found.subscriptions.map((s) => s.topic) };
  }

  /**
   * Pauses one subscription, or every one with `all`: not delivered until resumed, its settings kept.
   * Those already paused are reported as unchanged.
   */
  async pause(target: Target, topic: string | undefined): Promise<PauseResult> {
    const found = await this.subscribedTo(target, topic, 'pause');
    if (!found.ok) return found;
    const result: PauseResult = { ok: true, action: 'pause', changed: [], unchanged: [] };
    for (const sub of found.subscriptions) {
      const updated = sub.paused ? undefined : await this.storage.subscriptions.updateSubscription(sub.id, { paused: true });
      if (updated) result.changed.push(this.view(updated));
      else result.unchanged.push(this.view(sub));
    }
    return result;
  }

  /**
   * Resumes one paused subscription, or every one with `all`, from its next slot after now: the slots it
   * missed while paused are not delivered, and its next digest holds what is new since its last one.
   */
  async resume(target: Target, topic: string | undefined): Promise<PauseResult> {
    const found = await this.subscribedTo(target, topic, 'resume');
    if (!found.ok) return found;
    const now = this.clock();
    const result: PauseResult = { ok: true, action: 'resume', changed: [], unchanged: [] };
    for (const sub of found.subscriptions) {
      const updated = sub.paused
        ? await this.storage.subscriptions.updateSubscription(sub.id, { paused: false, nextDueAt: nextDueFor(sub, now).toISOString() })
        : undefined;
      if (updated) result.changed.push(this.view(updated));
      else result.unchanged.push(this.view(sub));
    }
    return result;
  }

  /**
   * What the subscription's next scheduled digest would hold if it were built now: the scheduler's own
   * builder, with the subscription's count and filters, articles since its last delivery, none already sent
   * here. Nothing is recorded or marked as sent.
   */
  async preview(target: Target, topic: string | undefined): Promise<PreviewResult> {
    const found = await this.subscribedTo(target, topic, 'preview', false);
    if (!found.ok) return found;
    const sub = found.subscriptions[0]!;
    const now = this.clock();
    const built = await buildSubscriptionDigest(this, sub, { slot: sub.nextDueAt, now, settings: this.scheduled });
    // A topic left without articles: the scheduler records a failure; the preview shows an empty digest.
    const digest = built.ok ? built.digest : { topic: sub.topic, topicKey: sub.topicKey, generatedAt: now.toISOString(), items: [], matched: 0 };
    return { ok: true, view: this.view(sub), since: (built.ok ? built.since : now).toISOString(), digest };
  }

  /**
   * What scheduled digests are built with (their default count and first look-back), so that /preview
   * shows what the scheduler will send; DigestScheduler calls it with its own settings.
   */
  useScheduledDigestSettings(settings: ScheduledDigestSettings): void {
    this.scheduled = { ...settings };
  }

  /** The target's subscriptions with their next delivery times. */
  async subscriptions(target: Target): Promise<SubscriptionView[]> {
    return (await this.storage.subscriptions.listSubscriptions(target)).map((s) => this.view(s));
  }

  /**
   * Sets the target's zone and moves the subscriptions that follow it (same local times, next slot
   * recomputed); those with a zone of their own keep it. The result names both.
   */
  async setTimezone(target: Target, timezone: string | undefined): Promise<TimezoneResult> {
    const zone = parseTimezone(timezone ?? '');
    if (!zone.ok) return zone;
    await this.storage.subscriptions.setTimezone(target, zone.value);
    const now = this.clock();
    const moved: string[] = [];
    const kept: { topic: string; timezone: string }[] = [];
    for (const sub of await this.storage.subscriptions.listSubscriptions(target)) {
      if (sub.ownZone) {
        kept.push({ topic: sub.topic, timezone: sub.timezone });
        continue;
      }
      if (sub.timezone !== zone.value) {
        const nextDueAt = nextDueFor({ schedule: sub.schedule, timezone: zone.value }, now).toISOString();
        await this.storage.subscriptions.updateSubscription(sub.id, { timezone: zone.value, nextDueAt });
      }
      moved.push(sub.topic);
    }
    return { ok: true, timezone: zone.value, updated: moved.length, moved, kept };
  }

  /** The target's zone: set with setTimezone, else the default (UTC unless configured). */
  async timezone(target: Target): Promise<string> {
    return (await this.storage.subscriptions.getTimezone(target)) ?? this.defaultTimezone;
  }

  /**
   * The target's subscriptions a command names: one topic (by name, alias or key), or every one with "all"
   * where `all` allows it. Errors for no topic, no subscriptions, or none to that topic.
   */
  private async subscribedTo(
    target: Target,
    topic: string | undefined,
    command: 'unsubscribe' | 'pause' | 'resume' | 'preview',
    all = true,
  ): Promise<{ ok: true; subscriptions: Subscription[] } | CommandError> {
    const subs = await this.storage.subscriptions.listSubscriptions(target);
    const subscribed = subs.map((s) => ({ key: s.topicKey, name: s.topic, count: 0 }));
    if (topic === undefined || topic.trim() === '') return commandError('missing-topic', { command, suggestions: subscribed });
    if (subs.length === 0) return commandError('no-subscriptions', {});
    if (all && topic.trim().toLowerCase() === 'all') return { ok: true, subscriptions: subs };
    const resolved = (await this.topics()).resolve(topic);
    const match = subs.find((s) => s.topicKey === (resolved?.key ?? TopicIndex.normalize(topic)));
    if (!match) {
      return commandError('not-subscribed', { topic: topic.trim(), subscribed, ...(command === 'unsubscribe' ? {} : { command }) });
    }
    return { ok: true, subscriptions: [match] };
  }

  view(subscription: Subscription): SubscriptionView {
    return {
      subscription,
      nextDelivery: subscription.nextDueAt,
      nextDeliveryLocal: describeLocal(new Date(subscription.nextDueAt), subscription.timezone),
    };
  }

  private async unknownTopic(command: 'news' | 'stories' | 'subscribe', topic: string): Promise<CommandError> {
    return commandError('unknown-topic', { command, topic: topic.trim(), suggestions: (await this.topics()).suggest(topic, 5) });
  }
}

/**
 * The changes an edit makes to a subscription: each option given that differs from what is stored, and the
 * names of those options. Times and days together make the schedule; filters are replaced list by list.
 */
function changesFor(current: Subscription, edit: SubscriptionEdit): { changes: SubscriptionChanges; changed: SubscriptionOptionName[] } {
  const changes: SubscriptionChanges = {};
  const changed: SubscriptionOptionName[] = [];
  const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const schedule = { ...current.schedule };
  if (edit.times && !same(edit.times, current.schedule.times)) {
    schedule.times = edit.times;
    changed.push('time');
  }
  if (edit.days && (edit.days.kind !== current.schedule.kind || !same(edit.days.days, current.schedule.days))) {
    schedule.kind = edit.days.kind;
    schedule.days = edit.days.days;
    changed.push('days');
  }
  if (changed.length > 0) changes.schedule = schedule;
  if (edit.timezone !== undefined && (edit.timezone !== current.timezone || !current.ownZone)) {
    // A zone given is the subscription's own from now on, even the one it already had.
    if (!current.ownZone) changes.ownZone = true;
    if (edit.timezone !== current.timezone) changes.timezone = edit.timezone;
    changed.push('timezone');
  }
  if (edit.count !== undefined && edit.count !== current.count) {
    changes.count = edit.count;
    changed.push('count');
  }
  const filters = { ...current.filters };
  for (const option of ['include', 'exclude', 'outlets'] as const) {
    const list = edit[option];
    if (list && !same(list, current.filters[option])) {
      filters[option] = list;
      changed.push(option);
    }
  }
  if (edit.minQuality !== undefined && edit.minQuality !== current.filters.minQuality) {
    filters.minQuality = edit.minQuality;
    changed.push('min');
  }
  if (changed.some((o) => o === 'include' || o === 'exclude' || o === 'outlets' || o === 'min')) changes.filters = filters;
  return { changes, changed };
}

/** The count /news takes, within the catalogue's limits. */
function parseCount(value: number | string | undefined): number | CommandError {
  if (value === undefined || value === '') return DEFAULT_COUNT;
  const { min = 1, max = MAX_COUNT } = commandArgument('news', 'count');
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) return commandError('bad-count', { min, max, given: String(value).trim() });
  return n;
}
