/**
 * The health of a running `npm start`: what its parts report (digest ticks, ingests, feed rounds, the
 * Telegram and Discord connections) is collected by a HealthMonitor, and `GET /healthz` on the health server
 * (HEALTH_PORT) answers with it, 200 or 503. `newsbrief health` asks that endpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** When a part counts as down. */
export const HEALTH = {
  /** No digest tick succeeded for longer than this (and none is running): the scheduler is stalled or failing. */
  TICK_STALE_MS: 3 * 60_000,
  /** A Discord gateway shard down for longer than this: reconnecting is taking too long. */
  DISCORD_DOWN_MS: 2 * 60_000,
  /** The database check gets this long to answer. */
  DATABASE_TIMEOUT_MS: 2_000,
} as const;

/**
 * Telegram as this instance sees it: `polling`, `standby` (on a shared database another instance polls),
 * `webhook`, `stopped` (this instance should poll and does not) or `off` (no token).
 */
export type TelegramHealth = 'polling' | 'standby' | 'webhook' | 'stopped' | 'off';
export type DiscordHealth = 'connected' | 'reconnecting' | 'off';

/** The body of `GET /healthz`. Times are ISO 8601, null until the first one. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  telegram: TelegramHealth;
  discord: DiscordHealth;
  scheduler: { lastTickAt: string | null; lastTickOk: boolean | null };
  ingest: { lastRunAt: string | null; lastOk: boolean | null };
  feeds: { lastCycleAt: string | null };
  database: 'ok' | 'failing';
  /** Why the status is degraded, one sentence each; empty when ok. */
  problems: string[];
}

export interface HealthMonitorOptions {
  /** Rejects when the database does not work (Storage.checkIntact). */
  checkDatabase: () => Promise<void>;
  clock?: () => Date;
  databaseTimeoutMs?: number;
}

/**
 * Collects what the service's parts report and judges it. The service calls the `…Started`/`…Finished`
 * methods as things happen; `report()` is called per request and checks the database then.
 */
export class HealthMonitor {
  private readonly clock: () => Date;
  private readonly checkDatabase: () => Promise<void>;
  private readonly databaseTimeoutMs: number;
  private readonly createdAt: Date;
  private lastTick: { at: Date; ok: boolean } | undefined;
  private lastOkTick: Date | undefined;
  private ticksRunning = 0;
  private lastIngest: { at: Date; ok: boolean } | undefined;
  private lastFeedCycle: Date | undefined;
  private telegramProbe: (() => Exclude<TelegramHealth, 'off'>) | undefined;
  /** Discord shards that are down, with since when; undefined when there is no Discord bot. */
  private discordDown: Map<number | 'start', Date> | undefined;

  constructor(options: HealthMonitorOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.checkDatabase = options.checkDatabase;
    this.databaseTimeoutMs = options.databaseTimeoutMs ?? HEALTH.DATABASE_TIMEOUT_MS;
    this.createdAt = this.clock();
  }

  /** A digest tick began; the scheduler counts as alive while it runs, however long a large fan-out takes. */
  tickStarted(): void {
    this.ticksRunning++;
  }

  tickFinished(ok: boolean): void {
    this.ticksRunning = Math.max(0, this.ticksRunning - 1);
    const at = this.clock();
    this.lastTick = { at, ok };
    if (ok) this.lastOkTick = at;
  }

  ingestFinished(ok: boolean): void {
    this.lastIngest = { at: this.clock(), ok };
  }

  feedCycleFinished(): void {
    this.lastFeedCycle = this.clock();
  }

  /** Telegram runs here; `probe` says what it is doing right now. */
  watchTelegram(probe: () => Exclude<TelegramHealth, 'off'>): void {
    this.telegramProbe = probe;
  }

  /** Discord runs here: down (connecting) from now until its first shard is ready. */
  watchDiscord(): void {
    this.discordDown = new Map([['start', this.clock()]]);
  }

  /** A Discord shard is ready or resumed. */
  discordShardUp(shardId: number): void {
    this.discordDown?.delete(shardId);
    this.discordDown?.delete('start');
  }

  /** Every Discord shard this instance runs is ready (the client's ready event). */
  discordReady(): void {
    this.discordDown?.clear();
  }

  /** A Discord shard lost its connection (disconnected or reconnecting); the first time counts. */
  discordShardDown(shardId: number): void {
    if (this.discordDown && !this.discordDown.has(shardId)) this.discordDown.set(shardId, this.clock());
  }

  async report(): Promise<HealthReport> {
    const databaseProblem = await this.databaseProblem();
    const now = this.clock().getTime();
    const problems: string[] = [];

    const aliveSince = this.lastOkTick ?? this.createdAt;
    if (this.ticksRunning === 0 && now - aliveSince.getTime() > HEALTH.TICK_STALE_MS) {
      problems.push(`no digest tick has succeeded for ${minutes(now - aliveSince.getTime())}${this.lastOkTick ? '' : ' (none since start)'}`);
    }
    if (databaseProblem) problems.push(`the database check failed: ${databaseProblem}`);

    const telegram = this.telegramProbe?.() ?? 'off';
    if (telegram === 'stopped') problems.push('telegram: this instance should poll for updates and does not');

    let discord: DiscordHealth = 'off';
    if (this.discordDown) {
      const since = Math.min(...[...this.discordDown.values()].map((d) => d.getTime()));
      discord = this.discordDown.size === 0 ? 'connected' : 'reconnecting';
      if (discord === 'reconnecting' && now - since > HEALTH.DISCORD_DOWN_MS) {
        problems.push(`discord: the gateway has been down for ${minutes(now - since)}`);
      }
    }

    return {
      status: problems.length === 0 ? 'ok' : 'degraded',
      telegram,
      discord,
      scheduler: { lastTickAt: iso(this.lastTick?.at), lastTickOk: this.lastTick?.ok ?? null },
      ingest: { lastRunAt: iso(this.lastIngest?.at), lastOk: this.lastIngest?.ok ?? null },
      feeds: { lastCycleAt: iso(this.lastFeedCycle) },
      database: databaseProblem ? 'failing' : 'ok',
      problems,
    };
  }

  private async databaseProblem(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.databaseTimeoutMs} ms`), this.databaseTimeoutMs);
    });
    try {
      return await Promise.race([
        this.checkDatabase().then(
          () => undefined,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function iso(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.floor(ms / 1000)} s`;
}

/** The running health server. */
export interface HealthServer {
  /** Where it listens, e.g. 127.0.0.1:9464 (the port is the real one when 0 was asked for). */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` (and HEAD) from `monitor` on host:port: 200 when ok, 503 when degraded, the report as
 * JSON either way. Other paths get 404, other methods 405. Rejects, naming HEALTH_PORT, when the port is taken.
 */
export async function serveHealth(monitor: HealthMonitor, options: { host: string; port: number; onError?: (error: unknown) => void }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: the health check is GET /healthz\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed: use GET\n');
      return;
    }
    monitor.report().then(
      (report) => {
        const body = `${JSON.stringify(report)}\n`;
        res.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        options.onError?.(error);
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The health report failed; see the log.\n');
      },
    );
  });
  // A health check never needs a long-lived connection; keep-alive would delay close().
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? 'the port is in use by another process'
          : error.code === 'EACCES'
            ? 'not allowed to listen there (ports below 1024 need privileges)'
            : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
              ? `${options.host} is not an address of this machine (HEALTH_HOST)`
              : error.message;
      reject(new Error(`cannot serve the health check on ${options.host}:${options.port} (HEALTH_PORT): ${reason}`));
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: { host: options.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The URL `newsbrief health` asks when given no --url: where npm start with these settings listens. */
export function healthUrl(host: string, port: number): string {
  // A server listening on every address is reached on this machine's loopback.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/healthz`;
}

/** `newsbrief health`'s one line: "ok: …" or "degraded: …". */
export function healthSummary(report: HealthReport, now: Date): string {
  if (report.status !== 'ok') return `degraded: ${report.problems.length > 0 ? report.problems.join('; ') : 'the service says so'}`;
  const parts = [];
  if (report.telegram !== 'off') parts.push(`telegram ${report.telegram}`);
  if (report.discord !== 'off') parts.push(`discord ${report.discord}`);
  const tick = report.scheduler.lastTickAt;
  parts.push(tick ? `last digest tick ${ago(now.getTime() - Date.parse(tick))}` : 'no digest tick yet');
  parts.push(`database ${report.database}`);
  return `ok: ${parts.join(', ')}`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}
