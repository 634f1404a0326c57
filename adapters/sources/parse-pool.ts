import { parentPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../../src/index.js';

/** Parses one item's bytes; what it returns must survive structured cloning (plain data). */
export type ParseFn<T> = (name: string, bytes: Buffer) => T;

/** A parse function workers can load: the export `exportName` of the module at `url`. */
export interface ParserModule {
  /** TypeScript (`.ts`) is loaded through tsx. */
  url: URL;
  exportName: string;
}

export interface ParsePoolOptions<T> {
  /** Worker threads; at least 1. */
  size: number;
  /** An item whose parse takes longer gets `failed(...)` and its worker is replaced. */
  timeLimitMs: number;
  /** The parse function each worker runs. */
  parser: ParserModule;
  /** The same function on this thread: used for every item when the workers cannot start, so ingest still works. */
  fallback: ParseFn<T>;
  /** The result of an item whose parse failed in the pool rather than in the parser: too slow, or its worker stopped. */
  failed: (reason: string) => T;
  logger?: Logger;
}

interface JobMessage {
  id: number;
  name: string;
  bytes: Uint8Array;
}
/** A job's answer: the parse function's result, or the message of what it threw. */
type JobAnswer<T> = { id: number; result: T } | { id: number; thrown: string };
type WorkerMessage<T> = { ready: true } | { results: JobAnswer<T>[] };

// Items go to a worker, and come back, in batches: one message per item costs more than a small file's parse.
const BATCH = 16;
// Items handed to one worker and not answered yet: enough to keep it busy while the main thread writes
// a batch of articles to the store (tens of ms), few enough to spread the work evenly.
const MAX_IN_FLIGHT = 16 * BATCH;

interface BootData {
  /** This module, which serves the jobs. */
  pool: string;
  parser: string;
  exportName: string;
  /** tsx's ESM API, when a module is TypeScript. */
  loader: string | undefined;
  epoch: number;
  /** Int32Array: [id of the job being parsed or -1, its start in ms after `epoch`]. */
  clock: SharedArrayBuffer;
}

interface Job<T> {
  id: number;
  name: string;
  bytes: Buffer;
  resolve: (result: T) => void;
  done: boolean;
}

interface Thread<T> {
  worker: Worker;
  clock: Int32Array;
  /** Jobs posted to this worker and not answered yet, in the order it takes them. */
  jobs: Map<number, Job<T>>;
  ready: boolean;
  retired: boolean;
}

const IDLE = -1;

// Node 20 applies neither `--import` in a worker's execArgv nor the parent's module.register() hooks to
// worker threads, so TypeScript modules get tsx registered from plain JavaScript first. A module without
// the named function fails here, before the worker is ready: the pool then parses on the calling thread.
const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.loader) (await import(workerData.loader)).register();
  const [pool, parser] = await Promise.all([import(workerData.pool), import(workerData.parser)]);
  const parse = parser[workerData.exportName];
  if (typeof parse !== 'function') throw new Error(workerData.parser + ' exports no function ' + workerData.exportName);
  pool.serveParseJobs(parse);
})();`;

const isTypeScript = (url: string) => /\.[cm]?ts$/.test(new URL(url).pathname);

/** Wall-clock milliseconds that mean the same in every thread of the process. */
const now = () => performance.timeOrigin + performance.now();

/**
 * Parses items on worker threads, with a parse function the workers load by module URL. Each item's
 * result comes back through its own promise, so the caller decides the order results are used in. An
 * item whose parse runs past the time limit gets `failed("took longer than 5 s to parse")`, its worker
 * is terminated and replaced, and the items queued behind it are handed to the other workers. If the
 * workers cannot start at all, everything is parsed on this thread with `fallback`. Always `close()` it.
 */
export class ParsePool<T> {
  private readonly threads: Thread<T>[] = [];
  /** Items not yet handed to a worker, oldest first. */
  private queue: Job<T>[] = [];
  /** Set by flush(): hand over part batches too, because the caller is waiting. */
  private eager = false;
  private flushing: NodeJS.Immediate | undefined;
  private readonly options: ParsePoolOptions<T>;
  private readonly logger: Logger;
  private readonly epoch = now();
  private readonly watchdog: NodeJS.Timeout;
  private nextId = 0;
  private broken = false;

  constructor(options: ParsePoolOptions<T>) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    for (let i = 0; i < Math.max(1, options.size); i++) this.threads.push(this.spawn());
    const every = Math.max(10, Math.min(1000, options.timeLimitMs / 4));
    this.watchdog = setInterval(() => this.enforceTimeLimit(), every);
    this.watchdog.unref();
  }

  parse(name: string, bytes: Buffer): Promise<T> {
    if (this.broken) return Promise.resolve(this.options.fallback(name, bytes));
    this.eager = false;
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, name, bytes, resolve, done: false });
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

  private spawn(): Thread<T> {
    const { url, exportName } = this.options.parser;
    const clock = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const boot: BootData = {
      pool: import.meta.url,
      parser: url.href,
      exportName,
      loader: isTypeScript(import.meta.url) || isTypeScript(url.href) ? import.meta.resolve('tsx/esm/api') : undefined,
      epoch: this.epoch,
      clock,
    };
    const thread: Thread<T> = {
      worker: new Worker(BOOT, { eval: true, workerData: boot }),
      clock: new Int32Array(clock),
      jobs: new Map(),
      ready: false,
      retired: false,
    };
    Atomics.store(thread.clock, 0, IDLE);
    thread.worker.on('message', (message: WorkerMessage<T>) => this.onMessage(thread, message));
    thread.worker.on('error', (error) => this.onFailure(thread, error));
    thread.worker.on('exit', (code) => this.onFailure(thread, new Error(`parse worker exited with code ${code}`)));
    return thread;
  }

  /** Hands every queued item to a worker now, as far as they have room. */
  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    this.eager = true;
    this.pump();
  }

  /** Posts batches from the queue to workers with room for them. */
  private pump(): void {
    while (this.queue.length > 0 && (this.eager || this.queue.length >= BATCH)) {
      let thread: Thread<T> | undefined;
      for (const t of this.threads) if (t.jobs.size < MAX_IN_FLIGHT && (!thread || t.jobs.size < thread.jobs.size)) thread = t;
      if (!thread) return;
      const batch = this.queue.splice(0, Math.min(BATCH, MAX_IN_FLIGHT - thread.jobs.size));
      for (const job of batch) thread.jobs.set(job.id, job);
      // Copied, not transferred: the bytes are needed again if this worker has to be replaced.
      thread.worker.postMessage(batch.map(({ id, name, bytes }): JobMessage => ({ id, name, bytes })));
    }
  }

  private onMessage(thread: Thread<T>, message: WorkerMessage<T>): void {
    if ('ready' in message) {
      thread.ready = true;
      return;
    }
    for (const answer of message.results) {
      const job = thread.jobs.get(answer.id);
      thread.jobs.delete(answer.id);
      if (job) finish(job, 'thrown' in answer ? this.options.failed(`could not parse: ${answer.thrown}`) : answer.result);
    }
    this.pump();
  }

  private onFailure(thread: Thread<T>, error: Error): void {
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
      for (const job of orphans) if (!job.done) finish(job, this.options.fallback(job.name, job.bytes));
      return;
    }
    const current = thread.jobs.get(Atomics.load(thread.clock, 0));
    if (current) {
      this.logger.warn({ err: error, item: current.name }, 'parse worker stopped');
      finish(current, this.options.failed(`could not parse: the parser stopped (${firstLine(error.message)})`));
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
      this.logger.warn({ item: job.name, limitMs: this.options.timeLimitMs }, 'parse timed out; worker replaced');
      finish(job, this.options.failed(`took longer than ${formatLimit(this.options.timeLimitMs)} to parse`));
      this.replace(thread);
    }
  }

  /** A fresh worker takes the place of one that stopped; the items it still had go first to the others. */
  private replace(thread: Thread<T>): void {
    if (this.broken) return;
    this.threads.push(this.spawn());
    this.queue.unshift(...[...thread.jobs.values()].filter((job) => !job.done));
    thread.jobs.clear();
    this.flush();
  }

  private async retire(thread: Thread<T>): Promise<void> {
    if (thread.retired) return;
    thread.retired = true;
    thread.worker.removeAllListeners('message');
    await thread.worker.terminate();
  }
}

function finish<T>(job: Job<T>, result: T): void {
  if (job.done) return;
  job.done = true;
  job.resolve(result);
}

const formatLimit = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const firstLine = (s: string) => s.split('\n', 1)[0]!.slice(0, 200);

/**
 * The worker side, called by the pool's boot code with the loaded parse function: answers each item the
 * pool posts, one at a time, recording which item it is on so the pool can tell a parse that hangs. What
 * a parse throws becomes `failed("could not parse: …")` on the pool's side.
 */
export function serveParseJobs(parse: ParseFn<unknown>): void {
  const port = parentPort;
  if (!port) throw new Error('serveParseJobs: not running in a worker thread');
  const { epoch, clock: shared } = workerData as BootData;
  const clock = new Int32Array(shared);
  port.on('message', (jobs: JobMessage[]) => {
    const results = jobs.map((job): JobAnswer<unknown> => {
      const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
      // Start time first: the pool reads the id, then the start, and must never pair a new id with an old start.
      Atomics.store(clock, 1, Math.round(now() - epoch));
      Atomics.store(clock, 0, job.id);
      try {
        return { id: job.id, result: parse(job.name, bytes) };
      } catch (error) {
        return { id: job.id, thrown: firstLine(error instanceof Error ? error.message : String(error)) };
      } finally {
        Atomics.store(clock, 0, IDLE);
      }
    });
    port.postMessage({ results } satisfies WorkerMessage<unknown>);
  });
  port.postMessage({ ready: true } satisfies WorkerMessage<unknown>);
}
