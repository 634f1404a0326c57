import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../entry/cli.js';
import { utcDateTime } from '../adapters/console/date-text.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { MAX_LISTED_DUPLICATES } from '../src/index.js';
import { captureIO, repoRoot, runBin, shellSplit } from './helpers/cli.js';
import { seedFields, seedText, writeSeeds } from './helpers/seed-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-cli-'));
  dirs.push(dir);
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
  return { dir, db: join(dir, 'data', 'nb.db'), seeds: join(dir, 'seeds') };
}
/** A workspace whose seeds folder holds only `files`. */
function seedWorkspace(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-cli-'));
  dirs.push(dir);
  const seeds = join(dir, 'seeds');
  mkdirSync(seeds);
  writeSeeds(seeds, files);
  return { dir, db: join(dir, 'nb.db'), seeds };
}
async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIO(env);
  const code = await main(argv, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('newsbrief CLI', () => {
  it('ingests a folder and prints accepted, updated, unchanged and rejected counts', async () => {
    const ws = workspace();
    writeFileSync(join(ws.seeds, 'broken.md'), '---\ntitle: [unclosed\n---\n');
    const first = captureIO();
    expect(await main(['ingest', ws.seeds, '--db', ws.db], first.io)).toBe(0);
    expect(first.stdout()).toMatch(/Ingested \d+ files, \d+ accepted, 0 updated, 0 unchanged, 1 rejected/);
    expect(first.stdout()).toMatch(/rejected broken\.md/);

    const second = captureIO();
    await main(['ingest', ws.seeds, '--db', ws.db], second.io);
    expect(second.stdout()).toMatch(/0 accepted, 0 updated, \d+ unchanged, 1 rejected/);
  });

  it('lists ingest warnings like rejections: an accepted file whose oversized unknown field was dropped', async () => {
    const ws = workspace();
    const big = 'x'.repeat(20 * 1024);
    writeFileSync(
      join(ws.seeds, 'padded.md'),
      `---\ntitle: "Padded article"\nwebUrl: "https://padded.example.com/a"\npublishedDateTime: "2026-11-20T10:00:00Z"\ntopics: [AI]\nprovider: { name: Padded, domain: padded.example.com }\nnotes: "${big}"\n"bad\\u0007field": "${big}"\n---\n`,
    );
    const run = captureIO();
    expect(await main(['ingest', ws.seeds, '--db', ws.db], run.io)).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/, 2 warnings in \d+ ms\./);
    expect(out).toMatch(/^ {2}warning padded\.md \[notes\]: unknown field dropped: \d+ characters as JSON/m);
    // A field name from the file cannot write control characters to the terminal.
    expect(out).toMatch(/^ {2}warning padded\.md \[bad\?field\]: /m);
    expect(out).not.toContain('\u0007');
    expect(out).not.toMatch(/rejected padded\.md/);
  });

  it('prints a ranked digest with related links, and the score with --explain', async () => {
    const ws = workspace();
    await main(['ingest', ws.seeds, '--db', ws.db], captureIO().io);
    const run = captureIO();
    expect(await main(['news', 'Space', '--count', '2', '--explain', '--db', ws.db, '--now', '2026-11-26T12:00:00Z'], run.io)).toBe(0);
    const text = run.stdout();
    expect(text).toMatch(/^Space — 2 stories from \d+ articles/);
    expect(text).toMatch(/\n1\. .+\n/);
    expect(text).toMatch(/\n2\. .+\n/);
    expect(text).not.toMatch(/\n3\. /);
    expect(text).toMatch(/Related .+: https?:\/\//);
    expect(text).toMatch(/score .+ = topic .+ × quality .+ × recency .+ × heat/);
  });

  it('prints digest data as JSON with --json', async () => {
    const ws = workspace();
    const run = captureIO();
    expect(await main(['news', 'ai', '--json', '--db', ws.db, '--seeds', ws.seeds], run.io)).toBe(0);
    const digest = JSON.parse(run.stdout());
    expect(digest.topic).toBe('AI');
    expect(digest.items.length).toBeGreaterThan(0);
    expect(digest.items[0]).toHaveProperty('score.topicMatch');
    expect(run.stderr()).toMatch(/Database is empty: ingesting/);
  });

  it('suggests close topics for an unknown one and exits 1', async () => {
    const ws = workspace();
    const run = captureIO();
    expect(await main(['news', 'quantm', '--db', ws.db, '--seeds', ws.seeds], run.io)).toBe(1);
    expect(run.stderr()).toContain('Did you mean Quantum Computing?');
    expect(run.stderr()).toContain('newsbrief news Quantum Computing');
  });

  it('lists topics with counts', async () => {
    const ws = workspace();
    const run = captureIO();
    await main(['topics', '--db', ws.db, '--seeds', ws.seeds], run.io);
    expect(run.stdout()).toMatch(/^AI\s+\d+ articles$/m);
    expect(run.stdout().trim().split('\n').length).toBeGreaterThanOrEqual(8);
  });

  it('explains usage errors and exits 2', async () => {
    const unknownOption = captureIO();
    expect(await main(['news', 'AI', '--colour'], unknownOption.io)).toBe(2);
    expect(unknownOption.stderr()).toMatch(/--colour/);
    const unknownCommand = captureIO();
    expect(await main(['fetch'], unknownCommand.io)).toBe(2);
    expect(unknownCommand.stderr()).toMatch(/unknown command "fetch"/);
    const help = captureIO();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toMatch(/newsbrief news TOPIC/);
  });

  it('names a missing seeds folder', async () => {
    const ws = workspace();
    const run = captureIO();
    expect(await main(['ingest', join(ws.dir, 'nope'), '--db', ws.db], run.io)).toBe(1);
    expect(run.stderr()).toMatch(/seeds folder not found: .*nope/);
  });

  it('runs end to end through the installed launcher, reading settings from the environment', async () => {
    const ws = workspace();
    const env = { DATABASE_PATH: ws.db, SEEDS_DIR: ws.seeds };
    const ingest = await runBin(['ingest'], { env });
    expect(ingest.code).toBe(0);
    expect(ingest.stdout).toMatch(/\d+ accepted/);
    const news = await runBin(['news', 'Machine', 'Learning', '--count', '1'], { env });
    expect(news.code).toBe(0);
    expect(news.stdout).toMatch(/^Machine Learning — 1 story/);
  });

  it('refuses a bad setting naming the variable', async () => {
    const result = await runBin(['topics'], { env: { DIGEST_COUNT: 'lots' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DIGEST_COUNT/);
  });

  it('lists every story of a window with all its articles, lead included, as JSON', async () => {
    const ws = workspace();
    await main(['ingest', ws.seeds, '--db', ws.db], captureIO().io);
    const run = captureIO();
    const args = ['stories', '--json', '--db', ws.db, '--now', '2026-11-27T00:00:00Z', '--since', '2026-11-19T00:00:00Z'];
    expect(await main(args, run.io)).toBe(0);
    const data = JSON.parse(run.stdout());
    expect(data.stories.length).toBeGreaterThan(0);
    const ids = new Set<string>();
    for (const story of data.stories) {
      expect(story).toHaveProperty('title');
      expect(story).toHaveProperty('score.total');
      expect(story.articles[0].url).toBe(story.url);
      for (const a of story.articles) {
        expect(Object.keys(a)).toEqual(expect.arrayContaining(['url', 'title', 'provider', 'publishedAt']));
        expect(ids.has(a.url)).toBe(false);
        ids.add(a.url);
        expect(Date.parse(a.publishedAt)).toBeLessThanOrEqual(Date.parse('2026-11-27T00:00:00Z'));
      }
    }
    expect(data.stories.some((s: { articles: unknown[] }) => s.articles.length > 1)).toBe(true);

    const topic = captureIO();
    expect(await main(['stories', 'Space', '--db', ws.db, '--now', '2026-11-27T00:00:00Z'], topic.io)).toBe(0);
    expect(topic.stdout()).toMatch(/^Space — \d+ stor/);
  });

  it('replays /news as of --now: nothing published later is shown', async () => {
    const ws = workspace();
    await main(['ingest', ws.seeds, '--db', ws.db], captureIO().io);
    const run = captureIO();
    expect(await main(['news', 'Space', '--json', '--db', ws.db, '--now', '2026-11-24T12:00:00Z'], run.io)).toBe(0);
    const digest = JSON.parse(run.stdout());
    expect(digest.generatedAt).toBe('2026-11-24T12:00:00.000Z');
    for (const item of digest.items) {
      expect(Date.parse(item.publishedAt)).toBeLessThanOrEqual(Date.parse(digest.generatedAt));
      for (const link of item.alsoCoveredBy) expect(Date.parse(link.publishedAt)).toBeLessThanOrEqual(Date.parse(digest.generatedAt));
    }
    const bad = captureIO();
    expect(await main(['news', 'Space', '--db', ws.db, '--now', 'yesterday'], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/--now must be an ISO 8601 date-time/);
  });
});

describe('newsbrief ingest: what it was given, and what it says', () => {
  it('refuses a file where a folder belongs, without a stack trace, and creates no database', async () => {
    const ws = workspace();
    const file = join(ws.seeds, '2021-03-16-open-source-maintainers-form-security-fund.md');
    const r = await run(['ingest', file, '--db', ws.db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`newsbrief ingest: ${file} is a file, not a folder of seed files (.md, .txt, read at any depth): name the folder that holds it\n`);
    expect(existsSync(ws.db)).toBe(false);

    const bin = await runBin(['ingest', file, '--db', ws.db]);
    expect(bin.code).toBe(1);
    expect(bin.stderr).toContain('is a file, not a folder');
    expect(bin.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(ws.db)).toBe(false);
  });

  it('creates no database for a missing folder either', async () => {
    const ws = workspace();
    const r = await run(['ingest', join(ws.dir, 'nope'), '--db', ws.db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`newsbrief ingest: seeds folder not found: ${join(ws.dir, 'nope')}\n`);
    expect(existsSync(ws.db)).toBe(false);
  });

  it('--strict: exits 1 when a file is rejected and says why, while the files that passed are stored', async () => {
    const ws = seedWorkspace({ 'good.md': seedText(seedFields({ topics: ['Space'] })), 'broken.md': '---\ntitle: [unclosed\n---\n' });
    const strict = await run(['ingest', ws.seeds, '--db', ws.db, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^Ingested 2 files, 1 accepted, 0 updated, 0 unchanged, 1 rejected in \d+ ms\.\n {2}rejected broken\.md: /);
    expect(strict.stderr).toBe('newsbrief ingest: --strict, and 1 file was rejected (listed above), so this run failed; the files that passed were stored.\n');
    const topics = await run(['topics', '--json', '--db', ws.db]);
    expect(JSON.parse(topics.stdout)).toEqual([expect.objectContaining({ name: 'Space', count: 1 })]);

    // The same folder without --strict is a success; a clean folder is one with --strict.
    expect((await run(['ingest', ws.seeds, '--db', ws.db])).code).toBe(0);
    rmSync(join(ws.seeds, 'broken.md'));
    const clean = await run(['ingest', ws.seeds, '--db', ws.db, '--strict']);
    expect(clean).toMatchObject({ code: 0, stderr: '' });
  });

  it('names duplicates with the file whose copy was kept, and skipped symbolic links, in singular and plural', async () => {
    const url = 'https://dup.example.com/story';
    const ws = seedWorkspace({
      'a-kept.md': seedText(seedFields({ webUrl: url, quality: 90 })),
      'b-copy.md': seedText(seedFields({ webUrl: url, quality: 40 })),
    });
    const outside = seedWorkspace({ 'linked.md': seedText(), 'sub/inner.md': seedText() });
    symlinkSync(join(outside.seeds, 'linked.md'), join(ws.seeds, 'link.md'));
    const one = await run(['ingest', ws.seeds, '--db', ws.db]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Ingested 2 files, 1 accepted, 0 updated, 0 unchanged, 0 rejected, 1 duplicate, 1 symbolic link skipped in \d+ ms\.\n/);
    expect(one.stdout).toContain('\n  duplicate b-copy.md: same article as a-kept.md, whose copy was kept\n');
    expect(one.stdout).toContain('\n  skipped link.md: symbolic link, not followed\n');

    symlinkSync(join(outside.seeds, 'sub'), join(ws.seeds, 'linked-dir'));
    writeSeeds(ws.seeds, { 'c-copy.md': seedText(seedFields({ webUrl: url, quality: 30 })) });
    const two = await run(['ingest', ws.seeds, '--db', ws.db]);
    expect(two.stdout).toMatch(/^Ingested 3 files, 0 accepted, 0 updated, 1 unchanged, 0 rejected, 2 duplicates, 2 symbolic links skipped in /);
    expect(two.stdout).toContain('  duplicate c-copy.md: same article as a-kept.md');
    expect(two.stdout).toContain('  skipped linked-dir: symbolic link, not followed');
    expect(two.stdout).not.toMatch(/\(s\)|\b1 (files|duplicates|warnings|links)\b/);
  });

  it('says "1 file" and "1 warning" for one of each', async () => {
    const ws = seedWorkspace({ 'padded.md': seedText(seedFields({ notes: 'x'.repeat(20 * 1024) })) });
    const r = await run(['ingest', ws.seeds, '--db', ws.db]);
    expect(r.stdout).toMatch(/^Ingested 1 file, 1 accepted, 0 updated, 0 unchanged, 0 rejected, 1 warning in \d+ ms\.\n {2}warning padded\.md \[notes\]: /);
  });

  it(`names the first ${MAX_LISTED_DUPLICATES} duplicates and counts the rest`, async () => {
    const url = 'https://dup.example.com/many';
    const files: Record<string, string> = { 'keep.md': seedText(seedFields({ webUrl: url, quality: 95 })) };
    for (let i = 0; i < MAX_LISTED_DUPLICATES + 5; i++) files[`copy-${String(i).padStart(2, '0')}.md`] = seedText(seedFields({ webUrl: url, quality: 10 }));
    const ws = seedWorkspace(files);
    const r = await run(['ingest', ws.seeds, '--db', ws.db]);
    expect(r.stdout).toMatch(new RegExp(`, ${MAX_LISTED_DUPLICATES + 5} duplicates in `));
    expect(r.stdout.match(/^ {2}duplicate copy-\d\d\.md: same article as keep\.md/gm)).toHaveLength(MAX_LISTED_DUPLICATES);
    expect(r.stdout).toMatch(/\n {2}… and 5 more duplicates\n$/);
  });
});

describe('news, topics and stories: the database and the seeds they are given', () => {
  it('names a --seeds folder that is not there, and creates no database', async () => {
    const ws = workspace();
    for (const command of [['news', 'AI'], ['topics'], ['stories']]) {
      const r = await run([...command, '--db', ws.db, '--seeds', join(ws.dir, 'nope')]);
      expect(r.code, command[0]).toBe(1);
      expect(r.stderr, command[0]).toBe(`newsbrief ${command[0]}: seeds folder not found: ${join(ws.dir, 'nope')} (--seeds)\n`);
    }
    expect(existsSync(ws.db)).toBe(false);
  });

  it('does not create a database at a missing path when there are no seeds to fill it, and says so', async () => {
    const ws = workspace();
    rmSync(ws.seeds, { recursive: true });
    const named = await run(['topics', '--db', ws.db], { SEEDS_DIR: ws.seeds });
    expect(named.code).toBe(1);
    expect(named.stderr).toBe(
      `newsbrief topics: no database at ${ws.db}, and no seeds folder to start one from (seeds folder not found: ${ws.seeds}). ` +
        `Check the path, or load a folder of seed files first: newsbrief ingest DIR --db ${ws.db}\n`,
    );
    const byDefault = await run(['news', 'AI'], { DATABASE_PATH: ws.db, SEEDS_DIR: ws.seeds });
    expect(byDefault.code).toBe(1);
    expect(byDefault.stderr).toContain(`no database at ${ws.db} ($DATABASE_PATH, else ./data/newsbrief.db)`);
    expect(existsSync(ws.db)).toBe(false);
    expect(existsSync(join(ws.dir, 'data'))).toBe(false);
  });

  it('creates a missing database from the seeds, saying so, and the command it suggests lists what the counts hide', async () => {
    const ws = workspace();
    const first = await run(['topics', '--db', ws.db, '--seeds', ws.seeds]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`No database at ${ws.db} yet: creating it.\nDatabase is empty: ingesting ${ws.seeds} first.\n`);
    // The repository's seeds hold one syndicated copy of an article, so the summary has a duplicate to list.
    const hint = /1 duplicate in \d+ ms\. (newsbrief ingest .+) lists the files behind these figures\.\n/.exec(first.stderr);
    expect(hint).not.toBeNull();
    const { argv } = shellSplit(hint![1]!);
    const listing = await run(argv.slice(1));
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/^ {2}duplicate .+: same article as .+, whose copy was kept$/m);
  });

  it('on an existing empty database with no seeds, says why there are no topics rather than failing', async () => {
    const ws = workspace();
    mkdirSync(join(ws.dir, 'data'));
    await openSqliteStorage(ws.db).close();
    rmSync(ws.seeds, { recursive: true });
    const none = await run(['topics', '--db', ws.db], { SEEDS_DIR: ws.seeds });
    expect(none.code).toBe(0);
    expect(none.stderr).toBe(`The database is empty, and there are no seeds to fill it from: seeds folder not found: ${ws.seeds}.\n`);
    expect(none.stdout).toBe(`No topics yet: the database has no articles, and seeds folder not found: ${ws.seeds}. Load a folder of seed files with: newsbrief ingest DIR\n`);
  });
});

describe('dates the CLI prints', () => {
  it('writes every month the same way, "Sep" as well as "Nov", in UTC', () => {
    const months = Array.from({ length: 12 }, (_, m) => utcDateTime(new Date(Date.UTC(2026, m, 2, 14, 5))));
    expect(months).toEqual([
      '2 Jan 2026 14:05 UTC', '2 Feb 2026 14:05 UTC', '2 Mar 2026 14:05 UTC', '2 Apr 2026 14:05 UTC',
      '2 May 2026 14:05 UTC', '2 Jun 2026 14:05 UTC', '2 Jul 2026 14:05 UTC', '2 Aug 2026 14:05 UTC',
      '2 Sep 2026 14:05 UTC', '2 Oct 2026 14:05 UTC', '2 Nov 2026 14:05 UTC', '2 Dec 2026 14:05 UTC',
    ]);
    expect(utcDateTime('2026-09-30T23:59:59.999+02:00')).toBe('30 Sep 2026 21:59 UTC');
  });

  it('news and stories write each date in that one format', async () => {
    const ws = seedWorkspace({
      'sep.md': seedText(seedFields({ topics: ['Space'], publishedDateTime: '2026-09-03T07:05:00Z' })),
      'sep-2.md': seedText(seedFields({ topics: ['Space'], publishedDateTime: '2026-09-01T23:30:00Z' })),
    });
    await run(['ingest', ws.seeds, '--db', ws.db]);
    const news = await run(['news', 'Space', '--db', ws.db, '--now', '2026-09-04T00:00:00Z']);
    const stories = await run(['stories', 'Space', '--db', ws.db, '--now', '2026-09-04T00:00:00Z']);
    expect(news.stdout).toMatch(/^Space — 2 stories from 2 articles · 4 Sep 2026 00:00 UTC\n/);
    expect(news.stdout).toContain(' · 3 Sep 2026 07:05 UTC');
    expect(stories.stdout).toMatch(/^Space — 2 stories, 28 Aug 2026 00:00 UTC to 4 Sep 2026 00:00 UTC\n/);
    expect(stories.stdout).toContain(' · 1 Sep 2026 23:30 UTC · ');
    const dates = [...`${news.stdout}${stories.stdout}`.matchAll(/\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2} UTC/g)].map((m) => m[0]);
    expect(dates.length).toBeGreaterThanOrEqual(6);
    for (const date of dates) expect(date).toMatch(/^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2} UTC$/);
  });
});

