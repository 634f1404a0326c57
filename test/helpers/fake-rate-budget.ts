import type { RateBudget } from '../../src/index.js';

/**
 * An in-process RateBudget with the Postgres one's rule (the next instant under a key is one interval after
 * the last, never before now), for pacer tests: hand one to two pacers and they pace as two instances on one
 * database would. `answer` replaces the rule, to make the budget slow, fixed or failing.
 */
export class FakeRateBudget implements RateBudget {
  readonly calls: Array<{ key: string; intervalMs: number }> = [];
  private readonly nextAt = new Map<string, number>();

  constructor(private readonly answer?: (key: string, intervalMs: number) => Promise<number>) {}

  async reserve(key: string, intervalMs: number): Promise<number> {
    this.calls.push({ key, intervalMs });
    if (this.answer) return this.answer(key, intervalMs);
    const now = performance.now();
    const at = Math.max(this.nextAt.get(key) ?? now, now);
    this.nextAt.set(key, at + intervalMs);
    return at - now;
  }
}

/** A budget whose every reservation fails, as when the database is unreachable. */
export const unreachableBudget = () =>
  new FakeRateBudget(async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  });
