import type { APIEmbed, APIEmbedField } from 'discord.js';
import {
  ageOf,
  cutAtWord,
  DEFAULT_TIME,
  safeHttpUrl,
  windowDays,
  type CommandError,
  type Digest,
  type DigestItem,
  type DigestLink,
  type PauseResult,
  type PreviewResult,
  type Subscription,
  type SubscriptionOptionName,
  type SubscriptionView,
  type TimezoneResult,
  type TopicCount,
} from '../../src/index.js';
import { describeChanged, describeOptions, describeSchedule, describeZone } from '../wording.js';
import type { ComponentRow } from './components.js';
import { ageText, commandExample, helpLines, invocation, permissionNote, windowText, wordError } from './wording.js';

/** Discord's size limits; any breach is an HTTP 400, so every renderer stays inside them. */
export const LIMITS = {
  content: 2000,
  embedsPerMessage: 10,
  embedCharsPerMessage: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  buttonUrl: 512,
} as const;

/** What this adapter keeps shorter than Discord allows, so one story stays a glance. */
const BUDGET = {
  excerpt: 700,
  author: 100,
  linkTitle: 120,
  /** Longer embed URLs are dropped rather than risk a rejected message. */
  url: 2048,
  topicList: 3500,
} as const;

const BRAND_COLOR = 0x3b82f6;

/** Nothing in a message may ping: not @everyone, not a user, not a role. */
export interface AllowedMentionsNone {
  parse: [];
}

/** One message as Discord's REST API takes it (snake_case body), shared by interaction replies and channel posts. */
export interface DiscordMessage {
  content?: string;
  embeds: APIEmbed[];
  allowed_mentions: AllowedMentionsNone;
  /** Buttons or a select menu (withComponents), shown under the message. */
  components?: ComponentRow[];
}

/** The messages with `rows` under the last one, where a reader finishes: More and Unsubscribe go below the stories. */
export function withComponents(messages: DiscordMessage[], rows: ComponentRow[]): DiscordMessage[] {
  if (rows.length === 0 || messages.length === 0) return messages;
  const last = messages.at(-1)!;
  return [...messages.slice(0, -1), { ...last, components: rows }];
}

function message(content: string | undefined, embeds: APIEmbed[] = []): DiscordMessage {
  const msg: DiscordMessage = { embeds, allowed_mentions: { parse: [] } };
  if (content !== undefined) msg.content = cutAtWord(content, LIMITS.content);
  return msg;
}

// Characters that open or close Discord markdown anywhere in a line: escapes, emphasis, underline,
// strikethrough, spoilers, code spans and blocks, masked links, and `<…>` tags (channel and command mentions,
// custom emoji, timestamps).
const INLINE = asciiTable('\\*_~`|[<');
// Characters that open a block quote, heading, subtext ("-#") or bulleted list when they start a line.
const LINE_START = asciiTable('>#-+');
const AT = 0x40;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const ZERO_WIDTH_SPACE = 0x200b;

/** A lookup table of ASCII characters, cheaper per character than a Set. */
function asciiTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const ch of chars) table[ch.charCodeAt(0)] = 1;
  return table;
}

function isLineBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

/** White space other than line breaks (what `\s` matches besides them): indentation before a line's markup. */
function isIndent(c: number): boolean {
  return (
    c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Text from articles (or typed by users) shown as Discord markdown: a backslash goes before every character
 * that could start formatting, a masked link, a code span or a `<…>` tag, and before `>`, `#`, `-`, `+` and
 * the dot of `1.` at the start of a line (after any indentation); every `@` is followed by a zero-width space,
 * so `@everyone` or `<@123>` stays inert even if allowed_mentions were lost on the way.
 *
 * One pass, no regex: discord.js's escapeMarkdown is super-linear on backslash and word runs. Each output
 * character depends only on the input up to it, so escaping a prefix gives a prefix of the escaped text
 * (fitEscaped relies on that). Removing the added backslashes and zero-width spaces gives the input back.
 */
export function escapeText(text: string): string {
  // At most one character is added per input character. Building the result in a code-unit buffer escapes
  // 1 MiB of backslashes in under a quarter of a second; concatenating a string per escape took about twice as long.
  const out = new Uint16Array(text.length * 2);
  let n = 0;
  let lineStart = true;
  let leadingDigits = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isLineBreak(c)) {
      lineStart = true;
      leadingDigits = false;
    } else if (lineStart && isIndent(c)) {
      // Still in the indentation before a line's first character.
    } else if (isDigit(c) && (lineStart || leadingDigits)) {
      lineStart = false;
      leadingDigits = true;
    } else {
      if (INLINE[c] === 1 || (lineStart && LINE_START[c] === 1) || (leadingDigits && c === DOT)) out[n++] = BACKSLASH;
      lineStart = false;
      leadingDigits = false;
    }
    out[n++] = c;
    if (c === AT) out[n++] = ZERO_WIDTH_SPACE;
  }
  return n === text.length ? text : fromCodeUnits(out, n);
}

function fromCodeUnits(units: Uint16Array, length: number): string {
  const CHUNK = 8192;
  let text = '';
  for (let start = 0; start < length; start += CHUNK) {
    text += String.fromCharCode(...units.subarray(start, Math.min(length, start + CHUNK)));
  }
  return text;
}

/** Whether cutting escaped text before index `at` would split an escape, `@` from its zero-width space, or a surrogate pair. */
function splitsUnit(escaped: string, at: number): boolean {
  const before = escaped.charCodeAt(at - 1);
  const after = escaped.charCodeAt(at);
  if (before === AT) return after === ZERO_WIDTH_SPACE;
  if (before >= 0xd800 && before <= 0xdbff) return after >= 0xdc00 && after <= 0xdfff;
  let run = 0;
  while (at - 1 - run >= 0 && escaped.charCodeAt(at - 1 - run) === BACKSLASH) run++;
  return run % 2 === 1;
}

/** Text for places without markdown (embed author, footer): only mentions are neutralised. */
export function plain(text: string, max: number): string {
  return cutAtWord(text.replace(/@/g, '@\u200b'), max);
}

/**
 * Escapes article text and fits the escaped result into `max` characters (escaping makes text longer), cut
 * like the core's `cutAtWord`: at a word boundary when one is near, ending with '…', never inside an escape. Escapes at
 * most `max + 1` characters of the input, once, however long the text.
 */
export function fitEscaped(text: string, max: number): string {
  // Escaping never shortens, so the input beyond max + 1 characters can only be cut off.
  const escaped = escapeText(text.length > max ? text.slice(0, max + 1) : text);
  if (escaped.length <= max) return escaped;
  if (max <= 1) return max === 1 ? '…' : '';
  let end = max - 1;
  while (end > 0 && splitsUnit(escaped, end)) end--;
  // A space is never part of an escape, so cutting there is always safe.
  const space = escaped.lastIndexOf(' ', end - 1);
  if (end > 0 && space >= max * 0.6) end = space;
  return `${escaped.slice(0, end).trimEnd()}…`;
}

/** An http(s) URL safe inside `[label](url)`, or undefined. */
export function linkUrl(url: string, max: number = BUDGET.url): string | undefined {
  const safe = safeHttpUrl(url);
  if (!safe) return undefined;
  // Parentheses and angle brackets would end or break the markdown link early.
  const encoded = safe.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/</g, '%3C').replace(/>/g, '%3E');
  return encoded.length <= max ? encoded : undefined;
}

/** A masked link with escaped label, or just the escaped label when the URL is not http(s). */
export function maskedLink(label: string, url: string, maxLabel: number = BUDGET.linkTitle): string {
  // '[' is already escaped by escapeText; escaping it again would make it live.
  const text = fitEscaped(label, maxLabel).replace(/\]/g, '\\]');
  const href = linkUrl(url);
  return href ? `[${text}](${href})` : text;
}

/** Characters Discord counts toward the 6,000 a message may carry across its embeds. */
export function embedLength(embed: APIEmbed): number {
  let n = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
  n += embed.author?.name.length ?? 0;
  n += embed.footer?.text.length ?? 0;
  for (const field of embed.fields ?? []) n += field.name.length + field.value.length;
  return n;
}

function providerName(link: { provider: { name: string; domain: string } }): string {
  return link.provider.name || link.provider.domain || 'unknown source';
}

/** A field of one link a line, as many whole lines as fit in a field value. */
function linkField(name: string, links: DigestLink[]): APIEmbedField | undefined {
  const lines: string[] = [];
  let length = 0;
  for (const link of links) {
    const line = `• ${maskedLink(link.title, link.url)} — ${fitEscaped(providerName(link), 60)}`;
    if (length + line.length + 1 > LIMITS.fieldValue) break;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.length > 0 ? { name, value: lines.join('\n') } : undefined;
}

/** One story: linked title, provider, publish time, excerpt, other coverage. */
export function renderItem(item: DigestItem, position: number, total: number, ageFrom?: string): APIEmbed {
  // A stale digest (nothing in the window) gives each item's age in words, from when the digest was built.
  const age = ageFrom ? ` · ${ageText(ageOf(item.publishedAt, ageFrom))}` : '';
  const embed: APIEmbed = {
    color: BRAND_COLOR,
    title: fitEscaped(item.title, LIMITS.title) || 'Untitled',
    author: { name: plain(providerName(item), BUDGET.author) },
    footer: { text: `${plain(`${position}/${total} · ${item.provider.domain || providerName(item)}`, 160)}${age}` },
  };
  const url = linkUrl(item.url);
  if (url) embed.url = url;
  const published = new Date(item.publishedAt);
  if (!Number.isNaN(published.getTime())) {
    embed.timestamp = published.toISOString();
    embed.description = `<t:${Math.floor(published.getTime() / 1000)}:R>`;
  }
  const excerpt = fitEscaped(item.excerpt, BUDGET.excerpt);
  if (excerpt) embed.description = embed.description ? `${excerpt}\n${embed.description}` : excerpt;
  const fields = [linkField('Related coverage', item.related), linkField('Also covered by', item.alsoCoveredBy)];
  const present = fields.filter((f): f is APIEmbedField => f !== undefined);
  if (present.length > 0) embed.fields = present;
  return embed;
}

/** How a digest is introduced. */
export interface RenderDigestOptions {
  /** A scheduled delivery says so in its header. */
  scheduled?: boolean;
}

/**
 * A digest as Discord messages: a header naming the topic, then one embed per story, packed so that no message
 * carries more than 10 embeds or 6,000 embed characters. Always at least one message.
 */
export function renderDigest(digest: Digest, options: RenderDigestOptions = {}): DiscordMessage[] {
  const topic = fitEscaped(digest.topic, 200);
  if (digest.items.length === 0) {
    return [message(`No fresh stories on **${topic}** right now. Try again later, or pick another topic with /topics.`)];
  }
  const n = digest.items.length;
  const page = digest.page ?? 0;
  const lead = options.scheduled ? 'Your daily digest' : page > 0 ? `More stories (page ${page + 1})` : 'Top stories';
  let header = `📰 ${lead}: **${topic}** — ${n} ${n === 1 ? 'story' : 'stories'}`;
  if (digest.stale) header += `\nNothing on **${topic}** in the last ${windowText(windowDays(digest))}. The latest stories:`;
  const embeds = digest.items.map((item, i) => renderItem(item, i + 1, n, digest.stale ? digest.generatedAt : undefined));

  const messages: DiscordMessage[] = [];
  let current: APIEmbed[] = [];
  let chars = 0;
  for (const embed of embeds) {
    const size = embedLength(embed);
    if (current.length > 0 && (current.length >= LIMITS.embedsPerMessage || chars + size > LIMITS.embedCharsPerMessage)) {
      messages.push(message(messages.length === 0 ? header : undefined, current));
      current = [];
      chars = 0;
    }
    current.push(embed);
    chars += size;
  }
  messages.push(message(messages.length === 0 ? header : undefined, current));
  return messages;
}

/** The known topics with article counts, as many as fit. */
export function renderTopics(topics: TopicCount[]): DiscordMessage {
  if (topics.length === 0) return message('No topics yet: no articles have been loaded.');
  const lines: string[] = [];
  let length = 0;
  for (const t of topics) {
    const line = `**${fitEscaped(t.name, 100)}** · ${t.count}`;
    if (length + line.length + 1 > BUDGET.topicList) break;
    lines.push(line);
    length += line.length + 1;
  }
  const more = topics.length - lines.length;
  if (more > 0) lines.push(`…and ${more} more`);
  return message(undefined, [
    {
      color: BRAND_COLOR,
      title: 'Topics',
      description: lines.join('\n'),
      footer: { text: `Get the news on one: ${invocation('news', { topic: '<name>' })}` },
    },
  ]);
}

function relativeTime(iso: string): string {
  const ms = new Date(iso).getTime();
  return Number.isNaN(ms) ? '' : ` (<t:${Math.floor(ms / 1000)}:R>)`;
}

/** Where a command acts, in the words a user reads. */
export type Place = 'channel' | 'dm';

/** A subscription's schedule, zone and options in one line: "daily at 08:00 (Europe/Kyiv) · 3 stories". */
function subscriptionSummary(s: Subscription): string {
  const options = describeOptions(s).map((o) => ` · ${escapeText(o)}`).join('');
  return `${escapeText(describeSchedule(s.schedule))} (${escapeText(describeZone(s))})${options}`;
}

/** The target's subscriptions: schedule, zone, options, and the next delivery of each. */
export function renderSubscriptions(views: SubscriptionView[], place: Place): DiscordMessage {
  if (views.length === 0) {
    const where = place === 'dm' ? 'You have' : 'This channel has';
    return message(`${where} no daily digests yet. Start one with ${invocation('subscribe', { topic: 'AI', time: '08:00' })}`);
  }
  const lines = views.map(({ subscription: s, nextDelivery, nextDeliveryLocal }) => {
    const head = `**${fitEscaped(s.topic, 100)}** — ${subscriptionSummary(s)}`;
    if (!s.active) return `${head}\npaused: I could not post here. Check my permissions, then /subscribe again.`;
    if (s.paused) return `${head}\n⏸ paused: ${invocation('resume', { topic: cutAtWord(s.topic, 60) })} resumes it.`;
    return `${head}\nnext: ${nextDeliveryLocal}${relativeTime(nextDelivery)}`;
  });
  return message(undefined, [
    {
      color: BRAND_COLOR,
      title: place === 'dm' ? 'Your daily digests' : 'Daily digests in this channel',
      description: cutAtWord(lines.join('\n\n'), LIMITS.description),
    },
  ]);
}

/** Confirms a new or changed subscription: what changed, what it is now, and its next delivery. */
export function renderSubscribed(view: SubscriptionView, created: boolean, place: Place, changed: readonly SubscriptionOptionName[] = []): DiscordMessage {
  const s = view.subscription;
  const who = place === 'dm' ? 'You are' : 'This channel is';
  const verb = created ? 'now subscribed to' : 'still subscribed to';
  const what = created ? '' : changed.length > 0 ? ` (${describeChanged(changed)} updated)` : ' (nothing changed)';
  const next = s.paused
    ? `It is paused: ${invocation('resume', { topic: cutAtWord(s.topic, 60) })} resumes it.`
    : `Next digest: ${view.nextDeliveryLocal}${relativeTime(view.nextDelivery)}.`;
  return message(`${who} ${verb} **${fitEscaped(s.topic, 100)}**${what}: ${subscriptionSummary(s)}. ${next}`);
}

/** Confirms /pause or /resume, naming the subscriptions changed and those already so. */
export function renderPaused(result: Extract<PauseResult, { ok: true }>): DiscordMessage {
  const names = (views: readonly SubscriptionView[]) => views.map((v) => `**${fitEscaped(v.subscription.topic, 60)}**`).join(', ');
  const lines: string[] = [];
  if (result.action === 'pause') {
    if (result.changed.length > 0) lines.push(`⏸ Paused ${names(result.changed)}. Settings are kept; /resume brings it back.`);
    if (result.unchanged.length > 0) lines.push(`Already paused: ${names(result.unchanged)}.`);
  } else {
    for (const v of result.changed) {
      lines.push(`▶️ Resumed **${fitEscaped(v.subscription.topic, 60)}**. Next digest: ${v.nextDeliveryLocal}${relativeTime(v.nextDelivery)}.`);
    }
    if (result.unchanged.length > 0) lines.push(`Not paused: ${names(result.unchanged)}.`);
  }
  return message(cutAtWord(lines.join('\n'), LIMITS.content));
}

/** /preview: a note saying what it is (not sent, since when), then the digest as the scheduled one would look. */
export function renderPreview(result: Extract<PreviewResult, { ok: true }>): DiscordMessage[] {
  const s = result.view.subscription;
  const when = s.paused || !s.active ? 'It is paused.' : `It comes ${result.view.nextDeliveryLocal}${relativeTime(result.view.nextDelivery)}.`;
  const note = `👁 Preview of the next **${fitEscaped(s.topic, 100)}** digest (not sent): news since <t:${Math.floor(Date.parse(result.since) / 1000)}:f>. ${when}`;
  if (result.digest.items.length === 0) return [message(`${note}\nNothing new so far.`)];
  return [message(note), ...renderDigest(result.digest, { scheduled: true })];
}

/** Confirms removed subscriptions. */
export function renderUnsubscribed(removed: string[]): DiscordMessage {
  const names = removed.map((t) => `**${fitEscaped(t, 100)}**`);
  if (names.length === 1) return message(`Unsubscribed from ${names[0]}.`);
  return message(`Removed ${names.length} subscriptions: ${names.join(', ')}.`);
}

/** The zone daily digests here use, after a change (naming what moved and what kept its own) or as a reminder. */
export function renderTimezone(timezone: string, result: Extract<TimezoneResult, { ok: true }> | undefined): DiscordMessage {
  if (result === undefined) {
    return message(`Daily digests here use **${timezone}**. Change it with ${commandExample('timezone')}`);
  }
  const names = (topics: readonly string[]) => topics.map((t) => `**${fitEscaped(t, 60)}**`).join(', ');
  const lines = [`Time zone set to **${timezone}**.`];
  if (result.moved.length > 0) lines.push(`Moved to it, same local times: ${names(result.moved)}.`);
  if (result.kept.length > 0) lines.push(`Keeping their own zone: ${result.kept.map((k) => `**${fitEscaped(k.topic, 60)}** (${k.timezone})`).join(', ')}.`);
  return message(cutAtWord(lines.join('\n'), LIMITS.content));
}

/** What each command does, from the core's catalogue. */
export function renderHelp(): DiscordMessage {
  return message(undefined, [
    {
      color: BRAND_COLOR,
      title: 'Newsbrief',
      description: helpLines().join('\n'),
      footer: { text: permissionNote() },
    },
  ]);
}

/** An expected failure: what went wrong, the topics to pick from when there are some, and a worked example. */
export function renderError(error: CommandError): DiscordMessage {
  const { sentence, topics, example } = wordError(error);
  const parts = [escapeText(sentence)];
  if (topics && topics.names.length > 0) {
    parts.push(`${topics.label}: ${topics.names.slice(0, 10).map((name) => fitEscaped(name, 60)).join(', ')}`);
  }
  if (example) parts.push(`Example: \`${cutAtWord(example, 200).replace(/`/g, "'")}\``);
  return message(parts.join('\n'));
}

/** A user without Manage Channels tried to change a server channel's subscriptions. */
export function renderNeedsPermission(): DiscordMessage {
  return message('Only members with the **Manage Channels** permission can change the daily digests of this channel.');
}

/** The bot could not post in the channel, so a subscription would fail at its first delivery. */
export function renderBotCannotPost(missing: string[]): DiscordMessage {
  return message(
    `I can't post digests in this channel: I need ${missing.join(', ')}. Ask a server admin to grant them, then try again.`,
  );
}

/** For a command or option this bot no longer has: Discord is still showing an old command list. */
export function renderOutdated(): DiscordMessage {
  return message(
    "That command doesn't match this bot's current commands: Discord may still be showing an old list. It refreshes within the hour; reopening Discord usually helps at once. /help lists what works now.",
  );
}

/** A button or menu this bot cannot read (another version, forged) or whose topic is gone. */
export function renderStaleComponent(): DiscordMessage {
  return message('This button is out of date: its topic is no longer available. Try /news or /topics for what is there now.');
}

/** More was pressed, but the ranking has nothing beyond the pages already shown. */
export function renderNoMoreStories(topic: string): DiscordMessage {
  return message(`That's all for **${fitEscaped(topic, 100)}** for now: no more stories beyond the pages shown.`);
}

/** Unsubscribe was pressed under a digest whose subscription is already gone. */
export function renderAlreadyUnsubscribed(place: Place): DiscordMessage {
  const who = place === 'dm' ? 'You are' : 'This channel is';
  return message(`${who} not subscribed to that topic any more: nothing to do. /subscriptions lists the digests here.`);
}

/** /subscribe without a topic: the menu of top topics to pick from. */
export function renderTopicMenu(rows: ComponentRow[]): DiscordMessage {
  if (rows.length === 0) return message('No topics yet: no articles have been loaded.');
  return {
    ...message(`Pick a topic for a daily digest here: daily at ${DEFAULT_TIME} in this chat's time zone. Change that later with ${commandExample('subscribe')}`),
    components: rows,
  };
}

/** The one reply to an unexpected failure; details go to the log. */
export function renderApology(): DiscordMessage {
  return message('Sorry, something went wrong on my side. Please try again in a minute.');
}
