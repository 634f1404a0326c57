import type { Transformer } from 'grammy';
import type { RateBudget } from '../../src/index.js';

/**
 * Telegram's documented sending limits: about one message a second to a chat, twenty a minute to a
 * group, thirty a second overall. Written here rather than taken from transformer-throttler, whose
 * Bottleneck dependency is unmaintained, cannot be cancelled on shutdown, and which grammY's own docs
 * stopped recommending; this one is small enough to read in full.
 */
export interface PacingOptions {
  /** Least time between two messages to one chat. */
  chatGapMs: number;
  /** Messages to one group (negative chat id) within `groupWindowMs`. */
  groupMax: number;
  groupWindowMs: number;
  /** Messages to all chats within `globalWindowMs`. */
  globalMax: number;
  globalWindowMs: number;
  /** Least time between any two messages: spreads the overall limit evenly instead of in bursts. */
  globalGapMs: number;
}

export const DEFAULT_PACING: PacingOptions = {
  chatGapMs: 1000,
  groupMax: 20,
  groupWindowMs: 60_000,
  globalMax: 30,
  globalWindowMs: 1000,
  // Bursts of 30 at the edge of each second drew 429s in the fan-out benchmark; 34 ms apart (29.4/s) drew none.
  globalGapMs: 34,
};

/** Methods that post or change a message; reads, callback answers and polling are not paced. */
const PACED = /^(send|copy|forward|editMessage)/;

/** Sending times within a sliding window, plus a least gap between two sends. */
class SendWindow {
  private readonly sent: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly gapMs = 0,
  ) {}

  /** Milliseconds until the next send is allowed. */
  delay(now: number): number {
    while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs) this.sent.shift();
    let wait = 0;
    if (this.sent.length >= this.max) wait = this.sent[this.sent.length - this.max]! + this.windowMs - now;
    const last = this.sent.at(-1);
    if (last !== undefined) wait = Math.max(wait, last + this.gapMs - now);
    return Math.max(0, wait);
  }

  record(now: number): void {
    this.sent.push(now);
  }

  idle(now: number): boolean {
    return this.delay(now) === 0 && this.sent.every((t) => t <= now - this.windowMs);
  }
}

interface ChatLane {
  window: SendWindow;
  /** Slot requests for this chat run one after another, so its messages keep their order. */
  tail: Promise<void>;
  pending: number;
}

/** Thrown into paced calls still waiting when the pacer is closed. */
export class PacerClosedError extends Error {
  constructor() {
    super('Telegram pacing: stopped while a message was waiting to be sent');
    this.name = 'PacerClosedError';
  }
}

/** A grammY transformer that delays outgoing messages to stay under Telegram's limits. */
export class Pacer {
  private readonly options: PacingOptions;
  private readonly global: SendWindow;
  private readonly lanes = new Map<string, ChatLane>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private closed = false;

  constructor(
    options: Partial<PacingOptions> = {},
    private readonly now: () => number = Date.now,
    // The budget shared by every instance on one token (issue 12); applied by the shared-budget change.
    readonly shared?: { budget: RateBudget; key: string },
  ) {
    this.options = { ...DEFAULT_PACING, ...options };
    this.global = new SendWindow(this.options.globalMax, this.options.globalWindowMs, this.options.globalGapMs);
  }

  readonly transformer: Transformer = async (prev, method, payload, signal) => {
    const chatId = payload && typeof payload === 'object' && 'chat_id' in payload ? payload.chat_id : undefined;
    if (chatId !== undefined && PACED.test(method)) await this.slot(String(chatId));
    return prev(method, payload, signal);
  };

  /** Waits for this chat's next sending slot and takes it. */
  async slot(chatId: string): Promise<void> {
    if (this.closed) throw new PacerClosedError();
    const lane = this.lane(chatId);
    lane.pending++;
    const turn = lane.tail.then(() => this.take(lane.window));
    lane.tail = turn.catch(() => {});
    try {
      await turn;
    } finally {
      lane.pending--;
      this.prune();
    }
  }

  /** Rejects every waiting message and refuses new ones; messages already sent are unaffected. */
  close(): void {
    this.closed = true;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.reject(new PacerClosedError());
    }
    this.waits.clear();
  }

  private lane(chatId: string): ChatLane {
    let lane = this.lanes.get(chatId);
    if (!lane) {
      const { chatGapMs, groupMax, groupWindowMs } = this.options;
      // Negative ids are groups, supergroups and channels; "@name" addresses a channel.
      const isGroup = chatId.startsWith('-') || chatId.startsWith('@');
      const window = isGroup ? new SendWindow(groupMax, groupWindowMs, chatGapMs) : new SendWindow(1, chatGapMs, chatGapMs);
      lane = { window, tail: Promise.resolve(), pending: 0 };
      this.lanes.set(chatId, lane);
    }
    return lane;
  }

  private async take(chat: SendWindow): Promise<void> {
    for (;;) {
      if (this.closed) throw new PacerClosedError();
      const now = this.now();
      const wait = Math.max(chat.delay(now), this.global.delay(now));
      if (wait === 0) {
        chat.record(now);
        this.global.record(now);
        return;
      }
      await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        reject,
      };
      this.waits.add(wait);
    });
  }

  /** Forgets chats with nothing queued and nothing recent, so the map does not grow without bound. */
  private prune(): void {
    if (this.lanes.size < 1000) return;
    const now = this.now();
    for (const [id, lane] of this.lanes) if (lane.pending === 0 && lane.window.idle(now)) this.lanes.delete(id);
  }
}
