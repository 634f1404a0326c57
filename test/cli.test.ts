import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../entry/cli.js';
import { captureIO, repoRoot, runBin } from './helpers/cli.js';

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
