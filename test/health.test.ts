import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { HEALTH, HealthMonitor, healthSummary, healthUrl, serveHealth, type HealthReport } from '../entry/health.js';
import { runHealth } from '../entry/health-command.js';
import { main } from '../entry/cli.js';
import { start } from '../entry/service.js';
import { parseConfig } from '../entry/config.js';
import { FakeClock } from './helpers/fake-clock.js';
import { captureIO } from './helpers/cli.js';
import { seededDatabase } from './helpers/seeded-database.js';
import { FakeTelegram, TOKEN } from './helpers/fake-telegram.js';
import { FakeDiscord } from './helpers/fake-discord.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const T0 = '2026-11-26T06:00:00Z';
const healthyDatabase = async () => {};

function monitor(clock: FakeClock, checkDatabase: () => Promise<void> = healthyDatabase) {
  return new HealthMonitor({ clock: clock.now, checkDatabase, databaseTimeoutMs: 200 });
}

describe('HealthMonitor', () => {
  it('is ok within 3 minutes of start before the first tick, and degraded after that', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    clock.advance(HEALTH.TICK_STALE_MS);
    expect((await health.report()).status).toBe('ok');
    clock.advance(1_000);
    const report = await health.report();
    expect(report.status).toBe('degraded');
    expect(report.problems).toEqual(['no digest tick has succeeded for 3 min (none since start)']);
    expect(report.scheduler).toEqual({ lastTickAt: null, lastTickOk: null });
  });

  it('turns degraded when the last successful tick is more than 3 minutes old, and ok again after the next', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    health.tickStarted();
    health.tickFinished(true);
    clock.advanceMinutes(3);
    expect((await health.report()).status).toBe('ok');
    clock.advanceMinutes(1);
    expect((await health.report()).problems).toEqual(['no digest tick has succeeded for 4 min']);
    health.tickStarted();
    health.tickFinished(true);
    const after = await health.report();
    expect(after.status).toBe('ok');
    expect(after.scheduler).toEqual({ lastTickAt: '2026-11-26T06:04:00.000Z', lastTickOk: true });
  });

  it('counts failing ticks as no tick: they are reported, and degrade once 3 minutes pass without a good one', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    health.tickStarted();
    health.tickFinished(true);
    for (let i = 0; i < 4; i++) {
      clock.advanceMinutes(1);
      health.tickStarted();
      health.tickFinished(false);
    }
    const report = await health.report();
    expect(report.scheduler).toEqual({ lastTickAt: '2026-11-26T06:04:00.000Z', lastTickOk: false });
    expect(report.status).toBe('degraded');
  });

  it('holds a tick that is still running (a long fan-out) as alive', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    health.tickStarted();
    clock.advanceMinutes(20);
    expect((await health.report()).status).toBe('ok');
    health.tickFinished(true);
    clock.advanceMinutes(4);
    expect((await health.report()).status).toBe('degraded');
  });

  it('is degraded while the database check fails or does not answer in time', async () => {
    const clock = new FakeClock(T0);
    let failing: Error | undefined = new Error('database file was deleted');
    const health = monitor(clock, async () => {
      if (failing) throw failing;
    });
    const failed = await health.report();
    expect(failed).toMatchObject({ status: 'degraded', database: 'failing', problems: ['the database check failed: database file was deleted'] });
    failing = undefined;
    expect(await health.report()).toMatchObject({ status: 'ok', database: 'ok' });

    const hanging = monitor(clock, () => new Promise(() => {}));
    expect(await hanging.report()).toMatchObject({ status: 'degraded', database: 'failing', problems: ['the database check failed: no answer within 200 ms'] });
  });

  it('tolerates a Discord gateway reconnecting for 2 minutes, then reports it down', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    expect((await health.report()).discord).toBe('off');
    health.watchDiscord();
    health.discordReady();
    expect((await health.report()).discord).toBe('connected');
    health.discordShardDown(1);
    clock.advanceMinutes(1);
    health.discordShardDown(1); // a second event of the same outage does not restart the count
    clock.advanceMinutes(1);
    expect(await health.report()).toMatchObject({ status: 'ok', discord: 'reconnecting' });
    clock.advance(1_000);
    expect(await health.report()).toMatchObject({ status: 'degraded', discord: 'reconnecting', problems: ['discord: the gateway has been down for 2 min'] });
    health.discordShardUp(1);
    expect(await health.report()).toMatchObject({ status: 'ok', discord: 'connected' });
  });

  it('counts a Discord bot that never became ready as down since it was started', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    health.watchDiscord();
    clock.advanceMinutes(3);
    expect(await health.report()).toMatchObject({ status: 'degraded', discord: 'reconnecting' });
  });

  it('is degraded when Telegram should poll here and does not; a standby or a webhook is healthy', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    expect((await health.report()).telegram).toBe('off');
    let state: 'polling' | 'standby' | 'webhook' | 'stopped' = 'polling';
    health.watchTelegram(() => state);
    for (const healthy of ['polling', 'standby', 'webhook'] as const) {
      state = healthy;
      expect(await health.report()).toMatchObject({ status: 'ok', telegram: healthy });
    }
    state = 'stopped';
    expect(await health.report()).toMatchObject({ status: 'degraded', telegram: 'stopped', problems: ['telegram: this instance should poll for updates and does not'] });
  });

  it('reports the last ingest and feed round', async () => {
    const clock = new FakeClock(T0);
    const health = monitor(clock);
    health.ingestFinished(false);
    clock.advanceMinutes(1);
    health.feedCycleFinished();
    expect(await health.report()).toMatchObject({
      status: 'ok',
      ingest: { lastRunAt: '2026-11-26T06:00:00.000Z', lastOk: false },
      feeds: { lastCycleAt: '2026-11-26T06:01:00.000Z' },
    });
  });
});

describe('the health server', () => {
  it('answers GET /healthz 200 or 503 with the report, and 404/405 for anything else', async () => {
    const clock = new FakeClock(T0);
    let broken = false;
    const health = monitor(clock, async () => {
      if (broken) throw new Error('gone');
    });
    const server = await serveHealth(health, { host: '127.0.0.1', port: await freePort() });
    cleanups.push(() => server.close());
    const base = `http://127.0.0.1:${server.address.port}`;

    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await ok.json()).toMatchObject({ status: 'ok', database: 'ok' });

    broken = true;
    const bad = await fetch(`${base}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toMatchObject({ status: 'degraded', database: 'failing' });

    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a port in use, naming HEALTH_PORT', async () => {
    const taken = await listening(createServer());
    const port = (taken.address() as AddressInfo).port;
    await expect(serveHealth(monitor(new FakeClock(T0)), { host: '127.0.0.1', port })).rejects.toThrow(
      `cannot serve the health check on 127.0.0.1:${port} (HEALTH_PORT): the port is in use by another process`,
    );
  });
});

describe('npm start with HEALTH_PORT', () => {
  it('answers /healthz 200 with the scheduler\'s tick, then 503 once no tick has come for over 3 minutes', async () => {
    const ws = await seededDatabase([], 'newsbrief-health-');
    cleanups.push(() => ws.remove());
    const port = await freePort();
    const clock = new FakeClock(new Date());
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    const stdout = new PassThrough();
    stdout.resume();
    const stderr = new PassThrough();
    stderr.resume();
    const running = start({
      env: { TERMINAL_MODE: 'on', DATABASE_PATH: ws.dbPath, SEEDS_DIR: ws.seeds, SEEDS_RESCAN: 'off', FEEDS_POLL: 'off', HEALTH_PORT: String(port), LOG_LEVEL: 'warn' },
      stdin,
      stdout,
      stderr,
      stopSignal,
      healthClock: clock.now,
    });
    cleanups.push(async () => {
      stop();
      await running;
    });
    const url = `http://127.0.0.1:${port}/healthz`;
    // The first tick runs at start; its report shows up once it has finished.
    let body: HealthReport | undefined;
    await expect
      .poll(
        async () => {
          const res = await fetch(url).catch(() => undefined);
          body = res ? ((await res.json()) as HealthReport) : undefined;
          return res?.status === 200 && body?.scheduler.lastTickOk === true;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);
    expect(body).toMatchObject({ status: 'ok', telegram: 'off', discord: 'off', database: 'ok', ingest: { lastOk: true }, feeds: { lastCycleAt: null } });
    expect(Date.parse(body!.scheduler.lastTickAt!)).toBe(clock.now().getTime());

    const io = captureIO({ HEALTH_PORT: String(port) });
    expect(await runHealth([], io.io, clock.now)).toBe(0);
    expect(io.stdout()).toBe('ok: last digest tick 0 s ago, database ok\n');

    // No cron minute passes in this test, so moving the clock on 4 minutes is a scheduler that stopped ticking.
    clock.advanceMinutes(4);
    const stalled = await fetch(url);
    expect(stalled.status).toBe(503);
    expect(await stalled.json()).toMatchObject({ status: 'degraded', problems: ['no digest tick has succeeded for 4 min'] });
    const degraded = captureIO();
    expect(await runHealth(['--url', `http://127.0.0.1:${port}`], degraded.io)).toBe(1);
    expect(degraded.stdout()).toBe('degraded: no digest tick has succeeded for 4 min\n');

    stop();
    expect(await running).toBe(0);
    // Closed with the service.
    await expect(fetch(url)).rejects.toThrow();
  }, 30_000);

  it('reports Telegram polling and the Discord gateway connected when both bots run', async () => {
    const telegram = await FakeTelegram.start();
    cleanups.push(() => telegram.close());
    const discord = await FakeDiscord.start();
    cleanups.push(() => discord.close());
    const ws = await seededDatabase([], 'newsbrief-health-');
    cleanups.push(() => ws.remove());
    const port = await freePort();
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const stderr = new PassThrough();
    stderr.resume();
    const running = start({
      env: {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        DISCORD_TOKEN: discord.token,
        DISCORD_API_BASE: discord.apiBase,
        DATABASE_PATH: ws.dbPath,
        SEEDS_DIR: ws.seeds,
        SEEDS_RESCAN: 'off',
        FEEDS_POLL: 'off',
        HEALTH_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stderr,
      stopSignal,
    });
    cleanups.push(async () => {
      stop();
      await running;
    });
    let body: HealthReport | undefined;
    await expect
      .poll(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          body = res ? ((await res.json()) as HealthReport) : undefined;
          return res?.status;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(200);
    expect(body).toMatchObject({ status: 'ok', telegram: 'polling', discord: 'connected', database: 'ok' });
    stop();
    expect(await running).toBe(0);
  }, 30_000);

  it('stops at start-up with exit 2 and names HEALTH_PORT when it is not a port', async () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (d) => (text += String(d)));
    expect(await start({ env: { TERMINAL_MODE: 'on', HEALTH_PORT: '70000' }, stderr, stopSignal: Promise.resolve() })).toBe(2);
    expect(text).toContain('HEALTH_PORT: must be a port number from 1 to 65535, or empty for no health check (got "70000")');
  });
});

describe('settings', () => {
  it('has no health check by default, and listens on this machine only', () => {
    expect(parseConfig({}).HEALTH_PORT).toBeUndefined();
    expect(parseConfig({ HEALTH_PORT: '' }).HEALTH_PORT).toBeUndefined();
    expect(parseConfig({}).HEALTH_HOST).toBe('127.0.0.1');
    expect(parseConfig({ HEALTH_PORT: ' 9464 ', HEALTH_HOST: '0.0.0.0' })).toMatchObject({ HEALTH_PORT: 9464, HEALTH_HOST: '0.0.0.0' });
    expect(() => parseConfig({ HEALTH_PORT: 'health' })).toThrow(/HEALTH_PORT: must be a port number from 1 to 65535/);
    expect(() => parseConfig({ HEALTH_HOST: 'local host' })).toThrow(/HEALTH_HOST: must be an address to listen on/);
  });

  it('asks loopback when npm start listens on every address', () => {
    expect(healthUrl('0.0.0.0', 9464)).toBe('http://127.0.0.1:9464/healthz');
    expect(healthUrl('::', 9464)).toBe('http://[::1]:9464/healthz');
    expect(healthUrl('10.0.0.5', 80)).toBe('http://10.0.0.5:80/healthz');
  });
});

describe('newsbrief health', () => {
  it('is in the overview and has its own help, whichever way it is asked', async () => {
    const overview = captureIO();
    expect(await main(['help'], overview.io)).toBe(0);
    expect(overview.stdout()).toContain('newsbrief health [--url URL]');
    for (const argv of [['help', 'health'], ['health', '--help'], ['--help', 'health']]) {
      const io = captureIO();
      expect(await main(argv, io.io), argv.join(' ')).toBe(0);
      expect(io.stdout(), argv.join(' ')).toMatch(/^Usage: newsbrief health \[--url URL\]\n/);
      expect(io.stdout()).toContain('Exit status: 0 healthy, 1 degraded or no answer, 2 wrong arguments or settings.');
    }
  });

  /** A stand-in for npm start's health server that answers with `status` and `body`. */
  async function answering(status: number, body: string): Promise<string> {
    const server = await listening(createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body)));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const report = (over: Partial<HealthReport>): string =>
    JSON.stringify({
      status: 'ok',
      telegram: 'polling',
      discord: 'connected',
      scheduler: { lastTickAt: '2026-11-26T06:00:00.000Z', lastTickOk: true },
      ingest: { lastRunAt: null, lastOk: null },
      feeds: { lastCycleAt: null },
      database: 'ok',
      problems: [],
      ...over,
    });
  const now = () => new Date('2026-11-26T06:00:12Z');

  it('exits 0 with a one-line summary when the service is healthy', async () => {
    const io = captureIO();
    expect(await runHealth(['--url', await answering(200, report({}))], io.io, now)).toBe(0);
    expect(io.stdout()).toBe('ok: telegram polling, discord connected, last digest tick 12 s ago, database ok\n');
  });

  it('exits 1 and says why when it is degraded', async () => {
    const io = captureIO();
    const body = report({ status: 'degraded', database: 'failing', problems: ['the database check failed: gone', 'telegram: this instance should poll for updates and does not'] });
    expect(await runHealth(['--url', await answering(503, body)], io.io, now)).toBe(1);
    expect(io.stdout()).toBe('degraded: the database check failed: gone; telegram: this instance should poll for updates and does not\n');
  });

  it('exits 1 when nothing answers, or something that is not a health report', async () => {
    const closed = captureIO();
    expect(await runHealth(['--url', `http://127.0.0.1:${await freePort()}`], closed.io)).toBe(1);
    expect(closed.stderr()).toMatch(/^newsbrief health: no answer from http:\/\/127\.0\.0\.1:\d+\/healthz: ECONNREFUSED\. Is npm start running there with HEALTH_PORT set\?\n$/);
    const other = captureIO();
    expect(await runHealth(['--url', await answering(200, '<html>hello</html>')], other.io)).toBe(1);
    expect(other.stderr()).toMatch(/answered 200, not a Newsbrief health report/);
  });

  it('exits 2 without a URL or HEALTH_PORT, with a bad --url, an extra word or a bad HEALTH_PORT', async () => {
    const none = captureIO();
    expect(await runHealth([], none.io)).toBe(2);
    expect(none.stderr()).toContain('HEALTH_PORT is not set');
    const badUrl = captureIO();
    expect(await runHealth(['--url', 'ftp://example.org'], badUrl.io)).toBe(2);
    expect(badUrl.stderr()).toContain('--url must be an http(s) URL');
    const extra = captureIO();
    expect(await runHealth(['now'], extra.io)).toBe(2);
    expect(extra.stderr()).toContain('"health" takes no arguments (got "now")');
    const badPort = captureIO({ HEALTH_PORT: '0' });
    expect(await runHealth([], badPort.io)).toBe(2);
    expect(badPort.stderr()).toContain('HEALTH_PORT: must be a port number from 1 to 65535');
  });
});

async function listening(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return server;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
