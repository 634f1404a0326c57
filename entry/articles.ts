import { argsErrorMessage } from './cli-help.js';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cleanText, indexArticles, safeHttpUrl, type Article, type Storage } from '../src/index.js';
import { articleIdFor } from '../adapters/sources/article-id.js';
import { utcDateTime } from '../adapters/console/date-text.js';
import type { CliIO } from './cli.js';
import { commandConfig } from './config.js';
import { chooseDatabase, openStorage } from './open-storage.js';

export const ARTICLES_USAGE = `Usage: newsbrief articles remove ID|URL [ID|URL …] [--db PATH]
       newsbrief articles prune --older-than AGE [--dry-run] [--db PATH]

Takes articles out of every digest, /news and stories: what was ingested by mistake, or what is too old to keep
showing. A removed article stays in the database marked removed, so re-ingesting the same unchanged seed file or
feed entry does not bring it back; a changed file or entry does.

Commands:
  remove ID|URL …     The articles with these ids (16 hex characters, as "newsbrief stories --json" shows them)
                      or canonical URLs; at most 1,000 at once
  prune               Every article published before now minus --older-than

Options:
  --older-than AGE    prune: 90d (days), 12w (weeks) or 48h (hours), or a date such as 2026-01-31
  --dry-run           prune: count what would be removed, change nothing
  --db PATH           SQLite database file (default: DATABASE_URL if set, else DATABASE_PATH)

Exit status: 0 done, 1 something named was not found (the rest is still removed), 2 wrong arguments or settings.

Examples:
  newsbrief articles remove https://example.com/2026/11/wrong-story
  newsbrief articles prune --older-than 90d --dry-run
`;

/** Most articles one `remove` names; more is surely a mistake in a script. */
const MAX_NAMED = 1000;
/** Articles written per transaction while pruning. */
const BATCH = 500;
/** Pruning reads publication windows of this many days, so a million old articles are never in memory at once. */
const WINDOW_DAYS = 30;
/** The earliest publication instant pruning looks at. */
const EPOCH = Date.UTC(1990, 0, 1);

/** `newsbrief articles …` (argv after the command name). */
export async function runArticles(argv: string[], io: CliIO, now: () => Date = () => new Date()): Promise<number> {
  let values: { db?: string; 'older-than'?: string; 'dry-run'?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { db: { type: 'string' }, 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    return usage(io, argsErrorMessage(error));
  }
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined || sub === 'help') {
    (sub === undefined && !values.help ? io.stderr : io.stdout).write(ARTICLES_USAGE);
    return sub === undefined && !values.help ? 2 : 0;
  }
  if (sub !== 'remove' && sub !== 'prune') return usage(io, `unknown command "${cleanText(sub).slice(0, 40)}": use remove or prune`);
  if (sub === 'remove') {
    if (values['older-than'] !== undefined || values['dry-run']) return usage(io, '--older-than and --dry-run go with prune, not remove');
    if (rest.length === 0) return usage(io, 'remove needs at least one article id or URL');
    if (rest.length > MAX_NAMED) return usage(io, `remove takes at most ${MAX_NAMED.toLocaleString('en-US')} articles at once, not ${rest.length.toLocaleString('en-US')}`);
  } else {
    if (rest.length > 0) return usage(io, `prune takes no ids or URLs (got "${cleanText(rest[0]!).slice(0, 40)}"); use remove for those`);
    if (values['older-than'] === undefined) return usage(io, 'prune needs --older-than, e.g. --older-than 90d');
  }
  const cutoff = sub === 'prune' ? cutoffFor(values['older-than']!, now()) : undefined;
  if (cutoff === null) {
    return usage(io, `--older-than must be an age such as 90d, 12w or 48h, or a date such as 2026-01-31, not "${cleanText(values['older-than']!).slice(0, 40)}"`);
  }

  const config = commandConfig(io.env, io.stderr);
  if (!config) return 2;
  // Nothing to remove from a database that does not exist: say so rather than create an empty one.
  const database = chooseDatabase(values.db, config);
  if (database.kind === 'sqlite' && !existsSync(database.path)) {
    io.stderr.write(`newsbrief articles: no database at ${database.path}: nothing to remove. Name it with --db PATH.\n`);
    return 1;
  }
  const storage = await openStorage(values.db, config, io, 'newsbrief articles');
  if (!storage) return 1;
  try {
    return sub === 'remove' ? await remove(storage, rest, io) : await prune(storage, cutoff!, values['dry-run'] ?? false, io);
  } finally {
    await storage.close();
  }
}

async function remove(storage: Storage, names: string[], io: CliIO): Promise<number> {
  let removed = 0;
  let missing = 0;
  for (const name of names) {
    const id = idOf(name);
    const article = id === undefined ? undefined : await storage.articles.getArticle(id);
    const shown = cleanText(name).slice(0, 120);
    if (!article) {
      missing++;
      io.stderr.write(`not found: ${shown}${id === undefined ? ' (neither an article id nor an http(s) URL)' : ''}\n`);
      continue;
    }
    if (article.removed) {
      io.stdout.write(`already removed: ${article.id} ${article.title}\n`);
      continue;
    }
    await storage.articles.upsertArticles(indexArticles([{ ...article, removed: true }]));
    removed++;
    io.stdout.write(`removed ${article.id}: ${article.title} (${article.url})\n`);
  }
  io.stdout.write(`${plural(removed, 'article')} removed${missing > 0 ? `, ${missing} not found` : ''}.\n`);
  return missing > 0 ? 1 : 0;
}

async function prune(storage: Storage, cutoff: Date, dryRun: boolean, io: CliIO): Promise<number> {
  let found = 0;
  let lastProgress = Date.now();
  for (let from = EPOCH; from < cutoff.getTime(); from += WINDOW_DAYS * 86_400_000) {
    const until = new Date(Math.min(from + WINDOW_DAYS * 86_400_000, cutoff.getTime()) - 1);
    const old = await storage.articles.windowArticles(new Date(from), until);
    found += old.length;
    if (!dryRun) {
      for (let i = 0; i < old.length; i += BATCH) {
        await storage.articles.upsertArticles(indexArticles(old.slice(i, i + BATCH).map((a: Article) => ({ ...a, removed: true }))));
      }
    }
    if (Date.now() - lastProgress > 2000) {
      lastProgress = Date.now();
      io.stderr.write(`… ${found.toLocaleString('en-US')} so far (published up to ${utcDateTime(until)})\n`);
    }
  }
  const when = utcDateTime(cutoff);
  io.stdout.write(
    dryRun
      ? `${plural(found, 'article')} published before ${when} would be removed (dry run: nothing changed).\n`
      : `${plural(found, 'article')} published before ${when} removed.\n`,
  );
  return 0;
}

/** An article id as given, or the id of a URL by the rule every source uses. */
function idOf(name: string): string | undefined {
  if (/^[0-9a-f]{16}$/.test(name)) return name;
  const url = safeHttpUrl(name);
  return url === undefined ? undefined : articleIdFor(url);
}

/** `90d`, `12w`, `48h` before `now`, or a UTC date; null when it is neither. */
export function cutoffFor(text: string, now: Date): Date | null {
  const age = /^(\d{1,5})([dwh])$/.exec(text.trim());
  if (age) {
    const hours = Number(age[1]) * (age[2] === 'h' ? 1 : age[2] === 'd' ? 24 : 168);
    return new Date(now.getTime() - hours * 3_600_000);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) {
    const date = new Date(`${text.trim()}T00:00:00Z`);
    return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text.trim() ? null : date;
  }
  return null;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function usage(io: CliIO, message: string): number {
  io.stderr.write(`newsbrief articles: ${message}\nRun "newsbrief articles --help" for usage.\n`);
  return 2;
}
