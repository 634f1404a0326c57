import type { Storage } from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import type { CliIO } from './cli.js';
import type { Config } from './config.js';

/**
 * The storage a CLI command works on: `--db PATH` names a SQLite file and wins; otherwise DATABASE_URL selects
 * Postgres, else DATABASE_PATH (SQLite). Undefined, with the reason written to stderr, when it cannot be
 * opened. `command` prefixes the message ("newsbrief", "newsbrief sources").
 */
export async function openStorage(dbOption: string | undefined, config: Config, io: CliIO, command = 'newsbrief'): Promise<Storage | undefined> {
  const postgresUrl = dbOption === undefined ? config.DATABASE_URL : undefined;
  if (postgresUrl) {
    const { describeDatabase, openPostgresStorage } = await import('../adapters/storage/postgres/index.js');
    try {
      return await openPostgresStorage(postgresUrl);
    } catch (error) {
      // Named by host and database only: the URL may hold a password.
      io.stderr.write(`${command}: cannot open ${describeDatabase(postgresUrl)}: ${(error as Error).message}\n`);
      return undefined;
    }
  }
  const dbPath = dbOption ?? config.DATABASE_PATH;
  try {
    return openSqliteStorage(dbPath);
  } catch (error) {
    io.stderr.write(`${command}: cannot open database ${dbPath}: ${(error as Error).message}\n`);
    return undefined;
  }
}
