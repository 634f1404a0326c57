import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A platform-side limit: at most `max` accepted requests in any `windowMs`, as the server sees arrivals. */
export class RateWindow {
  private readonly accepted: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** 0 when a request arriving now is allowed, else milliseconds until it would be. Does not record. */
  waitMs(now: number): number {
    while (this.accepted.length > 0 && this.accepted[0]! <= now - this.windowMs) this.accepted.shift();
    if (this.accepted.length < this.max) return 0;
    return this.accepted[this.accepted.length - this.max]! + this.windowMs - now;
  }

  record(now: number): void {
    this.accepted.push(now);
  }
}

export interface DeliveredData {
  byChat: [string, string[]][];
  times: number[];
  rateLimited: number;
}

/** Where a fake reports what it accepted (GET), for a benchmark running the fake in another process. */
export const REPORT_PATH = '/_bench/delivered';

/** Accepted messages per chat and their arrival times: what loss, duplicate and rate figures are computed from. */
export class Delivered {
  readonly byChat = new Map<string, string[]>();
  readonly times: number[] = [];
  rateLimited = 0;

  /** Plain data, for handing the record from the fakes' process to the benchmark's. */
  toJSON(): DeliveredData {
    return { byChat: [...this.byChat], times: this.times, rateLimited: this.rateLimited };
  }

  static from(data: DeliveredData): Delivered {
    const delivered = new Delivered();
    for (const [chat, bodies] of data.byChat) delivered.byChat.set(chat, bodies);
    delivered.times.push(...data.times);
    delivered.rateLimited = data.rateLimited;
    return delivered;
  }

  add(chatId: string, body: string, at: number): void {
    const list = this.byChat.get(chatId) ?? [];
    list.push(body);
    this.byChat.set(chatId, list);
    this.times.push(at);
  }

  /**
   * Achieved throughput between the first and the last accepted message, as a share of the limit.
   * A run shorter than a few windows reads high: a sliding window lets a full window's worth through at once.
   */
  shareOfLimit(max: number, windowMs: number): { messages: number; spanMs: number; perSecond: number; share: number } {
    const messages = this.times.length;
    if (messages < 2) return { messages, spanMs: 0, perSecond: 0, share: 0 };
    const spanMs = Math.max(...this.times) - Math.min(...this.times);
    const perSecond = ((messages - 1) / spanMs) * 1000;
    return { messages, spanMs, perSecond, share: perSecond / ((max * 1000) / windowMs) };
  }
}

/** A loopback HTTP server on a random port; `handle` answers JSON requests. */
export async function startJsonServer(
  handle: (req: IncomingMessage, body: unknown, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      handle(req, body, res);
    });
  });
  // Many short requests: keep-alive sockets must outlive the client's idle ones.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
