import { parseArgs } from 'node:util';
import { constants as fsConstants, accessSync, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Newsbrief, cleanText, type Storage } from '../src/index.js';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { renderDigestText, renderErrorText, renderStoriesText, renderTopicsText, styleFor } from '../adapters/console/render.js';
import { CLI, shellWord } from '../adapters/console/wording.js';
import { commandConfig, type Config } from './config.js';
import { chooseDatabase, openStorage } from './open-storage.js';
import { CLI_COMMANDS, OVERVIEW, argsErrorMessage, commandHelp, isCliCommand, optionLine, version, type CliCommand } from './cli-help.js';
import { counted, ingestDetails, ingestSummary } from './ingest-summary.js';

export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

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

async function runHealth(argv: string[], io: CliIO): Promise<number> {
  const { runHealth } = await import('./health-command.js');
  return runHealth(argv, io);
}

async function runArticles(argv: string[], io: CliIO): Promise<number> {
  const { runArticles } = await import('./articles.js');
  return runArticles(argv, io);
}

async function runSources(argv: string[], io: CliIO): Promise<number> {
  const { runSources } = await import('./sources.js');
  return runSources(argv, io);
}

/** The commands with help and arguments of their own, run apart from the ones below. */
const SUBCOMMAND_FAMILIES: Record<string, (argv: string[], io: CliIO) => Promise<number>> = {
  'migrate-db': runMigrateDb,
  sources: runSources,
  health: runHealth,
  articles: runArticles,
};

type Values = {
  db?: string;
  seeds?: string;
  count?: string;
  explain?: boolean;
  json?: boolean;
  now?: string;
  since?: string;
  until?: string;
  strict?: boolean;
  help?: boolean;
  version?: boolean;
};

/** Runs one CLI command; returns the process exit code (0 ok, 1 failed, 2 usage error). */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const family = Object.hasOwn(SUBCOMMAND_FAMILIES, argv[0] ?? '') ? SUBCOMMAND_FAMILIES[argv[0]!] : undefined;
  if (family) return family(argv.slice(1), io);
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
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
        strict: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    }));
  } catch (error) {
    const message = argsErrorMessage(error);
    return usage(io, message, isCliCommand(argv[0] ?? '') ? (argv[0] as CliCommand) : undefined);
  }
  const [command, ...words] = positionals;
  if (values.version) {
    io.stdout.write(`newsbrief ${version()}\n`);
    return 0;
  }
  if (command === undefined) {
    io.stdout.write(OVERVIEW);
    return 0;
  }
  if (command === 'help' || values.help) {
    if (command === 'help' && words.length > 1) return extraWords(io, 'help', words.slice(1));
    // "help --help" is about help itself, as "news --help" is about news.
    return help(command === 'help' ? (words[0] ?? (values.help ? 'help' : undefined)) : command, io);
  }
  if (!isCliCommand(command)) return unknownCommand(io, command);

  const use = CLI_COMMANDS[command];
  for (const option of Object.keys(values)) {
    if (!use.options.includes(option as never)) return usage(io, `--${option} is not an option of "${command}"`, command);
  }
  if (words.length > use.maxWords) return extraWords(io, command, words.slice(use.maxWords));
  if (command === 'start') {
    const { start } = await import('./service.js');
    return start({ env: io.env });
  }

  const instants: Record<'now' | 'since' | 'until', Date | undefined> = { now: undefined, since: undefined, until: undefined };
  for (const name of ['now', 'since', 'until'] as const) {
    const raw = values[name];
    if (raw === undefined) continue;
    const date = parseInstant(raw);
    if (!date) return usage(io, `--${name} must be an ISO 8601 date-time such as 2026-11-25T12:00:00Z, not "${cleanText(raw).slice(0, 60)}"`, command);
    instants[name] = date;
  }

  const config = commandConfig(io.env, io.stderr);
  if (!config) return 2;
  const seedsDir = values.seeds ?? config.SEEDS_DIR;
  if (command === 'ingest') return runIngest(words[0] ?? seedsDir, values, config, io);

  // A folder named on the command line must be there, whether or not this run needs it.
  const seedsProblem = folderProblem(seedsDir);
  if (values.seeds !== undefined && seedsProblem) {
    io.stderr.write(`newsbrief ${command}: ${seedsProblem} (--seeds)\n`);
    return 1;
  }
  const database = chooseDatabase(values.db, config);
  if (database.kind === 'sqlite' && database.path !== ':memory:' && !existsSync(database.path)) {
    // A read-only command creates a database only to fill it from the seeds: a mistyped path is not a new database.
    if (seedsProblem) {
      const named = values.db === undefined ? `${resolve(database.path)} ($DATABASE_PATH, else ./data/newsbrief.db)` : resolve(database.path);
      io.stderr.write(
        `newsbrief ${command}: no database at ${named}, and no seeds folder to start one from (${seedsProblem}). ` +
          `Check the path, or load a folder of seed files first: newsbrief ingest DIR${values.db === undefined ? '' : ` --db ${shellWord(values.db)}`}\n`,
      );
      return 1;
    }
    io.stderr.write(`No database at ${resolve(database.path)} yet: creating it.\n`);
  }

  const store = await openStorage(values.db, config, io);
  if (!store) return 1;
  try {
    // First use: fill an empty database from the seeds so `news` works straight after install.
    if ((await store.articles.articleCount()) === 0) {
      if (seedsProblem) {
        io.stderr.write(`The database is empty, and there are no seeds to fill it from: ${seedsProblem}.\n`);
      } else {
        io.stderr.write(`Database is empty: ingesting ${seedsDir} first.\n`);
        const report = await ingestSeedFolder(seedsDir, store);
        // Warnings are left out: a second run skips the unchanged files that had them, so it would not list them.
        const listed = report.rejected.length + report.duplicates + report.skipped.length > 0;
        io.stderr.write(`${ingestSummary(report)}${listed ? ` ${ingestCommand(seedsDir, values)} lists the files behind these figures.` : ''}\n`);
      }
    }
    const fixedNow = instants.now;
    const app = new Newsbrief({
      storage: store,
      digest: { halfLifeHours: config.RANK_HALF_LIFE_HOURS },
      ...(fixedNow ? { clock: () => new Date(fixedNow) } : {}),
    });
    if (command === 'topics') {
      const topics = await app.listTopics();
      if (values.json) io.stdout.write(`${JSON.stringify(topics, null, 2)}\n`);
      else io.stdout.write(`${topics.length > 0 ? renderTopicsText(topics) : noTopicsText(seedsDir, seedsProblem, values)}\n`);
      return 0;
    }
    const topic = words.join(' ');
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

/** `newsbrief help [COMMAND]`, `newsbrief COMMAND --help`. */
async function help(command: string | undefined, io: CliIO): Promise<number> {
  if (command === undefined || command === 'help') {
    io.stdout.write(command === undefined ? OVERVIEW : commandHelp('help'));
    return 0;
  }
  const family = Object.hasOwn(SUBCOMMAND_FAMILIES, command) ? SUBCOMMAND_FAMILIES[command] : undefined;
  if (family) return family(['--help'], io);
  if (!isCliCommand(command)) return unknownCommand(io, command);
  io.stdout.write(commandHelp(command));
  return 0;
}

function usage(io: CliIO, message: string, command?: CliCommand): number {
  const name = command === undefined ? 'newsbrief' : `newsbrief ${command}`;
  io.stderr.write(`${name}: ${message}\nRun "${command === undefined ? 'newsbrief help' : `${name} --help`}" for usage.\n`);
  return 2;
}

function unknownCommand(io: CliIO, command: string): number {
  const names = [...Object.keys(CLI_COMMANDS), ...Object.keys(SUBCOMMAND_FAMILIES)];
  return usage(io, `unknown command "${cleanText(command).slice(0, 40)}". Commands: ${names.join(', ')}.`);
}

/** Words after a command that takes fewer: each is named, cut and cleaned. */
function extraWords(io: CliIO, command: CliCommand, extra: readonly string[]): number {
  const use = CLI_COMMANDS[command];
  const named = extra.slice(0, 5).map((w) => `"${cleanText(w).slice(0, 40)}"`).join(', ') + (extra.length > 5 ? `, … (${extra.length} in all)` : '');
  const message =
    use.maxWords === 0
      ? `"${command}" takes no arguments (got ${named})`
      : `"${command}" takes ${use.words} only (unexpected ${named}${command === 'ingest' ? '; quote a path with spaces' : ''})`;
  return usage(io, message, command);
}

async function runIngest(dir: string, values: Values, config: Config, io: CliIO): Promise<number> {
  // Checked before the database is opened, so a wrong path creates nothing.
  const problem = folderProblem(dir);
  if (problem) {
    io.stderr.write(`newsbrief ingest: ${problem}\n`);
    return 1;
  }
  const store = await openStorage(values.db, config, io);
  if (!store) return 1;
  try {
    const showProgress = io.stderr.isTTY === true;
    const report = await ingestSeedFolder(dir, store, {
      onProgress: showProgress
        ? (done, total) => {
            if (total >= 200) io.stderr.write(`\rIngesting ${done}/${total} files…`);
          }
        : undefined,
    });
    if (showProgress && report.files >= 200) io.stderr.write('\n');
    io.stdout.write(`${[ingestSummary(report), ...ingestDetails(report)].join('\n')}\n`);
    if (values.strict && report.rejected.length > 0) {
      io.stderr.write(
        `newsbrief ingest: --strict, and ${counted(report.rejected.length, 'file was', 'files were')} rejected (listed above), so this run failed; the files that passed were stored.\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** Why `dir` cannot be read as a seed folder, in words; undefined when it can. */
function folderProblem(dir: string): string | undefined {
  const path = resolve(dir);
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? `seeds folder not found: ${path}` : `seeds folder cannot be read: ${path} (${code ?? (error as Error).message})`;
  }
  if (!stats.isDirectory()) return `${path} is a file, not a folder of seed files (.md, .txt, read at any depth): name the folder that holds it`;
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.X_OK);
  } catch (error) {
    return `seeds folder cannot be read: ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  return undefined;
}

/** `newsbrief ingest DIR` with the same database, as the user would type it. */
function ingestCommand(dir: string, values: Values): string {
  return [CLI.invocation('ingest', { folder: dir }), ...(values.db === undefined ? [] : [`--db ${shellWord(values.db)}`])].join(' ');
}

/** `newsbrief topics` on a database with no articles: why, and what to run. */
function noTopicsText(seedsDir: string, seedsProblem: string | undefined, values: Values): string {
  if (seedsProblem) return `No topics yet: the database has no articles, and ${seedsProblem}. Load a folder of seed files with: newsbrief ingest DIR`;
  return `No topics yet: the database has no articles, and ${seedsDir} gave none (${ingestCommand(seedsDir, values)} shows why).`;
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
