import { Api, GrammyError, HttpError, type Bot } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { createConcurrentSink, createRunner, createSource, type RunnerHandle, type UpdateSupplier } from '@grammyjs/runner';
import { type Logger } from '../../src/index.js';

/** How long-polling rides out failures of getUpdates, and when it gives up. */
export interface PollingOptions {
  /** Long-poll duration of each getUpdates (seconds). */
  timeoutSeconds: number;
  /** Updates handled at once across all chats. */
  concurrency: number;
  /** First wait after a failed getUpdates (network, 5xx, 409); doubles each time. */
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * 409 Conflict (another process polls with this token, or a webhook is set) is retried with backoff
   * at most this many times in a row, and for at most `conflictMaxMs`; then polling gives up for good.
   */
  conflictMaxAttempts: number;
  conflictMaxMs: number;
  /**
   * The next getUpdates confirms the updates handed out before it, so a crash after it loses any still
   * being handled. It waits up to this long for them to finish first; a chat whose handlers take longer
   * (a flood waiting for its sending slots) does not hold up everyone else's updates beyond it.
   */
  confirmWaitMs: number;
}

export const DEFAULT_POLLING: PollingOptions = {
  timeoutSeconds: 30,
  concurrency: 500,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  conflictMaxAttempts: 10,
  conflictMaxMs: 5 * 60_000,
  confirmWaitMs: 500,
};

/** Backoff while the Bot API cannot be reached at start. */
export interface ReachOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_REACH: ReachOptions = { baseDelayMs: 1000, maxDelayMs: 60_000 };

/** Polling cannot go on: the token is no longer valid (401), or another consumer keeps the updates (409). */
export class PollingFailedError extends Error {
  constructor(
    message: string,
    readonly errorCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PollingFailedError';
  }
}

/** A failure worth retrying when calling the Bot API: no connection, a timeout, a 5xx or a 429. */
function isPassing(error: unknown): boolean {
  if (error instanceof HttpError) return true;
  return error instanceof GrammyError && (error.error_code >= 500 || error.error_code === 429);
}

/**
 * Why a call did not get through, without the request URL (it holds the token): the system error code
 * of the fetch failure when there is one, else the Bot API's own answer.
 */
export function unreachableReason(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  if (error instanceof HttpError) {
    const inner = error.error as { code?: unknown; type?: unknown; name?: unknown } | undefined;
    const code = typeof inner?.code === 'string' ? inner.code : typeof inner?.type === 'string' ? inner.type : undefined;
    return code ? `network error ${code.slice(0, 40)}` : 'network error';
  }
  return 'unknown error';
}

function retryAfterMs(error: unknown): number | undefined {
  const seconds = error instanceof GrammyError ? error.parameters?.retry_after : undefined;
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : undefined;
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(new Error('Telegram: stopped while waiting to retry'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
  });
}

function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/**
 * Runs `call` until the Bot API answers, logging each retry at warn. grammY's own `init` retries getMe
 * forever without a word, so a bot started while the API is unreachable looked hung; this says so.
 * Errors that are answers (401, 400) are thrown at once.
 */
export async function untilReachable<T>(
  call: () => Promise<T>,
  context: { apiRoot: string; method: string; logger: Logger; signal: AbortSignal; retry?: Partial<ReachOptions> },
): Promise<T> {
  const { baseDelayMs, maxDelayMs } = { ...DEFAULT_REACH, ...context.retry };
  let delay = baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (context.signal.aborted || !isPassing(error)) throw error;
      const wait = retryAfterMs(error) ?? delay;
      context.logger.warn(
        { apiRoot: context.apiRoot, method: context.method, attempt, retryInSeconds: wait / 1000, reason: unreachableReason(error) },
        `telegram: cannot reach the Telegram Bot API at ${context.apiRoot}: retrying in ${seconds(wait)} s`,
      );
      await sleep(wait, context.signal);
      delay = Math.min(maxDelayMs, delay * 2);
    }
  }
}

/**
 * The bot's identity from getMe, through a bare client: the bot's own client retries network failures
 * silently for a quarter of a minute before we would get to say anything.
 */
export function getMe(token: string, apiRoot: string, timeoutSeconds: number, signal: AbortSignal): Promise<UserFromGetMe> {
  const api = new Api(token, { apiRoot, timeoutSeconds });
  return api.getMe(signal as Parameters<Api['getMe']>[0]);
}

export interface Poller {
  /** Stops fetching; resolves once the fetch loop has ended and the updates handed out are confirmed. */
  stop(): Promise<void>;
  /** Resolves once every update handed to the handlers has finished. */
  idle(): Promise<void>;
}

/**
 * Long polling with @grammyjs/runner: updates are handled concurrently (the bot's middleware keeps each
 * chat in order), getUpdates failures are retried with backoff, and a 401, or a 409 past the limits,
 * ends polling through `onFatal` instead of leaving a bot that looks alive but never answers.
 */
export function startPolling(
  bot: Bot,
  options: { polling?: Partial<PollingOptions>; logger: Logger; apiRoot: string; onFatal: (error: PollingFailedError) => void },
): Poller {
  const settings = { ...DEFAULT_POLLING, ...options.polling };
  const { logger } = options;
  let offset = 0;
  let fatal = false;
  const running = new Set<Promise<unknown>>();

  // The runner types its signal with the abort-controller polyfill; at run time it is an AbortSignal either way.
  async function supply(batchSize: number, given: Parameters<UpdateSupplier<Update>['supply']>[1]): Promise<Update[]> {
    const signal = given as unknown as AbortSignal;
    let delay = settings.retryBaseMs;
    let conflicts = 0;
    let conflictSince = 0;
    let failures = 0;
    if (running.size > 0) {
      await Promise.race([Promise.allSettled([...running]), sleep(settings.confirmWaitMs, signal).catch(() => {})]);
      if (signal.aborted) throw new Error('Telegram: polling stopped');
    }
    for (;;) {
      try {
        const updates = await bot.api.getUpdates(
          { offset, limit: Math.max(1, Math.min(100, batchSize)), timeout: settings.timeoutSeconds, allowed_updates: [] },
          signal as Parameters<Api['getUpdates']>[1],
        );
        if (conflicts > 0 || failures > 0) logger.info({ conflicts, failures }, 'telegram: polling works again');
        const last = updates.at(-1);
        if (last) offset = last.update_id + 1;
        return updates;
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof GrammyError && error.error_code === 401) {
          throw giveUp(new PollingFailedError('Telegram answered getUpdates with 401 Unauthorized: the bot token was revoked or is wrong', 401, { cause: error }));
        }
        let wait = delay;
        if (error instanceof GrammyError && error.error_code === 409) {
          conflicts++;
          conflictSince ||= Date.now();
          const spent = Date.now() - conflictSince;
          if (conflicts > settings.conflictMaxAttempts || spent + wait > settings.conflictMaxMs) {
            throw giveUp(
              new PollingFailedError(
                `Telegram answered getUpdates with 409 Conflict ${conflicts} times over ${seconds(spent)} s: another process is polling with this token, or a webhook is set`,
                409,
                { cause: error },
              ),
            );
          }
          logger.warn(
            { attempt: conflicts, retryInSeconds: wait / 1000, reason: `${error.error_code} ${error.description}`.slice(0, 300) },
            `telegram: getUpdates conflict (409): another process is polling with this token, or a webhook is set; retrying in ${seconds(wait)} s`,
          );
        } else {
          failures++;
          conflicts = 0;
          conflictSince = 0;
          wait = retryAfterMs(error) ?? delay;
          logger.warn(
            { apiRoot: options.apiRoot, attempt: failures, retryInSeconds: wait / 1000, reason: unreachableReason(error) },
            `telegram: getUpdates failed; retrying in ${seconds(wait)} s`,
          );
        }
        await sleep(wait, signal);
        delay = Math.min(settings.retryMaxMs, delay * 2);
      }
    }
  }

  function giveUp(error: PollingFailedError): PollingFailedError {
    fatal = true;
    options.onFatal(error);
    return error;
  }

  const source = createSource<Update>({ supply });
  const sink = createConcurrentSink<Update, unknown>(
    {
      consume(update) {
        const task = bot.handleUpdate(update);
        const tracked = task.catch(() => {});
        running.add(tracked);
        void tracked.finally(() => running.delete(tracked));
        return task;
      },
    },
    async (error) => {
      try {
        await bot.errorHandler(error as Parameters<Bot['errorHandler']>[0]);
      } catch (inner) {
        logger.error({ err: inner }, 'telegram: the error handler failed');
      }
    },
    { concurrency: settings.concurrency },
  );
  const runner: RunnerHandle = createRunner(source, sink);
  runner.start();
  // A fatal end was reported through onFatal; anything else ending the loop is a bug worth a line.
  void runner.task()?.catch((error: unknown) => {
    if (!fatal) logger.error({ err: error }, 'telegram: polling stopped with an error');
  });

  return {
    async stop() {
      await runner.stop()?.catch(() => {});
      if (fatal) return;
      // Handing out a batch is confirmed only by the next getUpdates: confirm it now, or a restart repeats it.
      try {
        await bot.api.getUpdates({ offset, limit: 1, timeout: 0 });
      } catch (error) {
        logger.warn({ reason: unreachableReason(error) }, 'telegram: could not confirm the last update while stopping');
      }
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
