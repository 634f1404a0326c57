import { afterEach, describe, expect, it } from 'vitest';
import { checkShardPlan, createDiscordBot, discordBudgetKey, parseShardList, type DiscordBot, type ShardPlan } from '../adapters/discord/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { Newsbrief, indexArticles, type Article, type Logger } from '../src/index.js';
import { makeArticle } from './helpers/articles.js';
import { DEFAULT_GUILD, FakeDiscord, shardOf, type FakeDiscordOptions } from './helpers/fake-discord.js';

// Several instances of one Discord bot: each runs some gateway shards; commands are registered once.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface LogEntry {
  level: string;
  msg?: string;
}

function recordingLogger(entries: LogEntry[]): Logger {
  const log = (level: string) => (_obj: object | string, msg?: string) => void entries.push({ level, msg });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

async function startFake(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = await FakeDiscord.start(options);
  cleanups.push(() => fake.close());
  return fake;
}

/** A bot on the fake with its own store holding `articles`, so that its answers show which instance gave them. */
async function startBot(fake: FakeDiscord, shards: ShardPlan | undefined, articles: Article[], logs: LogEntry[] = []): Promise<DiscordBot> {
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(articles));
  const bot = createDiscordBot({ token: fake.token, apiBase: fake.apiBase, app: new Newsbrief({ storage: store }), logger: recordingLogger(logs), shards });
  cleanups.push(async () => {
    await bot.stop();
    await store.close();
  });
  await bot.start();
  return bot;
}

// Server ids on either shard of two: DEFAULT_GUILD is on shard 1.
const GUILD_ON_0 = '900000000004194305';
const GUILD_ON_1 = DEFAULT_GUILD;

describe('a shard list (DISCORD_SHARDS)', () => {
  it('reads ids and inclusive ranges, in any order, into ascending ids', () => {
    expect(parseShardList('0')).toEqual({ ok: true, ids: [0] });
    expect(parseShardList('0,1')).toEqual({ ok: true, ids: [0, 1] });
    expect(parseShardList('0-3')).toEqual({ ok: true, ids: [0, 1, 2, 3] });
    expect(parseShardList(' 8, 2 - 3 ,0')).toEqual({ ok: true, ids: [0, 2, 3, 8] });
  });

  it('says what is wrong with a bad list', () => {
    expect(parseShardList('0,,1')).toEqual({ ok: false, reason: 'has an empty item' });
    expect(parseShardList('one')).toEqual({ ok: false, reason: '"one" is not a shard id or a range such as 0-3' });
    expect(parseShardList('-1')).toMatchObject({ ok: false });
    expect(parseShardList('1.5')).toMatchObject({ ok: false });
    expect(parseShardList('3-1')).toEqual({ ok: false, reason: 'range 3-1 runs backwards' });
    expect(parseShardList('0-2,2')).toEqual({ ok: false, reason: 'names shard 2 twice' });
    expect(parseShardList('70000')).toMatchObject({ ok: false, reason: expect.stringMatching(/beyond the 65536 shards/) });
  });

  it('fits a plan only when every id is below the count', () => {
    expect(checkShardPlan({ ids: [0, 1], count: 2 })).toBeUndefined();
    expect(checkShardPlan({ ids: [2], count: 2 })).toBe('shard 2 does not exist: ids run from 0 to 1 with 2 shards');
    expect(checkShardPlan({ ids: [], count: 2 })).toBe('no shard ids given');
    expect(checkShardPlan({ ids: [0], count: 0 })).toMatch(/shard count must be a whole number/);
    expect(checkShardPlan({ ids: [1, 1], count: 2 })).toBe('shard 1 is named twice');
  });
});

describe('a bot running some shards', () => {
  it('identifies with shard [1, 2] when it runs shard 1 of 2, and leaves command registration to shard 0', async () => {
    const fake = await startFake({ guildIds: [GUILD_ON_0, GUILD_ON_1] });
    const logs: LogEntry[] = [];
    const bot = await startBot(fake, { ids: [1], count: 2 }, [makeArticle({ topics: ['Space'] })], logs);
    expect(fake.identifies.map((d) => d.shard)).toEqual([[1, 2]]);
    expect(fake.identifiedShards).toEqual([1]);
    // Only its own servers arrive on its shard.
    expect([...bot.client.guilds.cache.keys()]).toEqual([GUILD_ON_1]);
    expect(fake.callsTo('PUT', /\/commands$/)).toHaveLength(0);
    expect(logs.some((l) => l.msg === 'discord: slash commands are registered by the instance running shard 0, not this one')).toBe(true);
    const topics = await fake.slash('topics', {}, { kind: 'guild', guildId: GUILD_ON_1 }).callback;
    expect(topics.body.data.embeds[0].title).toBe('Topics');
  });

  it('splits servers between two instances: each answers its own servers, shard 0 the DMs, and registers once', async () => {
    const fake = await startFake({ guildIds: [GUILD_ON_0, GUILD_ON_1] });
    expect([shardOf(GUILD_ON_0, 2), shardOf(GUILD_ON_1, 2)]).toEqual([0, 1]);
    // Each instance's store knows one topic, so a /topics answer names the instance that gave it.
    const zero = await startBot(fake, { ids: [0], count: 2 }, [makeArticle({ topics: ['Climate'] })]);
    const one = await startBot(fake, { ids: [1], count: 2 }, [makeArticle({ topics: ['Space'] })]);
    expect(fake.identifiedShards).toEqual([0, 1]);
    expect([...zero.client.guilds.cache.keys()]).toEqual([GUILD_ON_0]);
    expect([...one.client.guilds.cache.keys()]).toEqual([GUILD_ON_1]);
    expect(fake.callsTo('PUT', `/applications/${fake.appId}/commands`)).toHaveLength(1);

    const topicsIn = async (where: Parameters<FakeDiscord['slash']>[2]) => {
      const reply = await fake.slash('topics', {}, where).callback;
      return JSON.stringify(reply.body.data.embeds[0]);
    };
    expect(await topicsIn({ kind: 'guild', guildId: GUILD_ON_0 })).toContain('Climate');
    expect(await topicsIn({ kind: 'guild', guildId: GUILD_ON_1 })).toContain('Space');
    expect(await topicsIn({ kind: 'dm', userId: '900000000000000555' })).toContain('Climate');
  });

  it('runs every shard it is given on one client', async () => {
    const fake = await startFake({ guildIds: [GUILD_ON_0, GUILD_ON_1] });
    const bot = await startBot(fake, { ids: [0, 1], count: 2 }, [makeArticle({ topics: ['Space'] })]);
    expect(fake.identifies.map((d) => d.shard).sort()).toEqual([[0, 2], [1, 2]]);
    expect([...bot.client.guilds.cache.keys()].sort()).toEqual([GUILD_ON_0, GUILD_ON_1].sort());
  }, 20_000);

  it('refuses a plan naming a shard beyond the count before connecting', async () => {
    const store = openSqliteStorage(':memory:');
    cleanups.push(() => store.close());
    expect(() =>
      createDiscordBot({ token: 't', app: new Newsbrief({ storage: store }), logger: recordingLogger([]), shards: { ids: [2], count: 2 } }),
    ).toThrow('createDiscordBot: shards: shard 2 does not exist: ids run from 0 to 1 with 2 shards');
  });
});

describe('the key instances share a posting budget under', () => {
  it('is a short hash of the token: stable, one per token, and nothing of the token in it', () => {
    const token = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.secret-part-of-the-token';
    const key = discordBudgetKey(token);
    expect(key).toMatch(/^discord:[0-9a-f]{16}$/);
    expect(discordBudgetKey(token)).toBe(key);
    expect(discordBudgetKey(`${token}x`)).not.toBe(key);
    for (const part of token.split('.')) expect(key).not.toContain(part);
  });
});
