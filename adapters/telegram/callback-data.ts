import { createHash } from 'node:crypto';

/** Telegram rejects callback_data longer than this many bytes (UTF-8). */
export const CALLBACK_DATA_LIMIT = 64;

/** Callback data longer than this (characters) is not even split: it cannot be ours. */
const FORGED_DATA_LIMIT = 1024;

/**
 * What pressing an inline button asks for. `more` (under a digest) asks for page `page` of the topic's /news
 * ranking, `unseen` leaving out what the chat was ever sent (under a scheduled digest); `drop` (under a
 * scheduled digest) removes that digest's subscription without touching the digest itself.
 */
export type ButtonAction =
  | { kind: 'news'; topicKey: string; count?: number }
  | { kind: 'subscribe'; topicKey: string; time?: string; timezone?: string }
  | { kind: 'unsubscribe'; topicKey: string }
  | { kind: 'more'; topicKey: string; count: number; page: number; unseen?: boolean }
  | { kind: 'drop'; topicKey: string };

/** A decoded button: the topic is either the key itself or a hash of it, when the key was too long. */
export type DecodedAction =
  | { kind: 'news'; topic: TopicRef; count?: number }
  | { kind: 'subscribe'; topic: TopicRef; time?: string; timezone?: string }
  | { kind: 'unsubscribe'; topic: TopicRef }
  | { kind: 'more'; topic: TopicRef; count: number; page: number; unseen: boolean }
  | { kind: 'drop'; topic: TopicRef };

/** The first character of each kind's data; handlers route on it. */
export const ACTION_PREFIXES = 'nsumx';

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
  const encoded = encodeWithin(action);
  if (encoded !== undefined) return encoded;
  // Only a zone name longer than any real one could push a subscribe button past the limit: drop it, once.
  const zoneless = action.kind === 'subscribe' && action.timezone !== undefined ? encodeWithin({ ...action, timezone: undefined }) : undefined;
  if (zoneless !== undefined) return zoneless;
  throw new RangeError(`encodeAction: a ${action.kind} button cannot fit ${CALLBACK_DATA_LIMIT} bytes of callback data even with its topic hashed`);
}

/** Whether encodeAction can encode the action (a subscribe button with a very long time cannot). */
export function fitsCallbackData(action: ButtonAction): boolean {
  return encodeWithin(action) !== undefined || (action.kind === 'subscribe' && encodeWithin({ ...action, timezone: undefined }) !== undefined);
}

function headOf(action: ButtonAction): string {
  switch (action.kind) {
    case 'news':
      return `n|${action.count ?? ''}|`;
    case 'subscribe':
      return `s|${action.time ?? ''}|${action.timezone ?? ''}|`;
    case 'unsubscribe':
      return 'u|';
    case 'more':
      return `m|${action.count}|${action.page}|${action.unseen ? 'u' : ''}|`;
    case 'drop':
      return 'x|';
  }
}

/** The action as it is, else with its topic hashed; undefined when even that is over the limit. */
function encodeWithin(action: ButtonAction): string | undefined {
  const head = headOf(action);
  const plain = head + action.topicKey;
  if (bytes(plain) <= CALLBACK_DATA_LIMIT && !action.topicKey.startsWith(HASH_MARK)) return plain;
  const hashed = head + HASH_MARK + topicHash(action.topicKey);
  return bytes(hashed) <= CALLBACK_DATA_LIMIT ? hashed : undefined;
}

/** A plain decimal of at most three digits: what the buttons write (counts and pages are small). */
function wholeNumber(text: string): number | undefined {
  return /^\d{1,3}$/.test(text) ? Number(text) : undefined;
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
  // The digest buttons are newer than any forged-data leniency: over Telegram's limit is simply not ours.
  if ((kind === 'm' || kind === 'x') && bytes(data) > CALLBACK_DATA_LIMIT) return undefined;
  if (kind === 'm' && fields.length >= 4) {
    const [count, page, unseen, ...rest] = fields;
    const n = wholeNumber(count!);
    const p = wholeNumber(page!);
    if (n === undefined || n < 1 || p === undefined || (unseen !== '' && unseen !== 'u')) return undefined;
    return { kind: 'more', topic: topicRef(rest.join('|')), count: n, page: p, unseen: unseen === 'u' };
  }
  if (kind === 'x' && fields.length >= 1) return { kind: 'drop', topic: topicRef(fields.join('|')) };
  return undefined;
}

/** The key a button refers to, looked up among the keys that exist now. */
export function resolveTopicRef(ref: TopicRef, keys: Iterable<string>): string | undefined {
  if ('key' in ref) return ref.key;
  for (const key of keys) if (topicHash(key) === ref.hash) return key;
  return undefined;
}
