import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStorage, type PostgresStorage } from '../adapters/storage/postgres/index.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`Postgres rate budget tests skipped: ${unavailable}\n`);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)('Postgres rate budget', () => {
  let server: TestPostgres;
  let admin: pg.Pool;
  const schemas: string[] = [];
  const opened: PostgresStorage[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 1 });
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const name of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  });

  /** `n` storages on one fresh schema, each with its own pool: what `n` instances on one database look like. */
  async function instances(n: number): Promise<PostgresStorage[]> {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const all = await Promise.all(Array.from({ length: n }, () => openPostgresStorage(server.url, { schema, poolSize: 4 })));
    opened.push(...all);
    return all;
  }

  it('gives ninety concurrent reservations from three instances instants one interval apart', async () => {
    const pools = await instances(3);
    // Nothing here sleeps, so a long interval costs no time; it keeps the check clear of the noise below.
    const interval = 50;
    // When each send may go, on this process's clock: the answer's arrival plus the delay it names. A busy
    // event loop notices an answer late (by up to ~8 ms with ninety in flight), which moves an instant later.
    const instants = await Promise.all(
      Array.from({ length: 90 }, async (_, i) => {
        const delay = await pools[i % 3]!.rateBudget.reserve('discord:bot-1', interval);
        expect(delay).toBeGreaterThanOrEqual(0);
        return performance.now() + delay;
      }),
    );
    instants.sort((a, b) => a - b);
    for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBeGreaterThanOrEqual(interval - 20);
    const span = instants.at(-1)! - instants[0]!;
    expect(span).toBeGreaterThanOrEqual(89 * interval - 20);
    expect(span).toBeLessThan(89 * interval + 100);
  });

  it('keeps each key to its own schedule', async () => {
    const [one, two] = await instances(2);
    for (let i = 0; i < 10; i++) await one!.rateBudget.reserve('discord:bot-1', 50);
    expect(await two!.rateBudget.reserve('telegram:bot-2', 50)).toBeLessThan(5);
    // The first key's queue is still about 500 ms long.
    expect(await two!.rateBudget.reserve('discord:bot-1', 50)).toBeGreaterThan(400);
  });

  it('starts an idle key afresh instead of letting it send a burst of unused time', async () => {
    const [budget] = (await instances(1)).map((s) => s.rateBudget);
    expect(await budget!.reserve('k', 100)).toBeLessThan(5);
    expect(await budget!.reserve('k', 100)).toBeGreaterThan(90);
    await pause(300);
    expect(await budget!.reserve('k', 100)).toBeLessThan(5);
    // Had the idle time been banked, this one would go at once as well.
    expect(await budget!.reserve('k', 100)).toBeGreaterThan(90);
  });

  it('keeps the schedule in the rate_budget table, on the server clock', async () => {
    const [storage] = await instances(1);
    await storage!.rateBudget.reserve('k', 1000);
    await storage!.rateBudget.reserve('k', 1000);
    const { rows } = await admin.query(
      `SELECT extract(epoch FROM next_at - clock_timestamp()) * 1000 AS ahead_ms FROM "${schemas[0]}".rate_budget WHERE key = 'k'`,
    );
    // Two reservations move the next free instant two intervals past the first, which was "now".
    expect(Number(rows[0].ahead_ms)).toBeGreaterThan(1900);
    expect(Number(rows[0].ahead_ms)).toBeLessThanOrEqual(2000);
  });

  it('refuses a negative interval and use after close, naming the call', async () => {
    const [storage] = await instances(1);
    await expect(storage!.rateBudget.reserve('k', -1)).rejects.toThrow(/rateBudget\.reserve: intervalMs must be .* got -1/);
    await storage!.close();
    await expect(storage!.rateBudget.reserve('k', 10)).rejects.toThrow(/closed: rateBudget\.reserve was called after close/);
  });
});
