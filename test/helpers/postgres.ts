/**
 * A throwaway PostgreSQL server per test file (and for the Postgres bench): initdb into a temp folder,
 * pg_ctl start on a free loopback port (trust auth, no fsync unless asked to be durable), and stop + delete
 * afterwards. Binaries come from PG_BIN, then /usr/lib/postgresql/<newest>/bin, then PATH. Without them the
 * caller skips its tests with `reason`.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

/** Where initdb and pg_ctl are, or why they could not be found. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): { bin: string } | { reason: string } {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  if (env.PG_BIN) return has(env.PG_BIN) ? { bin: env.PG_BIN } : { reason: `PG_BIN=${env.PG_BIN} has no initdb/pg_ctl` };
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(join(base, v, 'bin'))) return { bin: join(base, v, 'bin') };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir && has(dir)) return { bin: dir };
  return { reason: 'no initdb/pg_ctl found (set PG_BIN)' };
}

/**
 * initdb refuses to run as root. As root the server runs as the `postgres` user (which a PostgreSQL
 * package creates) via runuser; otherwise as ourselves.
 */
function runAs(): { user: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { user: 'postgres', uid, gid };
  } catch {
    return undefined;
  }
}

/** Why a server cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  const found = findPostgresBin();
  if ('reason' in found) return found.reason;
  if (process.getuid?.() === 0 && !runAs()) return 'running as root and there is no postgres user to run initdb as';
  return undefined;
}

/** A test server loses nothing it needs when it crashes, so it skips the disk flushes. */
const FAST_UNSAFE = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestPostgresOptions {
  /**
   * Keep PostgreSQL's crash-safe defaults (fsync, synchronous_commit, full_page_writes) instead of turning
   * them off for speed: for benchmarks, whose write figures should be those of a real server.
   */
  durable?: boolean;
  /** More server settings, as `-c name=value`. */
  settings?: Record<string, string>;
}

/** Starts a server; throws with pg_ctl's output when it does not come up. */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const found = findPostgresBin();
  if ('reason' in found) throw new Error(`cannot start Postgres: ${found.reason}`);
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-pg-'));
  if (as) chownSync(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  const run = (tool: string, args: string[]) => {
    const cmd = as ? 'runuser' : join(found.bin, tool);
    const full = as ? ['-u', as.user, '--', join(found.bin, tool), ...args] : args;
    return execFileSync(cmd, full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  try {
    run('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    // A port taken between freePort and the server's bind fails the start; try again on another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const settings = { listen_addresses: '127.0.0.1', ...(options.durable ? {} : FAST_UNSAFE), ...options.settings };
      const flags = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
      try {
        run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', '-o', [`-k ${dir} -p ${port}`, ...flags].join(' '), 'start']);
      } catch (error) {
        if (attempt < 3) continue;
        throw error;
      }
      let stopped = false;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        async stop() {
          if (stopped) return;
          stopped = true;
          try {
            run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`cannot start a test Postgres: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
