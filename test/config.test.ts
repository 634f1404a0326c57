import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, redactConfig } from '../src/config.js';

describe('config', () => {
  it('has working defaults for an empty environment', () => {
    expect(parseConfig({})).toMatchObject({
      DATABASE_PATH: './data/newsbrief.db',
      SEEDS_DIR: './seeds',
      SEEDS_RESCAN: '*/5 * * * *',
      TELEGRAM_API_ROOT: 'https://api.telegram.org',
      DISCORD_API_BASE: 'https://discord.com/api',
      CATCH_UP_HOURS: 6,
      DIGEST_COUNT: 5,
      TERMINAL_MODE: 'auto',
    });
  });

  it('treats empty tokens as unset and trims trailing slashes off API bases', () => {
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: '', TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/' });
    expect(config.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(config.TELEGRAM_API_ROOT).toBe('http://127.0.0.1:8081');
  });

  it('names every bad variable in one error', () => {
    try {
      parseConfig({ SEEDS_RESCAN: 'every day', DIGEST_COUNT: '50', DISCORD_GUILD_ID: 'abc', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['SEEDS_RESCAN', 'DIGEST_COUNT', 'DISCORD_GUILD_ID', 'LOG_LEVEL']) expect(message).toContain(name);
    }
  });

  it('never prints a token, even when it is the bad value', () => {
    const secret = 'TOPSECRET-123';
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: secret, DISCORD_TOKEN: secret });
    expect(JSON.stringify(redactConfig(config))).not.toContain(secret);
  });
});
