import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../entry/cli.js';
import { cutoffFor, runArticles } from '../entry/articles.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { articleIdFor } from '../adapters/sources/article-id.js';
import { indexArticles, Newsbrief } from '../src/index.js';
import { makeArticle } from './helpers/articles.js';
import { captureIO, runBin } from './helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const NOW = new Date('2026-12-02T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();

/** A database with five Space articles: three recent, two published 100 and 400 days ago. */
async function database(): Promise<{ db: string; urls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-articles-'));
  dirs.push(dir);
  const db = join(dir, 'news.db');
  const store = openSqliteStorage(db);
  const ages = [0.1, 0.5, 1, 100, 400];
  const articles = ages.map((age, i) =>
    makeArticle({ title: `zq${i}a zq${i}b zq${i}c space bulletin`, topics: ['Space'], url: `https://o${i}.example/story-${i}`, publishedAt: daysAgo(age) }),
  );
  await store.articles.upsertArticles(indexArticles(articles));
  await store.close();
  return { db, urls: articles.map((a) => a.url) };
}

async function liveUrls(db: string): Promise<string[]> {
  const store = openSqliteStorage(db);
  try {
    const app = new Newsbrief({ storage: store, clock: () => NOW });
    const stories = await app.stories('space', { since: new Date(0), until: NOW });
    return stories.ok ? stories.stories.map((s) => s.url).sort() : [];
  } finally {
    await store.close();
  }
}

describe('newsbrief articles', () => {
  it('removes articles named by URL or id from every digest, and says which were not found', async () => {
    const { db, urls } = await database();
    const c = captureIO();
    const code = await main(['articles', 'remove', urls[0]!, articleIdFor(urls[1]!), 'https://nowhere.example/x', '--db', db], c.io);
    expect(code).toBe(1);
    expect(c.stdout()).toContain(`removed ${articleIdFor(urls[0]!)}:`);
    expect(c.stdout()).toContain('2 articles removed, 1 not found.');
    expect(c.stderr()).toContain('not found: https://nowhere.example/x');
    expect(await liveUrls(db)).toEqual(urls.slice(2).sort());
    // Removing again is harmless and says so.
    const again = captureIO();
    expect(await main(['articles', 'remove', urls[0]!, '--db', db], again.io)).toBe(0);
    expect(again.stdout()).toContain('already removed');
    expect(again.stdout()).toContain('0 articles removed.');
  });

  it('prunes what was published before a cutoff, with a dry run that changes nothing', async () => {
    const { db, urls } = await database();
    const dry = captureIO();
    expect(await runArticles(['prune', '--older-than', '90d', '--dry-run', '--db', db], dry.io, () => NOW)).toBe(0);
    expect(dry.stdout()).toMatch(/^2 articles published before 3 Sep 2026 12:00 UTC would be removed \(dry run: nothing changed\)\.\n$/);
    expect(await liveUrls(db)).toHaveLength(5);
    const real = captureIO();
    expect(await runArticles(['prune', '--older-than', '90d', '--db', db], real.io, () => NOW)).toBe(0);
    expect(real.stdout()).toContain('2 articles published before');
    expect(await liveUrls(db)).toEqual(urls.slice(0, 3).sort());
    const byDate = captureIO();
    expect(await runArticles(['prune', '--older-than', '2026-12-02', '--db', db], byDate.io, () => NOW)).toBe(0);
    expect(byDate.stdout()).toContain('1 article published before 2 Dec 2026 00:00 UTC removed.');
    expect(await liveUrls(db)).toEqual(urls.slice(0, 2).sort());
  });

  it('refuses wrong arguments naming them, and a database that does not exist without creating it', async () => {
    const { db } = await database();
    const cases: [string[], RegExp][] = [
      [['articles', 'prune', '--db', db], /prune needs --older-than/],
      [['articles', 'prune', '--older-than', 'soon', '--db', db], /--older-than must be an age such as 90d/],
      [['articles', 'prune', '--older-than', '2026-02-30', '--db', db], /--older-than must be/],
      [['articles', 'remove', '--db', db], /remove needs at least one article id or URL/],
      [['articles', 'remove', 'x', '--dry-run', '--db', db], /--older-than and --dry-run go with prune/],
      [['articles', 'purge', '--db', db], /unknown command "purge"/],
      [['articles', 'remove', ...Array.from({ length: 1001 }, (_, i) => `id${i}`), '--db', db], /at most 1,000 articles/],
    ];
    for (const [argv, message] of cases) {
      const c = captureIO();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.stderr()).toMatch(message);
    }
    const missing = join(dirs[0]!, 'absent.db');
    const c = captureIO();
    expect(await main(['articles', 'prune', '--older-than', '1d', '--db', missing], c.io)).toBe(1);
    expect(c.stderr()).toContain(`no database at ${missing}`);
    expect((await import('node:fs')).existsSync(missing)).toBe(false);
  });

  it('reads ages and dates strictly', () => {
    expect(cutoffFor('48h', NOW)?.toISOString()).toBe('2026-11-30T12:00:00.000Z');
    expect(cutoffFor('2w', NOW)?.toISOString()).toBe('2026-11-18T12:00:00.000Z');
    expect(cutoffFor('90d', NOW)?.toISOString()).toBe('2026-09-03T12:00:00.000Z');
    for (const bad of ['', '90', 'd', '90y', '1e3d', '123456d', '2026-13-01', `${'9'.repeat(10_000)}d`]) expect(cutoffFor(bad, NOW)).toBeNull();
  });

  it('has its own help, through the real launcher too', async () => {
    const r = await runBin(['articles', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: newsbrief articles remove ID\|URL/);
    const overview = await runBin(['help']);
    expect(overview.stdout).toContain('newsbrief articles remove ID|URL … | prune --older-than AGE');
  });
});
