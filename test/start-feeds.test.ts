// `npm start` polls the feeds in its database: a feed added through the storage port, served on loopback,
// is fetched at start and its item is answered by /news in terminal mode.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgresStorage } from '../adapters/storage/postgres/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { binPath, repoRoot } from './helpers/cli.js';
import { FeedServer, rss } from './helpers/feed-server.js';
import { postgresUnavailable, startTestPostgres } from './helpers/postgres.js';
import { makeTempDir, removeDir } from './helpers/seed-files.js';

const cleanups: Array<() => Promise<void> | void> = [];

/** What terminal mode wrote to its log file so far (its JSON lines stay off the screen). */
function logText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('npm start with feeds', () => {
  it('polls a stored feed at start and answers /news with its item', async () => {
    const server = await FeedServer.start();
    cleanups.push(() => server.close());
    const dir = makeTempDir('newsbrief-start-feeds-');
    cleanups.push(() => removeDir(dir));
    const seeds = join(dir, 'seeds');
    mkdirSync(seeds);
    const dbPath = join(dir, 'nb.db');

    const published = new Date(Date.now() - 3 * 3_600_000).toUTCString();
    // The feed answers only once the test lets it, so that /news has looked up its topics before the poll.
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const served = server.serve('/kelp-feed.xml', {
      etag: '"k1"',
      body: rss({ title: 'Kelp Coast Courier', site: 'https://kelpcoast.example' }, [
        {
          guid: 'kelp-1',
          link: 'https://kelpcoast.example/2026/kelp-forest-restoration-passes-first-winter',
          title: 'Kelp forest restoration passes its first winter',
          date: published,
          description: 'Divers counted new fronds on nine of the ten replanted reefs.',
        },
      ]),
    });
    const url = server.route('/kelp.xml', (_req, res) => {
      void answered.then(() => {
        res.writeHead(301, { location: served }).end();
      });
    });
    const storage = openSqliteStorage(dbPath);
    await storage.feeds.addFeed({ url, name: null, topics: ['Marine Ecology'], quality: 70 }, new Date());
    await storage.close();

    const child = spawn(process.execPath, [binPath, 'start'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_PATH: dbPath,
        SEEDS_DIR: seeds,
        SEEDS_RESCAN: 'off',
        TERMINAL_MODE: 'on',
        LOG_LEVEL: 'info',
        NO_COLOR: '1',
        FEEDS_ALLOW_PRIVATE: 'on',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    cleanups.push(() => stopChild(child));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += String(d)));
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

    await expect.poll(() => server.hits('/kelp.xml'), { timeout: 20_000, interval: 50 }).toBe(1);
    expect(server.requestsTo('/kelp.xml')[0]!.headers['user-agent']).toMatch(/^Newsbrief\/\d+\.\d+\.\d+ \(no contact given\)$/);
    child.stdin!.write('/news marine ecology\n');
    await expect.poll(() => stdout.includes('No topic "marine ecology"'), { timeout: 10_000, interval: 50 }).toBe(true);

    answer();
    // Terminal mode logs beside the database; warnings also reach the screen, as plain lines.
    const logFile = join(dir, 'newsbrief.log');
    await expect.poll(() => logText(logFile).includes('"msg":"feeds polled"'), { timeout: 20_000, interval: 100 }).toBe(true);
    expect(server.hits('/kelp-feed.xml')).toBe(1);
    expect(stderr).toContain('Warning: FEED_CONTACT is not set');
    expect(stderr).not.toContain('{');

    // The topic list is read again after the poll stored articles under a new topic.
    child.stdin!.write('/news marine ecology\n');
    await expect.poll(() => stdout.includes('Kelp forest restoration passes its first winter'), { timeout: 10_000, interval: 100 }).toBe(true);
    expect(stdout).toContain('Kelp Coast Courier');
    child.stdin!.end('/quit\n');
    expect(await exited).toBe(0);
    expect(logText(logFile)).not.toMatch(/"level":(50|60)/);

    // The poll was recorded with its validator, so the next start sends it back.
    const after = openSqliteStorage(dbPath);
    const [feed] = await after.feeds.listFeeds();
    await after.close();
    // Moved for good to where the feed answered from, with the validator sent back next time.
    expect(feed).toMatchObject({ url: served, lastStatus: '200, 1 items, 1 new', etag: '"k1"', items: 1, feedTitle: 'Kelp Coast Courier' });
  }, 60_000);
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`Feeds on Postgres start tests skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)('two npm start on one Postgres database with feeds', () => {
  it('share the feeds out, fetching each once, and both answer /news with feed items', async () => {
    const server = await FeedServer.start();
    cleanups.push(() => server.close());
    const pg = await startTestPostgres();
    cleanups.push(() => pg.stop());

    const published = new Date(Date.now() - 2 * 3_600_000).toUTCString();
    const subjects = ['Glacier', 'Wetland', 'Moorland', 'Estuary', 'Reef', 'Dune', 'Heath', 'Fjord', 'Delta', 'Tundra', 'Marsh', 'Karst'];
    const storage = await openPostgresStorage(pg.url);
    for (const [i, subject] of subjects.entries()) {
      const body = rss({ title: `${subject} Watch`, site: `https://${subject.toLowerCase()}.example` }, [
        {
          guid: `${subject}-1`,
          link: `https://${subject.toLowerCase()}.example/survey-${i}`,
          title: `${subject} survey finds recovering bird numbers`,
          date: published,
          description: `Volunteers counted nesting pairs across the ${subject.toLowerCase()} this spring.`,
        },
      ]);
      // Slow enough that both instances are fetching at the same time.
      const url = server.route(`/${subject}.xml`, (_req, res) => void setTimeout(() => res.writeHead(200).end(body), 150));
      await storage.feeds.addFeed({ url, name: null, topics: ['Habitat Surveys'], quality: 60 }, new Date());
    }
    await storage.close();

    const env = {
      DATABASE_URL: pg.url,
      SEEDS_DIR: join(repoRoot, 'seeds'),
      SEEDS_RESCAN: 'off',
      TERMINAL_MODE: 'on',
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
      FEEDS_ALLOW_PRIVATE: 'on',
      FEED_CONTACT: 'ops@example.org',
    };
    // Each instance its own log file: the `feeds polled` lines are counted per instance.
    const logs = makeTempDir('newsbrief-start-feeds-logs-');
    cleanups.push(() => removeDir(logs));
    const one = launch({ ...env, LOG_FILE: join(logs, 'one.log') });
    const two = launch({ ...env, LOG_FILE: join(logs, 'two.log') });
    // Feeds each instance's rounds polled, from its `feeds polled` lines: claims (a batch of up to 16 at a
    // time) decide who polls what, so one instance may well take them all; together they poll each once.
    const polled = (i: Launched) =>
      i
        .log()
        .split('\n')
        .filter((line) => line.includes('"msg":"feeds polled"'))
        .reduce((sum, line) => sum + (JSON.parse(line) as { feeds: number }).feeds, 0);
    await expect.poll(() => polled(one) + polled(two), { timeout: 30_000, interval: 100 }).toBe(subjects.length);
    expect(subjects.map((s) => server.hits(`/${s}.xml`))).toEqual(subjects.map(() => 1));
    expect(server.requests.every((r) => r.headers['user-agent']?.endsWith('(+ops@example.org)'))).toBe(true);
    expect(one.stderr() + two.stderr()).not.toContain('FEED_CONTACT is not set');

    for (const i of [one, two]) i.child.stdin!.write('/news habitat surveys 10\n');
    for (const i of [one, two]) {
      await expect.poll(() => (i.stdout().match(/survey finds recovering bird numbers/g) ?? []).length, { timeout: 10_000, interval: 100 }).toBeGreaterThan(5);
      // The bundled seeds are there too: each instance ingested them or waited for the other to.
      i.child.stdin!.write('/news space 1\n');
      await expect.poll(() => /Space — 1 story/.test(i.stdout()), { timeout: 10_000, interval: 100 }).toBe(true);
      i.child.stdin!.end('/quit\n');
    }
    for (const i of [one, two]) {
      expect(await i.exited, i.stderr()).toBe(0);
      expect(i.log()).not.toMatch(/"level":(50|60)/);
    }
    const after = await openPostgresStorage(pg.url);
    const feeds = await after.feeds.listFeeds();
    await after.close();
    expect(feeds.map((f) => f.lastStatus)).toEqual(subjects.map(() => '200, 1 items, 1 new'));
  }, 90_000);
});

interface Launched {
  child: ChildProcess;
  exited: Promise<number | string | null>;
  stdout(): string;
  stderr(): string;
  /** Its LOG_FILE so far. */
  log(): string;
}

/** `npm start` in a child process, in terminal mode on a pipe; killed after the test if still running. */
function launch(env: Record<string, string>): Launched {
  const child = spawn(process.execPath, [binPath, 'start'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  cleanups.push(() => stopChild(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr, log: () => logText(env.LOG_FILE ?? '') };
}
