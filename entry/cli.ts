import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Newsbrief, MAX_COUNT, type IngestReport, type Storage } from '../src/index.js';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { renderDigestText, renderErrorText, renderStoriesText, renderTopicsText, styleFor } from '../adapters/console/render.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { commandArgument, commandsFor, describeArgument } from '../src/index.js';
import { CLI, commandLines } from '../adapters/console/wording.js';

export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** Output flags the CLI adds to some commands. */
const OUTPUT_FLAGS = { news: '[--explain] [--json]', stories: '[--json]', topics: '[--json]' } as const;

/** An option line: "  --count N      How many stories (1–10, default 5)". */
function optionLine(flag: string, text: string): string {
  return `  ${flag.padEnd(14)} ${text}`;
}

const USAGE = `Newsbrief: topic-based news digests.

Usage:
${commandLines(CLI, { width: 36, extras: OUTPUT_FLAGS }).join('\n')}

Options:
${[
  optionLine('--db PATH', 'SQLite database (default: Postgres at $DATABASE_URL when set, else $DATABASE_PATH, else ./data/newsbrief.db)'),
  optionLine('--seeds DIR', 'Seed folder (default: $SEEDS_DIR, else ./seeds)'),
  optionLine('--count N', describeArgument(commandArgument('news', 'count'))),
  optionLine('--explain', 'Show each story\'s score components'),
  optionLine('--json', 'Print data as JSON'),
  optionLine('--now ISO', 'Act as if it were this instant (replays: nothing published later is shown)'),
  optionLine('--since ISO', describeArgument(commandArgument('stories', 'since'))),
  optionLine('--until ISO', describeArgument(commandArgument('stories', 'until'))),
].join('\n')}

Examples:
  ${CLI.invocation('ingest', { folder: './seeds' })}
  ${CLI.invocation('news', { topic: 'AI', count: 3 })} --explain
  ${CLI.invocation('news', { topic: '"machine learning"' })} --json
  ${CLI.invocation('stories', { topic: 'AI', since: '2026-11-20T00:00:00Z' })} --json
  ${CLI.invocation('news', { topic: 'AI' })} --now 2026-11-25T12:00:00Z
`;

/** Runs one CLI command; returns the process exit code (0 ok, 1 failed, 2 usage error). */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        seeds: { type: 'string' },
        count: { type: 'string', short: 'n' },
        explain: { type: 'boolean' },
        json: { type: 'boolean' },
        now: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    io.stderr.write(`newsbrief: ${(error as Error).message}\nRun "newsbrief help" for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command = 'help', ...rest] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    io.stdout.write('newsbrief 0.1.0\n');
    return 0;
  }

  if (command === 'start') {
    const { start } = await import('./service.js');
    return start({ env: io.env });
  }
  const commands = commandsFor('cli').map((c) => c.name);
  if (!commands.some((name) => name === command)) {
    io.stderr.write(`newsbrief: unknown command "${command}". Commands: ${commands.join(', ')}.\n`);
    return 2;
  }
  const instants: Record<'now' | 'since' | 'until', Date | undefined> = { now: undefined, since: undefined, until: undefined };
  for (const name of ['now', 'since', 'until'] as const) {
    const raw = values[name];
    if (raw === undefined) continue;
    const date = parseInstant(raw);
    if (!date) {
      io.stderr.write(`newsbrief: --${name} must be an ISO 8601 date-time such as 2026-11-25T12:00:00Z, not "${raw.slice(0, 60)}".\n`);
      return 2;
    }
    instants[name] = date;
  }

  let config: Config;
  try {
    config = parseConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`newsbrief: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const dbPath = values.db ?? config.DATABASE_PATH;
  const seedsDir = values.seeds ?? config.SEEDS_DIR;
  let store: Storage;
  // --db names a SQLite file and wins; otherwise DATABASE_URL selects Postgres.
  const postgresUrl = values.db === undefined ? config.DATABASE_URL : undefined;
  if (postgresUrl) {
    const { describeDatabase, openPostgresStorage } = await import('../adapters/storage/postgres/index.js');
    try {
      store = await openPostgresStorage(postgresUrl);
    } catch (error) {
      // Named by host and database only: the URL may hold a password.
      io.stderr.write(`newsbrief: cannot open ${describeDatabase(postgresUrl)}: ${(error as Error).message}\n`);
      return 1;
    }
  } else {
    try {
      store = openSqliteStorage(dbPath);
    } catch (error) {
      io.stderr.write(`newsbrief: cannot open database ${dbPath}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  try {
    if (command === 'ingest') return await runIngest(store, rest[0] ?? seedsDir, io);
    // First use: fill an empty database from the seeds so `news` works straight after install.
    if ((await store.articles.articleCount()) === 0 && existsSync(seedsDir)) {
      io.stderr.write(`Database is empty: ingesting ${seedsDir} first.\n`);
      const report = await ingestSeedFolder(seedsDir, store);
      io.stderr.write(`${summary(report)}\n`);
    }
    const fixedNow = instants.now;
    const app = new Newsbrief({
      storage: store,
      digest: { halfLifeHours: config.RANK_HALF_LIFE_HOURS },
      ...(fixedNow ? { clock: () => new Date(fixedNow) } : {}),
    });
    if (command === 'topics') {
      const topics = await app.listTopics();
      io.stdout.write(values.json ? `${JSON.stringify(topics, null, 2)}\n` : `${renderTopicsText(topics)}\n`);
      return 0;
    }
    const topic = rest.join(' ');
    if (command === 'stories') {
      const stories = await app.stories(topic === '' ? undefined : topic, { since: instants.since, until: instants.until });
      if (!stories.ok) {
        io.stderr.write(`newsbrief: ${renderErrorText(stories, CLI)}\n`);
        return 1;
      }
      io.stdout.write(values.json ? `${JSON.stringify({ topic: stories.topic, since: stories.since, until: stories.until, stories: stories.stories }, null, 2)}\n` : `${renderStoriesText(stories)}\n`);
      return 0;
    }
    const result = await app.news(topic, { count: values.count });
    if (!result.ok) {
      io.stderr.write(`newsbrief: ${renderErrorText(result, CLI)}\n`);
      return 1;
    }
    if (values.json) io.stdout.write(`${JSON.stringify(result.digest, null, 2)}\n`);
    else io.stdout.write(`${renderDigestText(result.digest, { explain: values.explain, style: styleFor(io.stdout, io.env) })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

async function runIngest(store: Storage, dir: string, io: CliIO): Promise<number> {
  if (!existsSync(dir)) {
    io.stderr.write(`newsbrief: seeds folder not found: ${resolve(dir)}\n`);
    return 1;
  }
  const showProgress = io.stderr.isTTY === true;
  const report = await ingestSeedFolder(dir, store, {
    onProgress: showProgress
      ? (done, total) => {
          if (total >= 200) io.stderr.write(`\rIngesting ${done}/${total} files…`);
        }
      : undefined,
  });
  if (showProgress && report.files >= 200) io.stderr.write('\n');
  io.stdout.write(`${summary(report)}\n`);
  for (const r of report.rejected) io.stdout.write(`  rejected ${fileLine(r)}\n`);
  // Accepted files with something left out (an oversized unknown field): stored, but not whole.
  for (const w of report.warnings) io.stdout.write(`  warning ${fileLine(w)}\n`);
  return 0;
}

/** "FILE [field]: reason", one line: names and fields come from seed files, so control characters are shown as "?". */
function fileLine(r: { file: string; field?: string; reason: string }): string {
  return `${r.file}${r.field ? ` [${r.field}]` : ''}: ${r.reason}`.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function summary(report: IngestReport): string {
  const parts = [
    `${report.files} files`,
    `${report.accepted} accepted`,
    `${report.updated} updated`,
    `${report.unchanged} unchanged`,
    `${report.rejected.length} rejected`,
  ];
  if (report.duplicates > 0) parts.push(`${report.duplicates} duplicates`);
  if (report.warnings.length > 0) parts.push(`${report.warnings.length} warnings`);
  return `Ingested ${parts.join(', ')} in ${Math.round(report.durationMs)} ms.`;
}

/** An ISO 8601 date-time (or date) with no out-of-range parts. */
function parseInstant(raw: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw.trim())) return undefined;
  const date = new Date(raw.trim());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
