import pg from 'pg';
import { StorageGoneError } from '../../../src/index.js';

/** Values a query takes; pg serialises Dates, arrays, Buffers and null. */
export type Params = readonly unknown[];

/**
 * "postgres database newsbrief on db.example:5432": what errors call the database. Built from the URL's host,
 * port and database name only, so a password in DATABASE_URL never reaches a message or a log.
 */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    const host = u.hostname || 'localhost';
    return `postgres database ${db} on ${host}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return 'postgres database (unparsable DATABASE_URL)';
  }
}

/**
 * The pool and the schema every query runs in, shared by the stores. Each pooled connection sets its
 * search_path to the schema on connect, so the SQL names tables without a schema.
 */
export class PostgresDatabase {
  readonly pool: pg.Pool;
  private closed = false;

  constructor(
    url: string,
    readonly schema: string,
    readonly location: string,
    poolSize: number,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path=${quoteIdent(schema)}` });
    // An idle connection dropped by the server emits 'error' on the pool; unhandled it would end the
    // process. The next query reports the problem instead.
    this.pool.on('error', () => {});
  }

  /** Rejects when closed, naming the call; `what` is "articles.getArticle" and the like. */
  use(what: string): void {
    if (this.closed) throw new Error(`Postgres storage is closed: ${what} was called after close()`);
  }

  /** A statement on any pooled connection; a QueryConfig can name it, so each connection prepares it once. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string | pg.QueryConfig, params?: Params): Promise<pg.QueryResult<R>> {
    return typeof sql === 'string' ? this.pool.query<R>(sql, params as unknown[]) : this.pool.query<R>(sql);
  }

  /**
   * Runs `work` between BEGIN and COMMIT on one pooled connection, rolling back when it throws. Every
   * statement of `work` must go through the client it is given.
   */
  async transaction<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.use(what);
    const client = await this.connect(what);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** A pooled connection; the caller releases it. */
  async connect(what: string): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      // Not StorageGoneError: a server that is down may come back, and the scheduler retries on its next tick.
      throw new Error(`${what}: cannot connect to ${this.location}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** A cheap round trip; StorageGoneError naming the database when the server cannot be reached. */
  async ping(): Promise<void> {
    this.use('checkIntact');
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new StorageGoneError(this.location, `could not be reached (${(error as Error).message})`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** A Postgres identifier, quoted: schema names come from options. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
