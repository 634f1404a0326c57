import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, redactConfig } from '../entry/config.js';
import { shardPlan } from '../adapters/discord/config.js';

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

  it('reads the digest window, per-outlet cap and first-digest lookback, with the documented defaults', () => {
    expect(parseConfig({})).toMatchObject({ RANK_HALF_LIFE_HOURS: 48, NEWS_WINDOW_DAYS: 7, DIGEST_PER_OUTLET: 2, FIRST_DIGEST_LOOKBACK_HOURS: 36 });
    expect(parseConfig({ NEWS_WINDOW_DAYS: '3', DIGEST_PER_OUTLET: '1', FIRST_DIGEST_LOOKBACK_HOURS: '12.5' })).toMatchObject({
      NEWS_WINDOW_DAYS: 3,
      DIGEST_PER_OUTLET: 1,
      FIRST_DIGEST_LOOKBACK_HOURS: 12.5,
    });
    expect(() => parseConfig({ NEWS_WINDOW_DAYS: '0', DIGEST_PER_OUTLET: '1.5', FIRST_DIGEST_LOOKBACK_HOURS: 'a day' })).toThrow(
      /NEWS_WINDOW_DAYS: must be a positive number \(got "0"\)\n {2}DIGEST_PER_OUTLET: must be a whole number from 1 to 10 \(got "1.5"\)\n {2}FIRST_DIGEST_LOOKBACK_HOURS: must be a positive number \(got "a day"\)/,
    );
  });

  it('.env.example, copied as it is, gives the defaults (its half-life is not the old 24 h)', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const env: Record<string, string> = {};
    for (const line of example.split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
    }
    for (const name of ['RANK_HALF_LIFE_HOURS', 'NEWS_WINDOW_DAYS', 'DIGEST_PER_OUTLET', 'FIRST_DIGEST_LOOKBACK_HOURS']) expect(env).toHaveProperty(name);
    expect(parseConfig(env)).toEqual(parseConfig({}));
  });

  it('reads the feed settings, with polling every minute, a 30-minute interval and private addresses refused by default', () => {
    expect(parseConfig({})).toMatchObject({ FEEDS_POLL: '* * * * *', FEED_INTERVAL_MINUTES: 30, FEEDS_ALLOW_PRIVATE: 'off' });
    expect(parseConfig({}).FEED_CONTACT).toBeUndefined();
    expect(parseConfig({ FEEDS_POLL: 'off', FEED_INTERVAL_MINUTES: '90', FEED_CONTACT: 'ops@example.org', FEEDS_ALLOW_PRIVATE: 'on' })).toMatchObject({
      FEEDS_POLL: 'off',
      FEED_INTERVAL_MINUTES: 90,
      FEED_CONTACT: 'ops@example.org',
      FEEDS_ALLOW_PRIVATE: 'on',
    });
    expect(parseConfig({ FEED_CONTACT: ' https://example.org/newsbrief ' }).FEED_CONTACT).toBe('https://example.org/newsbrief');
    expect(parseConfig({ FEED_CONTACT: '' }).FEED_CONTACT).toBeUndefined();
  });

  it('names each bad feed setting', () => {
    const message = (env: Record<string, string>) => {
      try {
        parseConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(message({ FEEDS_POLL: 'hourly' })).toMatch(/FEEDS_POLL: must be a cron expression such as "\* \* \* \* \*" \(every minute\), or "off" \(got "hourly"\)/);
    expect(message({ FEED_INTERVAL_MINUTES: '2' })).toMatch(/FEED_INTERVAL_MINUTES: must be a whole number from 5 to 1440 \(got "2"\)/);
    expect(message({ FEEDS_ALLOW_PRIVATE: 'yes' })).toMatch(/FEEDS_ALLOW_PRIVATE: must be "on" or "off" \(got "yes"\)/);
    for (const contact of ['ops at example', 'ftp://example.org/x', 'me (ops)@example.org', 'ops@localhost', 'a@b@example.org', `${'x'.repeat(200)}@example.org`]) {
      expect(message({ FEED_CONTACT: contact })).toMatch(/FEED_CONTACT: must be an http\(s\) URL or an e-mail address/);
    }
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

  it('runs Telegram by long polling unless TELEGRAM_WEBHOOK_URL is set, with webhook defaults for when it is', () => {
    const defaults = parseConfig({ TELEGRAM_WEBHOOK_URL: '', TELEGRAM_WEBHOOK_SECRET: ' ' });
    expect(defaults.TELEGRAM_WEBHOOK_URL).toBeUndefined();
    expect(defaults.TELEGRAM_WEBHOOK_SECRET).toBeUndefined();
    expect(defaults).toMatchObject({ TELEGRAM_WEBHOOK_HOST: '0.0.0.0', TELEGRAM_WEBHOOK_PORT: 8080 });
    const config = parseConfig({
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com:8443/telegram',
      TELEGRAM_WEBHOOK_PORT: '3000',
      TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
      TELEGRAM_WEBHOOK_SECRET: 'abc_DEF-123',
    });
    expect(config).toMatchObject({
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com:8443/telegram',
      TELEGRAM_WEBHOOK_PORT: 3000,
      TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
      TELEGRAM_WEBHOOK_SECRET: 'abc_DEF-123',
    });
  });

  it('names each bad webhook setting, without printing the secret', () => {
    const secret = 'not allowed: spaces';
    try {
      parseConfig({ TELEGRAM_WEBHOOK_URL: 'bot.example.com/telegram', TELEGRAM_WEBHOOK_PORT: '70000', TELEGRAM_WEBHOOK_SECRET: secret });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/TELEGRAM_WEBHOOK_URL: must be an http\(s\) URL/);
      expect(message).toMatch(/TELEGRAM_WEBHOOK_PORT: must be a port number/);
      expect(message).toMatch(/TELEGRAM_WEBHOOK_SECRET: must be 1-256 characters/);
      expect(message).not.toContain(secret);
    }
    expect(() => parseConfig({ TELEGRAM_WEBHOOK_PORT: 'eighty' })).toThrow(/TELEGRAM_WEBHOOK_PORT/);
  });

  it('with the public Bot API server, wants an https webhook on a port Telegram calls', () => {
    expect(() => parseConfig({ TELEGRAM_WEBHOOK_URL: 'http://bot.example.com/telegram' })).toThrow(/TELEGRAM_WEBHOOK_URL: must be an https URL/);
    expect(() => parseConfig({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com:8080/telegram' })).toThrow(
      /TELEGRAM_WEBHOOK_URL: must use port 443, 80, 88 or 8443/,
    );
    expect(parseConfig({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram' }).TELEGRAM_WEBHOOK_URL).toBe('https://bot.example.com/telegram');
    // A self-hosted Bot API server (or the tests' fake) calls plain http on any port.
    const local = parseConfig({ TELEGRAM_API_ROOT: 'http://127.0.0.1:8081', TELEGRAM_WEBHOOK_URL: 'http://127.0.0.1:9000/telegram' });
    expect(local.TELEGRAM_WEBHOOK_URL).toBe('http://127.0.0.1:9000/telegram');
  });

  it('never prints a token, even when it is the bad value', () => {
    const secret = 'TOPSECRET-123';
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: secret, DISCORD_TOKEN: secret, TELEGRAM_WEBHOOK_SECRET: secret });
    expect(JSON.stringify(redactConfig(config))).not.toContain(secret);
  });

  it('selects Postgres with a postgres:// DATABASE_URL, treating empty as unset and the URL as a secret', () => {
    expect(parseConfig({}).DATABASE_URL).toBeUndefined();
    expect(parseConfig({ DATABASE_URL: ' ' }).DATABASE_URL).toBeUndefined();
    for (const url of ['postgres://nb:pw@db.example:5432/newsbrief', 'postgresql://db.example/newsbrief']) {
      expect(parseConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
    const password = 'pa55-w0rd-secret';
    for (const bad of [`mysql://nb:${password}@db.example/newsbrief`, `nb:${password}@db.example`]) {
      try {
        parseConfig({ DATABASE_URL: bad });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
        expect((error as Error).message).not.toContain(password);
      }
    }
    const config = parseConfig({ DATABASE_URL: `postgres://nb:${password}@db.example/newsbrief` });
    expect(redactConfig(config).DATABASE_URL).toBe('[set]');
    expect(JSON.stringify(redactConfig(config))).not.toContain(password);
    expect(redactConfig(parseConfig({})).DATABASE_URL).toBe('[not set]');
  });

  it('runs every Discord shard here unless DISCORD_SHARDS picks some of DISCORD_SHARD_COUNT', () => {
    const none = parseConfig({ DISCORD_SHARD_COUNT: '', DISCORD_SHARDS: ' ' });
    expect([none.DISCORD_SHARD_COUNT, none.DISCORD_SHARDS]).toEqual([undefined, undefined]);
    expect(shardPlan(none)).toBeUndefined();
    expect(shardPlan(parseConfig({ DISCORD_SHARD_COUNT: '3' }))).toEqual({ count: 3, ids: [0, 1, 2] });
    const some = parseConfig({ DISCORD_SHARD_COUNT: '8', DISCORD_SHARDS: '4-5,0' });
    expect(some).toMatchObject({ DISCORD_SHARD_COUNT: 8, DISCORD_SHARDS: [0, 4, 5] });
    expect(shardPlan(some)).toEqual({ count: 8, ids: [0, 4, 5] });
  });

  it('names a bad shard setting and says what it must be', () => {
    const fails = (env: Record<string, string>) => {
      try {
        parseConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    expect(fails({ DISCORD_SHARD_COUNT: '0' })).toMatch(/DISCORD_SHARD_COUNT: must be a whole number from 1 to 65536: the shards across every instance of the bot \(got "0"\)/);
    expect(fails({ DISCORD_SHARD_COUNT: 'two' })).toMatch(/DISCORD_SHARD_COUNT: must be a whole number/);
    expect(fails({ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '0,x' })).toMatch(
      /DISCORD_SHARDS: must list shard ids such as 0,1 or 0-3: it "x" is not a shard id or a range such as 0-3 \(got "0,x"\)/,
    );
    expect(fails({ DISCORD_SHARD_COUNT: '4', DISCORD_SHARDS: '1,1' })).toMatch(/DISCORD_SHARDS: .*names shard 1 twice/);
    expect(fails({ DISCORD_SHARDS: '0' })).toMatch(/DISCORD_SHARDS: needs DISCORD_SHARD_COUNT, the number of shards across every instance, to be set too/);
    expect(fails({ DISCORD_SHARD_COUNT: '2', DISCORD_SHARDS: '1-2' })).toMatch(
      /DISCORD_SHARDS: names shard 2, but with DISCORD_SHARD_COUNT=2 the shard ids run from 0 to 1 \(got "1-2"\)/,
    );
  });
});
