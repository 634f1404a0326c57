import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Newsbrief, MAX_COUNT, type IngestReport, type Storage } from '../src/index.js';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { renderDigestText, renderErrorText, renderStoriesText, renderTopicsText, styleFor } from '../adapters/console/render.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { openStorage } from './open-storage.js';
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
  newsbrief migrate-db --from sqlite:PATH [--to URL]
  ${' '.repeat(36)} Copy a SQLite database into an empty Postgres one (newsbrief migrate-db --help)
  newsbrief sources add|list|remove|enable|disable|import|export …
  ${' '.repeat(36)} Manage the live feeds npm start fetches (newsbrief sources --help)

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
  newsbrief sources add https://example.com/feed.xml --topic AI
`;

const MIGRATE_DB_USAGE = `Usage: newsbrief migrate-db --from sqlite:PATH [--to URL] [--schema NAME]

Moves an installation from its SQLite database to Postgres: copies every article, topic, subscription (ids
kept), chat time zone, delivery record, sent-article mark, seed-file state and the rank weight into an empty
Postgres database in one transaction, then checks that both sides hold the same.

Options:
${[
  optionLine('--from PATH', 'The SQLite database, as sqlite:PATH or a plain path (e.g. sqlite:./data/newsbrief.db)'),
  optionLine('--to URL', 'The Postgres database, postgres://USER:PASSWORD@HOST:PORT/DATABASE (default: $DATABASE_URL,'),
  optionLine('', 'which keeps the password out of the shell history; it is never printed)'),
  optionLine('--schema NAME', 'Postgres schema to fill, created when missing (default public, the one npm start uses)'),
].join('\n')}

Before: stop npm start (migrate-db refuses a SQLite database that a running npm start holds, and holds
it itself until done). An older SQLite database is upgraded first, as npm start would; otherwise it is
only read. The target gets Newsbrief's tables if it lacks them and is refused if any of them holds a row.
During: progress per table on stderr. Any failure rolls the copy back and leaves Postgres empty.
After: row counts per table, SQLite beside Postgres, then live articles, topic counts and the rank weight
read back through each side's storage. Chat leases are not copied (running instances' claims).
Exit status: 0 copied and verified, 1 refused, failed or different, 2 wrong arguments.

Then set DATABASE_URL to the new database (e.g. in .env) and run npm start; keep the SQLite file until
you are satisfied.

Example:
  DATABASE_URL=postgres://newsbrief@db.example:5432/newsbrief newsbrief migrate-db --from sqlite:./data/newsbrief.db
`;

/** `newsbrief migrate-db …` (argv after the command name): its own options, so it is parsed apart. */
async function runMigrateDb(argv: string[], io: CliIO): Promise<number> {
  const { migrateDb, parseMigrateDbArgs } = await import('./migrate-db.js');
  const args = parseMigrateDbArgs(argv, io.env);
  if (args.kind === 'help') {
    io.stdout.write(MIGRATE_DB_USAGE);
    return 0;
  }
  if (args.kind === 'usage-error') {
    io.stderr.write(`newsbrief migrate-db: ${args.message}\nRun "newsbrief migrate-db --help" for usage.\n`);
    return 2;
  }
  return migrateDb(args.options, io);
}

/** Runs one CLI command; returns the process exit code (0 ok, 1 failed, 2 usage error). */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  if (argv[0] === 'migrate-db') return runMigrateDb(argv.slice(1), io);
  if (argv[0] === 'help' && argv[1] === 'migrate-db') return runMigrateDb(['--help'], io);
  if (argv[0] === 'sources' || (argv[0] === 'help' && argv[1] === 'sources')) {
    const { runSources } = await import('./sources.js');
    return runSources(argv[0] === 'help' ? ['--help'] : argv.slice(1), io);
  }
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
    io.stderr.write(`newsbrief: unknown command "${command}". Commands: ${[...commands, 'migrate-db', 'sources'].join(', ')}.\n`);
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
  const seedsDir = values.seeds ?? config.SEEDS_DIR;
  const store = await openStorage(values.db, config, io);
  if (!store) return 1;
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
