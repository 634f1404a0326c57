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
  ) {
    if (!(perSecond > 0)) throw new Error(`Pacer: perSecond must be positive, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the caller may make its next call. */
  async wait(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    if (at > now) await this.sleep(at - now);
  }
}
