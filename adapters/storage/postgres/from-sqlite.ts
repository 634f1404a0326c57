/**
 * The table-by-table copy behind `newsbrief migrate-db`: rows of a SQLite database (schema version 9, see
 * ../sqlite/index.ts) into the tables of a Postgres one (version 4, migrations.ts). It lives beside the
 * Postgres schema because it is a second reader of both schemas: a migration on either side must be
 * reflected here (COPY_PLAN_VERSIONS makes a forgotten one fail loudly instead of copying half a database).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { decodeDocumentText } from '../sqlite/documents.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../sqlite/index.js';
import { quoteIdent } from './database.js';
import { MIGRATIONS } from './migrations.js';

/** The schema versions this plan was written for: SQLite's user_version and Postgres's newsbrief_migrations. */
export const COPY_PLAN_VERSIONS = { sqlite: 9, postgres: 4 } as const;

/** Tables whose rows only matter to the process that wrote them; neither copied nor expected in the target. */
export const TRANSIENT_TABLES = { sqlite: ['chat_leases'], postgres: ['chat_leases', 'rate_budget'] } as const;

/** Rows per INSERT: documents are about a kilobyte each, other rows a few dozen bytes. */
const ARTICLE_BATCH = 1000;
const ROW_BATCH = 5000;

type Row = unknown[];

/** How one table is read from SQLite and written to Postgres: columns in the same order on both sides. */
interface TablePlan {
  readonly table: string;
  /** Postgres column names and the array types unnest takes them as. */
  readonly columns: readonly (readonly [name: string, type: string])[];
  /** The rows to copy, from the source's snapshot, already in Postgres's terms. */
  read(source: Database.Database): { total: number; rows: Iterable<Row> };
  readonly batch: number;
}

/** Instants: SQLite keeps ms since the epoch in some columns and ISO text in others; Postgres a timestamptz. */
function fromMs(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function fromIsoText(table: string, column: string, text: string | null): string | null {
  if (text === null) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${table}.${column} holds "${text.slice(0, 40)}", which is not a date-time`);
  return new Date(ms).toISOString();
}

/** Every row of a SELECT, streamed as arrays and mapped; the total is counted in the same snapshot. */
function streamed(countSql: string, selectSql: string, map: (row: Row) => Row = (row) => row) {
  return (source: Database.Database) => ({
    total: source.prepare(countSql).pluck().get() as number,
    rows: (function* () {
      for (const row of source.prepare(selectSql).raw().iterate() as IterableIterator<Row>) yield map(row);
    })(),
  });
}

/**
 * The meta keys Postgres reads: the rank weight (from the legacy half-life when that is all there is) and any
 * key this version does not know, kept as it is. The SQLite lock holder describes a process on this machine.
 */
function metaRows(source: Database.Database): Row[] {
  const meta = new Map(source.prepare('SELECT key, value FROM meta ORDER BY key').raw().all() as [string, string][]);
  meta.delete('lock_holder');
  const halfLife = meta.get('half_life_hours');
  meta.delete('half_life_hours');
  if (!meta.has('rank_weight') && halfLife !== undefined) meta.set('rank_weight', String(Math.LN2 / Number(halfLife)));
  return [...meta];
}

/** An article row with its URL, which Postgres keeps in a unique column and SQLite only inside the document. */
function articleRow([n, id, publishedAt, removed, doc]: Row): Row {
  const stored = JSON.parse(decodeDocumentText(doc as Buffer)) as { id?: unknown; url?: unknown };
  if (stored.id !== id || typeof stored.url !== 'string') {
    throw new Error(`articles row ${n} (id ${String(id)}) holds a document of ${String(stored.id)} without a usable URL or id`);
  }
  return [n, id, stored.url, fromMs(publishedAt as number), removed !== 0, doc];
}

const PLAN: readonly TablePlan[] = [
  {
    table: 'meta',
    columns: [['key', 'text'], ['value', 'text']],
    read: (source) => {
      const rows = metaRows(source);
      return { total: rows.length, rows };
    },
    batch: ROW_BATCH,
  },
  {
    table: 'topics',
    columns: [['id', 'int'], ['key', 'text'], ['name', 'text'], ['count', 'int']],
    read: streamed('SELECT count(*) FROM topics', 'SELECT id, key, name, count FROM topics ORDER BY id'),
    batch: ROW_BATCH,
  },
  {
    table: 'articles',
    columns: [['n', 'int8'], ['id', 'text'], ['url', 'text'], ['published_at', 'timestamptz'], ['removed', 'bool'], ['doc', 'bytea']],
    read: streamed('SELECT count(*) FROM articles', 'SELECT n, id, published_at, removed, doc FROM articles ORDER BY n', articleRow),
    batch: ARTICLE_BATCH,
  },
  {
    table: 'topic_entries',
    columns: [['topic', 'int'], ['published_hours', 'float8'], ['n', 'int8'], ['rank_key', 'float8'], ['topic_match', 'float8'], ['rank_base', 'float8']],
    read: streamed(
      'SELECT count(*) FROM topic_entries',
      'SELECT topic, published_hours, n, rank_key, topic_match, rank_base FROM topic_entries ORDER BY topic, published_hours, n',
    ),
    batch: ROW_BATCH,
  },
  {
    table: 'seed_files',
    columns: [['source', 'text'], ['content_hash', 'text'], ['article_id', 'text']],
    read: streamed('SELECT count(*) FROM seed_files', 'SELECT source, content_hash, article_id FROM seed_files ORDER BY source'),
    batch: ROW_BATCH,
  },
  {
    table: 'feeds',
    columns: [
      ['id', 'int'], ['url', 'text'], ['name', 'text'], ['topics', 'text'], ['quality', 'float8'], ['enabled', 'bool'],
      ['disabled_reason', 'text'], ['etag', 'text'], ['last_modified', 'text'], ['last_fetch_at', 'timestamptz'],
      ['last_success_at', 'timestamptz'], ['last_status', 'text'], ['failures', 'int'], ['next_fetch_at', 'timestamptz'],
      ['items', 'int'], ['feed_title', 'text'], ['site_url', 'text'], ['created_at', 'timestamptz'],
    ],
    // A feed claimed when the SQLite process stopped keeps its lease end as its next fetch: due soon after.
    read: streamed(
      'SELECT count(*) FROM feeds',
      `SELECT id, url, name, topics, quality, enabled, disabled_reason, etag, last_modified, last_fetch_at, last_success_at,
         last_status, failures, next_fetch_at, items, feed_title, site_url, created_at
       FROM feeds ORDER BY id`,
      (r) => [
        ...r.slice(0, 5),
        r[5] !== 0,
        ...r.slice(6, 9),
        fromMs(r[9] as number | null),
        fromMs(r[10] as number | null),
        r[11],
        r[12],
        fromMs(r[13] as number),
        ...r.slice(14, 17),
        fromMs(r[17] as number),
      ],
    ),
    batch: ROW_BATCH,
  },
  {
    table: 'subscriptions',
    columns: [
      ['id', 'int'], ['platform', 'text'], ['chat_id', 'text'], ['thread_id', 'text'], ['topic', 'text'], ['topic_key', 'text'],
      ['time', 'text'], ['timezone', 'text'], ['active', 'bool'], ['inactive_reason', 'text'], ['next_due_at', 'timestamptz'], ['created_at', 'timestamptz'],
      ['schedule_kind', 'text'], ['days', 'text'], ['times', 'text'], ['digest_count', 'int'], ['filters', 'text'], ['own_zone', 'bool'], ['paused', 'bool'],
    ],
    // The `target` column is not copied: SQLite keeps it for an old UNIQUE constraint and never reads it. The
    // schedule and filter columns are in the same format on both sides (../subscription-columns.ts).
    read: streamed(
      'SELECT count(*) FROM subscriptions',
      `SELECT id, platform, chat_id, thread_id, topic, topic_key, time, timezone, active, inactive_reason, next_due_at, created_at,
         schedule_kind, days, times, digest_count, filters, own_zone, paused
       FROM subscriptions ORDER BY id`,
      (r) => [
        ...r.slice(0, 8),
        r[8] !== 0,
        r[9],
        fromMs(r[10] as number),
        fromIsoText('subscriptions', 'created_at', r[11] as string),
        ...r.slice(12, 17),
        r[17] !== 0,
        r[18] !== 0,
      ],
    ),
    batch: ROW_BATCH,
  },
  {
    table: 'chat_settings',
    columns: [['platform', 'text'], ['chat_id', 'text'], ['thread_id', 'text'], ['timezone', 'text']],
    read: streamed('SELECT count(*) FROM chat_settings', 'SELECT platform, chat_id, thread_id, timezone FROM chat_settings ORDER BY platform, chat_id, thread_id'),
    batch: ROW_BATCH,
  },
  {
    table: 'deliveries',
    columns: [
      ['subscription_id', 'int'], ['slot', 'text'], ['status', 'text'], ['article_ids', 'text'], ['detail', 'text'], ['updated_at', 'timestamptz'],
      ['claimed_by', 'text'], ['parts_sent', 'int'], ['parts_total', 'int'], ['digest', 'text'], ['retry_at', 'timestamptz'], ['attempts', 'int'],
    ],
    read: streamed(
      'SELECT count(*) FROM deliveries',
      `SELECT subscription_id, slot, status, article_ids, detail, updated_at, claimed_by, parts_sent, parts_total, digest, retry_at, attempts
       FROM deliveries ORDER BY subscription_id, slot`,
      (r) => [
        ...r.slice(0, 5),
        fromIsoText('deliveries', 'updated_at', r[5] as string),
        ...r.slice(6, 10),
        fromMs(r[10] as number | null),
        r[11],
      ],
    ),
    batch: ROW_BATCH,
  },
  {
    table: 'sent_articles',
    columns: [['platform', 'text'], ['chat_id', 'text'], ['thread_id', 'text'], ['article_id', 'text'], ['sent_at', 'timestamptz']],
    read: streamed(
      'SELECT count(*) FROM sent_articles',
      'SELECT platform, chat_id, thread_id, article_id, sent_at FROM sent_articles ORDER BY platform, chat_id, thread_id, article_id',
      (r) => [...r.slice(0, 4), fromIsoText('sent_articles', 'sent_at', r[4] as string)],
    ),
    batch: ROW_BATCH,
  },
];

/** The tables the copy fills, in the order it fills them. */
export const COPIED_TABLES: readonly string[] = PLAN.map((p) => p.table);

/** The Postgres columns the copy fills, by table: a test holds them to both schemas. */
export const COPIED_COLUMNS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  PLAN.map((p) => [p.table, p.columns.map(([name]) => name)]),
);

/** Rows of one table: what the source holds (in the copy's terms), what the target holds after the copy. */
export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyOptions {
  /** Schema the client's search_path points at, for naming identity sequences. */
  schema: string;
  /** Called after each batch, and once for a table with no rows. */
  onProgress?: (progress: CopyProgress) => void;
  /** Rows per INSERT instead of the defaults (tests make it small to see several batches). */
  batchSize?: number;
}

/** The target already holds rows: a copy into it would mix two installations. */
export class TargetNotEmptyError extends Error {
  constructor(readonly tables: readonly { table: string; rows: number }[]) {
    super(`it already holds rows (${tables.map((t) => `${t.table}: ${t.rows}`).join(', ')})`);
    this.name = 'TargetNotEmptyError';
  }
}

/** After the copy a table holds another number of rows than the source: the transaction is rolled back. */
export class CountMismatchError extends Error {
  constructor(readonly counts: readonly TableCount[]) {
    const off = counts.filter((c) => c.source !== c.target);
    super(`row counts differ after the copy (${off.map((c) => `${c.table}: SQLite ${c.source}, Postgres ${c.target}`).join('; ')})`);
    this.name = 'CountMismatchError';
  }
}

/**
 * Copies every table of `source` into the target, on `client`, which must be inside a transaction the
 * caller commits (or rolls back when this throws). `source` should be inside a read transaction, so that
 * every table comes from one snapshot. Locks the target's tables against writers, refuses when any holds
 * a row (TargetNotEmptyError), copies, moves the identity sequences past the copied ids and counts every
 * table again (CountMismatchError). Returns the counts.
 */
export async function copySqliteToPostgres(source: Database.Database, client: pg.PoolClient, options: CopyOptions): Promise<TableCount[]> {
  const sqliteVersion = source.pragma('user_version', { simple: true }) as number;
  if (
    sqliteVersion !== COPY_PLAN_VERSIONS.sqlite ||
    SQLITE_MIGRATIONS.length !== COPY_PLAN_VERSIONS.sqlite ||
    MIGRATIONS.length !== COPY_PLAN_VERSIONS.postgres
  ) {
    throw new Error(
      `the copy plan is for SQLite schema ${COPY_PLAN_VERSIONS.sqlite} and Postgres schema ${COPY_PLAN_VERSIONS.postgres}; ` +
        `this source is at ${sqliteVersion}, this Newsbrief's schemas are at ${SQLITE_MIGRATIONS.length} and ${MIGRATIONS.length} ` +
        '(adapters/storage/postgres/from-sqlite.ts needs updating)',
    );
  }
  const targetTables = [...COPIED_TABLES, ...TRANSIENT_TABLES.postgres];
  // Readers go on; a writer (another instance starting on this database) waits for the commit, then finds rows.
  await client.query(`SET LOCAL lock_timeout = '10s'`);
  await client.query(`LOCK TABLE ${targetTables.join(', ')} IN EXCLUSIVE MODE`);
  const before = await countRows(client, targetTables);
  const used = before.filter((t) => t.rows > 0);
  if (used.length > 0) throw new TargetNotEmptyError(used);

  const copied = new Map<string, number>();
  for (const plan of PLAN) copied.set(plan.table, await copyTable(plan, source, client, options));
  await advanceIdentities(source, client, options.schema);

  const after = new Map((await countRows(client, COPIED_TABLES)).map((t) => [t.table, t.rows]));
  const counts = PLAN.map((p) => ({ table: p.table, source: copied.get(p.table)!, target: after.get(p.table)! }));
  if (counts.some((c) => c.source !== c.target)) throw new CountMismatchError(counts);
  return counts;
}

/** Copies one table in batches; returns the source's row count (checked against the rows actually read). */
async function copyTable(plan: TablePlan, source: Database.Database, client: pg.PoolClient, options: CopyOptions): Promise<number> {
  const { total, rows } = plan.read(source);
  const size = options.batchSize ?? plan.batch;
  const names = plan.columns.map(([name]) => name).join(', ');
  const arrays = plan.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const sql = `INSERT INTO ${plan.table} (${names}) SELECT * FROM unnest(${arrays})`;
  let copied = 0;
  let batch: Row[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const columns = plan.columns.map((_, i) => batch.map((row) => row[i]));
    try {
      await client.query(sql, columns);
    } catch (error) {
      const e = error as Error & { detail?: string };
      const where = `${plan.table}, rows ${copied + 1}–${copied + batch.length} of ${total}`;
      throw new Error(`copying ${where}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`, { cause: error });
    }
    copied += batch.length;
    batch = [];
    options.onProgress?.({ table: plan.table, copied, total });
  };
  // Rows come from a better-sqlite3 iterator, which keeps the source connection busy until it is done: the
  // inserts go to Postgres meanwhile, nothing else may use the source.
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= size) await flush();
  }
  await flush();
  if (total === 0) options.onProgress?.({ table: plan.table, copied, total });
  if (copied !== total) throw new Error(`copying ${plan.table}: read ${copied} rows where the source counted ${total}`);
  return total;
}

/**
 * Identity columns hand out values above the copied ones. Subscriptions continue above the highest id SQLite
 * ever issued (its AUTOINCREMENT counter, and ids still named by deliveries), not only the highest left:
 * a new subscription with a removed one's id would inherit its delivery log. Feeds likewise continue above
 * their AUTOINCREMENT counter, as they would have in SQLite.
 */
async function advanceIdentities(source: Database.Database, client: pg.PoolClient, schema: string): Promise<void> {
  const highest = (sql: string) => (source.prepare(sql).pluck().get() as number | null) ?? 0;
  const hasSequence = source.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get() !== undefined;
  const used: [table: string, column: string, value: number][] = [
    ['topics', 'id', highest('SELECT max(id) FROM topics')],
    ['articles', 'n', highest('SELECT max(n) FROM articles')],
    [
      'subscriptions',
      'id',
      Math.max(
        highest('SELECT max(id) FROM subscriptions'),
        highest('SELECT max(subscription_id) FROM deliveries'),
        hasSequence ? highest(`SELECT seq FROM sqlite_sequence WHERE name = 'subscriptions'`) : 0,
      ),
    ],
    [
      'feeds',
      'id',
      Math.max(highest('SELECT max(id) FROM feeds'), hasSequence ? highest(`SELECT seq FROM sqlite_sequence WHERE name = 'feeds'`) : 0),
    ],
  ];
  for (const [table, column, value] of used) {
    // setval(…, 1, false): nothing used yet, the next value is 1.
    await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)', [
      `${quoteIdent(schema)}.${table}`,
      column,
      Math.max(value, 1),
      value > 0,
    ]);
  }
}

async function countRows(client: pg.PoolClient, tables: readonly string[]): Promise<{ table: string; rows: number }[]> {
  const { rows } = await client.query<{ name: string; rows: string }>(
    tables.map((t) => `SELECT '${t}' AS name, count(*) AS rows FROM ${t}`).join(' UNION ALL '),
  );
  return rows.map((r) => ({ table: r.name, rows: Number(r.rows) }));
}
