/**
 * One ingest at a time, whatever the source. The core's `ingest` reads every remembered source item once
 * at the start of a run and decides duplicates against that picture, so two runs that overlap (a seed
 * rescan and a feed poll, two feeds carrying one article) could each keep their own copy. Every ingest of
 * a process goes through one lane; with several processes on one database the lane also holds a lock that
 * the processes share (on Postgres, a session advisory lock: `advisoryMutex`).
 */

/** A lock the lane holds while it runs work; `lost` turns true when it went away on its own (a dropped connection). */
export interface HeldLock {
  readonly lost: boolean;
  release(): Promise<void>;
}

/** Takes a lock shared with other processes, waiting as long as another holds it. */
export type AcquireLock = () => Promise<HeldLock>;

export interface IngestLaneOptions {
  /** The cross-process lock; without it the lane only keeps this process's ingests apart. */
  acquire?: AcquireLock;
}

interface Job {
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs work one piece at a time, in the order `run` was called. With a shared lock it takes the lock before
 * the first piece and keeps it while more is waiting, so a burst of feed ingests costs one acquisition; the
 * lock is given back as soon as the lane runs dry, for the other processes.
 */
export class IngestLane {
  private readonly acquire: AcquireLock | undefined;
  private readonly queue: Job[] = [];
  private draining = false;

  constructor(options: IngestLaneOptions = {}) {
    this.acquire = options.acquire;
  }

  /** Runs `work` once every earlier piece has finished (and the shared lock is held); settles as `work` does. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let held: HeldLock | undefined;
    try {
      while (this.queue.length > 0) {
        const job = this.queue.shift()!;
        if (this.acquire && (held === undefined || held.lost)) {
          try {
            held = await this.acquire();
          } catch (error) {
            // No lock, no ingest: this piece fails (its caller logs why) and the next one tries again.
            held = undefined;
            job.reject(error);
            continue;
          }
        }
        try {
          job.resolve(await job.work());
        } catch (error) {
          job.reject(error);
        }
      }
    } finally {
      if (held) await held.release().catch(() => {});
      this.draining = false;
      // Work queued while the lock was being given back.
      if (this.queue.length > 0) void this.drain();
    }
  }
}
