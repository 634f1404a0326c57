import { parentPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { ParseResult } from './ingest.js';
import { silentLogger, type Logger } from './logger.js';

/** Parses one seed file's bytes; `parseSeedFile` is the real one. */
export type ParseFn = (source: string, bytes: Buffer) => ParseResult;

export interface ParsePoolOptions {
  /** Worker threads; at least 1. */
  size: number;
  /** A file whose parse takes longer is rejected and its worker replaced. */
  timeLimitMs: number;
  /** The module each worker runs; it must call `serveParseJobs`. TypeScript (`.ts`) is loaded through tsx. */
  workerUrl: URL;
  /** Used on this thread for every file when the workers cannot start, so ingest still works. */
  fallback: ParseFn;
  logger?: Logger;
}

interface JobMessage {
  id: number;
  source: string;
  bytes: Uint8Array;
}
type WorkerMessage = { ready: true } | { results: { id: number; result: ParseResult }[] };

// Files go to a worker, and come back, in batches: one message per file costs more than a small file's parse.
const BATCH = 16;
// Files handed to one worker and not answered yet: enough to keep it busy while the main thread writes
// a batch of articles to the store (tens of ms), few enough to spread the work evenly.
const MAX_IN_FLIGHT = 16 * BATCH;

interface BootData {
  entry: string;
  /** tsx's ESM API, when the entry is TypeScript. */
  loader: string | undefined;
  epoch: number;
  /** Int32Array: [id of the job being parsed or -1, its start in ms after `epoch`]. */
  clock: SharedArrayBuffer;
}

interface Job {
  id: number;
  source: string;
  bytes: Buffer;
  resolve: (result: ParseResult) => void;
  done: boolean;
}

interface Thread {
  worker: Worker;
  clock: Int32Array;
  /** Jobs posted to this worker and not answered yet, in the order it takes them. */
  jobs: Map<number, Job>;
  ready: boolean;
  retired: boolean;
}

const IDLE = -1;

// Node 20 applies neither `--import` in a worker's execArgv nor the parent's module.register() hooks to
// worker threads, so a TypeScript entry gets tsx registered from plain JavaScript first.
const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.loader) (await import(workerData.loader)).register();
  await import(workerData.entry);
})();`;

/** Wall-clock milliseconds that mean the same in every thread of the process. */
const now = () => performance.timeOrigin + performance.now();

/**
 * Parses seed files on worker threads. Each file's result comes back through its own promise, so the
 * caller decides the order results are used in. A file whose parse runs past the time limit is rejected
 * ("took longer than 5 s to parse"), its worker terminated and replaced; the files queued behind it
 * are handed to the other workers. If the workers cannot start at all, everything is parsed on this
 * thread with `fallback`. Always `close()` it.
 */
export class ParsePool {
  private readonly threads: Thread[] = [];
  /** Files not yet handed to a worker, oldest first. */
  private queue: Job[] = [];
  /** Set by flush(): hand over part batches too, because the caller is waiting. */
  private eager = false;
  private flushing: NodeJS.Immediate | undefined;
  private readonly options: ParsePoolOptions;
  private readonly logger: Logger;
  private readonly epoch = now();
  private readonly watchdog: NodeJS.Timeout;
  private nextId = 0;
  private broken = false;

  constructor(options: ParsePoolOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    for (let i = 0; i < Math.max(1, options.size); i++) this.threads.push(this.spawn());
    const every = Math.max(10, Math.min(1000, options.timeLimitMs / 4));
    this.watchdog = setInterval(() => this.enforceTimeLimit(), every);
    this.watchdog.unref();
  }

  parse(source: string, bytes: Buffer): Promise<ParseResult> {
    if (this.broken) return Promise.resolve(this.options.fallback(source, bytes));
    this.eager = false;
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, source, bytes, resolve, done: false });
      this.pump();
      // A part batch goes out as soon as the caller yields, e.g. to wait for a result.
      this.flushing ??= setImmediate(() => this.flush());
    });
  }

  /** Stops every worker; results still outstanding never arrive. */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    if (this.flushing) clearImmediate(this.flushing);
    await Promise.all(this.threads.splice(0).map((thread) => this.retire(thread)));
  }

  private spawn(): Thread {
    const entry = this.options.workerUrl.href;
    const clock = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const boot: BootData = {
      entry,
      loader: /\.[cm]?ts$/.test(this.options.workerUrl.pathname) ? import.meta.resolve('tsx/esm/api') : undefined,
      epoch: this.epoch,
      clock,
    };
    const thread: Thread = {
      worker: new Worker(BOOT, { eval: true, workerData: boot }),
      clock: new Int32Array(clock),
      jobs: new Map(),
      ready: false,
      retired: false,
    };
    Atomics.store(thread.clock, 0, IDLE);
    thread.worker.on('message', (message: WorkerMessage) => this.onMessage(thread, message));
    thread.worker.on('error', (error) => this.onFailure(thread, error));
    thread.worker.on('exit', (code) => this.onFailure(thread, new Error(`parse worker exited with code ${code}`)));
    return thread;
  }

  /** Hands every queued file to a worker now, as far as they have room. */
  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    this.eager = true;
    this.pump();
  }

  /** Posts batches from the queue to workers with room for them. */
  private pump(): void {
    while (this.queue.length > 0 && (this.eager || this.queue.length >= BATCH)) {
      let thread: Thread | undefined;
      for (const t of this.threads) if (t.jobs.size < MAX_IN_FLIGHT && (!thread || t.jobs.size < thread.jobs.size)) thread = t;
      if (!thread) return;
      const batch = this.queue.splice(0, Math.min(BATCH, MAX_IN_FLIGHT - thread.jobs.size));
      for (const job of batch) thread.jobs.set(job.id, job);
      // Copied, not transferred: the bytes are needed again if this worker has to be replaced.
      thread.worker.postMessage(batch.map(({ id, source, bytes }): JobMessage => ({ id, source, bytes })));
    }
  }

  private onMessage(thread: Thread, message: WorkerMessage): void {
    if ('ready' in message) {
      thread.ready = true;
      return;
    }
    for (const { id, result } of message.results) {
      const job = thread.jobs.get(id);
      thread.jobs.delete(id);
      if (job) finish(job, result);
    }
    this.pump();
  }

  private onFailure(thread: Thread, error: Error): void {
    if (thread.retired) return;
    const index = this.threads.indexOf(thread);
    if (index !== -1) this.threads.splice(index, 1);
    void this.retire(thread);
    if (!thread.ready) {
      // Nothing was parsed: the worker could not load (no tsx, a broken install). Parse here instead.
      this.logger.warn({ err: error }, 'parse workers could not start; parsing on the main thread');
      this.broken = true;
      const orphans = [...thread.jobs.values(), ...this.threads.flatMap((t) => [...t.jobs.values()]), ...this.queue];
      this.queue = [];
      for (const t of this.threads.splice(0)) void this.retire(t);
      for (const job of orphans) if (!job.done) finish(job, this.options.fallback(job.source, job.bytes));
      return;
    }
    const current = thread.jobs.get(Atomics.load(thread.clock, 0));
    if (current) {
      this.logger.warn({ err: error, file: current.source }, 'parse worker stopped');
      finish(current, { ok: false, reason: `could not parse: the parser stopped (${firstLine(error.message)})` });
    }
    this.replace(thread);
  }

  private enforceTimeLimit(): void {
    const at = now();
    for (const thread of [...this.threads]) {
      const id = Atomics.load(thread.clock, 0);
      if (id === IDLE) continue;
      const started = this.epoch + Atomics.load(thread.clock, 1);
      const job = thread.jobs.get(id);
      if (!job || at - started <= this.options.timeLimitMs) continue;
      this.threads.splice(this.threads.indexOf(thread), 1);
      void this.retire(thread);
      this.logger.warn({ file: job.source, limitMs: this.options.timeLimitMs }, 'seed file parse timed out; worker replaced');
      finish(job, { ok: false, reason: `took longer than ${formatLimit(this.options.timeLimitMs)} to parse` });
      this.replace(thread);
    }
  }

  /** A fresh worker takes the place of one that stopped; the files it still had go first to the others. */
  private replace(thread: Thread): void {
    if (this.broken) return;
    this.threads.push(this.spawn());
    this.queue.unshift(...[...thread.jobs.values()].filter((job) => !job.done));
    thread.jobs.clear();
    this.flush();
  }

  private async retire(thread: Thread): Promise<void> {
    if (thread.retired) return;
    thread.retired = true;
    thread.worker.removeAllListeners('message');
    await thread.worker.terminate();
  }
}

function finish(job: Job, result: ParseResult): void {
  if (job.done) return;
  job.done = true;
  job.resolve(result);
}

const formatLimit = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const firstLine = (s: string) => s.split('\n', 1)[0]!.slice(0, 200);

/**
 * The worker side: answers each file the pool posts with `parse`'s result, one at a time, recording
 * which file it is on so the pool can tell a parse that hangs. Call it once from the worker module.
 */
export function serveParseJobs(parse: ParseFn): void {
  const port = parentPort;
  if (!port) throw new Error('serveParseJobs: not running in a worker thread');
  const { epoch, clock: shared } = workerData as BootData;
  const clock = new Int32Array(shared);
  port.on('message', (jobs: JobMessage[]) => {
    const results = jobs.map((job) => {
      const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
      // Start time first: the pool reads the id, then the start, and must never pair a new id with an old start.
      Atomics.store(clock, 1, Math.round(now() - epoch));
      Atomics.store(clock, 0, job.id);
      let result: ParseResult;
      try {
        result = parse(job.source, bytes);
      } catch (error) {
        result = { ok: false, reason: `could not parse: ${firstLine(error instanceof Error ? error.message : String(error))}` };
      }
      Atomics.store(clock, 0, IDLE);
      return { id: job.id, result };
    });
    port.postMessage({ results } satisfies WorkerMessage);
  });
  port.postMessage({ ready: true } satisfies WorkerMessage);
}
