import Database from 'better-sqlite3';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Another process holds the database: `npm start` refuses to run a second scheduler on it. */
export class DatabaseLockedError extends Error {
  constructor(
    readonly databasePath: string,
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'a process that is still starting';
    super(
      `database ${databasePath} is in use by another Newsbrief process (${who}); lock ${lockPath} is held. ` +
        'Stop that process first, or give this one another DATABASE_PATH.',
    );
    this.name = 'DatabaseLockedError';
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/** A lock held for the life of the process; release() is idempotent. */
export interface DatabaseLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the one-scheduler-per-database lock: an exclusive SQLite transaction on \`<db>.lock\`, held open
 * until release() or the process dies. The lock is the operating system's (fcntl) lock on that file, not
 * the file itself, so kill -9 releases it and a stale file left behind is harmless. The holder's pid is
 * written into the database's meta table by recordLockHolder(), so a refused start can name it.
 * Throws DatabaseLockedError when another process (or another opener in this one) holds it.
 */
export function lockDatabase(databasePath: string): DatabaseLock {
  // A private in-memory database cannot be shared, so there is nothing to lock.
  if (databasePath === ':memory:') return { path: ':memory:', release: () => {} };
  mkdirSync(dirname(databasePath), { recursive: true });
  const lockPath = `${canonicalPath(databasePath)}.lock`;
  const db = new Database(lockPath, { timeout: 0 });
  try {
    // No journal file next to the lock file: the transaction never writes.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new DatabaseLockedError(databasePath, lockPath, readLockHolder(databasePath));
    }
    throw error;
  }
  return {
    path: lockPath,
    release: () => {
      if (db.open) db.close();
    },
  };
}

/** The database path with symlinks resolved, so two spellings of one file share a lock. */
function canonicalPath(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  return join(realpathSync(dirname(path)), basename(path));
}

function readLockHolder(databasePath: string): LockHolder | undefined {
  if (!existsSync(databasePath)) return undefined;
  try {
    const db = new Database(databasePath, { readonly: true, fileMustExist: true, timeout: 1000 });
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'lock_holder'").get() as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as LockHolder) : undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

