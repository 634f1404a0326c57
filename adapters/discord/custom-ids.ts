import { createHash } from 'node:crypto';
import { MAX_COUNT, NEWS_MAX_PAGE } from '../../src/index.js';

/** Discord rejects a component custom_id longer than this. */
export const CUSTOM_ID_LIMIT = 100;

/** Every id this bot writes starts with this; a later format gets a new version and old buttons read as stale. */
const VERSION = 'nb1';
const SEPARATOR = ':';
/** Topic keys at most this long go into an id as they are; longer ones (or ones starting with #) as a hash. */
const PLAIN_KEY_LIMIT = 60;
const HASH_MARK = '#';

/** A topic as a button or menu option names it: its key, or a hash of a key too long to carry. */
export type TopicRef = { key: string } | { hash: string };

/** What pressing a button or picking from a menu asks for. */
export type ComponentAction =
  /** The `page` (1-based from the first extra page, ≤ NEWS_MAX_PAGE) of the ranking, `count` stories a page. */
  | { kind: 'more'; topic: TopicRef; count: number; page: number }
  /** Removes this channel's subscription to the topic. */
  | { kind: 'unsubscribe'; topic: TopicRef }
  /** The /subscribe topic menu: the picked option's value is a topic ref. */
  | { kind: 'pick' };

/** A short, stable stand-in for a topic key too long for a custom id. */
export function topicHash(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

/** How a topic key is written into an id or a menu value (≤ 60 characters). */
export function topicRefText(key: string): string {
  return key.length <= PLAIN_KEY_LIMIT && key.length > 0 && !key.startsWith(HASH_MARK) ? key : HASH_MARK + topicHash(key);
}

/** Reads what topicRefText wrote; undefined for an empty or overlong value. */
export function readTopicRef(text: string): TopicRef | undefined {
  if (text.length === 0 || text.length > PLAIN_KEY_LIMIT) return undefined;
  if (!text.startsWith(HASH_MARK)) return { key: text };
  const hash = text.slice(HASH_MARK.length);
  return /^[A-Za-z0-9_-]{16}$/.test(hash) ? { hash } : undefined;
}

/** The key among `keys` that a ref names, if any. */
export function findTopicKey(ref: TopicRef, keys: Iterable<string>): string | undefined {
  for (const key of keys) {
    if ('key' in ref ? key === ref.key : topicHash(key) === ref.hash) return key;
  }
  return undefined;
}

/** The custom_id for an action, always within Discord's 100 characters. */
export function encodeCustomId(action: { kind: 'more'; topicKey: string; count: number; page: number } | { kind: 'unsubscribe'; topicKey: string } | { kind: 'pick' }): string {
  switch (action.kind) {
    case 'more':
      return [VERSION, 'more', action.count, action.page, topicRefText(action.topicKey)].join(SEPARATOR);
    case 'unsubscribe':
      return [VERSION, 'unsub', topicRefText(action.topicKey)].join(SEPARATOR);
    case 'pick':
      return [VERSION, 'pick'].join(SEPARATOR);
  }
}

function wholeIn(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^\d{1,3}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/**
 * Reads a custom_id written by encodeCustomId. Anything else (another version, an unknown kind, numbers out of
 * range, an overlong id: old or forged components) is undefined, which the caller answers as a stale button.
 */
export function decodeCustomId(customId: unknown): ComponentAction | undefined {
  if (typeof customId !== 'string' || customId.length > CUSTOM_ID_LIMIT) return undefined;
  const [version, kind, ...fields] = customId.split(SEPARATOR);
  if (version !== VERSION) return undefined;
  if (kind === 'more' && fields.length >= 3) {
    const [count, page, ...rest] = fields;
    const n = wholeIn(count, 1, MAX_COUNT);
    const p = wholeIn(page, 1, NEWS_MAX_PAGE);
    // A topic key may itself contain the separator: everything after the page is the ref.
    const topic = readTopicRef(rest.join(SEPARATOR));
    if (n === undefined || p === undefined || !topic) return undefined;
    return { kind: 'more', topic, count: n, page: p };
  }
  if (kind === 'unsub' && fields.length >= 1) {
    const topic = readTopicRef(fields.join(SEPARATOR));
    return topic ? { kind: 'unsubscribe', topic } : undefined;
  }
  if (kind === 'pick' && fields.length === 0) return { kind: 'pick' };
  return undefined;
}
