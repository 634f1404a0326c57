import cron from 'node-cron';
import pino from 'pino';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  DigestScheduler,
  LogRedactor,
  Newsbrief,
  redactingLogOptions,
  type Deliverer,
  type Logger,
  type RateBudget,
  type Storage,
} from '../src/index.js';
import type { ExclusiveOptions, ExclusiveRun, LeaderHandlers, Leadership, SessionMutex } from '../adapters/storage/postgres/index.js';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { FeedPoller, feedUserAgent } from '../adapters/sources/feeds/poller.js';
import { IngestLane } from '../adapters/sources/ingest-lane.js';
import { DatabaseLockedError, lockDatabase, openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { cronTicker } from '../adapters/runtime/cron.js';
import { Terminal } from '../adapters/console/terminal.js';
import { LogNotices } from '../adapters/console/log-notices.js';
import { styleFor } from '../adapters/console/render.js';
import { shardPlan } from '../adapters/discord/config.js';
import { ConfigError, parseConfig, redactConfig, type Config } from './config.js';
import { HealthMonitor, serveHealth, type HealthServer } from './health.js';
import { VERSION } from './version.js';

export interface StartOptions {
  env: Record<string, string | undefined>;
  stdin?: Readable & { isTTY?: boolean };
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable;
  /** Resolves when the service should stop; defaults to the first SIGINT or SIGTERM. */
  stopSignal?: Promise<unknown>;
  /** The health report's clock (default: the real one); tests move it on to see a stalled scheduler. */
  healthClock?: () => Date;
}

const NO_BOT_HELP = `Newsbrief has no bot token and no terminal to talk to, so there is nothing to run.
Set one or both of these (see .env.example), then run npm start again:
  TELEGRAM_BOT_TOKEN=123456:ABC…     a Telegram bot token from @BotFather
  DISCORD_TOKEN=…                    a Discord bot token from the Developer Portal
Or run npm start in a terminal for terminal mode, which needs no token.
`;

interface Service {
  name: string;
  deliverer: Deliverer;
  stop(): Promise<void>;
}

/** How long a starting instance waits for a seed ingest another instance is running, so that /news has articles. */
const INGEST_WAIT_MS = 60_000;

/**
 * The one long-running process behind `npm start`: database, seeds (ingested now and re-scanned on a
 * schedule), feeds (polled now and on a schedule), the bots that have tokens, the digest scheduler, and
 * terminal mode when there is no token. Returns the exit code once stopped.
 */
export async function start(options: StartOptions): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let config: Config;
  try {
    config = parseConfig(options.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr.write(`newsbrief: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const hasBot = Boolean(config.TELEGRAM_BOT_TOKEN || config.DISCORD_TOKEN);
  const terminalMode = !hasBot && (config.TERMINAL_MODE === 'on' || (config.TERMINAL_MODE === 'auto' && stdin.isTTY === true));
  if (!hasBot && !terminalMode) {
    stderr.write(NO_BOT_HELP);
    return 0;
  }

  // Every entry, errors and their causes included, goes through one redactor that knows the secrets.
  const secrets = [config.TELEGRAM_BOT_TOKEN, config.DISCORD_TOKEN, config.TELEGRAM_WEBHOOK_SECRET, urlPassword(config.DATABASE_URL)];
  const redactor = new LogRedactor(secrets);
  // In terminal mode JSON on the screen would draw over the prompt: the log goes to a file, and warnings and
  // errors also reach the screen as one plain line each, printed through the terminal.
  const notices = terminalMode ? new LogNotices(stderr) : undefined;
  const logFile = terminalMode ? (config.LOG_FILE ?? join(dirname(config.DATABASE_PATH), 'newsbrief.log')) : undefined;
  let destination: pino.DestinationStream;
  try {
    destination =
      notices && logFile
        ? pino.multistream([
            { level: 'trace', stream: pino.destination({ dest: logFile, mkdir: true, sync: true }) },
            { level: 'warn', stream: notices },
          ])
        : pino.destination({ dest: 2, sync: true });
  } catch (error) {
    stderr.write(`newsbrief: cannot open the log file ${logFile} (LOG_FILE): ${(error as Error).message}\n`);
    return 1;
  }
  const logger: Logger & pino.Logger = pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'newsbrief' },
      redact: ['token', '*.token', 'config.TELEGRAM_BOT_TOKEN', 'config.DISCORD_TOKEN', 'config.TELEGRAM_WEBHOOK_SECRET'],
      ...redactingLogOptions(secrets),
    },
    destination,
  );
  logger.info({ config: redactConfig(config) }, 'starting');

  const opened = await openStorage(config, stderr);
  if (!opened) return 1;
  const { store, release, shared } = opened;
  // The database lost under us (the SQLite file deleted or replaced): stop rather than confirm writes that vanish.
  let databaseGone: (error: Error) => void = () => {};
  const goneSignal = new Promise<Error>((resolve) => (databaseGone = resolve));
  const stopWatching = opened.watchGone((error) => databaseGone(error));
  // What GET /healthz reports (HEALTH_PORT); fed as things happen, the database asked per request.
  const health = new HealthMonitor({ checkDatabase: () => store.checkIntact(), clock: options.healthClock });
  const app = new Newsbrief({
    storage: store,
    digest: { halfLifeHours: config.RANK_HALF_LIFE_HOURS, windowDays: config.NEWS_WINDOW_DAYS, perOutlet: config.DIGEST_PER_OUTLET },
    defaultTimezone: config.DEFAULT_TIMEZONE,
  });

  // One ingest at a time, seeds and feeds alike: the core reads every source record once per run. On a shared
  // database the lane also holds the "ingest" advisory lock, so that no two instances ingest at once either.
  const ingestMutex = shared?.ingestMutex(() => logger.debug({}, 'ingest waits for another instance to finish its ingest'));
  const lane = new IngestLane(ingestMutex ? { acquire: () => ingestMutex.acquire() } : {});

  const ingestSeeds = async (reason: string) => {
    if (!existsSync(config.SEEDS_DIR)) {
      logger.warn({ seeds: resolve(config.SEEDS_DIR) }, 'seeds folder not found; no articles loaded from it');
      return;
    }
    let report;
    try {
      report = await lane.run(() => ingestSeedFolder(config.SEEDS_DIR, store, { logger, aliases: app.topicAliases }));
    } catch (error) {
      health.ingestFinished(false);
      throw error;
    }
    health.ingestFinished(true);
    for (const r of report.rejected) logger.warn({ file: r.file, field: r.field, reason: r.reason }, 'seed file rejected');
    const { rejected, ...counts } = report;
    logger.info({ reason, ...counts, rejected: rejected.length }, 'seeds ingested');
    // On a shared database another instance may have added topics since this one last looked.
    if (report.accepted + report.updated > 0 || shared) app.refreshTopics();
  };
  // One instance at a time ingests the seeds for all; another that finds it busy waits for it, then reloads topics.
  const ingestOnce = async (reason: string) => {
    if (!shared) return ingestSeeds(reason);
    const run = await shared.exclusive('seed-ingest', () => ingestSeeds(reason), {
      waitMs: INGEST_WAIT_MS,
      onBusy: () => logger.info({ reason }, `seed ingest is running on another instance; waiting up to ${INGEST_WAIT_MS / 1000} s for it, then skipping it here`),
    });
    if (run.ran) return;
    app.refreshTopics();
    if (run.finishedElsewhere) logger.info({ reason }, 'seed ingest finished on another instance; skipped here');
    else logger.info({ reason }, 'seed ingest still running on another instance; skipped here, its articles arrive as it writes them');
  };

  // Feeds: claimed per feed (so instances share them out), fetched outside the lane, ingested in it.
  const poller =
    config.FEEDS_POLL === 'off'
      ? undefined
      : new FeedPoller({
          storage: store,
          userAgent: feedUserAgent(VERSION, config.FEED_CONTACT),
          allowPrivate: config.FEEDS_ALLOW_PRIVATE === 'on',
          defaultIntervalMs: config.FEED_INTERVAL_MINUTES * 60_000,
          logger,
          aliases: app.topicAliases,
          lane,
        });
  // A round still running when the next is due (the one at start, a slow one) is joined, not repeated.
  let feedRound: Promise<void> | undefined;
  const pollFeeds = (reason: string): Promise<void> =>
    (feedRound ??= (async () => {
      if (!poller) return;
      const report = await poller.pollDue();
      health.feedCycleFinished();
      // On a shared database another instance's polls may have added topics too.
      if (report.newArticles + report.updatedArticles > 0 || shared) app.refreshTopics();
      if (report.feeds > 0) logger.info({ reason, ...report }, 'feeds polled');
    })().finally(() => (feedRound = undefined)));

  // Last line of defence: a library promise nobody awaits must not take the whole bot down.
  const onUnhandled = (reason: unknown) => logger.error({ err: reason }, 'unhandled rejection; still running');
  process.on('unhandledRejection', onUnhandled);

  const services: Service[] = [];
  const tasks: { stop(): unknown }[] = [];
  let terminal: Terminal | undefined;
  let scheduler: DigestScheduler | undefined;
  let healthServer: HealthServer | undefined;
  let exitCode = 0;
  // A bot that can no longer receive anything (token revoked, another poller) ends the process, non-zero.
  let reportFatal!: (error: Error) => void;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  try {
    await app.ready();
    await ingestOnce('start');
    if (config.SEEDS_RESCAN !== 'off') {
      tasks.push(
        cron.schedule(config.SEEDS_RESCAN, () => ingestOnce('rescan').catch((error) => logger.error({ err: error }, 'seed rescan failed')), {
          noOverlap: true,
          name: 'seeds-rescan',
        }),
      );
    }
    if (poller) {
      const feeds = (await store.feeds.listFeeds()).filter((f) => f.enabled).length;
      if (feeds > 0 && !config.FEED_CONTACT) {
        logger.warn(
          { feeds },
          'FEED_CONTACT is not set: feed servers see a User-Agent with no way to reach you; set it to a URL or e-mail address (see .env.example)',
        );
      }
      // In the background: bots and the terminal need not wait for a round of fetches.
      void pollFeeds('start').catch((error) => logger.error({ err: error }, 'feed poll failed'));
      tasks.push(
        cron.schedule(config.FEEDS_POLL, () => pollFeeds('schedule').catch((error) => logger.error({ err: error }, 'feed poll failed')), {
          noOverlap: true,
          name: 'feeds-poll',
        }),
      );
    }

    const roles: Record<string, unknown> = {};
    if (config.TELEGRAM_BOT_TOKEN) {
      const { createTelegramBot, telegramBotId } = await import('../adapters/telegram/index.js');
      const token = config.TELEGRAM_BOT_TOKEN;
      // Telegram lets one getUpdates consumer in at a time: instances on one database elect who polls.
      const elect = Boolean(shared && !config.TELEGRAM_WEBHOOK_URL);
      if (shared && config.TELEGRAM_WEBHOOK_URL && !config.TELEGRAM_WEBHOOK_SECRET) {
        logger.warn(
          {},
          'telegram: TELEGRAM_WEBHOOK_SECRET is not set, so each start registers a random one; with several instances behind one webhook URL, set it so that every instance accepts what Telegram sends',
        );
      }
      const telegram = createTelegramBot({
        token,
        apiRoot: config.TELEGRAM_API_ROOT,
        app,
        logger,
        onFatal: (error) => reportFatal(error),
        deferPolling: elect,
        rateBudget: shared?.rateBudget,
        webhook: config.TELEGRAM_WEBHOOK_URL
          ? {
              url: config.TELEGRAM_WEBHOOK_URL,
              port: config.TELEGRAM_WEBHOOK_PORT,
              host: config.TELEGRAM_WEBHOOK_HOST,
              secret: config.TELEGRAM_WEBHOOK_SECRET,
            }
          : undefined,
      });
      await telegram.start();
      let election: Leadership | undefined;
      if (shared && elect) {
        election = await shared.elect(`telegram-polling:${telegramBotId(token)}`, {
          onAcquired: async () => {
            logger.info({}, 'telegram: this instance now polls for updates (it holds the polling lock)');
            try {
              await telegram.startPolling();
            } catch (error) {
              // Refused, not unreachable (that is retried): the token is bad, so no instance could poll.
              reportFatal(error as Error);
            }
          },
          onLost: async (why) => {
            if (why === 'stopping') logger.info({}, 'telegram: stopping polling and handing it over to another instance');
            else logger.warn({ why }, 'telegram: polling lock lost with its connection; stopping polling so that another instance can take over');
            await telegram.stopPolling();
          },
          onError: (error) => logger.warn({ err: error }, 'telegram: polling election failed; trying again'),
        });
      }
      const webhook = Boolean(config.TELEGRAM_WEBHOOK_URL);
      health.watchTelegram(() => (webhook ? 'webhook' : telegram.polling ? 'polling' : election && !election.leading ? 'standby' : 'stopped'));
      roles.telegram = config.TELEGRAM_WEBHOOK_URL ? 'webhook' : !election ? 'polling' : election.leading ? 'polling (elected)' : 'standby (another instance polls)';
      services.push({
        name: 'telegram',
        deliverer: telegram.deliverer,
        stop: async () => {
          // Hand the lock over only once this instance has stopped polling.
          await election?.stop();
          await telegram.stop();
        },
      });
      logger.info('telegram bot started');
    }
    if (config.DISCORD_TOKEN) {
      const { createDiscordBot } = await import('../adapters/discord/index.js');
      const shards = shardPlan(config);
      const discord = createDiscordBot({
        token: config.DISCORD_TOKEN,
        apiBase: config.DISCORD_API_BASE,
        guildId: config.DISCORD_GUILD_ID,
        app,
        logger,
        shards,
        rateBudget: shared?.rateBudget,
      });
      // Down from now until ready; then each shard's disconnects and reconnects, for the health check.
      health.watchDiscord();
      discord.client.on('shardReady', (shardId) => health.discordShardUp(shardId));
      discord.client.on('shardResume', (shardId) => health.discordShardUp(shardId));
      discord.client.on('shardDisconnect', (_event, shardId) => health.discordShardDown(shardId));
      discord.client.on('shardReconnecting', (shardId) => health.discordShardDown(shardId));
      await discord.start();
      health.discordReady();
      roles.discord = shards ? { shards: shards.ids, shardCount: shards.count } : 'one shard';
      services.push({ name: 'discord', deliverer: discord.deliverer, stop: () => discord.stop() });
      logger.info('discord bot started');
    }
    if (services.length > 0) logger.info({ database: shared ? 'shared (Postgres)' : 'this process only', ...roles }, 'instance role');
    const deliverers = services.map((s) => s.deliverer);
    if (terminalMode) {
      terminal = new Terminal({ app, input: stdin, output: stdout, style: styleFor(stdout, options.env), logFile, notices });
      deliverers.push(terminal.deliverer());
    }

    scheduler = new DigestScheduler({
      app,
      deliverers,
      graceMs: config.CATCH_UP_HOURS * 3_600_000,
      count: config.DIGEST_COUNT,
      firstLookbackHours: config.FIRST_DIGEST_LOOKBACK_HOURS,
      logger,
      // Several instances on one Postgres database split due chats by lease; SQLite's lock file keeps one.
      shared: Boolean(shared),
    });
    // Each tick is watched for the health check: the scheduler joins a tick already running rather than
    // starting another, so asking for tick() right after it began one observes that same tick.
    const running = scheduler;
    const observeTick = () => {
      health.tickStarted();
      running.tick().then(
        () => health.tickFinished(true),
        () => health.tickFinished(false),
      );
    };
    const ticker = cronTicker(logger);
    await scheduler.start((tick) =>
      ticker(() => {
        tick();
        observeTick();
      }),
    );
    // The tick start() ran at once.
    observeTick();
    if (config.HEALTH_PORT !== undefined) {
      healthServer = await serveHealth(health, {
        host: config.HEALTH_HOST,
        port: config.HEALTH_PORT,
        onError: (error) => logger.error({ err: error }, 'health report failed'),
      });
      const { host, port } = healthServer.address;
      logger.info({ url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz` }, 'health check listening');
    }

    const stopSignal = options.stopSignal ?? signalOnce();
    const gone = goneSignal.then((error) => {
      logger.fatal({ err: error }, 'database file lost; stopping');
      stderr.write(`newsbrief: ${redactor.text(error.message)}\n`);
      exitCode = 1;
    });
    if (terminal) terminal.open();
    const ended = await Promise.race([
      fatal,
      Promise.race([terminal?.done ?? new Promise(() => {}), stopSignal, gone]).then(() => undefined),
    ]);
    if (ended instanceof Error) {
      logger.fatal({ err: ended }, 'cannot receive updates any more; exiting so a supervisor can restart the bot');
      exitCode = 1;
    }
    logger.info('stopping');
  } catch (error) {
    logger.error({ err: error }, 'start-up failed');
    stderr.write(`newsbrief: ${redactor.text(String((error as Error)?.message ?? error))}\n`);
    exitCode = 1;
  } finally {
    await healthServer?.close();
    for (const task of tasks) task.stop();
    // Fetches under way are cancelled; a feed cut off comes due again when its claim runs out.
    await poller?.stop();
    terminal?.close();
    // Stop taking work first, then let in-flight sends finish, then close the database.
    await scheduler?.stop();
    await Promise.allSettled(services.map((s) => s.stop()));
    stopWatching();
    await ingestMutex?.close();
    await store.close();
    await release();
    process.off('unhandledRejection', onUnhandled);
    logger.flush?.();
  }
  return exitCode;
}

interface OpenedStorage {
  store: Storage;
  /** Releases the one-instance lock (SQLite), after the store is closed. */
  release(): Promise<void>;
  /** Calls `onGone` when the database is lost for good; returns the function that stops watching. */
  watchGone(onGone: (error: Error) => void): () => void;
  /** Set when several instances may run on this database (Postgres): how they divide the work. */
  shared?: SharedDatabase;
}

/** What instances sharing one database coordinate through it. */
interface SharedDatabase {
  /** Runs `work` unless another instance is running the work of that name (see runExclusive). */
  exclusive<T>(name: string, work: () => Promise<T>, options: ExclusiveOptions): Promise<ExclusiveRun<T>>;
  /** The lock every ingest on this database runs under, one instance at a time (see advisoryMutex). */
  ingestMutex(onWait: () => void): SessionMutex;
  /** Elects one instance to do the work of that name (see leaderLock). */
  elect(name: string, handlers: LeaderHandlers): Promise<Leadership>;
  /** One send budget per bot token across instances. */
  rateBudget: RateBudget | undefined;
}

/**
 * Opens the database DATABASE_URL (Postgres) or DATABASE_PATH (SQLite) names; on failure writes why to stderr
 * and returns undefined. SQLite is one process's: a lock file keeps a second `npm start` out. On Postgres any
 * number may run: slots are claimed by conditional writes, and the instances elect who polls Telegram and
 * take turns at the seed ingest through advisory locks.
 */
async function openStorage(config: Config, stderr: Writable): Promise<OpenedStorage | undefined> {
  if (config.DATABASE_URL) {
    const url = config.DATABASE_URL;
    const { advisoryMutex, describeDatabase, leaderLock, openPostgresStorage, runExclusive } = await import('../adapters/storage/postgres/index.js');
    try {
      const store = await openPostgresStorage(url);
      // One send budget per bot token across every instance on this database.
      const rateBudget: RateBudget = store.rateBudget;
      return {
        store,
        release: async () => {},
        // An unreachable server is not a lost database: the scheduler's per-tick check skips ticks until it is back.
        watchGone: () => () => {},
        shared: {
          exclusive: (name, work, options) => runExclusive(url, name, work, options),
          ingestMutex: (onWait) => advisoryMutex(url, 'ingest', { onWait }),
          elect: (name, handlers) => leaderLock(url, name, handlers),
          rateBudget,
        },
      };
    } catch (error) {
      // Named by host and database only: the URL may hold a password.
      stderr.write(`newsbrief: cannot open ${describeDatabase(url)}: ${(error as Error).message}\n`);
      return undefined;
    }
  }
  let lock;
  try {
    lock = lockDatabase(config.DATABASE_PATH);
  } catch (error) {
    const message = error instanceof DatabaseLockedError ? error.message : `cannot lock database ${config.DATABASE_PATH}: ${(error as Error).message}`;
    stderr.write(`newsbrief: ${message}\n`);
    return undefined;
  }
  try {
    const store = openSqliteStorage(config.DATABASE_PATH);
    store.recordLockHolder();
    return {
      store,
      release: async () => lock.release(),
      watchGone: (onGone) => {
        store.onGone(onGone);
        const check = setInterval(() => {
          try {
            store.assertIntact();
          } catch {
            // onGone has been told.
          }
        }, 10_000);
        check.unref();
        return () => clearInterval(check);
      },
    };
  } catch (error) {
    lock.release();
    stderr.write(`newsbrief: cannot open database ${config.DATABASE_PATH}: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** The password in a database URL, so that the log redactor hides it wherever a library repeats it. */
function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function signalOnce(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
