/** Only these URL schemes ever become links. */
export function safeHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > 2048) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.hostname.length === 0) return undefined;
  // Credentials in a seed URL must not be shown in a chat, and `https://trusted.example@evil.example/`
  // should read as the host it really goes to.
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

// Anything plainText would change: markup, controls, bidi overrides, zero-width characters, or white space
// other than single spaces. Every alternative looks at one or two characters: linear.
const NOT_PLAIN = /[<\u0000-\u001f\u007f-\u009f\u200b-\u200d\u2060\u202a-\u202e\u2066-\u2069\ufeff]|[^\S ]|\s\s|^\s|\s$/;

/**
 * Replaces each `<…>` with a space, as /<[^>]*>/g would, but in linear time: that regex rescans to the end
 * for every `<` without a closing `>`, so 20,000 of them took seconds.
 */
function stripTags(value: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = value.indexOf('<', from);
    const close = open === -1 ? -1 : value.indexOf('>', open + 1);
    if (close === -1) return out + value.slice(from);
    out += `${value.slice(from, open)} `;
    from = close + 1;
  }
}

const ZWJ = 0x200d;

/**
 * Removes zero-width characters (U+200B–U+200D, U+2060, U+FEFF), which make look-alike topics and titles
 * ("Sp\u200bace"). A joiner inside an emoji sequence (👩‍👩‍👧) stays: there it is what draws one picture.
 */
function stripZeroWidth(value: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(c >= 0x200b && c <= 0x200d) && c !== 0x2060 && c !== 0xfeff) continue;
    if (c === ZWJ && joinsEmoji(value.charCodeAt(i - 1), value.charCodeAt(i + 1))) continue;
    out += value.slice(from, i);
    from = i + 1;
  }
  return from === 0 ? value : out + value.slice(from);
}

// Emoji are astral (a surrogate pair), or in the symbol blocks, or end in a variation selector or keycap.
const joinsEmoji = (before: number, after: number) =>
  ((before >= 0xdc00 && before <= 0xdfff) || before === 0xfe0f || before === 0x20e3 || (before >= 0x2600 && before <= 0x27bf)) &&
  ((after >= 0xd800 && after <= 0xdbff) || (after >= 0x2600 && after <= 0x27bf));

/** Strips markup, control and zero-width characters and folds white space: seed text is shown as plain text only. */
export function plainText(value: string): string {
  // Most seed text is plain already: one test instead of four passes.
  if (!NOT_PLAIN.test(value)) return value;
  return clean(stripTags(value));
}

/**
 * As `plainText`, but `<` and `>` are kept as characters: for text already out of its markup, such as HTML
 * whose tags were stripped before its entities were decoded (`x &lt; y` is the text "x < y").
 */
export function cleanText(value: string): string {
  return NOT_PLAIN.test(value) ? clean(value) : value;
}

function clean(value: string): string {
  return stripZeroWidth(value)
    // C0/C1 controls (terminal escapes) and bidi overrides never reach a screen.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Removes the backslash of Markdown escapes the source left in its text (`2\^nd`, `\_`, `\*`, `\[`): the
 * text is plain, and each platform escapes it again as it needs. One character after each backslash: linear.
 */
export function unescapeMarkdown(value: string): string {
  return value.includes('\\') ? value.replace(/\\([*_^[\]()#`~>!|{}+.-])/g, '$1') : value;
}

const ELLIPSIS = '…';

/**
 * The source's cut-off mark at the end of an excerpt (" ...", "...", " …", "....") becomes one "…" right
 * after the last word; fewer than three full stops are punctuation and stay. Looks at the end only.
 */
export function normalizeEllipsis(value: string): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === ' ') end--;
  let cut = end;
  if (value[end - 1] === ELLIPSIS) {
    cut--;
  } else {
    while (cut > 0 && value[cut - 1] === '.') cut--;
    if (end - cut < 3) return value;
  }
  while (cut > 0 && value[cut - 1] === ' ') cut--;
  return cut === 0 ? '' : `${value.slice(0, cut)}${ELLIPSIS}`;
}

export interface Provider {
  name: string;
  domain: string;
}

export interface Image {
  url: string;
  width?: number;
  height?: number;
}

/** Other coverage of the same story, listed by the article's source. */
export interface RelatedArticle {
  title: string;
  excerpt: string;
  url: string;
  publishedAt: string | null;
  provider: Provider;
  quality: number;
}

/** A validated, normalised article: what the store keeps and the rest of the core works with. */
export interface Article {
  /** Stable id derived from the canonical URL. */
  id: string;
  /** Canonical http(s) URL: webUrl, else originalUrl, else ampWebUrl. */
  url: string;
  title: string;
  excerpt: string;
  /** ISO 8601, UTC. */
  publishedAt: string;
  updatedAt: string | null;
  type: string;
  quality: number;
  heat: number;
  published: boolean;
  removed: boolean;
  provider: Provider;
  topics: string[];
  images: Image[];
  related: RelatedArticle[];
  /** Fields the bot does not use, kept as they came (minus `secured` and raw HTML, never shown). */
  extra: Record<string, unknown>;
  /** Path of the seed file relative to the seeds folder. */
  source: string;
  /** Hash of the seed file's bytes, for incremental ingest. */
  contentHash: string;
}

/** Where a digest goes: a chat, channel, DM or terminal. */
export interface Target {
  /** The platform adapter's id: 'telegram', 'discord', 'console', or another adapter's own (an open set). */
  platform: string;
  /** Chat id (Telegram), channel or user id (Discord), "local" (console). */
  chatId: string;
  /** Telegram forum topic (message_thread_id); empty when none. */
  threadId?: string;
}

/** A local day of the week, ISO numbering: 1 is Monday, 7 is Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * How a subscription's days were chosen. Only for showing it back as the user put it: delivery reads `days`
 * and `times`, whatever the kind.
 */
export type ScheduleKind = 'daily' | 'weekdays' | 'days' | 'weekly';

/** When a subscription's digests come, in local time. */
export interface Schedule {
  kind: ScheduleKind;
  /** The local days it delivers on, ascending, distinct, at least one (all seven for daily). */
  days: Weekday[];
  /** The local times of day, HH:MM, ascending, distinct, at least one. */
  times: string[];
}

/** What a subscription leaves out of its digests; empty lists and a null minimum leave everything in. */
export interface SubscriptionFilters {
  /** Words or phrases of which an article must mention one (title or excerpt); empty: no such condition. */
  include: string[];
  /** Words or phrases an article must not mention. */
  exclude: string[];
  /** Outlets left out, by provider name or domain. */
  outlets: string[];
  /** Articles of lower quality (0–100) are left out. */
  minQuality: number | null;
}

export interface Subscription {
  id: number;
  target: Target;
  /** Display name of the topic. */
  topic: string;
  /** Normalised topic key. */
  topicKey: string;
  /** The first local time of day, HH:MM (schedule.times[0]). */
  time: string;
  /** IANA time zone, or a fixed offset ("UTC+03:00"). */
  timezone: string;
  /**
   * True when the zone was chosen for this subscription; false when it follows the chat's zone, so that
   * setting the chat's zone moves it.
   */
  ownZone: boolean;
  schedule: Schedule;
  /** Stories per digest; null: the scheduler's default. */
  count: number | null;
  filters: SubscriptionFilters;
  /** Paused by the chat (/pause): not due, settings kept. */
  paused: boolean;
  /** False when the platform refused delivery for good (kicked, blocked): not due until reactivated. */
  active: boolean;
  /** The next due instant, ISO 8601 UTC. */
  nextDueAt: string;
  createdAt: string;
}

/** Every day of the week, Monday first. */
export const ALL_WEEKDAYS: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 7];

/** No filters: every article of the topic may be shown. */
export const NO_FILTERS: SubscriptionFilters = Object.freeze({ include: [], exclude: [], outlets: [], minQuality: null }) as SubscriptionFilters;

/** A daily schedule at one time: what every subscription had before schedules had kinds. */
export function dailyAt(time: string): Schedule {
  return { kind: 'daily', days: [...ALL_WEEKDAYS], times: [time] };
}

/** One string per target, for logs and for grouping a chat's work. */
export function targetKey(target: Target): string {
  return [target.platform, target.chatId, target.threadId ?? ''].join(':');
}
