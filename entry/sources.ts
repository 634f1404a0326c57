import { argsErrorMessage } from './cli-help.js';
/**
 * `newsbrief sources …`: the operator's commands for live feeds — add, list, remove, enable, disable, import
 * and export (OPML). They work on the feed store of the database other commands use; `npm start` does the
 * fetching, so nothing here fetches a feed except `add --check`.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanText, type FeedRecord, type FeedStore, type Storage } from '../src/index.js';
import { checkFeedUrl, fetchFeed } from '../adapters/sources/feeds/fetch.js';
import { parseFeedBody } from '../adapters/sources/feeds/parse.js';
import { OPML_LIMITS, readOpml, withoutCredentials, writeOpml } from '../adapters/sources/feeds/opml.js';
import type { CliIO } from './cli.js';
import { commandConfig } from './config.js';
import { allowPrivateSetting, checkName, checkQuality, checkReason, checkTopics, FEED_SETTINGS } from './feed-settings.js';
import { openStorage } from './open-storage.js';
import { applyImport, planImport, type ImportPlan, type SkipKind } from './sources-import.js';
import { UNFETCHED, displayName, nextFetchText, renderFeedTable } from './sources-table.js';

export const SOURCES_USAGE = `Usage: newsbrief sources COMMAND [options]

Live feeds (RSS, Atom, RDF, JSON Feed) that npm start fetches and files under topics.

Commands:
  add URL --topic T [--topic T …] [--quality Q] [--name NAME] [--check]
        Add a feed, or change the topics, quality and name of one already added
  list [--json]                       Every feed: state, last fetch and its outcome, items, next fetch
  remove ID|URL                       Forget a feed (the articles it brought stay)
  enable ID|URL                       Fetch a disabled feed again
  disable ID|URL [--reason TEXT]      Stop fetching a feed
  import FILE.opml [--topic T …] [--quality Q] [--dry-run]
        Add the feeds of a feed reader's subscription list (OPML)
  export [FILE]                       Write every feed as OPML 2.0 (to stdout without FILE)

Options:
  --topic T        A topic the feed's articles are filed under (repeat for more; at most ${FEED_SETTINGS.MAX_TOPICS})
  --quality Q      0–100, how good the feed's articles are taken to be (default ${FEED_SETTINGS.DEFAULT_QUALITY}; it weighs in ranking)
  --name NAME      The outlet's name in digests (at most ${FEED_SETTINGS.MAX_NAME} characters; default: the feed's own title)
  --check          add: fetch it once first, show its title and item count; nothing is stored if that fails
  --allow-private  add, import: accept private and loopback addresses (as FEEDS_ALLOW_PRIVATE=on does)
  --reason TEXT    disable: why, shown by list
  --dry-run        import: say what would change, store nothing
  --json           list: every field of every feed as JSON
  --db PATH        SQLite database (default: Postgres at $DATABASE_URL when set, else $DATABASE_PATH,
                   else ./data/newsbrief.db)

Adding a URL already stored changes its topics (to those given) and its quality and name (when given); its
fetch history is kept, and --name "" goes back to the feed's own title.
Adding does not fetch: npm start fetches a new feed within a minute, then on its own schedule. Feed URLs must
be http(s), without a user name or password; feeds on private, loopback and link-local addresses are refused
unless FEEDS_ALLOW_PRIVATE=on (set it for npm start too, which fetches them).

Import: each outline with an xmlUrl is a feed. Its topics are the --topic values when given, else its
category attribute ("AI,/News/Science" gives AI and Science) and the name of the folder it is directly in.
Feeds without a topic, bad or private URLs, repeated URLs (their topics join the first) and outlines that
are not feeds are skipped and listed. A feed already stored gets the file's settings; what the file does not
say it keeps. A file over ${OPML_LIMITS.MAX_BYTES / (1024 * 1024)} MB, with over ${OPML_LIMITS.MAX_OUTLINES.toLocaleString('en-US')} outlines, or not well-formed is refused and nothing
is stored. Export writes topics as category, quality as newsbriefQuality and a
disabled feed as a comment, so export then import gives the same feeds.

Exit status: 0 done, 1 failed (no such feed, unreadable file, --check failed), 2 wrong arguments or settings.

Examples:
  newsbrief sources add https://example.com/feed.xml --topic AI --topic "Machine Learning" --quality 70
  newsbrief sources add https://example.com/feed.xml --topic AI --name "Example News" --check
  newsbrief sources list
  newsbrief sources disable 3 --reason "paywalled"
  newsbrief sources import subscriptions.opml --topic News
  newsbrief sources export backup.opml
`;

type Subcommand = 'add' | 'list' | 'remove' | 'enable' | 'disable' | 'import' | 'export';

/** The options each subcommand takes besides --db and --help. */
const SUBCOMMAND_OPTIONS: Record<Subcommand, readonly string[]> = {
  add: ['topic', 'quality', 'name', 'check', 'allow-private'],
  list: ['json'],
  remove: [],
  enable: [],
  disable: ['reason'],
  import: ['topic', 'quality', 'allow-private', 'dry-run'],
  export: [],
};

/** What each subcommand's positional arguments are, for the usage errors. */
const POSITIONALS: Record<Subcommand, { min: number; max: number; name: string }> = {
  add: { min: 1, max: 1, name: 'the feed URL' },
  list: { min: 0, max: 0, name: '' },
  remove: { min: 1, max: 1, name: 'a feed id or URL' },
  enable: { min: 1, max: 1, name: 'a feed id or URL' },
  disable: { min: 1, max: 1, name: 'a feed id or URL' },
  import: { min: 1, max: 1, name: 'the OPML file' },
  export: { min: 0, max: 1, name: 'the file to write' },
};

/** The User-Agent of `add --check`. */
const CHECK_USER_AGENT = 'Newsbrief/0.1.0 (feed check)';

/** How often a long import reports progress on stderr, in feeds written. */
export const IMPORT_PROGRESS_EVERY = 500;

/** Skip lines listed after an import's summary; the rest are counted. */
const MAX_SKIP_LINES = 200;

type Values = {
  db?: string;
  topic?: string[];
  quality?: string;
  name?: string;
  check?: boolean;
  'allow-private'?: boolean;
  reason?: string;
  'dry-run'?: boolean;
  json?: boolean;
  help?: boolean;
};

class UsageError extends Error {}

/** `newsbrief sources …` (argv after `sources`); returns the exit code. */
export async function runSources(argv: string[], io: CliIO): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        topic: { type: 'string', multiple: true },
        quality: { type: 'string' },
        name: { type: 'string' },
        check: { type: 'boolean' },
        'allow-private': { type: 'boolean' },
        reason: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // Node's advice on positionals that start with '-' would only confuse here.
    return usage(io, argsErrorMessage(error));
  }
  const [sub, ...args] = positionals;
  if (values.help || sub === undefined || sub === 'help') {
    io.stdout.write(SOURCES_USAGE);
    return 0;
  }
  if (!isSubcommand(sub)) {
    return usage(io, `unknown command "${cleanText(sub).slice(0, 40)}". Commands: ${Object.keys(SUBCOMMAND_OPTIONS).join(', ')}.`);
  }
  const allowed = SUBCOMMAND_OPTIONS[sub];
  for (const option of Object.keys(values)) {
    if (option !== 'db' && !allowed.includes(option)) return usage(io, `--${option} is not an option of "sources ${sub}"`, sub);
  }
  const expected = POSITIONALS[sub];
  if (args.length < expected.min) return usage(io, `"sources ${sub}" needs ${expected.name}`, sub);
  if (args.length > expected.max) {
    const extra = cleanText(args[expected.max]!).slice(0, 40);
    return usage(io, expected.max === 0 ? `"sources ${sub}" takes no arguments (got "${extra}")` : `"sources ${sub}" takes ${expected.name} only (unexpected "${extra}"; quote a name with spaces)`, sub);
  }

  const config = commandConfig(io.env, io.stderr, 'newsbrief sources');
  if (!config) return 2;
  const setting = allowPrivateSetting(io.env);
  if (!setting.ok) {
    io.stderr.write(`newsbrief sources: ${setting.message}\n`);
    return 2;
  }
  const allowPrivate = values['allow-private'] === true || setting.value;
  const open = () => openStorage(values.db, config, io, 'newsbrief sources');

  try {
    switch (sub) {
      case 'add':
        return await add(args[0]!, values, allowPrivate, open, io);
      case 'list':
        return await withStorage(open, (storage) => list(storage.feeds, values.json === true, io));
      case 'remove':
      case 'enable':
      case 'disable':
        return await change(sub, args[0]!, values, open, io);
      case 'import':
        return await importFile(args[0]!, values, allowPrivate, open, io);
      case 'export':
        return await withStorage(open, (storage) => exportFile(storage.feeds, args[0], io));
    }
  } catch (error) {
    if (error instanceof UsageError) return usage(io, error.message, sub);
    throw error;
  }
}

function isSubcommand(name: string): name is Subcommand {
  return Object.hasOwn(SUBCOMMAND_OPTIONS, name);
}

function usage(io: CliIO, message: string, sub?: Subcommand): number {
  io.stderr.write(`newsbrief sources${sub ? ` ${sub}` : ''}: ${message}\nRun "newsbrief sources --help" for usage.\n`);
  return 2;
}

async function withStorage(open: () => Promise<Storage | undefined>, work: (storage: Storage) => Promise<number>): Promise<number> {
  const storage = await open();
  if (!storage) return 1;
  try {
    return await work(storage);
  } finally {
    await storage.close();
  }
}

/** A checked value, or a UsageError with its message. */
function required<T>(checked: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!checked.ok) throw new UsageError(checked.message);
  return checked.value;
}

// ---------------------------------------------------------------------------------------------------
// add

async function add(rawUrl: string, values: Values, allowPrivate: boolean, open: () => Promise<Storage | undefined>, io: CliIO): Promise<number> {
  const checked = checkFeedUrl(rawUrl, { allowPrivate });
  if (!checked.ok) {
    const privateHint = checkFeedUrl(rawUrl, { allowPrivate: true }).ok ? '; a feed on the intranet needs FEEDS_ALLOW_PRIVATE=on (for npm start too) or --allow-private' : '';
    throw new UsageError(`${checked.reason}${privateHint}`);
  }
  const url = checked.url;
  const topics = required(checkTopics(values.topic ?? []));
  const quality = values.quality === undefined ? undefined : required(checkQuality(values.quality));
  const name = values.name === undefined ? undefined : required(checkName(values.name));

  if (values.check) {
    const ok = await checkFeed(url, allowPrivate, io);
    if (!ok) return 1;
  }
  return withStorage(open, async (storage) => {
    const existing = await storage.feeds.findFeed(url);
    const { feed, created } = await storage.feeds.addFeed(
      {
        url,
        topics,
        quality: quality ?? existing?.quality ?? FEED_SETTINGS.DEFAULT_QUALITY,
        name: name === undefined ? (existing?.name ?? null) : name,
      },
      new Date(),
    );
    if (created || !existing) {
      io.stdout.write(`Added feed ${feed.id}: ${url}\n  ${settingsLine(feed)}\nnpm start fetches it within a minute; "newsbrief sources list" shows how it went.\n`);
      return 0;
    }
    const changes = describeChanges(existing, feed);
    io.stdout.write(
      changes.length === 0
        ? `Feed ${feed.id} (${url}) already has these settings: nothing changed.\n`
        : `Updated feed ${feed.id} (${url}): ${changes.join('; ')}. Its fetch history is kept.\n`,
    );
    if (!feed.enabled) io.stdout.write(`It is disabled${reasonText(feed)}: "newsbrief sources enable ${feed.id}" fetches it again.\n`);
    return 0;
  });
}

/** Fetches and parses the feed once for `add --check`; says what it found, or why it failed. */
async function checkFeed(url: string, allowPrivate: boolean, io: CliIO): Promise<boolean> {
  const result = await fetchFeed(url, { userAgent: CHECK_USER_AGENT, allowPrivate });
  if (result.kind !== 'ok') {
    const reason = result.kind === 'error' ? result.reason : `unexpected answer ${result.kind}`;
    io.stderr.write(`newsbrief sources add: --check failed: ${cleanText(reason)}. Nothing stored.\n`);
    return false;
  }
  const parsed = parseFeedBody(result.body, result.finalUrl);
  if (!parsed.ok) {
    io.stderr.write(`newsbrief sources add: --check failed: ${url} answered ${result.status}, but ${cleanText(parsed.reason)}. Nothing stored.\n`);
    return false;
  }
  const title = displayName({ name: null, feedTitle: parsed.feed.title ?? null });
  const items = parsed.feed.items.length;
  const moved = result.permanentRedirect === null ? '' : ` It has moved to ${withoutCredentials(result.permanentRedirect)}; npm start will follow it.`;
  io.stdout.write(
    `Checked ${url}: ${result.status}, ${parsed.feed.format.toUpperCase()} feed ${title === UNFETCHED ? 'without a title' : `"${title}"`}, ${items}${parsed.feed.truncated ? '+' : ''} ${items === 1 ? 'item' : 'items'}.${moved}\n`,
  );
  return true;
}

function settingsLine(feed: FeedRecord): string {
  return `name ${feed.name === null ? '(the feed\'s own title)' : `"${feed.name}"`} · topics ${feed.topics.join(', ')} · quality ${feed.quality}`;
}

function describeChanges(before: FeedRecord, after: FeedRecord): string[] {
  const changes: string[] = [];
  if (before.topics.join('\u0000') !== after.topics.join('\u0000')) changes.push(`topics ${before.topics.join(', ')} → ${after.topics.join(', ')}`);
  if (before.quality !== after.quality) changes.push(`quality ${before.quality} → ${after.quality}`);
  if (before.name !== after.name) changes.push(`name ${before.name === null ? '(none)' : `"${before.name}"`} → ${after.name === null ? '(none: the feed\'s own title)' : `"${after.name}"`}`);
  return changes;
}

function reasonText(feed: FeedRecord): string {
  return feed.disabledReason ? ` (${cleanText(feed.disabledReason)})` : '';
}

// ---------------------------------------------------------------------------------------------------
// list, remove, enable, disable

async function list(feeds: FeedStore, json: boolean, io: CliIO): Promise<number> {
  const all = await feeds.listFeeds();
  io.stdout.write(json ? `${JSON.stringify(all, null, 2)}\n` : `${renderFeedTable(all, new Date())}\n`);
  return 0;
}

/** The feed an ID|URL argument names: digits are an id, anything else a URL (compared as `add` stores it). */
async function findTarget(feeds: FeedStore, ref: string): Promise<FeedRecord | undefined> {
  const text = ref.trim();
  if (/^\d{1,15}$/.test(text)) return feeds.getFeed(Number(text));
  const checked = checkFeedUrl(text, { allowPrivate: true });
  return (checked.ok ? await feeds.findFeed(checked.url) : undefined) ?? feeds.findFeed(text);
}

async function change(sub: 'remove' | 'enable' | 'disable', ref: string, values: Values, open: () => Promise<Storage | undefined>, io: CliIO): Promise<number> {
  const reason = values.reason === undefined ? 'disabled by the operator' : required(checkReason(values.reason));
  return withStorage(open, async ({ feeds }) => {
    const feed = await findTarget(feeds, ref);
    if (!feed) {
      const what = /^\d{1,15}$/.test(ref.trim()) ? `id ${ref.trim()}` : `URL ${withoutCredentials(ref.trim()).slice(0, 200)}`;
      io.stderr.write(`newsbrief sources ${sub}: no feed with ${what} ("newsbrief sources list" shows them).\n`);
      return 1;
    }
    const title = displayName(feed);
    const named = `feed ${feed.id}${title === UNFETCHED ? '' : ` "${title}"`} (${feed.url})`;
    if (sub === 'remove') {
      await feeds.removeFeed(feed.id);
      const kept = feed.items === 0 ? 'Nothing it brought was stored' : `The ${feed.items} ${feed.items === 1 ? 'article' : 'articles'} it brought stay in the database and leave digests as they age`;
      io.stdout.write(`Removed ${named}. ${kept}.\n`);
      return 0;
    }
    if (sub === 'enable') {
      if (feed.enabled) {
        io.stdout.write(`${capital(named)} is already enabled (next fetch: ${nextFetchText(feed, new Date())}).\n`);
        return 0;
      }
      await feeds.enableFeed(feed.id, new Date());
      io.stdout.write(`Enabled ${named}: npm start fetches it within a minute.\n`);
      return 0;
    }
    await feeds.disableFeed(feed.id, reason);
    io.stdout.write(
      feed.enabled
        ? `Disabled ${named}: npm start no longer fetches it; its articles stay. "newsbrief sources enable ${feed.id}" turns it back on.\n`
        : `${capital(named)} was already disabled${reasonText(feed)}; the reason is now: ${reason}.\n`,
    );
    return 0;
  });
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------------
// import, export

async function importFile(path: string, values: Values, allowPrivate: boolean, open: () => Promise<Storage | undefined>, io: CliIO): Promise<number> {
  const topics = values.topic === undefined ? null : required(checkTopics(values.topic));
  const quality = values.quality === undefined ? null : required(checkQuality(values.quality));
  const fail = (reason: string) => {
    io.stderr.write(`newsbrief sources import: ${path}: ${reason}. Nothing was imported.\n`);
    return 1;
  };
  // The file is read and checked whole before the database is opened: a bad file stores nothing.
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return fail(`no such file (looked for ${resolve(path)})`);
  }
  if (stat.isDirectory()) return fail('is a folder, not an OPML file');
  if (!stat.isFile()) return fail('is not a regular file');
  if (stat.size > OPML_LIMITS.MAX_BYTES) {
    return fail(`is ${(stat.size / (1024 * 1024)).toFixed(1)} MB, over the ${OPML_LIMITS.MAX_BYTES / (1024 * 1024)} MB an import accepts (split the list into smaller files)`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return fail(`cannot be read: ${(error as Error).message}`);
  }
  const read = readOpml(bytes);
  if (!read.ok) return fail(read.reason);

  return withStorage(open, async ({ feeds }) => {
    const plan = planImport(read, await feeds.listFeeds(), { topics, quality, allowPrivate });
    const dryRun = values['dry-run'] === true;
    if (!dryRun) {
      const total = plan.add.length + plan.update.length;
      await applyImport(plan, feeds, new Date(), (done) => {
        if (total > IMPORT_PROGRESS_EVERY && (done % IMPORT_PROGRESS_EVERY === 0 || done === total)) {
          io.stderr.write(`Importing: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} feeds stored…\n`);
        }
      });
    }
    io.stdout.write(importReport(basename(path), read.title, read.outlines, plan, dryRun));
    return 0;
  });
}

function importReport(file: string, title: string | null, outlines: number, plan: ImportPlan, dryRun: boolean): string {
  const disabled = plan.add.filter((p) => p.commented).length;
  const counts = [
    `${plan.add.length} added${disabled > 0 ? ` (${disabled} disabled: commented out in the file)` : ''}`,
    `${plan.update.length} updated`,
    `${plan.unchanged.length} unchanged`,
    `${plan.skipped.length} skipped${skipBreakdown(plan.skipped.map((s) => s.kind))}`,
  ];
  const lines = [
    `${dryRun ? 'Dry run, nothing stored: ' : ''}${file}${title ? ` ("${title.slice(0, 80)}")` : ''}, ${outlines} ${outlines === 1 ? 'outline' : 'outlines'}: ${counts.join(', ')}.`,
  ];
  for (const p of plan.update) {
    const before = p.existing!;
    lines.push(`  updated ${p.label}: ${describeChanges(before, { ...before, ...p.feed }).join('; ')}`);
  }
  for (const s of plan.skipped.slice(0, MAX_SKIP_LINES)) lines.push(`  skipped ${s.label}: ${s.reason}`);
  if (plan.skipped.length > MAX_SKIP_LINES) lines.push(`  … and ${plan.skipped.length - MAX_SKIP_LINES} more skipped`);
  if (plan.add.length > 0 && !dryRun) lines.push('npm start fetches the new feeds within a minute; "newsbrief sources list" shows how each did.');
  return `${lines.join('\n')}\n`;
}

function skipBreakdown(kinds: readonly SkipKind[]): string {
  if (kinds.length === 0) return '';
  const counts = new Map<SkipKind, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return ` (${[...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')})`;
}

async function exportFile(feeds: FeedStore, path: string | undefined, io: CliIO): Promise<number> {
  const all = await feeds.listFeeds();
  const opml = writeOpml(all, { title: 'Newsbrief sources', dateCreated: new Date() });
  if (path === undefined) {
    io.stdout.write(opml);
    return 0;
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    io.stderr.write(`newsbrief sources export: ${path} is a folder; name the file to write, e.g. ${join(path, 'newsbrief-sources.opml')}\n`);
    return 1;
  }
  // Written beside the target, then renamed over it: an interrupted export leaves the old file whole.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, opml);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    io.stderr.write(`newsbrief sources export: cannot write ${path}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`Exported ${all.length} ${all.length === 1 ? 'feed' : 'feeds'} to ${path}.\n`);
  return 0;
}
