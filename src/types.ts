import type { Provider, Subscription, Target } from './model.js';
import type { CommandError, SubscriptionOptionName } from './command-errors.js';

/** How an item's score came about; `total` = topicMatch × quality × recency × heat (× coverage × news for stories). */
export interface ScoreExplanation {
  total: number;
  /** ln(total): compared instead of total, which underflows to 0 for articles years old. */
  logScore: number;
  topicMatch: number;
  quality: number;
  recency: number;
  heat: number;
  /** Age of the story's latest article (of the article, for a single article's score). */
  ageHours: number;
  /** Stories: 1 + COVERAGE_WEIGHT × ln(outlets). */
  coverage?: number;
  /** Stories: distinct outlets covering the story. */
  outlets?: number;
  /** Stories: 1, or RANK.NON_NEWS_FACTOR when the lead reads as non-news. */
  news?: number;
  /** Stories: why the lead reads as non-news ("how-to", "market report", "stale", …), when it does. */
  nonNews?: string;
}

export interface DigestLink {
  title: string;
  url: string;
  provider: Provider;
  publishedAt: string | null;
}

export interface DigestItem {
  articleId: string;
  title: string;
  url: string;
  provider: Provider;
  /** ISO 8601 UTC. */
  publishedAt: string;
  type: string;
  /** Plain text, cut at a word boundary. */
  excerpt: string;
  /** The best other coverage from the article's related list. */
  related: DigestLink[];
  /** Other stored articles about the same story, folded into this item. */
  alsoCoveredBy: DigestLink[];
  /** Every article id this item stands for (the item itself and the stories folded in). */
  articleIds: string[];
  score: ScoreExplanation;
}

/** A digest is plain data; each adapter renders it in its own markup. */
export interface Digest {
  /** Display name of the topic. */
  topic: string;
  topicKey: string;
  /** ISO 8601 UTC. */
  generatedAt: string;
  items: DigestItem[];
  /** Live articles matching the topic, before exclusions and the count limit. */
  matched: number;
  /** The publication window ranked (ISO 8601 UTC); `days` is the configured /news window. */
  window?: { since: string; until: string; days: number };
  /** True when the window held nothing on the topic and the items are the latest stories before it. */
  stale?: boolean;
  /** Which page of the ranking this is (NewsOptions.page); absent or 0: the first. */
  page?: number;
}

/** A story as `newsbrief stories` reports it: its lead and every member article (the lead included). */
export interface StoryView {
  title: string;
  url: string;
  provider: Provider;
  publishedAt: string;
  score: ScoreExplanation;
  outlets: number;
  articles: { id: string; url: string; title: string; provider: Provider; publishedAt: string }[];
}

export interface StoriesResult {
  ok: true;
  topic: string | null;
  since: string;
  until: string;
  stories: StoryView[];
}

export interface TopicSuggestion {
  name: string;
  key: string;
  count: number;
}

export type { CommandError, CommandErrorCode, CommandErrorParams } from './command-errors.js';

export type NewsResult = { ok: true; digest: Digest } | CommandError;

export interface SubscriptionView {
  subscription: Subscription;
  /** Next delivery, ISO 8601 UTC. */
  nextDelivery: string;
  /** Next delivery in the subscription's zone, e.g. "Fri 27 Nov, 08:00 (Europe/Kyiv)". */
  nextDeliveryLocal: string;
}

export type SubscribeResult =
  /** `changed`: the options an edit changed (empty for a new subscription, or when nothing differed). */
  | { ok: true; created: boolean; changed: SubscriptionOptionName[]; view: SubscriptionView }
  | CommandError;

export type UnsubscribeResult = { ok: true; removed: string[] } | CommandError;

/** /pause and /resume: the subscriptions it changed, and those already in that state. */
export type PauseResult = { ok: true; action: 'pause' | 'resume'; changed: SubscriptionView[]; unchanged: SubscriptionView[] } | CommandError;

/** /preview: the digest the subscription's next slot would bring now, and the instant it holds news since. */
export type PreviewResult = { ok: true; view: SubscriptionView; digest: Digest; since: string } | CommandError;

/**
 * /timezone: the zone set; `moved` names the subscriptions that follow the chat's zone (now in it, same
 * local times), `kept` those with a zone of their own; `updated` is how many moved.
 */
export type TimezoneResult =
  | { ok: true; timezone: string; updated: number; moved: string[]; kept: { topic: string; timezone: string }[] }
  | CommandError;

export type { Target };
