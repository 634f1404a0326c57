import { z } from 'zod';
import cron from 'node-cron';
import { DIGEST, RANK, SCHEDULE, parseTimezone, trimTrailingSlashes } from '../src/index.js';

const optionalSecret = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const baseUrl = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((v) => (v === '' ? fallback : trimTrailingSlashes(v)))
    .refine((v) => /^https?:\/\/[^\s/]+/.test(v), { message: 'must be an http(s) URL' });

const positive = (fallback: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((v) => (v === '' ? fallback : Number(v)))
    .refine((v) => Number.isFinite(v) && v > 0, { message: 'must be a positive number' });

const wholeNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((v) => (v === '' ? fallback : Number(v)))
    .refine((v) => Number.isInteger(v) && v >= min && v <= max, { message: `must be a whole number from ${min} to ${max}` });

const port = (fallback: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((v) => (v === '' ? fallback : Number(v)))
    .refine((v) => Number.isInteger(v) && v >= 1 && v <= 65535, { message: 'must be a port number from 1 to 65535' });

/** The ports the public Bot API server calls webhooks on. */
const WEBHOOK_PORTS = new Set(['443', '80', '88', '8443']);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

const webhookUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .refine((v) => v === undefined || isHttpUrl(v), {
    message: 'must be an http(s) URL such as https://bot.example.com/telegram',
  });

const ConfigSchema = z.object({
  DATABASE_PATH: z.string().trim().min(1).default('./data/newsbrief.db'),
  SEEDS_DIR: z.string().trim().min(1).default('./seeds'),
  SEEDS_RESCAN: z
    .string()
    .trim()
    .default('*/5 * * * *')
    .refine((v) => v === 'off' || cron.validate(v), {
      message: 'must be a cron expression such as "*/5 * * * *", or "off"',
    }),
  TERMINAL_MODE: z.enum(['auto', 'on', 'off']).default('auto'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
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
  DISCORD_TOKEN: optionalSecret,
  DISCORD_API_BASE: baseUrl('https://discord.com/api'),
  DISCORD_GUILD_ID: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^\d{5,25}$/.test(v), { message: 'must be a numeric server (guild) id' }),
  DIGEST_COUNT: wholeNumber(5, 1, 10),
  RANK_HALF_LIFE_HOURS: positive(RANK.HALF_LIFE_HOURS),
  NEWS_WINDOW_DAYS: positive(DIGEST.WINDOW_DAYS),
  DIGEST_PER_OUTLET: wholeNumber(DIGEST.PER_OUTLET, 1, 10),
  FIRST_DIGEST_LOOKBACK_HOURS: positive(SCHEDULE.FIRST_LOOKBACK_HOURS),
  CATCH_UP_HOURS: positive(6),
  DEFAULT_TIMEZONE: z
    .string()
    .trim()
    .default('UTC')
    .refine((v) => parseTimezone(v).ok, { message: 'must be an IANA time zone such as Europe/Kyiv or UTC' }),
}).superRefine((config, ctx) => {
  // What the public Bot API server refuses at setWebhook, refused here with the variable's name.
  // (Zod runs this even when a field failed on its own; that failure is already reported.)
  if (!config.TELEGRAM_WEBHOOK_URL || !isHttpUrl(config.TELEGRAM_WEBHOOK_URL)) return;
  if (config.TELEGRAM_API_ROOT !== 'https://api.telegram.org') return;
  const url = new URL(config.TELEGRAM_WEBHOOK_URL);
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_URL'], message });
  if (url.protocol !== 'https:') {
    issue('must be an https URL: Telegram calls webhooks over TLS only (http works with a self-hosted Bot API server)');
  } else if (!WEBHOOK_PORTS.has(url.port || '443')) {
    issue('must use port 443, 80, 88 or 8443: the only ones Telegram calls (TELEGRAM_WEBHOOK_PORT, where we listen, may differ)');
  }
});

/** Validated settings, parsed once from the environment by an entry point. */
export type Config = z.output<typeof ConfigSchema>;

/** Thrown when a setting is missing or malformed; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses settings from an environment-like object that the entry point passes in. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || 'environment';
    const value = env[name];
    const secret = /TOKEN|SECRET/.test(name);
    const shown = value === undefined || secret ? '' : ` (got "${value.slice(0, 60)}")`;
    return `  ${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every setting.`);
}

/** The settings as safe to log: tokens replaced by whether they are set. */
export function redactConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    TELEGRAM_BOT_TOKEN: config.TELEGRAM_BOT_TOKEN ? '[set]' : '[not set]',
    DISCORD_TOKEN: config.DISCORD_TOKEN ? '[set]' : '[not set]',
    TELEGRAM_WEBHOOK_SECRET: config.TELEGRAM_WEBHOOK_SECRET ? '[set]' : '[not set (random for each start)]',
  };
}
