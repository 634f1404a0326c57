import type {
  CommandError,
  Digest,
  DigestItem,
  PauseResult,
  PreviewResult,
  ScoreExplanation,
  StoriesResult,
  SubscribeResult,
  Subscription,
  SubscriptionView,
  TimezoneResult,
  TopicCount,
} from '../../src/index.js';
import { describeChanged, describeOptions, describeSchedule, describeZone } from '../wording.js';
import { zonedDateTime as formatDate } from './date-text.js';
import { CLI, TERMINAL, commandExample, wordError, type ConsoleSyntax } from './wording.js';

export interface TextStyle {
  bold(text: string): string;
  dim(text: string): string;
}

export const plainStyle: TextStyle = { bold: (t) => t, dim: (t) => t };
export const ansiStyle: TextStyle = {
  bold: (t) => `\u001b[1m${t}\u001b[22m`,
  dim: (t) => `\u001b[2m${t}\u001b[22m`,
};

/** Bold and dim on a terminal that allows color (NO_COLOR unset), nothing elsewhere. */
export function styleFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): TextStyle {
  return stream.isTTY && !('NO_COLOR' in env) ? ansiStyle : plainStyle;
}

export interface RenderOptions {
  explain?: boolean;
  style?: TextStyle;
  /** Zone dates are shown in (an IANA name or "UTC+03:00"); UTC when absent. */
  timezone?: string;
}

/** A digest as readable plain text for a terminal. */
export function renderDigestText(digest: Digest, options: RenderOptions = {}): string {
  const style = options.style ?? plainStyle;
  const header = `${style.bold(digest.topic)} — ${digest.items.length} ${plural(digest.items.length, 'story', 'stories')} from ${digest.matched} ${plural(digest.matched, 'article', 'articles')} · ${formatDate(digest.generatedAt, options.timezone)}`;
  if (digest.items.length === 0) {
    return `${header}\n\nNothing new on ${digest.topic} right now.`;
  }
  const items = digest.items.map((item, i) => renderItem(item, i + 1, options, style, digest.stale ? digest.generatedAt : undefined));
  const notice = digest.stale
    ? [`Nothing on ${digest.topic} in the last ${digest.window?.days ?? 7} ${plural(digest.window?.days ?? 7, 'day', 'days')}. The latest stories:`, '']
    : [];
  return [header, '', ...notice, ...items].join('\n');
}

/** `newsbrief stories`: each story's lead, then every member article. */
export function renderStoriesText(result: StoriesResult): string {
  const header = `${result.topic ?? 'All topics'} — ${result.stories.length} ${plural(result.stories.length, 'story', 'stories')}, ${formatDate(result.since)} to ${formatDate(result.until)}`;
  const lines = [header, ''];
  result.stories.forEach((s, i) => {
    lines.push(`${i + 1}. ${s.title}`);
    lines.push(`   ${s.provider.name} · ${formatDate(s.publishedAt)} · ${s.articles.length} ${plural(s.articles.length, 'article', 'articles')} from ${s.outlets} ${plural(s.outlets, 'outlet', 'outlets')}`);
    for (const a of s.articles.slice(1)) lines.push(`   + ${a.provider.name} · ${formatDate(a.publishedAt)} · ${a.title}`);
  });
  return lines.join('\n');
}

function renderItem(item: DigestItem, n: number, options: RenderOptions, style: TextStyle, ageFrom?: string): string {
  const indent = ' '.repeat(String(n).length + 2);
  const lines = [`${n}. ${style.bold(item.title)}`];
  const kind = item.type === 'video' ? ' · video' : '';
  const age = ageFrom ? ` (${formatAge(Math.max(0, Date.parse(ageFrom) - Date.parse(item.publishedAt)) / 3_600_000)} ago)` : '';
  lines.push(`${indent}${item.provider.name} · ${formatDate(item.publishedAt, options.timezone)}${age}${kind}`);
  if (item.excerpt) lines.push(`${indent}${item.excerpt}`);
  lines.push(`${indent}${item.url}`);
  for (const link of item.alsoCoveredBy) lines.push(`${indent}${style.dim('Also covered by')} ${link.provider.name}: ${link.url}`);
  for (const link of item.related) lines.push(`${indent}${style.dim('Related')} ${link.provider.name}: ${link.url}`);
  if (options.explain) lines.push(`${indent}${style.dim(explainLine(item.score))}`);
  return `${lines.join('\n')}\n`;
}

/**
 * "score 0.4120 = topic 1.00 × quality 0.82 × recency 0.50 × heat 1.03 × coverage 1.35 (2 outlets) (age 1.0 d)";
 * the coverage and news factors appear for stories.
 */
export function explainLine(score: ScoreExplanation): string {
  const total = score.total > 0.0001 ? score.total.toFixed(4) : `e^${score.logScore.toFixed(1)}`;
  const recency = score.recency > 0.0001 ? score.recency.toFixed(4) : score.recency.toExponential(2);
  const coverage =
    score.coverage !== undefined ? ` × coverage ${score.coverage.toFixed(2)} (${score.outlets ?? 1} ${plural(score.outlets ?? 1, 'outlet', 'outlets')})` : '';
  const news = score.news !== undefined && score.news !== 1 ? ` × non-news ${score.news.toFixed(2)}${score.nonNews ? ` (${score.nonNews})` : ''}` : '';
  const age = score.coverage !== undefined ? 'latest article' : 'age';
  return `score ${total} = topic ${score.topicMatch.toFixed(2)} × quality ${score.quality.toFixed(2)} × recency ${recency} × heat ${score.heat.toFixed(2)}${coverage}${news} (${age} ${formatAge(score.ageHours)})`;
}

export function renderTopicsText(topics: TopicCount[]): string {
  if (topics.length === 0) return `No topics yet: ingest some articles first (${commandExample(CLI, 'ingest')}).`;
  const width = Math.max(...topics.map((t) => t.name.length));
  return topics.map((t) => `${t.name.padEnd(width)}  ${String(t.count).padStart(5)} ${plural(t.count, 'article', 'articles')}`).join('\n');
}

/** A subscription's schedule, zone and options: "daily at 08:00 (Europe/Kyiv) · 3 stories · not: crypto". */
export function subscriptionSummary(s: Subscription): string {
  return [`${describeSchedule(s.schedule)} (${describeZone(s)})`, ...describeOptions(s)].join(' · ');
}

export function renderSubscriptionsText(views: SubscriptionView[]): string {
  if (views.length === 0) return `No subscriptions yet. Try: ${TERMINAL.invocation('subscribe', { topic: 'AI', time: '08:00', timezone: 'Europe/Kyiv' })}`;
  return views
    .map(({ subscription: s, nextDeliveryLocal }) => {
      const state = !s.active ? 'paused (could not deliver)' : s.paused ? `paused; ${TERMINAL.invocation('resume', { topic: s.topic })} resumes it` : `next: ${nextDeliveryLocal}`;
      return `${s.topic} — ${subscriptionSummary(s)}; ${state}`;
    })
    .join('\n');
}

/** Confirms /subscribe: what changed, the subscription as it is now, its next delivery. */
export function renderSubscribedText(result: Extract<SubscribeResult, { ok: true }>): string {
  const s = result.view.subscription;
  const verb = result.created ? 'Subscribed to' : result.changed.length > 0 ? `Updated (${describeChanged(result.changed)})` : 'Already subscribed to';
  const next = s.paused ? `Paused: ${TERMINAL.invocation('resume', { topic: s.topic })} resumes it.` : `Next: ${result.view.nextDeliveryLocal}.`;
  return `${verb} ${s.topic}: ${subscriptionSummary(s)}. ${next}`;
}

/** Confirms /pause or /resume. */
export function renderPausedText(result: Extract<PauseResult, { ok: true }>): string {
  const names = (views: readonly SubscriptionView[]) => views.map((v) => v.subscription.topic).join(', ');
  const lines: string[] = [];
  if (result.action === 'pause') {
    if (result.changed.length > 0) lines.push(`Paused ${names(result.changed)}. Settings are kept; /resume brings it back.`);
    if (result.unchanged.length > 0) lines.push(`Already paused: ${names(result.unchanged)}.`);
  } else {
    for (const v of result.changed) lines.push(`Resumed ${v.subscription.topic}. Next: ${v.nextDeliveryLocal}.`);
    if (result.unchanged.length > 0) lines.push(`Not paused: ${names(result.unchanged)}.`);
  }
  return lines.join('\n');
}

/** /preview: what it is (not sent, news since when), then the digest, dates in the subscription's zone. */
export function renderPreviewText(result: Extract<PreviewResult, { ok: true }>, style: TextStyle = plainStyle): string {
  const s = result.view.subscription;
  const when = s.paused || !s.active ? 'It is paused.' : `It comes ${result.view.nextDeliveryLocal}.`;
  const note = `Preview of the next ${s.topic} digest (not sent): news since ${formatDate(result.since, s.timezone)}. ${when}`;
  if (result.digest.items.length === 0) return `${note}\nNothing new so far.`;
  return `${note}\n\n${renderDigestText(result.digest, { style, timezone: s.timezone })}`;
}

/** Confirms /timezone, naming the subscriptions it moved and those keeping their own zone. */
export function renderTimezoneSetText(result: Extract<TimezoneResult, { ok: true }>): string {
  const lines = [`Time zone set to ${result.timezone}.`];
  if (result.moved.length > 0) lines.push(`Moved to it, same local times: ${result.moved.join(', ')}.`);
  if (result.kept.length > 0) lines.push(`Keeping their own zone: ${result.kept.map((k) => `${k.topic} (${k.timezone})`).join(', ')}.`);
  return lines.join('\n');
}

/** A failed command: what went wrong, the topics to pick from when there are some, an example in `syntax`. */
export function renderErrorText(error: CommandError, syntax: ConsoleSyntax = TERMINAL): string {
  const { sentence, topics, example } = wordError(error, syntax);
  const lines = [sentence];
  if (topics && topics.names.length > 0) lines.push(`${topics.label}: ${topics.names.join(', ')}`);
  if (example) lines.push(`Example: ${example}`);
  return lines.join('\n');
}

function formatAge(hours: number): string {
  if (hours < 48) return `${hours.toFixed(1)} h`;
  if (hours < 24 * 365) return `${(hours / 24).toFixed(1)} d`;
  return `${(hours / 24 / 365.25).toFixed(1)} y`;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
