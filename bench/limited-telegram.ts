import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { closeServer, Delivered, RateWindow, REPORT_PATH, sendJson, startJsonServer } from './rate-window.js';

export interface LimitedTelegramOptions {
  /** Messages per second across all chats (Telegram: about 30). */
  globalPerSecond?: number;
  /** Messages a private chat may get within one second (Telegram: about 1, short bursts tolerated). */
  chatPerSecond?: number;
}

/**
 * A loopback Bot API server that enforces Telegram's sending limits and answers 429 with
 * `parameters.retry_after` past them, as the real one does. Only what delivery needs: sendMessage.
 */
export class LimitedTelegram {
  readonly delivered = new Delivered();
  readonly globalPerSecond: number;
  private readonly global: RateWindow;
  private readonly chats = new Map<string, RateWindow>();
  private readonly chatPerSecond: number;
  private nextMessageId = 1;

  private constructor(
    private readonly server: Server,
    readonly apiRoot: string,
    options: LimitedTelegramOptions,
  ) {
    this.globalPerSecond = options.globalPerSecond ?? 30;
    this.chatPerSecond = options.chatPerSecond ?? 2;
    this.global = new RateWindow(this.globalPerSecond, 1000);
  }

  static async start(options: LimitedTelegramOptions = {}): Promise<LimitedTelegram> {
    let fake: LimitedTelegram | undefined;
    const { server, url } = await startJsonServer((req, body, res) => fake!.handle(req.url ?? '', body, res));
    fake = new LimitedTelegram(server, url, options);
    return fake;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(url: string, body: unknown, res: import('node:http').ServerResponse): void {
    if (url === REPORT_PATH) {
      sendJson(res, 200, this.delivered);
      return;
    }
    const method = /^\/bot[^/]+\/(\w+)/.exec(url)?.[1];
    if (method !== 'sendMessage') {
      sendJson(res, 404, { ok: false, error_code: 404, description: `Not Found: method ${method ?? url} is not served by this fake` });
      return;
    }
    const payload = (body ?? {}) as { chat_id?: number | string; text?: string };
    if (payload.chat_id === undefined || typeof payload.text !== 'string' || payload.text.length === 0) {
      sendJson(res, 400, { ok: false, error_code: 400, description: 'Bad Request: chat_id and text are required' });
      return;
    }
    const chatId = String(payload.chat_id);
    const now = performance.now();
    const chat = this.chats.get(chatId) ?? new RateWindow(this.chatPerSecond, 1000);
    this.chats.set(chatId, chat);
    const wait = Math.max(this.global.waitMs(now), chat.waitMs(now));
    if (wait > 0) {
      this.delivered.rateLimited++;
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      sendJson(res, 429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      });
      return;
    }
    this.global.record(now);
    chat.record(now);
    this.delivered.add(chatId, payload.text, now);
    sendJson(res, 200, {
      ok: true,
      result: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: Number(chatId), type: 'private', first_name: `Subscriber ${chatId}` },
        text: payload.text,
      },
    });
  }
}
