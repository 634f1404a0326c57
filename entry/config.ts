import { z } from 'zod';
import cron from 'node-cron';
import { DIGEST, RANK, SCHEDULE, parseTimezone } from '../src/index.js';
import { isHttpUrl, positive, wholeNumber } from '../adapters/config-fields.js';
import { checkDiscordSettings, discordSettings } from '../adapters/discord/config.js';
import { checkTelegramSettings, telegramSettings } from '../adapters/telegram/config.js';

const ConfigSchema = z.object({
  // Postgres instead of SQLite when set; may hold a password, so it is never echoed (see isSecret).
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\/[^/]/i.test(v), {
      message: 'must be a postgres:// or postgresql:// URL such as postgres://newsbrief@db.example:5432/newsbrief',
    }),
  DATABASE_PATH: z.string().trim().min(1).default('./data/newsbrief.db'),
  SEEDS_DIR: z.string().trim().min(1).default('./seeds'),
  SEEDS_RESCAN: z
    .string()
    .trim()
    .default('*/5 * * * *')
    .refine((v) => v === 'off' || cron.validate(v), {
      message: 'must be a cron expression such as "*/5 * * * *", or "off"',
    }),
  // Feeds (`newsbrief sources add …`): when due feeds are looked at, how often each is fetched, who asks.
  FEEDS_POLL: z
    .string()
    .trim()
    .default('* * * * *')
    .refine((v) => v === 'off' || cron.validate(v), {
      message: 'must be a cron expression such as "* * * * *" (every minute), or "off"',
    }),
  FEED_INTERVAL_MINUTES: wholeNumber(30, 5, 1440),
  FEED_CONTACT: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || contactProblem(v) === undefined, {
      message: 'must be an http(s) URL or an e-mail address (printable, no spaces or parentheses, at most 200 characters), e.g. https://example.org/newsbrief or ops@example.org',
    }),
  FEEDS_ALLOW_PRIVATE: z.enum(['on', 'off'], { message: 'must be "on" or "off"' }).default('off'),
  TERMINAL_MODE: z.enum(['auto', 'on', 'off']).default('auto'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  // The health check (GET /healthz) of npm start: off unless a port is given.
  HEALTH_PORT: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : Number(v)))
    .refine((v) => v === undefined || (Number.isInteger(v) && v >= 1 && v <= 65535), {
      message: 'must be a port number from 1 to 65535, or empty for no health check',
    }),
  HEALTH_HOST: z
    .string()
    .trim()
    .default('127.0.0.1')
    .transform((v) => (v === '' ? '127.0.0.1' : v))
    .refine((v) => /^[A-Za-z0-9.:-]+$/.test(v), {
      message: 'must be an address to listen on, such as 127.0.0.1 (this machine only), 0.0.0.0 or ::',
    }),
  // Terminal mode's log file; empty: newsbrief.log beside the SQLite database (DATABASE_PATH).
  LOG_FILE: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  ...telegramSettings,
  ...discordSettings,
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
  checkTelegramSettings(config, ctx);
  checkDiscordSettings(config, ctx);
});

/** Validated settings, parsed once from the environment by an entry point. */
export type Config = z.output<typeof ConfigSchema>;

/** Thrown when a setting is missing or malformed; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The settings for a CLI command: parsed from `env`, or undefined once the error has been written to
 * `stderr` after `prefix` ("newsbrief", "newsbrief sources"); the command then exits 2.
 */
export function commandConfig(env: Record<string, string | undefined>, stderr: { write(text: string): unknown }, prefix = 'newsbrief'): Config | undefined {
  try {
    return parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`${prefix}: ${error.message}\n`);
    return undefined;
  }
}

/** Parses settings from an environment-like object that the entry point passes in. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || 'environment';
    const value = env[name];
    const secret = isSecret(name);
    const shown = value === undefined || secret ? '' : ` (got "${value.slice(0, 60)}")`;
    return `  ${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every setting.`);
}

/** Settings whose values never appear in messages: tokens, secrets, and DATABASE_URL (it may hold a password). */
function isSecret(name: string): boolean {
  return /TOKEN|SECRET/.test(name) || name === 'DATABASE_URL';
}

/** The settings as safe to log: tokens and the database URL replaced by whether they are set. */
export function redactConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    DATABASE_URL: config.DATABASE_URL ? '[set]' : '[not set]',
    TELEGRAM_BOT_TOKEN: config.TELEGRAM_BOT_TOKEN ? '[set]' : '[not set]',
    DISCORD_TOKEN: config.DISCORD_TOKEN ? '[set]' : '[not set]',
    TELEGRAM_WEBHOOK_SECRET: config.TELEGRAM_WEBHOOK_SECRET ? '[set]' : '[not set (random for each start)]',
  };
}

/**
 * Why FEED_CONTACT cannot go into the User-Agent (`Newsbrief/0.1.0 (+CONTACT)`), or undefined: it must be an
 * http(s) URL or an e-mail address, of printable ASCII without spaces or parentheses (which would end the
 * header's comment), at most 200 characters. Checked by hand rather than by a pattern.
 */
export function contactProblem(value: string): string | undefined {
  if (value.length > 200) return 'longer than 200 characters';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x28 || c === 0x29) return 'a space, parenthesis or non-printable character';
  }
  if (value.includes('://')) return isHttpUrl(value) ? undefined : 'not an http(s) URL';
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return 'neither a URL nor an e-mail address';
  const domain = value.slice(at + 1);
  if (!domain.includes('.') || domain.startsWith('.') || domain.endsWith('.')) return 'an e-mail address without a domain';
  return undefined;
}
