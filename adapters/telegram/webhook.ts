import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { webhookCallback, type Bot } from 'grammy';
import type { Logger } from '../../src/logger.js';

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
  // grammY's own timeout would fail the request (Telegram re-sends it: a duplicate reply) or stop tracking it;
  // we answer early ourselves and keep tracking it until stop().
  const callback = webhookCallback(bot, 'http', { secretToken: options.secret, timeoutMilliseconds: Infinity });
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
    const ack = setTimeout(() => {
      if (!res.headersSent) res.writeHead(200).end();
    }, ackAfterMs);
    const task = callback(req, res)
      .then(() => {
        if (res.statusCode === 401) logger.warn({ remote: req.socket.remoteAddress }, 'telegram: webhook request without the right secret token refused');
      })
      .catch((error: unknown) => {
        // bot.catch handles failing updates, so only an unreadable body or a bug in grammY gets here.
        const unreadable = error instanceof SyntaxError;
        logger.warn({ err: error }, unreadable ? 'telegram: webhook request with a body that is not JSON' : 'telegram: webhook request failed');
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
