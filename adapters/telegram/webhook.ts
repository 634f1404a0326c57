import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { webhookCallback, type Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { type Logger } from '../../src/index.js';

/** Webhook mode: Telegram POSTs each update to `url`, which a proxy forwards to our server on `host:port`. */
export interface WebhookOptions {
  /** The public URL Telegram calls (https; http only for a self-hosted Bot API server). Its path is the one served. */
  url: string;
  /** Where our plain-HTTP server listens (0 picks a free port). */
  port: number;
  /** Interface to listen on (default 0.0.0.0). */
  host?: string;
  /** Telegram sends it with every update and anything without it is refused (default: random for each start). */
  secret?: string;
  /**
   * Telegram re-sends an update it got no answer for, so a slow one is answered 200 after this long
   * and finishes in the background (default 10000).
   */
  ackAfterMs?: number;
  /** Larger request bodies are answered 413 without being buffered (default 1 MiB; Telegram's updates are a few KiB). */
  maxBodyBytes?: number;
}

/** The default cap on a webhook request body. */
export const MAX_WEBHOOK_BODY = 1024 * 1024;

/** A webhook request whose body is larger than the cap (declared, or counted while it streamed in). */
class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Telegram webhook: request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** A webhook request whose body is JSON but not an update. */
class NotAnUpdateError extends Error {
  constructor(what: string) {
    super(`Telegram webhook: request body is not an update (${what})`);
    this.name = 'NotAnUpdateError';
  }
}

/** Reads a request body, counting bytes as they arrive and giving up (without keeping more) past `limit`. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (!error) return resolve(Buffer.concat(chunks, size));
      chunks.length = 0;
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(new BodyTooLargeError(limit));
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', (error) => finish(error));
    req.once('close', () => finish(new Error('Telegram webhook: the request ended before its body did')));
  });
}

function parseUpdate(body: Buffer): Update {
  const value: unknown = JSON.parse(body.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NotAnUpdateError('not an object');
  const id = (value as { update_id?: unknown }).update_id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new NotAnUpdateError('no update_id');
  return value as Update;
}

/**
 * grammY's adapter for node:http, with the body read under a size cap. grammY reads `update` only once the
 * secret token matched, so nothing is buffered for a request without it.
 */
function cappedHttpAdapter(limit: number) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const header = req.headers['x-telegram-bot-api-secret-token'];
    return {
      get update() {
        return readBody(req, limit).then(parseUpdate);
      },
      header: Array.isArray(header) ? header[0] : header,
      end: () => void res.end(),
      respond: (json: string) => void res.writeHead(200, { 'content-type': 'application/json' }).end(json),
      unauthorized: () => void res.writeHead(401).end('secret token is wrong'),
    };
  };
}

/** Answers 413 and closes the connection, without reading what the client is still sending. */
function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  if (!res.headersSent) res.writeHead(413, { connection: 'close', 'content-type': 'text/plain' }).end(`request body larger than ${limit} bytes\n`);
  // The client gets a moment to read the answer; then the connection goes, whatever it was still sending.
  const timer = setTimeout(() => req.socket.destroy(), 1000);
  timer.unref();
  req.socket.once('close', () => clearTimeout(timer));
}

/** Our end of the webhook, listening. */
export interface WebhookListener {
  /** The address the server is bound to (the real port when 0 was asked for). */
  readonly address: AddressInfo;
  /** Takes no new requests; resolves once every update already received has been handled. */
  close(): Promise<void>;
  /** Drops whatever connections are still open. */
  destroy(): void;
}

/** A secret token as Telegram accepts it: 1-256 of A-Z a-z 0-9 _ -. */
export const SECRET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

/** A fresh secret token for a start without a configured one (256 random bits). */
export function randomSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Serves grammY's webhook callback on the URL's path: 404 elsewhere, 405 for anything but POST, 401
 * (from grammY) without the secret token. Rejects with a message naming the port when it cannot listen.
 */
export async function listenForUpdates(
  bot: Bot,
  options: WebhookOptions & { secret: string },
  logger: Logger,
): Promise<WebhookListener> {
  const path = new URL(options.url).pathname;
  const host = options.host ?? '0.0.0.0';
  const ackAfterMs = options.ackAfterMs ?? 10_000;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY;
  // grammY's own timeout would fail the request (Telegram re-sends it: a duplicate reply) or stop tracking it;
  // we answer early ourselves and keep tracking it until stop().
  const callback = webhookCallback(bot, cappedHttpAdapter(maxBodyBytes), { secretToken: options.secret, timeoutMilliseconds: Infinity });
  const handling = new Set<Promise<void>>();
  let closing = false;

  const server = http.createServer((req, res) => {
    // server.close() ends only the connections idle at that moment; a keep-alive one would linger for seconds.
    res.once('close', () => {
      if (closing) server.closeIdleConnections();
    });
    const pathname = new URL(req.url ?? '/', 'http://webhook').pathname;
    if (pathname !== path) return void res.writeHead(404).end();
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    // A declared length over the cap is refused before a byte of the body is read; a chunked body is counted as it arrives.
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      logger.warn({ remote: req.socket.remoteAddress, bytes: declared, limit: maxBodyBytes }, 'telegram: webhook request body too large; refused (413)');
      return refuseTooLarge(req, res, maxBodyBytes);
    }
    const ack = setTimeout(() => {
      if (!res.headersSent) res.writeHead(200).end();
    }, ackAfterMs);
    const task = (async () => void (await callback(req, res)))()
      .then(() => {
        if (res.statusCode === 401) logger.warn({ remote: req.socket.remoteAddress }, 'telegram: webhook request without the right secret token refused');
      })
      .catch((error: unknown) => {
        // bot.catch handles failing updates, so only an unreadable or oversized body, or a bug in grammY, gets here.
        if (error instanceof BodyTooLargeError) {
          logger.warn({ remote: req.socket.remoteAddress, limit: maxBodyBytes }, 'telegram: webhook request body too large; refused (413)');
          return refuseTooLarge(req, res, maxBodyBytes);
        }
        const unreadable = error instanceof SyntaxError || error instanceof NotAnUpdateError;
        logger.warn({ err: error }, unreadable ? 'telegram: webhook request with a body that is not an update' : 'telegram: webhook request failed');
        if (!res.headersSent) res.writeHead(unreadable ? 400 : 500).end();
      })
      .finally(() => {
        clearTimeout(ack);
        handling.delete(task);
      });
    handling.add(task);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(
        new Error(`Telegram webhook: cannot listen on ${host}:${options.port} (TELEGRAM_WEBHOOK_PORT): ${why}`, { cause: error }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'telegram: webhook server error'));
  const closed = new Promise<void>((resolve) => server.once('close', resolve));

  return {
    address: server.address() as AddressInfo,
    async close() {
      closing = true;
      // A request already received is still answered; idle connections end now, the rest once answered.
      server.close();
      while (handling.size > 0) await Promise.allSettled([...handling]);
      await closed;
    },
    destroy() {
      server.closeAllConnections();
    },
  };
}
