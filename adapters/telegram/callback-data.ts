import { createHash } from 'node:crypto';

/** Telegram rejects callback_data longer than this many bytes (UTF-8). */
export const CALLBACK_DATA_LIMIT = 64;

/** Callback data longer than this (characters) is not even split: it cannot be ours. */
const FORGED_DATA_LIMIT = 1024;

/** What pressing an inline button asks for. */
export type ButtonAction =
  | { kind: 'news'; topicKey: string; count?: number }
  | { kind: 'subscribe'; topicKey: string; time?: string; timezone?: string }
  | { kind: 'unsubscribe'; topicKey: string };

/** A decoded button: the topic is either the key itself or a hash of it, when the key was too long. */
export type DecodedAction =
  | { kind: 'news'; topic: TopicRef; count?: number }
  | { kind: 'subscribe'; topic: TopicRef; time?: string; timezone?: string }
  | { kind: 'unsubscribe'; topic: TopicRef };

export type TopicRef = { key: string } | { hash: string };

const HASH_MARK = '#';

/** A short, stable stand-in for a topic key that does not fit in callback_data. */
export function topicHash(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Encodes an action as callback_data of at most 64 bytes. The topic key goes last so it may contain
 * any character; a key that would not fit (or starts with the hash mark) is replaced by its hash.
 */
export function encodeAction(action: ButtonAction): string {
  const head =
    action.kind === 'news'
      ? `n|${action.count ?? ''}|`
      : action.kind === 'subscribe'
        ? `s|${action.time ?? ''}|${action.timezone ?? ''}|`
        : 'u|';
  const plain = head + action.topicKey;
  if (bytes(plain) <= CALLBACK_DATA_LIMIT && !action.topicKey.startsWith(HASH_MARK)) return plain;
  const hashed = head + HASH_MARK + topicHash(action.topicKey);
  // Only a zone name longer than any real one could push a subscribe button past the limit.
  if (bytes(hashed) > CALLBACK_DATA_LIMIT && action.kind === 'subscribe') {
    return encodeAction({ ...action, timezone: undefined });
  }
  return hashed;
}

function topicRef(rest: string): TopicRef {
  return rest.startsWith(HASH_MARK) ? { hash: rest.slice(HASH_MARK.length) } : { key: rest };
}

/** Reads callback_data written by encodeAction; anything else (old or forged buttons) is undefined. */
export function decodeAction(data: string | undefined): DecodedAction | undefined {
  // Telegram never delivers more than 64 bytes, but a forged update can carry anything: longer data is still
  // answered (as an unknown topic, in place), and data too long to be worth reading at all is refused.
  if (typeof data !== 'string' || data.length > FORGED_DATA_LIMIT) return undefined;
  const [kind, ...fields] = data.split('|');
  if (kind === 'n' && fields.length >= 2) {
    const [count, ...rest] = fields;
    const n = count === '' ? undefined : Number(count);
    if (n !== undefined && !Number.isInteger(n)) return undefined;
    return { kind: 'news', topic: topicRef(rest.join('|')), ...(n === undefined ? {} : { count: n }) };
  }
  if (kind === 's' && fields.length >= 3) {
    const [time, timezone, ...rest] = fields;
    return {
      kind: 'subscribe',
      topic: topicRef(rest.join('|')),
      ...(time ? { time } : {}),
      ...(timezone ? { timezone } : {}),
    };
  }
  if (kind === 'u' && fields.length >= 1) return { kind: 'unsubscribe', topic: topicRef(fields.join('|')) };
  return undefined;
}

/** The key a button refers to, looked up among the keys that exist now. */
export function resolveTopicRef(ref: TopicRef, keys: Iterable<string>): string | undefined {
  if ('key' in ref) return ref.key;
  for (const key of keys) if (topicHash(key) === ref.hash) return key;
  return undefined;
}
