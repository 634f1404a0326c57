import { z } from 'zod';
import { baseUrl, isHttpUrl, optionalSecret, port } from '../config-fields.js';

/** The ports the public Bot API server calls webhooks on. */
const WEBHOOK_PORTS = new Set(['443', '80', '88', '8443']);

const webhookUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .refine((v) => v === undefined || isHttpUrl(v), {
    message: 'must be an http(s) URL such as https://bot.example.com/telegram',
  });

/** The Telegram adapter's settings, merged into the entry point's schema. */
export const telegramSettings = {
  TELEGRAM_BOT_TOKEN: optionalSecret,
  TELEGRAM_API_ROOT: baseUrl('https://api.telegram.org'),
  TELEGRAM_WEBHOOK_URL: webhookUrl,
  TELEGRAM_WEBHOOK_HOST: z
    .string()
    .trim()
    .default('0.0.0.0')
    .transform((v) => (v === '' ? '0.0.0.0' : v)),
  TELEGRAM_WEBHOOK_PORT: port(8080),
  TELEGRAM_WEBHOOK_SECRET: optionalSecret.refine((v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v), {
    message: 'must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram allows no others)',
  }),
};


/**
 * What the public Bot API server refuses at setWebhook, refused at start with the variable's name.
 * (Zod runs this even when a field failed on its own; that failure is already reported.)
 */
export function checkTelegramSettings(
  config: { TELEGRAM_WEBHOOK_URL?: string; TELEGRAM_API_ROOT: string },
  ctx: z.RefinementCtx,
): void {
  if (!config.TELEGRAM_WEBHOOK_URL || !isHttpUrl(config.TELEGRAM_WEBHOOK_URL)) return;
  if (config.TELEGRAM_API_ROOT !== 'https://api.telegram.org') return;
  const url = new URL(config.TELEGRAM_WEBHOOK_URL);
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_URL'], message });
  if (url.protocol !== 'https:') {
    issue('must be an https URL: Telegram calls webhooks over TLS only (http works with a self-hosted Bot API server)');
  } else if (!WEBHOOK_PORTS.has(url.port || '443')) {
    issue('must use port 443, 80, 88 or 8443: the only ones Telegram calls (TELEGRAM_WEBHOOK_PORT, where we listen, may differ)');
  }
}
