/**
 * What the `newsbrief` command line takes and says about itself: each command's options and arguments (the
 * parser checks against them), the overview (`newsbrief help`) and each command's own help
 * (`newsbrief news --help`, `newsbrief help news`). Usage lines come from the core's catalogue, so they
 * agree with the chat surfaces; `sources` and `migrate-db` have help of their own.
 */
import { readFileSync } from 'node:fs';
import { commandArgument, commandSpec, describeArgument } from '../src/index.js';
import { CLI, commandLines } from '../adapters/console/wording.js';

/** The options of the CLI's own commands, besides --help and --version. */
export type CliOption = 'count' | 'explain' | 'json' | 'now' | 'since' | 'until' | 'strict' | 'db' | 'seeds';

/** The commands `main` runs itself; `sources` and `migrate-db` parse their own arguments. */
export type CliCommand = 'news' | 'topics' | 'stories' | 'ingest' | 'start' | 'help';

interface CommandUse {
  /** The options it takes, in the order its help lists them. */
  readonly options: readonly CliOption[];
  /** How many words may follow the command; a topic may have any number (the CLI joins them). */
  readonly maxWords: number;
  /** The words, in usage errors: "takes one folder". */
  readonly words: string;
  /** Shown under its usage line. */
  readonly about: string;
  readonly exit: string;
  /** Every one runs as shown from a folder holding ./seeds (a test runs them). */
  readonly examples: readonly string[];
}

const DATABASE_OPTIONS: readonly CliOption[] = ['db', 'seeds'];

/** The default database, as the help says it. */
const DEFAULT_DB = 'Postgres at $DATABASE_URL when set, else $DATABASE_PATH, else ./data/newsbrief.db';

const OPTION_HELP: Record<CliOption, { flag: string; text: string }> = {
  count: { flag: '--count N', text: describeArgument(commandArgument('news', 'count')) },
  explain: { flag: '--explain', text: "Show each story's score components" },
  json: { flag: '--json', text: 'Print data as JSON' },
  now: { flag: '--now ISO', text: 'Act as if it were this instant (replays: nothing published later is shown)' },
  since: { flag: '--since ISO', text: describeArgument(commandArgument('stories', 'since')) },
  until: { flag: '--until ISO', text: describeArgument(commandArgument('stories', 'until')) },
  strict: { flag: '--strict', text: 'Exit 1 when any file is rejected (the files that pass are still stored)' },
  db: { flag: '--db PATH', text: `SQLite database (default: ${DEFAULT_DB})` },
  seeds: { flag: '--seeds DIR', text: 'Seed folder (default: $SEEDS_DIR, else ./seeds)' },
};

const FIRST_USE =
  'When the database is empty, the seeds folder is ingested into it first, so this works straight after\n' +
  'install; a database file that does not exist yet is created only when there is a seeds folder to fill it.';

export const CLI_COMMANDS: Record<CliCommand, CommandUse> = {
  news: {
    options: ['count', 'explain', 'json', 'now', ...DATABASE_OPTIONS],
    maxWords: Infinity,
    words: 'a topic',
    about:
      'The top stories on a topic right now, best first: each with its outlet, time, excerpt, link and the\n' +
      'other outlets covering it. A topic of several words needs no quotes. An unknown topic is answered\n' +
      `with the closest known ones.\n${FIRST_USE}`,
    exit: '0 done, 1 failed (unknown topic, no database), 2 wrong arguments or settings.',
    examples: [
      `${CLI.invocation('news', { topic: 'AI', count: 3 })} --explain`,
      `${CLI.invocation('news', { topic: 'machine learning' })} --json`,
      `${CLI.invocation('news', { topic: 'AI' })} --now 2026-11-25T12:00:00Z`,
    ],
  },
  topics: {
    options: ['json', ...DATABASE_OPTIONS],
    maxWords: 0,
    words: 'no arguments',
    about: `Every topic with articles, most articles first, and how many each has.\n${FIRST_USE}`,
    exit: '0 done, 1 failed (no database), 2 wrong arguments or settings.',
    examples: [CLI.invocation('topics'), `${CLI.invocation('topics')} --json`],
  },
  stories: {
    options: ['since', 'until', 'json', 'now', ...DATABASE_OPTIONS],
    maxWords: Infinity,
    words: 'a topic',
    about:
      'Every story formed from the stored articles published in a window, best first, each with all its\n' +
      `articles (the lead first); without a topic, the stories of all topics.\n${FIRST_USE}`,
    exit: '0 done, 1 failed (unknown topic, no database), 2 wrong arguments or settings.',
    examples: [
      `${CLI.invocation('stories', { topic: 'AI', since: '2026-11-20T00:00:00Z' })} --json`,
      CLI.invocation('stories', { until: '2026-11-25T12:00:00Z' }),
    ],
  },
  ingest: {
    options: ['strict', ...DATABASE_OPTIONS],
    maxWords: 1,
    words: 'one folder',
    about:
      'Loads every seed file (.md and .txt, at any depth) of a folder into the database: new and changed\n' +
      'files are stored, unchanged ones skipped. Files that cannot be used are listed with the field and the\n' +
      'reason, and the rest still load. Also listed: files whose article another file carries too (the\n' +
      'better copy is kept) and symbolic links, which are never followed. Hidden files and node_modules are\n' +
      'left out. DIR defaults to --seeds, then $SEEDS_DIR, then ./seeds.',
    exit: '0 done, 1 failed (no such folder; with --strict, any file rejected), 2 wrong arguments or settings.',
    examples: [CLI.invocation('ingest', { folder: './seeds' }), `${CLI.invocation('ingest', { folder: './seeds' })} --strict`],
  },
  start: {
    options: [],
    maxWords: 0,
    words: 'no arguments',
    about:
      'Runs Newsbrief as npm start does: the Telegram and Discord bots whose tokens are set, the daily\n' +
      'digests, and terminal mode when there is no token and a terminal to talk to. It takes its settings\n' +
      'from the environment and ./.env (see .env.example), not from options.',
    exit: '0 stopped, 1 failed, 2 wrong settings.',
    examples: [],
  },
  help: {
    options: [],
    maxWords: 1,
    words: 'one command name',
    about: 'How to use Newsbrief, or one of its commands.',
    exit: '0 done, 2 no such command.',
    examples: [`${CLI.invocation('help')} news`, `${CLI.invocation('help')} sources`],
  },
};

/** Whether `name` is a command `main` runs itself. */
export function isCliCommand(name: string): name is CliCommand {
  return Object.hasOwn(CLI_COMMANDS, name);
}

/** An option line: "  --count N      How many stories (1–10, default 5)". */
export function optionLine(flag: string, text: string): string {
  return `  ${flag.padEnd(14)} ${text}`;
}

/** The command's usage line: the catalogue's arguments, then its other options. */
export function usageLine(command: CliCommand): string {
  const spec = commandSpec(command);
  const inCatalogue = new Set(spec.arguments.map((a) => a.name));
  const rest = CLI_COMMANDS[command].options.filter((o) => !inCatalogue.has(o)).map((o) => `[${OPTION_HELP[o].flag}]`);
  const words = command === 'help' ? ['[COMMAND]'] : [];
  return [CLI.usage(spec), ...words, ...rest].join(' ');
}

/** `newsbrief COMMAND --help`. */
export function commandHelp(command: CliCommand): string {
  const use = CLI_COMMANDS[command];
  const sections = [`Usage: ${usageLine(command)}`, use.about];
  if (use.options.length > 0) sections.push(`Options:\n${use.options.map((o) => optionLine(OPTION_HELP[o].flag, OPTION_HELP[o].text)).join('\n')}`);
  sections.push(`Exit status: ${use.exit}`);
  if (use.examples.length > 0) sections.push(`${use.examples.length === 1 ? 'Example' : 'Examples'}:\n${use.examples.map((e) => `  ${e}`).join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}

/** Output options shown after each command in the overview; the rest are in its own help. */
const OVERVIEW_FLAGS = { news: '[--explain] [--json]', stories: '[--json]', topics: '[--json]', ingest: '[--strict]', help: '[COMMAND]' } as const;
const OVERVIEW_OPTIONS: readonly CliOption[] = ['db', 'seeds', 'count', 'explain', 'json', 'now', 'since', 'until', 'strict'];
const INDENT = ' '.repeat(36);

/** `newsbrief help`. */
export const OVERVIEW = `Newsbrief: topic-based news digests.

Usage:
${commandLines(CLI, { width: 36, extras: OVERVIEW_FLAGS }).join('\n')}
  newsbrief migrate-db --from sqlite:PATH [--to URL]
  ${INDENT} Copy a SQLite database into an empty Postgres one (newsbrief migrate-db --help)
  newsbrief sources add|list|remove|enable|disable|import|export …
  ${INDENT} Manage the live feeds npm start fetches (newsbrief sources --help)
  newsbrief health [--url URL]
  ${INDENT} Ask a running npm start whether it is healthy (newsbrief health --help)
  newsbrief articles remove ID|URL … | prune --older-than AGE
  ${INDENT} Take articles out of every digest (newsbrief articles --help)

Options:
${OVERVIEW_OPTIONS.map((o) => optionLine(OPTION_HELP[o].flag, OPTION_HELP[o].text)).join('\n')}
${optionLine('--help, -h', 'Show a command\'s help: newsbrief news --help (or newsbrief help news)')}
${optionLine('--version, -V', 'Print the version')}

Exit status: 0 done, 1 failed (e.g. unknown topic), 2 wrong arguments or settings.

Examples:
  ${CLI.invocation('ingest', { folder: './seeds' })}
  ${CLI_COMMANDS.news.examples.join('\n  ')}
  ${CLI_COMMANDS.stories.examples[0]}
  newsbrief sources add https://example.com/feed.xml --topic AI
`;

/** `newsbrief health --help`. */
export const HEALTH_USAGE = `Usage: newsbrief health [--url URL]

Asks a running npm start for its health check (GET /healthz, served when HEALTH_PORT is set) and prints
one line: "ok: …" with what runs, or "degraded: …" with what is wrong (no digest tick succeeded for over
3 minutes, the database not answering, the Discord gateway down for over 2 minutes, or Telegram not
polling on the instance that should).

Options:
${optionLine('--url URL', 'Where to ask, e.g. http://127.0.0.1:9464 (/healthz is added to a URL without a path);')}
${optionLine('', 'default: HEALTH_HOST and HEALTH_PORT, as npm start reads them from the environment and ./.env')}

Exit status: 0 healthy, 1 degraded or no answer, 2 wrong arguments or settings.
`;

/** Newsbrief's version, from package.json: what `--version` prints. */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

/** A parseArgs error for the user: Node's advice on positionals that start with '-' would only confuse here. */
export function argsErrorMessage(error: unknown): string {
  return (error as Error).message.replace(/\. To specify a positional argument.*$/s, '.');
}
