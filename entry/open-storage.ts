import type { Storage } from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import type { CliIO } from './cli.js';
import type { Config } from './config.js';

/** Which database a CLI command works on. */
export type DatabaseChoice = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

/** `--db PATH` names a SQLite file and wins; otherwise DATABASE_URL selects Postgres, else DATABASE_PATH (SQLite). */
export function chooseDatabase(dbOption: string | undefined, config: Config): DatabaseChoice {
  if (dbOption === undefined && config.DATABASE_URL) return { kind: 'postgres', url: config.DATABASE_URL };
  return { kind: 'sqlite', path: dbOption ?? config.DATABASE_PATH };
}

/**
 * The storage a CLI command works on (see `chooseDatabase`). Undefined, with the reason written to stderr,
 * when it cannot be opened. `command` prefixes the message ("newsbrief", "newsbrief sources").
 */
export async function openStorage(dbOption: string | undefined, config: Config, io: CliIO, command = 'newsbrief'): Promise<Storage | undefined> {
  const database = chooseDatabase(dbOption, config);
  if (database.kind === 'postgres') {
    const { describeDatabase, openPostgresStorage } = await import('../adapters/storage/postgres/index.js');
    try {
      return await openPostgresStorage(database.url);
    } catch (error) {
      // Named by host and database only: the URL may hold a password.
      io.stderr.write(`${command}: cannot open ${describeDatabase(database.url)}: ${(error as Error).message}\n`);
      return undefined;
    }
  }
  try {
    return openSqliteStorage(database.path);
  } catch (error) {
    io.stderr.write(`${command}: cannot open database ${database.path}: ${(error as Error).message}\n`);
    return undefined;
  }
}
