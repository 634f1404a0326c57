import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openPostgresStorage, type PostgresStorage } from '../adapters/storage/postgres/index.js';
import { Newsbrief } from '../src/index.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { CORPUS_END } from './corpus.js';
import { audit, fillStore, subscribe } from './fanout.js';
import { startFakes, type FakesProcess } from './fakes-process.js';
import type { InstanceSettings } from './instance-child.js';
import { fmtMs, type Results } from './report.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'instance-child.ts');
const TELEGRAM_TOKEN = '123456:bench-token';
const DISCORD_TOKEN = 'bench.discord.token';
/** The limits the fakes enforce: Telegram 30 messages/s overall, Discord 50 requests/s. */
const LIMITS = { telegram: 30, discord: 50 } as const;
const SHARE_TARGET = 0.9;
/** Chat lease in the bench: shorter than the 30 s default so the killed scenario's takeover shows within a run. */
const LEASE_MS = 10_000;
/** Instances tick every second here (every minute in production), so a takeover waits on the lease, not the tick. */
const TICK_MS = 1000;
/** The killed scenario: the first instance gets SIGKILL once this share of the digests has gone out. */
const KILL_AT = 0.4;

export interface FanoutInstancesOptions {
  /** Subscribers, half Telegram and half Discord, each in its own chat. */
  subscribers: number;
  /** Instance counts to run, each a scenario of its own. */
  instances: number[];
  /** Also run the largest count with one instance killed mid fan-out. */
  kill: boolean;
  articles?: number;
}

interface Scenario {
  instances: number;
  kill: boolean;
}

/**
 * Scheduled fan-out through several `npm start`-like processes on one Postgres database: each instance
 * runs the real adapters and a shared-mode DigestScheduler; one rate budget per token paces them together
 * against loopback fakes that enforce the platforms' limits. Measures the achieved rate against each limit,
 * lost and duplicated digests, 429s, and how the work was split; one scenario kills an instance mid-way.
 */
export async function fanoutInstancesBench(results: Results, options: FanoutInstancesOptions): Promise<void> {
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`  multi-instance fan-out skipped: ${unavailable}`);
    return;
  }
  const server: TestPostgres = await startTestPostgres();
  try {
    const scenarios: Scenario[] = options.instances.map((instances) => ({ instances, kill: false }));
    if (options.kill) scenarios.push({ instances: Math.max(...options.instances), kill: true });
    for (const [i, scenario] of scenarios.entries()) {
      await runScenario(results, server.url, `fanout_${i}`, scenario, options);
    }
  } finally {
    await server.stop();
  }
}

async function runScenario(results: Results, url: string, schema: string, scenario: Scenario, options: FanoutInstancesOptions): Promise<void> {
  const label = `${scenario.instances} instance${scenario.instances === 1 ? '' : 's'}${scenario.kill ? ', one killed mid fan-out' : ''}`;
  const section = 'fan-out across instances (Postgres)';
  console.log(`  ${label}: preparing ${options.subscribers} subscribers…`);
  const storage = await openPostgresStorage(url, { schema, poolSize: 4 });
  const children: ChildProcess[] = [];
  let fakes: FakesProcess | undefined;
  try {
    // A morning slot, due half a minute before the instances start.
    const slot = new Date(CORPUS_END.getTime() + 8 * 3_600_000);
    const clockAt = slot.getTime() + 30_000;
    const app = new Newsbrief({ storage, clock: () => new Date(clockAt) });
    await fillStore(storage, options.articles ?? 5000);
    app.refreshTopics();
    const subs = await subscribe(storage, app, options.subscribers, slot.toISOString());
    fakes = await startFakes();

    const sentBy = new Map<string, number>();
    const realAt = Date.now();
    const started = performance.now();
    for (let i = 0; i < scenario.instances; i++) {
      const settings: InstanceSettings = {
        url,
        schema,
        name: `instance-${i}`,
        telegram: { apiRoot: fakes.telegram, token: TELEGRAM_TOKEN },
        discord: { apiBase: fakes.discord, token: DISCORD_TOKEN },
        clockAt,
        realAt,
        leaseMs: LEASE_MS,
        tickMs: TICK_MS,
      };
      children.push(await startInstance(settings, (n) => sentBy.set(settings.name, n)));
    }

    let killed = false;
    let lastProgress = 0;
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const { settled, sent } = await progress(storage, slot.toISOString());
      if (settled === subs.length) break;
      if (Date.now() > deadline) throw new Error(`${label}: ${subs.length - settled} digests still due after 15 minutes`);
      if (scenario.kill && !killed && sent >= subs.length * KILL_AT) {
        children[0]!.kill('SIGKILL');
        killed = true;
        console.log(`  ${label}: killed instance-0 (SIGKILL) after ${sent} of ${subs.length} digests`);
      }
      if (Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        console.log(`  ${label}: ${settled}/${subs.length} digests settled`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const elapsedMs = performance.now() - started;
    results.add({ section, name: `${label}: all ${subs.length} digests settled`, value: fmtMs(elapsedMs), note: `lease ${LEASE_MS / 1000} s, tick ${TICK_MS / 1000} s` });

    const report = await fakes.report();
    const split = await workSplit(storage, slot.toISOString(), sentBy);
    for (const [platform, fake] of [
      ['telegram', report.telegram],
      ['discord', report.discord],
    ] as const) {
      const limit = LIMITS[platform];
      const rate = fake.shareOfLimit(limit, 1000);
      const name = platform === 'telegram' ? 'Telegram' : 'Discord';
      const { lost, duplicated } = await audit(storage, subs.filter((s) => s.target.platform === platform), slot.toISOString(), fake);
      results.add({
        section,
        name: `${label} — ${name}: achieved rate ÷ limit (${limit}/s)`,
        value: `${(rate.share * 100).toFixed(1)} %`,
        target: '≥ 90 %',
        pass: rate.share >= SHARE_TARGET,
        note: `${rate.messages} messages in ${fmtMs(rate.spanMs)}, ${rate.perSecond.toFixed(1)}/s; 429 answers ${fake.rateLimited}`,
      });
      results.add({ section, name: `${label} — ${name}: lost digests`, value: String(lost), target: '0', pass: lost === 0 });
      results.add({ section, name: `${label} — ${name}: duplicated messages`, value: String(duplicated), target: '0', pass: duplicated === 0 });
    }
    results.add({ section, name: `${label}: digests sent by each instance`, value: split, note: report.discordNonceRepeats > 0 ? `Discord posts answered from an earlier nonce: ${report.discordNonceRepeats}` : undefined });
  } finally {
    for (const child of children) child.stdin?.end();
    await Promise.all(children.map((child) => exitOf(child)));
    await fakes?.stop();
    await storage.close();
  }
}

async function startInstance(settings: InstanceSettings, onSent: (total: number) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(settings)], {
    cwd: path.resolve(path.dirname(CHILD), '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`multi-instance bench: ${settings.name} exited before it was ready`);
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      const sent = /^sent (\d+)$/.exec(line);
      if (sent) onSent(Number(sent[1]));
    });
  });
  await Promise.race([ready, exited]);
  exited.catch(() => {});
  return child;
}

async function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

/** Subscriptions whose slot is settled (advanced past it), and how many digests went out. */
async function progress(storage: PostgresStorage, slot: string): Promise<{ settled: number; sent: number }> {
  const { rows } = await storage.db.query<{ due: number; sent: number }>(
    `SELECT (SELECT count(*)::int FROM subscriptions WHERE next_due_at <= $1) AS due,
            (SELECT count(*)::int FROM deliveries WHERE slot = $2 AND status = 'sent') AS sent`,
    [new Date(slot), slot],
  );
  const total = await storage.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscriptions');
  return { settled: total.rows[0]!.n - rows[0]!.due, sent: rows[0]!.sent };
}

/** "instance-0 612, instance-1 598 …": what each instance reported sending, and the slots taken over. */
async function workSplit(storage: PostgresStorage, slot: string, sentBy: Map<string, number>): Promise<string> {
  const { rows } = await storage.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deliveries WHERE slot = $1 AND status = 'sent' AND detail LIKE '%unconfirmed%'`,
    [slot],
  );
  const parts = [...sentBy].map(([name, n]) => `${name} ${n}`);
  if (rows[0]!.n > 0) parts.push(`${rows[0]!.n} taken as delivered after a kill`);
  return parts.join(', ');
}
