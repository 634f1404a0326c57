import { Worker } from 'node:worker_threads';
import { encodeDocument, WORKER_SETTINGS } from './documents.js';

/** Below this many documents a batch is encoded on the calling thread: a round trip costs more than it saves. */
const PARALLEL_FROM = 200;

// The worker is a plain script (no TypeScript loader in worker threads): it encodes as encodeDocument does,
// with the same settings, and sends all of a request's documents back in one transferred buffer.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { deflateRawSync } = require('node:zlib');
const options = { ...workerData.deflate, dictionary: Buffer.from(workerData.dictionary) };
parentPort.on('message', ({ id, texts }) => {
  try {
    const parts = texts.map((text) => deflateRawSync(text, options));
    const ends = new Uint32Array(parts.length);
    let size = 0;
    parts.forEach((p, i) => (ends[i] = size += p.length + 1));
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out[at] = workerData.format;
      out.set(p, at + 1);
      at += p.length + 1;
    }
    parentPort.postMessage({ id, out, ends }, [out.buffer, ends.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.stack || error) });
  }
});
`;

interface Reply {
  id: number;
  out?: Uint8Array;
  ends?: Uint32Array;
  error?: string;
}

/**
 * Encodes documents (documents.ts) for a batch write, on two cores: compressing is most of the cost of
 * storing an article, so for a large batch a worker thread takes the first half while the calling thread
 * does the second. The worker starts with the first large batch and does not keep the process alive.
 */
export class DocumentEncoder {
  private worker: Worker | undefined;
  private online = false;
  private unavailable = false;
  private closed = false;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (docs: Buffer[]) => void; reject: (error: Error) => void }>();

  async encode(texts: readonly string[]): Promise<Buffer[]> {
    // The first large batch starts the worker and does not wait for it: starting takes tens of milliseconds,
    // more than it would save on that batch. Later ones share the work once it is up.
    const worker = texts.length >= PARALLEL_FROM ? this.start() : undefined;
    if (!worker || !this.online) return texts.map(encodeDocument);
    const half = Math.ceil(texts.length / 2);
    const id = this.next++;
    const first = new Promise<Buffer[]>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // Referenced while it owes an answer: otherwise a process with nothing else to wait for would exit.
    worker.ref();
    worker.postMessage({ id, texts: texts.slice(0, half) });
    const second = texts.slice(half).map(encodeDocument);
    let firstDocs: Buffer[];
    try {
      firstDocs = await first;
    } catch (error) {
      if (this.closed) throw error;
      // The worker failed: this thread does its half too.
      firstDocs = texts.slice(0, half).map(encodeDocument);
    }
    return [...firstDocs, ...second];
  }

  /** Resolves once the worker can take work (true), or when there will be none (false). */
  whenOnline(): Promise<boolean> {
    const worker = this.worker;
    if (this.online || !worker) return Promise.resolve(this.online);
    // Referenced while waited for, as while it owes an answer.
    worker.ref();
    return new Promise((resolve) => {
      const done = (online: boolean) => {
        if (this.pending.size === 0) worker.unref();
        resolve(online);
      };
      worker.once('online', () => done(true));
      worker.once('exit', () => done(false));
    });
  }

  /** Stops the worker; encodes still waiting for it fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.unavailable = true;
    this.online = false;
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error('SQLite storage: closed while encoding documents'));
    await worker?.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker || this.unavailable) return this.worker;
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: WORKER_SETTINGS });
      worker.on('online', () => (this.online = true));
      worker.on('message', (reply: Reply) => this.settle(reply));
      // A worker that fails is not restarted: everything is encoded on the calling thread from then on.
      worker.on('error', (error) => this.stop(error));
      worker.on('exit', (code) => this.stop(new Error(`document encoder exited with code ${code}`)));
      // After the listeners: adding a 'message' listener references the worker's port again.
      worker.unref();
      this.worker = worker;
    } catch {
      this.unavailable = true;
    }
    return this.worker;
  }

  private settle({ id, out, ends, error }: Reply): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    if (error !== undefined || !out || !ends) {
      waiting.reject(new Error(`document encoder: ${error ?? 'no result'}`));
      return;
    }
    const all = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    const docs: Buffer[] = [];
    let from = 0;
    for (const end of ends) {
      docs.push(all.subarray(from, end));
      from = end;
    }
    waiting.resolve(docs);
  }

  private stop(error: Error): void {
    this.unavailable = true;
    this.online = false;
    this.worker = undefined;
    this.fail(error);
  }

  private fail(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
