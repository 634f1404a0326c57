import os from 'node:os';
import path from 'node:path';
import type { ArticleSource, Logger, SourceItem, SourceItemRecord, SourceProblem, SourceRead } from '../../../src/index.js';
import { silentLogger } from '../../../src/index.js';
import { ParsePool, type ParserModule } from '../parse-pool.js';
import { assertFolder, isSeedFileName, listSeedFiles, readSeedFile } from './files.js';
import { sha256 } from './hash.js';
import { parseSeedFile, type ParseResult } from './parse.js';
import { RejectionMemory, type RejectionReason } from './rejection-memory.js';

export interface SeedFolderOptions {
  /** Larger files are rejected without being read. Default 1 MiB. */
  maxFileBytes?: number;
  /** A folder with more seed files than this is refused (open throws). Default: no limit. */
  maxFiles?: number;
  /**
   * Worker threads that parse and validate files when a run has `workerThreshold` or more to parse.
   * Default `os.availableParallelism()`; 0 parses everything on the calling thread.
   */
  workers?: number;
  /** Files to parse from which a run uses worker threads. Default `WORKER_THRESHOLD`. */
  workerThreshold?: number;
  /** On workers, a file whose parse takes longer is rejected and its worker replaced. Default 5 s. */
  parseTimeLimitMs?: number;
  /**
   * In a run too small for the worker pool, larger files are still parsed on a worker thread, so the time
   * limit holds for them and no file can hold up this thread for long. Default `MAIN_THREAD_MAX_BYTES`.
   * Has no effect with `workers: 0`.
   */
  mainThreadMaxBytes?: number;
  /**
   * Remembers rejected files by content hash, so a rescan reports an unchanged bad file again without
   * parsing it. Default: one memory shared by every run in this process.
   */
  rejections?: RejectionMemory;
  /** The parse function worker threads run; tests substitute one that hangs. Default `parseSeedFile`. */
  workerParser?: ParserModule;
  logger?: Logger;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_PARSE_TIME_LIMIT_MS = 5000;
/**
 * Below this many files to parse, parsing on the calling thread is faster: starting a worker (tsx, zod,
 * js-yaml) and warming its JIT costs about half a second, which two cores win back only after a few
 * thousand files.
 */
export const WORKER_THRESHOLD = 4000;
/**
 * Files up to this size are parsed on the calling thread in small runs: every step of the parse is linear,
 * so 256 KiB of the worst input found costs tens of milliseconds. The largest real seed files seen are
 * about 140 KB. Larger ones go to a worker, where the time limit applies.
 */
export const MAIN_THREAD_MAX_BYTES = 256 * 1024;

// parse.ts beside this module: .ts under tsx and vitest, .js if ever compiled.
const SEED_PARSER: ParserModule = {
  url: new URL(`./parse${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url),
  exportName: parseSeedFile.name,
};

const processRejections = new RejectionMemory();

/**
 * The seed folder as a source of articles: every `.md` and `.txt` file under `dir`, at any depth, named by
 * its path relative to `dir`. Files are read and hashed on the calling thread; when a run has
 * `workerThreshold` files to parse, parsing and validation move to worker threads, and items still come
 * in path order whichever worker finishes first.
 */
export function seedFolderSource(dir: string, options: SeedFolderOptions = {}): ArticleSource {
  const root = path.resolve(dir);
  return {
    kind: 'seed-folder',
    name: root,
    // Another source's items (a feed's `feed:…` names) never end in .md or .txt.
    owns: isSeedFileName,
    async open(known, { signal } = {}) {
      signal?.throwIfAborted();
      await assertFolder(root);
      const problems: SourceProblem[] = [];
      const skipped: SourceProblem[] = [];
      const names = await listSeedFiles(root, problems, options.maxFiles, skipped);
      return new FolderRead(root, names, problems, skipped, known, options, signal);
    },
  };
}

/** One listed file on its way out of the source. */
type Slot =
  | { kind: 'unreadable'; name: string; reason: string }
  | { kind: 'unchanged'; name: string; hash: string }
  | { kind: 'known-bad'; name: string; hash: string; rejection: RejectionReason }
  | ParseSlot;
interface ParseSlot {
  kind: 'parse';
  name: string;
  /** Known here only when the file was stored before; else it comes from the parse. */
  hash: string | undefined;
  bytes: Buffer;
  pending?: Promise<void>;
  outcome?: ParseResult;
}

class FolderRead implements SourceRead {
  private pool: ParsePool<ParseResult> | undefined;
  // One worker for the few large files of a run that parses the rest here.
  private largeFilePool: ParsePool<ParseResult> | undefined;

  constructor(
    private readonly root: string,
    readonly names: readonly string[],
    readonly problems: readonly SourceProblem[],
    readonly skipped: readonly SourceProblem[],
    private readonly known: ReadonlyMap<string, SourceItemRecord>,
    private readonly options: SeedFolderOptions,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async *items(): AsyncGenerator<SourceItem> {
    const { root, names, known, options, signal } = this;
    const logger = options.logger ?? silentLogger;
    const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const workers = options.workers ?? os.availableParallelism();
    const threshold = Math.max(1, options.workerThreshold ?? WORKER_THRESHOLD);
    const mainThreadMaxBytes = options.mainThreadMaxBytes ?? MAIN_THREAD_MAX_BYTES;
    const memory = options.rejections ?? processRejections;

    // Files in path order, from the first not yet yielded (`head`); parse outcomes may arrive out of order.
    const queue: (Slot | undefined)[] = [];
    let head = 0;
    // Files to parse seen before the run knows whether it is worth starting workers.
    let held: ParseSlot[] = [];
    let inFlight = 0;
    // Read ahead while the workers are busy (the core writes batches meanwhile), but not unboundedly.
    const window = Math.min(8192, 512 * workers);

    const newPool = (size: number) =>
      new ParsePool<ParseResult>({
        size,
        timeLimitMs: options.parseTimeLimitMs ?? DEFAULT_PARSE_TIME_LIMIT_MS,
        parser: options.workerParser ?? SEED_PARSER,
        fallback: parseSeedFile,
        failed: (reason) => ({ ok: false, reason }),
        logger,
      });

    const startPool = () => {
      this.pool = newPool(workers);
      logger.debug({ workers }, 'parsing seed files on worker threads');
    };

    const dispatch = (slot: ParseSlot) => {
      let target = this.pool;
      if (!target && workers >= 1 && slot.bytes.length > mainThreadMaxBytes) target = this.largeFilePool ??= newPool(1);
      if (!target) {
        slot.outcome = parseSeedFile(slot.name, slot.bytes);
        return;
      }
      inFlight++;
      slot.pending = target.parse(slot.name, slot.bytes).then((outcome) => {
        inFlight--;
        slot.outcome = outcome;
      });
    };

    /** Yields the files at the head of the queue whose outcome is known; waits for one only when asked to. */
    async function* drain(wait: (inFlight: number) => boolean): AsyncGenerator<SourceItem> {
      while (head < queue.length) {
        const slot = queue[head]!;
        if (slot.kind === 'parse' && slot.outcome === undefined) {
          if (slot.pending === undefined || !wait(inFlight)) return;
          await slot.pending;
        }
        queue[head++] = undefined;
        yield toItem(slot, memory);
      }
      queue.length = 0;
      head = 0;
    }

    const decided = () => this.pool !== undefined || workers < 1;
    try {
      // Files never stored before are certain to need a parse: enough of them, and the workers start now,
      // while the files are read.
      if (!decided() && names.filter((name) => !known.has(name)).length >= threshold) startPool();
      for (const name of names) {
        signal?.throwIfAborted();
        const slot = readSlot(root, name, maxFileBytes, known, memory);
        queue.push(slot);
        if (slot.kind === 'parse') {
          if (decided()) {
            dispatch(slot);
          } else {
            held.push(slot);
            if (held.length >= threshold) {
              startPool();
              held.forEach(dispatch);
              held = [];
            }
          }
        }
        yield* drain((n) => n >= window);
      }
      // Too few files to parse for workers to pay off.
      held.forEach(dispatch);
      yield* drain(() => true);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool?.close(), this.largeFilePool?.close()]);
  }
}

/** Reads one file: it is unreadable, unchanged since the last run, rejected before as it is, or to be parsed. */
function readSlot(
  root: string,
  name: string,
  maxBytes: number,
  known: ReadonlyMap<string, SourceItemRecord>,
  memory: RejectionMemory,
): Slot {
  const file = readSeedFile(root, name, maxBytes);
  if (!file.ok) return { kind: 'unreadable', name, reason: file.reason };
  const prev = known.get(name);
  // New files are hashed by the parse (the article's contentHash), on a worker when there are many.
  if (!prev) return { kind: 'parse', name, hash: undefined, bytes: file.bytes };
  const hash = sha256(file.bytes);
  if (prev.contentHash === hash) {
    if (prev.articleId !== null) return { kind: 'unchanged', name, hash };
    // Rejected or a duplicate last time: only a known rejection skips the parse.
    const rejection = memory.get(hash);
    if (rejection) return { kind: 'known-bad', name, hash, rejection };
  }
  return { kind: 'parse', name, hash, bytes: file.bytes };
}

/** What a file's slot says, as the core takes it; a parse rejection is remembered by content hash. */
function toItem(slot: Slot, memory: RejectionMemory): SourceItem {
  const name = slot.name;
  if (slot.kind === 'unreadable') return { kind: 'rejected', name, reason: slot.reason };
  if (slot.kind === 'known-bad') return { kind: 'rejected', name, contentHash: slot.hash, ...slot.rejection };
  if (slot.kind === 'unchanged') return { kind: 'unchanged', name, contentHash: slot.hash };
  const parsed = slot.outcome!;
  const hash = slot.hash ?? (parsed.ok ? parsed.article.contentHash : sha256(slot.bytes));
  if (!parsed.ok) {
    const rejection = { ...(parsed.field ? { field: parsed.field } : {}), reason: parsed.reason };
    memory.set(hash, rejection);
    return { kind: 'rejected', name, contentHash: hash, ...rejection };
  }
  const { article, warnings } = parsed;
  return warnings ? { kind: 'parsed', name, contentHash: hash, article, warnings } : { kind: 'parsed', name, contentHash: hash, article };
}
