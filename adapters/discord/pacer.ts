import type { RateBudget } from '../../src/index.js';

/** A send budget shared with other instances of the bot, and the key (one per bot token) it is kept under. */
export type SharedBudget = { budget: RateBudget; key: string };

/**
 * Spaces calls evenly so that at most `perSecond` start in any second, across every caller sharing it.
 * discord.js queues per route and globally at 50/s; scheduled posts use this to stay well under that
 * and leave room for interaction replies.
 *
 * With `shared`, the rate holds across every instance using the same budget and key: a caller first takes
 * its slot in this process (so one process never queries the budget faster than it could send), then
 * reserves the next instant from the budget one interval after the previous reservation by any instance,
 * and waits until then. When the reservation is rejected (the database is unreachable) that call goes
 * ahead on its local slot alone, without throwing or logging: an outage never stops a send, though
 * instances together may exceed the rate until the budget answers again.
 */
/** Shared slots a caller may let go for waking up late before it sends anyway. */
const MAX_LATE_SLOTS = 3;

export class Pacer {
  private readonly intervalMs: number;
  private nextAt = 0;

  constructor(
    perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly shared?: SharedBudget,
  ) {
    if (!(perSecond > 0)) throw new Error(`Pacer: perSecond must be positive, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the caller may make its next call. */
  async wait(): Promise<void> {
    await this.localSlot();
    if (!this.shared) return;
    // A process that wakes up well after its reserved instant (a stalled event loop, a busy CPU) would send
    // at the same moment as the other instances' on-time sends: a burst Discord answers with a global 429,
    // which pauses this whole process. Such a slot is let go and a later one reserved, a few times at most.
    for (let attempt = 0; attempt < MAX_LATE_SLOTS; attempt++) {
      let delay = 0;
      try {
        delay = await this.shared.budget.reserve(this.shared.key, this.intervalMs);
      } catch {
        // Unreachable budget: this call goes on its local slot alone.
        return;
      }
      const due = this.now() + Math.max(0, delay);
      if (delay > 0) await this.sleep(delay);
      if (this.now() - due <= this.intervalMs) return;
    }
  }

  private async localSlot(): Promise<void> {
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
