import type { Target } from './model.js';
import type { Candidate, Clock, Storage, TopicCount } from './ports.js';
import { recencyWeight } from './indexing.js';
import { TopicIndex, type TopicAliases, type TopicFallbacks } from './topics.js';
import { buildDigest, DIGEST, rankStories, type DigestOptions } from './digest.js';
import { parseTime, parseTimezone, nextDueAfter, describeLocal } from './clock.js';
import type {
  CommandError,
  NewsResult,
  StoriesResult,
  SubscribeResult,
  SubscriptionView,
  TimezoneResult,
  TopicSuggestion,
  UnsubscribeResult,
} from './types.js';
import type { Subscription } from './model.js';
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
}

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
    const digest = await buildDigest(this.storage.articles, resolved, {
      ...this.digestOptions,
      now: this.clock(),
      count,
      excludeIds: options.excludeIds,
      since: options.since,
    });
    return { ok: true, digest };
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

  /** Subscribes a target to a daily digest at a local time (defaults: 08:00, the target's zone or UTC). */
  async subscribe(target: Target, topic: string | undefined, time?: string, timezone?: string): Promise<SubscribeResult> {
    if (topic === undefined || topic.trim() === '') {
      return commandError('missing-topic', { command: 'subscribe', suggestions: await this.mainTopics() });
    }
    const resolved = (await this.topics()).resolve(topic);
    if (!resolved) return this.unknownTopic('subscribe', topic);
    const parsedTime = parseTime(time ?? DEFAULT_TIME);
    if (!parsedTime.ok) return parsedTime;
    const zone = parseTimezone(timezone ?? (await this.storage.subscriptions.getTimezone(target)) ?? this.defaultTimezone);
    if (!zone.ok) return zone;
    const existing = await this.storage.subscriptions.listSubscriptions(target);
    if (
      existing.length >= MAX_SUBSCRIPTIONS_PER_TARGET &&
      !existing.some((s) => s.topicKey === resolved.key)
    ) {
      return commandError('too-many-subscriptions', { count: existing.length, max: MAX_SUBSCRIPTIONS_PER_TARGET });
    }
    const nextDueAt = nextDueAfter(parsedTime.value, zone.value, this.clock()).toISOString();
    const { subscription, created } = await this.storage.subscriptions.upsertSubscription({
      target,
      topic: resolved.name,
      topicKey: resolved.key,
      time: parsedTime.value,
      timezone: zone.value,
      nextDueAt,
    });
    return { ok: true, created, view: this.view(subscription) };
  }

  /** Removes one subscription, or every one with `all`. */
  async unsubscribe(target: Target, topic: string | undefined): Promise<UnsubscribeResult> {
    const subs = await this.storage.subscriptions.listSubscriptions(target);
    const subscribed = subs.map((s) => ({ key: s.topicKey, name: s.topic, count: 0 }));
    if (topic === undefined || topic.trim() === '') {
      return commandError('missing-topic', { command: 'unsubscribe', suggestions: subscribed });
    }
    if (subs.length === 0) return commandError('no-subscriptions', {});
    if (topic.trim().toLowerCase() === 'all') {
      await this.storage.subscriptions.removeAllSubscriptions(target);
      return { ok: true, removed: subs.map((s) => s.topic) };
    }
    const resolved = (await this.topics()).resolve(topic);
    const match = subs.find((s) => s.topicKey === (resolved?.key ?? TopicIndex.normalize(topic)));
    if (!match) return commandError('not-subscribed', { topic: topic.trim(), subscribed });
    await this.storage.subscriptions.removeSubscription(target, match.topicKey);
    return { ok: true, removed: [match.topic] };
  }

  /** The target's subscriptions with their next delivery times. */
  async subscriptions(target: Target): Promise<SubscriptionView[]> {
    return (await this.storage.subscriptions.listSubscriptions(target)).map((s) => this.view(s));
  }

  /** Sets the target's default zone and moves its existing subscriptions to it (same local times). */
  async setTimezone(target: Target, timezone: string | undefined): Promise<TimezoneResult> {
    const zone = parseTimezone(timezone ?? '');
    if (!zone.ok) return zone;
    await this.storage.subscriptions.setTimezone(target, zone.value);
    let updated = 0;
    for (const sub of await this.storage.subscriptions.listSubscriptions(target)) {
      await this.storage.subscriptions.upsertSubscription({
        target,
        topic: sub.topic,
        topicKey: sub.topicKey,
        time: sub.time,
        timezone: zone.value,
        nextDueAt: nextDueAfter(sub.time, zone.value, this.clock()).toISOString(),
      });
      updated++;
    }
    return { ok: true, timezone: zone.value, updated };
  }

  /** The target's zone: set with setTimezone, else the default (UTC unless configured). */
  async timezone(target: Target): Promise<string> {
    return (await this.storage.subscriptions.getTimezone(target)) ?? this.defaultTimezone;
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

/** The count /news takes, within the catalogue's limits. */
function parseCount(value: number | string | undefined): number | CommandError {
  if (value === undefined || value === '') return DEFAULT_COUNT;
  const { min = 1, max = MAX_COUNT } = commandArgument('news', 'count');
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) return commandError('bad-count', { min, max, given: String(value).trim() });
  return n;
}
