import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as discord from '../adapters/discord/render.js';
import * as telegram from '../adapters/telegram/render.js';
import { Newsbrief } from '../src/app.js';
import type { IngestReport } from '../src/ingest.js';
import { RejectionMemory, ingestSeedFolder, isBlankBlock, parseSeedFile } from '../adapters/sources/seed-folder/index.js';
import type { Article } from '../src/model.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { discordProblems, hostileText, rawSeed, telegramProblems } from './helpers/hostile.js';
import { makeTempDir, removeDir, seedFields, seedText, writeSeeds } from './helpers/seed-files.js';
import { misbehavingParser } from './helpers/parse-worker.js';

const idOf = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);
const NO_URL = 'no http(s) URL (webUrl, originalUrl or ampWebUrl)';
const NOW = new Date('2026-03-02T00:00:00Z');

const dirs: string[] = [];
afterAll(async () => dirs.forEach(removeDir));

/** A rejection: the field at fault (when there is one) and the reason, exactly or by pattern. */
interface Rejected {
  field?: string;
  reason: string | RegExp;
}
/** An acceptance, with what must hold of the stored article. */
interface Accepted {
  accepted: (article: Article) => void;
}
interface Kind {
  name: string;
  bytes: () => string | Buffer;
  expect: Rejected | Accepted;
}

const seed = (values: Record<string, string | undefined> = {}, extra = '') => () => rawSeed(values, extra).text;
const withBytes = (insert: number[]) => () => {
  const text = rawSeed({ title: '"Broken here: X"' }).text;
  const at = text.indexOf('X');
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(insert), Buffer.from(text.slice(at + 1))]);
};
const aliasBomb = () => {
  let extra = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < 10; i++) extra += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
  return rawSeed({}, extra).text;
};
const CONTROL_OR_BIDI = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const KINDS: Kind[] = [
  // Bytes that are not UTF-8 text.
  { name: 'NUL bytes', bytes: withBytes([0x00, 0x00]), expect: { reason: 'not UTF-8 text' } },
  { name: 'invalid UTF-8 (a lone continuation byte)', bytes: withBytes([0x80]), expect: { reason: 'not UTF-8 text' } },
  { name: 'overlong UTF-8 ("/" as C0 AF)', bytes: withBytes([0xc0, 0xaf]), expect: { reason: 'not UTF-8 text' } },
  {
    name: 'UTF-16 with a byte-order mark',
    bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rawSeed().text, 'utf16le')]),
    expect: { reason: 'not UTF-8 text' },
  },
  { name: 'Windows-1252 text', bytes: () => Buffer.from(rawSeed({ title: '"Café crème"' }).text, 'latin1'), expect: { reason: 'not UTF-8 text' } },
  // Front matter missing, empty or never closed.
  { name: 'only ---', bytes: () => '---', expect: { reason: 'front matter is not closed (no second --- line)' } },
  { name: 'empty front matter', bytes: () => '---\n---\nBody\n', expect: { field: 'title', reason: 'missing (expected string)' } },
  {
    name: 'unterminated front matter',
    bytes: () => rawSeed().text.replace(/---\nBody\.\n$/, 'Body.\n'),
    expect: { reason: 'front matter is not closed (no second --- line)' },
  },
  { name: 'no front matter at all', bytes: () => '# A heading\n\ntitle: x\n', expect: { reason: /^no front matter/ } },
  { name: 'front matter that is a list', bytes: () => '---\n- title\n- webUrl\n---\n', expect: { reason: 'front matter is not a mapping of fields' } },
  // YAML that is malformed or tries to do more than data.
  {
    name: 'YAML indented with tabs',
    bytes: seed({ provider: '' }, '\tname: Tabbed News\n\tdomain: tabs.example\n'),
    expect: { field: 'provider', reason: /expected object/ },
  },
  { name: 'duplicate keys', bytes: seed({}, 'title: "Second title"\n'), expect: { reason: /^malformed YAML: duplicated mapping key \(line \d+, column 1\)$/ } },
  { name: 'an alias bomb', bytes: aliasBomb, expect: { field: 'a4', reason: /too large once YAML aliases are expanded/ } },
  { name: '!!js/function tag', bytes: seed({ title: '!!js/function "function () { return 1 }"' }), expect: { reason: /^malformed YAML: unknown tag/ } },
  { name: '!!python/object tag', bytes: seed({ title: '!!python/object:os.system ls' }), expect: { reason: /^malformed YAML: unknown tag/ } },
  { name: 'a raw escape byte in YAML', bytes: seed({ title: '"red \u001b[31m text"' }), expect: { reason: /^malformed YAML: / } },
  { name: '---js front matter', bytes: () => '---js\n{ title: "x", webUrl: "https://a.example/" }\n---\n', expect: { reason: 'front matter language js is not allowed' } },
  { name: '---coffee front matter', bytes: () => '---coffee\ntitle: "x"\n---\n', expect: { reason: 'front matter language coffee is not allowed' } },
  // Sizes.
  { name: 'a 10 MB title line', bytes: seed({ title: 'x'.repeat(10 * 1024 * 1024) }), expect: { reason: /^file is larger than 1048576 bytes \(\d+ bytes\)$/ } },
  { name: 'a 1,001-character title', bytes: seed({ title: 'y'.repeat(1001) }), expect: { field: 'title', reason: 'longer than 1000 characters' } },
  {
    name: 'deeply nested related',
    bytes: seed({ related: `${'['.repeat(60)}{ title: deep, webUrl: "https://d.example/" }${']'.repeat(60)}` }),
    expect: { field: 'related', reason: /nested more than 32 levels deep/ },
  },
  { name: 'topics with 10,000 entries', bytes: seed({ topics: `[${Array(10_000).fill('AI').join(', ')}]` }), expect: { field: 'topics', reason: 'Too big: expected array to have <=100 items' } },
  // Fields of the wrong type.
  { name: 'related as a string', bytes: seed({ related: '"https://other.example/story"' }), expect: { field: 'related', reason: 'Invalid input: expected array, received string' } },
  { name: 'a numeric title (kept as text)', bytes: seed({ title: '1984' }), expect: { accepted: (a) => expect(a.title).toBe('1984') } },
  { name: 'a title of zero-width spaces only', bytes: seed({ title: '"\u200b\u200b\u2060"' }), expect: { field: 'title', reason: 'is empty' } },
  { name: 'a binary title', bytes: seed({ title: '!!binary aGVsbG8=' }), expect: { field: 'title', reason: 'missing (expected string)' } },
  { name: 'provider as a string', bytes: seed({ provider: 'Reuters' }), expect: { field: 'provider', reason: 'Invalid input: expected object, received string' } },
  { name: 'published as a string', bytes: seed({ published: '"false"' }), expect: { field: 'published', reason: 'Invalid input: expected boolean, received string' } },
  { name: 'a title of bidi controls only', bytes: seed({ title: '"\\u202e\\u2066\\u202a"' }), expect: { field: 'title', reason: 'is empty' } },
  // Dates.
  { name: 'date 2022-13-45 (unquoted)', bytes: seed({ publishedDateTime: '2022-13-45' }), expect: { field: 'publishedDateTime', reason: 'not a valid date-time: 2022-13-45' } },
  { name: 'date 2023-02-29 (quoted)', bytes: seed({ publishedDateTime: '"2023-02-29T10:00:00Z"' }), expect: { field: 'publishedDateTime', reason: 'not a valid date-time: 2023-02-29T10:00:00Z' } },
  { name: 'a related date 2022-02-31', bytes: seed({ related: '[{ title: R, webUrl: "https://r.example/", publishedDateTime: 2022-02-31 }]' }), expect: { field: 'related.0.publishedDateTime', reason: 'not a valid date-time: 2022-02-31' } },
  { name: 'date as a number', bytes: seed({ publishedDateTime: '1700000000' }), expect: { field: 'publishedDateTime', reason: 'expected a date-time such as 2026-03-01T09:30:00Z' } },
  // Scores.
  { name: 'quality NaN', bytes: seed({ quality: '.nan' }), expect: { field: 'quality', reason: 'expected a number' } },
  { name: 'quality Infinity', bytes: seed({ quality: '.inf' }), expect: { field: 'quality', reason: 'expected a number' } },
  { name: 'quality "1e309"', bytes: seed({ quality: '"1e309"' }), expect: { field: 'quality', reason: 'expected a number' } },
  // URLs.
  { name: 'a javascript: URL', bytes: seed({ webUrl: '"javascript:alert(1)"' }), expect: { field: 'webUrl', reason: NO_URL } },
  { name: 'a data: URL', bytes: seed({ webUrl: '"data:text/html,<script>alert(1)</script>"' }), expect: { field: 'webUrl', reason: NO_URL } },
  { name: 'a file: URL', bytes: seed({ webUrl: 'file:///etc/passwd' }), expect: { field: 'webUrl', reason: NO_URL } },
  { name: 'a 3,000-character URL', bytes: seed({ webUrl: `https://long.example/${'p'.repeat(3000)}` }), expect: { field: 'webUrl', reason: NO_URL } },
  // Accepted, but made safe.
  {
    name: 'a URL with credentials (kept, credentials stripped)',
    bytes: seed({ webUrl: 'https://reader:s3cret@creds.example/story', originalUrl: 'https://news.example.com@evil.example/x' }),
    expect: {
      accepted: (a) => {
        expect(a.url).toBe('https://creds.example/story');
        expect(a.extra.originalUrl).toBe('https://evil.example/x');
        expect(JSON.stringify(a)).not.toMatch(/s3cret|reader@|news\.example\.com@/);
      },
    },
  },
  {
    name: 'RTL override and ANSI escapes in the title (kept, sanitized)',
    bytes: seed({ title: '"\\e[31mALERT\\e[0m \\u202Egnp.exe\\u202C \\u2066isolated\\u2069"', excerpt: '"\\x07bell \\x1b]0;title\\x07"' }),
    expect: {
      accepted: (a) => {
        expect(a.title).toBe('[31mALERT[0m gnp.exe isolated');
        expect(a.title).not.toMatch(CONTROL_OR_BIDI);
        expect(a.excerpt).not.toMatch(CONTROL_OR_BIDI);
      },
    },
  },
  {
    name: 'HTML and script in title and excerpt (kept, markup stripped)',
    bytes: seed({ title: '"<script>alert(1)</script><b>Big</b> <img src=x onerror=alert(1)>news"', excerpt: '"<a href=\\"javascript:x\\">click</a>"' }),
    expect: {
      accepted: (a) => {
        expect(a.title).toBe('alert(1) Big news');
        expect(a.excerpt).toBe('click');
      },
    },
  },
  {
    name: 'emoji and ZWJ sequences (kept intact)',
    bytes: seed({ title: '"👩‍💻 Devs 👨‍👩‍👧‍👦 and 🇺🇦 flags, e\u0301"' }),
    expect: { accepted: (a) => expect(a.title).toBe('👩‍💻 Devs 👨‍👩‍👧‍👦 and 🇺🇦 flags, e\u0301') },
  },
  { name: 'empty topics (kept, no topics)', bytes: seed({ topics: '[]' }), expect: { accepted: (a) => expect(a.topics).toEqual([]) } },
  { name: 'negative heat (kept as given)', bytes: seed({ heat: '-5' }), expect: { accepted: (a) => expect(a.heat).toBe(-5) } },
  {
    name: '__proto__ keys (kept, no prototype touched)',
    bytes: seed({}, '__proto__: { polluted: 1 }\nnested: { __proto__: { polluted: 2 }, ok: 1 }\n'),
    expect: {
      accepted: (a) => {
        expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
        expect(Object.getPrototypeOf(a.extra)).toBe(Object.prototype);
        expect(a.extra.nested).toEqual({ ok: 1 });
      },
    },
  },
  {
    name: 'constructor and prototype keys (kept as plain data)',
    bytes: seed({}, 'constructor: { prototype: { polluted: 1 } }\ntoString: 5\nhasOwnProperty: x\n'),
    expect: {
      accepted: (a) => {
        expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
        expect(Object.prototype.hasOwnProperty.call(a.extra, 'toString')).toBe(true);
        expect(JSON.parse(JSON.stringify(a.extra))).toMatchObject({ toString: 5, hasOwnProperty: 'x' });
      },
    },
  },
];

const rejections = KINDS.filter((k) => !('accepted' in k.expect));

describe('a table of hostile seed files', () => {
  it('has at least 25 kinds of bad file, each with its own name', async () => {
    expect(rejections.length).toBeGreaterThanOrEqual(25);
    expect(new Set(KINDS.map((k) => k.name)).size).toBe(KINDS.length);
  });

  it.each(KINDS)('$name: handled with a clear outcome, nothing stored lost, a good file beside it still accepted', async (kind) => {
    const dir = makeTempDir('newsbrief-hostile-');
    dirs.push(dir);
    const store = openSqliteStorage(':memory:');
    try {
      const keep = seedFields({ title: 'Stays stored', topics: ['AI'] });
      const victim = seedFields({ title: 'Was fine before', topics: ['AI'] });
      writeSeeds(dir, { 'keep.md': seedText(keep), 'victim.md': seedText(victim) });
      expect((await ingestSeedFolder(dir, store)).accepted).toBe(2);
      const app = new Newsbrief({ storage: store, clock: () => NOW });
      const subscribed = await app.subscribe({ platform: 'telegram', chatId: '42' }, 'AI', '08:00', 'UTC');
      expect(subscribed.ok).toBe(true);
      const kept = await store.articles.getArticle(idOf(keep.webUrl as string));
      const before = await store.articles.getArticle(idOf(victim.webUrl as string));

      // The good file turns hostile, and a new good file arrives beside it.
      const bytes = kind.bytes();
      const fresh = seedFields({ title: 'Arrived later', topics: ['AI'] });
      writeSeeds(dir, { 'victim.md': bytes, 'fresh.md': seedText(fresh) });
      const started = performance.now();
      const report: IngestReport = await ingestSeedFolder(dir, store);
      expect(performance.now() - started).toBeLessThan(3000);

      expect(report.files).toBe(3);
      expect((await store.articles.getArticle(idOf(fresh.webUrl as string)))?.title).toBe('Arrived later');
      expect(await store.articles.getArticle(idOf(keep.webUrl as string))).toEqual(kept);
      expect(await store.articles.getArticle(idOf(victim.webUrl as string))).toEqual(before);
      expect(await store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: '42' })).toHaveLength(1);

      if ('accepted' in kind.expect) {
        expect(report.rejected).toEqual([]);
        const articleId = (await store.sources.sourceItems()).get('victim.md')?.articleId;
        const article = await store.articles.getArticle(articleId ?? '');
        expect(article).toBeDefined();
        kind.expect.accepted(article!);
        expect(report.accepted).toBe(2);
        expect(await store.articles.articleCount()).toBe(4);
      } else {
        const { field, reason } = kind.expect;
        expect(report.rejected).toEqual([
          { file: 'victim.md', ...(field ? { field } : {}), reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) },
        ]);
        expect(report.accepted).toBe(1);
        expect(await store.articles.articleCount()).toBe(3);
        // Parsing the bytes directly says the same (unless the size limit stopped them being read).
        if (!/^file is larger/.test(report.rejected[0]!.reason)) {
          expect(parseSeedFile('victim.md', Buffer.from(bytes))).toEqual({ ok: false, ...(field ? { field } : {}), reason: report.rejected[0]!.reason });
        }
      }

      // The bot keeps serving: a digest builds and both platforms can show it.
      app.refreshTopics();
      const news = await app.news('AI', { count: 10 });
      if (!news.ok) throw new Error(news.code);
      expect(news.digest.items.map((i) => i.title)).toEqual(expect.arrayContaining(['Stays stored', 'Arrived later']));
      for (const html of telegram.renderDigest(news.digest)) expect(telegramProblems(html, { rawLimit: true })).toEqual([]);
      for (const msg of discord.renderDigest(news.digest)) expect(discordProblems(msg)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

/** What parseSeedFile must do with any input: answer, quickly, without reaching its last-resort catch. */
function expectAnswered(bytes: Uint8Array): void {
  const started = performance.now();
  const result = parseSeedFile('any.md', Buffer.from(bytes));
  expect(performance.now() - started).toBeLessThan(1000);
  if (result.ok) {
    expect(result.article.url).toMatch(/^https?:\/\//);
    expect(result.article.title.length).toBeGreaterThan(0);
    return;
  }
  expect(result.reason.length).toBeGreaterThan(0);
  // "could not parse" is the catch for defects, not for bad input.
  expect(result.reason).not.toMatch(/^could not parse/);
}

const VALID = Buffer.from(seedText(seedFields({ related: [{ title: 'R', webUrl: 'https://r.example/' }] }), 'Body text.\n'));

/** Random edits of a valid seed file: bytes flipped, inserted or cut, and hostile text spliced in. */
const mutatedSeed = fc
  .array(
    fc.oneof(
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
      fc.record({ op: fc.constant('splice' as const), at: fc.nat(), text: fc.oneof(hostileText(4), fc.constantFrom(': ', '\n- ', '[', '{', '&a ', '*a', '!!str ', '|\n', '>-\n', '\t', '"', "'", '---\n', '\n---\n', '#')) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat(), length: fc.nat({ max: 40 }) }),
      fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((edits) => {
    let bytes = Buffer.from(VALID);
    for (const edit of edits) {
      const at = edit.at % (bytes.length + 1);
      if (edit.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), edit.bytes, bytes.subarray(at)]);
      else if (edit.op === 'splice') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(edit.text), bytes.subarray(at)]);
      else if (edit.op === 'cut') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + edit.length)]);
      else if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << edit.bit);
    }
    return new Uint8Array(bytes);
  });

/** Front matter assembled from YAML's sharpest tokens. */
const yamlSoup = fc
  .array(
    fc.constantFrom(
      'title', 'webUrl', 'publishedDateTime', 'related', 'topics', 'provider', 'quality', '__proto__', 'constructor',
      ': ', ':', '\n', '\n  ', '\t', '- ', '[', ']', '{', '}', ',', '&a ', '*a', '&b ', '*b', '!!binary ', '!!js/function ',
      '!!timestamp ', '!!str ', '!!int ', '!!float ', '!!set ', '!!omap ', '<<: ', '? ', '|', '>', '"', "'", '\\', '#',
      '%YAML 1.2\n', '---\n', '...\n', 'https://a.example/x', '2026-03-01', '2022-13-45', '1e309', '.nan', '~', 'null', 'yes',
    ),
    { maxLength: 80 },
  )
  .map((tokens) => new Uint8Array(Buffer.from(`---\n${tokens.join('')}\n---\n`)));

describe('parseSeedFile on any bytes', () => {
  it('accepts or rejects any bytes with a reason, never throwing or hanging', async () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), expectAnswered), { numRuns: 200 });
  });

  it('does the same for random edits of a valid seed file', async () => {
    fc.assert(fc.property(mutatedSeed, expectAnswered), { numRuns: 300 });
  });

  it('does the same for front matter made of YAML’s sharpest tokens', async () => {
    fc.assert(fc.property(yamlSoup, expectAnswered), { numRuns: 300 });
  });

  it('rejects whatever is not a closed front-matter block first, by its first line', async () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        fc.pre(!text.replace(/^\uFEFF/, '').startsWith('---'));
        const result = parseSeedFile('x.md', Buffer.from(text));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toMatch(/^(empty file|not UTF-8 text|no front matter)/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ingestSeedFolder on any files', () => {
  it('never throws, accounts for every file, keeps the good one, and names every rejected file with a reason', async () => {
    const anyFile = fc.oneof(fc.uint8Array({ maxLength: 1500 }), mutatedSeed, yamlSoup);
    await fc.assert(
      fc.asyncProperty(fc.array(anyFile, { minLength: 1, maxLength: 5 }), async (files) => {
        const dir = makeTempDir('newsbrief-anyfiles-');
        const store = openSqliteStorage(':memory:');
        try {
          const good = seedFields({ title: 'The good one' });
          writeSeeds(dir, Object.fromEntries([['good.md', seedText(good)], ...files.map((f, i) => [`any-${i}.md`, Buffer.from(f)])]));
          const report = await ingestSeedFolder(dir, store);
          expect(report.files).toBe(files.length + 1);
          expect(report.accepted + report.updated + report.unchanged + report.duplicates + report.rejected.length).toBe(report.files);
          for (const r of report.rejected) {
            expect(r.file).toMatch(/^any-\d\.md$/);
            expect(r.reason.length).toBeGreaterThan(0);
            expect(r.reason).not.toMatch(/^could not parse/);
          }
          expect((await store.articles.getArticle(idOf(good.webUrl as string)))?.title).toBe('The good one');
          // A second run over the same folder changes nothing and reports the same.
          const again = await ingestSeedFolder(dir, store);
          expect(again.rejected).toEqual(report.rejected);
          expect(again.accepted + again.updated).toBe(0);
        } finally {
          await store.close();
          removeDir(dir);
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('plain-text cleaning stays linear', () => {
  it('cleans a file full of unclosed "<" in well under a second', async () => {
    const { parseSeedFile } = await import('../adapters/sources/seed-folder/index.js');
    const excerpt = '<'.repeat(19_000);
    const related = Array.from({ length: 40 }, (_, i) => `  - title: "r${i}"\n    excerpt: "${excerpt}"\n    webUrl: "https://r.example/${i}"`).join('\n');
    const bytes = Buffer.from(
      `---\ntitle: "Angle brackets"\npublishedDateTime: 2026-11-01T00:00:00Z\nwebUrl: "https://a.example/x"\nexcerpt: "${excerpt}"\nrelated:\n${related}\n---\n`,
    );
    const started = performance.now();
    const result = parseSeedFile('brackets.md', bytes);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.ok && result.article.excerpt).toBe(excerpt);
  });
});

describe('a seed file of blank lines', () => {
  const blankLines = (lines: number) => Buffer.from(`---${'\n'.repeat(lines)}x\n---\n`);

  it('is rejected in well under a second, even at 1 MiB', async () => {
    for (const bytes of [blankLines(400_000), blankLines(1024 * 1024 - 12)]) {
      const started = performance.now();
      const result = parseSeedFile('blank.md', bytes);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(result).toEqual({ ok: false, reason: 'front matter is not a mapping of fields' });
    }
  });

  it('tells a blank block exactly as gray-matter’s pattern does', async () => {
    // gray-matter's own (quadratic) test, on inputs small enough for it.
    const grayMatter = (block: string) => block.replace(/^\s*#[^\n]+/gm, '').trim() === '';
    const piece = fc.constantFrom('\n', ' ', '\t', '#', '# c', 'x', '\u2028', '\u00a0', '  #', '#\t', ':');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const block = parts.join('');
        expect(isBlankBlock(block)).toBe(grayMatter(block));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a file that is slow to parse', () => {
  // The test worker never finishes a file whose name contains "hang"; the real parser runs otherwise.
  const timedOut = (messages: string[]) => messages.filter((m) => m === 'parse timed out; worker replaced').length;
  function recorder() {
    const messages: string[] = [];
    const log = (_: object | string, message?: string) => void (message && messages.push(message));
    return { messages, logger: { debug: log, info: log, warn: log, error: log } };
  }

  it('cannot hold up a small run: a large file is parsed on a worker, under the time limit', async () => {
    const dir = makeTempDir('newsbrief-slow-');
    dirs.push(dir);
    const padding = `\n${'Body text. '.repeat(30_000)}\n`; // about 330 KB, over MAIN_THREAD_MAX_BYTES
    const big = seedFields({ title: 'Big and slow' });
    const small = seedFields({ title: 'Small, on this thread' });
    writeSeeds(dir, { 'hang-big.md': seedText(big, padding), 'hang-small.md': seedText(small), 'ok.md': seedText() });
    const store = openSqliteStorage(':memory:');
    const started = performance.now();
    const report = await ingestSeedFolder(dir, store, { workerParser: misbehavingParser, parseTimeLimitMs: 300 });
    expect(performance.now() - started).toBeLessThan(4000);
    expect(report.rejected).toEqual([{ file: 'hang-big.md', reason: 'took longer than 300 ms to parse' }]);
    expect(report.accepted).toBe(2);
    expect((await store.articles.getArticle(idOf(small.webUrl as string)))?.title).toBe('Small, on this thread');
    await store.close();
  });

  it('is reported rejected again on the next run, with its reason, without being parsed again', async () => {
    const dir = makeTempDir('newsbrief-slow-');
    dirs.push(dir);
    writeSeeds(dir, { 'hang.md': seedText(), 'ok.md': seedText() });
    const store = openSqliteStorage(':memory:');
    const rejections = new RejectionMemory();
    const options = { workerParser: misbehavingParser, parseTimeLimitMs: 300, mainThreadMaxBytes: 0, rejections };
    const first = recorder();
    const report = await ingestSeedFolder(dir, store, { ...options, logger: first.logger });
    expect(report.rejected).toEqual([{ file: 'hang.md', reason: 'took longer than 300 ms to parse' }]);
    expect(timedOut(first.messages)).toBe(1);

    const second = recorder();
    const again = await ingestSeedFolder(dir, store, { ...options, logger: second.logger });
    expect(again.rejected).toEqual(report.rejected);
    expect(timedOut(second.messages)).toBe(0);

    // Changed bytes are parsed again.
    writeSeeds(dir, { 'hang.md': seedText() });
    const third = recorder();
    expect((await ingestSeedFolder(dir, store, { ...options, logger: third.logger })).rejected).toHaveLength(1);
    expect(timedOut(third.messages)).toBe(1);
    await store.close();
  });
});

describe('YAML aliases and unknown fields cannot bloat the store', () => {
  const head = `---\ntitle: "Aliased"\npublishedDateTime: 2026-11-01T00:00:00Z\nwebUrl: "https://a.example/aliased"\n`;

  it('rejects a small file whose aliases expand an unknown field past four times its size, naming the field', async () => {
    // About 6 KB of file, 1 MB of text once expanded.
    const text = `${head}note: &x "${'n'.repeat(4000)}"\nblob: [${Array(250).fill('*x').join(', ')}]\n---\n`;
    const result = parseSeedFile('aliased.md', Buffer.from(text));
    expect(result).toMatchObject({ ok: false, field: 'blob', reason: expect.stringMatching(/^front matter is too large once YAML aliases are expanded \(over 131072 characters/) });
  });

  it('accepts aliases that stay within four times the file, as real files may use them', async () => {
    const text = `${head}provider: &p { name: "Aliased Daily", domain: "a.example" }\nrelated:\n${Array.from({ length: 20 }, (_, i) => `  - { title: "r${i}", webUrl: "https://r.example/${i}", provider: *p }`).join('\n')}\n---\n`;
    const result = parseSeedFile('ok.md', Buffer.from(text));
    expect(result.ok && result.article.related.map((r) => r.provider.name)).toEqual(Array(20).fill('Aliased Daily'));
  });

  it('drops an oversized unknown field with a warning naming it, and keeps the article and the small fields', async () => {
    const fields = seedFields({ notes: 'w'.repeat(20_000), category: 'news', colour: 'blue' });
    const result = parseSeedFile('big-extra.md', Buffer.from(seedText(fields)));
    if (!result.ok) throw new Error(result.reason);
    expect(result.article.extra).toEqual({ category: 'news', colour: 'blue' });
    expect(result.warnings).toEqual([{ field: 'notes', reason: expect.stringMatching(/^unknown field dropped: 20002 characters as JSON, over the 16384 kept/) }]);

    const dir = makeTempDir('newsbrief-extra-');
    dirs.push(dir);
    writeSeeds(dir, { 'big-extra.md': seedText(fields) });
    const store = openSqliteStorage(':memory:');
    const report = await ingestSeedFolder(dir, store);
    expect(report).toMatchObject({ accepted: 1, rejected: [], warnings: [{ file: 'big-extra.md', field: 'notes', reason: expect.any(String) }] });
    expect((await store.articles.getArticle(idOf(fields.webUrl as string)))?.extra).toEqual({ category: 'news', colour: 'blue' });
    await store.close();
  });

  it('rejects front matter of more than 1,000 fields, and warns about a few dropped fields, then counts the rest', async () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}: "${'v'.repeat(2000)}"`).join('\n');
    expect(parseSeedFile('wide.md', Buffer.from(`${head}${keys(1001)}\n---\n`))).toEqual({ ok: false, reason: 'front matter has 1004 fields, more than 1000' });
    const result = parseSeedFile('many.md', Buffer.from(`${head}${keys(200)}\n---\n`));
    if (!result.ok) throw new Error(result.reason);
    expect(result.warnings).toHaveLength(6);
    expect(result.warnings![5]).toEqual({ field: 'k37', reason: 'and 163 more unknown fields dropped, from this one on' });
  });

  it('keeps at most 64 KiB of unknown fields in all, dropping the later ones with a warning', async () => {
    const many = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`field${i}`, 'v'.repeat(15_000)]));
    const result = parseSeedFile('many.md', Buffer.from(seedText(seedFields(many))));
    if (!result.ok) throw new Error(result.reason);
    expect(Object.keys(result.article.extra)).toEqual(['category', 'field0', 'field1', 'field2', 'field3']);
    expect(result.warnings?.map((w) => w.field)).toEqual(['field4', 'field5']);
    expect(JSON.stringify(result.article.extra).length).toBeLessThanOrEqual(64 * 1024);
  });
});
