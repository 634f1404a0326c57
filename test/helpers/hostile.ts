import fc from 'fast-check';
import type { DiscordMessage } from '../../adapters/discord/render.js';
import type { Article } from '../../src/model.js';
import type { Logger } from '../../src/logger.js';
import { Newsbrief } from '../../src/app.js';
import { openSqliteStorage, type SqliteStorage } from '../../adapters/storage/sqlite/index.js';
import type { Digest, DigestItem, DigestLink } from '../../src/types.js';
import { createDiscordBot, type DiscordBot } from '../../adapters/discord/bot.js';
import { FakeDiscord, validateMessage, type Dispatched } from './fake-discord.js';
import { parseTelegramHtml } from './fake-telegram.js';
import { indexArticles } from '../../src/index.js';

/**
 * Shared material for the hardening suites: text that tries to break renderers, the checks every rendered
 * message must pass on each platform, and a Discord harness that can send interactions Discord never would.
 */

/** Pieces of text seen in hostile or just unlucky seed files. */
export const HOSTILE_PIECES = [
  '<script>alert(1)</script>',
  '</b></a><a href="javascript:alert(1)">x</a>',
  '<b>unclosed',
  '&amp;',
  '&',
  '&#x1F600;',
  '&nosuch;',
  '"quoted"',
  "'single'",
  '<',
  '>',
  '@everyone',
  '@here',
  '<@123456789012345678>',
  '<@!123456789012345678>',
  '<@&223456789012345678>',
  '**bold**',
  '__under__',
  '||spoiler||',
  '`code`',
  '```block```',
  '\\',
  '\\[click](https://evil.example/phish)',
  '[click](javascript:alert(1))',
  '# heading',
  '> quote',
  '- bullet',
  '1. numbered',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u200d',
  '\u001b[31m',
  '\r\n',
  '\n',
  '\t',
  '👩‍👩‍👧‍👦',
  '🇺🇦',
  'é',
  'e\u0301',
  'ﷺ',
  'עברית',
  '%00',
  'javascript:alert(1)',
  'https://',
  ' ',
];

/** Any text: full Unicode (never a lone surrogate, as UTF-8 seed files cannot hold one) mixed with hostile pieces. */
export function hostileText(maxPieces = 40): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: maxPieces })
    .map((parts) => parts.join(''));
}

/** Long runs of the characters that grow most when escaped, to push every length budget. */
export function bloatingText(maxLength = 5000): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom('&', '<', '>', '"', '*', '_', '@', '`', '|', '\\', '[', ']', '📰', ' ', 'a'), maxLength });
}

/** Any URL string, from well-formed web URLs to other schemes, credentials, markup and plain noise. */
export function anyUrl(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.constantFrom(
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'ftp://files.example/x',
      'mailto:a@b.example',
      'tg://resolve?domain=x',
      'https://user:pass@news.example.com/a',
      'https://news.example.com@evil.example/a',
      'https://news.example.com/a?x="><b>&y=<i>',
      'https://news.example.com/path_(with)_parens',
      'https://news.example.com/<script>',
      `https://news.example.com/${'x'.repeat(2100)}`,
      'http://[::1]:8080/x',
      'https://例え.テスト/パス',
      'https://',
      '',
    ),
    hostileText(8),
  );
}

// ---- Telegram -------------------------------------------------------------------------------------

export const TELEGRAM_LIMIT = 4096;

/**
 * Why Telegram would refuse (or mis-show) a message sent with parse_mode HTML: unbalanced or unknown tags,
 * bad entities, a link that is not http(s), more than 4,096 characters once parsed, a lone surrogate
 * (not encodable as UTF-8). With `rawLimit`, the HTML itself must fit too (what the renderer promises).
 */
export function telegramProblems(html: string, options: { rawLimit?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (options.rawLimit && html.length > TELEGRAM_LIMIT) problems.push(`html is ${html.length} > ${TELEGRAM_LIMIT}`);
  if (hasLoneSurrogate(html)) problems.push('lone surrogate');
  const parsed = parseTelegramHtml(html);
  if (!parsed.ok) return [...problems, parsed.error];
  if (parsed.text.trim().length === 0) problems.push('message text is empty');
  if (parsed.text.length > TELEGRAM_LIMIT) problems.push(`text is ${parsed.text.length} > ${TELEGRAM_LIMIT}`);
  for (const href of telegramHrefs(html)) {
    if (!isHttpUrl(href)) problems.push(`link is not http(s): ${href.slice(0, 60)}`);
  }
  return problems;
}

/** Every href of an <a> tag, entity-decoded. */
export function telegramHrefs(html: string): string[] {
  return [...html.matchAll(/<a\s+href="([^"]*)"/g)].map((m) =>
    m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
  );
}

// ---- Discord --------------------------------------------------------------------------------------

const ACTIVE_MENTION = /@(?:everyone|here)|<@[!&]?\d+>/;
const CODE_SPAN = /(?<!\\)`[^`]*`/g;

/** Every string a Discord message shows. */
export function discordTexts(msg: DiscordMessage): string[] {
  const out = [msg.content ?? ''];
  for (const e of msg.embeds) {
    out.push(e.title ?? '', e.description ?? '', e.author?.name ?? '', e.footer?.text ?? '');
    for (const f of e.fields ?? []) out.push(f.name, f.value);
  }
  return out;
}

/** The strings where Discord renders masked links: content, embed descriptions and field values. */
export function markdownTexts(msg: DiscordMessage): string[] {
  return [msg.content ?? '', ...msg.embeds.flatMap((e) => [e.description ?? '', ...(e.fields ?? []).map((f) => f.value)])];
}

// Discord's markdown is simple-markdown's: an escape is a backslash before any non-alphanumeric character,
// code spans come before links, and this is the link rule's pattern.
const LINK = new RegExp(
  '^\\[((?:\\[[^\\]]*\\]|[^\\[\\]]|\\](?=[^\\[]*\\]))*)\\]' +
    '\\(\\s*<?((?:\\([^)]*\\)|[^\\s\\\\]|\\\\.)*?)>?(?:\\s+[\'"]([\\s\\S]*?)[\'"])?\\s*\\)',
);

/** Masked links, `[label](target)`, as Discord would find them in a markdown string. */
export function maskedLinks(markdown: string): Array<{ label: string; target: string; start: number; end: number }> {
  const text = markdown.replace(CODE_SPAN, (span) => ' '.repeat(span.length));
  const links: Array<{ label: string; target: string; start: number; end: number }> = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\\' && /[^0-9A-Za-z\s]/.test(text[i + 1] ?? '')) {
      i += 2;
      continue;
    }
    if (text[i] === '[') {
      const m = LINK.exec(text.slice(i));
      if (m) {
        links.push({ label: m[1]!, target: m[2]!, start: i, end: i + m[0].length });
        i += m[0].length;
        continue;
      }
    }
    i++;
  }
  return links;
}

/** The targets of the masked links in a markdown string. */
export function maskedLinkTargets(markdown: string): string[] {
  return maskedLinks(markdown).map((l) => l.target);
}

/**
 * Why Discord would refuse a message, or let it ping or link somewhere unsafe: the fake's limit checks,
 * mentions not switched off, raw mention syntax in shown text, a non-http(s) embed URL or masked link.
 */
export function discordProblems(msg: DiscordMessage): string[] {
  const problems = [...validateMessage(msg)];
  if (JSON.stringify(msg.allowed_mentions) !== JSON.stringify({ parse: [] })) problems.push('allowed_mentions is not { parse: [] }');
  for (const embed of msg.embeds) {
    if (embed.url !== undefined && !isHttpUrl(embed.url)) problems.push(`embed url is not http(s): ${embed.url.slice(0, 60)}`);
  }
  for (const text of discordTexts(msg)) {
    if (hasLoneSurrogate(text)) problems.push('lone surrogate');
    // Code spans are shown literally and URLs (a link's target, or one shown as text) are links, not mentions.
    let shown = text.replace(CODE_SPAN, '');
    for (const link of maskedLinks(shown).reverse()) shown = shown.slice(0, link.start) + link.label + shown.slice(link.end);
    shown = shown.replace(/https?:\/\/[^\s<)]*/g, '');
    const mention = ACTIVE_MENTION.exec(shown);
    if (mention) problems.push(`live mention ${mention[0]}`);
  }
  for (const text of markdownTexts(msg)) {
    for (const target of maskedLinkTargets(text)) {
      if (!isHttpUrl(target)) problems.push(`masked link is not http(s): ${target.slice(0, 60)}`);
    }
  }
  return problems;
}

// ---- Shared ---------------------------------------------------------------------------------------

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

export function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

let n = 0;

/** A digest link with hostile parts. */
export function digestLink(parts: Partial<DigestLink> = {}): DigestLink {
  n++;
  return {
    title: `Coverage ${n}`,
    url: `https://outlet${n}.example.org/c/${n}`,
    provider: { name: `Outlet ${n}`, domain: `outlet${n}.example.org` },
    publishedAt: null,
    ...parts,
  };
}

/** A digest item; any part may be overridden with hostile values. */
export function digestItem(parts: Partial<DigestItem> = {}): DigestItem {
  n++;
  return {
    articleId: `h${n}`,
    title: `Headline ${n}`,
    url: `https://news.example.com/story/${n}`,
    provider: { name: 'Example News', domain: 'news.example.com' },
    publishedAt: '2026-11-25T08:00:00.000Z',
    type: 'article',
    excerpt: `Excerpt ${n}.`,
    related: [],
    alsoCoveredBy: [],
    articleIds: [`h${n}`],
    score: { total: 1, logScore: 0, topicMatch: 1, quality: 1, recency: 1, heat: 1, ageHours: 1 },
    ...parts,
  };
}

export function digestOf(items: DigestItem[], topic = 'AI'): Digest {
  return { topic, topicKey: topic.toLowerCase(), generatedAt: '2026-11-25T09:00:00.000Z', items, matched: items.length };
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waitUntil: condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---- Discord harness ------------------------------------------------------------------------------

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg?: string;
}

export function recordingLogger(entries: LogEntry[]): Logger {
  const log = (level: LogEntry['level']) => (obj: object | string, msg?: string) => void entries.push({ level, obj, msg });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export interface DiscordHarness {
  fake: FakeDiscord;
  store: SqliteStorage;
  app: Newsbrief;
  bot: DiscordBot;
  logs: LogEntry[];
  close(): Promise<void>;
}

/** The real Discord bot (createDiscordBot) against a fresh fake and an in-memory store. */
export async function startDiscordHarness(articles: Article[], now = '2026-11-25T12:00:00.000Z'): Promise<DiscordHarness> {
  const fake = await FakeDiscord.start();
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(articles));
  const app = new Newsbrief({ storage: store, clock: () => new Date(now) });
  const logs: LogEntry[] = [];
  const bot = createDiscordBot({ token: fake.token, apiBase: fake.apiBase, app, logger: recordingLogger(logs) });
  const close = async () => {
    await bot.stop();
    await fake.close();
    await store.close();
  };
  try {
    await bot.start();
  } catch (error) {
    await close();
    throw error;
  }
  return { fake, store, app, bot, logs, close };
}

/**
 * Sends an interaction built by `make` (fake.slash or fake.autocomplete) after `mutate` has rewritten its
 * payload, so the fake still knows the interaction (its callback route works) while its shape is whatever
 * the test wants.
 */
export function dispatchMutated(fake: FakeDiscord, mutate: (payload: any) => any, make: () => Dispatched): Dispatched {
  const original = fake.dispatch.bind(fake);
  let sent: any;
  fake.dispatch = (event: string, data: unknown) => {
    sent = event === 'INTERACTION_CREATE' ? mutate(structuredClone(data)) : data;
    original(event, sent);
  };
  try {
    const dispatched = make();
    return { ...dispatched, payload: sent };
  } finally {
    fake.dispatch = original;
  }
}

// ---- Seed files -----------------------------------------------------------------------------------

let seedCounter = 0;

/**
 * The text of a seed file written by hand, so that it can carry YAML no serialiser would write. Each value
 * is raw YAML placed after `key: `; `undefined` leaves the field out; `extra` lines go before the closing `---`.
 * Returns the text and the URL its (valid) base would be stored under.
 */
export function rawSeed(values: Record<string, string | undefined> = {}, extra = ''): { text: string; url: string } {
  seedCounter++;
  const url = `https://hostile.example.com/case-${seedCounter}`;
  const fields: Record<string, string | undefined> = {
    title: `"Hostile case ${seedCounter}"`,
    excerpt: '"What the hostile file says."',
    publishedDateTime: '2026-03-01T09:30:00Z',
    webUrl: url,
    provider: '{ name: Hostile News, domain: hostile.example.com }',
    topics: '[AI]',
    quality: '70',
    heat: '5',
    ...values,
  };
  const lines = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${value}`);
  return { text: `---\n${lines.join('\n')}\n${extra}---\nBody.\n`, url };
}
