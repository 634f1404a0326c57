import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { articleIdFor } from '../adapters/sources/article-id.js';
import {
  entryToArticle,
  FEED_ARTICLE,
  feedItemHash,
  feedItemName,
  htmlToText,
  withoutUtmParams,
  type EntryResult,
  type FeedInfo,
} from '../adapters/sources/feeds/articles.js';
import { parseFeedBody, type FeedEntry } from '../adapters/sources/feeds/parse.js';
import { parseSeedFile } from '../adapters/sources/seed-folder/index.js';
import type { Article } from '../src/index.js';
import { seedFields, seedText } from './helpers/seed-files.js';

const now = new Date('2026-03-03T12:00:00Z');
const info: FeedInfo = { feedId: 7, feedUrl: 'https://www.harbourhill.example/rss.xml', topics: ['Local'], quality: 60 };

/** An entry with a title, a link and a date; override any field. */
function entry(overrides: Partial<FeedEntry> = {}): FeedEntry {
  return {
    guid: 'g-1',
    link: 'https://news.example/a',
    title: 'A headline',
    published: '2026-03-03T09:00:00Z',
    authors: [],
    images: [],
    media: [],
    categories: [],
    ...overrides,
  };
}

function article(result: EntryResult): Article {
  if (!result.ok) throw new Error(`expected an article, got ${result.field}: ${result.reason}`);
  return result.article;
}

const build = (overrides: Partial<FeedEntry> = {}, feed: Partial<FeedInfo> = {}) => article(entryToArticle(entry(overrides), { ...info, ...feed }, { now }));
const sha16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

describe('entryToArticle', () => {
  it('builds the whole article from an RSS entry', () => {
    const parsed = parseFeedBody(readFileSync(path.join(import.meta.dirname, 'fixtures', 'feeds', 'rss2.xml'), 'utf8'), info.feedUrl);
    if (!parsed.ok) throw new Error(parsed.reason);
    const feed = { ...info, siteUrl: parsed.feed.siteUrl, feedTitle: parsed.feed.title };
    const ferry = parsed.feed.items[0]!;
    const url = 'https://www.harbourhill.example/news/ferry-timetable?id=42';
    expect(article(entryToArticle(ferry, feed, { now }))).toEqual({
      id: articleIdFor(url),
      url,
      title: 'Ferry timetable changes & new night crossings',
      // A sentence ends before WordPress's "[…]": the mark goes.
      excerpt: 'From April the Gull ferry runs until 1 a.m. on Fridays & Saturdays, the port authority said.',
      publishedAt: '2026-03-03T07:15:00.000Z',
      updatedAt: null,
      type: 'article',
      quality: 60,
      heat: 0,
      published: true,
      removed: false,
      provider: { name: 'Harbour & Hill Gazette', domain: 'harbourhill.example' },
      topics: ['Local'],
      images: [
        { url: 'https://cdn.harbourhill.example/img/ferry-1200.jpg', width: 1200, height: 800 },
        { url: 'https://cdn.harbourhill.example/img/ferry-200.jpg', width: 200, height: 133 },
        { url: 'https://cdn.harbourhill.example/img/ferry-map.png' },
      ],
      related: [],
      extra: { feedId: 7, guid: 'hh-2026-0311', authors: ['Mara Quill'], categories: ['Transport', 'Harbour'] },
      source: `feed:7/${sha16('hh-2026-0311')}`,
      contentHash: feedItemHash(ferry, feed),
    });
    // The video entry attaches an mp4.
    expect(article(entryToArticle(parsed.feed.items[2]!, feed, { now })).type).toBe('video');
  });

  describe('text', () => {
    it('turns HTML titles into plain text, decoding entities once after the tags are gone', () => {
      expect(build({ title: '<b>Foo</b> &amp; bar' }).title).toBe('Foo & bar');
      // Escaped markup is text: "x &lt; y" says "x < y", and stays so.
      expect(build({ title: 'x &lt; y &gt; z' }).title).toBe('x < y > z');
      expect(build({ title: 'Caf&eacute; &#8220;open&#8221;&nbsp;again' }).title).toBe('Café “open” again');
      // Decoded characters are cleaned too: no zero-width space, no terminal escape.
      expect(build({ title: 'Sp&#x200b;ace &#27;[31mred' }).title).toBe('Space [31mred');
      expect(build({ title: '  Line\none\t\ttwo ' }).title).toBe('Line one two');
    });

    it('cuts a long title at a word, and rejects an entry whose title is empty once plain', () => {
      const long = build({ title: 'word '.repeat(200) }).title;
      expect(long.length).toBeLessThanOrEqual(FEED_ARTICLE.MAX_TITLE);
      expect(long.endsWith('word…')).toBe(true);
      for (const title of [undefined, '', '<img src="x.jpg">', '&#x200b;']) {
        expect(entryToArticle(entry({ title }), info, { now })).toEqual({ ok: false, field: 'title', reason: 'missing or empty' });
      }
    });

    it('removes inline tags without a space and block tags with one; a "<" that starts no tag is text', () => {
      expect(htmlToText('<p>One <a href="/x">link</a>, <strong>bold</strong>.</p><p>Next</p>')).toBe('One link, bold. Next');
      expect(htmlToText('Line<br>break<br/>here<hr>end')).toBe('Line break here end');
      expect(htmlToText('3 < 4 and 5 > 2, a <- b')).toBe('3 < 4 and 5 > 2, a <- b');
      expect(htmlToText('Before<!-- a <b>hidden</b> note -->after <!-- never closed')).toBe('Beforeafter');
      expect(htmlToText('An unclosed <a href="x" tail')).toBe('An unclosed <a href="x" tail');
    });

    it('takes the excerpt from the summary, else from the content without its scripts and styles', () => {
      expect(build({ summary: '<p>Short <i>summary</i>.</p>', content: '<p>Long content.</p>' }).excerpt).toBe('Short summary.');
      expect(build({ content: '<style>p { color: red }</style><p>Body <SCRIPT type="x">track()</script>text.</p>' }).excerpt).toBe('Body text.');
      // A script never closed hides the rest, as in a browser.
      expect(build({ content: 'Before <script>never closed' }).excerpt).toBe('Before');
      expect(build({ summary: 'An <scripted> word stays' }).excerpt).toBe('An word stays');
      expect(build({}).excerpt).toBe('');
    });

    it('cuts the excerpt at a word, ends a cut-off one in "…", and drops one that only repeats the title', () => {
      const summary = `${'many words '.repeat(100)}end`;
      const excerpt = build({ summary }).excerpt;
      expect(excerpt.length).toBeLessThanOrEqual(FEED_ARTICLE.MAX_EXCERPT);
      expect(excerpt.length).toBeGreaterThan(FEED_ARTICLE.MAX_EXCERPT - 12);
      // Cut where a word ends.
      expect(excerpt.endsWith('…')).toBe(true);
      expect(summary.startsWith(`${excerpt.slice(0, -1)} `)).toBe(true);
      expect(build({ summary: 'The council met and argued [&#8230;]' }).excerpt).toBe('The council met and argued…');
      expect(build({ summary: 'The council met and argued [...]' }).excerpt).toBe('The council met and argued…');
      expect(build({ summary: 'Keep [this] bracket' }).excerpt).toBe('Keep [this] bracket');
      expect(build({ summary: 'Trailing dots...' }).excerpt).toBe('Trailing dots…');
      expect(build({ title: 'Same words', summary: '<p>Same words</p>' }).excerpt).toBe('');
    });
  });

  describe('URL and id', () => {
    it('takes the link, without credentials or utm_* parameters, and ids it as a seed file with that URL', () => {
      const a = build({ link: 'https://user:secret@www.news.example/story?utm_source=feed&p=1&utm_campaign=x#part-2' });
      expect(a.url).toBe('https://www.news.example/story?p=1#part-2');
      expect(a.id).toBe(articleIdFor('https://www.news.example/story?p=1#part-2'));
      const seed = parseSeedFile('s.md', Buffer.from(seedText(seedFields({ webUrl: 'https://www.news.example/story?p=1#part-2' }))));
      expect(seed.ok && seed.article.id).toBe(a.id);
    });

    it('falls back to the guid only when there is no link and the guid is an http(s) URL', () => {
      expect(build({ link: undefined, guid: 'https://news.example/from-guid?utm_medium=rss' }).url).toBe('https://news.example/from-guid');
      expect(entryToArticle(entry({ link: undefined, guid: 'urn:uuid:1234' }), info, { now })).toEqual({
        ok: false,
        field: 'link',
        reason: 'missing, and the guid is not an http(s) URL',
      });
      expect(entryToArticle(entry({ link: undefined, guid: undefined }), info, { now })).toMatchObject({ ok: false, field: 'link' });
    });

    it('rejects a link that is not http(s), naming the field and the scheme but never echoing it', () => {
      // A URL guid does not rescue a hostile link.
      const result = entryToArticle(entry({ link: 'javascript:alert(document.cookie)', guid: 'https://news.example/ok' }), info, { now });
      expect(result).toEqual({ ok: false, field: 'link', reason: 'not an http(s) URL (javascript:)' });
      expect(entryToArticle(entry({ link: 'ftp://user:pw@files.example/a' }), info, { now })).toEqual({ ok: false, field: 'link', reason: 'not an http(s) URL (ftp:)' });
      expect(entryToArticle(entry({ link: 'not a url' }), info, { now })).toEqual({ ok: false, field: 'link', reason: 'not a URL' });
      expect(entryToArticle(entry({ link: `https://news.example/${'a'.repeat(3000)}` }), info, { now })).toEqual({
        ok: false,
        field: 'link',
        reason: 'longer than 2048 characters (3021)',
      });
    });
  });

  describe('dates', () => {
    it('dates an entry without a usable date now, and says why', () => {
      expect(build({ published: undefined })).toMatchObject({ publishedAt: now.toISOString(), extra: { publishedAtEstimated: 'missing' } });
      expect(build({ published: 'soon' })).toMatchObject({ publishedAt: now.toISOString(), extra: { publishedAtEstimated: 'unparseable' } });
      expect(build({ published: '2027-01-01T00:00:00Z' })).toMatchObject({ publishedAt: now.toISOString(), extra: { publishedAtEstimated: 'in the future' } });
      expect(build({}).extra.publishedAtEstimated).toBeUndefined();
    });

    it('keeps a date up to 10 minutes ahead of now, and takes the update date when there is no other', () => {
      expect(build({ published: '2026-03-03T12:09:00Z' }).publishedAt).toBe('2026-03-03T12:09:00.000Z');
      expect(build({ published: '2026-03-03T12:11:00Z' }).publishedAt).toBe(now.toISOString());
      expect(build({ published: undefined, updated: '2026-03-02T08:00:00Z' })).toMatchObject({ publishedAt: '2026-03-02T08:00:00.000Z', updatedAt: null });
    });

    it('keeps an update date only when it is after publication and not in the future', () => {
      expect(build({ updated: '2026-03-03T10:00:00Z' }).updatedAt).toBe('2026-03-03T10:00:00.000Z');
      expect(build({ updated: '2026-03-03T08:00:00Z' }).updatedAt).toBeNull();
      expect(build({ updated: '2026-04-01T00:00:00Z' }).updatedAt).toBeNull();
      expect(build({ updated: 'later' }).updatedAt).toBeNull();
    });
  });

  describe('provider, topics, quality, type, images', () => {
    it("names the provider by the operator's name, else the feed's title, else the site's host", () => {
      const site = { siteUrl: 'https://www.harbourhill.example/news' };
      expect(build({}, { ...site, name: 'H&H', feedTitle: 'Ignored' }).provider).toEqual({ name: 'H&H', domain: 'harbourhill.example' });
      expect(build({}, { ...site, feedTitle: 'The <i>Harbour</i> &amp; Hill' }).provider).toEqual({ name: 'The Harbour & Hill', domain: 'harbourhill.example' });
      expect(build({}, site).provider).toEqual({ name: 'harbourhill.example', domain: 'harbourhill.example' });
      // Without a site, the article's own host.
      expect(build({ link: 'https://www.news.example/a' }).provider).toEqual({ name: 'news.example', domain: 'news.example' });
      expect(build({}, { siteUrl: 'javascript:void(0)' }).provider.domain).toBe('news.example');
      // Nulls, as a stored feed holds them before its first poll, count as absent.
      expect(build({}, { name: null, feedTitle: null, siteUrl: null }).provider).toEqual({ name: 'news.example', domain: 'news.example' });
    });

    it("files the article under the feed's topics, cleaned, with the feed's weight as quality", () => {
      expect(build({}, { topics: [' Science ', 'science', '', 'Sp\u200bace', 'x'.repeat(101)] }).topics).toEqual(['Science', 'Space']);
      expect(build({}, { quality: undefined }).quality).toBe(50);
      expect(build({}, { quality: 130 }).quality).toBe(100);
      expect(build({}, { quality: -5 }).quality).toBe(0);
      expect(build({}, { quality: Number.NaN }).quality).toBe(50);
      expect(build({}, { quality: 72.5 }).quality).toBe(72.5);
    });

    it('is a video when the entry attaches one or links to a video site', () => {
      expect(build({ media: [{ url: 'https://v.example/a.webm', type: 'video/webm' }] }).type).toBe('video');
      expect(build({ media: [{ url: 'https://v.example/a', type: 'video' }] }).type).toBe('video');
      expect(build({ link: 'https://m.youtube.com/watch?v=abc' }).type).toBe('video');
      expect(build({ link: 'https://vimeo.com/12345' }).type).toBe('video');
      expect(build({ media: [{ url: 'https://a.example/a.mp3', type: 'audio/mpeg' }] }).type).toBe('article');
      expect(build({ link: 'https://notyoutube.com/watch' }).type).toBe('article');
    });

    it('keeps up to 10 http(s) images, each once', () => {
      const images = [
        { url: 'javascript:alert(1)' },
        { url: 'data:image/png;base64,AAAA' },
        { url: 'https://img.example/a.jpg', width: 10, height: 5 },
        { url: 'https://img.example/a.jpg' },
        ...Array.from({ length: 20 }, (_, i) => ({ url: `http://img.example/${i}.png` })),
      ];
      const kept = build({ images }).images;
      expect(kept).toHaveLength(FEED_ARTICLE.MAX_IMAGES);
      expect(kept[0]).toEqual({ url: 'https://img.example/a.jpg', width: 10, height: 5 });
      expect(kept[1]).toEqual({ url: 'http://img.example/0.png' });
    });

    it('keeps the guid, authors and categories in extra, as plain text, and leaves out a guid too long to show', () => {
      expect(build({ guid: 'tag:x', authors: ['<b>Ann</b>', ' '], categories: ['A &amp; B'] }).extra).toEqual({
        feedId: 7,
        guid: 'tag:x',
        authors: ['Ann'],
        categories: ['A & B'],
      });
      expect(build({ guid: 'g'.repeat(501) }).extra).toEqual({ feedId: 7 });
    });
  });
});

describe('feedItemName and feedItemHash', () => {
  it('names an item by its guid, else its link, under its feed', () => {
    expect(feedItemName(7, entry({ guid: 'abc' }))).toBe(`feed:7/${sha16('abc')}`);
    expect(feedItemName(7, entry({ guid: undefined, link: 'https://news.example/a' }))).toBe(`feed:7/${sha16('https://news.example/a')}`);
    expect(feedItemName(8, entry({ guid: 'abc' }))).toBe(`feed:8/${sha16('abc')}`);
    // The name stays while the entry changes; without guid or link it follows the content.
    expect(feedItemName(7, entry({ guid: 'abc', title: 'Edited' }))).toBe(feedItemName(7, entry({ guid: 'abc' })));
    const bare = entry({ guid: undefined, link: undefined });
    expect(feedItemName(7, bare)).toBe(`feed:7/${feedItemHash(bare).slice(0, 16)}`);
  });

  it("hashes the entry and the feed's settings, nothing else", () => {
    const base = feedItemHash(entry(), info);
    expect(feedItemHash(entry(), { ...info })).toBe(base);
    expect(feedItemHash(entry({ title: 'Edited headline' }), info)).not.toBe(base);
    expect(feedItemHash(entry({ images: [{ url: 'https://img.example/new.jpg' }] }), info)).not.toBe(base);
    expect(feedItemHash(entry(), { ...info, topics: ['Local', 'Sport'] })).not.toBe(base);
    expect(feedItemHash(entry(), { ...info, quality: 61 })).not.toBe(base);
    expect(feedItemHash(entry(), { ...info, name: 'Renamed' })).not.toBe(base);
    expect(feedItemHash(entry(), { ...info, feedTitle: 'Retitled' })).not.toBe(base);
    // A feed that moved (a permanent redirect) does not build its entries again.
    expect(feedItemHash(entry(), { ...info, feedUrl: 'https://moved.example/rss' })).toBe(base);
  });
});

describe('withoutUtmParams', () => {
  it('removes utm_* parameters in any case and leaves the rest of the URL as it was', () => {
    expect(withoutUtmParams('https://x.example/a?utm_source=rss&id=42&UTM_Medium=feed')).toBe('https://x.example/a?id=42');
    expect(withoutUtmParams('https://x.example/a?utm_source=rss')).toBe('https://x.example/a');
    expect(withoutUtmParams('https://x.example/a?q=a%20b+c&utm_term=x#frag')).toBe('https://x.example/a?q=a%20b+c#frag');
    expect(withoutUtmParams('https://x.example/a?b=2&a=1')).toBe('https://x.example/a?b=2&a=1');
    // Not a query parameter, or not utm_: untouched.
    expect(withoutUtmParams('https://x.example/a#frag?utm_source=1')).toBe('https://x.example/a#frag?utm_source=1');
    expect(withoutUtmParams('https://x.example/a?butm_x=1&utm=2&ref=3')).toBe('https://x.example/a?butm_x=1&utm=2&ref=3');
  });
});

describe('htmlToText', () => {
  it('stays linear on 1 MiB of the shapes that slow down tag and entity scanners', () => {
    const MiB = 1024 * 1024;
    const run = (unit: string, end = '') => unit.repeat(Math.ceil(MiB / unit.length)) + end;
    for (const [shape, html] of Object.entries({
      'lone angle brackets': run('<'),
      'unclosed tags': run('<a'),
      'closed tags': run('<b>'),
      'comment openers': run('<!--'),
      'script openers': run('<script'),
      'script elements never closed': run('<script>x'),
      'script without its end': run('<script></scrip'),
      'closing tags only': run('</script'),
      ampersands: run('&'),
      'numeric references': run('&#x'),
      'named references': run('&amp'),
      brackets: run('[', ']'),
      spaces: run(' ', 'x'),
    })) {
      const started = performance.now();
      htmlToText(html);
      const ms = performance.now() - started;
      expect({ shape, ms: ms < 1000 ? 'fast' : `${Math.round(ms)} ms` }).toEqual({ shape, ms: 'fast' });
    }
  });
});
