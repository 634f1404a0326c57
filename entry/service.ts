import cron from 'node-cron';
import pino from 'pino';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DigestScheduler, LogRedactor, Newsbrief, redactingLogOptions, type Deliverer, type Logger, type Storage } from '../src/index.js';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { DatabaseLockedError, lockDatabase, openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { cronTicker } from '../adapters/runtime/cron.js';
import { Terminal } from '../adapters/console/terminal.js';
import { styleFor } from '../adapters/console/render.js';
import { ConfigError, parseConfig, redactConfig, type Config } from './config.js';

export interface StartOptions {
  env: Record<string, string | undefined>;
  stdin?: Readable & { isTTY?: boolean };
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable;
  /** Resolves when the service should stop; defaults to the first SIGINT or SIGTERM. */
  stopSignal?: Promise<unknown>;
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

/**
 * The one long-running process behind `npm start`: database, seeds (ingested now and re-scanned on a
 * schedule), the bots that have tokens, the digest scheduler, and terminal mode when there is no token.
 * Returns the exit code once stopped.
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

  // In terminal mode the log would scribble over the prompt: only warnings, unless asked otherwise.
  const level = terminalMode && options.env.LOG_LEVEL === undefined ? 'warn' : config.LOG_LEVEL;
  // Every entry, errors and their causes included, goes through one redactor that knows the secrets.
  const secrets = [config.TELEGRAM_BOT_TOKEN, config.DISCORD_TOKEN, config.TELEGRAM_WEBHOOK_SECRET, urlPassword(config.DATABASE_URL)];
  const redactor = new LogRedactor(secrets);
  const logger: Logger & pino.Logger = pino(
    {
      level,
      base: { service: 'newsbrief' },
      redact: ['token', '*.token', 'config.TELEGRAM_BOT_TOKEN', 'config.DISCORD_TOKEN', 'config.TELEGRAM_WEBHOOK_SECRET'],
      ...redactingLogOptions(secrets),
    },
    pino.destination({ dest: 2, sync: true }),
  );
  logger.info({ config: redactConfig(config) }, 'starting');

  // One scheduler per database: a second process would send every digest again.
  const opened = await openStorage(config, stderr, logger);
  if (!opened) return 1;
  const { store, release } = opened;
  // The database lost under us (the SQLite file deleted or replaced): stop rather than confirm writes that vanish.
  let databaseGone: (error: Error) => void = () => {};
  const goneSignal = new Promise<Error>((resolve) => (databaseGone = resolve));
  const stopWatching = opened.watchGone((error) => databaseGone(error));
  const app = new Newsbrief({
    storage: store,
    digest: { halfLifeHours: config.RANK_HALF_LIFE_HOURS, windowDays: config.NEWS_WINDOW_DAYS, perOutlet: config.DIGEST_PER_OUTLET },
    defaultTimezone: config.DEFAULT_TIMEZONE,
  });

  const ingestSeeds = async (reason: string) => {
    if (!existsSync(config.SEEDS_DIR)) {
      logger.warn({ seeds: resolve(config.SEEDS_DIR) }, 'seeds folder not found; no articles loaded from it');
      return;
    }
    const report = await ingestSeedFolder(config.SEEDS_DIR, store, { logger, aliases: app.topicAliases });
    for (const r of report.rejected) logger.warn({ file: r.file, field: r.field, reason: r.reason }, 'seed file rejected');
    const { rejected, ...counts } = report;
    logger.info({ reason, ...counts, rejected: rejected.length }, 'seeds ingested');
    if (report.accepted + report.updated > 0) app.refreshTopics();
  };

  // Last line of defence: a library promise nobody awaits must not take the whole bot down.
  const onUnhandled = (reason: unknown) => logger.error({ err: reason }, 'unhandled rejection; still running');
  process.on('unhandledRejection', onUnhandled);

  const services: Service[] = [];
  const tasks: { stop(): unknown }[] = [];
  let terminal: Terminal | undefined;
  let scheduler: DigestScheduler | undefined;
  let exitCode = 0;
  // A bot that can no longer receive anything (token revoked, another poller) ends the process, non-zero.
  let reportFatal!: (error: Error) => void;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  try {
    await app.ready();
    await ingestSeeds('start');
    if (config.SEEDS_RESCAN !== 'off') {
      tasks.push(
        cron.schedule(config.SEEDS_RESCAN, () => ingestSeeds('rescan').catch((error) => logger.error({ err: error }, 'seed rescan failed')), {
          noOverlap: true,
          name: 'seeds-rescan',
        }),
      );
    }

    if (config.TELEGRAM_BOT_TOKEN) {
      const { createTelegramBot } = await import('../adapters/telegram/index.js');
      const telegram = createTelegramBot({
        token: config.TELEGRAM_BOT_TOKEN,
        apiRoot: config.TELEGRAM_API_ROOT,
        app,
        logger,
        onFatal: (error) => reportFatal(error),
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
      services.push({ name: 'telegram', deliverer: telegram.deliverer, stop: () => telegram.stop() });
      logger.info('telegram bot started');
    }
    if (config.DISCORD_TOKEN) {
      const { createDiscordBot } = await import('../adapters/discord/index.js');
      const discord = createDiscordBot({
        token: config.DISCORD_TOKEN,
        apiBase: config.DISCORD_API_BASE,
        guildId: config.DISCORD_GUILD_ID,
        app,
        logger,
      });
      await discord.start();
      services.push({ name: 'discord', deliverer: discord.deliverer, stop: () => discord.stop() });
      logger.info('discord bot started');
    }
    const deliverers = services.map((s) => s.deliverer);
    if (terminalMode) {
      terminal = new Terminal({ app, input: stdin, output: stdout, style: styleFor(stdout, options.env) });
      deliverers.push(terminal.deliverer());
    }

    scheduler = new DigestScheduler({
      app,
      deliverers,
      graceMs: config.CATCH_UP_HOURS * 3_600_000,
      count: config.DIGEST_COUNT,
      firstLookbackHours: config.FIRST_DIGEST_LOOKBACK_HOURS,
      logger,
    });
    await scheduler.start(cronTicker(logger));

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
    for (const task of tasks) task.stop();
    terminal?.close();
    // Stop taking work first, then let in-flight sends finish, then close the database.
    await scheduler?.stop();
    await Promise.allSettled(services.map((s) => s.stop()));
    stopWatching();
    await store.close();
    await release();
    process.off('unhandledRejection', onUnhandled);
    logger.flush?.();
  }
  return exitCode;
}

interface OpenedStorage {
  store: Storage;
  /** Releases the one-instance lock, after the store is closed. */
  release(): Promise<void>;
  /** Calls `onGone` when the database is lost for good; returns the function that stops watching. */
  watchGone(onGone: (error: Error) => void): () => void;
}

/**
 * Locks and opens the database DATABASE_URL (Postgres) or DATABASE_PATH (SQLite) names; on failure writes
 * why to stderr and returns undefined. Until instances share work with leases, one `npm start` per database:
 * SQLite holds a lock file, Postgres a session advisory lock for the life of the process.
 */
async function openStorage(config: Config, stderr: Writable, logger: Logger): Promise<OpenedStorage | undefined> {
  if (config.DATABASE_URL) {
    const { InstanceLockedError, describeDatabase, lockInstance, openPostgresStorage } = await import('../adapters/storage/postgres/index.js');
    // Named by host and database only: the URL may hold a password.
    const location = describeDatabase(config.DATABASE_URL);
    let lock;
    try {
      lock = await lockInstance(config.DATABASE_URL, (why) =>
        logger.warn({ database: location, why }, 'instance lock lost with its connection; another npm start could now run beside this one'),
      );
    } catch (error) {
      const message = error instanceof InstanceLockedError ? error.message : `cannot lock ${location}: ${(error as Error).message}`;
      stderr.write(`newsbrief: ${message}\n`);
      return undefined;
    }
    try {
      const store = await openPostgresStorage(config.DATABASE_URL);
      // An unreachable server is not a lost database: the scheduler's per-tick check skips ticks until it is back.
      return { store, release: () => lock.release(), watchGone: () => () => {} };
    } catch (error) {
      await lock.release();
      stderr.write(`newsbrief: cannot open ${location}: ${(error as Error).message}\n`);
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
