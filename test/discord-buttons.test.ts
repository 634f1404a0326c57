import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordBot, type DiscordBot } from '../adapters/discord/bot.js';
import { CUSTOM_ID_LIMIT, decodeCustomId, encodeCustomId } from '../adapters/discord/custom-ids.js';
import { DigestScheduler } from '../src/schedule.js';
import { Newsbrief, NEWS_MAX_PAGE, silentLogger, type Article, type Logger, type Target, indexArticles } from '../src/index.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { makeArticle } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import {
  DEFAULT_CHANNEL,
  FakeDiscord,
  Perm,
  snowflake,
  type Dispatched,
  type FakeChannel,
  type FakeMessage,
  type RecordedCall,
  type Where,
} from './helpers/fake-discord.js';

const EPHEMERAL = 64;
const MANAGER: Where = { kind: 'guild', permissions: Perm.ViewChannel | Perm.SendMessages | Perm.ManageChannels };
const MEMBER: Where = { kind: 'guild', permissions: Perm.ViewChannel | Perm.SendMessages };
const THREAD = '900000000000000777';
const FORUM = '900000000000000888';
const TAGGED_FORUM = '900000000000000889';

interface Harness {
  fake: FakeDiscord;
  store: SqliteStorage;
  app: Newsbrief;
  clock: FakeClock;
  bot: DiscordBot;
  errors: unknown[];
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Distinct words per story, so that the core does not fold them into one story.
const words = (seed: string, n: number) => Array.from({ length: n }, (_, k) => `${seed}x${k}`).join(' ');

function stories(topic: string, n: number): Article[] {
  return Array.from({ length: n }, (_, i) =>
    makeArticle({ title: `${topic} story ${i} ${words(`${topic}${i}`, 6)}`, topics: [topic], quality: 90 - i, publishedAt: '2026-11-25T08:00:00.000Z' }),
  );
}

function errorLogger(errors: unknown[]): Logger {
  const ignore = () => {};
  return { debug: ignore, info: ignore, warn: ignore, error: (obj: unknown) => errors.push(obj) };
}

async function setup(channels: FakeChannel[] = [], articles: Article[] = [...stories('AI', 12), ...stories('Space', 2)]): Promise<Harness> {
  const fake = await FakeDiscord.start({ channels });
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(articles));
  const clock = new FakeClock('2026-11-25T12:00:00.000Z');
  const app = new Newsbrief({ storage: store, clock: clock.now });
  const errors: unknown[] = [];
  const bot = createDiscordBot({ token: fake.token, apiBase: fake.apiBase, app, logger: errorLogger(errors) });
  cleanups.push(async () => {
    await bot.stop();
    await fake.close();
    await store.close();
  });
  await bot.start();
  return { fake, store, app, clock, bot, errors };
}

const target = (chatId: string = DEFAULT_CHANNEL): Target => ({ platform: 'discord', chatId });
const isEphemeral = (call: RecordedCall) => ((call.body?.data?.flags ?? 0) & EPHEMERAL) === EPHEMERAL;
const titles = (messages: FakeMessage[]) => messages.flatMap((m) => (m.body.embeds ?? []).map((e: any) => e.title as string));
const customIds = (messages: FakeMessage[]) =>
  messages.flatMap((m) => (m.body.components ?? []).flatMap((row: any) => row.components.map((c: any) => c.custom_id as string)));
const buttonLabelled = (messages: FakeMessage[], label: string) =>
  messages.flatMap((m) => (m.body.components ?? []).flatMap((row: any) => row.components)).find((c: any) => c.label === label)?.custom_id as string | undefined;
const lastWithComponents = (messages: FakeMessage[]) => [...messages].reverse().find((m) => (m.body.components ?? []).length > 0) ?? messages.at(-1)!;

async function press(h: Harness, customId: string, message: FakeMessage, where: Where = MEMBER, values?: string[]): Promise<Dispatched & { reply: RecordedCall }> {
  const d = h.fake.component(customId, message, { where, values });
  const reply = await d.callback;
  expect(reply.status).toBe(204);
  return { ...d, reply };
}

/** Waits until the interaction's reply and follow-ups (n messages in all) have arrived. */
async function messagesOf(h: Harness, d: Dispatched, n: number): Promise<FakeMessage[]> {
  const deadline = Date.now() + 3000;
  while (h.fake.interactionMessages(d.token).length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} messages`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return h.fake.interactionMessages(d.token);
}

/** Any placeholder message a forged component could claim to be on. */
function someMessage(): FakeMessage {
  return { id: snowflake(), channel_id: DEFAULT_CHANNEL, body: { content: 'a digest' } };
}

describe('custom ids', () => {
  it('stay within 100 characters for any topic key and read back', () => {
    for (const key of ['ai', 'a:b:c', '#hash-like', 'x'.repeat(500)]) {
      const more = encodeCustomId({ kind: 'more', topicKey: key, count: 10, page: NEWS_MAX_PAGE });
      const unsub = encodeCustomId({ kind: 'unsubscribe', topicKey: key });
      expect(more.length).toBeLessThanOrEqual(CUSTOM_ID_LIMIT);
      expect(unsub.length).toBeLessThanOrEqual(CUSTOM_ID_LIMIT);
      expect(decodeCustomId(more)).toMatchObject({ kind: 'more', count: 10, page: NEWS_MAX_PAGE });
      expect(decodeCustomId(unsub)).toMatchObject({ kind: 'unsubscribe' });
    }
    expect(decodeCustomId('nb1:more:5:1:a:b')).toEqual({ kind: 'more', count: 5, page: 1, topic: { key: 'a:b' } });
  });

  it('read anything else as stale', () => {
    for (const id of ['', 'nb2:more:5:1:ai', 'nb1:zap:ai', 'nb1:more:0:1:ai', 'nb1:more:11:1:ai', 'nb1:more:5:0:ai', `nb1:more:5:${NEWS_MAX_PAGE + 1}:ai`, 'nb1:more:5:1:', 'nb1:more:1e1:1:ai', 'nb1:unsub:#short', 'nb1:pick:x', `nb1:unsub:${'a'.repeat(200)}`]) {
      expect(decodeCustomId(id)).toBeUndefined();
    }
    expect(decodeCustomId(42)).toBeUndefined();
  });
});

describe('More', () => {
  it('pages through the ranking without repeats, ephemerally, and disappears on the last page', async () => {
    const h = await setup();
    const news = h.fake.slash('news', { topic: 'AI', count: 5 }, MEMBER);
    expect((await news.callback).status).toBe(204);
    const first = await messagesOf(h, news, 1);
    expect(isEphemeral(await news.callback)).toBe(false);
    expect(titles(first)).toHaveLength(5);
    const more = buttonLabelled(first, 'More stories');
    expect(more).toBe('nb1:more:5:1:ai');

    const second = await press(h, more!, lastWithComponents(first));
    expect(isEphemeral(second.reply)).toBe(true);
    const page2 = await messagesOf(h, second, 1);
    expect(titles(page2)).toHaveLength(5);
    expect(page2[0]!.body.content).toMatch(/page 2/);
    const next = buttonLabelled(page2, 'More stories');
    expect(next).toBe('nb1:more:5:2:ai');

    const third = await press(h, next!, lastWithComponents(page2));
    const page3 = await messagesOf(h, third, 1);
    expect(titles(page3)).toHaveLength(2);
    expect(customIds(page3)).toEqual([]);

    const all = [...titles(first), ...titles(page2), ...titles(page3)];
    expect(new Set(all).size).toBe(12);
    // Nobody else's view changed: the channel reply was never edited.
    expect(h.fake.calls.filter((c) => c.method === 'PATCH')).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('stops at the last page the core serves even when stories remain', async () => {
    const h = await setup();
    const news = h.fake.slash('news', { topic: 'AI', count: 1 }, MEMBER);
    let messages = await messagesOf(h, news, 1);
    for (let page = 1; page <= NEWS_MAX_PAGE; page++) {
      const id = buttonLabelled(messages, 'More stories');
      expect(id).toBe(`nb1:more:1:${page}:ai`);
      const d = await press(h, id!, lastWithComponents(messages));
      messages = await messagesOf(h, d, 1);
      expect(titles(messages)).toHaveLength(1);
    }
    expect(customIds(messages)).toEqual([]);
  });

  it('is not offered when the first page is not full', async () => {
    const h = await setup();
    const news = h.fake.slash('news', { topic: 'Space', count: 5 }, MEMBER);
    const messages = await messagesOf(h, news, 1);
    expect(titles(messages)).toHaveLength(2);
    expect(customIds(messages)).toEqual([]);
  });
});

describe('forged or stale components', () => {
  it('answers each politely and ephemerally, never with an apology', async () => {
    const h = await setup();
    const forged = [
      `nb1:more:5:1:${'a'.repeat(120)}`,
      'nb9:more:5:1:ai',
      'nb1:zap:ai',
      'nb1:more:5:1:nosuchtopic',
      'nb1:more:99:1:ai',
      'garbage',
    ];
    for (const id of forged) {
      const d = await press(h, id, someMessage());
      expect(d.reply.body.type).toBe(4);
      expect(isEphemeral(d.reply)).toBe(true);
      expect(d.reply.body.data.content).toMatch(/out of date/);
    }
    const gone = await press(h, 'nb1:unsub:ai', someMessage(), MANAGER);
    expect(gone.reply.body.data.content).toMatch(/not subscribed to that topic any more/);
    const badPick = await press(h, 'nb1:pick', someMessage(), MANAGER, ['#not-a-real-hash']);
    expect(badPick.reply.body.data.content).toMatch(/out of date/);
    expect(h.errors).toEqual([]);
    expect(await h.store.subscriptions.listSubscriptions(target())).toEqual([]);
  });
});

async function scheduledDigest(h: Harness, chatId: string = DEFAULT_CHANNEL): Promise<FakeMessage[]> {
  await h.app.subscribe(target(chatId), 'AI', '13:00', 'UTC');
  const scheduler = new DigestScheduler({ app: h.app, deliverers: [h.bot.deliverer], logger: silentLogger });
  h.clock.set('2026-11-25T13:00:30.000Z');
  expect(await scheduler.tick()).toMatchObject({ sent: 1 });
  return h.fake.channelMessages;
}

describe('Unsubscribe under a scheduled digest', () => {
  it('removes the subscription when a manager presses it', async () => {
    const h = await setup();
    const posted = await scheduledDigest(h);
    const unsub = buttonLabelled(posted, 'Unsubscribe');
    expect(unsub).toBe('nb1:unsub:ai');
    expect(buttonLabelled(posted, 'More stories')).toMatch(/^nb1:more:\d+:1:ai$/);
    const d = await press(h, unsub!, lastWithComponents(posted), MANAGER);
    expect(isEphemeral(d.reply)).toBe(true);
    expect(d.reply.body.data.content).toMatch(/Unsubscribed from \*\*AI\*\*/);
    expect(await h.store.subscriptions.listSubscriptions(target())).toEqual([]);
    // Pressed again (by anyone who may): already gone, said politely.
    const again = await press(h, unsub!, lastWithComponents(posted), MANAGER);
    expect(again.reply.body.data.content).toMatch(/not subscribed to that topic any more/);
  });

  it('refuses a member without Manage Channels and keeps the subscription', async () => {
    const h = await setup();
    const posted = await scheduledDigest(h);
    const d = await press(h, buttonLabelled(posted, 'Unsubscribe')!, lastWithComponents(posted), MEMBER);
    expect(isEphemeral(d.reply)).toBe(true);
    expect(d.reply.body.data.content).toMatch(/Manage Channels/);
    expect((await h.store.subscriptions.listSubscriptions(target())).map((s) => s.topic)).toEqual(['AI']);
  });

  it('is not offered under /news replies', async () => {
    const h = await setup();
    const news = h.fake.slash('news', { topic: 'AI', count: 5 }, MEMBER);
    expect(buttonLabelled(await messagesOf(h, news, 1), 'Unsubscribe')).toBeUndefined();
  });
});

describe('/subscribe without a topic', () => {
  it('offers a menu of the top topics; picking one subscribes with the defaults and confirms in place', async () => {
    const h = await setup();
    const d = h.fake.slash('subscribe', {}, MANAGER);
    const reply = await d.callback;
    expect(isEphemeral(reply)).toBe(true);
    const menu = reply.body.data.components[0].components[0];
    expect(menu).toMatchObject({ type: 3, custom_id: 'nb1:pick' });
    expect(menu.options.map((o: any) => o.label)).toEqual(['AI (12)', 'Space (2)']);
    const [message] = await messagesOf(h, d, 1);

    const picked = await press(h, 'nb1:pick', message!, MANAGER, ['ai']);
    expect(picked.reply.body.type).toBe(7);
    expect(picked.reply.body.data.content).toMatch(/now subscribed to \*\*AI\*\*/);
    expect(picked.reply.body.data.components).toEqual([]);
    const [sub] = await h.store.subscriptions.listSubscriptions(target());
    expect(sub).toMatchObject({ topic: 'AI', paused: false });
    expect(sub!.schedule).toMatchObject({ times: ['08:00'] });
  });

  it('refuses a member who picks from the menu anyway', async () => {
    const h = await setup();
    const d = await press(h, 'nb1:pick', someMessage(), MEMBER, ['ai']);
    expect(d.reply.body.data.content).toMatch(/Manage Channels/);
    expect(await h.store.subscriptions.listSubscriptions(target())).toEqual([]);
  });

  it('caps the menu at 25 topics with labels within 100 characters', async () => {
    const many = Array.from({ length: 30 }, (_, i) => makeArticle({ title: `t${i} ${words(`t${i}`, 5)}`, topics: [`Topic ${i} ${'long '.repeat(30)}`] }));
    const h = await setup([], many);
    const reply = await h.fake.slash('subscribe', {}, MANAGER).callback;
    expect(reply.status).toBe(204);
    const options = reply.body.data.components[0].components[0].options;
    expect(options).toHaveLength(25);
    for (const o of options) {
      expect(o.label.length).toBeLessThanOrEqual(100);
      expect(o.value.length).toBeLessThanOrEqual(100);
    }
  });
});

describe('threads and forums', () => {
  const forums: FakeChannel[] = [
    { id: THREAD, type: 11, name: 'a-thread', parent_id: DEFAULT_CHANNEL },
    { id: FORUM, type: 15, name: 'digests', available_tags: [{ id: '1001', name: 'Space' }] },
    { id: TAGGED_FORUM, type: 15, name: 'tagged', available_tags: [{ id: '2001', name: 'Space' }, { id: '2002', name: 'ai' }] },
  ];

  it('a subscription made in a thread posts in that thread', async () => {
    const h = await setup(forums);
    const where: Where = { kind: 'guild', channelId: THREAD, thread: true, permissions: Perm.ManageChannels, appPermissions: Perm.ViewChannel | Perm.EmbedLinks | Perm.SendMessagesInThreads };
    expect((await h.fake.slash('subscribe', { topic: 'AI', time: '13:00', timezone: 'UTC' }, where).callback).status).toBe(204);
    expect((await h.store.subscriptions.listSubscriptions(target(THREAD))).map((s) => s.topic)).toEqual(['AI']);
    const scheduler = new DigestScheduler({ app: h.app, deliverers: [h.bot.deliverer], logger: silentLogger });
    h.clock.set('2026-11-25T13:00:30.000Z');
    expect(await scheduler.tick()).toMatchObject({ sent: 1 });
    expect(h.fake.callsTo('POST', `/channels/${THREAD}/messages`)).toHaveLength(1);
    expect(h.fake.forumPosts).toEqual([]);
  });

  it('a subscription made in a forum post opens a new post per digest, tagged like the topic', async () => {
    const h = await setup(forums);
    const post = '900000000000000990';
    const where: Where = { kind: 'guild', channelId: post, thread: true, parentId: TAGGED_FORUM, permissions: Perm.ManageChannels };
    const reply = await h.fake.slash('subscribe', { topic: 'AI', time: '13:00', timezone: 'UTC' }, where).callback;
    expect(reply.body.data.content).toMatch(/now subscribed/);
    expect((await h.store.subscriptions.listSubscriptions(target(TAGGED_FORUM))).map((s) => s.topic)).toEqual(['AI']);
    const scheduler = new DigestScheduler({ app: h.app, deliverers: [h.bot.deliverer], logger: silentLogger });
    h.clock.set('2026-11-25T13:00:30.000Z');
    expect(await scheduler.tick()).toMatchObject({ sent: 1 });
    expect(h.fake.forumPosts).toEqual([{ id: expect.any(String), forumId: TAGGED_FORUM, name: 'AI — 2026-11-25', appliedTags: ['2002'] }]);
    const opened = h.fake.channelMessages[0]!;
    expect(opened.channel_id).toBe(h.fake.forumPosts[0]!.id);
    expect(buttonLabelled([opened], 'Unsubscribe')).toBe('nb1:unsub:ai');

    // Unsubscribe pressed inside the post acts on the forum's subscription.
    const d = await press(h, 'nb1:unsub:ai', opened, { ...where, channelId: opened.channel_id, parentId: TAGGED_FORUM });
    expect(d.reply.body.data.content).toMatch(/Unsubscribed/);
    expect(await h.store.subscriptions.listSubscriptions(target(TAGGED_FORUM))).toEqual([]);
  });

  it('opens an untagged post when no forum tag is named like the topic', async () => {
    const h = await setup(forums);
    const result = await h.app.news('AI', { count: 3 });
    if (!result.ok) throw new Error(result.code);
    expect(await h.bot.deliverer.deliver(target(FORUM), result.digest, { timezone: 'UTC' })).toEqual({ ok: true, messages: 1 });
    expect(h.fake.forumPosts).toEqual([{ id: expect.any(String), forumId: FORUM, name: 'AI — 2026-11-25', appliedTags: [] }]);
    expect(h.fake.callsTo('POST', `/channels/${FORUM}/threads`)[0]!.body.applied_tags).toBeUndefined();
  });

  it('reports a forum it may not post in, or one that requires a missing tag, as a permanent failure that says why', async () => {
    const h = await setup([...forums, { id: '900000000000000891', type: 15, name: 'strict', flags: 16, available_tags: [{ id: '3001', name: 'Space' }] }]);
    const result = await h.app.news('AI', { count: 3 });
    if (!result.ok) throw new Error(result.code);
    h.fake.breakChannel(FORUM, 403);
    const denied = await h.bot.deliverer.deliver(target(FORUM), result.digest, { timezone: 'UTC' });
    expect(denied).toMatchObject({ ok: false, permanent: true });
    expect(!denied.ok && denied.reason).toMatch(/Create Posts/);
    const strict = await h.bot.deliverer.deliver(target('900000000000000891'), result.digest, { timezone: 'UTC' });
    expect(strict).toMatchObject({ ok: false, permanent: true });
    expect(!strict.ok && strict.reason).toMatch(/requires a tag/);
    expect(h.fake.forumPosts).toEqual([]);
  });

  it('looks up a forum the client has not cached by REST', async () => {
    const h = await setup();
    h.fake.channels.set(FORUM, { id: FORUM, type: 15, name: 'late', available_tags: [{ id: '4001', name: 'AI' }] });
    const result = await h.app.news('AI', { count: 3 });
    if (!result.ok) throw new Error(result.code);
    expect(await h.bot.deliverer.deliver(target(FORUM), result.digest, { timezone: 'Pacific/Kiritimati' })).toMatchObject({ ok: true });
    expect(h.fake.callsTo('GET', `/channels/${FORUM}`)).toHaveLength(1);
    // 12:00 UTC is already the next day in Kiritimati (UTC+14).
    expect(h.fake.forumPosts).toEqual([expect.objectContaining({ name: 'AI — 2026-11-26', appliedTags: ['4001'] })]);
  });

  it('posts to an uncached text channel without looking it up first, and learns a forum from its refusal once', async () => {
    const h = await setup();
    const result = await h.app.news('AI', { count: 3 });
    if (!result.ok) throw new Error(result.code);
    // A REST-only instance (another instance holds the guild's shard) knows no channel: a lookup per delivery
    // would be a second request under the global limit for every digest of a fan-out.
    const text = '900000000000000777';
    expect(await h.bot.deliverer.deliver(target(text), result.digest, { timezone: 'UTC' })).toMatchObject({ ok: true });
    expect(h.fake.callsTo('GET', `/channels/${text}`)).toHaveLength(0);
    h.fake.channels.set(FORUM, { id: FORUM, type: 15, name: 'late', available_tags: [{ id: '4001', name: 'AI' }] });
    expect(await h.bot.deliverer.deliver(target(FORUM), result.digest, { timezone: 'UTC' })).toMatchObject({ ok: true });
    expect(await h.bot.deliverer.deliver(target(FORUM), result.digest, { timezone: 'UTC' })).toMatchObject({ ok: true });
    // The first delivery is refused as a plain message and then looked up; the second goes straight to a post.
    expect(h.fake.callsTo('POST', `/channels/${FORUM}/messages`)).toHaveLength(1);
    expect(h.fake.forumPosts).toHaveLength(2);
  });
});
