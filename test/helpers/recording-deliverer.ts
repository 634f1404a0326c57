import { targetKey, type DeliverHooks, type Deliverer, type DeliveryContext, type DeliveryOutcome, type Digest, type Target } from '../../src/index.js';

/** One call to deliver(), with what it answered. */
export interface DeliveryCall {
  target: Target;
  digest: Digest;
  /** What the scheduler handed over besides the digest (the zone to show dates in). */
  context: DeliveryContext;
  /** The test clock's time when the call was made (real time when no clock was given). */
  at: Date;
  outcome: DeliveryOutcome;
}

type Failure = Extract<DeliveryOutcome, { ok: false }>;

/**
 * A Deliverer for tests: records every call and succeeds unless told otherwise. Failures can be queued
 * for the next calls or pinned to a chat, a call can throw, and calls can be held until released (to
 * stop a fan-out halfway, as a crash would).
 */
export class RecordingDeliverer implements Deliverer {
  readonly calls: DeliveryCall[] = [];
  /** Calls held by holdAfter() and not yet answered. */
  readonly inFlight: Omit<DeliveryCall, 'outcome'>[] = [];
  private readonly queued: (Failure | Error)[] = [];
  private readonly byTarget = new Map<string, Failure>();
  private holding: { after: number; only?: string; waiters: (() => void)[] } | undefined;

  constructor(
    readonly platform: string = 'telegram',
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Calls that succeeded: what subscribers actually received. */
  get delivered(): DeliveryCall[] {
    return this.calls.filter((c) => c.outcome.ok);
  }

  /** Successful deliveries to one chat. */
  deliveredTo(chatId: string): DeliveryCall[] {
    return this.delivered.filter((c) => c.target.chatId === chatId);
  }

  /** The next `times` calls (any target) answer with this failure, or throw this error. */
  failNext(failure: Failure | Error, times = 1): this {
    for (let i = 0; i < times; i++) this.queued.push(failure);
    return this;
  }

  /** Every call to this chat answers with the failure until cleared. */
  failTarget(target: Target, failure: Failure): this {
    this.byTarget.set(targetKey(target), failure);
    return this;
  }

  clearFailures(): this {
    this.queued.length = 0;
    this.byTarget.clear();
    return this;
  }

  /**
   * Lets `after` more calls through, then holds every further call (listed in inFlight, not answered)
   * until release(). A held call is a send in flight: the platform may or may not have got it.
   */
  holdAfter(after: number): this {
    this.holding = { after, waiters: [] };
    return this;
  }

  /** Holds every call to this chat until release(); other chats go through. */
  holdTarget(target: Target): this {
    this.holding = { after: 0, only: targetKey(target), waiters: [] };
    return this;
  }

  release(): void {
    const waiters = this.holding?.waiters ?? [];
    this.holding = undefined;
    for (const wake of waiters) wake();
  }

  async deliver(target: Target, digest: Digest, context: DeliveryContext, hooks?: DeliverHooks): Promise<DeliveryOutcome> {
    const at = this.clock();
    // Like a real adapter whose request has just left: a held call is "on the wire".
    await hooks?.onSending?.();
    if (this.holding && (this.holding.only === undefined || this.holding.only === targetKey(target))) {
      if (this.holding.after > 0) this.holding.after--;
      else {
        const holding = this.holding;
        const call = { target, digest, context, at };
        this.inFlight.push(call);
        await new Promise<void>((resolve) => holding.waiters.push(resolve));
        this.inFlight.splice(this.inFlight.indexOf(call), 1);
      }
    }
    const queued = this.queued.shift();
    if (queued instanceof Error) {
      this.calls.push({ target, digest, context, at, outcome: { ok: false, permanent: false, reason: `threw: ${queued.message}` } });
      throw queued;
    }
    const outcome: DeliveryOutcome = queued ?? this.byTarget.get(targetKey(target)) ?? { ok: true, messages: 1 };
    this.calls.push({ target, digest, context, at, outcome });
    return outcome;
  }
}
