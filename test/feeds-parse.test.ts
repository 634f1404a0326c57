import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEED_LIMITS, parseFeedBody, type ParsedFeed } from '../adapters/sources/feeds/parse.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', 'feeds', name), 'utf8');

function parsed(body: string, feedUrl: string): ParsedFeed {
  const result = parseFeedBody(body, feedUrl);
  if (!result.ok) throw new Error(`expected a feed, got: ${result.reason}`);
  return result.feed;
}

/** An RSS 2.0 body with `count` entries, numbered from 1. */
function rssWith(count: number, item = (i: number) => `<item><title>Entry ${i}</title><link>https://many.example/${i}</link><guid>g-${i}</guid></item>`): string {
  const items = Array.from({ length: count }, (_, i) => item(i + 1)).join('\n');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title><link>https://many.example/</link><description>d</description>${items}</channel></rss>`;
}

describe('parseFeedBody', () => {
  it('reads RSS 2.0: content:encoded, media:content and thumbnails before image enclosures, authors and categories', () => {
    const feed = parsed(fixture('rss2.xml'), 'https://www.harbourhill.example/rss.xml');
    expect(feed).toMatchObject({ format: 'rss', title: 'Harbour & Hill Gazette', siteUrl: 'https://www.harbourhill.example/', truncated: false });
    expect(feed.items).toHaveLength(3);
    const [ferry, wall, video] = feed.items;
    expect(ferry).toMatchObject({
      guid: 'hh-2026-0311',
      // Entities are decoded once, by the XML parser: what is left is the feed's HTML.
      title: '<b>Ferry</b> timetable changes &amp; new night crossings',
      link: 'https://www.harbourhill.example/news/ferry-timetable?utm_source=rss&id=42&UTM_Medium=feed',
      published: 'Tue, 03 Mar 2026 08:15:00 +0100',
      authors: ['Mara Quill'],
      categories: ['Transport', 'Harbour'],
      media: [],
    });
    expect(ferry!.summary).toContain('<em>Gull</em>');
    expect(ferry!.content).toContain('<script>trackReader()</script>');
    expect(ferry!.images).toEqual([
      { url: 'https://cdn.harbourhill.example/img/ferry-1200.jpg', width: 1200, height: 800 },
      { url: 'https://cdn.harbourhill.example/img/ferry-200.jpg', width: 200, height: 133 },
      { url: 'https://cdn.harbourhill.example/img/ferry-map.png' },
    ]);
    // A relative link is resolved against the feed's URL; a media:content without medium or type is an image.
    expect(wall).toMatchObject({ link: 'https://www.harbourhill.example/news/harbour-wall', guid: 'https://www.harbourhill.example/news/harbour-wall' });
    expect(wall!.images.map((i) => i.url)).toEqual(['javascript:alert(1)', 'http://cdn.harbourhill.example/img/wall.jpg']);
    expect(video!.media).toEqual([{ url: 'https://cdn.harbourhill.example/video/keeper.mp4', type: 'video/mp4' }]);
  });

  it('resolves Atom links against the entry xml:base, itself relative to the feed xml:base', () => {
    const feed = parsed(fixture('atom-xml-base.xml'), 'https://mirror.example/journal.atom');
    expect(feed).toMatchObject({ format: 'atom', title: 'The <i>Field</i> Journal', siteUrl: 'https://journal.example/science/' });
    const [moss, tags] = feed.items;
    // The alternate link, not the replies link; the enclosure image is resolved the same way.
    expect(moss).toMatchObject({
      guid: 'tag:journal.example,2026:moss',
      link: 'https://journal.example/science/2026/03/moss-survey.html',
      images: [{ url: 'https://journal.example/media/moss.jpg' }],
      published: '2026-03-03T07:30:00+02:00',
      updated: '2026-03-03T08:45:00Z',
      authors: ['Ilse Fernwood'],
      categories: ['Botany'],
    });
    expect(moss!.content).toBe('<p>Volunteers counted moss on <b>4,000</b> buildings.</p>');
    expect(tags!.link).toBe('https://journal.example/notes/tags');
  });

  it('resolves Atom links against the feed URL when there is no xml:base', () => {
    const body = `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>x</id><updated>2026-03-01T00:00:00Z</updated>
      <entry><title>E</title><id>e1</id><updated>2026-03-01T00:00:00Z</updated><link rel="self" href="/api/e1"/><link href="../posts/e1"/></entry></feed>`;
    expect(parsed(body, 'https://blog.example/feeds/all.atom').items[0]!.link).toBe('https://blog.example/posts/e1');
  });

  it('escapes Atom text and JSON Feed text fields, so the markup-looking characters stay text', () => {
    const atom = parsed(fixture('atom-xml-base.xml'), 'https://journal.example/feed');
    expect(atom.items[0]!.title).toBe('Moss grows faster on north walls &amp; roofs, survey finds');
    expect(atom.items[1]).toMatchObject({ title: 'Why a &lt;b&gt; tag is not bold here', summary: 'Plain text: 3 &lt; 4 and 5 &gt; 2.' });
    const json = parsed(fixture('json-feed-1.1.json'), 'https://orchard.example/feed.json');
    expect(json.title).toBe('Orchard Tech &lt;Notes&gt;');
    expect(json.items[0]!.title).toBe('Soil sensors &amp; the &lt;mesh&gt; network');
    expect(json.items[1]!.content).toBe('Line one.\nLine two has 2 &lt; 3 in it.');
  });

  it('leaves out Atom content of a non-text type and content given by reference', () => {
    const body = `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>x</id><updated>2026-03-01T00:00:00Z</updated>
      <entry><title>A</title><id>a</id><updated>2026-03-01T00:00:00Z</updated><content type="image/png">iVBORw0KGgo=</content></entry>
      <entry><title>B</title><id>b</id><updated>2026-03-01T00:00:00Z</updated><content src="https://x.example/b.html" type="text/html"/></entry></feed>`;
    expect(parsed(body, 'https://x.example/feed').items.map((e) => e.content)).toEqual([undefined, undefined]);
  });

  it('reads RDF 1.0 with Dublin Core dates, creators and subjects', () => {
    const feed = parsed(fixture('rdf.xml'), 'https://archive.example/index.rdf');
    expect(feed).toMatchObject({ format: 'rdf', title: 'Archive Notes', siteUrl: 'https://archive.example/' });
    expect(feed.items).toEqual([
      {
        guid: 'https://archive.example/notes/mill-ledgers',
        link: 'https://archive.example/notes/mill-ledgers',
        title: 'Mill ledgers from 1851 digitised',
        summary: 'Forty volumes of accounts are now online.',
        content: undefined,
        published: '2026-03-01T14:20:00+01:00',
        updated: undefined,
        authors: ['County Archive'],
        images: [],
        media: [],
        categories: ['History'],
      },
    ]);
  });

  it('reads JSON Feed 1.1: content, image and banner image (resolved), tags, authors and dates', () => {
    const feed = parsed(fixture('json-feed-1.1.json'), 'https://orchard.example/feed.json');
    expect(feed).toMatchObject({ format: 'json', siteUrl: 'https://orchard.example/' });
    expect(feed.items[0]).toMatchObject({
      guid: 'orchard-101',
      link: 'https://orchard.example/posts/sensor-nets',
      content: '<p>The orchard now reports soil moisture every <strong>ten minutes</strong>.</p>',
      summary: 'Moisture readings every ten minutes, over a mesh of 40 nodes.',
      images: [{ url: 'https://orchard.example/img/sensor.jpg' }, { url: 'https://orchard.example/img/banner.jpg' }],
      published: '2026-03-02T18:00:00-05:00',
      updated: '2026-03-03T01:00:00Z',
      categories: ['IoT', 'Farming'],
      authors: ['Tomas Reed'],
    });
  });

  it('reads RSS 0.91 and a body with a byte order mark and leading blank lines', () => {
    const body = `\ufeff\n\n<rss version="0.91"><channel><title>Old</title><link>https://old.example/</link><description>d</description>
      <item><title>Still here</title><link>https://old.example/1</link></item></channel></rss>`;
    expect(parsed(body, 'https://old.example/rss').items.map((e) => e.link)).toEqual(['https://old.example/1']);
  });

  it('reads a feed without entries as an empty list', () => {
    expect(parsed(fixture('empty.xml'), 'https://quiet.example/rss')).toEqual({
      format: 'rss',
      title: 'Quiet Week',
      siteUrl: 'https://quiet.example/',
      items: [],
      truncated: false,
    });
  });

  it('gives a reason for a body that is no feed: malformed XML, an HTML page, bad JSON, nothing at all', () => {
    expect(parseFeedBody(fixture('invalid.xml'), 'https://broken.example/rss')).toEqual({ ok: false, reason: 'not well-formed XML: Unexpected end of title' });
    expect(parseFeedBody(fixture('not-a-feed.html'), 'https://www.harbourhill.example/')).toEqual({
      ok: false,
      reason: 'not a feed: an HTML page (is the URL the site rather than its feed?)',
    });
    expect(parseFeedBody('{"version": "https://jsonfeed.org/version/1.1", "items": [', 'https://x.example/feed.json')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not valid JSON: /),
    });
    expect(parseFeedBody('{"error": "rate limited"}', 'https://x.example/feed.json')).toEqual({
      ok: false,
      reason: 'not a feed: no RSS, Atom, RDF or JSON Feed document found',
    });
    expect(parseFeedBody('  \n ', 'https://x.example/feed')).toEqual({ ok: false, reason: 'the feed is empty' });
    expect(parseFeedBody('plain words', 'https://x.example/feed')).toEqual({ ok: false, reason: 'not a feed: no RSS, Atom, RDF or JSON Feed document found' });
  });

  it('refuses a body over the size cap without parsing it', () => {
    const body = rssWith(1).replace('<title>Many</title>', `<title>${'x'.repeat(FEED_LIMITS.MAX_BODY_CHARS)}</title>`);
    const started = performance.now();
    expect(parseFeedBody(body, 'https://many.example/rss')).toEqual({
      ok: false,
      reason: `the feed is ${body.length} characters long, over the ${FEED_LIMITS.MAX_BODY_CHARS} accepted`,
    });
    expect(performance.now() - started).toBeLessThan(50);
    // At the cap exactly, it is read.
    const atCap = rssWith(1).replace('</description>', `${' '.repeat(FEED_LIMITS.MAX_BODY_CHARS - rssWith(1).length)}</description>`);
    expect(atCap.length).toBe(FEED_LIMITS.MAX_BODY_CHARS);
    expect(parseFeedBody(atCap, 'https://many.example/rss').ok).toBe(true);
  });

  it('reads the first 500 entries of a 600-entry feed and says that it left some out', () => {
    const feed = parsed(rssWith(600), 'https://many.example/rss');
    expect(feed.items).toHaveLength(FEED_LIMITS.MAX_ITEMS);
    expect(feed.items[0]!.guid).toBe('g-1');
    expect(feed.items.at(-1)!.guid).toBe('g-500');
    expect(feed.truncated).toBe(true);
    // Exactly at the cap nothing is left out.
    expect(parsed(rssWith(500), 'https://many.example/rss').truncated).toBe(false);
  });

  it('keeps at most 10 images, 10 other media, 10 authors and 30 categories per entry, each once', () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('');
    const body = rssWith(1, () =>
      `<item xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/"><title>Busy</title><link>https://many.example/busy</link>` +
        many(40, (i) => `<media:content url="https://img.example/${i}.jpg" medium="image"/>`) +
        '<media:content url="https://img.example/0.jpg" medium="image"/>' +
        many(40, (i) => `<media:content url="https://vid.example/${i}.mp4" type="video/mp4"/>`) +
        many(40, (i) => `<dc:creator>Author ${i}</dc:creator>`) +
        many(80, (i) => `<category>Cat ${i % 50}</category>`) +
        '</item>',
    ).replace('<rss version="2.0">', '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">');
    const [entry] = parsed(body, 'https://many.example/rss').items;
    expect(entry!.images.map((i) => i.url)).toEqual(Array.from({ length: 10 }, (_, i) => `https://img.example/${i}.jpg`));
    expect(entry!.media).toHaveLength(10);
    expect(entry!.authors).toEqual(Array.from({ length: 10 }, (_, i) => `Author ${i}`));
    expect(entry!.categories).toEqual(Array.from({ length: 30 }, (_, i) => `Cat ${i}`));
  });

  it('takes a YouTube entry as a video, and leaves out an enclosure that names no type', () => {
    const youtube = `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015"><title>Channel</title><id>c</id><updated>2026-03-01T00:00:00Z</updated>
      <entry><id>yt:video:abc</id><yt:videoId>abc</yt:videoId><title>Clip</title><link rel="alternate" href="https://www.youtube.com/watch?v=abc"/><updated>2026-03-01T00:00:00Z</updated></entry></feed>`;
    expect(parsed(youtube, 'https://www.youtube.com/feeds/videos.xml?channel_id=c').items[0]!.media).toEqual([
      { url: 'https://www.youtube.com/watch?v=abc', type: 'video' },
    ]);
    const untyped = rssWith(1, () => '<item><title>T</title><link>https://x.example/t</link><enclosure url="https://x.example/file" length="1"/></item>');
    expect(parsed(untyped, 'https://x.example/rss').items[0]).toMatchObject({ images: [], media: [] });
  });

  it('never expands entities a document type declares', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>
      <rss version="2.0"><channel><title>T</title><item><title>&c;&c;&c;</title><link>https://x.example/1</link></item></channel></rss>`;
    expect(parsed(bomb, 'https://x.example/rss').items[0]!.title).toBe('&c;&c;&c;');
  });

  it('parses bodies built to be slow in time linear in their size', () => {
    const MiB = 1024 * 1024;
    const run = (unit: string) => unit.repeat(Math.ceil(MiB / unit.length));
    let unique = '';
    for (let i = 0; unique.length < MiB; i++) unique += `a${i}="1" `;
    const shapes: Record<string, string> = {
      'unclosed tags': `<rss version="2.0"><channel><title>${run('<')}</title></channel></rss>`,
      'distinct attributes': `<rss version="2.0"><channel><title ${unique}>x</title></channel></rss>`,
      'entity-like runs': `<rss version="2.0"><channel><title>${run('&a')};</title></channel></rss>`,
      'CDATA sections': `<rss version="2.0"><channel><title>${run('<![CDATA[x]]>')}</title></channel></rss>`,
      'nesting': `<rss version="2.0"><channel>${run('<x>')}</channel></rss>`,
      'entries': rssWith(20_000),
      'Atom links': `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><entry><id>e</id><title>t</title>${run('<link href="a"/>')}</entry></feed>`,
      'JSON arrays': run('['),
    };
    for (const [shape, body] of Object.entries(shapes)) {
      const started = performance.now();
      parseFeedBody(body, 'https://slow.example/feed');
      const ms = performance.now() - started;
      // Each takes 10–350 ms here; a quadratic shape would take minutes.
      expect({ shape, ms: ms < 2000 ? 'fast' : `${Math.round(ms)} ms` }).toEqual({ shape, ms: 'fast' });
    }
  });
});
