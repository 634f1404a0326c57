/**
 * What an operator may set on a feed source (`newsbrief sources add`, `sources import`): topics, quality, name,
 * a reason for disabling it, and whether private addresses are allowed. Each check returns the cleaned value or
 * a sentence naming what was wrong.
 */
import { MAX_TOPIC_LENGTH, cleanText, normalizeTopic } from '../src/index.js';
import { FEED_ARTICLE } from '../adapters/sources/feeds/articles.js';

export const FEED_SETTINGS = {
  /** Topics one feed's articles are filed under, at most. */
  MAX_TOPICS: 10,
  MAX_NAME: 100,
  MAX_REASON: 200,
  DEFAULT_QUALITY: FEED_ARTICLE.DEFAULT_QUALITY,
} as const;

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** One topic name: white space folded, controls removed; refused when empty, too long, or holding a comma. */
export function checkTopic(raw: string): Checked<string> {
  const topic = cleanText(raw);
  if (topic === '' || normalizeTopic(topic) === '') return { ok: false, message: 'a topic must have letters or digits' };
  if (topic.length > MAX_TOPIC_LENGTH) return { ok: false, message: `a topic is at most ${MAX_TOPIC_LENGTH} characters ("${topic.slice(0, 30)}…" has ${topic.length})` };
  // Exported as an OPML category, where commas separate names and a leading "/" starts a path.
  if (topic.includes(',')) return { ok: false, message: `a topic cannot contain a comma ("${topic.slice(0, 60)}"): give each with its own --topic` };
  if (topic.startsWith('/')) return { ok: false, message: `a topic cannot start with "/" ("${topic.slice(0, 60)}")` };
  return { ok: true, value: topic };
}

/**
 * A feed's topics, in the order given, one per name (`AI` and `ai` are one topic): every name must pass
 * `checkTopic`, and there must be 1 to MAX_TOPICS of them.
 */
export function checkTopics(raw: readonly string[]): Checked<string[]> {
  if (raw.length === 0) return { ok: false, message: 'at least one --topic is required, e.g. --topic AI' };
  const topics = new Map<string, string>();
  for (const name of raw) {
    const topic = checkTopic(name);
    if (!topic.ok) return { ok: false, message: `--topic: ${topic.message}` };
    const key = normalizeTopic(topic.value);
    if (!topics.has(key)) topics.set(key, topic.value);
  }
  if (topics.size > FEED_SETTINGS.MAX_TOPICS) {
    return { ok: false, message: `--topic: a feed has at most ${FEED_SETTINGS.MAX_TOPICS} topics, not ${topics.size}` };
  }
  return { ok: true, value: [...topics.values()] };
}

/**
 * Topic names read from a file (OPML folders and categories): the usable ones, one per name, at most
 * MAX_TOPICS; the rest are left out rather than refusing the feed.
 */
export function usableTopics(raw: readonly string[]): string[] {
  const topics = new Map<string, string>();
  for (const name of raw) {
    const topic = checkTopic(name);
    if (!topic.ok) continue;
    const key = normalizeTopic(topic.value);
    if (!topics.has(key)) topics.set(key, topic.value);
    if (topics.size === FEED_SETTINGS.MAX_TOPICS) break;
  }
  return [...topics.values()];
}

/** --quality: a number from 0 to 100 (decimals allowed), as the articles of the feed will have. */
export function checkQuality(raw: string): Checked<number> {
  const text = raw.trim();
  if (/^\d{1,3}(\.\d{1,6})?$/.test(text)) {
    const quality = Number(text);
    if (quality <= 100) return { ok: true, value: quality };
  }
  return { ok: false, message: `--quality must be a number from 0 to 100, not "${cleanText(raw).slice(0, 20)}"` };
}

/** --name: the feed's name in digests; "" means none (the feed's own title is shown). */
export function checkName(raw: string): Checked<string | null> {
  const name = cleanText(raw);
  if (name === '') return { ok: true, value: null };
  if (name.length > FEED_SETTINGS.MAX_NAME) {
    return { ok: false, message: `--name is at most ${FEED_SETTINGS.MAX_NAME} characters, not ${name.length}` };
  }
  return { ok: true, value: name };
}

/** --reason for `sources disable`. */
export function checkReason(raw: string): Checked<string> {
  const reason = cleanText(raw);
  if (reason === '') return { ok: false, message: '--reason must not be empty' };
  if (reason.length > FEED_SETTINGS.MAX_REASON) {
    return { ok: false, message: `--reason is at most ${FEED_SETTINGS.MAX_REASON} characters, not ${reason.length}` };
  }
  return { ok: true, value: reason };
}

/**
 * FEEDS_ALLOW_PRIVATE from the environment: `on` lets feeds live on private and loopback addresses (intranet
 * feeds), `off` or unset refuses them. The same setting must be on for `npm start`, which fetches the feeds.
 */
export function allowPrivateSetting(env: Record<string, string | undefined>): Checked<boolean> {
  const value = env.FEEDS_ALLOW_PRIVATE?.trim() ?? '';
  if (value === '' || value === 'off') return { ok: true, value: false };
  if (value === 'on') return { ok: true, value: true };
  return { ok: false, message: `FEEDS_ALLOW_PRIVATE must be "on" or "off" (got "${cleanText(value).slice(0, 60)}")` };
}
