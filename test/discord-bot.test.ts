import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordBot, type DiscordBot } from '../adapters/discord/bot.js';
import { Newsbrief, type Article, type Logger, indexArticles } from '../src/index.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle, makeRelated } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import {
  DEFAULT_CHANNEL,
  DEFAULT_GUILD,
  DEFAULT_USER,
  FakeDiscord,
  Perm,
  type FakeDiscordOptions,
  type RecordedCall,
  type Where,
} from './helpers/fake-discord.js';

const EPHEMERAL = 64;
const MANAGER: Where = { kind: 'guild', permissions: Perm.ViewChannel | Perm.SendMessages | Perm.ManageChannels };
const MEMBER: Where = { kind: 'guild', permissions: Perm.ViewChannel | Perm.SendMessages };
const DM: Where = { kind: 'dm', userId: '900000000000000555', channelId: '700000000000000555' };

interface LogEntry {
  level: string;
  obj: unknown;
  msg?: string;
}

function recordingLogger(entries: LogEntry[]): Logger {
  const log = (level: string) => (obj: object | string, msg?: string) => entries.push({ level, obj, msg });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function defaultArticles(): Article[] {
  return [
    makeArticle({ title: 'Chips get faster', topics: ['AI'], quality: 90, related: [makeRelated({ title: 'Chips get faster: a rival view' })] }),
    makeArticle({ title: 'Models get bigger', topics: ['AI'], quality: 80 }),
    makeArticle({ title: 'Robots learn to fold laundry', topics: ['AI', 'Robotics'], quality: 70 }),
    makeArticle({ title: 'A new telescope', topics: ['Space'], quality: 70 }),
    makeArticle({ title: 'Warmest November', topics: ['Climate'], quality: 70 }),
  ];
}

interface Harness {
  fake: FakeDiscord;
  store: SqliteStorage;
  app: Newsbrief;
  clock: FakeClock;
  logs: LogEntry[];
  bot: DiscordBot;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: { articles?: Article[]; guildId?: string; fake?: FakeDiscordOptions; postsPerSecond?: number } = {},
): Promise<Harness> {
  const fake = await FakeDiscord.start(options.fake);
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(options.articles ?? defaultArticles()));
  const clock = new FakeClock('2026-11-25T12:00:00.000Z');
  const app = new Newsbrief({ storage: store, clock: clock.now });
  const logs: LogEntry[] = [];
  const bot = createDiscordBot({
    token: fake.token,
    apiBase: fake.apiBase,
    guildId: options.guildId,
    app,
    logger: recordingLogger(logs),
    postsPerSecond: options.postsPerSecond,
  });
  cleanups.push(async () => {
    await bot.stop();
    await fake.close();
    await store.close();
  });
  await bot.start();
  return { fake, store, app, clock, logs, bot };
}

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waitUntil: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isEphemeral(call: RecordedCall): boolean {
  return ((call.body?.data?.flags ?? call.body?.flags ?? 0) & EPHEMERAL) === EPHEMERAL;
}

/** Every message body the bot sent: interaction replies, follow-ups, edits and channel posts. */
function sentMessages(fake: FakeDiscord): any[] {
  return fake.calls.flatMap((c) => {
    if (c.method === 'POST' && c.path.endsWith('/callback') && c.body?.type === 4) return [c.body.data];
    if (/^\/webhooks\//.test(c.path) && (c.method === 'POST' || c.method === 'PATCH')) return [c.body];
    if (c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path)) return [c.body];
    return [];
  });
}

async function command(h: Harness, name: string, options: Record<string, string | number | undefined>, where: Where = MEMBER) {
  const d = h.fake.slash(name, options, where);
  const callback = await d.callback;
  expect(callback.status).toBe(204);
  return { ...d, reply: callback, data: callback.body.data, ephemeral: isEphemeral(callback) };
}

async function suggest(h: Harness, name: string, options: Record<string, string | undefined>, focused: string, where: Where = MANAGER) {
  const d = h.fake.autocomplete(name, options, focused, where);
  const callback = await d.callback;
  expect(callback.status).toBe(204);
  expect(callback.body.type).toBe(8);
  return callback.body.data.choices as { name: string; value: string }[];
}

describe('start and stop', () => {
  it('connects through DISCORD_API_BASE: gateway from GET /gateway/bot, plain JSON, Guilds intent only', async () => {
    const h = await setup();
    const gatewayBot = h.fake.callsTo('GET', '/gateway/bot');
    expect(gatewayBot).toHaveLength(1);
    expect(gatewayBot[0]!.headers.authorization).toBe(`Bot ${h.fake.token}`);
    expect(h.fake.gatewayRequests).toEqual(['/gateway?v=10&encoding=json']);
    expect(h.fake.identifies).toHaveLength(1);
    expect(h.fake.identifies[0].intents).toBe(1);
    expect(h.fake.identifies[0].compress).toBeFalsy();
    expect(h.bot.client.isReady()).toBe(true);
    expect(h.bot.client.guilds.cache.has(DEFAULT_GUILD)).toBe(true);
    expect((await h.bot.client.application!.fetch()).name).toBe('Newsbrief');
  });

  it('registers every slash command globally in one bulk overwrite, identical on every start', async () => {
    const h = await setup();
    const route = `/applications/${h.fake.appId}/commands`;
    const puts = h.fake.callsTo('PUT', route);
    expect(puts).toHaveLength(1);
    expect(puts[0]!.status).toBe(200);
    const commands = puts[0]!.body as any[];
    expect(commands.map((c) => c.name).sort()).toEqual(['help', 'news', 'pause', 'preview', 'resume', 'subscribe', 'subscriptions', 'timezone', 'topics', 'unsubscribe']);
    const byName = new Map(commands.map((c) => [c.name, c]));
    for (const name of ['subscribe', 'unsubscribe', 'pause', 'resume']) {
      expect(byName.get(name).default_member_permissions).toBe(String(Perm.ManageChannels));
    }
    expect(byName.get('news').default_member_permissions ?? null).toBeNull();
    for (const c of commands) {
      expect(c.dm_permission).toBe(true);
      expect(c.contexts).toEqual(expect.arrayContaining([0, 1]));
    }
    const news = byName.get('news');
    expect(news.options).toEqual([
      expect.objectContaining({ name: 'topic', type: 3, required: true, autocomplete: true }),
      expect.objectContaining({ name: 'count', type: 4, min_value: 1, max_value: 10 }),
    ]);
    expect(byName.get('subscribe').options.map((o: any) => [o.name, o.autocomplete ?? false])).toEqual([
      ['topic', true],
      ['time', false],
      ['timezone', true],
      ['days', false],
      ['count', false],
      ['include', false],
      ['exclude', false],
      ['outlets', false],
      ['min', false],
    ]);
    const ids = h.fake.commands.get(route)!.map((c) => c.id);

    // A restart overwrites with the same list: same request, same commands.
    const again = createDiscordBot({ token: h.fake.token, apiBase: h.fake.apiBase, app: h.app, logger: recordingLogger([]) });
    cleanups.push(() => again.stop());
    await again.start();
    const second = h.fake.callsTo('PUT', route);
    expect(second).toHaveLength(2);
    expect(second[1]!.body).toEqual(second[0]!.body);
    expect(h.fake.commands.get(route)!.map((c) => c.id)).toEqual(ids);
    expect(h.fake.calls.filter((c) => c.method === 'POST' && /commands/.test(c.path))).toEqual([]);
  });

  it('registers to one server only when a guild id is given', async () => {
    const h = await setup({ guildId: DEFAULT_GUILD });
    expect(h.fake.callsTo('PUT', `/applications/${h.fake.appId}/guilds/${DEFAULT_GUILD}/commands`)).toHaveLength(1);
    expect(h.fake.callsTo('PUT', `/applications/${h.fake.appId}/commands`)).toHaveLength(0);
  });

  it('refuses to start with a token Discord rejects, without connecting the gateway', async () => {
    const fake = await FakeDiscord.start();
    const store = openSqliteStorage(':memory:');
    const bot = createDiscordBot({ token: 'wrong-token', apiBase: fake.apiBase, app: new Newsbrief({ storage: store }), logger: recordingLogger([]) });
    cleanups.push(async () => {
      await bot.stop();
      await fake.close();
      await store.close();
    });
    await expect(bot.start()).rejects.toThrow(/token/i);
    expect(fake.callsTo('GET', '/gateway/bot')[0]!.status).toBe(401);
    expect(fake.identifies).toHaveLength(0);
  });

  it('rejects an API base that is not an http(s) URL', async () => {
    const store = openSqliteStorage(':memory:');
    const make = (apiBase: string) => () =>
      createDiscordBot({ token: 't', apiBase, app: new Newsbrief({ storage: store }), logger: recordingLogger([]) });
    expect(make('not a url')).toThrow(/apiBase is not a URL/);
    expect(make('ftp://127.0.0.1/api')).toThrow(/http\(s\)/);
    await store.close();
  });

  it('heartbeats on the interval the gateway asks for and stays connected on ACKs', async () => {
    const h = await setup({ fake: { heartbeatIntervalMs: 40 } });
    await waitUntil(() => h.fake.heartbeats >= 4);
    expect(h.fake.gatewayRequests).toHaveLength(1);
    expect(h.fake.connectedClients).toBe(1);
    expect(h.bot.client.ws.ping).toBeGreaterThanOrEqual(0);
  });

  it('stop closes the gateway connection, and a stopped bot does not start again', async () => {
    const h = await setup();
    expect(h.fake.connectedClients).toBe(1);
    await h.bot.stop();
    await waitUntil(() => h.fake.connectedClients === 0);
    await expect(h.bot.start()).rejects.toThrow(/stopped/);
    await h.bot.stop();
  });
});

describe('/news', () => {
  it('answers at once with a public digest: a header naming the topic and one embed per story', async () => {
    const h = await setup();
    const before = h.fake.calls.length;
    const started = Date.now();
    const { data, ephemeral, reply } = await command(h, 'news', { topic: 'ai' });
    expect(reply.at - started).toBeLessThan(1000);
    expect(h.fake.calls[before]).toBe(reply);
    expect(ephemeral).toBe(false);
    expect(data.content).toContain('**AI**');
    expect(data.embeds.map((e: any) => e.title)).toEqual(['Chips get faster', 'Models get bigger', 'Robots learn to fold laundry']);
    const first = data.embeds[0];
    expect(first.url).toMatch(/^https:\/\//);
    expect(first.author.name).toMatch(/^Outlet/);
    expect(first.timestamp).toBe('2026-11-25T08:00:00.000Z');
    expect(first.description).toContain('A short excerpt');
    expect(first.fields[0]).toEqual({ name: 'Related coverage', value: expect.stringContaining('Chips get faster: a rival view') });
    expect(data.allowed_mentions).toEqual({ parse: [] });
  });

  it('says when the topic has nothing in the window and shows the latest stories with their age', async () => {
    const old = makeArticle({ title: 'Qubits hold their state longer', topics: ['Oceans'], publishedAt: '2026-11-04T12:00:00.000Z' });
    const h = await setup({ articles: [...defaultArticles(), old] });
    const { data, ephemeral } = await command(h, 'news', { topic: 'oceans' });
    expect(ephemeral).toBe(false);
    expect(data.content).toContain('Nothing on **Oceans** in the last 7 days. The latest stories:');
    expect(data.embeds[0].title).toBe('Qubits hold their state longer');
    // The clock says 25 Nov 12:00: three weeks after the article.
    expect(data.embeds[0].footer.text).toMatch(/^1\/1 · .+ · 3 weeks ago$/);
    const fresh = await command(h, 'news', { topic: 'ai' });
    expect(fresh.data.content).not.toContain('Nothing on');
    expect(fresh.data.embeds[0].footer.text).not.toContain('ago');
  });

  it('shows as many stories as asked for', async () => {
    const h = await setup();
    const { data } = await command(h, 'news', { topic: 'AI', count: 2 });
    expect(data.embeds).toHaveLength(2);
  });

  it('answers an unknown topic privately with the closest topic and a Discord-style example', async () => {
    const h = await setup();
    const { data, ephemeral } = await command(h, 'news', { topic: 'Spce' });
    expect(ephemeral).toBe(true);
    expect(data.content).toContain('Did you mean Space?');
    expect(data.content).toContain('`/news topic:Space`');
    expect(data.embeds ?? []).toEqual([]);
  });

  it('answers a count outside 1–10 privately, whatever the client let through', async () => {
    const h = await setup();
    const { data, ephemeral } = await command(h, 'news', { topic: 'AI', count: 11 });
    expect(ephemeral).toBe(true);
    expect(data.content).toContain('from 1 to 10');
  });

  it('splits ten hostile, very long stories across follow-ups that Discord accepts, pinging no one', async () => {
    // Distinct words per story, so that the core does not fold them into one story.
    const words = (i: number, n: number) => Array.from({ length: n }, (_, k) => `w${i}x${k}`).join(' ');
    const hostile = Array.from({ length: 10 }, (_, i) =>
      makeArticle({
        title: `@everyone <@${DEFAULT_USER}> **breaking** ${words(i, 80)}`,
        excerpt: `@here ||spoiler|| [phish](https://evil.example) ${words(i, 3000)}`,
        topics: ['AI'],
        quality: 90 - i,
        provider: { name: `Outlet @everyone ${i}`, domain: `outlet${i}.example.com` },
        related: Array.from({ length: 6 }, (_, j) =>
          makeRelated({
            title: `<@&${DEFAULT_GUILD}> related ${words(i * 10 + j, 100)}`,
            url: `https://rel${j}.example${i}.org/${'p'.repeat(400)}`,
          }),
        ),
      }),
    );
    const h = await setup({ articles: hostile });
    const digest = await h.app.news('AI', { count: 10 });
    expect(digest.ok && digest.digest.items.length).toBe(10);
    const d = h.fake.slash('news', { topic: 'AI', count: 10 }, MEMBER);
    const reply = await d.callback;
    expect(reply.status).toBe(204);
    expect(isEphemeral(reply)).toBe(false);
    await waitUntil(() => h.fake.interactionMessages(d.token).reduce((n, m) => n + (m.body.embeds?.length ?? 0), 0) >= 10);
    const followUps = h.fake.callsTo('POST', `/webhooks/${h.fake.appId}/${d.token}`);
    expect(followUps.length).toBeGreaterThan(0);
    expect(followUps.every((c) => c.status === 200 && !isEphemeral(c))).toBe(true);
    const messages = h.fake.interactionMessages(d.token);
    expect(messages.flatMap((m) => m.body.embeds)).toHaveLength(10);
    for (const body of sentMessages(h.fake)) {
      expect(body.allowed_mentions).toEqual({ parse: [] });
      expect(JSON.stringify(body)).not.toMatch(/@everyone|@here|<@&?\d/);
    }
    expect(h.fake.calls.filter((c) => c.status >= 400)).toEqual([]);
  });
});

describe('autocomplete', () => {
  const manyTopics = () => [
    ...defaultArticles(),
    ...Array.from({ length: 30 }, (_, i) => makeArticle({ topics: [`Topic ${String(i).padStart(2, '0')}`] })),
    makeArticle({ topics: ['Spanish Politics'] }),
    makeArticle({ topics: ['Aerospace'] }),
  ];

  it('suggests at most 25 topics, fast', async () => {
    const h = await setup({ articles: manyTopics() });
    const started = Date.now();
    const choices = await suggest(h, 'news', { topic: 'top' }, 'topic', MEMBER);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(choices).toHaveLength(25);
    expect(choices.every((c) => c.value.startsWith('Topic '))).toBe(true);
    expect(choices[0]).toEqual({ name: 'Topic 00 (1)', value: 'Topic 00' });
  });

  it('puts topics starting with the input before fuzzy matches', async () => {
    const h = await setup({ articles: manyTopics() });
    const choices = await suggest(h, 'news', { topic: 'spa' }, 'topic', MEMBER);
    const values = choices.map((c) => c.value);
    expect(values.slice(0, 2).sort()).toEqual(['Space', 'Spanish Politics']);
    expect(values).toContain('Aerospace');
    expect(values.indexOf('Aerospace')).toBeGreaterThan(1);
  });

  it('offers the main topics before anything is typed', async () => {
    const h = await setup();
    const choices = await suggest(h, 'news', {}, 'topic', MEMBER);
    expect(choices[0]).toEqual({ name: 'AI (3)', value: 'AI' });
  });

  it('completes time zones: prefix or city first, then names containing the input, at most 25', async () => {
    const h = await setup();
    expect((await suggest(h, 'subscribe', { topic: 'AI', timezone: 'kyiv' }, 'timezone'))[0]).toEqual({ name: 'Europe/Kyiv', value: 'Europe/Kyiv' });
    expect((await suggest(h, 'subscribe', { topic: 'AI', timezone: 'new york' }, 'timezone')).map((c) => c.value)).toContain('America/New_York');
    expect(await suggest(h, 'subscribe', { topic: 'AI', timezone: 'america/' }, 'timezone')).toHaveLength(25);
    expect((await suggest(h, 'subscribe', { topic: 'AI', timezone: '' }, 'timezone'))[0]!.value).toBe('UTC');
    expect((await suggest(h, 'timezone', { zone: 'utc' }, 'zone'))[0]!.value).toBe('UTC');
  });

  it('offers this channel\'s subscriptions and "all" to /unsubscribe', async () => {
    const h = await setup();
    await command(h, 'subscribe', { topic: 'AI' }, MANAGER);
    await command(h, 'subscribe', { topic: 'Space' }, MANAGER);
    const choices = await suggest(h, 'unsubscribe', { topic: '' }, 'topic');
    expect(choices.map((c) => c.value)).toEqual(['AI', 'Space', 'all']);
    expect((await suggest(h, 'unsubscribe', { topic: 'sp' }, 'topic')).map((c) => c.value)).toEqual(['Space']);
    expect(await suggest(h, 'unsubscribe', { topic: '' }, 'topic', { kind: 'guild', channelId: '900000000000000099' })).toEqual([]);
  });
});

describe('subscriptions and permissions', () => {
  const target = (chatId: string) => ({ platform: 'discord' as const, chatId });

  it('refuses /subscribe from a member without Manage Channels, and stores nothing', async () => {
    const h = await setup();
    const { data, ephemeral } = await command(h, 'subscribe', { topic: 'AI' }, MEMBER);
    expect(ephemeral).toBe(true);
    expect(data.content).toContain('Manage Channels');
    expect(await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL))).toEqual([]);
  });

  it('subscribes the channel for a member with Manage Channels and confirms privately with the next delivery', async () => {
    const h = await setup();
    const { data, ephemeral } = await command(h, 'subscribe', { topic: 'ai', time: '9:30', timezone: 'Europe/Kyiv' }, MANAGER);
    expect(ephemeral).toBe(true);
    expect(data.content).toContain('This channel is now subscribed to **AI**: daily at 09:30 (Europe/Kyiv, its own zone)');
    expect(data.content).toContain('Next digest: Thu 26 Nov, 09:30 (Europe/Kyiv)');
    const [sub] = await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL));
    expect(sub).toMatchObject({ topic: 'AI', time: '09:30', timezone: 'Europe/Kyiv', nextDueAt: '2026-11-26T07:30:00.000Z' });

    const list = await command(h, 'subscriptions', {}, MEMBER);
    expect(list.ephemeral).toBe(true);
    expect(list.data.embeds[0].title).toBe('Daily digests in this channel');
    expect(list.data.embeds[0].description).toContain('**AI** — daily at 09:30 (Europe/Kyiv, its own zone)\nnext: Thu 26 Nov, 09:30 (Europe/Kyiv)');
  });

  it('lets an Administrator subscribe without Manage Channels being set explicitly', async () => {
    const h = await setup();
    await command(h, 'subscribe', { topic: 'Space' }, { kind: 'guild', permissions: Perm.Administrator });
    expect((await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL))).map((s) => s.topic)).toEqual(['Space']);
  });

  it('refuses to subscribe a channel the bot cannot post in, naming what it lacks', async () => {
    const h = await setup();
    const { data } = await command(h, 'subscribe', { topic: 'AI' }, { ...MANAGER, appPermissions: Perm.ViewChannel | Perm.EmbedLinks } as Where);
    expect(data.content).toContain('I need Send Messages');
    expect(await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL))).toEqual([]);
  });

  it('in a thread, asks for Send Messages in Threads rather than Send Messages', async () => {
    const h = await setup();
    const thread = '900000000000000777';
    const where: Where = { kind: 'guild', channelId: thread, thread: true, permissions: Perm.ManageChannels, appPermissions: Perm.ViewChannel | Perm.EmbedLinks | Perm.SendMessagesInThreads };
    await command(h, 'subscribe', { topic: 'AI' }, where);
    expect((await h.store.subscriptions.listSubscriptions(target(thread))).map((s) => s.topic)).toEqual(['AI']);
  });

  it('in a DM subscribes the user through the DM channel, with no permission needed', async () => {
    const h = await setup();
    const { data, ephemeral } = await command(h, 'subscribe', { topic: 'Climate', time: '07:00' }, DM);
    expect(ephemeral).toBe(true);
    expect(data.content).toContain('You are now subscribed to **Climate**');
    expect((await h.store.subscriptions.listSubscriptions(target('700000000000000555'))).map((s) => s.topic)).toEqual(['Climate']);

    const mine = await command(h, 'subscriptions', {}, DM);
    expect(mine.data.embeds[0].title).toBe('Your daily digests');
    expect(mine.data.embeds[0].description).toContain('**Climate** — daily at 07:00 (UTC)');
    const channel = await command(h, 'subscriptions', {}, MEMBER);
    expect(channel.data.content).toContain('This channel has no daily digests');
  });

  it('unsubscribes one topic or all of them, and only for managers', async () => {
    const h = await setup();
    for (const topic of ['AI', 'Space', 'Climate']) await command(h, 'subscribe', { topic }, MANAGER);

    const refused = await command(h, 'unsubscribe', { topic: 'AI' }, MEMBER);
    expect(refused.data.content).toContain('Manage Channels');
    expect(await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL))).toHaveLength(3);

    const one = await command(h, 'unsubscribe', { topic: 'ai' }, MANAGER);
    expect(one.ephemeral).toBe(true);
    expect(one.data.content).toBe('Unsubscribed from **AI**.');
    const missing = await command(h, 'unsubscribe', { topic: 'AI' }, MANAGER);
    expect(missing.ephemeral).toBe(true);
    expect(missing.data.content).toContain('There is no subscription to "AI" here.');

    const all = await command(h, 'unsubscribe', { topic: 'all' }, MANAGER);
    expect(all.data.content).toMatch(/^Removed 2 subscriptions: (\*\*Space\*\*, \*\*Climate\*\*|\*\*Climate\*\*, \*\*Space\*\*)\.$/);
    expect(await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL))).toEqual([]);
  });

  it('answers a bad time privately with a Discord-style example', async () => {
    const h = await setup();
    const { data, ephemeral } = await command(h, 'subscribe', { topic: 'AI', time: '25:00' }, MANAGER);
    expect(ephemeral).toBe(true);
    expect(data.content).toContain('"25:00" is not a time of day');
    expect(data.content).toContain('`/subscribe topic:AI time:08:30`');
  });

  it('shows and sets the time zone, moving existing subscriptions', async () => {
    const h = await setup();
    await command(h, 'subscribe', { topic: 'AI', time: '08:00' }, MANAGER);
    expect((await command(h, 'timezone', {}, MEMBER)).data.content).toContain('use **UTC**');
    expect((await command(h, 'timezone', { zone: 'Asia/Tokyo' }, MEMBER)).data.content).toContain('Manage Channels');
    const set = await command(h, 'timezone', { zone: 'asia/tokyo' }, MANAGER);
    expect(set.data.content).toContain('Time zone set to **Asia/Tokyo**.\nMoved to it, same local times: **AI**.');
    expect((await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL)))[0]).toMatchObject({ timezone: 'Asia/Tokyo', time: '08:00' });
    const bad = await command(h, 'timezone', { zone: 'Mars/Olympus' }, MANAGER);
    expect(bad.data.content).toContain('is not a time zone');
    expect(bad.data.content).toContain('`/timezone zone:Europe/Kyiv`');
  });

  it('lists topics and help privately', async () => {
    const h = await setup();
    const topics = await command(h, 'topics', {});
    expect(topics.ephemeral).toBe(true);
    expect(topics.data.embeds[0].description).toMatch(/^\*\*AI\*\* · 3\n/);
    const help = await command(h, 'help', {}, DM);
    expect(help.ephemeral).toBe(true);
    expect(help.data.embeds[0].description).toContain('**/subscribe**');
  });
});

describe('faults', () => {
  it('answers a failing command with a private apology and a log line, and keeps serving', async () => {
    const h = await setup();
    const original = h.app.listTopics.bind(h.app);
    h.app.listTopics = () => {
      throw new Error('database on fire');
    };
    const failed = await command(h, 'topics', {});
    expect(failed.ephemeral).toBe(true);
    expect(failed.data.content).toContain('Sorry, something went wrong');
    expect(failed.data.content).not.toContain('database on fire');
    const logged = h.logs.find((l) => l.level === 'error' && l.msg === 'discord interaction failed');
    expect(logged?.obj).toMatchObject({ command: 'topics', channelId: DEFAULT_CHANNEL, err: expect.objectContaining({ message: 'database on fire' }) });

    h.app.listTopics = original;
    expect((await command(h, 'topics', {})).data.embeds[0].title).toBe('Topics');
  });

  it('answers a failing autocomplete with no suggestions', async () => {
    const h = await setup();
    h.app.completeTopic = () => {
      throw new Error('index broken');
    };
    expect(await suggest(h, 'news', { topic: 'a' }, 'topic')).toEqual([]);
    expect(h.logs.some((l) => l.level === 'error')).toBe(true);
  });

  it('logs a failed reply without the interaction token, then apologises', async () => {
    const h = await setup();
    // discord.js tries a failing request four times in all before giving up.
    h.fake.fail({ method: 'POST', path: /\/callback$/, status: 500, times: 4 });
    const d = h.fake.slash('help', {}, MEMBER);
    const answered = await h.fake.waitForCall((c) => c.path === `/interactions/${d.id}/${d.token}/callback` && c.status === 204);
    expect(answered.body.data.content).toContain('Sorry, something went wrong');
    expect(isEphemeral(answered)).toBe(true);
    const logged = h.logs.find((l) => l.level === 'error');
    expect(logged?.obj).toMatchObject({ command: 'help', err: expect.objectContaining({ status: 500 }) });
    expect(JSON.stringify(logged)).toContain('/:token');
    expect(JSON.stringify(h.logs)).not.toContain(d.token);
  });

  it('waits out a 429 on the interaction callback and then answers', async () => {
    const h = await setup();
    h.fake.fail({ method: 'POST', path: /\/callback$/, status: 429, retryAfter: 0.2 });
    const d = h.fake.slash('help', {}, MEMBER);
    const answered = await h.fake.waitForCall((c) => c.path === `/interactions/${d.id}/${d.token}/callback` && c.status === 204);
    const attempts = h.fake.callsTo('POST', `/interactions/${d.id}/${d.token}/callback`);
    expect(attempts.map((c) => c.status)).toEqual([429, 204]);
    expect(answered.at - attempts[0]!.at).toBeGreaterThanOrEqual(190);
    expect(h.logs.some((l) => l.level === 'warn' && l.msg?.includes('rate limited'))).toBe(true);
  });
});

describe('subscription options, through discord.js and the fake gateway', () => {
  const target = (chatId: string) => ({ platform: 'discord' as const, chatId });

  it('/subscribe takes every option as a slash option, stores them and says them back; an edit changes only what it names', async () => {
    const h = await setup();
    const { data } = await command(
      h,
      'subscribe',
      { topic: 'AI', time: '08:00,18:00', timezone: 'Europe/Kyiv', days: 'mon-fri', count: 2, include: 'chips, models', exclude: 'laundry', outlets: 'example.com', min: 60 },
      MANAGER,
    );
    expect(data.content).toContain(
      'This channel is now subscribed to **AI**: weekdays at 08:00 and 18:00 (Europe/Kyiv, its own zone) · 2 stories · only: chips, models · not: laundry · not from: example.com · quality 60+.',
    );
    const [created] = await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL));
    expect(created).toMatchObject({
      schedule: { kind: 'weekdays', days: [1, 2, 3, 4, 5], times: ['08:00', '18:00'] },
      count: 2,
      filters: { include: ['chips', 'models'], exclude: ['laundry'], outlets: ['example.com'], minQuality: 60 },
    });

    const edit = await command(h, 'subscribe', { topic: 'AI', time: '9am' }, MANAGER);
    expect(edit.data.content).toContain('still subscribed to **AI** (time updated): weekdays at 09:00 (Europe/Kyiv, its own zone) · 2 stories');
    const [edited] = await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL));
    expect(edited).toEqual({ ...created, time: '09:00', schedule: { ...created!.schedule, times: ['09:00'] }, nextDueAt: '2026-11-26T07:00:00.000Z' });

    const list = await command(h, 'subscriptions', {}, MEMBER);
    expect(list.data.embeds[0].description).toContain('**AI** — weekdays at 09:00 (Europe/Kyiv, its own zone) · 2 stories · only: chips, models');
  });

  it('registers integer options for count and min quality, text for the rest', async () => {
    const h = await setup();
    const registered = [...h.fake.commands.values()].flat().find((c: any) => c.name === 'subscribe') as any;
    const types = Object.fromEntries(registered.options.map((o: any) => [o.name, o.type]));
    expect(types).toEqual({ topic: 3, time: 3, timezone: 3, days: 3, count: 4, include: 3, exclude: 3, outlets: 3, min: 4 });
  });

  it('/subscribe space 09:15 EST says the zone is not recognised and which to use', async () => {
    const h = await setup();
    const { data } = await command(h, 'subscribe', { topic: 'space', time: '09:15', timezone: 'EST' }, MANAGER);
    expect(data.content).toContain('The time zone "EST" is not recognised');
    expect(data.content).toContain('Use America/New\\_York or UTC-5.');
    expect(await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL))).toEqual([]);
  });

  it('refuses a 10,000-character include list, naming the option', async () => {
    const h = await setup();
    const { data } = await command(h, 'subscribe', { topic: 'AI', include: 'word,'.repeat(2000) }, MANAGER);
    expect(data.content).toContain('The include option is longer than 1,000 characters.');
  });

  it('/preview answers with the next digest, filters applied, and delivers or marks nothing', async () => {
    const h = await setup();
    await command(h, 'subscribe', { topic: 'AI', time: '18:00', exclude: 'laundry' }, MANAGER);
    const d = h.fake.slash('preview', { topic: 'ai' }, MEMBER);
    const reply = await d.callback;
    expect(isEphemeral(reply)).toBe(true);
    expect(reply.body.data.content).toContain('Preview of the next **AI** digest (not sent)');
    await waitUntil(() => h.fake.interactionMessages(d.token).some((m) => (m.body.embeds?.length ?? 0) > 0));
    const titles = h.fake.interactionMessages(d.token).flatMap((m) => (m.body.embeds ?? []).map((e: any) => e.title));
    expect(titles).toEqual(expect.arrayContaining(['Chips get faster', 'Models get bigger']));
    expect(titles).not.toContain('Robots learn to fold laundry');
    expect(h.fake.callsTo('POST', `/channels/${DEFAULT_CHANNEL}/messages`)).toHaveLength(0);
    const [sub] = await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL));
    expect(await h.store.deliveries.deliveries(sub!.id)).toEqual([]);
  });

  it('/pause and /resume need Manage Channels; paused shows in the list, resumed comes at its next time', async () => {
    const h = await setup();
    await command(h, 'subscribe', { topic: 'AI', time: '07:00', count: 3 }, MANAGER);
    const refused = await command(h, 'pause', { topic: 'AI' }, MEMBER);
    expect(refused.data.content).toContain('Manage Channels');
    const paused = await command(h, 'pause', { topic: 'AI' }, MANAGER);
    expect(paused.data.content).toContain('⏸ Paused **AI**');
    const list = await command(h, 'subscriptions', {}, MEMBER);
    expect(list.data.embeds[0].description).toContain('⏸ paused: /resume topic:AI resumes it.');
    const resumed = await command(h, 'resume', { topic: 'all' }, MANAGER);
    expect(resumed.data.content).toContain('▶️ Resumed **AI**. Next digest: Thu 26 Nov, 07:00 (UTC)');
    const [sub] = await h.store.subscriptions.listSubscriptions(target(DEFAULT_CHANNEL));
    expect(sub).toMatchObject({ paused: false, count: 3, nextDueAt: '2026-11-26T07:00:00.000Z' });
  });

  it('suggests only subscribed topics for /pause, /resume and /preview', async () => {
    const h = await setup();
    await command(h, 'subscribe', { topic: 'Space' }, MANAGER);
    for (const name of ['pause', 'resume', 'preview']) {
      const choices = await suggest(h, name, { topic: '' }, 'topic');
      expect(choices.map((c) => c.name), name).toContain('Space');
      expect(choices.map((c) => c.name), name).not.toContain('AI');
    }
  });
});
