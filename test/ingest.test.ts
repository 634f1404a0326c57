import { createHash } from 'node:crypto';
import fs, { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import matter from 'gray-matter';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IngestReport } from '../src/ingest.js';
import { plainText, type Article } from '../src/model.js';
import { ingestSeedFolder, parseSeedFile, type ParseResult } from '../adapters/sources/seed-folder/index.js';
import { ParsePool, type ParsePoolOptions } from '../adapters/sources/parse-pool.js';
import { misbehavingParser } from './helpers/parse-worker.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import type { Storage } from '../src/index.js';
import { makeTempDir, removeDir, seedFields, seedText, writeSeeds } from './helpers/seed-files.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedSeed = path.resolve(repoRoot, '../shared/seed');
const powerApps = path.resolve(repoRoot, '../shared/corpus/power-apps');

const idOf = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);

function parse(text: string | Buffer, source = 'a.md') {
  return parseSeedFile(source, typeof text === 'string' ? Buffer.from(text) : text);
}

function parseOk(text: string | Buffer, source = 'a.md'): Article {
  const result = parse(text, source);
  if (!result.ok) throw new Error(`expected a valid seed, got: ${result.field ?? ''} ${result.reason}`);
  return result.article;
}

/** Every file ends up in exactly one bucket. */
function expectBalanced(report: IngestReport) {
  expect(report.accepted + report.updated + report.unchanged + report.duplicates + report.rejected.length).toBe(
    report.files,
  );
}

describe('parseSeedFile', () => {
  it.skipIf(!existsSync(sharedSeed))('accepts the example seed with published false and heat -1 kept as they are', () => {
    const name = fs.readdirSync(sharedSeed).find((f) => f.endsWith('.txt'))!;
    const bytes = readFileSync(path.join(sharedSeed, name));
    const article = parseOk(bytes, name);
    expect(article.published).toBe(false);
    expect(article.heat).toBe(-1);
    expect(article.quality).toBe(65);
    expect(article.url.startsWith('https://www.republicworld.com/')).toBe(true);
    expect(article.id).toBe(idOf(article.url));
    expect(article.contentHash).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(article.topics).toEqual(['Computer Vision', 'AI']);
    expect(article.related.length).toBeGreaterThan(2);
    expect(article.related.every((r) => /^https?:\/\//.test(r.url))).toBe(true);
    expect(article.extra.category).toBe('news');
    expect(article.extra).not.toHaveProperty('secured');
  });

  it('keeps a quality above 100 as given', async () => {
    expect(parseOk(seedText(seedFields({ quality: 154 }))).quality).toBe(154);
  });

  it('falls back to originalUrl, then ampWebUrl, when webUrl is missing or unsafe', async () => {
    const original = parseOk(
      seedText(seedFields({ webUrl: undefined, originalUrl: 'https://youtube.com/watch?v=abc' })),
    );
    expect(original.url).toBe('https://youtube.com/watch?v=abc');
    expect(original.id).toBe(idOf('https://youtube.com/watch?v=abc'));

    const amp = parseOk(
      seedText(seedFields({ webUrl: 'ftp://files.example.com/x', ampWebUrl: 'https://amp.example.com/x' })),
    );
    expect(amp.url).toBe('https://amp.example.com/x');
  });

  it('rejects a file whose only URL is javascript:, naming webUrl', async () => {
    const result = parse(seedText(seedFields({ webUrl: 'javascript:alert(1)', originalUrl: 'data:text/html,hi' })));
    expect(result).toEqual({ ok: false, field: 'webUrl', reason: 'no http(s) URL (webUrl, originalUrl or ampWebUrl)' });
  });

  it('rejects a file with no URL at all', async () => {
    expect(parse(seedText(seedFields({ webUrl: undefined })))).toMatchObject({ ok: false, field: 'webUrl' });
  });

  it('keeps a video but never its featuredContent HTML', async () => {
    const iframe = '<iframe src="https://www.youtube.com/embed/abc" allowfullscreen></iframe>';
    const article = parseOk(seedText(seedFields({ type: 'video', featuredContent: iframe })));
    expect(article.type).toBe('video');
    expect(article.extra).not.toHaveProperty('featuredContent');
    expect(JSON.stringify(article)).not.toContain('iframe');
  });

  it('never keeps the secured token', async () => {
    const article = parseOk(seedText(seedFields({ secured: 'c2VjcmV0LXRva2Vu;abc==' })));
    expect(article.extra).not.toHaveProperty('secured');
    expect(JSON.stringify(article)).not.toContain('c2VjcmV0LXRva2Vu');
  });

  it('applies defaults for quality, heat, published, removed, type and excerpt', async () => {
    const article = parseOk(
      seedText(
        seedFields({ quality: undefined, heat: undefined, published: undefined, type: undefined, excerpt: undefined }),
      ),
    );
    expect(article).toMatchObject({ quality: 0, heat: 0, published: true, removed: false, type: 'article', excerpt: '' });
    expect(article.updatedAt).toBeNull();
  });

  it('keeps removed: true', async () => {
    expect(parseOk(seedText(seedFields({ removed: true }))).removed).toBe(true);
  });

  it('keeps dozens of related entries and silently drops those without a usable URL', async () => {
    const related = Array.from({ length: 40 }, (_, i) => ({
      title: `Coverage ${i}`,
      webUrl: i % 10 === 3 ? 'javascript:alert(1)' : `https://r${i}.example.org/story`,
      provider: i % 2 === 0 ? { name: `Outlet ${i}`, domain: `r${i}.example.org` } : undefined,
      quality: i % 5 === 0 ? undefined : i,
      publishedDateTime: '2026-02-28T10:00:00Z',
    }));
    related.push({ title: 'Only an original URL', originalUrl: 'https://orig.example.net/a' } as never);
    const article = parseOk(seedText(seedFields({ related: JSON.parse(JSON.stringify(related)) })));
    expect(article.related).toHaveLength(37);
    expect(article.related.some((r) => r.url.startsWith('javascript'))).toBe(false);
    const first = article.related[0]!;
    expect(first).toEqual({
      title: 'Coverage 0',
      excerpt: '',
      url: 'https://r0.example.org/story',
      publishedAt: '2026-02-28T10:00:00.000Z',
      provider: { name: 'Outlet 0', domain: 'r0.example.org' },
      quality: 0,
    });
    // No provider: the related URL's host names it.
    expect(article.related[1]!.provider).toEqual({ name: 'r1.example.org', domain: 'r1.example.org' });
    expect(article.related.at(-1)).toMatchObject({ url: 'https://orig.example.net/a', publishedAt: null });
  });

  it('rejects the whole file when a related entry has a wrong type, naming its path', async () => {
    const related = [
      { title: 'ok', webUrl: 'https://a.example.org' },
      { title: 'ok', webUrl: 'https://b.example.org' },
      { title: 'ok', webUrl: 'https://c.example.org' },
      { title: 'bad', webUrl: 'https://d.example.org', quality: 'high' },
    ];
    expect(parse(seedText(seedFields({ related })))).toEqual({
      ok: false,
      field: 'related.3.quality',
      reason: 'expected a number',
    });
  });

  it('keeps provider images (http only) in extra and falls back for provider name and domain', async () => {
    const article = parseOk(
      seedText(
        seedFields({
          provider: {
            name: 'Microsoft',
            domain: 'microsoft.com',
            images: [
              { url: 'https://logos.example.com/microsoft-50x50.jpg', width: 50, height: 50 },
              { url: 'javascript:alert(1)' },
            ],
          },
          images: [
            { url: 'https://img.example.com/a.jpg', width: 1280, height: 720, isCached: true },
            { url: 'data:image/png;base64,AAAA' },
          ],
        }),
      ),
    );
    expect(article.provider).toEqual({ name: 'Microsoft', domain: 'microsoft.com' });
    expect(article.extra.provider).toEqual({
      images: [{ url: 'https://logos.example.com/microsoft-50x50.jpg', width: 50, height: 50 }],
    });
    expect(article.images).toEqual([{ url: 'https://img.example.com/a.jpg', width: 1280, height: 720 }]);

    const domainOnly = parseOk(seedText(seedFields({ provider: { domain: 'outlet.example' } })));
    expect(domainOnly.provider).toEqual({ name: 'outlet.example', domain: 'outlet.example' });
    const none = parseOk(seedText(seedFields({ provider: undefined, webUrl: 'https://www.host.example/a' })));
    expect(none.provider).toEqual({ name: 'www.host.example', domain: 'www.host.example' });
  });

  it('keeps unknown fields, category and the other URLs in extra, JSON-safe', async () => {
    const article = parseOk(
      seedText(
        seedFields({
          category: 'news',
          ampWebUrl: 'https://amp.example.com/a',
          cdnAmpWebUrl: 'https://cdn.example.com/a',
          originalUrl: 'https://orig.example.com/a',
          sentiment: { score: 0.4, labels: ['calm', 'positive'] },
          seenAt: new Date('2026-03-02T00:00:00Z'),
        }),
      ),
    );
    expect(article.extra).toEqual({
      category: 'news',
      ampWebUrl: 'https://amp.example.com/a',
      cdnAmpWebUrl: 'https://cdn.example.com/a',
      originalUrl: 'https://orig.example.com/a',
      sentiment: { score: 0.4, labels: ['calm', 'positive'] },
      seenAt: '2026-03-02T00:00:00.000Z',
    });
    expect(article.extra).not.toHaveProperty('title');
    expect(article.extra).not.toHaveProperty('webUrl');
  });

  it('cleans topics: trims, drops empty and over-long ones, de-duplicates ignoring case', async () => {
    const article = parseOk(
      seedText(seedFields({ topics: ['  AI ', 'ai', '', '   ', 'Power <b>Apps</b>', 'x'.repeat(101), 'Robotics'] })),
    );
    expect(article.topics).toEqual(['AI', 'Power Apps', 'Robotics']);
  });

  it('strips markup from title and excerpt', async () => {
    const article = parseOk(
      seedText(seedFields({ title: '<script>x</script>Big <b>news</b>\u0007 today', excerpt: 'a\n\n b' })),
    );
    expect(article.title).toBe('x Big news today');
    expect(article.excerpt).toBe('a b');
  });

  it('reads CRLF line endings, a BOM, and both together', async () => {
    const fields = seedFields();
    const lf = seedText(fields, 'Body\n');
    const crlf = lf.replace(/\n/g, '\r\n');
    const expected = parseOk(lf);
    for (const text of [crlf, `\uFEFF${lf}`, `\uFEFF${crlf}`]) {
      const article = parseOk(text);
      expect({ ...article, contentHash: '' }).toEqual({ ...expected, contentHash: '' });
    }
  });

  it('rejects an empty file and one with only white space', async () => {
    expect(parse('')).toEqual({ ok: false, reason: 'empty file' });
    expect(parse(' \n\r\n\t')).toEqual({ ok: false, reason: 'empty file' });
  });

  it('rejects binary bytes and text that is not UTF-8', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
    expect(parse(png)).toEqual({ ok: false, reason: 'not UTF-8 text' });
    expect(parse(Buffer.from(seedText(), 'utf16le'))).toEqual({ ok: false, reason: 'not UTF-8 text' });
    const latin1 = Buffer.from(seedText(seedFields({ title: 'Café' })), 'latin1');
    expect(parse(latin1)).toEqual({ ok: false, reason: 'not UTF-8 text' });
  });

  it('rejects a file without front matter, or with front matter never closed', async () => {
    expect(parse('# Just a heading\n\ntitle: x\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/^no front matter/) });
    expect(parse('----\ntitle: x\n----\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/^no front matter/) });
    expect(parse('---\ntitle: x\npublishedDateTime: 2026-01-01\n')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not closed/),
    });
  });

  it('reports malformed YAML with the parser message and the file line', async () => {
    const text = '---\ntitle: T\n  bad: : indent\n---\n';
    const result = parse(text);
    expect(result).toEqual({ ok: false, reason: 'malformed YAML: bad indentation of a mapping entry (line 3, column 6)' });
    expect(parse(text.replace(/\n/g, '\r\n'))).toEqual(result);
  });

  it('rejects front matter that is not a mapping', async () => {
    expect(parse('---\n- a\n- b\n---\n')).toEqual({ ok: false, reason: 'front matter is not a mapping of fields' });
    expect(parse('---\njust a string\n---\n')).toEqual({ ok: false, reason: 'front matter is not a mapping of fields' });
  });

  it.each([
    ['missing title', { title: undefined }, 'title', 'missing (expected string)'],
    ['empty title', { title: '   ' }, 'title', 'is empty'],
    ['markup-only title', { title: '<b></b>' }, 'title', 'is empty'],
    ['quality: "high"', { quality: 'high' }, 'quality', 'expected a number'],
    ['topics as a string', { topics: 'AI' }, 'topics', 'Invalid input: expected array, received string'],
    ['related as a number', { related: 5 }, 'related', 'Invalid input: expected array, received number'],
    ['a bad date', { publishedDateTime: 'yesterday' }, 'publishedDateTime', 'not a valid date-time: yesterday'],
    ['a missing date', { publishedDateTime: undefined }, 'publishedDateTime', expect.any(String)],
    ['removed as a string', { removed: 'yes' }, 'removed', 'Invalid input: expected boolean, received string'],
  ])('rejects %s, naming the field', (_name, overrides, field, reason) => {
    expect(parse(seedText(seedFields(overrides)))).toEqual({ ok: false, field, reason });
  });

  it('never runs ---js / ---javascript front matter and says the language is not allowed', async () => {
    const g = globalThis as { __pwned?: unknown };
    delete g.__pwned;
    const code = '{ title: (globalThis.__pwned = true, "x"), publishedDateTime: "2026-01-01", webUrl: "https://a.b/c" }';
    for (const language of ['js', 'javascript', ' JS', 'coffee', 'json']) {
      const result = parse(`---${language}\n${code}\n---\nbody\n`);
      expect(result).toEqual({ ok: false, reason: `front matter language ${language.trim()} is not allowed` });
    }
    // The same code through gray-matter's defaults would run: the guard above is what stops it.
    matter(`---js\n${code}\n---\n`, {});
    expect(g.__pwned).toBe(true);
    delete g.__pwned;
    parse(`---javascript\n${code}\n---\n`);
    expect(g.__pwned).toBeUndefined();
  });

  it('accepts an explicit ---yaml or ---yml opening line', async () => {
    const text = seedText();
    const expected = parseOk(text);
    for (const opening of ['---yaml', '--- yml', '---YAML']) {
      expect(parseOk(text.replace(/^---/, opening)).title).toBe(expected.title);
    }
  });

  it('refuses YAML tags that would build functions or other JS objects', async () => {
    const result = parse('---\ntitle: !!js/function "function () { globalThis.__pwned = 1 }"\n---\n');
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^malformed YAML: unknown tag/) });
    expect((globalThis as { __pwned?: unknown }).__pwned).toBeUndefined();
  });

  it('rejects a YAML alias bomb quickly', async () => {
    let text = `---\n${seedText().slice(4, -4)}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
    for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    text += '---\n';
    const started = performance.now();
    const result = parse(text);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/too large once YAML aliases are expanded/) });
  });

  it('rejects a long string repeated through aliases', async () => {
    const big = 'x'.repeat(100_000);
    const text = `---\n${seedText().slice(4, -4)}big: &big "${big}"\nmany: [${Array(100).fill('*big').join(', ')}]\n---\n`;
    expect(parse(text)).toMatchObject({ ok: false, reason: expect.stringMatching(/too large/) });
  });

  it('rejects absurdly deep nesting', async () => {
    const text = `---\n${seedText().slice(4, -4)}deep: ${'['.repeat(100)}1${']'.repeat(100)}\n---\n`;
    expect(parse(text)).toMatchObject({ ok: false, reason: expect.stringMatching(/nested more than/) });
  });

  it('does not let a __proto__ key change any prototype', async () => {
    const text = `---\n${seedText().slice(4, -4)}__proto__: { polluted: 1 }\nnested: { __proto__: { polluted: 2 }, ok: 1 }\n---\n`;
    const article = parseOk(text);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(article.extra)).toBe(Object.prototype);
    expect(article.extra.nested).toEqual({ ok: 1 });
    expect((article.extra as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('does not fill gray-matter\'s module-level cache', async () => {
    const cached = matter as unknown as { cache: object; clearCache(): void };
    cached.clearCache();
    parseOk(seedText());
    expect(Object.keys(cached.cache)).toHaveLength(0);
    // The check can fail: gray-matter does cache when called without options.
    matter(seedText());
    expect(Object.keys(cached.cache)).toHaveLength(1);
    cached.clearCache();
  });

  it('reads the front-matter block as gray-matter delimits it: blank, comment-only or null means no fields', async () => {
    const noFields = { ok: false, field: 'title', reason: 'missing (expected string)' };
    for (const text of ['---\n---\n', '---\n~\n---\n', '---\nnull\n---\n', '---\n  # a comment\n\t\n---\nBody', '---\n\uFEFF\u3000\n---\n']) {
      expect(parse(text), JSON.stringify(text)).toEqual(noFields);
    }
    expect(parse('---\n[1, 2]\n---\n')).toEqual({ ok: false, reason: 'front matter is not a mapping of fields' });
    // White space after an opening --- that names no language is part of the block, and counts as line 1.
    expect(parse('---\u3000\ntitle: [\n---\n')).toEqual({
      ok: false,
      reason: 'malformed YAML: end of the stream or a document separator is expected (line 2, column 6)',
    });
    expect(parse('---yaml\ntitle: [\n---\n')).toEqual({
      ok: false,
      reason: 'malformed YAML: unexpected end of the stream within a flow collection (line 3, column 1)',
    });
  });
});

describe('plainText', () => {
  const CONTROL_OR_BIDI = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  // Zero-width characters, except a joiner between two emoji.
  const ZERO_WIDTH = /[\u200b\u200c\u2060\ufeff]|(?<![\udc00-\udfff\ufe0f\u20e3\u2600-\u27bf])\u200d|\u200d(?![\ud800-\udbff\u2600-\u27bf])/g;
  /** The cleaning every string went through before plain text got its fast path. */
  const fullClean = (value: string) =>
    value.replace(/<[^>]*>/g, ' ').replace(ZERO_WIDTH, '').replace(CONTROL_OR_BIDI, '').replace(/\s+/g, ' ').trim();

  it('returns already plain text unchanged, and cleans anything else exactly as the full cleaning does', async () => {
    expect(plainText('Markets rally as rates fall')).toBe('Markets rally as rates fall');
    const piece = fc.constantFrom('a', 'Z', 'é', ' ', '  ', '\t', '\n', '\r', '<', '>', '<b>', '\u0007', '\u0085', '\u00a0', '\u202e', '\u2028', '\u3000', '\ufeff', '\u200b', '\u200d', '\u2060', '☀', '👩');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => plainText(pieces.join('')) === fullClean(pieces.join(''))),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 0x3100 }), fc.constantFrom(0x200b, 0x200d, 0x2060, 0xfeff, 0xd83d, 0xdc69)), { maxLength: 40 }), (codes) => {
        const text = String.fromCharCode(...codes);
        return plainText(text) === fullClean(text);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('zero-width characters and the source\'s leftovers', () => {
  it('strips zero-width characters from topics, titles, excerpts and provider names, so no look-alike topic appears', async () => {
    const zw = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
    for (const z of zw) {
      const article = parseOk(
        seedText(seedFields({
          title: `Sp${z}ace news`,
          excerpt: `Rockets${z} fly`,
          topics: [`Sp${z}ace`, 'Space', `${z}AI`],
          provider: { name: `Orbit${z} Daily`, domain: 'orbit.example.com' },
          related: [{ title: `Re${z}lated`, excerpt: `More${z}`, webUrl: 'https://r.example.com/1' }],
        })),
      );
      expect(article).toMatchObject({ title: 'Space news', excerpt: 'Rockets fly', topics: ['Space', 'AI'] });
      expect(article.provider.name).toBe('Orbit Daily');
      expect(article.related[0]).toMatchObject({ title: 'Related', excerpt: 'More' });
    }
    expect(parse(seedText(seedFields({ title: '\u200b\u2060' })))).toMatchObject({ ok: false, field: 'title', reason: 'is empty' });
    // An emoji drawn with joiners keeps them.
    expect(parseOk(seedText(seedFields({ title: 'Family 👩\u200d👩\u200d👧 day' }))).title).toBe('Family 👩\u200d👩\u200d👧 day');
  });

  it('ends a cut-off excerpt in one "…" and leaves a closing full stop alone', async () => {
    const cases: [string, string][] = [
      ['The launch slipped ...', 'The launch slipped…'],
      ['The launch slipped...', 'The launch slipped…'],
      ['The launch slipped …', 'The launch slipped…'],
      ['The launch slipped…', 'The launch slipped…'],
      ['The launch slipped .....', 'The launch slipped…'],
      ['The launch slipped.', 'The launch slipped.'],
      ['Made in the U.S.', 'Made in the U.S.'],
      ['Wait..', 'Wait..'],
    ];
    for (const [excerpt, expected] of cases) {
      const article = parseOk(seedText(seedFields({ excerpt, related: [{ title: 'r', excerpt, webUrl: 'https://r.example.com/1' }] })));
      expect(article.excerpt).toBe(expected);
      expect(article.related[0]!.excerpt).toBe(expected);
    }
  });

  it('removes stray Markdown escapes from titles and excerpts, keeping other backslashes', async () => {
    const article = parseOk(seedText(seedFields({
      title: 'The 2\\^nd \\*big\\* \\[update\\] for my\\_app',
      excerpt: 'Paths like C:\\Users stay; 3 \\* 4 \\# not',
    })));
    expect(article.title).toBe('The 2^nd *big* [update] for my_app');
    expect(article.excerpt).toBe('Paths like C:\\Users stay; 3 * 4 # not');
  });
});

describe('ingestSeedFolder', () => {
  let dir: string;
  let store: Storage;

  beforeEach(async () => {
    dir = makeTempDir();
    store = openSqliteStorage(':memory:');
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    removeDir(dir);
  });

  it('ingests .md and .txt files (any case) in nested folders, sorted, with relative sources', async () => {
    const files = {
      'b.md': seedText(),
      'a/deep/er/c.TXT': seedText(),
      'a/x.Md': seedText(),
      'notes.json': '{}',
      'readme': seedText(),
    };
    writeSeeds(dir, files);
    const report = await ingestSeedFolder(dir, store);
    expect(report).toMatchObject({ files: 3, accepted: 3, updated: 0, unchanged: 0, duplicates: 0, rejected: [] });
    expect(await store.articles.articleCount()).toBe(3);
    expect([...(await store.sources.sourceItems()).keys()].sort()).toEqual(['a/deep/er/c.TXT', 'a/x.Md', 'b.md']);
    const article = parseOk(files['a/deep/er/c.TXT'], 'a/deep/er/c.TXT');
    expect(await store.articles.getArticle(article.id)).toEqual(article);
  });

  it('skips hidden files and folders, node_modules and symbolic links', async () => {
    const outside = makeTempDir();
    try {
      writeSeeds(outside, { 'linked.md': seedText(), 'sub/inner.md': seedText() });
      writeSeeds(dir, {
        'real.md': seedText(),
        '.hidden.md': seedText(),
        '.git/x.md': seedText(),
        'node_modules/pkg/readme.md': seedText(),
      });
      symlinkSync(path.join(outside, 'linked.md'), path.join(dir, 'link.md'));
      symlinkSync(path.join(outside, 'sub'), path.join(dir, 'linked-dir'));
      symlinkSync(path.join(outside, 'sub'), path.join(dir, 'sub-deep'));
      fs.mkdirSync(path.join(dir, 'nested'));
      symlinkSync(path.join(outside, 'linked.md'), path.join(dir, 'nested', 'also.md'));
      symlinkSync(path.join(outside, 'linked.md'), path.join(dir, '.hidden-link.md'));
      const report = await ingestSeedFolder(dir, store);
      expect(report).toMatchObject({ files: 1, accepted: 1, rejected: [] });
      expect([...(await store.sources.sourceItems()).keys()]).toEqual(['real.md']);
      // Links are not followed, but named, so a linked file's absence has a reason; hidden ones stay silent.
      const skipped = 'symbolic link, not followed';
      expect(report.skipped).toEqual([
        { file: 'link.md', reason: skipped },
        { file: 'linked-dir', reason: skipped },
        { file: 'nested/also.md', reason: skipped },
        { file: 'sub-deep', reason: skipped },
      ]);
    } finally {
      removeDir(outside);
    }
  });

  it('throws, naming the absolute path, when the folder is missing', async () => {
    const missing = path.join(dir, 'nope');
    await expect(ingestSeedFolder(missing, store)).rejects.toThrow(`Seeds folder not found: ${missing}`);
    const relative = path.relative(process.cwd(), missing);
    await expect(ingestSeedFolder(relative, store)).rejects.toThrow(`Seeds folder not found: ${path.resolve(relative)}`);
  });

  it('throws when the folder holds more files than maxFiles', async () => {
    writeSeeds(dir, { 'a.md': seedText(), 'b.md': seedText(), 'c.md': seedText() });
    await expect(ingestSeedFolder(dir, store, { maxFiles: 2 })).rejects.toThrow(/more than 2 seed files/);
    expect(await store.articles.articleCount()).toBe(0);
    await expect(ingestSeedFolder(dir, store, { maxFiles: 3 })).resolves.toMatchObject({ accepted: 3 });
  });

  it('reports every kind of bad file by path and still stores the good ones', async () => {
    writeSeeds(dir, {
      'good-1.md': seedText(),
      'bad/empty.md': '',
      'bad/binary.md': Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00, 0xff, 0x10]),
      'bad/no-front-matter.txt': 'Hello there\n',
      'bad/yaml.md': '---\ntitle: [unclosed\n---\n',
      'bad/no-title.md': seedText(seedFields({ title: undefined })),
      'bad/js-url.md': seedText(seedFields({ webUrl: 'javascript:alert(1)' })),
      'bad/code.md': '---js\n{ title: (globalThis.__pwned = true, "x") }\n---\n',
      'bad/huge.md': seedText(seedFields({ excerpt: 'y'.repeat(5000) })),
      'good-2.txt': seedText(),
    });
    const report = await ingestSeedFolder(dir, store, { maxFileBytes: 4000 });
    expect(report.accepted).toBe(2);
    expect(await store.articles.articleCount()).toBe(2);
    expect((globalThis as { __pwned?: unknown }).__pwned).toBeUndefined();
    const byFile = Object.fromEntries(report.rejected.map((r) => [r.file, r]));
    expect(Object.keys(byFile).sort()).toEqual([
      'bad/binary.md',
      'bad/code.md',
      'bad/empty.md',
      'bad/huge.md',
      'bad/js-url.md',
      'bad/no-front-matter.txt',
      'bad/no-title.md',
      'bad/yaml.md',
    ]);
    expect(byFile['bad/empty.md']).toEqual({ file: 'bad/empty.md', reason: 'empty file' });
    expect(byFile['bad/binary.md']!.reason).toBe('not UTF-8 text');
    expect(byFile['bad/no-front-matter.txt']!.reason).toMatch(/^no front matter/);
    expect(byFile['bad/yaml.md']!.reason).toMatch(/^malformed YAML: /);
    expect(byFile['bad/no-title.md']).toMatchObject({ field: 'title' });
    expect(byFile['bad/js-url.md']).toMatchObject({ field: 'webUrl' });
    expect(byFile['bad/code.md']!.reason).toBe('front matter language js is not allowed');
    expect(byFile['bad/huge.md']!.reason).toMatch(/^file is larger than 4000 bytes \(\d+ bytes\)$/);
    expectBalanced(report);
  });

  it('rejects a file over the default 1 MiB limit without reading it', async () => {
    writeSeeds(dir, { 'big.md': seedText(seedFields(), 'z'.repeat(1024 * 1024)), 'ok.md': seedText() });
    const report = await ingestSeedFolder(dir, store);
    expect(report.accepted).toBe(1);
    expect(report.rejected).toEqual([{ file: 'big.md', reason: expect.stringMatching(/^file is larger than 1048576 bytes/) }]);
  });

  it('reports a file that vanishes between listing and reading, and goes on', async () => {
    writeSeeds(dir, { 'a.md': seedText(), 'gone.md': seedText(), 'z.md': seedText() });
    const open = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation((file, ...rest) => {
      if (String(file).endsWith('gone.md')) unlinkSync(String(file));
      return open(file, ...rest);
    });
    const report = await ingestSeedFolder(dir, store);
    expect(report.accepted).toBe(2);
    expect(report.rejected).toEqual([{ file: 'gone.md', reason: expect.stringMatching(/^could not read: ENOENT/) }]);
  });

  it('stores the same URL from two files once: the best copy wins, the others count as duplicates', async () => {
    const url = 'https://dup.example.com/one-story';
    writeSeeds(dir, {
      'b.md': seedText(seedFields({ webUrl: url, title: 'From b', quality: 80 })),
      'a/first.md': seedText(seedFields({ webUrl: url, title: 'From a/first', quality: 90 })),
      'c.md': seedText(seedFields({ webUrl: undefined, originalUrl: url, title: 'From c' })),
    });
    const report = await ingestSeedFolder(dir, store);
    expect(report).toMatchObject({ files: 3, accepted: 1, duplicates: 2, rejected: [] });
    expect(report.duplicateItems).toEqual([
      { file: 'b.md', keptIn: 'a/first.md' },
      { file: 'c.md', keptIn: 'a/first.md' },
    ]);
    expect(await store.articles.articleCount()).toBe(1);
    expect(await store.articles.getArticle(idOf(url))).toMatchObject({ title: 'From a/first', source: 'a/first.md' });

    const again = await ingestSeedFolder(dir, store);
    expect(again).toMatchObject({ accepted: 0, updated: 0, unchanged: 1, duplicates: 2, duplicateItems: report.duplicateItems });

    // When the winner goes away, the next best copy takes the URL over.
    unlinkSync(path.join(dir, 'a', 'first.md'));
    const after = await ingestSeedFolder(dir, store);
    expect(after).toMatchObject({ updated: 1, duplicates: 1, duplicateItems: [{ file: 'c.md', keptIn: 'b.md' }] });
    expect(await store.articles.getArticle(idOf(url))).toMatchObject({ title: 'From b', source: 'b.md' });
  });

  it('keeps the copy whose provider is the site the URL is on, whichever file name sorts first', async () => {
    const url = 'https://www.publisher.example.com/2026/story';
    const original = seedText(seedFields({ webUrl: url, title: 'Original', quality: 40, provider: { name: 'Publisher', domain: 'publisher.example.com' } }));
    const copy = seedText(seedFields({ webUrl: url, title: 'Syndicated', quality: 95, provider: { name: 'Aggregator', domain: 'aggregator.example.net' } }));
    for (const [first, second] of [['a.md', 'b.md'], ['b.md', 'a.md']] as const) {
      removeDir(dir);
      writeSeeds(dir, { [first]: original, [second]: copy });
      const fresh = openSqliteStorage(':memory:');
      const report = await ingestSeedFolder(dir, fresh);
      expect(report).toMatchObject({ files: 2, accepted: 1, duplicates: 1, rejected: [] });
      expect(await fresh.articles.getArticle(idOf(url))).toMatchObject({ title: 'Original', source: first });
      // And again on the next run, when the kept file is not even parsed.
      expect(await ingestSeedFolder(dir, fresh)).toMatchObject({ unchanged: 1, duplicates: 1, updated: 0 });
      expect(await fresh.articles.getArticle(idOf(url))).toMatchObject({ title: 'Original', source: first });
      await fresh.close();
    }
  });

  it('keeps the higher-quality copy of the same URL in either file order, and the same on every run', async () => {
    const url = 'https://dup.example.com/quality-story';
    const better = seedText(seedFields({ webUrl: url, title: 'Better', quality: 90 }));
    const worse = seedText(seedFields({ webUrl: url, title: 'Worse', quality: 20 }));
    for (const [first, second] of [['a.md', 'z.md'], ['z.md', 'a.md']] as const) {
      removeDir(dir);
      writeSeeds(dir, { [first]: better, [second]: worse });
      const fresh = openSqliteStorage(':memory:');
      for (let run = 0; run < 3; run++) {
        const report = await ingestSeedFolder(dir, fresh);
        expect(report.duplicates).toBe(1);
        expectBalanced(report);
        expect(await fresh.articles.getArticle(idOf(url))).toMatchObject({ title: 'Better', source: first });
      }
      await fresh.close();
    }
  });

  it('lets a better copy added later take over a stored article, counted as an update', async () => {
    const url = 'https://dup.example.com/later-story';
    writeSeeds(dir, { 'z.md': seedText(seedFields({ webUrl: url, title: 'First seen', quality: 10 })) });
    expect(await ingestSeedFolder(dir, store)).toMatchObject({ accepted: 1 });
    writeSeeds(dir, { 'a.md': seedText(seedFields({ webUrl: url, title: 'Better later', quality: 80 })) });
    const report = await ingestSeedFolder(dir, store);
    expect(report).toMatchObject({ files: 2, accepted: 0, updated: 1, unchanged: 0, duplicates: 1 });
    expect(await store.articles.getArticle(idOf(url))).toMatchObject({ title: 'Better later', source: 'a.md' });
    expect(await ingestSeedFolder(dir, store)).toMatchObject({ unchanged: 1, duplicates: 1, updated: 0 });
  });

  it('re-ingesting an unchanged folder parses and writes nothing, and reports the same rejections', async () => {
    writeSeeds(dir, {
      'a.md': seedText(),
      'b/c.txt': seedText(),
      'd.md': seedText(seedFields({ removed: true })),
      'bad.md': '---\ntitle: x\n---\n',
    });
    const first = await ingestSeedFolder(dir, store);
    expect(first).toMatchObject({ files: 4, accepted: 3, updated: 0, unchanged: 0 });
    const stored = async () => Promise.all([...(await store.sources.sourceItems()).values()].map((r) => store.articles.getArticle(r.articleId ?? '')));
    const before = await stored();

    const upsert = vi.spyOn(store.articles, 'upsertArticles');
    const record = vi.spyOn(store.sources, 'recordSourceItems');
    const second = await ingestSeedFolder(dir, store);
    expect(second).toMatchObject({ files: 4, accepted: 0, updated: 0, unchanged: 3, duplicates: 0 });
    expect(second.rejected).toEqual(first.rejected);
    expect(second.rejected).toEqual([{ file: 'bad.md', field: 'publishedDateTime', reason: expect.any(String) }]);
    expect(upsert).not.toHaveBeenCalled();
    expect(record).not.toHaveBeenCalled();
    expect(await stored()).toEqual(before);
    expectBalanced(second);
  });

  it('stores removed: true as removed', async () => {
    const fields = seedFields({ removed: true });
    writeSeeds(dir, { 'gone.md': seedText(fields) });
    await ingestSeedFolder(dir, store);
    expect((await store.articles.getArticle(idOf(fields.webUrl as string)))?.removed).toBe(true);
  });

  it('updates the article when its file changes', async () => {
    const fields = seedFields({ title: 'Old title' });
    writeSeeds(dir, { 'story.md': seedText(fields), 'other.md': seedText() });
    await ingestSeedFolder(dir, store);
    writeSeeds(dir, { 'story.md': seedText({ ...fields, title: 'New title' }) });
    const report = await ingestSeedFolder(dir, store);
    expect(report).toMatchObject({ accepted: 0, updated: 1, unchanged: 1 });
    expect((await store.articles.getArticle(idOf(fields.webUrl as string)))?.title).toBe('New title');
  });

  it('keeps the stored article when a good file turns bad, and picks it up again once fixed', async () => {
    const fields = seedFields({ title: 'Stays stored' });
    const good = seedText(fields);
    writeSeeds(dir, { 'story.md': good });
    await ingestSeedFolder(dir, store);
    const id = idOf(fields.webUrl as string);
    const stored = await store.articles.getArticle(id);

    writeSeeds(dir, { 'story.md': '---\ntitle: [broken\n---\n' });
    const broken = await ingestSeedFolder(dir, store);
    expect(broken.rejected).toEqual([{ file: 'story.md', reason: expect.stringMatching(/^malformed YAML/) }]);
    expect(await store.articles.getArticle(id)).toEqual(stored);
    expect(await store.articles.articleCount()).toBe(1);
    // Still reported on the next run: a rejected file is never skipped as unchanged.
    expect((await ingestSeedFolder(dir, store)).rejected).toHaveLength(1);

    writeSeeds(dir, { 'story.md': good });
    const fixed = await ingestSeedFolder(dir, store);
    expect(fixed).toMatchObject({ accepted: 0, updated: 0, unchanged: 1, rejected: [] });
    expect((await store.sources.sourceItems()).get('story.md')).toMatchObject({ articleId: id });
    expect((await ingestSeedFolder(dir, store)).unchanged).toBe(1);
  });

  it('writes in batches and reports progress at most every 100 files and at the end', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 620; i++) files[`batch/${String(i).padStart(4, '0')}.md`] = seedText();
    writeSeeds(dir, files);
    const upsert = vi.spyOn(store.articles, 'upsertArticles');
    const progress: [number, number][] = [];
    const report = await ingestSeedFolder(dir, store, { onProgress: (done, total) => progress.push([done, total]) });
    expect(report).toMatchObject({ files: 620, accepted: 620 });
    expect(await store.articles.articleCount()).toBe(620);
    expect(upsert.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...upsert.mock.calls.map(([batch]) => batch.length))).toBeLessThanOrEqual(500);
    expect(progress.at(-1)).toEqual([620, 620]);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(8);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);
  });

  it('reports progress once for an empty folder', async () => {
    const progress: [number, number][] = [];
    const report = await ingestSeedFolder(dir, store, { onProgress: (d, t) => progress.push([d, t]) });
    expect(report).toMatchObject({ files: 0, accepted: 0, rejected: [] });
    expect(progress).toEqual([[0, 0]]);
  });

  it.skipIf(!existsSync(sharedSeed))('ingests the example seed folder', async () => {
    const report = await ingestSeedFolder(sharedSeed, store);
    expect(report.rejected).toEqual([]);
    expect(report.accepted).toBe(report.files);
    const [record] = [...(await store.sources.sourceItems()).values()];
    expect(await store.articles.getArticle(record!.articleId!)).toMatchObject({ published: false, heat: -1 });
  });

  it.skipIf(!existsSync(powerApps))('accepts every file of the power-apps corpus, and a second run changes nothing', async () => {
    const report = await ingestSeedFolder(powerApps, store);
    expect(report.files).toBe(192);
    expect(report.rejected).toEqual([]);
    expect(report.accepted).toBe(await store.articles.articleCount());
    expectBalanced(report);
    const ids = [...(await store.sources.sourceItems()).values()].flatMap((r) => (r.articleId ? [r.articleId] : []));
    const articles = (await Promise.all(ids.map((id) => store.articles.getArticle(id)))).map((a) => a!);
    expect(articles.some((a) => a.type === 'video')).toBe(true);
    for (const article of articles) {
      expect(article.extra).not.toHaveProperty('secured');
      expect(article.extra).not.toHaveProperty('featuredContent');
      expect(article.url).toMatch(/^https?:\/\//);
    }
    const again = await ingestSeedFolder(powerApps, store);
    expect(again).toMatchObject({ accepted: 0, updated: 0, unchanged: report.accepted, duplicates: report.duplicates });
  });
});

describe('ingestSeedFolder on worker threads', () => {
  let dir: string;
  const stores: Storage[] = [];
  const open = () => {
    const store = openSqliteStorage(':memory:');
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = makeTempDir();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    removeDir(dir);
  });

  /** A logger that keeps the messages, to tell whether a run started workers. */
  function recorder() {
    const messages: string[] = [];
    const log = (_: object | string, message?: string) => void (message && messages.push(message));
    return { messages, logger: { debug: log, info: log, warn: log, error: log } };
  }
  const usedWorkers = (messages: string[]) => messages.includes('parsing seed files on worker threads');
  const withoutDuration = ({ durationMs: _, ...report }: IngestReport) => report;
  /** Every seed-file record with its stored article, in path order. */
  const contents = async (store: Storage) =>
    Promise.all(
      [...(await store.sources.sourceItems()).values()]
        .sort((a, b) => (a.source < b.source ? -1 : 1))
        .map(async (r) => ({ ...r, article: r.articleId ? await store.articles.getArticle(r.articleId) : undefined })),
    );

  it('stores and reports exactly what parsing on the calling thread does; the best copy keeps a shared URL', async () => {
    const url = 'https://dup.example.com/one-story';
    const files: Record<string, string> = {
      'z/late.md': seedText(seedFields({ webUrl: url, title: 'Late' })),
      'a/early.md': seedText(seedFields({ webUrl: url, title: 'Early', quality: 90 })),
      'm/middle.txt': seedText(seedFields({ webUrl: undefined, originalUrl: url, title: 'Middle' })),
      'bad/yaml.md': '---\ntitle: [unclosed\n---\n',
      'bad/no-title.md': seedText(seedFields({ title: undefined })),
      'bad/empty.md': '',
      'gone.md': seedText(seedFields({ removed: true })),
    };
    for (let i = 0; i < 60; i++) files[`n/${String(i).padStart(2, '0')}.md`] = seedText();
    writeSeeds(dir, files);

    const inThread = open();
    const expected = await ingestSeedFolder(dir, inThread, { workers: 0 });
    expect(expected).toMatchObject({ files: 67, accepted: 62, duplicates: 2 });
    expect(expected.rejected.map((r) => r.file)).toEqual(['bad/empty.md', 'bad/no-title.md', 'bad/yaml.md']);
    expect(await inThread.articles.getArticle(idOf(url))).toMatchObject({ title: 'Early', source: 'a/early.md' });

    // Workers finish in whatever order they do; the outcome may not depend on it.
    for (let run = 0; run < 2; run++) {
      const store = open();
      const { messages, logger } = recorder();
      const report = await ingestSeedFolder(dir, store, { workers: 2, workerThreshold: 1, logger });
      expect(usedWorkers(messages)).toBe(true);
      expect(withoutDuration(report)).toEqual(withoutDuration(expected));
      expect(await contents(store)).toEqual(await contents(inThread));
    }
  });

  it('starts workers only when a run has workerThreshold files to parse', async () => {
    const fields = Array.from({ length: 30 }, () => seedFields());
    const name = (i: number) => `s/${String(i).padStart(2, '0')}.md`;
    writeSeeds(dir, Object.fromEntries(fields.map((f, i) => [name(i), seedText(f)])));
    const store = open();
    const run = async () => {
      const { messages, logger } = recorder();
      const report = await ingestSeedFolder(dir, store, { workerThreshold: 20, logger });
      return { report, workers: usedWorkers(messages) };
    };

    expect(await run()).toMatchObject({ report: { accepted: 30 }, workers: true });
    // Nothing to parse: unchanged files are only read and hashed.
    expect(await run()).toMatchObject({ report: { unchanged: 30 }, workers: false });
    // Changed files are known only once read; 25 of them are enough.
    writeSeeds(dir, Object.fromEntries(fields.slice(0, 25).map((f, i) => [name(i), seedText({ ...f, title: 'Changed' })])));
    expect(await run()).toMatchObject({ report: { updated: 25, unchanged: 5 }, workers: true });
    writeSeeds(dir, Object.fromEntries(fields.slice(0, 5).map((f, i) => [name(i), seedText({ ...f, title: 'Again' })])));
    expect(await run()).toMatchObject({ report: { updated: 5, unchanged: 25 }, workers: false });
    expect((await store.articles.getArticle(idOf(fields[0]!.webUrl as string)))?.title).toBe('Again');
    expect((await store.articles.getArticle(idOf(fields[29]!.webUrl as string)))?.title).toBe(fields[29]!.title);
  });
});

describe('ParsePool', () => {
  const pools: ParsePool<ParseResult>[] = [];
  const makePool = (options: Partial<ParsePoolOptions<ParseResult>> = {}) => {
    const pool = new ParsePool<ParseResult>({
      size: 1,
      timeLimitMs: 5000,
      parser: misbehavingParser,
      fallback: parseSeedFile,
      failed: (reason) => ({ ok: false, reason }),
      ...options,
    });
    pools.push(pool);
    return pool;
  };
  const seedNamed = (title: string) => Buffer.from(seedText(seedFields({ title })));
  const parseAll = (pool: ParsePool<ParseResult>, names: string[]) => Promise.all(names.map((n) => pool.parse(n, seedNamed(n))));

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });

  it('rejects a file whose parse runs past the time limit, and parses the files queued behind it on a fresh worker', async () => {
    const pool = makePool({ timeLimitMs: 400 });
    const names = ['a.md', 'hang.md', 'b.md', 'c.md'];
    const results = await parseAll(pool, names);
    expect(results[1]).toEqual({ ok: false, reason: 'took longer than 400 ms to parse' });
    for (const i of [0, 2, 3]) expect(results[i]).toMatchObject({ ok: true, article: { title: names[i], source: names[i] } });
    expect(await pool.parse('d.md', seedNamed('d.md'))).toMatchObject({ ok: true, article: { title: 'd.md' } });
  });

  it('rejects a file that stops its worker, and parses the others', async () => {
    const { messages, logger } = (() => {
      const messages: string[] = [];
      const log = (_: object | string, message?: string) => void (message && messages.push(message));
      return { messages, logger: { debug: log, info: log, warn: log, error: log } };
    })();
    const results = await parseAll(makePool({ logger }), ['a.md', 'crash.md', 'b.md']);
    expect(results[1]).toEqual({ ok: false, reason: 'could not parse: the parser stopped (parse worker exited with code 3)' });
    expect(results[0]).toMatchObject({ ok: true, article: { title: 'a.md' } });
    expect(results[2]).toMatchObject({ ok: true, article: { title: 'b.md' } });
    expect(messages).toContain('parse worker stopped');
  });

  it('hands each file its own result, whichever worker finishes first', async () => {
    const names = Array.from({ length: 60 }, (_, i) => (i % 4 === 0 ? `slow-${i}.md` : `fast-${i}.md`));
    const results = await parseAll(makePool({ size: 2 }), names);
    results.forEach((result, i) => expect(result).toMatchObject({ ok: true, article: { title: names[i], source: names[i] } }));
  });

  it('answers a parse that throws with failed("could not parse: …"), and goes on', async () => {
    const results = await parseAll(makePool(), ['a.md', 'throw.md', 'b.md']);
    expect(results[1]).toEqual({ ok: false, reason: 'could not parse: parser defect' });
    expect(results[2]).toMatchObject({ ok: true, article: { title: 'b.md' } });
  });

  it('parses on the calling thread when the module has no such function', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_: object | string, message?: string) => void warnings.push(message ?? '') };
    const pool = makePool({ parser: { ...misbehavingParser, exportName: 'noSuchFunction' }, logger });
    const results = await parseAll(pool, ['a.md', 'hang-but-never-on-a-worker.md']);
    expect(results.map((r) => r.ok && r.article.title)).toEqual(['a.md', 'hang-but-never-on-a-worker.md']);
    expect(warnings).toContain('parse workers could not start; parsing on the main thread');
  });

  it('parses on the calling thread when the workers cannot start', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_: object | string, message?: string) => void warnings.push(message ?? '') };
    const pool = makePool({ size: 2, parser: { url: new URL('./helpers/no-such-worker.ts', import.meta.url), exportName: 'parse' }, logger });
    const results = await parseAll(pool, ['a.md', 'b.md', 'hang-but-never-on-a-worker.md']);
    expect(results.map((r) => r.ok && r.article.title)).toEqual(['a.md', 'b.md', 'hang-but-never-on-a-worker.md']);
    expect(warnings).toContain('parse workers could not start; parsing on the main thread');
  });
});

it('hashes bytes exactly, so a file rewritten identically stays unchanged', async () => {
  const dir = makeTempDir();
  const store = openSqliteStorage(':memory:');
  try {
    const text = seedText();
    writeSeeds(dir, { 'a.md': text });
    await ingestSeedFolder(dir, store);
    writeFileSync(path.join(dir, 'a.md'), text);
    expect(await ingestSeedFolder(dir, store)).toMatchObject({ unchanged: 1, updated: 0 });
  } finally {
    await store.close();
    removeDir(dir);
  }
});
