import type { Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { closeServer, Delivered, RateWindow, REPORT_PATH, sendJson, startJsonServer } from './rate-window.js';

export interface LimitedDiscordOptions {
  /** Requests per second per bot across all routes (Discord: 50). */
  globalPerSecond?: number;
}

/**
 * A loopback Discord REST API that enforces the global rate limit and answers 429 with `retry_after`
 * (body, float seconds), `Retry-After` and `X-RateLimit-Global` past it, as Discord does. It honours
 * `enforce_nonce` like Discord: a repeated nonce in a channel returns the earlier message, not a copy.
 * Only what delivery needs: POST /channels/{id}/messages.
 */
export class LimitedDiscord {
  readonly delivered = new Delivered();
  readonly globalPerSecond: number;
  /** Posts answered with an earlier message because their nonce repeated. */
  nonceRepeats = 0;
  private readonly global: RateWindow;
  private readonly nonces = new Map<string, { id: string }>();
  private nextId = 1_000_000_000_000_000_000n;

  private constructor(
    private readonly server: Server,
    /** REST base without the version, as createDiscordBot's apiBase wants it. */
    readonly apiBase: string,
    options: LimitedDiscordOptions,
  ) {
    this.globalPerSecond = options.globalPerSecond ?? 50;
    this.global = new RateWindow(this.globalPerSecond, 1000);
  }

  static async start(options: LimitedDiscordOptions = {}): Promise<LimitedDiscord> {
    let fake: LimitedDiscord | undefined;
    const { server, url } = await startJsonServer((req, body, res) => fake!.handle(req.method ?? 'GET', req.url ?? '', body, res));
    fake = new LimitedDiscord(server, `${url}/api`, options);
    return fake;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(method: string, url: string, body: unknown, res: ServerResponse): void {
    if (url === REPORT_PATH) {
      sendJson(res, 200, { ...this.delivered.toJSON(), nonceRepeats: this.nonceRepeats });
      return;
    }
    const channelId = /^\/api\/v\d+\/channels\/(\d+)\/messages$/.exec(url)?.[1];
    if (method !== 'POST' || channelId === undefined) {
      sendJson(res, 404, { message: `404: Not Found (${method} ${url} is not served by this fake)`, code: 0 });
      return;
    }
    const now = performance.now();
    const wait = this.global.waitMs(now);
    if (wait > 0) {
      this.delivered.rateLimited++;
      const retryAfter = Math.ceil(wait) / 1000;
      sendJson(
        res,
        429,
        { message: 'You are being rate limited.', retry_after: retryAfter, global: true },
        { 'retry-after': String(Math.ceil(retryAfter)), 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
      );
      return;
    }
    this.global.record(now);
    const { nonce, enforce_nonce: enforceNonce, ...message } = (body ?? {}) as { nonce?: string; enforce_nonce?: boolean };
    const nonceKey = nonce !== undefined && enforceNonce ? `${channelId}:${nonce}` : undefined;
    const earlier = nonceKey ? this.nonces.get(nonceKey) : undefined;
    if (earlier) {
      this.nonceRepeats++;
      sendJson(res, 200, { id: earlier.id, channel_id: channelId, ...message });
      return;
    }
    const id = String(this.nextId++);
    if (nonceKey) this.nonces.set(nonceKey, { id });
    this.delivered.add(channelId, JSON.stringify(message), now);
    sendJson(res, 200, { id, channel_id: channelId, type: 0, timestamp: new Date().toISOString(), ...message });
  }
}
