import { DateTime } from 'luxon';
import {
  ageOf,
  cutAtWord,
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
import { describeChanged, describeOptions, describeSchedule, describeZone, subscribeOptions } from '../wording.js';
import { MESSAGE_LIMIT, escapeHtml, link, pack } from './html.js';
import { COMMANDS, ageText, commandExample, invocation, windowText, wordError } from './wording.js';

export { MESSAGE_LIMIT, escapeHtml } from './html.js';
export { COMMANDS } from './wording.js';

/** How a digest is shown; the zone only changes how publication times read. */
export interface RenderOptions {
  /** IANA zone for dates; UTC when absent. */
  timezone?: string;
  /** Per-message limit; tests lower it to exercise splitting. */
  limit?: number;
}

/** Related links shown under an item, at most. */
const MAX_LINKS = 5;
const MAX_PROVIDER = 60;
const MAX_TOPIC = 100;
const SEPARATOR = '\n\n';

/**
 * A digest as Telegram HTML messages, each within the limit, split only between items. An item too
 * long for a message on its own loses excerpt, then related links, then title length until it fits.
 */
export function renderDigest(digest: Digest, options: RenderOptions = {}): string[] {
  return renderDigestParts(digest, options).messages;
}

/**
 * renderDigest, plus how many items (from the first) messages 0 to i show: items are never split, so a digest
 * cut short after message i has shown exactly `itemsShown[i]` items.
 */
export function renderDigestParts(digest: Digest, options: RenderOptions = {}): { messages: string[]; itemsShown: number[] } {
  const { messages, blocks } = renderBlocks(digest, options);
  const itemsShown: number[] = [];
  let next = 0;
  for (const message of messages) {
    while (next < blocks.length && message.includes(blocks[next]!)) next++;
    itemsShown.push(next);
  }
  return { messages, itemsShown };
}

function renderBlocks(digest: Digest, options: RenderOptions): { messages: string[]; blocks: string[] } {
  const limit = options.limit ?? MESSAGE_LIMIT;
  const topic = escapeHtml(cutAtWord(digest.topic, MAX_TOPIC));
  if (digest.items.length === 0) {
    return { messages: [`Nothing new on <b>${topic}</b> right now. /topics lists what is covered.`], blocks: [] };
  }
  const shown = digest.items.length;
  let header = `📰 <b>${topic}</b> · ${shown === 1 ? 'top story' : `top ${shown} stories`}`;
  // Nothing in the window: say so, and give each (older) item its age.
  const ageFrom = digest.stale ? digest.generatedAt : undefined;
  if (digest.stale) header += `\nNothing on <b>${topic}</b> in the last ${windowText(windowDays(digest))}. The latest stories:`;
  // Every item gets the first message's budget, so no item ever depends on where it lands.
  const budget = limit - header.length - SEPARATOR.length;
  const blocks = digest.items.map((item, i) => renderItemWithin(item, i + 1, budget, options.timezone ?? 'UTC', ageFrom));
  return { messages: pack([header, ...blocks], limit, SEPARATOR), blocks };
}

interface ItemParts {
  title: string;
  excerpt: string;
  links: DigestLink[];
  linkTitle: boolean;
}

function renderItem(item: DigestItem, n: number, parts: ItemParts, timezone: string, ageFrom?: string): string {
  const title = parts.linkTitle ? link(item.url, parts.title) : escapeHtml(parts.title);
  const lines = [`<b>${n}. ${title}</b>`];
  const provider = cutAtWord(item.provider.name || item.provider.domain || 'Unknown source', MAX_PROVIDER);
  const age = ageFrom ? ` · ${ageText(ageOf(item.publishedAt, ageFrom))}` : '';
  lines.push(`<i>${escapeHtml(provider)}</i> · ${formatDate(item.publishedAt, timezone)}${age}`);
  if (parts.excerpt !== '') lines.push(escapeHtml(parts.excerpt));
  if (parts.links.length > 0) {
    lines.push(`Also: ${parts.links.map((l) => link(l.url, linkLabel(l))).join(' · ')}`);
  }
  return lines.join('\n');
}

function renderItemWithin(item: DigestItem, n: number, budget: number, timezone: string, ageFrom?: string): string {
  const full: ItemParts = { title: item.title, excerpt: item.excerpt, links: itemLinks(item), linkTitle: true };
  const render = (parts: ItemParts) => renderItem(item, n, parts, timezone, ageFrom);
  const whole = render(full);
  if (whole.length <= budget) return whole;

  const shorterExcerpt = longestFitting(item.excerpt.length, budget, (max) =>
    render({ ...full, excerpt: cutAtWord(item.excerpt, max) }),
  );
  if (shorterExcerpt !== undefined) return shorterExcerpt;

  for (let keep = full.links.length - 1; keep >= 0; keep--) {
    const html = render({ ...full, excerpt: '', links: full.links.slice(0, keep) });
    if (html.length <= budget) return html;
  }

  const bare: ItemParts = { ...full, excerpt: '', links: [] };
  for (const linkTitle of [true, false]) {
    const html = longestFitting(item.title.length, budget, (max) =>
      render({ ...bare, linkTitle, title: cutAtWord(item.title, Math.max(1, max)) }),
    );
    if (html !== undefined) return html;
  }
  throw new Error(`renderDigest: item ${item.articleId} cannot fit ${budget} characters`);
}

/** The longest rendering (by the text length it was given) that fits, found by binary search. */
function longestFitting(max: number, budget: number, render: (max: number) => string): string | undefined {
  let best: string | undefined;
  let lo = 0;
  let hi = max;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const html = render(mid);
    if (html.length <= budget) {
      best = html;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

function itemLinks(item: DigestItem): DigestLink[] {
  const seen = new Set<string>([item.url]);
  const links: DigestLink[] = [];
  for (const l of [...item.alsoCoveredBy, ...item.related]) {
    if (seen.has(l.url) || safeHttpUrl(l.url) === undefined) continue;
    seen.add(l.url);
    links.push(l);
  }
  return links.slice(0, MAX_LINKS);
}

function linkLabel(l: DigestLink): string {
  return cutAtWord(l.provider.name || l.provider.domain || 'source', 40);
}

function formatDate(iso: string, timezone: string): string {
  const local = DateTime.fromISO(iso, { zone: timezone, locale: 'en-GB' });
  if (!local.isValid) return '';
  const zone = timezone === 'UTC' ? 'UTC' : local.toFormat('ZZZZ');
  return escapeHtml(`${local.toFormat('d LLL yyyy, HH:mm')} ${zone}`);
}

/** The known topics with their article counts; long lists end with how many were left out. */
export function renderTopics(topics: readonly TopicCount[], options: { max?: number; limit?: number } = {}): string[] {
  if (topics.length === 0) return ['No topics yet: no articles have been loaded.'];
  const max = options.max ?? 60;
  const lines = topics
    .slice(0, max)
    .map((t) => `• <b>${escapeHtml(cutAtWord(t.name, MAX_TOPIC))}</b> — ${t.count} ${t.count === 1 ? 'article' : 'articles'}`);
  const more = topics.length > max ? [`…and ${topics.length - max} more. /news works with any of them.`] : [];
  return pack([`<b>Topics</b> (${topics.length})`, ...lines, ...more], options.limit ?? MESSAGE_LIMIT, '\n');
}

/** A subscription's schedule, zone and options in one line of escaped HTML: "daily at 08:00 (Europe/Kyiv) · 3 stories". */
function subscriptionSummary(s: Subscription): string {
  const options = describeOptions(s).map((o) => ` · ${escapeHtml(o)}`).join('');
  return `${escapeHtml(describeSchedule(s.schedule))} (${escapeHtml(describeZone(s))})${options}`;
}

/** This chat's subscriptions: schedule, zone, options, and the next delivery in the subscription's own zone. */
export function renderSubscriptions(views: readonly SubscriptionView[], options: { limit?: number } = {}): string[] {
  if (views.length === 0) {
    return [`No subscriptions here yet. Example: <code>${escapeHtml(invocation('subscribe', { topic: 'AI', time: '08:00', timezone: 'Europe/Kyiv' }))}</code>`];
  }
  const lines = views.map(({ subscription: s, nextDeliveryLocal }) => {
    const topic = cutAtWord(s.topic, MAX_TOPIC);
    const next = !s.active
      ? 'paused: the bot could not post here; /start resumes'
      : s.paused
        ? `⏸ paused; <code>${escapeHtml(invocation('resume', { topic }))}</code> resumes`
        : `next: ${escapeHtml(nextDeliveryLocal)}`;
    return `• <b>${escapeHtml(topic)}</b> — ${subscriptionSummary(s)} · ${next}`;
  });
  return pack(['<b>Subscriptions</b>', ...lines], options.limit ?? MESSAGE_LIMIT, '\n');
}

/** What went wrong and, when there is one, an example of the right input. */
export function renderError(error: CommandError): string {
  const { sentence, example } = wordError(error);
  const shown = example ? `\nExample: <code>${escapeHtml(cutAtWord(example, 200))}</code>` : '';
  return `⚠️ ${escapeHtml(cutAtWord(sentence, 1000))}${shown}`;
}

/** Confirms a new or changed subscription: what changed, what it is now, and its next delivery. */
export function renderSubscribed(view: SubscriptionView, created: boolean, changed: readonly SubscriptionOptionName[] = []): string {
  const s = view.subscription;
  const verb = created ? 'Subscribed to' : changed.length > 0 ? `Updated (${escapeHtml(describeChanged(changed))})` : 'Already subscribed to';
  const next = s.paused
    ? `It is paused: <code>${escapeHtml(invocation('resume', { topic: cutAtWord(s.topic, MAX_TOPIC) }))}</code> resumes it.`
    : `Next digest: ${escapeHtml(view.nextDeliveryLocal)}.`;
  return `✅ ${verb} <b>${escapeHtml(cutAtWord(s.topic, MAX_TOPIC))}</b>: ${subscriptionSummary(s)}.\n${next}`;
}

/** Confirms /pause or /resume, naming the subscriptions changed and those already so. */
export function renderPaused(result: Extract<PauseResult, { ok: true }>): string {
  const names = (views: readonly SubscriptionView[]) => views.map((v) => `<b>${escapeHtml(cutAtWord(v.subscription.topic, 60))}</b>`).join(', ');
  const lines: string[] = [];
  if (result.action === 'pause') {
    if (result.changed.length > 0) lines.push(`⏸ Paused ${names(result.changed)}. Settings are kept; /resume brings it back.`);
    if (result.unchanged.length > 0) lines.push(`Already paused: ${names(result.unchanged)}.`);
  } else {
    for (const v of result.changed) {
      lines.push(`▶️ Resumed <b>${escapeHtml(cutAtWord(v.subscription.topic, 60))}</b>. Next digest: ${escapeHtml(v.nextDeliveryLocal)}.`);
    }
    if (result.unchanged.length > 0) lines.push(`Not paused: ${names(result.unchanged)}.`);
  }
  return cutHtmlLines(lines);
}

/** Whole lines while they fit in one message. */
function cutHtmlLines(lines: readonly string[]): string {
  return pack(lines, MESSAGE_LIMIT, '\n')[0] ?? '';
}

/**
 * /preview: a note saying what it is (not sent, since when, and when the real one comes), then the digest as
 * the scheduled delivery would render it, dates in the subscription's zone.
 */
export function renderPreview(result: Extract<PreviewResult, { ok: true }>): string[] {
  const s = result.view.subscription;
  const since = DateTime.fromISO(result.since, { zone: s.timezone, locale: 'en-GB' }).toFormat('ccc d LLL, HH:mm');
  const when = s.paused || !s.active ? 'It is paused.' : `It comes ${escapeHtml(result.view.nextDeliveryLocal)}.`;
  const note = `👁 Preview of the next <b>${escapeHtml(cutAtWord(s.topic, MAX_TOPIC))}</b> digest (not sent): news since ${escapeHtml(since)}. ${when}`;
  if (result.digest.items.length === 0) return [`${note}\nNothing new so far.`];
  return [note, ...renderDigest(result.digest, { timezone: s.timezone })];
}

/** Confirms removed subscriptions. */
export function renderUnsubscribed(removed: readonly string[]): string {
  const names = removed.map((t) => `<b>${escapeHtml(cutAtWord(t, MAX_TOPIC))}</b>`);
  // Escaping can grow a name sixfold (&amp;): keep whole names while the raw message stays within the limit.
  const shown: string[] = [];
  let length = 40;
  for (const name of names) {
    if (length + name.length + 2 > MESSAGE_LIMIT - 40) break;
    shown.push(name);
    length += name.length + 2;
  }
  if (shown.length < names.length) shown.push(`${names.length - shown.length} more`);
  return `Unsubscribed from ${shown.join(', ')}.`;
}

/** Confirms the chat's new zone, naming the subscriptions it moved and those that keep their own. */
export function renderTimezoneSet(result: Extract<TimezoneResult, { ok: true }>): string {
  const names = (topics: readonly string[]) => topics.map((t) => `<b>${escapeHtml(cutAtWord(t, 60))}</b>`).join(', ');
  const lines = [`🕗 This chat's time zone is now <b>${escapeHtml(result.timezone)}</b>.`];
  if (result.moved.length > 0) lines.push(`Moved to it, same local times: ${names(result.moved)}.`);
  if (result.kept.length > 0) {
    lines.push(`Keeping their own zone: ${result.kept.map((k) => `<b>${escapeHtml(cutAtWord(k.topic, 60))}</b> (${escapeHtml(k.timezone)})`).join(', ')}.`);
  }
  return cutHtmlLines(lines);
}

/** Answers /timezone without an argument. */
export function renderTimezoneCurrent(timezone: string): string {
  return `🕗 This chat's time zone is <b>${escapeHtml(timezone)}</b>. Change it with <code>${escapeHtml(commandExample('timezone'))}</code>.`;
}

/** Why a channel named in a private /subscribe was not subscribed: every condition that is missing. */
export function renderChannelRefused(channel: string, missing: readonly string[]): string {
  const reasons = missing.map((m) => `• ${escapeHtml(cutAtWord(m, 200))}`).join('\n');
  return (
    `⚠️ I can't subscribe <b>${escapeHtml(cutAtWord(channel, 100))}</b>:\n${reasons}\n` +
    'Both of us must be administrators of the channel, and I need the right to post messages.'
  );
}

/** The prompt above the topic keyboard. */
export const PICK_TOPIC = 'Pick a topic:';

/** Told to a group member who is not an administrator. */
export const ADMINS_ONLY = '⚠️ Only group administrators can change this chat’s subscriptions and time zone.';

/** Shown when something unexpected failed; the log has the details. */
export const SOMETHING_WENT_WRONG = '⚠️ Something went wrong on our side. Please try again in a minute.';

/** A private /subscribe for a channel, as typed. */
export const CHANNEL_EXAMPLE = `/subscribe @yourchannel AI 08:00`;

/** /start and /help. `resumed` counts subscriptions that /start just reactivated. */
export function renderHelp(resumed = 0): string {
  // Commands without arguments are their own example.
  const lines = COMMANDS.map(
    (c) => `/${c.command} — ${escapeHtml(c.description)}${c.example === `/${c.command}` ? '' : `\n   <code>${escapeHtml(c.example)}</code>`}`,
  );
  const back = resumed > 0 ? `\n\n▶️ Resumed ${resumed} paused ${resumed === 1 ? 'subscription' : 'subscriptions'}.` : '';
  const options = subscribeOptions().map((o) => `<code>${escapeHtml(`${o.name}=${o.placeholder}`)}</code> — ${escapeHtml(o.description)}`);
  const example = invocation('subscribe', { topic: 'AI', time: '08:00,18:00', timezone: 'Europe/Kyiv', days: 'mon-fri', count: '3', exclude: 'crypto' });
  return (
    '<b>Newsbrief</b> sends ranked news digests by topic: ask for one now, or subscribe this chat to a scheduled one.\n\n' +
    lines.join('\n') +
    '\n\n<b>Options of /subscribe</b>, after the topic (only those given change an existing subscription):\n' +
    options.join('\n') +
    `\n   <code>${escapeHtml(example)}</code>` +
    '\n\nWithout a topic, /news shows buttons for the main topics. In groups, only administrators can change subscriptions.' +
    `\n\n<b>Channels</b>: post the command in the channel, or send it to me privately with the channel first: <code>${escapeHtml(CHANNEL_EXAMPLE)}</code> (or its id, <code>-100…</code>). You and I must both be administrators there, and I must be allowed to post.` +
    back
  );
}
