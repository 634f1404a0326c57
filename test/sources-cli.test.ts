import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOpml } from 'feedsmith';
import type { FeedRecord } from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { openPostgresStorage } from '../adapters/storage/postgres/index.js';
import { main } from '../entry/cli.js';
import { relativeTime, shortUrl } from '../entry/sources-table.js';
import { captureIO, runBin } from './helpers/cli.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-sources-'));
  dirs.push(dir);
  return { dir, db: join(dir, 'data', 'nb.db') };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const io = captureIO(env);
  const code = await main(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

async function feedsIn(db: string): Promise<FeedRecord[]> {
  const run = await cli(['sources', 'list', '--json', '--db', db]);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as FeedRecord[];
}

/** The settings an operator controls, for comparing two databases. */
const settings = (feeds: FeedRecord[]) => feeds.map(({ url, name, topics, quality, enabled }) => ({ url, name, topics, quality, enabled }));

describe('newsbrief sources add, list, remove, enable and disable', () => {
  it('adds a feed, updates it when its URL is added again, and removes it (articles stay)', async () => {
    const { db } = workspace();
    const add = await cli(['sources', 'add', 'https://Example.com/feed.xml#top', '--topic', 'AI', '--topic', 'Machine  Learning', '--topic', 'ai', '--quality', '70', '--db', db]);
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toMatch(/^Added feed 1: https:\/\/example\.com\/feed\.xml\n/);
    expect(add.stdout).toContain('topics AI, Machine Learning · quality 70');
    expect(add.stdout).toMatch(/npm start fetches it within a minute/);
    let [feed] = await feedsIn(db);
    expect(feed).toMatchObject({ id: 1, url: 'https://example.com/feed.xml', name: null, topics: ['AI', 'Machine Learning'], quality: 70, enabled: true, items: 0, lastFetchAt: null });

    const update = await cli(['sources', 'add', 'https://example.com/feed.xml', '--topic', 'Space', '--name', 'Example News', '--db', db]);
    expect(update.code).toBe(0);
    expect(update.stdout).toBe('Updated feed 1 (https://example.com/feed.xml): topics AI, Machine Learning → Space; name (none) → "Example News". Its fetch history is kept.\n');
    const feeds = await feedsIn(db);
    expect(feeds).toHaveLength(1);
    // Quality was not given: it stays.
    expect(feeds[0]).toMatchObject({ id: 1, name: 'Example News', topics: ['Space'], quality: 70 });

    const same = await cli(['sources', 'add', 'https://example.com/feed.xml', '--topic', 'Space', '--db', db]);
    expect(same.stdout).toBe('Feed 1 (https://example.com/feed.xml) already has these settings: nothing changed.\n');
    const cleared = await cli(['sources', 'add', 'https://example.com/feed.xml', '--topic', 'Space', '--name', '', '--db', db]);
    expect(cleared.stdout).toContain('name "Example News" → (none: the feed\'s own title)');
    [feed] = await feedsIn(db);
    expect(feed!.name).toBeNull();

    const remove = await cli(['sources', 'remove', 'https://example.com/feed.xml', '--db', db]);
    expect(remove.code).toBe(0);
    expect(remove.stdout).toMatch(/^Removed feed 1 \(https:\/\/example\.com\/feed\.xml\)\. Nothing it brought was stored\.\n$/);
    expect(await feedsIn(db)).toEqual([]);
    const again = await cli(['sources', 'remove', '1', '--db', db]);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toMatch(/^newsbrief sources remove: no feed with id 1 \("newsbrief sources list" shows them\)\.\n$/);
  });

  it('says the articles of a removed feed stay', async () => {
    const { db } = workspace();
    await cli(['sources', 'add', 'https://a.example/rss', '--topic', 'AI', '--db', db]);
    const storage = openSqliteStorage(db);
    await storage.feeds.recordFetch(1, { at: new Date(), status: '200, 12 items (12 new)', ok: true, nextFetchAt: new Date(), failures: 0, newItems: 12 });
    await storage.close();
    const remove = await cli(['sources', 'remove', '1', '--db', db]);
    expect(remove.stdout).toContain('The 12 articles it brought stay in the database');
  });

  it('disables with a reason and enables by id or URL, saying when there was nothing to do', async () => {
    const { db } = workspace();
    await cli(['sources', 'add', 'https://a.example/rss', '--topic', 'AI', '--name', 'A', '--db', db]);
    const disable = await cli(['sources', 'disable', '1', '--reason', 'paywalled', '--db', db]);
    expect(disable.stdout).toBe('Disabled feed 1 "A" (https://a.example/rss): npm start no longer fetches it; its articles stay. "newsbrief sources enable 1" turns it back on.\n');
    expect((await feedsIn(db))[0]).toMatchObject({ enabled: false, disabledReason: 'paywalled' });
    const list = await cli(['sources', 'list', '--db', db]);
    expect(list.stdout.split('\n')[1]!.replace(/ +/g, ' ')).toBe(' 1 A a.example/rss AI disabled: paywalled never — 0 0 —');

    const twice = await cli(['sources', 'disable', 'https://a.example/rss', '--db', db]);
    expect(twice.stdout).toBe('Feed 1 "A" (https://a.example/rss) was already disabled (paywalled); the reason is now: disabled by the operator.\n');

    const enable = await cli(['sources', 'enable', 'https://a.example/rss', '--db', db]);
    expect(enable.stdout).toBe('Enabled feed 1 "A" (https://a.example/rss): npm start fetches it within a minute.\n');
    expect((await feedsIn(db))[0]).toMatchObject({ enabled: true, disabledReason: null, failures: 0 });
    const enabledAgain = await cli(['sources', 'enable', '1', '--db', db]);
    expect(enabledAgain.stdout).toBe('Feed 1 "A" (https://a.example/rss) is already enabled (next fetch: due now).\n');
    const missing = await cli(['sources', 'enable', 'https://nothere.example/rss', '--db', db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no feed with URL https://nothere.example/rss');
  });

  it('lists feeds as a table: name or the feed\'s own title, short URL, state, relative fetch times, status, items, failures', async () => {
    const { db } = workspace();
    const now = Date.now();
    const storage = openSqliteStorage(db);
    const long = `https://news.example.org/${'section/'.repeat(8)}feed.xml`;
    const a = (await storage.feeds.addFeed({ url: 'https://a.example/rss', name: null, topics: ['AI', 'ML'], quality: 50 }, new Date(now))).feed;
    const b = (await storage.feeds.addFeed({ url: long, name: 'Bee', topics: ['Space'], quality: 60 }, new Date(now))).feed;
    await storage.feeds.recordFetch(a.id, {
      at: new Date(now - 3.5 * 60_000),
      status: '200, 12 items (3 new)',
      ok: true,
      nextFetchAt: new Date(now + 4.5 * 60_000),
      failures: 0,
      newItems: 3,
      feedTitle: 'Example &amp; <b>Co</b>',
    });
    await storage.feeds.recordFetch(b.id, {
      at: new Date(now - 2.5 * 3_600_000),
      status: 'error: 410 Gone\u001b[31m',
      ok: false,
      nextFetchAt: new Date(now + 3_600_000),
      failures: 4,
      disable: 'gone (410)',
    });
    await storage.close();

    const list = await cli(['sources', 'list', '--db', db]);
    expect(list.code).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID {2}NAME +URL +TOPICS +STATE +LAST FETCH +STATUS +ITEMS {2}FAILS {2}NEXT FETCH$/);
    expect(lines[1]).toMatch(/^ 1 {2}Example & Co +a\.example\/rss +AI, ML +enabled +3 min ago +200, 12 items \(3 new\) +3 +0 {2}in 4 min$/);
    expect(lines[2]).toMatch(/^ 2 {2}Bee +news\.example\.org\/section\/sect…ction\/feed\.xml +Space +disabled: gone \(410\) +2 h ago +error: 410 Gone\[31m +0 +4 {2}—$/);
    expect(list.stdout).not.toContain('\u001b');
    expect(lines.at(-2)).toBe('2 feeds: 1 enabled, 1 disabled. --json shows every field.');

    const json = JSON.parse((await cli(['sources', 'list', '--json', '--db', db])).stdout) as FeedRecord[];
    expect(json.map((f) => [f.id, f.items, f.failures, f.enabled, f.disabledReason])).toEqual([
      [1, 3, 0, true, null],
      [2, 0, 4, false, 'gone (410)'],
    ]);
  });

  it('tells how to add a feed when there are none', async () => {
    const { db } = workspace();
    const list = await cli(['sources', 'list', '--db', db]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^No feeds yet\. Add one with its topics:\n {2}newsbrief sources add https:\/\/example\.com\/feed\.xml --topic AI\n/);
    expect(JSON.parse((await cli(['sources', 'list', '--json', '--db', db])).stdout)).toEqual([]);
  });

  it.each([
    ['an ftp: URL', ['ftp://files.example/feed.xml', '--topic', 'AI'], /only http and https feed URLs are fetched, not ftp:/],
    ['a URL with credentials', ['https://user:secret@a.example/rss', '--topic', 'AI'], /feed URLs with a user name or password are refused/],
    ['a loopback address', ['http://127.0.0.1:8080/rss', '--topic', 'AI'], /host 127\.0\.0\.1 is a private address \(loopback 127\.0\.0\.0\/8\); a feed on the intranet needs FEEDS_ALLOW_PRIVATE=on/],
    ['a private address', ['http://10.1.2.3/rss', '--topic', 'AI'], /private 10\.0\.0\.0\/8/],
    ['localhost', ['http://localhost/rss', '--topic', 'AI'], /host localhost is this machine/],
    ['a URL over 2,048 characters', [`https://a.example/${'x'.repeat(2048)}`, '--topic', 'AI'], /longer than 2048 characters/],
    ['no topic', ['https://a.example/rss'], /at least one --topic is required/],
    ['an empty topic', ['https://a.example/rss', '--topic', '  '], /--topic: a topic must have letters or digits/],
    ['a topic over 100 characters', ['https://a.example/rss', '--topic', 'x'.repeat(101)], /--topic: a topic is at most 100 characters/],
    ['a topic with a comma', ['https://a.example/rss', '--topic', 'AI, ML'], /--topic: a topic cannot contain a comma/],
    ['eleven topics', ['https://a.example/rss', ...Array.from({ length: 11 }, (_, i) => ['--topic', `T${i}`]).flat()], /--topic: a feed has at most 10 topics, not 11/],
    ['quality 101', ['https://a.example/rss', '--topic', 'AI', '--quality', '101'], /--quality must be a number from 0 to 100, not "101"/],
    ['a negative quality', ['https://a.example/rss', '--topic', 'AI', '--quality=-1'], /--quality must be a number from 0 to 100, not "-1"/],
    ['a name over 100 characters', ['https://a.example/rss', '--topic', 'AI', '--name', 'n'.repeat(101)], /--name is at most 100 characters, not 101/],
    ['an option of another subcommand', ['https://a.example/rss', '--topic', 'AI', '--json'], /--json is not an option of "sources add"/],
    ['a second URL', ['https://a.example/rss', 'https://b.example/rss', '--topic', 'AI'], /takes the feed URL only \(unexpected "https:\/\/b\.example\/rss"/],
    ['no URL', ['--topic', 'AI'], /"sources add" needs the feed URL/],
    ['an option without its value', ['https://a.example/rss', '--topic'], /Option '--topic' argument is ambiguous/],
  ])('refuses %s with a usage error (exit 2) and stores nothing', async (_, args, message) => {
    const { db } = workspace();
    const run = await cli(['sources', 'add', ...args, '--db', db]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Run "newsbrief sources --help" for usage\.\n$/);
    // Arguments are checked before the database is opened.
    expect(existsSync(db)).toBe(false);
  });

  it('accepts a private address with FEEDS_ALLOW_PRIVATE=on or --allow-private, and refuses another value of the setting', async () => {
    const { db } = workspace();
    expect((await cli(['sources', 'add', 'http://127.0.0.1:8080/rss', '--topic', 'AI', '--db', db], { FEEDS_ALLOW_PRIVATE: 'on' })).code).toBe(0);
    expect((await cli(['sources', 'add', 'http://192.168.1.5/rss', '--topic', 'AI', '--allow-private', '--db', db])).code).toBe(0);
    expect((await cli(['sources', 'add', 'http://10.0.0.5/rss', '--topic', 'AI', '--db', db], { FEEDS_ALLOW_PRIVATE: 'off' })).code).toBe(2);
    const wrong = await cli(['sources', 'list', '--db', db], { FEEDS_ALLOW_PRIVATE: 'yes' });
    expect(wrong.code).toBe(2);
    // Checked where every setting is (entry/config.ts), with the message naming it.
    expect(wrong.stderr).toMatch(/^newsbrief sources: Invalid configuration:\n\s+FEEDS_ALLOW_PRIVATE: must be "on" or "off" \(got "yes"\)\n/);
    expect((await feedsIn(db)).map((f) => f.url)).toEqual(['http://127.0.0.1:8080/rss', 'http://192.168.1.5/rss']);
  });

  it('refuses a bad --reason and an unknown subcommand with exit 2', async () => {
    const { db } = workspace();
    const reason = await cli(['sources', 'disable', '1', '--reason', 'r'.repeat(201), '--db', db]);
    expect(reason).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason is at most 200 characters') });
    const unknown = await cli(['sources', 'delete', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('newsbrief sources: unknown command "delete". Commands: add, list, remove, enable, disable, import, export.');
    const extra = await cli(['sources', 'list', 'all', '--db', db]);
    expect(extra).toMatchObject({ code: 2, stderr: expect.stringContaining('"sources list" takes no arguments (got "all")') });
  });
});

describe('newsbrief sources help', () => {
  it('lists every subcommand with examples on --help, `help sources` and no subcommand; the main help names sources', async () => {
    for (const argv of [['sources', '--help'], ['help', 'sources'], ['sources'], ['sources', 'add', '--help']]) {
      const run = await cli(argv);
      expect(run.code).toBe(0);
      for (const sub of ['add URL --topic T', 'list [--json]', 'remove ID|URL', 'enable ID|URL', 'disable ID|URL [--reason TEXT]', 'import FILE.opml', 'export [FILE]']) {
        expect(run.stdout).toContain(sub);
      }
      expect(run.stdout).toContain('Examples:\n  newsbrief sources add https://example.com/feed.xml --topic AI');
      expect(run.stdout).toContain('FEEDS_ALLOW_PRIVATE=on');
    }
    const overview = await cli(['help']);
    expect(overview.stdout).toMatch(/newsbrief sources add\|list\|remove\|enable\|disable\|import\|export …\n +Manage the live feeds npm start fetches \(newsbrief sources --help\)/);
    const unknown = await cli(['frobnicate']);
    expect(unknown.stderr).toContain('migrate-db, sources, health, articles.');
  });
});

// ---------------------------------------------------------------------------------------------------
// Import and export

const SUBSCRIPTIONS = `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a feed reader -->
<opml version="2.0">
  <head><title>My reader</title></head>
  <body>
    <outline text="Tech" title="Tech">
      <outline text="AI" title="AI">
        <outline type="rss" text="Example AI" title="Example AI" xmlUrl="https://ai.example/feed" htmlUrl="https://ai.example/"/>
        <outline type="rss" text="Robots Daily" title="RD" xmlUrl="https://robots.example/rss" category="/News/Robots"/>
      </outline>
      <outline text="ML">
        <outline type="rss" text="Example AI, again" xmlUrl="https://AI.example/feed#latest"/>
      </outline>
      <outline text="just a note"/>
      <outline type="link" text="A website" url="https://site.example/"/>
    </outline>
    <outline type="rss" text="Loose feed" xmlUrl="https://loose.example/rss"/>
    <outline type="rss" text="Tagged feed" xmlUrl="https://tagged.example/rss" category="Climate,Energy"/>
    <outline type="rss" text="By FTP" xmlUrl="ftp://ftp.example/rss" category="AI"/>
    <outline type="rss" text="Not a URL" xmlUrl="feed me" category="AI"/>
    <outline type="rss" xmlUrl="https://user:secret@private.example/rss" category="AI"/>
    <outline type="rss" text="Router" xmlUrl="http://192.168.0.1/rss" category="AI"/>
    <outline text="Archive" isComment="true">
      <outline type="rss" text="Old blog" xmlUrl="https://old.example/rss" newsbriefQuality="35"/>
    </outline>
  </body>
</opml>
`;

describe('newsbrief sources import', () => {
  it('imports feeds from nested folders and categories, merges a repeated URL, and lists what it skipped and why', async () => {
    const { dir, db } = workspace();
    const file = join(dir, 'subscriptions.opml');
    writeFileSync(file, SUBSCRIPTIONS);
    const run = await cli(['sources', 'import', file, '--db', db]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'subscriptions.opml ("My reader"), 16 outlines: 4 added (1 disabled: commented out in the file), 0 updated, 0 unchanged, ' +
        '8 skipped (1 duplicate in file, 3 bad URL, 1 private address, 1 no topic, 2 not a feed).',
    );
    expect(lines.slice(1)).toEqual([
      '  skipped "Example AI, again": duplicate in file: the same feed as "Example AI"; its topics ML join that one\'s',
      '  skipped "By FTP": bad URL: only http and https feed URLs are fetched, not ftp:',
      '  skipped "Not a URL": bad URL: not a valid absolute URL',
      '  skipped https://private.example/rss: bad URL: feed URLs with a user name or password are refused',
      '  skipped "Router": the feed URL\'s host 192.168.0.1 is a private address (private 192.168.0.0/16); FEEDS_ALLOW_PRIVATE=on allows it',
      '  skipped "Loose feed": no topic: give --topic, or put the outline in a folder or give it a category',
      '  skipped "just a note": not a feed (no xmlUrl)',
      '  skipped "A website": not a feed (no xmlUrl, type "link")',
      'npm start fetches the new feeds within a minute; "newsbrief sources list" shows how each did.',
    ]);
    expect(run.stdout).not.toContain('secret');
    expect(settings(await feedsIn(db))).toEqual([
      { url: 'https://ai.example/feed', name: null, topics: ['AI', 'ML'], quality: 50, enabled: true },
      { url: 'https://robots.example/rss', name: 'Robots Daily', topics: ['Robots', 'AI'], quality: 50, enabled: true },
      { url: 'https://tagged.example/rss', name: 'Tagged feed', topics: ['Climate', 'Energy'], quality: 50, enabled: true },
      { url: 'https://old.example/rss', name: 'Old blog', topics: ['Archive'], quality: 35, enabled: false },
    ]);

    // The same file again changes nothing.
    const again = await cli(['sources', 'import', file, '--db', db]);
    expect(again.stdout).toMatch(/^subscriptions\.opml \("My reader"\), 16 outlines: 0 added, 0 updated, 4 unchanged, 8 skipped/);
    expect(again.stdout).not.toContain('npm start fetches');
  });

  it('gives every feed the --topic and --quality values instead of the file\'s, and keeps what the file does not say', async () => {
    const { dir, db } = workspace();
    const file = join(dir, 'subscriptions.opml');
    writeFileSync(file, SUBSCRIPTIONS);
    await cli(['sources', 'add', 'https://ai.example/feed', '--topic', 'Robotics', '--name', 'My AI feed', '--quality', '90', '--db', db]);
    const dry = await cli(['sources', 'import', file, '--topic', 'News', '--quality', '40', '--allow-private', '--dry-run', '--db', db]);
    expect(dry.stdout).toMatch(/^Dry run, nothing stored: subscriptions\.opml .*: 5 added \(1 disabled: commented out in the file\), 1 updated, 0 unchanged, 6 skipped/);
    expect(dry.stdout).toContain('  updated "Example AI": topics Robotics → News; quality 90 → 40\n');
    expect(await feedsIn(db)).toHaveLength(1);

    const run = await cli(['sources', 'import', file, '--topic', 'News', '--quality', '40', '--allow-private', '--db', db]);
    expect(run.code).toBe(0);
    const feeds = await feedsIn(db);
    expect(feeds.map((f) => f.url)).toEqual([
      'https://ai.example/feed',
      'https://robots.example/rss',
      'https://loose.example/rss',
      'https://tagged.example/rss',
      'http://192.168.0.1/rss',
      'https://old.example/rss',
    ]);
    expect(new Set(feeds.map((f) => f.topics.join()))).toEqual(new Set(['News']));
    expect(new Set(feeds.map((f) => f.quality))).toEqual(new Set([40]));
    // The file repeats the feed's own title as its text: the stored name is kept.
    expect(feeds[0]).toMatchObject({ id: 1, name: 'My AI feed' });
  });

  it('reports progress on stderr during a long import', async () => {
    const { dir, db } = workspace();
    const file = join(dir, 'many.opml');
    const outlines = Array.from({ length: 1200 }, (_, i) => `<outline type="rss" text="Feed ${i}" xmlUrl="https://f${i}.example/rss"/>`).join('\n');
    writeFileSync(file, `<opml version="2.0"><body><outline text="Bulk">${outlines}</outline></body></opml>`);
    const run = await cli(['sources', 'import', file, '--db', db]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'Importing: 500 of 1,200 feeds stored…\nImporting: 1,000 of 1,200 feeds stored…\nImporting: 1,200 of 1,200 feeds stored…\n',
    );
    expect(run.stdout).toMatch(/^many\.opml, 1201 outlines: 1200 added, 0 updated, 0 unchanged, 0 skipped\.\n/);
    expect(await feedsIn(db)).toHaveLength(1200);
  });

  describe('refuses a file it cannot use, naming it, with exit 1 and nothing stored', () => {
    const cases: [string, (dir: string) => string, RegExp][] = [
      ['a missing file', (dir) => join(dir, 'nothere.opml'), /nothere\.opml: no such file \(looked for .*nothere\.opml\)/],
      ['a folder', (dir) => { mkdirSync(join(dir, 'folder.opml')); return join(dir, 'folder.opml'); }, /folder\.opml: is a folder, not an OPML file/],
      ['a 6 MB file', (dir) => writeTo(dir, 'big.opml', `<opml version="2.0"><body>${' '.repeat(6 * 1024 * 1024)}</body></opml>`), /big\.opml: is 6\.0 MB, over the 5 MB an import accepts/],
      ['a file cut short', (dir) => writeTo(dir, 'cut.opml', SUBSCRIPTIONS.slice(0, SUBSCRIPTIONS.indexOf('<outline type="rss" text="Loose'))), /cut\.opml: not well-formed XML: the document ends inside <body> \(opened at line 5\): is the file cut short\? \(line 17, column 5\)/],
      ['mismatched tags', (dir) => writeTo(dir, 'bad.opml', SUBSCRIPTIONS.replace('</outline>\n      <outline text="ML">', '</folder>\n      <outline text="ML">')), /bad\.opml: not well-formed XML: <\/folder> where <\/outline> \(opened at line 7\) was expected \(line 10, column 7\)/],
      ['a feed instead of a list', (dir) => writeTo(dir, 'feed.xml', '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'), /feed\.xml: not an OPML file: its root element is <rss>, not <opml>/],
      ['more than 10,000 outlines', (dir) => writeTo(dir, 'huge.opml', `<opml version="2.0"><body>${'<outline text="x" xmlUrl="https://a.example/rss" category="AI"/>'.repeat(10_001)}</body></opml>`), /huge\.opml: not well-formed XML: more than 10,000 <outline> elements/],
    ];
    it.each(cases)('%s', async (_, make, message) => {
      const { dir, db } = workspace();
      await cli(['sources', 'add', 'https://kept.example/rss', '--topic', 'AI', '--db', db]);
      const run = await cli(['sources', 'import', make(dir), '--db', db]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/\. Nothing was imported\.\n$/);
      expect((await feedsIn(db)).map((f) => f.url)).toEqual(['https://kept.example/rss']);
    });
  });

  it('does not create the database when the file is refused', async () => {
    const { dir, db } = workspace();
    const run = await cli(['sources', 'import', writeTo(dir, 'cut.opml', '<opml><body>'), '--db', db]);
    expect(run.code).toBe(1);
    expect(existsSync(db)).toBe(false);
  });
});

function writeTo(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('newsbrief sources export', () => {
  it('writes OPML 2.0 that imports into a fresh database as the same feeds', async () => {
    const { dir, db } = workspace();
    const add = (...args: string[]) => cli(['sources', 'add', ...args, '--db', db]);
    await add('https://a.example/rss', '--topic', 'AI', '--topic', 'Machine Learning', '--name', 'R&D "Weekly" <AI>', '--quality', '82.5');
    await add('https://b.example/feed?x=1&y=2', '--topic', 'AT&T', '--topic', 'Économie');
    await add('https://c.example/atom', '--topic', 'Space', '--topic', 'AR/VR', '--quality', '0');
    await add('https://d.example/rss', '--topic', 'Climate');
    await cli(['sources', 'disable', '3', '--reason', 'too noisy', '--db', db]);
    const storage = openSqliteStorage(db);
    // A feed without a name that has been fetched: it shows its own title, and so should the import.
    await storage.feeds.recordFetch(4, { at: new Date(), status: '200', ok: true, nextFetchAt: new Date(), failures: 0, feedTitle: 'Dee &amp; Co', siteUrl: 'https://d.example/' });
    await storage.close();

    const toStdout = await cli(['sources', 'export', '--db', db]);
    expect(toStdout.code).toBe(0);
    const document = parseOpml(toStdout.stdout);
    expect(document.head?.title).toBe('Newsbrief sources');
    expect(document.body?.outlines).toHaveLength(4);
    expect(document.body?.outlines?.[3]).toMatchObject({ text: 'Dee & Co', title: 'Dee & Co', xmlUrl: 'https://d.example/rss', htmlUrl: 'https://d.example/', category: 'Climate', type: 'rss' });
    expect(document.body?.outlines?.[0]).toMatchObject({ text: 'R&D "Weekly" <AI>', category: 'AI,Machine Learning' });

    const file = join(dir, 'backup.opml');
    const toFile = await cli(['sources', 'export', file, '--db', db]);
    expect(toFile.stdout).toBe(`Exported 4 feeds to ${file}.\n`);
    const undated = (text: string) => text.replace(/<dateCreated>[^<]*<\/dateCreated>/, '');
    expect(undated(readFileSync(file, 'utf8'))).toBe(undated(toStdout.stdout));

    const fresh = join(dir, 'fresh.db');
    const imported = await cli(['sources', 'import', file, '--db', fresh]);
    expect(imported.stdout).toMatch(/^backup\.opml \("Newsbrief sources"\), 4 outlines: 4 added \(1 disabled: commented out in the file\), 0 updated, 0 unchanged, 0 skipped\./);
    expect(settings(await feedsIn(fresh))).toEqual(settings(await feedsIn(db)));
    // Imported back into the database it came from, nothing changes.
    expect((await cli(['sources', 'import', file, '--db', db])).stdout).toMatch(/: 0 added, 0 updated, 4 unchanged, 0 skipped\./);
  });

  it('exports an empty list that imports as nothing, and refuses a folder as the target', async () => {
    const { dir, db } = workspace();
    const file = join(dir, 'empty.opml');
    expect((await cli(['sources', 'export', file, '--db', db])).stdout).toBe(`Exported 0 feeds to ${file}.\n`);
    const imported = await cli(['sources', 'import', file, '--db', join(dir, 'other.db')]);
    expect(imported).toMatchObject({ code: 0, stdout: 'empty.opml, 0 outlines: 0 added, 0 updated, 0 unchanged, 0 skipped.\n' });
    const folder = await cli(['sources', 'export', dir, '--db', db]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toContain('is a folder; name the file to write');
  });
});

// ---------------------------------------------------------------------------------------------------
// add --check against a loopback server

describe('newsbrief sources add --check', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/feed.xml') {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback &amp; Co</title><link>http://127.0.0.1/</link>
          <item><title>One</title><link>http://127.0.0.1/1</link></item><item><title>Two</title><link>http://127.0.0.1/2</link></item></channel></rss>`);
      } else if (req.url === '/page') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><body>Not a feed</body></html>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches the feed once, reports its title and item count, then adds it without its items', async () => {
    const { db } = workspace();
    const run = await cli(['sources', 'add', `${base}/feed.xml`, '--topic', 'AI', '--check', '--allow-private', '--db', db]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Checked ${base}/feed\\.xml: 200, RSS feed "Loopback & Co", 2 items\\.\\nAdded feed 1: `));
    const [feed] = await feedsIn(db);
    expect(feed).toMatchObject({ items: 0, lastFetchAt: null, feedTitle: null });
    const storage = openSqliteStorage(db);
    expect(await storage.articles.articleCount()).toBe(0);
    await storage.close();
  });

  it.each([
    ['an HTML page', '/page', /--check failed: .*\/page answered 200, but not a feed: an HTML page/],
    ['a 404', '/missing', /--check failed: .*404/],
  ])('stores nothing when the URL gives %s (exit 1)', async (_, path, message) => {
    const { db } = workspace();
    const run = await cli(['sources', 'add', `${base}${path}`, '--topic', 'AI', '--check', '--allow-private', '--db', db]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Nothing stored\.\n$/);
    expect(existsSync(db)).toBe(false);
  });
});

describe('newsbrief sources through the real launcher', () => {
  it('adds a feed and lists it as JSON', async () => {
    const { db } = workspace();
    const add = await runBin(['sources', 'add', 'https://bin.example/rss', '--topic', 'AI', '--db', db]);
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toMatch(/^Added feed 1: https:\/\/bin\.example\/rss/);
    const wrong = await runBin(['sources', 'add', 'https://bin.example/rss', '--db', db]);
    expect(wrong.code).toBe(2);
    expect(settings(await feedsIn(db))).toEqual([{ url: 'https://bin.example/rss', name: null, topics: ['AI'], quality: 50, enabled: true }]);
  }, 60_000);
});

describe('the list table\'s parts', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  it.each([
    ['2026-11-27T11:59:30Z', 'just now'],
    ['2026-11-27T11:57:00Z', '3 min ago'],
    ['2026-11-27T09:30:00Z', '2 h ago'],
    ['2026-11-24T12:00:00Z', '3 d ago'],
    ['2026-11-27T12:00:20Z', 'in <1 min'],
    ['2026-11-27T12:04:59Z', 'in 4 min'],
    ['2026-11-28T13:00:00Z', 'in 25 h'],
    ['not a date', '?'],
  ])('shows %s as "%s"', (iso, text) => {
    expect(relativeTime(iso, now)).toBe(text);
  });

  it('shortens a URL to its start and end around an ellipsis, without https://', () => {
    expect(shortUrl('https://a.example/rss', 44)).toBe('a.example/rss');
    expect(shortUrl('http://a.example/rss', 44)).toBe('http://a.example/rss');
    const short = shortUrl(`https://news.example.org/${'x'.repeat(100)}/feed.xml`, 30);
    expect(short).toHaveLength(30);
    expect(short).toBe('news.example.org/xxx…/feed.xml');
  });
});

// ---------------------------------------------------------------------------------------------------
// Postgres: DATABASE_URL selects it, --db overrides it, as for the other commands

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`sources Postgres test not run: ${unavailable}\n`);

describe.runIf(unavailable === undefined)('newsbrief sources on Postgres', () => {
  let pgServer: TestPostgres;
  beforeAll(async () => {
    pgServer = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await pgServer?.stop();
  });

  it('works on the DATABASE_URL database, and on SQLite when --db is given', async () => {
    const env = { DATABASE_URL: pgServer.url };
    expect((await cli(['sources', 'add', 'https://pg.example/rss', '--topic', 'AI', '--quality', '65'], env)).code).toBe(0);
    const list = await cli(['sources', 'list', '--json'], env);
    expect(settings(JSON.parse(list.stdout))).toEqual([{ url: 'https://pg.example/rss', name: null, topics: ['AI'], quality: 65, enabled: true }]);
    const storage = await openPostgresStorage(pgServer.url);
    try {
      expect((await storage.feeds.listFeeds()).map((f) => f.url)).toEqual(['https://pg.example/rss']);
    } finally {
      await storage.close();
    }
    const { db } = workspace();
    expect((await cli(['sources', 'list', '--json', '--db', db], env)).stdout).toBe('[]\n');
  });
});
