import fc from 'fast-check';
import { makeSubscriptionView } from './helpers/articles.js';
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  embedLength,
  escapeText,
  fitEscaped,
  maskedLink,
  renderDigest,
  renderError,
  renderHelp,
  renderSubscribed,
  renderSubscriptions,
  renderTopics,
  renderUnsubscribed,
  type DiscordMessage,
} from '../adapters/discord/render.js';
import type { Digest, DigestItem, DigestLink } from '../src/types.js';
import { validateMessage } from './helpers/fake-discord.js';

let counter = 0;

function makeLink(overrides: Partial<DigestLink> = {}): DigestLink {
  counter++;
  return {
    title: `Other coverage ${counter}`,
    url: `https://other${counter % 5}.example.org/c-${counter}`,
    provider: { name: `Other ${counter % 5}`, domain: `other${counter % 5}.example.org` },
    publishedAt: '2026-11-24T10:00:00.000Z',
    ...overrides,
  };
}

function makeItem(overrides: Partial<DigestItem> = {}): DigestItem {
  counter++;
  const articleId = `a${counter}`;
  return {
    articleId,
    title: `Story ${counter}`,
    url: `https://news.example.com/s-${counter}`,
    provider: { name: 'Example News', domain: 'news.example.com' },
    publishedAt: '2026-11-25T08:00:00.000Z',
    type: 'article',
    excerpt: `Excerpt of story ${counter}.`,
    related: [],
    alsoCoveredBy: [],
    articleIds: [articleId],
    score: { total: 1, logScore: 0, topicMatch: 1, quality: 0.6, recency: 1, heat: 1, ageHours: 4 },
    ...overrides,
  };
}

function makeDigest(items: DigestItem[], overrides: Partial<Digest> = {}): Digest {
  return { topic: 'AI', topicKey: 'ai', generatedAt: '2026-11-25T12:00:00.000Z', items, matched: items.length, ...overrides };
}

const MENTIONS = '@everyone @here <@123456789012345678> <@&223456789012345678> ';
const MARKDOWN = '**bold** __under__ ||spoiler|| `code` ```block``` [click](https://evil.example) # heading ';

/** The worst a seed file could carry: mentions, markdown, very long text, non-http links. */
function hostileItem(i: number): DigestItem {
  return makeItem({
    title: `${MENTIONS}${MARKDOWN}${'Very long title '.repeat(40)}${i}`,
    excerpt: `> ${MARKDOWN}${MENTIONS}${'word '.repeat(5000)}`,
    url: `https://news.example.com/path_(with)_parens/${'x'.repeat(300)}?q=${i}`,
    provider: { name: 'Provider @everyone '.repeat(30), domain: 'news.example.com' },
    related: Array.from({ length: 3 }, (_, j) =>
      makeLink({
        title: `${MENTIONS}${'Related ] [ title '.repeat(30)}${j}`,
        url: j === 0 ? 'javascript:alert(1)' : `https://rel.example.org/${'y'.repeat(600)}/${j}`,
      }),
    ),
    alsoCoveredBy: Array.from({ length: 3 }, (_, j) => makeLink({ title: `${'Also '.repeat(100)}${j}` })),
  });
}

/** Every string a message shows, for checks that must hold anywhere in it. */
function shownText(msg: DiscordMessage): string[] {
  const out = [msg.content ?? ''];
  for (const e of msg.embeds) {
    out.push(e.title ?? '', e.description ?? '', e.author?.name ?? '', e.footer?.text ?? '');
    for (const f of e.fields ?? []) out.push(f.name, f.value);
  }
  return out;
}

function expectValid(messages: DiscordMessage[]): void {
  for (const msg of messages) {
    expect(validateMessage(msg)).toEqual([]);
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(msg.embeds.length).toBeLessThanOrEqual(LIMITS.embedsPerMessage);
    expect(msg.embeds.reduce((n, e) => n + embedLength(e), 0)).toBeLessThanOrEqual(LIMITS.embedCharsPerMessage);
  }
}

describe('escapeText', () => {
  it('neutralises @everyone, @here, user and role mentions with a zero-width space', () => {
    const out = escapeText(MENTIONS);
    expect(out).not.toMatch(/@everyone|@here|<@\d|<@&\d/);
    expect(out).toContain('@\u200beveryone');
    expect(out).toContain('<@\u200b123456789012345678>');
    expect(out).toContain('<@\u200b&223456789012345678>');
  });

  it('escapes markdown so article text shows literally', () => {
    const out = escapeText(MARKDOWN);
    expect(out).toContain('\\*\\*bold\\*\\*');
    expect(out).toContain('\\|\\|spoiler\\|\\|');
    expect(out).toContain('\\`code\\`');
    expect(out).toContain('\\[click](');
    expect(escapeText('> quoted')).toBe('\\> quoted');
  });
});

/**
 * What Discord would still read as markup in escaped text: simple-markdown's escape is a backslash before any
 * character that is not a letter, digit or space; outside escapes, a character that opens inline markup, a
 * mention without its zero-width space, or block markup at the start of a line (after indentation) is live.
 */
function liveMarkup(escaped: string): string[] {
  const live: string[] = [];
  let lineStart = true;
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i]!;
    if (ch === '\\' && /[^0-9A-Za-z\s]/.test(escaped[i + 1] ?? '')) {
      i++;
      lineStart = false;
      continue;
    }
    if (/[\n\r\u2028\u2029]/.test(ch)) {
      lineStart = true;
      continue;
    }
    if (lineStart && /\s/.test(ch)) continue;
    if ('*_~`|[<'.includes(ch)) live.push(`${ch} at ${i}`);
    if (lineStart && '>#-+'.includes(ch)) live.push(`${ch} starting a line at ${i}`);
    if (lineStart && /\d/.test(ch)) {
      let j = i;
      while (/\d/.test(escaped[j] ?? '')) j++;
      if (escaped[j] === '.') live.push(`numbered list at ${i}`);
    }
    if (ch === '@' && escaped[i + 1] !== '\u200b') live.push(`@ at ${i}`);
    lineStart = false;
  }
  return live;
}

/** Escaped text with the escapes and the zero-width spaces after '@' taken out again. */
function unescape(escaped: string): string {
  return escaped.replace(/\\([^0-9A-Za-z\s])/g, '$1').replace(/@\u200b/g, '@');
}

const HOSTILE = [
  '\\'.repeat(7) + '*x*',
  '\\\\*bold*\\\\',
  '\\[x](https://evil.example)',
  '****x**** ***y*** *z*',
  '__under__ _it_ snake_case',
  '~~gone~~ ||spoiler|| |||odd|||',
  '`code` ``two`` ```js\nblock\n``` ````four````',
  '[a](https://evil.example) [a [b]](https://evil.example) [x](<https://evil.example>)',
  '[](https://evil.example) ]x[(y)',
  '> quote\n>>> all the rest\n  > indented\n\t>tab',
  'line\u2028> after a line separator\r\n> after CRLF\r>after CR\u2029> paragraph',
  '# one\n## two\n### three\n#### four\n-# subtext\n #spaced',
  '- dash\n* star\n+ plus\n   - deep',
  '1. one\n10. ten\n  2. indented\n3) paren\n1.5 million\n12345678901234567890.',
  '@everyone @here <@123456789012345678> <@!1> <@&2> <#3> </news:4> <:e:5> <a:e:6> <t:0:R>',
  '@\u200beveryone already defused',
  'https://x.example/a_b*c~d|e',
  '😀*😀_\ud83d',
  '\u00a0> non-breaking space\n\u3000# ideographic space',
];

describe('escapeText leaves nothing live', () => {
  it('escapes every piece of markup in hand-written hostile text, and only adds escapes', () => {
    for (const text of HOSTILE) {
      const out = escapeText(text);
      expect({ text, live: liveMarkup(out) }).toEqual({ text, live: [] });
      expect(unescape(out)).toBe(text);
    }
    expect(escapeText('> a\n# b\n-# c\n1. d\n- e')).toBe('\\> a\n\\# b\n\\-# c\n1\\. d\n\\- e');
    expect(escapeText('x > y # z - w 1. v')).toBe('x > y # z - w 1. v');
  });

  it('holds for any text', () => {
    const unit = fc.oneof(
      fc.constantFrom('\\', '*', '_', '~', '`', '|', '[', ']', '(', ')', '<', '>', '#', '-', '+', '.', '1', '@', ' ', '\t', '\n', '\r', '\u2028', 'a'),
      fc.string({ unit: 'binary', maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200 }), (text) => {
        const out = escapeText(text);
        expect(liveMarkup(out)).toEqual([]);
        expect(unescape(out)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('fitEscaped cuts between escapes: what it keeps is escaped text of a prefix, then an ellipsis', () => {
    const unit = fc.constantFrom('\\', '*', '@', '>', '1', '.', ' ', '\n', '😀', 'a');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 300 }), fc.integer({ min: 0, max: 260 }), (text, max) => {
        const out = fitEscaped(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(liveMarkup(out)).toEqual([]);
        if (out === escapeText(text)) return;
        expect(out.endsWith('…') || out === '').toBe(true);
        const kept = out.slice(0, -1);
        expect(kept).not.toMatch(/(^|[^\\])(\\\\)*\\$/);
        expect(text.startsWith(unescape(kept))).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(fitEscaped('\\'.repeat(100), 10)).toBe(`${'\\\\'.repeat(4)}…`);
    expect(fitEscaped('@'.repeat(100), 10)).toBe(`${'@\u200b'.repeat(4)}…`);
  });
});

describe('fitEscaped', () => {
  it('fits the escaped text, not the raw text, into the limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), fc.integer({ min: 1, max: 300 }), (text, max) => {
        const out = fitEscaped(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
      }),
    );
    const stars = '*'.repeat(1000);
    const out = fitEscaped(stars, 256);
    expect(out.length).toBeLessThanOrEqual(256);
    expect(out.length).toBeGreaterThan(200);
  });
});

describe('maskedLink', () => {
  it('links only http(s) URLs and keeps brackets and parentheses from breaking the link', () => {
    expect(maskedLink('a [b] c', 'https://x.example/p_(1)')).toBe('[a \\[b\\] c](https://x.example/p_%281%29)');
    expect(maskedLink('evil', 'javascript:alert(1)')).toBe('evil');
    expect(maskedLink('ftp', 'ftp://x.example/file')).toBe('ftp');
  });
});

describe('renderDigest', () => {
  it('names the topic in a header and gives each story an embed with link, provider, time, excerpt and related links', () => {
    const related = [makeLink({ title: 'Rival take', url: 'https://rival.example.org/take' })];
    const item = makeItem({ title: 'Chips get faster', excerpt: 'A new chip.', related });
    const [msg, ...rest] = renderDigest(makeDigest([item, makeItem()], { topic: 'Machine Learning' }));
    expect(rest).toEqual([]);
    expect(msg!.content).toContain('**Machine Learning**');
    expect(msg!.content).toContain('2 stories');
    expect(msg!.embeds).toHaveLength(2);
    const embed = msg!.embeds[0]!;
    expect(embed.title).toBe('Chips get faster');
    expect(embed.url).toBe(item.url);
    expect(embed.author?.name).toBe('Example News');
    expect(embed.timestamp).toBe('2026-11-25T08:00:00.000Z');
    expect(embed.description).toContain('A new chip.');
    expect(embed.description).toContain(`<t:${Date.parse(item.publishedAt) / 1000}:R>`);
    expect(embed.fields).toEqual([
      { name: 'Related coverage', value: expect.stringContaining('[Rival take](https://rival.example.org/take)') },
    ]);
  });

  it('says so when there is nothing to show', () => {
    const messages = renderDigest(makeDigest([], { topic: '@everyone' }));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.content).toContain('No fresh stories');
    expect(messages[0]!.content).not.toContain('@everyone');
    expectValid(messages);
  });

  it('keeps ten hostile, very long stories inside every limit, split across messages, in order', () => {
    const items = Array.from({ length: 10 }, (_, i) => hostileItem(i));
    const messages = renderDigest(makeDigest(items, { topic: `${MENTIONS}**topic**` }));
    expect(messages.length).toBeGreaterThan(1);
    expectValid(messages);
    const embeds = messages.flatMap((m) => m.embeds);
    expect(embeds).toHaveLength(10);
    expect(embeds.map((e) => e.footer?.text.split('/')[0])).toEqual(items.map((_, i) => String(i + 1)));
    expect(messages[0]!.content).toContain('\\*\\*topic\\*\\*');
    for (const text of messages.flatMap(shownText)) {
      expect(text).not.toMatch(/@everyone|@here|<@&?\d/);
      expect(text).not.toContain('javascript:');
      expect(text).not.toMatch(/(?<!\\)\[click\]/);
    }
    for (const embed of embeds) {
      expect(embed.title!.length).toBeLessThanOrEqual(LIMITS.title);
      expect(embed.url).toMatch(/^https:\/\/news\.example\.com\/path_%28with%29_parens\//);
      for (const field of embed.fields ?? []) expect(field.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    }
  });

  it('drops the link of a story whose URL is not http(s), keeping the story', () => {
    const [msg] = renderDigest(makeDigest([makeItem({ title: 'Odd', url: 'javascript:alert(1)' })]));
    expect(msg!.embeds[0]!.title).toBe('Odd');
    expect(msg!.embeds[0]!.url).toBeUndefined();
  });

  it('produces valid messages for any digest content', () => {
    const text = fc.string({ maxLength: 3000, unit: fc.constantFrom('a', ' ', '*', '_', '@', '[', ']', '(', ')', '<', '>', '`', '|', '~', '#', '😀', 'é', '\n') });
    const link = fc.record({ title: text, url: fc.webUrl() }).map((l) => makeLink(l));
    const item = fc
      .record({ title: text, excerpt: text, url: fc.oneof(fc.webUrl(), text), related: fc.array(link, { maxLength: 5 }), alsoCoveredBy: fc.array(link, { maxLength: 5 }) })
      .map((o) => makeItem(o));
    fc.assert(
      fc.property(fc.array(item, { minLength: 0, maxLength: 10 }), text, (items, topic) => {
        const messages = renderDigest(makeDigest(items, { topic }));
        expectValid(messages);
        expect(messages.flatMap((m) => m.embeds)).toHaveLength(items.length);
      }),
      { numRuns: 60 },
    );
  });

  it('marks a scheduled digest as the daily one', () => {
    const [msg] = renderDigest(makeDigest([makeItem()]), { scheduled: true });
    expect(msg!.content).toContain('Your daily digest: **AI**');
  });
});

describe('other renderers', () => {
  it('renders an error with a Discord-style example and the topics to pick from', () => {
    const msg = renderError({
      ok: false,
      code: 'missing-topic',
      params: { command: 'news', suggestions: [{ key: 'ai', name: 'AI', count: 3 }, { key: 'space', name: 'Space', count: 1 }] },
    });
    expect(msg.content).toBe('Name a topic.\nTopics: AI, Space\nExample: `/news topic:AI count:5`');
    expect(msg.allowed_mentions).toEqual({ parse: [] });
  });

  it('writes examples with named options: a bad time on /subscribe, a bad zone with the zone meant', () => {
    expect(renderError({ ok: false, code: 'bad-time', params: { given: '25:00' } }).content).toBe(
      '"25:00" is not a time of day. Use 24-hour HH:MM or 12-hour with am/pm, e.g. 18:00 or 6pm.\nExample: `/subscribe topic:AI time:08:30`',
    );
    expect(renderError({ ok: false, code: 'bad-timezone', params: { given: 'kyiv', suggestions: ['Europe/Kyiv'] } }).content).toBe(
      '"kyiv" is not a time zone. Did you mean Europe/Kyiv?\nExample: `/timezone zone:Europe/Kyiv`',
    );
  });

  it('escapes what the user typed when it is echoed back in an error', () => {
    const msg = renderError({ ok: false, code: 'unknown-topic', params: { command: 'news', topic: '@everyone **x**', suggestions: [] } });
    expect(msg.content).not.toContain('@everyone');
    expect(msg.content).toContain('\\*\\*x\\*\\*');
  });

  it('lists topics with counts and says how many more did not fit', () => {
    const topics = Array.from({ length: 400 }, (_, i) => ({ key: `t${i}`, name: `Topic number ${i}`, count: 400 - i }));
    const msg = renderTopics(topics);
    expectValid([msg]);
    expect(msg.embeds[0]!.description).toMatch(/^\*\*Topic number 0\*\* · 400\n/);
    expect(msg.embeds[0]!.description).toMatch(/…and \d+ more$/);
  });

  it('lists subscriptions with their next delivery, and flags paused ones', () => {
    const view = (topic: string, active: boolean) => makeSubscriptionView(topic, { active, platform: 'discord' });
    const msg = renderSubscriptions([view('AI', true), view('Space', false)], 'channel');
    const text = msg.embeds[0]!.description!;
    expect(msg.embeds[0]!.title).toBe('Daily digests in this channel');
    expect(text).toContain(`**AI** — daily at 08:00 (Europe/Kyiv)\nnext: Fri 27 Nov, 08:00 (Europe/Kyiv) (<t:${Date.parse('2026-11-27T06:00:00.000Z') / 1000}:R>)`);
    expect(text).toContain('**Space**');
    expect(text).toContain('paused');
    expect(renderSubscriptions([], 'dm').content).toContain('You have no daily digests');
    expect(renderSubscribed(view('AI', true), true, 'dm').content).toContain('You are now subscribed to **AI**: daily at 08:00 (Europe/Kyiv)');
    expect(renderUnsubscribed(['AI', 'Space']).content).toBe('Removed 2 subscriptions: **AI**, **Space**.');
  });

  it('help lists every command', () => {
    const text = renderHelp().embeds[0]!.description!;
    for (const name of ['news', 'topics', 'subscribe', 'unsubscribe', 'subscriptions', 'timezone', 'help']) {
      expect(text).toContain(`**/${name}**`);
    }
  });
});
