import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeArticle, makeRelated } from './helpers/articles.js';
import {
  BOT_USER,
  parseTelegramHtml,
  privateChat,
  startTelegramHarness,
  supergroup,
  group,
  user,
  type FakeChat,
  type FakeUser,
  type RecordedCall,
  type StoredMessage,
  type TelegramHarness,
} from './helpers/fake-telegram.js';
import { COMMANDS } from '../adapters/telegram/render.js';

/** The zone a scheduled digest is shown in, as the scheduler hands it over. */
const UTC = { timezone: 'UTC' };

const alice = user(101, 'Alice');
const bob = user(102, 'Bob');
const dm = privateChat(alice);

function articles() {
  return [
    makeArticle({ title: 'Chips double AI speed', topics: ['AI'], quality: 90 }),
    makeArticle({ title: 'Regulators look at AI', topics: ['AI'], quality: 70 }),
    makeArticle({ title: 'AI in classrooms', topics: ['AI'], quality: 50 }),
    makeArticle({
      title: 'Transformers learn faster',
      topics: ['Machine Learning'],
      quality: 80,
      // A related link is shown only when it is about the story: its title shares the item's words.
      related: [
        makeRelated({
          title: 'Why transformers learn faster now',
          provider: { name: 'Reuters', domain: 'reuters.example' },
          url: 'https://reuters.example/ml',
        }),
      ],
    }),
    makeArticle({ title: 'Gradient tricks', topics: ['Machine Learning'], quality: 60 }),
    makeArticle({ title: 'Cameras that see', topics: ['Computer Vision'], quality: 60 }),
    makeArticle({ title: 'Rocket lands', topics: ['Space'], quality: 60 }),
  ];
}

let h: TelegramHarness;
afterEach(async () => {
  await h?.close();
});

interface Said {
  chat?: FakeChat;
  from?: FakeUser;
  threadId?: number;
  senderChat?: FakeChat;
}

/** Sends a user's message and returns the bot's `count` replies to that chat (sendMessage or edit). */
async function ask(text: string, said: Said = {}, count = 1): Promise<StoredMessage[]> {
  const chat = said.chat ?? dm;
  const since = h.fake.mark();
  h.fake.sendText({ from: said.from ?? alice, chat, text, threadId: said.threadId, senderChat: said.senderChat });
  const calls = await h.fake.waitForCalls('sendMessage', count, { since, where: (c) => Number(c.payload.chat_id) === chat.id });
  return calls.map((c) => stored(c));
}

function stored(call: RecordedCall): StoredMessage {
  expect(call.answer?.ok, call.answer?.description).toBe(true);
  const result = call.answer!.result as { message_id: number; chat: { id: number } };
  return h.fake.messages.get(`${result.chat.id}:${result.message_id}`)!;
}

/** Presses a button by its label; returns the edited message. */
async function press(message: StoredMessage, label: string | RegExp, from: FakeUser = alice): Promise<StoredMessage> {
  const button = message.reply_markup?.inline_keyboard.flat().find((b) => (typeof label === 'string' ? b.text === label : label.test(b.text)));
  if (!button?.callback_data) throw new Error(`no button ${String(label)} in ${JSON.stringify(message.reply_markup)}`);
  const since = h.fake.mark();
  h.fake.press({ from, message, data: button.callback_data });
  await h.fake.waitForCall('answerCallbackQuery', { since });
  await h.fake.waitForCall('editMessageText', { since });
  return message;
}

function buttons(message: StoredMessage): string[] {
  return message.reply_markup?.inline_keyboard.flat().map((b) => b.text) ?? [];
}

describe('starting', () => {
  beforeEach(async () => {
    h = await startTelegramHarness({ articles: articles() });
  });

  it('checks the token, registers every command in the menu and polls without dropping pending updates', async () => {
    expect(h.fake.callsOf('getMe')).toHaveLength(1);
    const [menu] = h.fake.callsOf('setMyCommands');
    expect((menu!.payload.commands as Array<{ command: string }>).map((c) => c.command)).toEqual(COMMANDS.map((c) => c.command));
    const [webhook] = h.fake.callsOf('deleteWebhook');
    expect(webhook!.payload.drop_pending_updates ?? false).toBe(false);
    await h.fake.waitForCall('getUpdates', { includePending: true });
  });
});

describe('commands', () => {
  beforeEach(async () => {
    h = await startTelegramHarness({ articles: articles() });
  });

  it('/start and /help say what the bot does and list every command with an example', async () => {
    for (const command of ['/start', '/help']) {
      const [reply] = await ask(command);
      expect(reply!.parse_mode).toBe('HTML');
      for (const c of COMMANDS) {
        expect(reply!.text).toContain(`/${c.command}`);
        expect(reply!.text).toContain(c.example);
      }
    }
  });

  it("/news AI 2 sends the two best AI stories as linked HTML, the top story's card as preview", async () => {
    const [reply] = await ask('/news AI 2');
    expect(reply!.text).toContain('AI · top 2 stories');
    expect(reply!.text).toContain('1. Chips double AI speed');
    expect(reply!.text).toContain('2. Regulators look at AI');
    expect(reply!.text).not.toContain('AI in classrooms');
    expect(reply!.html).toMatch(/<b>1\. <a href="https:\/\/[^"]+">Chips double AI speed<\/a><\/b>/);
    const chips = /<a href="([^"]+)">Chips/.exec(reply!.html)![1]!.replace(/&amp;/g, '&');
    expect(reply!.link_preview_options).toEqual({ url: chips, prefer_small_media: true });
  });

  it('shows a preview card for a digest of a single story', async () => {
    const [reply] = await ask('/news Space');
    const rocket = (await h.store.articles.candidates({ topicKeys: ['space'], limit: 1 }))[0]!.article;
    expect(reply!.link_preview_options).toMatchObject({ url: rocket.url });
  });

  it('accepts topics with spaces, aliases and any case, with related links under the item', async () => {
    const [reply] = await ask('/news machine learning 1');
    expect(reply!.text).toContain('1. Transformers learn faster');
    expect(reply!.text).toContain('Also: Reuters');
    const [alias] = await ask('/news ML');
    expect(alias!.text).toContain('Machine Learning');
  });

  it('/news without a topic offers the main topics as buttons; pressing one turns that message into the digest', async () => {
    const [menu] = await ask('/news');
    expect(menu!.text).toBe('Pick a topic:');
    expect(buttons(menu!)).toEqual(expect.arrayContaining(['AI (3)', 'Machine Learning (2)', 'Space (1)']));
    for (const b of menu!.reply_markup!.inline_keyboard.flat()) expect(Buffer.byteLength(b.callback_data!)).toBeLessThanOrEqual(64);

    const sendsBefore = h.fake.callsOf('sendMessage').length;
    const edited = await press(menu!, 'Machine Learning (2)');
    expect(edited.text).toContain('Machine Learning · top 2 stories');
    expect(edited.reply_markup).toBeUndefined();
    expect(h.fake.callsOf('sendMessage')).toHaveLength(sendsBefore);
  });

  it('keeps the count given with /news when a topic button is pressed', async () => {
    const [menu] = await ask('/news 1');
    const edited = await press(menu!, 'AI (3)');
    expect(edited.text).toContain('AI · top story');
    expect(edited.text).not.toContain('2. ');
  });

  it('an unknown topic gets the closest topics as buttons, and pressing one shows it', async () => {
    const [reply] = await ask('/news Machin Lerning');
    expect(reply!.text).toContain('No topic "Machin Lerning"');
    expect(buttons(reply!)).toContain('Machine Learning');
    const edited = await press(reply!, 'Machine Learning');
    expect(edited.text).toContain('1. Transformers learn faster');
  });

  it('pressing the same topic twice is harmless', async () => {
    const [menu] = await ask('/news');
    const data = menu!.reply_markup!.inline_keyboard.flat().find((b) => b.text === 'Space (1)')!.callback_data!;
    await press(menu!, 'Space (1)');
    const since = h.fake.mark();
    h.fake.press({ from: alice, message: { ...menu!, reply_markup: undefined }, data });
    const [edit] = await h.fake.waitForCalls('editMessageText', 1, { since });
    expect(edit!.answer?.description).toMatch(/not modified/);
    // Still answering afterwards, and nothing logged as an error.
    await ask('/help');
    expect(h.logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('answers a button under a message that can no longer be edited with a new message', async () => {
    const [menu] = await ask('/news');
    const data = menu!.reply_markup!.inline_keyboard.flat().find((b) => b.text === 'Space (1)')!.callback_data!;
    const since = h.fake.mark();
    h.fake.press({ from: alice, message: { ...menu!, message_id: 9999 }, data });
    const sent = await h.fake.waitForCall('sendMessage', { since });
    expect(String(sent.payload.text)).toContain('Rocket lands');
    expect(h.fake.callsOf('editMessageText', since)[0]!.answer?.description).toMatch(/not found/);
  });

  it('a bad count says what is allowed, with an example', async () => {
    const [reply] = await ask('/news AI 50');
    expect(reply!.text).toContain('from 1 to 10');
    expect(reply!.text).toContain('Example: /news AI 5');
    const [bare] = await ask('/news 0');
    expect(bare!.text).toContain('from 1 to 10');
  });

  it('/topics lists topics with counts', async () => {
    const [reply] = await ask('/topics');
    expect(reply!.text).toContain('• AI — 3 articles');
    expect(reply!.text).toContain('• Space — 1 article');
  });

  it('/subscribe takes a topic with spaces, a time and a zone, and /subscriptions shows the next local delivery', async () => {
    const [reply] = await ask('/subscribe Machine Learning 07:30 Europe/Kyiv');
    expect(reply!.text).toContain('Subscribed to Machine Learning: daily at 07:30 (Europe/Kyiv, its own zone)');
    expect(reply!.text).toContain('Next digest: Fri 27 Nov, 07:30 (Europe/Kyiv)');
    const [sub] = await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(alice.id) });
    expect(sub).toMatchObject({ topicKey: 'machinelearning', time: '07:30', timezone: 'Europe/Kyiv', active: true });

    const [list] = await ask('/subscriptions');
    expect(list!.text).toContain('• Machine Learning — daily at 07:30 (Europe/Kyiv, its own zone) · next: Fri 27 Nov, 07:30 (Europe/Kyiv)');
  });

  it('/subscribe defaults to 08:00 in the chat’s zone, UTC until /timezone sets one', async () => {
    const [first] = await ask('/subscribe AI');
    expect(first!.text).toContain('daily at 08:00 (UTC)');
    const [zone] = await ask('/timezone Europe/Kyiv');
    expect(zone!.text).toContain('time zone is now Europe/Kyiv');
    const [second] = await ask('/subscribe Space');
    expect(second!.text).toContain('daily at 08:00 (Europe/Kyiv)');
    const [current] = await ask('/timezone');
    expect(current!.text).toContain('time zone is Europe/Kyiv');
    const subs = await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(alice.id) });
    expect(subs.map((s) => s.timezone)).toEqual(['Europe/Kyiv', 'Europe/Kyiv']);
  });

  it('a bad time or zone says what was wrong and gives an example', async () => {
    const [time] = await ask('/subscribe AI 25:00');
    expect(time!.text).toContain('"25:00" is not a time of day');
    expect(time!.text).toContain('Example: /subscribe AI 08:30');
    const [zone] = await ask('/subscribe AI 08:00 Mars/Olympus');
    expect(zone!.text).toContain('"Mars/Olympus" is not a time zone');
    expect(zone!.text).toContain('Example: /timezone Europe/Kyiv');
    const [tz] = await ask('/timezone Nowhere');
    expect(tz!.text).toContain('"Nowhere" is not a time zone');
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(alice.id) })).toEqual([]);
  });

  it('/subscribe to an unknown topic offers the closest ones; pressing one subscribes with the time given', async () => {
    const [reply] = await ask('/subscribe Spaec 09:15');
    expect(buttons(reply!)).toContain('Space');
    const edited = await press(reply!, 'Space');
    expect(edited.text).toContain('Subscribed to Space: daily at 09:15 (UTC)');
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(alice.id) })).toHaveLength(1);
  });

  it('/unsubscribe removes one topic or all, and offers buttons when the topic is not subscribed', async () => {
    await ask('/subscribe AI');
    await ask('/subscribe Space');
    await ask('/subscribe Computer Vision');
    const [one] = await ask('/unsubscribe ai');
    expect(one!.text).toBe('Unsubscribed from AI.');

    const [wrong] = await ask('/unsubscribe Robotics');
    expect(wrong!.text).toContain('There is no subscription to "Robotics" here.');
    expect(buttons(wrong!)).toEqual(['Computer Vision', 'Space', 'All of them']);
    const edited = await press(wrong!, 'Space');
    expect(edited.text).toBe('Unsubscribed from Space.');

    const [all] = await ask('/unsubscribe all');
    expect(all!.text).toBe('Unsubscribed from Computer Vision.');
    const [none] = await ask('/subscriptions');
    expect(none!.text).toContain('No subscriptions here yet');
  });

  it('escapes hostile titles and keeps a huge excerpt within one valid message', async () => {
    await h.close();
    h = await startTelegramHarness({
      articles: [
        makeArticle({
          title: '<script>alert(1)</script> & <b>unbalanced',
          excerpt: `${'&lt; <i> & '.repeat(400)}`.slice(0, 4000),
          provider: { name: '<Evil> & Co', domain: 'evil.example' },
          topics: ['Security'],
        }),
      ],
    });
    const [reply] = await ask('/news Security');
    expect(reply!.text).toContain('<script>alert(1)</script> & <b>unbalanced');
    expect(reply!.text).toContain('<Evil> & Co');
    expect(reply!.html).not.toContain('<script>');
    expect(parseTelegramHtml(reply!.html).ok).toBe(true);
  });

  it('splits a digest longer than 4,096 characters into several valid messages, each item whole', async () => {
    await h.close();
    const long = Array.from({ length: 8 }, (_, i) =>
      makeArticle({
        title: `Story ${i + 1}: ${'R&D <lab> '.repeat(90)}`.trim(),
        topics: ['Chips'],
        quality: 90 - i,
        related: [1, 2, 3].map((k) => makeRelated({ provider: { name: `Source ${k}`, domain: `s${k}-${i}.example` }, url: `https://s${k}-${i}.example/x` })),
      }),
    );
    h = await startTelegramHarness({ articles: long });
    const since = h.fake.mark();
    h.fake.sendText({ from: alice, chat: dm, text: '/news Chips 8' });
    // The next long poll confirms the command's update: by then every reply to it has been sent.
    await h.fake.waitForCall('getUpdates', { since, includePending: true, where: (c) => Number(c.payload.offset) > 1 });
    const sends = h.fake.callsOf('sendMessage', since);
    expect(sends.length).toBeGreaterThan(1);
    const texts = sends.map((c) => stored(c)).map((m) => {
      expect(m.html.length).toBeLessThanOrEqual(4096);
      return m.text;
    });
    for (let i = 1; i <= 8; i++) expect(texts.filter((t) => t.includes(`${i}. Story ${i}:`))).toHaveLength(1);
  });

  it('answers other text in a private chat with a pointer to /help', async () => {
    const [hello] = await ask('hello there');
    expect(hello!.text).toContain('/news AI');
    const [unknown] = await ask('/frobnicate');
    expect(unknown!.text).toContain('Unknown command');
  });

  it('keeps running after a handler throws, and tells the user something went wrong', async () => {
    const news = vi.spyOn(h.app, 'news').mockImplementationOnce(() => {
      throw new Error('database on fire');
    });
    const [sorry] = await ask('/news AI');
    expect(sorry!.text).toContain('Something went wrong');
    expect(h.logger.entries.some((e) => e.level === 'error' && JSON.stringify(e.obj).includes('database on fire'))).toBe(true);
    news.mockRestore();
    const [ok] = await ask('/news AI 1');
    expect(ok!.text).toContain('Chips double AI speed');
  });
});

describe('groups', () => {
  const admin = user(201, 'Admin');
  const member = user(202, 'Member');
  const room = supergroup(5);

  beforeEach(async () => {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.setAdmins(room.id, [admin.id]);
  });

  it('answers /command@BotName and ignores commands addressed to another bot', async () => {
    const since = h.fake.mark();
    h.fake.sendText({ from: member, chat: room, text: '/news@SomeOtherBot AI' });
    const [reply] = await ask(`/news@${BOT_USER.username} AI 1`, { chat: room, from: member });
    expect(reply!.text).toContain('Chips double AI speed');
    expect(h.fake.callsOf('sendMessage', since)).toHaveLength(1);
  });

  it('lets anyone ask for news but only administrators change subscriptions, asking Telegram who is one', async () => {
    const [news] = await ask('/news AI 1', { chat: room, from: member });
    expect(news!.text).toContain('Chips double AI speed');

    const [refused] = await ask('/subscribe AI', { chat: room, from: member });
    expect(refused!.text).toContain('Only group administrators');
    const check = h.fake.callsOf('getChatMember').at(-1)!;
    expect(check.payload).toMatchObject({ chat_id: room.id, user_id: member.id });
    const [zone] = await ask('/timezone Europe/Kyiv', { chat: room, from: member });
    expect(zone!.text).toContain('Only group administrators');
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(room.id) })).toEqual([]);

    const [accepted] = await ask('/subscribe AI', { chat: room, from: admin });
    expect(accepted!.text).toContain('Subscribed to AI');
    const [removed] = await ask('/unsubscribe AI', { chat: room, from: member });
    expect(removed!.text).toContain('Only group administrators');
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(room.id) })).toHaveLength(1);
  });

  it('treats the group creator and anonymous administrators as administrators', async () => {
    h.fake.setAdmins(room.id, [], member.id);
    const [creator] = await ask('/subscribe AI', { chat: room, from: member });
    expect(creator!.text).toContain('Subscribed to AI');
    const anonymous = user(1087968824, 'Group');
    const checks = h.fake.callsOf('getChatMember').length;
    const [anon] = await ask('/subscribe Space', { chat: room, from: anonymous, senderChat: room });
    expect(anon!.text).toContain('Subscribed to Space');
    expect(h.fake.callsOf('getChatMember')).toHaveLength(checks);
  });

  it('refuses a subscribe button pressed by a non-administrator with an alert, changing nothing', async () => {
    const [reply] = await ask('/subscribe Spaec', { chat: room, from: admin });
    const data = reply!.reply_markup!.inline_keyboard.flat().find((b) => b.text === 'Space')!.callback_data!;
    const since = h.fake.mark();
    h.fake.press({ from: member, message: reply!, data });
    const answer = await h.fake.waitForCall('answerCallbackQuery', { since });
    expect(answer.payload).toMatchObject({ show_alert: true });
    expect(String(answer.payload.text)).toContain('Only group administrators');
    expect(h.fake.callsOf('editMessageText', since)).toEqual([]);
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(room.id) })).toEqual([]);
  });

  it('works in a basic group as well', async () => {
    const basic = group(77);
    h.fake.setAdmins(basic.id, [admin.id]);
    const [reply] = await ask('/subscribe AI 06:00', { chat: basic, from: admin });
    expect(reply!.text).toContain('daily at 06:00');
  });
});

describe('forum topics', () => {
  const admin = user(301, 'Admin');
  const forum = supergroup(6, { forum: true });

  beforeEach(async () => {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.setAdmins(forum.id, [admin.id]);
  });

  it('answers in the topic it was asked in and keeps that topic’s subscriptions apart', async () => {
    const [reply] = await ask('/subscribe AI', { chat: forum, from: admin, threadId: 42 });
    expect(reply!.message_thread_id).toBe(42);
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(forum.id), threadId: '42' })).toHaveLength(1);

    const [elsewhere] = await ask('/subscriptions', { chat: forum, from: admin, threadId: 7 });
    expect(elsewhere!.message_thread_id).toBe(7);
    expect(elsewhere!.text).toContain('No subscriptions here yet');
    const [general] = await ask('/subscriptions', { chat: forum, from: admin });
    expect(general!.message_thread_id).toBeUndefined();
  });

  it('a topic button pressed in a forum topic edits that message in place', async () => {
    const [menu] = await ask('/news', { chat: forum, from: admin, threadId: 42 });
    expect(menu!.message_thread_id).toBe(42);
    const since = h.fake.mark();
    const edited = await press(menu!, 'AI (3)', admin);
    expect(edited.text).toContain('AI · top 3 stories');
    expect(edited.message_thread_id).toBe(42);
    expect(h.fake.callsOf('editMessageText', since)[0]!.payload).toMatchObject({ chat_id: forum.id, message_id: menu!.message_id });
    expect(h.fake.callsOf('sendMessage', since)).toEqual([]);
  });

  it('delivers a scheduled digest into the subscribed topic', async () => {
    h.fake.addChat(forum);
    const digest = await h.app.news('AI', { count: 2 });
    if (!digest.ok) throw new Error(digest.code);
    const outcome = await h.telegram.deliverer.deliver(
      { platform: 'telegram', chatId: String(forum.id), threadId: '42' },
      digest.digest, UTC,
    );
    expect(outcome).toEqual({ ok: true, messages: 1 });
    const [sent] = h.fake.messagesIn(forum.id, 42);
    expect(sent!.text).toContain('AI · top 2 stories');
  });
});

describe('defaults', () => {
  it('runs with only what npm start passes: token, API root, app and logger', async () => {
    h = await startTelegramHarness({ articles: articles(), defaults: true });
    const [first] = await ask('/help');
    expect(first!.text).toContain('/news');
    const [second] = await ask('/news AI 1', { chat: privateChat(bob), from: bob });
    expect(second!.text).toContain('Chips double AI speed');
  });
});

describe('a topic with nothing in the /news window', () => {
  it('says so and shows the latest stories, each with its age; a fresh topic has neither', async () => {
    const old = makeArticle({ title: 'Qubits hold their state longer', topics: ['Oceans'], publishedAt: '2026-11-05T09:00:00.000Z' });
    h = await startTelegramHarness({ articles: [...articles(), old] });
    const [reply] = await ask('/news oceans');
    expect(reply!.text).toContain('Nothing on Oceans in the last 7 days. The latest stories:');
    expect(reply!.html).toContain('Nothing on <b>Oceans</b> in the last 7 days.');
    // The clock says 26 Nov 09:00: three weeks after the article.
    expect(reply!.text).toMatch(/1\. Qubits hold their state longer\n.+ · 3 weeks ago\n/);
    const [fresh] = await ask('/news AI 1');
    expect(fresh!.text).not.toContain('Nothing on');
    expect(fresh!.text).not.toContain(' ago');
  });
});

describe('subscription options, through grammY and the fake Bot API', () => {
  const admin = user(401, 'Admin');
  const member = user(402, 'Member');
  const room = supergroup(9);

  beforeEach(async () => {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.setAdmins(room.id, [admin.id]);
  });

  const mine = async () => (await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(alice.id) }))[0]!;

  it('/subscribe with a schedule, zone, count and filters stores each and says them back; an edit changes only what it names', async () => {
    const [reply] = await ask('/subscribe AI 08:00,18:00 Europe/Kyiv days=mon-fri count=2 include="chips, regulators" exclude=classrooms min=60');
    expect(reply!.text).toContain(
      'Subscribed to AI: weekdays at 08:00 and 18:00 (Europe/Kyiv, its own zone) · 2 stories · only: chips, regulators · not: classrooms · quality 60+.',
    );
    expect(reply!.text).toContain('Next digest: Thu 26 Nov, 18:00 (Europe/Kyiv)');
    const created = await mine();
    expect(created).toMatchObject({
      schedule: { kind: 'weekdays', days: [1, 2, 3, 4, 5], times: ['08:00', '18:00'] },
      timezone: 'Europe/Kyiv',
      count: 2,
      filters: { include: ['chips', 'regulators'], exclude: ['classrooms'], outlets: [], minQuality: 60 },
    });

    const [edited] = await ask('/subscribe AI 9am');
    expect(edited!.text).toContain('Updated (time) AI: weekdays at 09:00 (Europe/Kyiv, its own zone) · 2 stories');
    expect(await mine()).toEqual({ ...created, time: '09:00', schedule: { ...created.schedule, times: ['09:00'] }, nextDueAt: '2026-11-27T07:00:00.000Z' });

    const [list] = await ask('/subscriptions');
    expect(list!.text).toContain('• AI — weekdays at 09:00 (Europe/Kyiv, its own zone) · 2 stories · only: chips, regulators · not: classrooms · quality 60+ · next: Fri 27 Nov, 09:00 (Europe/Kyiv)');
  });

  it('/subscribe space 09:15 EST says the zone is not recognised and which to use, and subscribes nothing', async () => {
    const [reply] = await ask('/subscribe space 09:15 EST');
    expect(reply!.text).toContain('The time zone "EST" is not recognised');
    expect(reply!.text).toContain('Use America/New_York or UTC-5.');
    expect(reply!.text).not.toContain('No topic');
    expect(await h.store.subscriptions.listSubscriptions({ platform: 'telegram', chatId: String(alice.id) })).toEqual([]);
  });

  it('refuses a 500-character word in a filter, naming the option', async () => {
    const [reply] = await ask(`/subscribe AI exclude=${'w'.repeat(500)}`);
    expect(reply!.text).toContain('In the exclude option,');
    expect(reply!.text).toContain('is longer than 60 characters');
  });

  it('/preview shows the next digest with the subscription’s filters, in its zone, and sends or marks nothing as delivered', async () => {
    await ask('/subscribe AI 18:00 Asia/Tokyo exclude=classrooms count=5');
    const [note, digest] = await ask('/preview AI', {}, 2);
    expect(note!.text).toContain('Preview of the next AI digest (not sent)');
    expect(note!.text).toContain('It comes Fri 27 Nov, 18:00 (Asia/Tokyo).');
    expect(digest!.text).toContain('Chips double AI speed');
    expect(digest!.text).toContain('Regulators look at AI');
    expect(digest!.text).not.toContain('AI in classrooms');
    // Publication times in the subscription's zone: 25 Nov 08:00 UTC is 17:00 in Tokyo.
    expect(digest!.text).toContain('25 Nov 2026, 17:00 GMT+9');
    const sub = await mine();
    expect(await h.store.deliveries.deliveries(sub.id)).toEqual([]);
    expect((await h.store.deliveries.sentArticleIds(sub.target)).size).toBe(0);
  });

  it('/pause and /resume: paused is listed and kept, resumed comes at its next time', async () => {
    await ask('/subscribe AI 07:00 count=3');
    const [paused] = await ask('/pause AI');
    expect(paused!.text).toContain('Paused AI. Settings are kept');
    expect(await mine()).toMatchObject({ paused: true, count: 3 });
    const [list] = await ask('/subscriptions');
    expect(list!.text).toContain('• AI — daily at 07:00 (UTC) · 3 stories · ⏸ paused; /resume AI resumes');
    const [again] = await ask('/pause all');
    expect(again!.text).toContain('Already paused: AI.');
    const [resumed] = await ask('/resume ai');
    expect(resumed!.text).toContain('Resumed AI. Next digest: Fri 27 Nov, 07:00 (UTC).');
    expect(await mine()).toMatchObject({ paused: false, count: 3, nextDueAt: '2026-11-27T07:00:00.000Z' });
    const [unknown] = await ask('/resume Space');
    expect(unknown!.text).toContain('There is no subscription to "Space" here.');
    expect(unknown!.text).toContain('Example: /resume AI');
  });

  it('lets only administrators pause or resume a group’s subscriptions; anyone may preview', async () => {
    await ask('/subscribe AI', { chat: room, from: admin });
    const [refused] = await ask('/pause AI', { chat: room, from: member });
    expect(refused!.text).toContain('Only group administrators');
    const [preview] = await ask('/preview AI', { chat: room, from: member }, 2);
    expect(preview!.text).toContain('Preview of the next AI digest');
    const [paused] = await ask('/pause AI', { chat: room, from: admin });
    expect(paused!.text).toContain('Paused AI');
  });

  it('/timezone says which subscriptions moved and which keep their own zone', async () => {
    await ask('/subscribe AI 07:00');
    await ask('/subscribe Space 08:00 Asia/Tokyo');
    const [reply] = await ask('/timezone Europe/Kyiv');
    expect(reply!.text).toContain("This chat's time zone is now Europe/Kyiv.");
    expect(reply!.text).toContain('Moved to it, same local times: AI.');
    expect(reply!.text).toContain('Keeping their own zone: Space (Asia/Tokyo).');
  });

  it('offers suggested topics as buttons only when a button can carry what was typed', async () => {
    const [plain] = await ask('/subscribe Spaec 09:15');
    expect(buttons(plain!)).toContain('Space');
    // A button would drop count=3, and twenty times do not fit in a button's 64 bytes: the topics are named instead.
    const [withOption] = await ask('/subscribe Spaec 09:15 count=3');
    expect(withOption!.text).toContain('No topic "Spaec". Did you mean Space');
    expect(buttons(withOption!)).toEqual([]);
    const times = Array.from({ length: 20 }, (_, i) => String(i)).join(',');
    const [manyTimes] = await ask(`/subscribe Spaec ${times}`);
    expect(manyTimes!.text).toContain('No topic "Spaec"');
    expect(buttons(manyTimes!)).toEqual([]);
  });

  it('/help lists the options of /subscribe', async () => {
    const [help] = await ask('/help');
    for (const option of ['days=DAYS', 'count=N', 'include=WORDS', 'exclude=WORDS', 'outlets=OUTLETS', 'min=Q']) expect(help!.text).toContain(option);
  });
});
