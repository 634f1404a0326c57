import { argsErrorMessage } from './cli-help.js';
/**
 * `newsbrief migrate-db`: moves an installation from its SQLite file to Postgres. The copy itself is
 * adapters/storage/postgres/from-sqlite.ts; this is the command around it: arguments, the checks before
 * (source present, Newsbrief's, not in use; target empty), progress, and the verification after.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TopicCount } from '../src/index.js';
import {
  BUSY_TIMEOUT_MS,
  DatabaseLockedError,
  MIGRATIONS as SQLITE_MIGRATIONS,
  lockDatabase,
  openSqliteStorage,
  type DatabaseLock,
  type SqliteStorage,
} from '../adapters/storage/sqlite/index.js';
import { describeDatabase, openPostgresStorage, type PostgresStorage } from '../adapters/storage/postgres/index.js';
import {
  CountMismatchError,
  TRANSIENT_TABLES,
  TargetNotEmptyError,
  copySqliteToPostgres,
  type CopyProgress,
  type TableCount,
} from '../adapters/storage/postgres/from-sqlite.js';
import { utcDateTime } from '../adapters/console/date-text.js';
import type { CliIO } from './cli.js';

export interface MigrateDbOptions {
  /** Path of the SQLite database. */
  from: string;
  /** postgres:// or postgresql:// URL; may hold a password, so it is never printed. */
  to: string;
  /** Postgres schema to fill. */
  schema: string;
  /** Rows per INSERT instead of the defaults. */
  batchSize?: number;
  /** Least time between two progress lines of one table. Default 2 s; a table's last line is always shown. */
  progressEveryMs?: number;
  /** Milliseconds clock for progress pacing and the duration shown. */
  now?: () => number;
}

export type MigrateDbArgs = { kind: 'help' } | { kind: 'run'; options: MigrateDbOptions } | { kind: 'usage-error'; message: string };

/** What DATABASE_URL accepts (entry/config.ts): a Postgres URL with a host. */
const POSTGRES_URL = /^postgres(ql)?:\/\/[^/]/i;

/** Postgres truncates longer identifiers, so a longer --schema would silently name another schema. */
const MAX_SCHEMA_BYTES = 63;

/**
 * Reads the command's arguments (after `migrate-db`). --to defaults to DATABASE_URL, so the password can stay
 * in .env rather than in the shell history. Messages name the option and never repeat a URL.
 */
export function parseMigrateDbArgs(argv: string[], env: Record<string, string | undefined>): MigrateDbArgs {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        schema: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // Node's advice on positionals that start with '-' would only confuse here.
    return { kind: 'usage-error', message: argsErrorMessage(error) };
  }
  if (values.help) return { kind: 'help' };
  if (positionals.length > 0) {
    return { kind: 'usage-error', message: 'migrate-db takes no positional arguments: name the databases with --from and --to' };
  }
  if (values.from === undefined) {
    return { kind: 'usage-error', message: '--from is required: the SQLite database to copy, as sqlite:PATH or a path such as ./data/newsbrief.db' };
  }
  if (POSTGRES_URL.test(values.from)) {
    return { kind: 'usage-error', message: '--from must be a SQLite database (sqlite:PATH or a path), not a Postgres URL' };
  }
  // sqlite:PATH, and sqlite://PATH as some tools write it.
  const from = values.from.replace(/^sqlite:(\/\/)?/i, '');
  if (from.trim() === '' || from === ':memory:') {
    return { kind: 'usage-error', message: '--from must name a SQLite database file, such as sqlite:./data/newsbrief.db' };
  }
  const fromEnv = values.to === undefined;
  const to = values.to ?? env.DATABASE_URL?.trim();
  const toName = fromEnv ? 'DATABASE_URL (the default for --to)' : '--to';
  if (!to) {
    return { kind: 'usage-error', message: '--to is required (or DATABASE_URL): the Postgres database to fill, such as postgres://newsbrief@db.example:5432/newsbrief' };
  }
  if (!POSTGRES_URL.test(to)) {
    return { kind: 'usage-error', message: `${toName} must be a postgres:// or postgresql:// URL with a host, such as postgres://newsbrief@db.example:5432/newsbrief` };
  }
  if (!URL.canParse(to)) return { kind: 'usage-error', message: `${toName} is not a valid URL (a password with special characters must be percent-encoded)` };
  const schema = values.schema ?? 'public';
  if (schema.trim() === '') return { kind: 'usage-error', message: '--schema must not be empty' };
  if (Buffer.byteLength(schema) > MAX_SCHEMA_BYTES) {
    return { kind: 'usage-error', message: `--schema must be at most ${MAX_SCHEMA_BYTES} bytes (Postgres would cut it short)` };
  }
  return { kind: 'run', options: { from, to, schema } };
}

/** A source that cannot be copied, and why, in a sentence for the user. */
type SourceCheck = { ok: true; version: number } | { ok: false; message: string };

/** What the file is, read without writing to it: a SQLite database of Newsbrief's, and at which schema version. */
function inspectSource(path: string): SourceCheck {
  if (!existsSync(path)) return { ok: false, message: `no SQLite database at ${path} (--from): check the path` };
  if (!statSync(path).isFile()) return { ok: false, message: `${path} (--from) is not a file` };
  let db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    return { ok: false, message: `cannot open ${path}: ${(error as Error).message}` };
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
    if (version === 0 || !tables.has('meta') || !tables.has('subscriptions')) {
      return { ok: false, message: `${path} is a SQLite database, but not a Newsbrief one (no Newsbrief schema version or tables)` };
    }
    if (version > SQLITE_MIGRATIONS.length) {
      return {
        ok: false,
        message: `${path} is at schema version ${version}, newer than this Newsbrief knows (${SQLITE_MIGRATIONS.length}): upgrade Newsbrief first`,
      };
    }
    return { ok: true, version };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') return { ok: false, message: `${path} is not a SQLite database` };
    return { ok: false, message: `cannot read ${path}: ${(error as Error).message}` };
  } finally {
    db.close();
  }
}

/** One figure read through the storage ports of both sides after the copy. */
interface PortCheck {
  what: string;
  sqlite: string;
  postgres: string;
  ok: boolean;
  via: string;
}

async function checkThroughPorts(sqlite: SqliteStorage, postgres: PostgresStorage): Promise<PortCheck[]> {
  const [liveS, liveP] = await Promise.all([sqlite.articles.articleCount(), postgres.articles.articleCount()]);
  const [topicsS, topicsP] = await Promise.all([sqlite.articles.topicCounts(), postgres.articles.topicCounts()]);
  const [weightS, weightP] = await Promise.all([sqlite.articles.rankWeight(), postgres.articles.rankWeight()]);
  const sameTopics = sameTopicCounts(topicsS, topicsP);
  const weight = (w: number | undefined) => (w === undefined ? '(unset)' : String(Number(w.toPrecision(6))));
  return [
    { what: 'live articles', sqlite: String(liveS), postgres: String(liveP), ok: liveS === liveP, via: 'articleCount()' },
    {
      what: 'topics with articles',
      sqlite: String(topicsS.length),
      postgres: String(topicsP.length),
      ok: sameTopics,
      via: sameTopics ? 'topicCounts(): same names and counts' : 'topicCounts(): names or counts differ',
    },
    { what: 'rank weight', sqlite: weight(weightS), postgres: weight(weightP), ok: weightS === weightP, via: 'rankWeight()' },
  ];
}

function sameTopicCounts(a: readonly TopicCount[], b: readonly TopicCount[]): boolean {
  return a.length === b.length && a.every((t, i) => t.key === b[i]!.key && t.name === b[i]!.name && t.count === b[i]!.count);
}

/** Aligned rows: name, SQLite, Postgres, remark. */
function summaryTable(counts: readonly TableCount[], checks: readonly PortCheck[]): string {
  const rows: [string, string, string, string][] = [
    ['', 'SQLite', 'Postgres', ''],
    ...counts.map((c): [string, string, string, string] => [c.table, String(c.source), String(c.target), c.source === c.target ? '' : 'DIFFERS']),
    ...checks.map((c): [string, string, string, string] => [c.what, c.sqlite, c.postgres, c.ok ? c.via : `DIFFERS: ${c.via}`]),
  ];
  const width = (i: number) => Math.max(...rows.map((r) => r[i]!.length));
  const [w0, w1, w2] = [width(0), width(1), width(2)];
  return rows.map(([a, b, c, d]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(w2)}${d ? `  ${d}` : ''}`.trimEnd()).join('\n');
}

/**
 * Runs the migration; returns the exit code (0 copied and verified, 1 refused, failed or differing).
 * Progress goes to stderr, the summary to stdout.
 */
export async function migrateDb(options: MigrateDbOptions, io: CliIO): Promise<number> {
  const now = options.now ?? Date.now;
  const say = (text: string) => io.stderr.write(`${text}\n`);
  const fail = (text: string) => {
    io.stderr.write(`newsbrief migrate-db: ${text}\n`);
    return 1;
  };
  const path = resolve(options.from);
  const target = `${describeDatabase(options.to)}, schema ${options.schema}`;

  const check = inspectSource(path);
  if (!check.ok) return fail(check.message);

  // Held until the end: an `npm start` on the file now would refuse, and one that runs refuses the copy.
  let lock: DatabaseLock;
  try {
    lock = lockDatabase(path);
  } catch (error) {
    if (error instanceof DatabaseLockedError) {
      const who = error.holder ? `pid ${error.holder.pid} on ${error.holder.host}, since ${utcDateTime(error.holder.since)}` : 'a process that is still starting';
      return fail(`${path} is in use by a running Newsbrief (${who}; lock ${error.lockPath}). Stop it first: a copy taken while it runs would miss what it writes next.`);
    }
    return fail(`cannot lock ${path}: ${(error as Error).message}`);
  }
  let sqlite: SqliteStorage | undefined;
  let source: Database.Database | undefined;
  let postgres: PostgresStorage | undefined;
  try {
    if (check.version < SQLITE_MIGRATIONS.length) {
      say(`Upgrading ${path} from schema version ${check.version} to ${SQLITE_MIGRATIONS.length} first, as npm start would.`);
    }
    try {
      // The ports of the source, for the check after the copy; opening applies any migration still due.
      sqlite = openSqliteStorage(path);
    } catch (error) {
      return fail(`cannot open ${path}: ${(error as Error).message}`);
    }
    try {
      postgres = await openPostgresStorage(options.to, { schema: options.schema, poolSize: 2 });
    } catch (error) {
      // Messages from openPostgresStorage name the database by host and name, never by URL.
      return fail((error as Error).message);
    }

    // The copy reads one snapshot through a read-only connection of its own.
    source = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    source.exec('BEGIN');
    const started = now();
    const every = options.progressEveryMs ?? 2000;
    let lastLine = -Infinity;
    let begun = false;
    const progress = ({ table, copied, total }: CopyProgress) => {
      // Said with the first rows, after the target was found empty, so that a refusal comes alone.
      if (!begun) say(`Copying ${path} into ${target}, in one transaction:`);
      begun = true;
      if (copied < total && now() - lastLine < every) return;
      lastLine = copied < total ? now() : -Infinity;
      say(`  ${table}: ${copied}/${total}${copied < total ? ' …' : ''}`);
    };
    let counts: TableCount[];
    try {
      counts = await postgres.db.transaction('migrate-db', (client) =>
        copySqliteToPostgres(source!, client, { schema: options.schema, onProgress: progress, batchSize: options.batchSize }),
      );
    } catch (error) {
      if (error instanceof TargetNotEmptyError) {
        return fail(`refusing to copy into ${target}: ${error.message}. Copy into an empty database, or give another --schema; nothing was changed.`);
      }
      if (error instanceof CountMismatchError) return fail(`${error.message}; the copy was rolled back, ${target} is still empty.`);
      return fail(`the copy failed and was rolled back, ${target} is still empty: ${(error as Error).message}`);
    } finally {
      source.exec('COMMIT');
    }
    const ms = now() - started;
    const took = ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;

    const checks = await checkThroughPorts(sqlite, postgres);
    io.stdout.write(`Copied ${path} into ${target} in ${took}:\n\n${summaryTable(counts, checks)}\n\n`);
    io.stdout.write(`Not copied: ${TRANSIENT_TABLES.sqlite.join(', ')} (claims of running instances, which start afresh).\n`);
    if (checks.some((c) => !c.ok)) {
      return fail(
        `the copy is committed but does not read back as the source reads now (marked DIFFERS above). Did something write to ${path} during the copy? ` +
          `Do not start Newsbrief on ${target}: empty it and run migrate-db again.`,
      );
    }
    const next =
      options.schema === 'public'
        ? 'Set DATABASE_URL to this database to run on it'
        : `npm start reads the public schema only, so schema ${options.schema} is for trying things out`;
    io.stdout.write(`Verified: every count matches. ${next}; keep ${path} until you are satisfied.\n`);
    return 0;
  } finally {
    if (source?.open) source.close();
    await postgres?.close();
    await sqlite?.close();
    lock.release();
  }
}
