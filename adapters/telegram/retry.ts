import { HttpError, type Transformer } from 'grammy';

/** Backoff for Telegram server errors (5xx) and failed or timed-out requests. */
export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First wait; doubles with each retry. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 4, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Retries 5xx answers and network failures with exponential backoff. 429 is left to auto-retry, which
 * waits exactly `retry_after`; getUpdates is left to our polling loop (polling.ts), which has its own backoff.
 * A send that timed out may have been delivered, so a retry can duplicate it: rare, and better than a
 * missing digest.
 */
export function retryTransient(options: Partial<RetryOptions> = {}, stopping?: AbortSignal): Transformer {
  const { retries, baseDelayMs, maxDelayMs } = { ...DEFAULT_RETRY, ...options };
  return async (prev, method, payload, signal) => {
    if (method === 'getUpdates') return prev(method, payload, signal);
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= retries;
      try {
        const result = await prev(method, payload, signal);
        if (result.ok || result.error_code < 500 || last) return result;
      } catch (error) {
        if (!(error instanceof HttpError) || last || signal?.aborted) throw error;
      }
      // grammY types signals with the abort-controller polyfill; at run time they are Node's own.
      await pause(Math.min(maxDelayMs, baseDelayMs * 2 ** attempt), signal as AbortSignal | undefined, stopping);
    }
  };
}

function pause(ms: number, ...signals: Array<AbortSignal | undefined>): Promise<void> {
  return new Promise((resolve, reject) => {
    const active = signals.filter((s): s is AbortSignal => s !== undefined);
    const stop = () => {
      clearTimeout(timer);
      reject(new Error('Telegram request abandoned while waiting to retry: the bot is stopping'));
    };
    const timer = setTimeout(() => {
      for (const s of active) s.removeEventListener('abort', stop);
      resolve();
    }, ms);
    for (const s of active) {
      if (s.aborted) return stop();
      s.addEventListener('abort', stop, { once: true });
    }
  });
}
