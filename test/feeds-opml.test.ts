import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { parseOpml } from 'feedsmith';
import type { FeedRecord } from '../src/index.js';
import { OPML_LIMITS, categoryTopics, readOpml, writeOpml, type OpmlRead } from '../adapters/sources/feeds/opml.js';
import { checkXmlShape } from '../adapters/sources/feeds/xml-shape.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const opml = (body: string, head = '<head><title>Mine</title></head>') => `<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">${head}<body>${body}</body></opml>\n`;
const limits = { maxDepth: 10, counted: 'outline', maxCounted: 5, maxAttributes: 4 };

function readOk(text: string): Extract<OpmlRead, { ok: true }> {
  const read = readOpml(bytes(text));
  if (!read.ok) throw new Error(`expected the file to be read: ${read.reason}`);
  return read;
}

function feedRecord(id: number, over: Partial<FeedRecord> = {}): FeedRecord {
  return {
    id,
    url: `https://f${id}.example/feed`,
    name: null,
    topics: ['AI'],
    quality: 50,
    enabled: true,
    disabledReason: null,
    etag: null,
    lastModified: null,
    lastFetchAt: null,
    lastSuccessAt: null,
    lastStatus: null,
    failures: 0,
    nextFetchAt: '2026-11-27T08:00:00.000Z',
    items: 0,
    feedTitle: null,
    siteUrl: null,
    createdAt: '2026-11-27T08:00:00.000Z',
    ...over,
  };
}

describe('checkXmlShape', () => {
  it('accepts a document with a declaration, DOCTYPE (internal subset with ">" in quotes), comments, CDATA and self-closed elements', () => {
    const text = `<?xml version="1.0"?>\n<!DOCTYPE opml [ <!ENTITY e "a>b"> ]>\n<!-- a <comment> -->\n<opml a='1' b = "2"><x><![CDATA[ <not-a-tag> ]]></x><outline/><outline></outline></opml>\n<!-- after -->\n`;
    expect(checkXmlShape(text, limits)).toEqual({ ok: true, root: 'opml', counted: 2 });
  });

  it.each([
    ['a document cut short', '<opml><body>\n<outline text="a">', /ends inside <outline> \(opened at line 2\).*cut short/],
    ['a mismatched end tag', '<opml><body></opml>', /<\/opml> where <\/body> \(opened at line 1\) was expected/],
    ['an end tag with nothing open', '<opml></opml></body>', /end tag <\/body> with no element open/],
    ['a second root', '<opml/><opml/>', /second root element/],
    ['text after the root', '<opml/>junk', /text after the root element/],
    ['text before the root', 'junk<opml/>', /text before the root element/],
    ['an unquoted attribute', '<opml a=1/>', /value of attribute a is not in quotes/],
    ['an attribute without a value', '<opml a/>', /attribute a has no value/],
    ['"<" in an attribute value', '<opml a="x<y"/>', /"<" inside an attribute value/],
    ['an unclosed quote', '<opml a="x/>', /quote is never closed/],
    ['an unclosed comment', '<opml><!-- x </opml>', /comment that is never closed/],
    ['a stray "<"', '<opml>a < b</opml>', /"<" that starts no tag/],
    ['nothing at all', '   ', /no XML element found/],
  ])('refuses %s', (_, text, reason) => {
    const shape = checkXmlShape(text, limits);
    expect(shape.ok).toBe(false);
    if (!shape.ok) expect(shape.reason).toMatch(reason);
  });

  it('gives the line and column of the problem', () => {
    const shape = checkXmlShape('<opml>\n  <body>\n    </head>\n</opml>', limits);
    expect(shape).toMatchObject({ ok: false, line: 3, column: 5 });
  });

  it('refuses nesting deeper than maxDepth and more counted elements than maxCounted', () => {
    const deep = `${'<a>'.repeat(11)}${'</a>'.repeat(11)}`;
    expect(checkXmlShape(deep, limits)).toMatchObject({ ok: false, reason: 'elements nested more than 10 levels deep' });
    expect(checkXmlShape(`${'<a>'.repeat(10)}${'</a>'.repeat(10)}`, limits).ok).toBe(true);
    const many = `<opml>${'<OUTLINE/>'.repeat(6)}</opml>`;
    expect(checkXmlShape(many, limits)).toMatchObject({ ok: false, reason: 'more than 5 <outline> elements' });
    expect(checkXmlShape(`<opml>${'<outline/>'.repeat(5)}</opml>`, limits)).toEqual({ ok: true, root: 'opml', counted: 5 });
  });

  it('refuses a tag with more attributes than maxAttributes, and shows control characters in names as "?"', () => {
    expect(checkXmlShape('<opml a="1" b="2" c="3" d="4"/>', limits).ok).toBe(true);
    expect(checkXmlShape('<opml a="1" b="2" c="3" d="4" e="5"/>', limits)).toMatchObject({ ok: false, reason: 'a tag with more than 4 attributes', column: 31 });
    const shape = checkXmlShape('<opml></x\u001b[2J>', limits);
    expect(shape).toMatchObject({ ok: false, reason: '</x?[2J> where </opml> (opened at line 1) was expected' });
  });

  it('stays linear on inputs as large as an import accepts, in the shapes that would make a naive scan quadratic', () => {
    const size = OPML_LIMITS.MAX_BYTES;
    const big = { maxDepth: 64, counted: 'outline', maxCounted: size, maxAttributes: size };
    const shapes: Record<string, string> = {
      'one tag with many attributes': `<opml${' a="1"'.repeat(size / 6)}>`,
      'many attributes, then a long text': `<opml${' a="1"'.repeat(size / 12)}>${'x'.repeat(size / 2)}<`,
      'many attributes, then no ">"': `<opml${' a="1"'.repeat(size / 6)}`,
      'long attribute value': `<opml a="${'x'.repeat(size)}"/>`,
      'many empty elements': `<opml>${'<outline/>'.repeat(size / 10)}</opml>`,
      'many comment openers': `<opml>${'<!--'.repeat(size / 4)}`,
      'a long DOCTYPE with brackets': `<!DOCTYPE x ${'['.repeat(size)}`,
      'many lines before the problem': `<opml>${'\n'.repeat(size)}</body>`,
      'white space inside a tag': `<opml${' '.repeat(size)}`,
    };
    for (const [shape, text] of Object.entries(shapes)) {
      const started = performance.now();
      checkXmlShape(text, big);
      const ms = performance.now() - started;
      expect({ shape, ms: ms < 1000 ? 'fast' : `${Math.round(ms)} ms` }).toEqual({ shape, ms: 'fast' });
    }
  });
});

describe('readOpml', () => {
  it('reads feed outlines in document order with their folder and category topics, and names outlines that are not feeds', () => {
    const read = readOk(
      opml(`
        <outline text="Tech" title="Tech">
          <outline text="AI">
            <outline type="rss" text="Example AI" title="Example AI" xmlUrl="https://ai.example/feed?a=1&amp;b=2" htmlUrl="https://ai.example/"/>
            <outline type="rss" text="Robots Daily" title="RD" xmlUrl=" https://robots.example/rss " category="/News/Robots,ML,  ,/"/>
          </outline>
          <outline text="a note"/>
          <outline type="link" text="A site" url="https://site.example/"/>
        </outline>
        <outline type="rss" text="https://top.example/rss" xmlUrl="https://top.example/rss" newsbriefQuality="72.5"/>`),
    );
    expect(read.title).toBe('Mine');
    expect(read.outlines).toBe(7);
    expect(read.feeds).toEqual([
      { xmlUrl: 'https://ai.example/feed?a=1&b=2', name: null, topics: ['AI'], quality: null, commented: false, label: '"Example AI"' },
      { xmlUrl: 'https://robots.example/rss', name: 'Robots Daily', topics: ['Robots', 'ML', 'AI'], quality: null, commented: false, label: '"Robots Daily"' },
      { xmlUrl: 'https://top.example/rss', name: null, topics: [], quality: 72.5, commented: false, label: '"https://top.example/rss"' },
    ]);
    expect(read.nonFeeds).toEqual([
      { label: '"a note"', reason: 'not a feed (no xmlUrl)' },
      { label: '"A site"', reason: 'not a feed (no xmlUrl, type "link")' },
    ]);
  });

  it('marks every feed in a commented-out folder as commented, and ignores a quality out of range', () => {
    const read = readOk(opml(`<outline text="Old" isComment="true"><outline text="x" xmlUrl="https://x.example/rss" newsbriefQuality="101"/></outline>`));
    expect(read.feeds).toEqual([{ xmlUrl: 'https://x.example/rss', name: 'x', topics: ['Old'], quality: null, commented: true, label: '"x"' }]);
  });

  it('cleans names and cuts long ones, and never shows credentials of a URL in a label', () => {
    const long = `Very ${'long '.repeat(40)}name`;
    const read = readOk(opml(`<outline text="${long}" xmlUrl="https://a.example/rss"/><outline text="Tab&#9;and&#27;[31mescape" xmlUrl="https://b.example/rss"/><outline xmlUrl="https://user:secret@c.example/rss"/>`));
    expect(read.feeds[0]!.name!.length).toBeLessThanOrEqual(OPML_LIMITS.MAX_NAME);
    expect(read.feeds[0]!.name).toMatch(/…$/);
    expect(read.feeds[1]!.name).toBe('Tab and[31mescape');
    expect(read.feeds[2]!.label).toBe('https://c.example/rss');
  });

  it('reads a file in the encoding its XML declaration names', () => {
    const latin1 = Buffer.from(opml('<outline text="Économie" xmlUrl="https://eco.example/rss"/>').replace('UTF-8', 'ISO-8859-1'), 'latin1');
    const read = readOpml(latin1);
    expect(read.ok && read.feeds[0]!.name).toBe('Économie');
  });

  it.each([
    ['an empty file', '', /the file is empty/],
    ['a file cut short', opml('<outline text="a" xmlUrl="https://a.example/rss"/>').slice(0, 120), /not well-formed XML: .*\(line \d+, column \d+\)/],
    ['mismatched tags the lenient parser would accept', opml('<outline text="a"><outline text="b" xmlUrl="https://a.example/rss"></outline>'), /not well-formed XML: <\/body> where <\/outline>/],
    ['an RSS feed', '<rss version="2.0"><channel><title>x</title></channel></rss>', /not an OPML file: its root element is <rss>.*sources add URL/],
    ['an HTML page', '<html><body>hi</body></html>', /not an OPML file: its root element is <html>/],
  ])('refuses %s', (_, text, reason) => {
    const read = readOpml(bytes(text));
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toMatch(reason);
  });

  it('refuses a file over the size cap unread, more outlines than the cap, and folders nested too deep', () => {
    const huge = readOpml(new Uint8Array(OPML_LIMITS.MAX_BYTES + 1));
    expect(huge).toEqual({ ok: false, reason: 'it is 5 MB, over the 5 MB an import accepts' });
    const many = readOpml(bytes(opml('<outline text="x"/>'.repeat(OPML_LIMITS.MAX_OUTLINES + 1))));
    expect(many).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 10,000 <outline> elements/) });
    expect(readOk(opml('<outline text="x"/>'.repeat(OPML_LIMITS.MAX_OUTLINES))).nonFeeds).toHaveLength(OPML_LIMITS.MAX_OUTLINES);
    const deep = opml(`${'<outline text="f">'.repeat(OPML_LIMITS.MAX_DEPTH + 1)}${'</outline>'.repeat(OPML_LIMITS.MAX_DEPTH + 1)}`);
    expect(readOpml(bytes(deep))).toMatchObject({ ok: false, reason: expect.stringMatching(/nested more than/) });
  });

  it('reads an OPML file with an empty body as no feeds', () => {
    expect(readOk('<opml version="2.0"><head/><body/></opml>')).toEqual({ ok: true, title: null, feeds: [], nonFeeds: [], outlines: 0 });
  });
});

describe('readOpml on hostile files as large as an import accepts', () => {
  it('reads or refuses each within 3 s (a loaded 2-core machine takes about 1 s for the slowest)', () => {
    const size = OPML_LIMITS.MAX_BYTES - 200;
    const wrap = (body: string) => Buffer.from(`<opml version="2.0"><body>${body}</body></opml>`);
    const shapes: Record<string, Buffer> = {
      '10,000 feeds with long categories': wrap(Array.from({ length: 10_000 }, (_, i) => `<outline text="F${i}" xmlUrl="https://f${i}.example/rss" category="${'A,'.repeat(200)}/x/y/z"/>`).join('')),
      'outlines of 64 attributes up to the size cap': wrap(fill(size, (i) => `<outline${Array.from({ length: 63 }, (_, j) => ` a${j}="${i}"`).join('')} xmlUrl="https://f${i}.example/rss"/>`)),
      'one outline with too many attributes': wrap(`<outline${Array.from({ length: 300_000 }, (_, i) => ` a${i}="1"`).join('')}/>`.slice(0, size)),
      'folders nested to the cap': wrap(Array.from({ length: 290 }, () => `${'<outline text="f">'.repeat(OPML_LIMITS.MAX_DEPTH)}<outline text="x" xmlUrl="https://a.example/"/>${'</outline>'.repeat(OPML_LIMITS.MAX_DEPTH)}`).join('')),
      'a 5 MB text': wrap(`<outline text="${'x '.repeat(size / 2 - 100)}" xmlUrl="https://a.example/rss"/>`),
      'entity-like runs': wrap(`<outline text="${'&amp;'.repeat(size / 5 - 100)}" xmlUrl="https://a.example/rss"/>`),
      'a folder name of commas': wrap(`<outline text="${','.repeat(size - 200)}"><outline text="x" xmlUrl="https://a.example/rss"/></outline>`),
    };
    for (const [shape, file] of Object.entries(shapes)) {
      expect(file.length).toBeLessThanOrEqual(OPML_LIMITS.MAX_BYTES);
      const started = performance.now();
      readOpml(file);
      const ms = performance.now() - started;
      expect({ shape, ms: ms < 3000 ? 'fast' : `${Math.round(ms)} ms` }).toEqual({ shape, ms: 'fast' });
    }
  });
});

/** Outlines made by `make` while they fit in `size` characters. */
function fill(size: number, make: (i: number) => string): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; ; i++) {
    const part = make(i);
    if (length + part.length > size) return parts.join('');
    parts.push(part);
    length += part.length;
  }
}

describe('categoryTopics', () => {
  it('takes a tag whole and a path by its last part, dropping empty entries', () => {
    expect(categoryTopics('AI, /News/Science/ ,AR/VR,,/,  ')).toEqual(['AI', 'Science', 'AR/VR']);
  });
});

describe('writeOpml', () => {
  const head = { title: 'Newsbrief sources', dateCreated: new Date('2026-11-27T08:00:00Z') };

  it('writes OPML 2.0 that readOpml reads back to the same URLs, names, topics, quality and state', () => {
    const feeds = [
      feedRecord(1, { name: 'R&D "Weekly" <x>', topics: ['AI', 'AT&T', 'Économie'], quality: 82.5 }),
      feedRecord(2, { feedTitle: 'Own &amp; <b>Title</b>', siteUrl: 'https://f2.example/', url: 'https://f2.example/feed?a=1&b=2' }),
      feedRecord(3, { enabled: false, disabledReason: 'gone (410)', topics: ['Space', 'AR/VR'] }),
    ];
    const text = writeOpml(feeds, head);
    const document = parseOpml(text);
    expect(document.head?.title).toBe('Newsbrief sources');
    expect(document.body?.outlines?.[1]).toMatchObject({ text: 'Own & Title', title: 'Own & Title', htmlUrl: 'https://f2.example/', type: 'rss' });
    const read = readOk(text);
    expect(read.feeds.map((f) => ({ url: f.xmlUrl, name: f.name, topics: f.topics, quality: f.quality, commented: f.commented }))).toEqual([
      { url: 'https://f1.example/feed', name: 'R&D "Weekly" <x>', topics: ['AI', 'AT&T', 'Économie'], quality: 82.5, commented: false },
      { url: 'https://f2.example/feed?a=1&b=2', name: null, topics: ['AI'], quality: 50, commented: false },
      { url: 'https://f3.example/feed', name: null, topics: ['Space', 'AR/VR'], quality: 50, commented: true },
    ]);
  });

  it('writes a valid, empty subscription list when there are no feeds', () => {
    const text = writeOpml([], head);
    expect(checkXmlShape(text, limits)).toEqual({ ok: true, root: 'opml', counted: 0 });
    expect(text).toContain('<title>Newsbrief sources</title>');
    expect(readOk(text).feeds).toEqual([]);
  });
});
