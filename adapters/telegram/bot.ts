import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Bot, type BotError, type Transformer } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { trimTrailingSlashes, type Deliverer, type Logger, type Newsbrief, type RateBudget } from '../../src/index.js';
import { ChatLifecycle, targetOf } from './chats.js';
import { TelegramDeliverer, announceSending } from './deliverer.js';
import { classifyFailure } from './failures.js';
import { registerHandlers } from './handlers.js';
import { Pacer, PacerClosedError, type PacingOptions } from './pacing.js';
import { chatQueue } from './chat-queue.js';
import { PollingFailedError, getMe, startPolling, untilReachable, type Poller, type PollingOptions, type ReachOptions } from './polling.js';
import { COMMANDS, SOMETHING_WENT_WRONG } from './render.js';
import { retryTransient, type RetryOptions } from './retry.js';
import { sendHtml } from './send.js';
import { SECRET_TOKEN_PATTERN, listenForUpdates, randomSecretToken, type WebhookListener, type WebhookOptions } from './webhook.js';

/** The public Bot API server. */
export const DEFAULT_API_ROOT = 'https://api.telegram.org';

/** Telegram's default set (all but chat_member and reactions): what grammY's polling asks for, and the webhook too. */
const ALLOWED_UPDATES: [] = [];

export interface TelegramBotOptions {
  token: string;
  /** Another Bot API server (self-hosted, or a test fake); a trailing slash is ignored. */
  apiRoot?: string;
  app: Newsbrief;
  logger: Logger;
  /** Sending limits; the defaults follow Telegram's documented ones. */
  pacing?: Partial<PacingOptions>;
  /** Backoff for 5xx answers, network failures and timeouts. */
  retry?: Partial<RetryOptions>;
  /** A 429 asking to wait longer than this fails the call instead (default 60). */
  maxRetryAfterSeconds?: number;
  /** 429 retries per call before giving up (default 3). */
  maxRateLimitRetries?: number;
  /** Long-poll duration of getUpdates (default 30). */
  pollTimeoutSeconds?: number;
  /** Concurrency and getUpdates failure handling of long polling (409 limits, backoff). */
  polling?: Partial<Omit<PollingOptions, 'timeoutSeconds'>>;
  /** Backoff while the Bot API cannot be reached at start (each retry is logged at warn). */
  reachRetry?: Partial<ReachOptions>;
  /** Updates from one chat waiting or running at once; more are dropped with one short answer per burst (default 10). */
  maxQueuedPerChat?: number;
  /**
   * Called once when receiving updates cannot go on: getUpdates answered 401 (token revoked), or 409
   * (another poller, a webhook) past the retry limits. The bot no longer hears anyone, so the process
   * should exit non-zero and let its supervisor restart it. Without it, the failure is logged at error.
   */
  onFatal?: (error: PollingFailedError) => void;
  /** Any one HTTP request is abandoned (and retried) after this long; must exceed the poll timeout (default 60). */
  requestTimeoutSeconds?: number;
  /** How long stop() lets handlers that are running finish their replies (default 5000). */
  stopGraceMs?: number;
  /** Receive updates by webhook instead of long polling. */
  webhook?: WebhookOptions;
  /**
   * Several instances share this bot token (one Postgres database): start() readies the bot and its
   * deliverer but does not poll, and startPolling() / stopPolling() switch polling on and off as the
   * instances' election decides, since Telegram lets only one getUpdates consumer in at a time.
   * Ignored in webhook mode, where every instance serves the webhook.
   */
  deferPolling?: boolean;
  /**
   * A send budget shared with the other instances on this token, reserved under `telegramBudgetKey(token)`;
   * without it, sending is paced within this process only.
   */
  rateBudget?: RateBudget;
}

/** A running Telegram adapter. */
export interface TelegramBot {
  /** The grammY bot, with handlers, error handler and API transformers installed. */
  readonly bot: Bot;
  /** Sends scheduled digests through the same paced, retrying API client. */
  readonly deliverer: Deliverer;
  /**
   * Checks the token (getMe, retried with a warning while the API cannot be reached), registers the command
   * menu, then starts long polling, or in webhook mode listens and registers the webhook (setWebhook);
   * resolves once updates can arrive.
   */
  start(): Promise<void>;
  /**
   * Stops polling (confirming the updates taken) or closes the webhook server, lets running handlers finish
   * within the grace period, then abandons waiting sends. The webhook stays registered, so updates queue at Telegram until the next start.
   */
  stop(): Promise<void>;
  /**
   * With `deferPolling`, after start(): removes any webhook and starts long polling; resolves once polling,
   * or without polling if stopPolling() came first. Rejects when the Bot API refuses (401, 400).
   */
  startPolling(): Promise<void>;
  /**
   * Stops polling (confirming the updates taken) and abandons a startPolling() under way; the deliverer
   * and handlers already running carry on. Resolves once no getUpdates of this bot is left.
   */
  stopPolling(): Promise<void>;
  /** Whether this bot is long polling right now. */
  readonly polling: boolean;
}

/**
 * The key under which every instance on one Telegram token shares a send budget: the bot's id, the part of
 * the token before ':' (public: it is the bot's user id). A token without a numeric id gets a short hash.
 */
export function telegramBudgetKey(token: string): string {
  return `telegram:${telegramBotId(token)}`;
}

/** The bot's numeric id from its token, which holds no secret; a short sha256 when the token has none. */
export function telegramBotId(token: string): string {
  const id = token.split(':', 1)[0]!;
  return /^\d{1,20}$/.test(id) && token.includes(':') ? id : `sha256-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/**
 * Builds the Telegram adapter: the single place the bot is put together, used by `npm start` and by
 * the tests alike. Nothing here reads the environment.
 */
export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { app, logger } = options;
  const pollTimeoutSeconds = options.pollTimeoutSeconds ?? 30;
  const requestTimeoutSeconds = options.requestTimeoutSeconds ?? Math.max(60, pollTimeoutSeconds + 30);
  if (requestTimeoutSeconds <= pollTimeoutSeconds) {
    throw new Error(
      `createTelegramBot: requestTimeoutSeconds (${requestTimeoutSeconds}) must exceed pollTimeoutSeconds (${pollTimeoutSeconds})`,
    );
  }
  const apiRoot = trimTrailingSlashes(options.apiRoot ?? DEFAULT_API_ROOT);
  const webhook = options.webhook && { ...options.webhook, secret: options.webhook.secret ?? randomSecretToken() };
  if (webhook) checkWebhook(webhook);
  const bot = new Bot(options.token, { client: { apiRoot, timeoutSeconds: requestTimeoutSeconds } });

  const stopping = new AbortController();
  // Every paced send listens for the stop signal; a busy fan-out has dozens waiting at once.
  setMaxListeners(0, stopping.signal);
  const shared = options.rateBudget && { budget: options.rateBudget, key: telegramBudgetKey(options.token) };
  const pacer = new Pacer(options.pacing, undefined, shared);
  // Installed innermost first: a retried call is paced again, and every wait ends when the bot stops.
  bot.api.config.use(announceSending);
  bot.api.config.use(pacer.transformer);
  bot.api.config.use(retryTransient(options.retry, stopping.signal));
  bot.api.config.use(
    autoRetry({
      maxRetryAttempts: options.maxRateLimitRetries ?? 3,
      maxDelaySeconds: options.maxRetryAfterSeconds ?? 60,
      rethrowInternalServerErrors: true,
      rethrowHttpErrors: true,
    }),
  );
  bot.api.config.use(abortOn(stopping.signal));

  const chats = new ChatLifecycle(app.storage.subscriptions, logger);
  bot.use(chatQueue({ maxQueued: options.maxQueuedPerChat ?? 10, logger }));
  registerHandlers(bot, { app, chats, logger });
  bot.catch((error) => handleError(error, chats, logger));

  const deliverer = new TelegramDeliverer(bot.api, logger);
  let listener: WebhookListener | undefined;
  const reach = <T>(method: string, call: () => Promise<T>, signal = stopping.signal) =>
    untilReachable(call, { apiRoot, method, logger, signal, retry: options.reachRetry });
  const onFatal =
    options.onFatal ?? ((error: PollingFailedError) => logger.error({ err: error }, 'telegram: polling stopped for good; the bot no longer receives updates'));

  // Polling is switched on and off by one loop that brings what runs in line with what is wanted, so
  // that a start and a stop asked for in quick succession (an election flapping) never overlap.
  let poller: Poller | undefined;
  let wantPolling = false;
  let beginning: AbortController | undefined;
  let switching: Promise<void> | undefined;
  // Pollers stopped but possibly still running handlers: stop() waits for them within its grace period.
  const draining = new Set<Poller>();

  async function beginPolling(signal: AbortSignal): Promise<Poller | undefined> {
    // Polling and a webhook exclude each other; the updates waiting at Telegram are kept.
    await reach('deleteWebhook', () => bot.api.deleteWebhook({ drop_pending_updates: false }, signal as Parameters<typeof bot.api.deleteWebhook>[1]), signal);
    if (signal.aborted) return undefined;
    const started = startPolling(bot, {
      polling: { ...options.polling, timeoutSeconds: pollTimeoutSeconds },
      logger,
      apiRoot,
      onFatal: (error) => {
        if (!stopping.signal.aborted) onFatal(error);
      },
    });
    logger.info({ username: bot.botInfo.username, apiRoot }, 'telegram: polling for updates');
    return started;
  }

  function switchPolling(): Promise<void> {
    switching ??= (async () => {
      try {
        while (wantPolling !== (poller !== undefined)) {
          if (wantPolling) {
            beginning = new AbortController();
            const signal = AbortSignal.any([stopping.signal, beginning.signal]);
            try {
              poller = await beginPolling(signal);
            } catch (error) {
              if (signal.aborted) continue;
              wantPolling = false;
              throw error;
            } finally {
              beginning = undefined;
            }
            if (!poller) continue;
          } else {
            const stopped = poller!;
            poller = undefined;
            draining.add(stopped);
            await stopped.stop();
            void stopped.idle().then(() => draining.delete(stopped));
          }
        }
      } finally {
        switching = undefined;
      }
    })();
    return switching;
  }

  function stopPollingNow(): Promise<void> {
    wantPolling = false;
    beginning?.abort();
    return switchPolling();
  }

  return {
    bot,
    deliverer,
    get polling() {
      return poller !== undefined;
    },
    async start() {
      if (stopping.signal.aborted) throw new Error('TelegramBot.start: this bot was stopped; build a new one with createTelegramBot');
      bot.botInfo = await reach('getMe', () => getMe(options.token, apiRoot, requestTimeoutSeconds, stopping.signal));
      try {
        await bot.api.setMyCommands(COMMANDS.map(({ command, description }) => ({ command, description })));
      } catch (error) {
        logger.warn({ err: error }, 'telegram: could not register the command menu; commands still work');
      }
      if (webhook) {
        listener = await listenForUpdates(bot, webhook, logger);
        try {
          await bot.api.setWebhook(webhook.url, {
            secret_token: webhook.secret,
            allowed_updates: ALLOWED_UPDATES,
            drop_pending_updates: false,
          });
        } catch (error) {
          const closing = listener.close();
          listener.destroy();
          await closing;
          listener = undefined;
          throw error;
        }
        const { address, port } = listener.address;
        // Only the origin: a path can hold something private.
        const url = new URL(webhook.url).origin;
        logger.info({ username: bot.botInfo.username, apiRoot, url, listening: `${address}:${port}` }, 'telegram: receiving updates by webhook');
        return;
      }
      if (options.deferPolling) {
        logger.info({ username: bot.botInfo.username, apiRoot }, 'telegram: ready; polling starts when this instance is chosen to poll');
        return;
      }
      wantPolling = true;
      await switchPolling();
    },
    async startPolling() {
      if (stopping.signal.aborted) throw new Error('TelegramBot.startPolling: this bot was stopped');
      if (webhook) throw new Error('TelegramBot.startPolling: this bot receives updates by webhook');
      if (!bot.isInited()) throw new Error('TelegramBot.startPolling: call start() first');
      wantPolling = true;
      await switchPolling();
    },
    stopPolling: stopPollingNow,
    async stop() {
      const receiving = listener
        ? listener.close()
        : stopPollingNow().then(() => Promise.all([...draining].map((p) => p.idle())));
      const grace = options.stopGraceMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([receiving, new Promise((resolve) => (timer = setTimeout(resolve, grace)))]);
      clearTimeout(timer);
      pacer.close();
      stopping.abort();
      listener?.destroy();
      await receiving?.catch(() => {});
    },
  };
}

/** Refuses at build time what Telegram's setWebhook would refuse at start. */
function checkWebhook(webhook: WebhookOptions & { secret: string }): void {
  let url: URL;
  try {
    url = new URL(webhook.url);
  } catch {
    throw new Error(`createTelegramBot: webhook.url must be an http(s) URL (got "${webhook.url.slice(0, 80)}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`createTelegramBot: webhook.url must be an http(s) URL (got "${url.protocol}")`);
  }
  if (!SECRET_TOKEN_PATTERN.test(webhook.secret)) {
    throw new Error('createTelegramBot: webhook.secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -');
  }
  if (!Number.isInteger(webhook.port) || webhook.port < 0 || webhook.port > 65535) {
    throw new Error(`createTelegramBot: webhook.port must be a port number (got ${webhook.port})`);
  }
}

/** Passes the bot's stop signal to every call, so no retry wait or request outlives stop(). */
function abortOn(stopping: AbortSignal): Transformer {
  return async (prev, method, payload, given) => {
    // grammY types signals with the abort-controller polyfill; at run time they are Node's own.
    const signal = given as AbortSignal | undefined;
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (stopping.aborted || signal?.aborted) controller.abort();
    stopping.addEventListener('abort', abort);
    signal?.addEventListener('abort', abort);
    try {
      return await prev(method, payload, controller.signal as NonNullable<typeof given>);
    } finally {
      stopping.removeEventListener('abort', abort);
      signal?.removeEventListener('abort', abort);
    }
  };
}

/** The one catch point for updates: log, fix what the failure says about the chat, tell the user if it helps. */
async function handleError(error: BotError, chats: ChatLifecycle, logger: Logger): Promise<void> {
  try {
    const { ctx } = error;
    const failure = classifyFailure(error.error);
    logger.error(
      { err: error.error, updateId: ctx.update.update_id, kind: failure.kind, reason: failure.reason },
      'telegram: an update failed',
    );
    const target = targetOf(ctx);
    if (!target) return;
    if (failure.kind === 'blocked') await chats.pause(target, failure.reason);
    else if (failure.kind === 'migrated') await chats.migrate(target.chatId, failure.toChatId);
    // A retried-out send would only fail (slowly) again, so only a bug or a refused request gets an apology.
    else if ((failure.kind === 'internal' || failure.kind === 'rejected') && !(error.error instanceof PacerClosedError)) {
      await sendHtml(ctx.api, target, [SOMETHING_WENT_WRONG]);
    }
  } catch (inner) {
    logger.warn({ err: inner }, 'telegram: the error handler could not reply');
  }
}
