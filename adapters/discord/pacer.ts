import type { RateBudget } from '../../src/index.js';

/**
 * Spaces calls evenly so that at most `perSecond` start in any second, across every caller sharing it.
 * discord.js queues per route and globally at 50/s; scheduled posts use this to stay well under that
 * and leave room for interaction replies.
 */
export class Pacer {
  private readonly intervalMs: number;
  private nextAt = 0;

  constructor(
    perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    // The budget shared by every instance on one token (issue 12); applied by the shared-budget change.
    readonly shared?: { budget: RateBudget; key: string },
  ) {
    if (!(perSecond > 0)) throw new Error(`Pacer: perSecond must be positive, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the caller may make its next call. */
  async wait(): Promise<void> {
    // A slot is taken only when it has come: callers woken together after a stalled event loop go
    // one interval apart again instead of all at once (a burst the platform would answer with 429).
    for (;;) {
      const now = this.now();
      if (now >= this.nextAt) {
        // Keep to the schedule through ordinary timer lateness (else the rate drifts down), but after a
        // longer stall start afresh from now rather than catch up.
        const late = now - this.nextAt;
        this.nextAt = (late < this.intervalMs ? this.nextAt : now) + this.intervalMs;
        return;
      }
      await this.sleep(this.nextAt - now);
    }
  }
}
