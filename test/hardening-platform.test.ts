import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Article } from '../src/model.js';
import { makeArticle } from './helpers/articles.js';
import { BOT_CHANNEL_PERMISSIONS, DEFAULT_CHANNEL, Perm, type Dispatched, type RecordedCall as DiscordCall, type Where } from './helpers/fake-discord.js';
import {
  privateChat,
  startTelegramHarness,
  supergroup,
  user,
  type FakeChat,
  type RecordedCall,
  type StoredMessage,
  type TelegramHarness,
} from './helpers/fake-telegram.js';
import { dispatchMutated, startDiscordHarness, telegramProblems, waitUntil, type DiscordHarness } from './helpers/hostile.js';

/**
 * Updates and interactions the platforms would rarely or never send, through the fakes into the real clients.
 * Each one gets a helpful reply or is ignored cleanly; the bot keeps answering and nothing stored is lost.
 */

function articles(): Article[] {
  return [
    makeArticle({ title: 'Chips double AI speed', topics: ['AI'], quality: 90 }),
    makeArticle({ title: 'Regulators look at AI', topics: ['AI'], quality: 70 }),
    makeArticle({ title: 'Rocket lands', topics: ['Space'], quality: 60 }),
  ];
}

describe('Telegram: malformed and unexpected updates', () => {
  const alice = user(101, 'Alice');
  const dm = privateChat(alice);
  const room = supergroup(9);
  let h: TelegramHarness;
  let menu: StoredMessage;

  beforeAll(async () => {
    h = await startTelegramHarness({ articles: articles() });
    menu = (await ask('/news'))[0]!;
    const [subscribed] = await ask('/subscribe AI 07:00 Europe/Kyiv');
    expect(subscribed!.text).toContain('Subscribed to AI');
  });
  afterAll(async () => {
    await h?.close();
  });

  function stored(call: RecordedCall): StoredMessage {
    expect(call.answer?.ok, call.answer?.description).toBe(true);
    const result = call.answer!.result as { message_id: number; chat: { id: number } };
    return h.fake.messages.get(`${result.chat.id}:${result.message_id}`)!;
  }

  async function ask(text: string, chat: FakeChat = dm): Promise<StoredMessage[]> {
    const since = h.fake.mark();
    h.fake.sendText({ from: alice, chat, text });
    const calls = await h.fake.waitForCalls('sendMessage', 1, { since, where: (c) => Number(c.payload.chat_id) === chat.id });
    return calls.map(stored);
  }

  /** Error log entries written while the last `settle` ran. */
  let lastErrors: unknown[] = [];

  /** Pushes a raw update and waits until the bot has confirmed it (its next poll asks for a later offset). */
  async function settle(update: Record<string, unknown> | (() => { update_id: number })): Promise<RecordedCall[]> {
    const since = h.fake.mark();
    const errorsBefore = h.logger.entries.filter((e) => e.level === 'error').length;
    const { update_id } = typeof update === 'function' ? update() : h.fake.pushUpdate(update);
    await h.fake.waitForCall('getUpdates', { since, includePending: true, where: (c) => Number(c.payload.offset) > update_id });
    const calls = h.fake.calls.slice(since).filter((c) => c.method !== 'getUpdates');
    lastErrors = h.logger.entries.filter((e) => e.level === 'error').slice(errorsBefore);
    return calls;
  }

  /** After each case: a normal /news still works and the subscription made first is still there. */
  async function stillServing(): Promise<void> {
    const [reply] = await ask('/news AI 1');
    expect(reply!.text).toContain('Chips double AI speed');
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(dm.id) })).toMatchObject([
      { topicKey: 'ai', time: '07:00', timezone: 'Europe/Kyiv', active: true },
    ]);
  }

  let messageId = 9000;
  const message = (fields: Record<string, unknown>) => ({
    message_id: messageId++,
    date: Math.floor(Date.now() / 1000),
    chat: dm,
    from: alice,
    ...fields,
  });

  it('an update with nothing in it is ignored', async () => {
    expect(await settle({})).toEqual([]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('an update of a type the bot has never heard of is ignored', async () => {
    expect(await settle({ business_future_thing: { id: 'x', payload: [1, 2, 3] } })).toEqual([]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('a message without text (a sticker) is ignored', async () => {
    const sticker = { file_id: 'CAAC', file_unique_id: 'u', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false };
    expect(await settle({ message: message({ sticker }) })).toEqual([]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('a message with no sender and no text (a service message) is ignored', async () => {
    expect(await settle({ message: message({ from: undefined, chat: room, new_chat_title: 'Renamed' }) })).toEqual([]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('text that is only "/" gets a pointer to /help', async () => {
    const [reply] = await ask('/');
    expect(reply!.text).toContain('/help');
    await stillServing();
  });

  it('/news with a 5,000-character topic answers at once with a short, valid "no such topic"', async () => {
    const started = Date.now();
    const [reply] = await ask(`/news ${'Machine Learning '.repeat(300).slice(0, 5000)}`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(reply!.text).toMatch(/^⚠️ No topic "Machine Learning/);
    expect(reply!.text.length).toBeLessThan(600);
    expect(telegramProblems(reply!.html, { rawLimit: true })).toEqual([]);
    await stillServing();
  });

  it('a 4,096-character message that is not a command gets the usual hint', async () => {
    const [reply] = await ask('word '.repeat(820).slice(0, 4096));
    expect(reply!.text).toContain('/news AI');
    await stillServing();
  });

  it('a command addressed to another bot in a group is ignored', async () => {
    const calls = await settle({ message: message({ chat: room, text: '/news@OtherBot AI', entities: [{ type: 'bot_command', offset: 0, length: 14 }] }) });
    expect(calls).toEqual([]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('a bot_command entity longer than the text it points into is handled as an unknown command', async () => {
    const calls = await settle({ message: message({ text: '/news AI', entities: [{ type: 'bot_command', offset: 0, length: 500 }] }) });
    expect(calls.map((c) => c.method)).toEqual(['sendMessage']);
    expect(String(calls[0]!.payload.text)).toContain('/help');
    await stillServing();
  });

  it('an edited message with a command is not answered a second time', async () => {
    const calls = await settle({ edited_message: message({ text: '/news AI', entities: [{ type: 'bot_command', offset: 0, length: 5 }], edit_date: 1 }) });
    expect(calls).toEqual([]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('a channel post with /news is answered in the channel', async () => {
    const channel: FakeChat = { id: -1009999, type: 'channel', title: 'News channel' };
    h.fake.addChat(channel);
    const calls = await settle({
      channel_post: { message_id: 1, date: 1, chat: channel, sender_chat: channel, text: '/news AI 1', entities: [{ type: 'bot_command', offset: 0, length: 5 }] },
    });
    const sent = calls.filter((c) => c.method === 'sendMessage');
    expect(sent.map((c) => Number(c.payload.chat_id))).toEqual([channel.id]);
    expect(stored(sent[0]!).text).toContain('Chips double AI speed');
    await stillServing();
  });

  it('a button press with garbled data says the button has expired, changing nothing', async () => {
    const calls = await settle(() => h.fake.press({ from: alice, message: menu, data: '\u0000\uffff{{not ours' }));
    expect(calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(calls[0]!.payload).toMatchObject({ text: expect.stringMatching(/expired/) });
    await stillServing();
  });

  it('a button press with data longer than 64 bytes is answered and shows a short error in place', async () => {
    const since = h.fake.mark();
    h.fake.press({ from: alice, message: menu, data: `n|5|${'x'.repeat(300)}` });
    const answer = await h.fake.waitForCall('answerCallbackQuery', { since });
    expect(answer.answer?.ok).toBe(true);
    const edit = await h.fake.waitForCall('editMessageText', { since });
    expect(edit.answer?.ok, edit.answer?.description).toBe(true);
    expect(String(edit.payload.text)).toMatch(/No topic &quot;x{20,100}…?&quot;/);
    expect(telegramProblems(String(edit.payload.text), { rawLimit: true })).toEqual([]);
    await stillServing();
  });

  it('a button press from an inline message (no message attached) says the button has expired', async () => {
    const calls = await settle({ callback_query: { id: 'cb-inline', from: alice, chat_instance: 'ci', inline_message_id: 'AAA', data: 'n||ai' } });
    expect(calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(calls[0]!.payload).toMatchObject({ text: expect.stringMatching(/expired/) });
    await stillServing();
  });

  it('a game button press (no data at all) is answered so the spinner stops, and changes nothing', async () => {
    const calls = await settle({ callback_query: { id: 'cb-game', from: alice, chat_instance: 'ci', game_short_name: 'snake' } });
    expect(calls.map((c) => [c.method, c.payload.text])).toEqual([['answerCallbackQuery', undefined]]);
    expect(lastErrors).toEqual([]);
    await stillServing();
  });

  it('a my_chat_member update missing its new member is ignored quietly and pauses nothing', async () => {
    const calls = await settle({ my_chat_member: { chat: dm, from: alice, date: 1, old_chat_member: { status: 'member', user: alice } } });
    expect(lastErrors).toEqual([]);
    expect(calls).toEqual([]);
    expect((await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(dm.id) }))[0]!.active).toBe(true);
    await stillServing();
  });
});

const MANAGER: Where = { kind: 'guild', permissions: Perm.ViewChannel | Perm.SendMessages | Perm.ManageChannels };
const MEMBER: Where = { kind: 'guild', permissions: Perm.ViewChannel | Perm.SendMessages };

describe('Discord: malformed and unexpected interactions', () => {
  let h: DiscordHarness;

  beforeAll(async () => {
    h = await startDiscordHarness(articles());
    const d = h.fake.slash('subscribe', { topic: 'AI', time: '07:00', timezone: 'Europe/Kyiv' }, MANAGER);
    expect((await d.callback).body.data.content).toContain('now subscribed to **AI**');
  });
  afterAll(async () => {
    await h?.close();
  });

  const ephemeral = (call: DiscordCall) => ((call.body?.data?.flags ?? 0) & 64) === 64;

  /** The interaction's callback, or undefined if none came within `ms` (the bot ignored it). */
  async function callbackOf(d: Dispatched, ms = 400): Promise<DiscordCall | undefined> {
    try {
      return await h.fake.waitForCall((c) => c.method === 'POST' && c.path === `/interactions/${d.id}/${d.token}/callback`, ms);
    } catch {
      return undefined;
    }
  }

  let errorsBefore = 0;
  function newErrors(): unknown[] {
    const errors = h.logs.filter((l) => l.level === 'error');
    const fresh = errors.slice(errorsBefore);
    errorsBefore = errors.length;
    return fresh;
  }

  async function stillServing(): Promise<void> {
    const d = h.fake.slash('news', { topic: 'AI', count: 1 }, MEMBER);
    const reply = await d.callback;
    expect(reply.status).toBe(204);
    expect(reply.body.data.embeds.map((e: { title: string }) => e.title)).toEqual(['Chips double AI speed']);
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'discord', chatId: DEFAULT_CHANNEL })).toMatchObject([
      { topicKey: 'ai', time: '07:00', timezone: 'Europe/Kyiv', active: true },
    ]);
    newErrors();
  }

  it('an interaction of a type Discord has not invented yet is ignored', async () => {
    const d = dispatchMutated(h.fake, (p) => ({ ...p, type: 99 }), () => h.fake.slash('news', { topic: 'AI' }, MEMBER));
    expect(await callbackOf(d)).toBeUndefined();
    expect(newErrors()).toEqual([]);
    await stillServing();
  });

  it('an unknown command name says the command list is out of date, and logs a warning', async () => {
    const d = h.fake.slash('frobnicate', { topic: 'AI' }, MEMBER);
    const reply = (await d.callback)!;
    expect(reply.status).toBe(204);
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toMatch(/old list/);
    expect(newErrors()).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn' && l.msg === 'discord command options out of date')).toMatchObject([
      { obj: { command: 'frobnicate', err: { message: expect.stringContaining('unknown command /frobnicate') } } },
    ]);
    await stillServing();
  });

  it('a count sent as a string (wrong option type) says the command list is out of date, logging the option', async () => {
    const reply = await h.fake.slash('news', { topic: 'AI', count: '5' }, MEMBER).callback;
    expect(reply.status).toBe(204);
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toMatch(/old list/);
    expect(newErrors()).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn').slice(-1)).toMatchObject([{ obj: { err: { message: 'Option "count" is of type: 3; expected 4.' } } }]);
    await stillServing();
  });

  it('a count of 999 says what is allowed', async () => {
    const reply = await h.fake.slash('news', { topic: 'AI', count: 999 }, MEMBER).callback;
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toContain('from 1 to 10');
    await stillServing();
  });

  it('a fractional count says what is allowed', async () => {
    const d = dispatchMutated(
      h.fake,
      (p) => ({ ...p, data: { ...p.data, options: [{ name: 'topic', type: 3, value: 'AI' }, { name: 'count', type: 4, value: 2.5 }] } }),
      () => h.fake.slash('news', {}, MEMBER),
    );
    const reply = (await d.callback)!;
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toContain('from 1 to 10');
    await stillServing();
  });

  it('a missing required topic is answered with the topics to choose from', async () => {
    const reply = await h.fake.slash('news', {}, MEMBER).callback;
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toContain('Name a topic.');
    expect(reply.body.data.content).toContain('AI');
    await stillServing();
  });

  it('a topic sent as a number (wrong option type) says the command list is out of date, logging the option', async () => {
    const reply = await h.fake.slash('news', { topic: 42 }, MEMBER).callback;
    expect(reply.status).toBe(204);
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toMatch(/old list/);
    expect(newErrors()).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn').slice(-1)).toMatchObject([{ obj: { err: { message: 'Option "topic" is of type: 4; expected 3.' } } }]);
    await stillServing();
  });

  it('autocomplete for an option the command does not have suggests nothing', async () => {
    const reply = await h.fake.autocomplete('news', { bogus: 'x' }, 'bogus', MEMBER).callback;
    expect(reply.body).toEqual({ type: 8, data: { choices: [] } });
    expect(newErrors()).toEqual([]);
    await stillServing();
  });

  it('a 6,000-character topic gets a short "no such topic" within Discord’s 3 seconds', async () => {
    const started = Date.now();
    const reply = await h.fake.slash('news', { topic: 'Machine Learning '.repeat(400).slice(0, 6000) }, MEMBER).callback;
    expect(reply.at - started).toBeLessThan(2000);
    expect(reply.status).toBe(204);
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toMatch(/^No topic "Machine Learning/);
    expect(reply.body.data.content.length).toBeLessThanOrEqual(2000);
    await stillServing();
  });

  it('a 6,000-character autocomplete value is answered quickly with at most 25 suggestions', async () => {
    const started = Date.now();
    const reply = await h.fake.autocomplete('news', { topic: 'ai '.repeat(2000) }, 'topic', MEMBER).callback;
    expect(reply.at - started).toBeLessThan(2000);
    expect(reply.body.type).toBe(8);
    expect(reply.body.data.choices.length).toBeLessThanOrEqual(25);
    await stillServing();
  });

  it('an interaction without member or user is ignored without crashing the client', async () => {
    const d = dispatchMutated(
      h.fake,
      (p) => {
        const { member: _member, user: _user, ...rest } = p;
        return rest;
      },
      () => h.fake.slash('news', { topic: 'AI' }, MEMBER),
    );
    expect(await callbackOf(d)).toBeUndefined();
    expect(newErrors()).toMatchObject([{ msg: 'discord: dropped a gateway packet discord.js could not read', obj: { event: 'INTERACTION_CREATE' } }]);
    await stillServing();
  });

  it('an interaction without a channel is answered with a private apology when the command needs one', async () => {
    const d = dispatchMutated(
      h.fake,
      (p) => {
        const { channel_id: _id, channel: _channel, ...rest } = p;
        return rest;
      },
      () => h.fake.slash('subscriptions', {}, MEMBER),
    );
    const reply = await callbackOf(d, 2000);
    expect(reply).toBeDefined();
    expect(ephemeral(reply!)).toBe(true);
    expect(reply!.body.data.content).toMatch(/something went wrong/i);
    expect(newErrors()).toMatchObject([{ obj: { err: { message: expect.stringContaining('no channel id') } } }]);
    await stillServing();
  });

  it('a button press with an unknown custom_id is answered as an out-of-date button, only to the presser', async () => {
    const d = dispatchMutated(
      h.fake,
      (p) => ({
        ...p,
        type: 3,
        data: { custom_id: 'not-ours:123', component_type: 2 },
        message: h.fake.messageJson({ id: '900000000000000999', channel_id: DEFAULT_CHANNEL, body: { content: 'old' } }),
      }),
      () => h.fake.slash('news', {}, MEMBER),
    );
    const reply = await callbackOf(d);
    expect(reply?.status).toBe(204);
    expect(ephemeral(reply!)).toBe(true);
    expect(reply!.body.data.content).toMatch(/out of date/);
    expect(newErrors()).toEqual([]);
    await stillServing();
  });

  it('a modal submission nobody asked for is ignored', async () => {
    const d = dispatchMutated(
      h.fake,
      (p) => ({ ...p, type: 5, data: { custom_id: 'modal:1', components: [] } }),
      () => h.fake.slash('news', {}, MEMBER),
    );
    expect(await callbackOf(d)).toBeUndefined();
    expect(newErrors()).toEqual([]);
    await stillServing();
  });

  it('a subscribe from a member lacking Manage Channels, with a hostile topic, changes nothing', async () => {
    const reply = await h.fake.slash('subscribe', { topic: '@everyone <@123> '.repeat(20) }, { ...MEMBER, appPermissions: BOT_CHANNEL_PERMISSIONS }).callback;
    expect(ephemeral(reply)).toBe(true);
    expect(reply.body.data.content).toContain('Manage Channels');
    await stillServing();
  });

  it('a burst of every bad interaction above, at once, leaves the bot answering', async () => {
    const burst = [
      h.fake.slash('frobnicate', {}, MEMBER),
      h.fake.slash('news', { count: 'x' }, MEMBER),
      h.fake.slash('news', { topic: 'x'.repeat(6000) }, MEMBER),
      h.fake.autocomplete('subscribe', { nope: 'x' }, 'nope', MANAGER),
    ];
    await waitUntil(() => burst.every((d) => h.fake.calls.some((c) => c.path === `/interactions/${d.id}/${d.token}/callback` && c.status !== 0)), 3000);
    await stillServing();
  });
});
