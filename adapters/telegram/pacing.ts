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

/** A send budget shared with other instances of the bot, and the key (one per bot token) it is kept under. */
export type SharedBudget = { budget: RateBudget; key: string };

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

/**
 * A grammY transformer that delays outgoing messages to stay under Telegram's limits.
 *
 * With `shared`, the overall limit holds across every instance using the same budget and key. Per-chat
 * limits stay local (one instance sends a chat's scheduled digests). A message first takes its slot in
 * this process, then reserves the next instant from the budget `globalGapMs` after the previous
 * reservation by any instance and waits until then; the chat's gap is counted from that later instant,
 * when the message actually leaves. A rejected reservation (the database is unreachable) lets that message
 * go on its local slot alone, without throwing or logging. close() cancels a shared wait like a local one.
 */
export class Pacer {
  private readonly options: PacingOptions;
  private readonly global: SendWindow;
  private readonly lanes = new Map<string, ChatLane>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private closed = false;

  constructor(
    options: Partial<PacingOptions> = {},
    private readonly now: () => number = Date.now,
    private readonly shared?: SharedBudget,
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
        this.global.record(now);
        // The chat's lane waits for this call, so nothing else can take a slot in `chat` meanwhile.
        chat.record(await this.sharedSlot(now));
        return;
      }
      await this.sleep(wait);
    }
  }

  /** Waits for an instant reserved from the shared budget, if there is one; resolves to when it came. */
  private async sharedSlot(now: number): Promise<number> {
    if (!this.shared) return now;
    let delay = 0;
    try {
      delay = await this.shared.budget.reserve(this.shared.key, this.options.globalGapMs);
    } catch {
      // Unreachable budget: this message goes on its local slot alone.
    }
    if (this.closed) throw new PacerClosedError();
    if (delay > 0) await this.sleep(delay);
    return this.now();
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
