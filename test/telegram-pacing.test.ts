import { describe, expect, it } from 'vitest';
import { Pacer, PacerClosedError } from '../adapters/telegram/pacing.js';
import { retryTransient } from '../adapters/telegram/retry.js';
import { HttpError } from 'grammy';
import { FakeRateBudget, unreachableBudget } from './helpers/fake-rate-budget.js';

type Prev = Parameters<Pacer['transformer']>[0];

/** A stand-in for the HTTP call under the transformer: records when each call went out. */
function recorder() {
  const sent: Array<{ chat: string; at: number; method: string }> = [];
  const prev = (async (method: string, payload: { chat_id?: unknown }) => {
    sent.push({ chat: String(payload?.chat_id), at: Date.now(), method });
    return { ok: true, result: true };
  }) as unknown as Prev;
  return { sent, prev };
}

function call(pacer: Pacer, prev: Prev, method: string, chatId: number) {
  return pacer.transformer(prev, method as 'sendMessage', { chat_id: chatId, text: 'x' } as never);
}

describe('pacing', () => {
  it('spaces messages to one chat by the per-chat gap and keeps their order', async () => {
    const pacer = new Pacer({ chatGapMs: 80 });
    const { sent, prev } = recorder();
    await Promise.all([1, 2, 3, 4].map(() => call(pacer, prev, 'sendMessage', 7)));
    expect(sent).toHaveLength(4);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(75);
  });

  it('does not make different chats wait for each other', async () => {
    const pacer = new Pacer({ chatGapMs: 300, globalGapMs: 0 });
    const { sent, prev } = recorder();
    const started = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map((chat) => call(pacer, prev, 'sendMessage', chat)));
    expect(Date.now() - started).toBeLessThan(150);
    expect(new Set(sent.map((s) => s.chat)).size).toBe(5);
  });

  it('holds a group to its per-window allowance', async () => {
    const pacer = new Pacer({ chatGapMs: 0, groupMax: 3, groupWindowMs: 300 });
    const { sent, prev } = recorder();
    await Promise.all(Array.from({ length: 6 }, () => call(pacer, prev, 'sendMessage', -100)));
    expect(sent[3]!.at - sent[0]!.at).toBeGreaterThanOrEqual(290);
    expect(sent[2]!.at - sent[0]!.at).toBeLessThan(100);
  });

  it('holds all chats together to the global allowance', async () => {
    const pacer = new Pacer({ chatGapMs: 0, globalMax: 4, globalWindowMs: 250 });
    const { sent, prev } = recorder();
    await Promise.all(Array.from({ length: 8 }, (_, i) => call(pacer, prev, 'sendMessage', i + 1)));
    const sorted = sent.map((s) => s.at).sort((a, b) => a - b);
    expect(sorted[4]! - sorted[0]!).toBeGreaterThanOrEqual(240);
  });

  it('spreads messages to different chats evenly instead of sending them in a burst', async () => {
    const pacer = new Pacer({ chatGapMs: 0, globalGapMs: 40 });
    const { sent, prev } = recorder();
    await Promise.all([1, 2, 3, 4, 5].map((chat) => call(pacer, prev, 'sendMessage', chat)));
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(35);
  });

  it('leaves calls that send nothing alone', async () => {
    const pacer = new Pacer({ chatGapMs: 500 });
    const { sent, prev } = recorder();
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => call(pacer, prev, 'getChatMember', 9)));
    expect(Date.now() - started).toBeLessThan(100);
    expect(sent).toHaveLength(3);
  });

  it('rejects messages still waiting when closed', async () => {
    const pacer = new Pacer({ chatGapMs: 10_000 });
    const { sent, prev } = recorder();
    const first = call(pacer, prev, 'sendMessage', 5);
    const second = call(pacer, prev, 'sendMessage', 5);
    await first;
    pacer.close();
    await expect(second).rejects.toBeInstanceOf(PacerClosedError);
    expect(sent).toHaveLength(1);
  });
});

describe('pacing with a budget shared by several instances', () => {
  const sharedWith = (budget: FakeRateBudget) => ({ budget, key: 'telegram:bot-1' });

  it('holds two instances sharing a budget to one overall gap', async () => {
    const budget = new FakeRateBudget();
    const a = new Pacer({ chatGapMs: 0, globalGapMs: 40 }, undefined, sharedWith(budget));
    const b = new Pacer({ chatGapMs: 0, globalGapMs: 40 }, undefined, sharedWith(budget));
    const { sent, prev } = recorder();
    await Promise.all([
      ...[1, 2, 3, 4].map((chat) => call(a, prev, 'sendMessage', chat)),
      ...[5, 6, 7, 8].map((chat) => call(b, prev, 'sendMessage', chat)),
    ]);
    const at = sent.map((s) => s.at).sort((x, y) => x - y);
    // Each pacer alone would send its first message at once, so the two would send together. Checked against
    // the schedule: a late timer may push a message later, never earlier.
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[0]!).toBeGreaterThanOrEqual(i * 40 - 5);
    expect(budget.calls).toHaveLength(8);
    expect(budget.calls.every((c) => c.key === 'telegram:bot-1' && c.intervalMs === 40)).toBe(true);
  });

  it('keeps to its own pacing, without throwing, when the shared budget cannot be reached', async () => {
    const budget = unreachableBudget();
    const pacer = new Pacer({ chatGapMs: 0, globalGapMs: 40 }, undefined, sharedWith(budget));
    const { sent, prev } = recorder();
    await Promise.all([1, 2, 3, 4].map((chat) => call(pacer, prev, 'sendMessage', chat)));
    expect(sent).toHaveLength(4);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(35);
    expect(budget.calls).toHaveLength(4);
  });

  it('counts a chat\'s gap from when its message left after a shared wait', async () => {
    let first = true;
    const budget = new FakeRateBudget(async () => {
      const delay = first ? 200 : 0;
      first = false;
      return delay;
    });
    const pacer = new Pacer({ chatGapMs: 150, globalGapMs: 0 }, undefined, sharedWith(budget));
    const { sent, prev } = recorder();
    await Promise.all([call(pacer, prev, 'sendMessage', 7), call(pacer, prev, 'sendMessage', 7)]);
    // Counted from the first message's local slot, the second would follow 200 ms later with no gap at all.
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(145);
  });

  it('rejects a message waiting for its shared instant when closed', async () => {
    const pacer = new Pacer({}, undefined, sharedWith(new FakeRateBudget(async () => 10_000)));
    const { sent, prev } = recorder();
    const started = Date.now();
    const pending = call(pacer, prev, 'sendMessage', 3);
    setTimeout(() => pacer.close(), 20);
    await expect(pending).rejects.toBeInstanceOf(PacerClosedError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sent).toHaveLength(0);
  });

  it('does not send a message whose reservation was still under way when closed', async () => {
    const slow = new FakeRateBudget(() => new Promise((resolve) => setTimeout(() => resolve(0), 60)));
    const pacer = new Pacer({}, undefined, sharedWith(slow));
    const { sent, prev } = recorder();
    const pending = call(pacer, prev, 'sendMessage', 3);
    setTimeout(() => pacer.close(), 10);
    await expect(pending).rejects.toBeInstanceOf(PacerClosedError);
    expect(sent).toHaveLength(0);
  });
});

describe('transient retry', () => {
  it('retries 5xx answers with growing waits, then gives the last answer back', async () => {
    const at: number[] = [];
    const prev = (async () => {
      at.push(Date.now());
      return { ok: false, error_code: 502, description: 'Bad Gateway' };
    }) as unknown as Prev;
    const result = await retryTransient({ retries: 3, baseDelayMs: 20 })(prev, 'sendMessage', {} as never);
    expect(result).toMatchObject({ ok: false, error_code: 502 });
    expect(at).toHaveLength(4);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(at[1]! - at[0]! + 20);
  });

  it('retries network failures but not answers under 500', async () => {
    let calls = 0;
    const flaky = (async () => {
      calls++;
      if (calls === 1) throw new HttpError('Network request for sendMessage failed', new Error('ECONNRESET'));
      return { ok: false, error_code: 403, description: 'Forbidden' };
    }) as unknown as Prev;
    const result = await retryTransient({ retries: 3, baseDelayMs: 5 })(flaky, 'sendMessage', {} as never);
    expect(result).toMatchObject({ error_code: 403 });
    expect(calls).toBe(2);
  });

  it('stops waiting to retry when the bot stops', async () => {
    const stopping = new AbortController();
    const prev = (async () => ({ ok: false, error_code: 500, description: 'x' })) as unknown as Prev;
    const pending = retryTransient({ retries: 3, baseDelayMs: 10_000 }, stopping.signal)(prev, 'sendMessage', {} as never);
    setTimeout(() => stopping.abort(), 20);
    await expect(pending).rejects.toThrow(/stopping/);
  });
});
