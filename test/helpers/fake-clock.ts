/** A clock that only moves when a test moves it; pass `clock.now` wherever code takes `() => Date`. */
export class FakeClock {
  private ms: number;

  constructor(start: Date | string) {
    this.ms = toMs(start);
  }

  /** Bound, so it can be handed over as `clock: fake.now`. */
  readonly now = (): Date => new Date(this.ms);

  /** Jumps to an instant; refuses to go backwards, as time does not. */
  set(to: Date | string): void {
    const ms = toMs(to);
    if (ms < this.ms) throw new Error(`FakeClock.set: ${new Date(ms).toISOString()} is before ${new Date(this.ms).toISOString()}`);
    this.ms = ms;
  }

  advance(ms: number): void {
    if (ms < 0) throw new Error('FakeClock.advance: negative step');
    this.ms += ms;
  }

  advanceMinutes(minutes: number): void {
    this.advance(minutes * 60_000);
  }

  advanceHours(hours: number): void {
    this.advance(hours * 3_600_000);
  }
}

function toMs(value: Date | string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (Number.isNaN(ms)) throw new Error(`FakeClock: not a date: ${String(value)}`);
  return ms;
}
