import { makeSubscriptionView } from './helpers/articles.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ageOf } from '../src/index.js';
import { ageText } from '../adapters/telegram/wording.js';
import {
  MESSAGE_LIMIT,
  escapeHtml,
  renderDigest,
  renderDigestParts,
  renderError,
  renderHelp,
  renderSubscriptions,
  renderTopics,
  renderUnsubscribed,
} from '../adapters/telegram/render.js';
import { pack } from '../adapters/telegram/html.js';
import type { Digest, DigestItem, DigestLink } from '../src/types.js';
import { parseTelegramHtml } from './helpers/fake-telegram.js';

let n = 0;
function link(overrides: Partial<DigestLink> = {}): DigestLink {
  n++;
  return {
    title: `Coverage ${n}`,
    url: `https://outlet${n}.example.org/c/${n}`,
    provider: { name: `Outlet ${n}`, domain: `outlet${n}.example.org` },
    publishedAt: '2026-11-25T07:00:00.000Z',
    ...overrides,
  };
}

function item(overrides: Partial<DigestItem> = {}): DigestItem {
  n++;
  return {
    articleId: `a${n}`,
    title: `Headline ${n}`,
    url: `https://news.example.com/story/${n}`,
    provider: { name: 'Example News', domain: 'news.example.com' },
    publishedAt: '2026-11-25T08:00:00.000Z',
    type: 'article',
    excerpt: `Excerpt of story ${n}.`,
    related: [],
    alsoCoveredBy: [],
    articleIds: [`a${n}`],
    score: { total: 1, logScore: 0, topicMatch: 1, quality: 1, recency: 1, heat: 1, ageHours: 1 },
    ...overrides,
  };
}

function digest(items: DigestItem[], topic = 'AI'): Digest {
  return { topic, topicKey: topic.toLowerCase(), generatedAt: '2026-11-25T09:00:00.000Z', items, matched: items.length };
}

/** Every message is valid Telegram HTML within the limit; returns the texts a user would read. */
function expectValid(messages: string[]): string[] {
  return messages.map((html) => {
    expect(html.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    const parsed = parseTelegramHtml(html);
    if (!parsed.ok) throw new Error(`${parsed.error}\n${html.slice(0, 500)}`);
    return parsed.text;
  });
}

describe('the fake Bot API parser used to check rendering', () => {
  it('rejects what Telegram rejects: unknown tags, unbalanced tags, raw ampersands and brackets', () => {
    expect(parseTelegramHtml('<script>x</script>').ok).toBe(false);
    expect(parseTelegramHtml('<b>bold').ok).toBe(false);
    expect(parseTelegramHtml('<b><i>x</b></i>').ok).toBe(false);
    expect(parseTelegramHtml('Q&A').ok).toBe(false);
    expect(parseTelegramHtml('1 < 2').ok).toBe(false);
    expect(parseTelegramHtml('<a href="javascript:alert(1)">x</a>').ok).toBe(false);
    expect(parseTelegramHtml('<b>Q&amp;A</b> &lt;3 <a href="https://x.example/?a=1&amp;b=2">l</a>')).toEqual({
      ok: true,
      text: 'Q&A <3 l',
    });
  });
});

describe('renderDigest', () => {
  it('shows each item as a bold linked title, provider and date, excerpt, and provider-named related links', () => {
    const story = item({
      title: 'Chips get faster',
      url: 'https://news.example.com/chips',
      provider: { name: 'Example News', domain: 'news.example.com' },
      excerpt: 'A new chip doubles speed.',
      alsoCoveredBy: [link({ url: 'https://reuters.example/x', provider: { name: 'Reuters', domain: 'reuters.example' } })],
      related: [link({ url: 'https://bbc.example/y', provider: { name: 'BBC', domain: 'bbc.example' } })],
    });
    const [message, ...rest] = renderDigest(digest([story, item()]));
    expect(rest).toEqual([]);
    expect(message).toContain('<b>1. <a href="https://news.example.com/chips">Chips get faster</a></b>');
    expect(message).toContain('<i>Example News</i> · 25 Nov 2026, 08:00 UTC');
    expect(message).toContain('A new chip doubles speed.');
    expect(message).toContain('Also: <a href="https://reuters.example/x">Reuters</a> · <a href="https://bbc.example/y">BBC</a>');
    expect(message).toContain('<b>2. ');
    expectValid([message!]);
  });

  it('shows publication times in the chat’s time zone when given one', () => {
    const [message] = renderDigest(digest([item()]), { timezone: 'Europe/Kyiv' });
    expect(message).toContain('25 Nov 2026, 10:00 EET');
  });

  it('says there is nothing new when the digest is empty, naming the topic escaped', () => {
    expect(renderDigest(digest([], 'R&D <Labs>'))).toEqual([
      'Nothing new on <b>R&amp;D &lt;Labs&gt;</b> right now. /topics lists what is covered.',
    ]);
  });

  it('escapes hostile titles, excerpts and provider names so Telegram shows them as text', () => {
    const hostile = item({
      title: '<script>alert("x")</script> & <b>unbalanced',
      excerpt: '</a><a href="javascript:alert(1)">click</a> &amp; 1 < 2 > 0',
      provider: { name: '<i>Evil</i> & Co', domain: 'evil.example' },
      alsoCoveredBy: [link({ provider: { name: '</b><u>', domain: 'x.example' } })],
    });
    const messages = renderDigest(digest([hostile], '<AI>'));
    const [text] = expectValid(messages);
    expect(text).toContain('<script>alert("x")</script> & <b>unbalanced');
    expect(text).toContain('</a><a href="javascript:alert(1)">click</a> &amp; 1 < 2 > 0');
    expect(text).toContain('<i>Evil</i> & Co');
    expect(text).toContain('</b><u>');
    expect(messages[0]).not.toContain('<script');
  });

  it('links only http(s) URLs: other schemes leave the title as plain text and drop the related link', () => {
    const story = item({
      title: 'Sneaky',
      url: 'javascript:alert(1)',
      related: [link({ url: 'ftp://files.example/x', provider: { name: 'FTP', domain: 'files.example' } })],
      alsoCoveredBy: [link({ url: 'data:text/html,hi', provider: { name: 'Data', domain: 'd.example' } })],
    });
    const [message] = renderDigest(digest([story]));
    expect(message).toContain('<b>1. Sneaky</b>');
    expect(message).not.toContain('href="javascript');
    expect(message).not.toContain('ftp:');
    expect(message).not.toContain('Also:');
    expectValid([message!]);
  });

  it('splits a long digest between items, keeping every item whole and in order', () => {
    const items = Array.from({ length: 10 }, (_, i) => item({ title: `Story ${i + 1}`, excerpt: `${'word '.repeat(300)}end${i + 1}` }));
    const messages = renderDigest(digest(items));
    expect(messages.length).toBeGreaterThan(2);
    const texts = expectValid(messages);
    const all = texts.join('\n');
    for (let i = 1; i <= 10; i++) {
      const holding = texts.filter((t) => t.includes(`${i}. Story ${i}\n`));
      expect(holding).toHaveLength(1);
      expect(holding[0]).toContain(`end${i}`);
      expect(all.indexOf(`${i}. Story ${i}\n`)).toBeGreaterThan(i > 1 ? all.indexOf(`${i - 1}. Story ${i - 1}\n`) : -1);
    }
    expect(texts[0]).toMatch(/^📰 AI · top 10 stories/);
  });

  it('shortens the excerpt of an item too long for one message, at a word, with an ellipsis', () => {
    const excerpt = 'lorem ipsum '.repeat(400); // 4,800 characters
    const messages = renderDigest(digest([item({ title: 'Huge', excerpt })]));
    expect(messages).toHaveLength(1);
    const [text] = expectValid(messages);
    expect(text).toContain('1. Huge');
    expect(text).toMatch(/(ipsum|lorem)…$/);
    expect(messages[0]!.length).toBeGreaterThan(3500);
  });

  it('keeps a 4,000-character excerpt full of ampersands within the limit after escaping', () => {
    const messages = renderDigest(digest([item({ excerpt: '&'.repeat(4000), title: '<'.repeat(900) }), item()]));
    expectValid(messages);
    expect(messages.join('')).toContain('&lt;'.repeat(900));
  });

  it('never breaks an emoji in two when shortening', () => {
    const messages = renderDigest(digest([item({ excerpt: '📰'.repeat(3000) })]));
    const [text] = expectValid(messages);
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('fits any digest: every message within the limit, valid HTML, items in order', () => {
    const hostileText = fc.string({ unit: fc.constantFrom('a', ' ', '&', '<', '>', '"', 'é', '📰', '\n', 'b'), maxLength: 6000 });
    const anyLink = fc.record({
      title: fc.string({ maxLength: 50 }),
      url: fc.oneof(fc.webUrl(), fc.constantFrom('javascript:x', 'https://e.example/?a=1&b="2"', 'ftp://x')),
      provider: fc.record({ name: hostileText.map((s) => s.slice(0, 300)), domain: fc.domain() }),
      publishedAt: fc.constant(null),
    });
    const anyItem = fc.record({
      title: hostileText.map((s) => s.slice(0, 1000)),
      excerpt: hostileText,
      url: fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.constant('mailto:x@y')),
      related: fc.array(anyLink, { maxLength: 6 }),
      alsoCoveredBy: fc.array(anyLink, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(anyItem, { maxLength: 10 }), hostileText.map((s) => s.slice(0, 200)), (parts, topic) => {
        const items = parts.map((p) => item(p));
        const messages = renderDigest(digest(items, topic || 'AI'));
        const texts = expectValid(messages);
        const numbers = [...texts.join('\n').matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
        // Excerpts may themselves contain "3. " at a line start; the item numbers still come in order.
        for (let i = 1; i <= items.length; i++) expect(numbers).toContain(i);
      }),
      { numRuns: 150 },
    );
  });
});

describe('html helpers', () => {
  it('escapes the four characters Telegram’s HTML mode cares about', () => {
    expect(escapeHtml(`<a href="x">Q&A</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Q&amp;A&lt;/a&gt;');
  });

  it('packs blocks into as few messages as fit, and refuses a block over the limit', () => {
    expect(pack(['aaa', 'bbb', 'ccc'], 8, '\n')).toEqual(['aaa\nbbb', 'ccc']);
    expect(() => pack(['x'.repeat(9)], 8)).toThrow(/exceeds/);
  });
});

describe('other messages', () => {
  it('lists topics with counts, escaped, and says how many were left out', () => {
    const topics = Array.from({ length: 70 }, (_, i) => ({ key: `t${i}`, name: i === 0 ? 'R&D' : `Topic ${i}`, count: 70 - i }));
    const messages = renderTopics(topics);
    const [text] = expectValid(messages);
    expect(text).toContain('• R&D — 70 articles');
    expect(text).toContain('…and 10 more');
    expect(text).not.toContain('Topic 60 ');
  });

  it('splits a topic list that does not fit one message', () => {
    const topics = Array.from({ length: 60 }, (_, i) => ({ key: `t${i}`, name: `${'Long topic name '.repeat(6)}${i}`, count: 1 }));
    const messages = renderTopics(topics);
    expect(messages.length).toBeGreaterThan(1);
    expectValid(messages);
  });

  it('lists subscriptions with their next local delivery, and marks paused ones', () => {
    const view = (topic: string, active: boolean) => makeSubscriptionView(topic, { active });
    const [text] = expectValid(renderSubscriptions([view('AI', true), view('<Space>', false)]));
    expect(text).toContain('• AI — daily at 08:00 (Europe/Kyiv) · next: Fri 27 Nov, 08:00 (Europe/Kyiv)');
    expect(text).toContain('• <Space> — daily at 08:00 (Europe/Kyiv) · paused');
    expect(renderSubscriptions([])[0]).toContain('/subscribe AI 08:00 Europe/Kyiv');
  });

  it('renders an error with its example in Telegram syntax, escaped', () => {
    const html = renderError({ ok: false, code: 'unknown-topic', params: { command: 'news', topic: '<x>', suggestions: [{ key: 'ab', name: 'A&B', count: 2 }] } });
    expect(html).toBe('⚠️ No topic &quot;&lt;x&gt;&quot;. Did you mean A&amp;B?\nExample: <code>/news A&amp;B</code>');
    expectValid([html]);
  });

  it('lists every command with an example in the help', () => {
    const help = renderHelp();
    for (const command of ['/news', '/topics', '/subscribe', '/unsubscribe', '/subscriptions', '/timezone', '/help']) {
      expect(help).toContain(command);
    }
    expect(help).toContain('<code>/subscribe Machine Learning 08:00 Europe/Kyiv</code>');
    expectValid([help, renderHelp(2)]);
    expect(renderHelp(2)).toContain('Resumed 2 paused subscriptions');
  });
});

describe('renderUnsubscribed', () => {
  it('stays within the raw message limit however much escaping grows the names', () => {
    const names = Array.from({ length: 25 }, (_, i) => `${'&'.repeat(95)}${i}`);
    const text = renderUnsubscribed(names);
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toMatch(/\d+ more\.$/);
    expect(renderUnsubscribed(['AI', 'Space'])).toBe('Unsubscribed from <b>AI</b>, <b>Space</b>.');
  });
});

describe('ageText', () => {
  it('names an age in the largest unit that reads naturally', () => {
    const now = '2026-11-26T09:00:00.000Z';
    const before = (hours: number) => new Date(Date.parse(now) - hours * 3_600_000).toISOString();
    expect(ageText(ageOf(before(0.2), now))).toBe('12 minutes ago');
    expect(ageText(ageOf(before(0), now))).toBe('just now');
    expect(ageText(ageOf(before(1), now))).toBe('1 hour ago');
    expect(ageText(ageOf(before(47), now))).toBe('47 hours ago');
    expect(ageText(ageOf(before(24 * 3), now))).toBe('3 days ago');
    expect(ageText(ageOf(before(24 * 21), now))).toBe('3 weeks ago');
    expect(ageText(ageOf(before(24 * 95), now))).toBe('3 months ago');
    expect(ageText(ageOf(before(24 * 365 * 3.3), now))).toBe('3 years ago');
    expect(ageText(ageOf('not a date', now))).toBe('age unknown');
    // A date after the digest (a source's clock ahead) is not "in the future ago".
    expect(ageText(ageOf('2026-11-27T09:00:00.000Z', now))).toBe('just now');
  });
});

describe('renderDigestParts', () => {
  it('says how many items the messages up to each one show, items never split', () => {
    const digest = {
      topic: 'AI',
      topicKey: 'ai',
      generatedAt: '2026-11-26T09:00:00.000Z',
      matched: 6,
      items: Array.from({ length: 6 }, (_, i) => ({
        articleId: `a${i}`,
        title: `Story ${i}`,
        url: `https://example.com/${i}`,
        provider: { name: 'Outlet', domain: 'example.com' },
        publishedAt: '2026-11-26T08:00:00.000Z',
        type: 'article',
        excerpt: 'x'.repeat(300),
        related: [],
        alsoCoveredBy: [],
        articleIds: [`a${i}`],
        score: { total: 1, logScore: 0, topicMatch: 1, quality: 1, recency: 1, heat: 1, ageHours: 1 },
      })),
    };
    const { messages, itemsShown } = renderDigestParts(digest, { limit: 800 });
    expect(messages).toEqual(renderDigest(digest, { limit: 800 }));
    expect(messages.length).toBeGreaterThan(2);
    expect(itemsShown).toHaveLength(messages.length);
    expect(itemsShown.at(-1)).toBe(6);
    messages.forEach((m, i) => {
      const upTo = itemsShown[i]!;
      const from = i === 0 ? 0 : itemsShown[i - 1]!;
      for (let k = 0; k < 6; k++) expect(m.includes(`Story ${k}<`)).toBe(k >= from && k < upTo);
    });
  });
});
