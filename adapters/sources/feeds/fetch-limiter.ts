/** The timer functions the limiter uses; tests pass a fake clock. */
export interface LimiterTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HostLimiterOptions {
  /** Requests to one host at the same time (default 2). */
  perHost?: number;
  /** Least time between the starts of two requests to one host, in ms (default 1000). */
  spacingMs?: number;
  /** Requests waiting for one host before more are refused (default 1000). */
  maxQueuedPerHost?: number;
  timers?: LimiterTimers;
}

/** `run` refused a request because too many were already waiting for its host. */
export class HostQueueFullError extends Error {
  constructor(readonly host: string, readonly limit: number) {
    super(`HostLimiter.run: ${limit} requests are already waiting for ${host}`);
    this.name = 'HostQueueFullError';
  }
}

interface Waiting {
  start: () => void;
  cancel?: () => void;
}

interface HostState {
  active: number;
  /** When the last request to this host started; -Infinity before the first. */
  lastStart: number;
  queue: Waiting[];
  /** A pending wake-up: the next start once spacing allows, or forgetting the host once it is idle. */
  timer: unknown;
}

const systemTimers: LimiterTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Politeness towards feed servers: at most `perHost` requests in flight to one host, and at least
 * `spacingMs` between the starts of two of them; hosts are independent of each other. A host is forgotten
 * once it has nothing running or waiting and its spacing has passed, so memory follows the hosts in use,
 * not every host ever seen. Requests to one host start in the order `run` was called.
 */
export class HostLimiter {
  private readonly perHost: number;
  private readonly spacingMs: number;
  private readonly maxQueued: number;
  private readonly timers: LimiterTimers;
  private readonly hosts = new Map<string, HostState>();

  constructor(options: HostLimiterOptions = {}) {
    this.perHost = Math.max(1, Math.floor(options.perHost ?? 2));
    this.spacingMs = Math.max(0, options.spacingMs ?? 1000);
    this.maxQueued = Math.max(1, Math.floor(options.maxQueuedPerHost ?? 1000));
    this.timers = options.timers ?? systemTimers;
  }

  /** Hosts currently remembered (running, waiting, or within their spacing); for tests and metrics. */
  get trackedHosts(): number {
    return this.hosts.size;
  }

  /**
   * Runs `fn` when `url`'s host has a free slot and its spacing has passed; settles as `fn` does. Aborting
   * `signal` while the request still waits takes it out of the queue and rejects with the signal's reason.
   */
  run<T>(url: string, fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = hostKey(url);
    let state = this.hosts.get(key);
    if (!state) {
      state = { active: 0, lastStart: -Infinity, queue: [], timer: null };
      this.hosts.set(key, state);
    }
    const host = state;
    // A new host has an empty queue, so a refusal never leaves an unused entry behind.
    if (host.queue.length >= this.maxQueued) return Promise.reject(new HostQueueFullError(key, this.maxQueued));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const index = host.queue.indexOf(waiting);
        if (index !== -1) host.queue.splice(index, 1);
        reject(signal!.reason);
        this.pump(key, host);
      };
      const waiting: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          new Promise<T>((settle) => settle(fn()))
            .then(resolve, reject)
            .finally(() => {
              host.active -= 1;
              this.pump(key, host);
            });
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      host.queue.push(waiting);
      this.pump(key, host);
    });
  }

  /** Starts what may start now, and arranges a wake-up for the rest (or for forgetting an idle host). */
  private pump(key: string, host: HostState): void {
    if (host.timer !== null) return;
    for (;;) {
      const wait = host.lastStart + this.spacingMs - this.timers.now();
      const idle = host.active === 0 && host.queue.length === 0;
      if (idle && wait <= 0) {
        if (this.hosts.get(key) === host) this.hosts.delete(key);
        return;
      }
      if (!idle && (host.queue.length === 0 || host.active >= this.perHost)) return;
      if (wait > 0) {
        host.timer = this.timers.setTimeout(() => {
          host.timer = null;
          this.pump(key, host);
        }, wait);
        return;
      }
      const next = host.queue.shift()!;
      host.active += 1;
      host.lastStart = this.timers.now();
      next.start();
    }
  }
}

/** Requests are paced per host name (any port), lower case, without a trailing dot. */
function hostKey(url: string): string {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host.endsWith('.') ? host.slice(0, -1) : host;
  } catch {
    return url.slice(0, 256);
  }
}
