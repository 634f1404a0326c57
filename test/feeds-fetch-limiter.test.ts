import { describe, expect, it } from 'vitest';
import { HostLimiter, HostQueueFullError, type LimiterTimers } from '../adapters/sources/feeds/fetch-limiter.js';

/** A manual clock: time moves only in `advance`, which fires due timers in order and lets promises settle. */
class FakeTimers implements LimiterTimers {
  private time = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + ms, callback });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.pending.delete(handle as number);
  };
  get timerCount() {
    return this.pending.size;
  }
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every queued promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A task the test finishes by hand, recording when it started. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

describe('HostLimiter', () => {
  it('runs at most perHost requests to one host at a time, starting the next as one finishes', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ perHost: 2, spacingMs: 0, timers });
    const gates = Array.from({ length: 5 }, gate);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(`https://feeds.example.com/feed/${i}`, async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await g.done;
        running -= 1;
        return i;
      }),
    );
    await timers.advance(0);
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await timers.advance(0);
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    await timers.advance(0);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]!.open();
    gates[4]!.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('spaces the starts of requests to one host by spacingMs, even when they finish at once', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ perHost: 5, spacingMs: 1000, timers });
    const startedAt: number[] = [];
    const runs = [0, 1, 2].map(() => limiter.run('https://feeds.example.com/a', async () => void startedAt.push(timers.now())));
    await timers.advance(0);
    expect(startedAt).toEqual([0]);
    await timers.advance(999);
    expect(startedAt).toEqual([0]);
    await timers.advance(1);
    expect(startedAt).toEqual([0, 1000]);
    await timers.advance(1000);
    expect(startedAt).toEqual([0, 1000, 2000]);
    await Promise.all(runs);
  });

  it('keeps hosts independent: another host starts at once, and ports of one host share its limit', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ perHost: 1, spacingMs: 1000, timers });
    const startedAt: Record<string, number> = {};
    const runs = ['https://a.example/x', 'https://b.example/x', 'https://A.example:8443/y'].map((url) =>
      limiter.run(url, async () => void (startedAt[url] = timers.now())),
    );
    await timers.advance(0);
    expect(startedAt).toEqual({ 'https://a.example/x': 0, 'https://b.example/x': 0 });
    await timers.advance(1000);
    expect(startedAt['https://A.example:8443/y']).toBe(1000);
    await Promise.all(runs);
  });

  it('forgets a host once it is idle and its spacing has passed, leaving no timer behind', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ spacingMs: 1000, timers });
    await Promise.all(Array.from({ length: 50 }, (_, i) => limiter.run(`https://host${i}.example/feed`, async () => i)));
    expect(limiter.trackedHosts).toBe(50);
    await timers.advance(1000);
    expect(limiter.trackedHosts).toBe(0);
    expect(timers.timerCount).toBe(0);
  });

  it('still spaces a request that arrives while the host is idle but within its spacing', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ spacingMs: 1000, timers });
    await limiter.run('https://a.example/1', async () => undefined);
    await timers.advance(400);
    let startedAt = -1;
    const later = limiter.run('https://a.example/2', async () => void (startedAt = timers.now()));
    await timers.advance(599);
    expect(startedAt).toBe(-1);
    await timers.advance(1);
    expect(startedAt).toBe(1000);
    await later;
  });

  it('passes on a failure (thrown or rejected) and frees the slot', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ perHost: 1, spacingMs: 0, timers });
    const thrown = limiter.run('https://a.example/', () => {
      throw new Error('sync boom');
    });
    const rejected = limiter.run('https://a.example/', async () => {
      throw new Error('async boom');
    });
    const fine = limiter.run('https://a.example/', async () => 'ok');
    await expect(thrown).rejects.toThrow('sync boom');
    await expect(rejected).rejects.toThrow('async boom');
    await timers.advance(0);
    await expect(fine).resolves.toBe('ok');
  });

  it('refuses more waiting requests than maxQueuedPerHost', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ perHost: 1, spacingMs: 0, maxQueuedPerHost: 2, timers });
    const g = gate();
    const running = limiter.run('https://a.example/', () => g.done);
    const queued = [limiter.run('https://a.example/', async () => 1), limiter.run('https://a.example/', async () => 2)];
    await expect(limiter.run('https://a.example/', async () => 3)).rejects.toBeInstanceOf(HostQueueFullError);
    g.open();
    await running;
    await timers.advance(0);
    expect(await Promise.all(queued)).toEqual([1, 2]);
  });

  it('takes an aborted request out of the queue without running it', async () => {
    const timers = new FakeTimers();
    const limiter = new HostLimiter({ perHost: 1, spacingMs: 0, timers });
    const g = gate();
    const running = limiter.run('https://a.example/', () => g.done);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.run('https://a.example/', async () => void (ran = true), { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    g.open();
    await running;
    await timers.advance(0);
    expect(ran).toBe(false);
  });
});
