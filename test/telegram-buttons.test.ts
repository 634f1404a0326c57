import { afterEach, describe, expect, it } from 'vitest';
import { makeArticle } from './helpers/articles.js';
import {
  privateChat,
  startTelegramHarness,
  supergroup,
  user,
  type FakeChat,
  type FakeUser,
  type RecordedCall,
  type StoredMessage,
  type TelegramHarness,
} from './helpers/fake-telegram.js';
import { CALLBACK_DATA_LIMIT, encodeAction, topicHash } from '../adapters/telegram/callback-data.js';
import { NEWS_MAX_PAGE } from '../src/index.js';
import type { Target } from '../src/model.js';

const alice = user(501, 'Alice');
const bob = user(502, 'Bob');
const dm = privateChat(alice);
const room = supergroup(503, { title: 'Reading room' });

/** Seven AI stories on unrelated subjects (so none fold into another), best first, and one on Space. */
const AI_TITLES = [
  'Chip makers double inference speed',
  'Regulators publish model audit rules',
  'Classrooms trial tutoring assistants',
  'Hospital triage gets a language model',
  'Farm drones learn to spot blight',
  'Translation earbuds reach markets',
  'Orchestra scores written with help',
];
function articles() {
  return [
    ...AI_TITLES.map((title, i) => makeArticle({ title, topics: ['AI'], quality: 95 - i * 5, url: `https://news.example/ai/${i}` })),
    makeArticle({ title: 'Rocket lands upright', topics: ['Space'], quality: 60, url: 'https://news.example/space/1' }),
  ];
}

let h: TelegramHarness;
afterEach(async () => {
  await h?.close();
});

function stored(call: RecordedCall): StoredMessage {
  expect(call.answer?.ok, call.answer?.description).toBe(true);
  const result = call.answer!.result as { message_id: number; chat: { id: number } };
  return h.fake.messages.get(`${result.chat.id}:${result.message_id}`)!;
}

async function ask(text: string, chat: FakeChat = dm, from: FakeUser = alice): Promise<StoredMessage> {
  const since = h.fake.mark();
  h.fake.sendText({ from, chat, text });
  return stored(await h.fake.waitForCall('sendMessage', { since, where: (c) => Number(c.payload.chat_id) === chat.id }));
}

function buttonData(message: StoredMessage, label: string): string | undefined {
  return message.reply_markup?.inline_keyboard.flat().find((b) => b.text === label)?.callback_data;
}

/** Presses `data` under `message` and returns the callback answer once it is given. */
async function press(message: StoredMessage, data: string, from: FakeUser = alice): Promise<{ answer: RecordedCall; since: number }> {
  const since = h.fake.mark();
  h.fake.press({ from, message, data });
  return { answer: await h.fake.waitForCall('answerCallbackQuery', { since }), since };
}

/** Presses More and returns the page it sent (a new message). */
async function more(message: StoredMessage, from: FakeUser = alice): Promise<StoredMessage> {
  const data = buttonData(message, 'More');
  if (!data) throw new Error(`no More button under: ${message.text.slice(0, 80)}`);
  const { since } = await press(message, data, from);
  const page = stored(await h.fake.waitForCall('sendMessage', { since }));
  await h.fake.waitForCall('editMessageReplyMarkup', { since });
  return page;
}

function titlesIn(message: StoredMessage): string[] {
  return AI_TITLES.filter((t) => message.text.includes(t));
}

/** A scheduled digest as the deliverer posts it (the scheduler's part is tested elsewhere). */
async function deliverDigest(target: Target, topic = 'AI', count = 3): Promise<StoredMessage> {
  const result = await h.app.news(topic, { count });
  if (!result.ok) throw new Error(result.code);
  const since = h.fake.mark();
  const outcome = await h.telegram.deliverer.deliver(target, result.digest, { timezone: 'UTC' });
  expect(outcome.ok).toBe(true);
  return stored(await h.fake.waitForCall('sendMessage', { since }));
}

describe('More under a digest', () => {
  it('pages through the ranking without repeats, replying to the page before, and disappears at the end', async () => {
    h = await startTelegramHarness({ articles: articles() });
    const first = await ask('/news AI 3');
    expect(first.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(['More']);

    const second = await more(first);
    expect(second.reply_to_message_id).toBe(first.message_id);
    // The pressed button is gone, so the page is posted once.
    expect(buttonData(first, 'More')).toBeUndefined();
    const third = await more(second);

    const pages = [first, second, third].map(titlesIn);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(new Set(pages.flat()).size).toBe(AI_TITLES.length);
    // A short page is the last: no More under it.
    expect(third.reply_markup).toBeUndefined();
  });

  it('offers no More under a page that is already short, nor past the last page', async () => {
    h = await startTelegramHarness({ articles: articles() });
    expect((await ask('/news Space 3')).reply_markup).toBeUndefined();
    const forged = encodeAction({ kind: 'more', topicKey: 'ai', count: 1, page: NEWS_MAX_PAGE + 1 });
    const message = await ask('/news AI 1');
    const since = h.fake.mark();
    const { answer } = await press(message, forged);
    expect(String(answer.payload.text)).toMatch(/expired/);
    expect(h.fake.callsOf('sendMessage', since)).toHaveLength(0);
  });

  it('says politely when the topic has nothing more or no longer exists', async () => {
    h = await startTelegramHarness({ articles: articles() });
    const message = await ask('/news AI 3');
    const gone = encodeAction({ kind: 'more', topicKey: 'no-such-topic', count: 3, page: 1 });
    expect(String((await press(message, gone)).answer.payload.text)).toMatch(/no stories any more/);
    const unknownHash = `m|3|1||#${topicHash('vanished').replace(/./, 'Z')}`;
    expect(String((await press(message, unknownHash)).answer.payload.text)).toMatch(/expired/);
  });
});

describe('Unsubscribe under a scheduled digest', () => {
  const target: Target = { platform: 'telegram', chatId: String(room.id) };

  async function groupDigest(): Promise<StoredMessage> {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.addChat(room);
    h.fake.setAdmins(room.id, [alice.id]);
    await h.app.subscribe(target, 'AI', '08:00');
    return deliverDigest(target);
  }

  it('sits beside More under a scheduled digest, not under /news replies', async () => {
    const digest = await groupDigest();
    expect(digest.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(['More', 'Unsubscribe']);
    expect(buttonData(await ask('/news AI 3', room), 'Unsubscribe')).toBeUndefined();
  });

  it('removes the subscription when an administrator presses it, and tells the chat', async () => {
    const digest = await groupDigest();
    const { answer, since } = await press(digest, buttonData(digest, 'Unsubscribe')!, alice);
    expect(String(answer.payload.text)).toContain('Unsubscribed from AI');
    expect(await h.app.subscriptions(target)).toHaveLength(0);
    const notice = stored(await h.fake.waitForCall('sendMessage', { since }));
    await h.fake.waitForCall('editMessageReplyMarkup', { since });
    expect(notice.text).toContain('Unsubscribed from AI');
    expect(notice.reply_to_message_id).toBe(digest.message_id);
    // The digest stays; only its Unsubscribe button went.
    expect(digest.text).toContain(AI_TITLES[0]);
    expect(digest.reply_markup?.inline_keyboard.flat().map((b) => b.text)).toEqual(['More']);
    expect(h.fake.callsOf('getChatMember').map((c) => Number(c.payload.user_id))).toEqual([alice.id]);
  });

  it('refuses a member who is not an administrator and keeps the subscription', async () => {
    const digest = await groupDigest();
    const { answer } = await press(digest, buttonData(digest, 'Unsubscribe')!, bob);
    expect(answer.payload).toMatchObject({ text: 'Only admins can unsubscribe this chat.', show_alert: true });
    expect(await h.app.subscriptions(target)).toHaveLength(1);
    expect(buttonData(digest, 'Unsubscribe')).toBeDefined();
  });

  it('answers a stale button (subscription already gone) politely', async () => {
    const digest = await groupDigest();
    await h.app.unsubscribe(target, 'AI');
    const { answer } = await press(digest, buttonData(digest, 'Unsubscribe')!, alice);
    expect(String(answer.payload.text)).toMatch(/no longer subscribed/);
    expect(h.logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('More under a scheduled digest leaves out what the chat was already sent', async () => {
    const digest = await groupDigest();
    const shown = titlesIn(digest);
    // What the scheduler records once a digest is delivered.
    const sent = (await h.app.news('AI', { count: 3 })) as { ok: true; digest: { items: Array<{ articleIds: string[] }> } };
    const subscription = (await h.app.subscriptions(target))[0]!.subscription;
    await h.store.deliveries.recordDelivery(
      { subscriptionId: subscription.id, slot: subscription.nextDueAt, status: 'sent', articleIds: sent.digest.items.flatMap((i) => i.articleIds), detail: null },
      target,
      new Date(Date.parse(subscription.nextDueAt) + 86_400_000).toISOString(),
    );
    const next = await more(digest, bob);
    expect(titlesIn(next)).toHaveLength(3);
    expect(titlesIn(next).filter((t) => shown.includes(t))).toEqual([]);
  });
});

describe('forged or stale callback data', () => {
  it('answers data over 64 bytes, unknown kinds and unknown topic hashes without throwing', async () => {
    h = await startTelegramHarness({ articles: articles() });
    const message = await ask('/news AI 3');
    const since = h.fake.mark();
    const forged = [
      `m|3|1||${'a'.repeat(CALLBACK_DATA_LIMIT)}`,
      `x|${'b'.repeat(CALLBACK_DATA_LIMIT)}`,
      'q|anything',
      'm|3|one||ai',
      'm|0|1||ai',
      'm|3|1|z|ai',
      `x|#${'A'.repeat(16)}`,
    ];
    for (const data of forged) {
      const { answer } = await press(message, data);
      expect(answer.payload.text, data).toBeTruthy();
    }
    expect(h.fake.callsOf('sendMessage', since)).toHaveLength(0);
    expect(h.logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});

describe('link preview', () => {
  it("a /news reply and a scheduled digest show the top story's card", async () => {
    h = await startTelegramHarness({ articles: articles() });
    expect((await ask('/news AI 3')).link_preview_options).toEqual({ url: 'https://news.example/ai/0', prefer_small_media: true });
    const target: Target = { platform: 'telegram', chatId: String(dm.id) };
    expect((await deliverDigest(target)).link_preview_options).toEqual({ url: 'https://news.example/ai/0', prefer_small_media: true });
    // Messages that are not digests keep previews off.
    expect((await ask('/help')).link_preview_options).toEqual({ is_disabled: true });
  });
});

describe('subscribing a channel', () => {
  const channel: FakeChat = { id: -1_009_876_543_210, type: 'channel', title: 'Morning wire', username: 'morningwire' };
  const target: Target = { platform: 'telegram', chatId: String(channel.id) };
  const BOT_ID = 424242;

  async function withChannel(admins: number[]): Promise<void> {
    h = await startTelegramHarness({ articles: articles() });
    h.fake.addChat(channel);
    h.fake.setAdmins(channel.id, admins);
  }

  it('works from a post in the channel itself (channel_post)', async () => {
    await withChannel([BOT_ID]);
    const reply = await ask('/subscribe AI 08:00', channel, alice);
    expect(reply.text).toContain('Subscribed to AI');
    expect((await h.app.subscriptions(target)).map((v) => v.subscription.topicKey)).toEqual(['ai']);
  });

  it('in a channel, More posts only for an administrator who presses it', async () => {
    await withChannel([alice.id, BOT_ID]);
    const digest = await deliverDigest(target);
    const before = h.fake.mark();
    const { answer } = await press(digest, buttonData(digest, 'More')!, bob);
    expect(answer.payload).toMatchObject({ show_alert: true });
    expect(h.fake.callsOf('sendMessage', before)).toHaveLength(0);
    expect((await more(digest, alice)).chat.id).toBe(channel.id);
  });

  it('works from a private chat naming the channel by @name when the user and the bot administer it', async () => {
    await withChannel([alice.id, BOT_ID]);
    const reply = await ask('/subscribe @morningwire AI 08:00');
    expect(reply.chat.id).toBe(dm.id);
    expect(reply.text).toContain('@morningwire');
    expect(reply.text).toContain('Subscribed to AI');
    const [view] = await h.app.subscriptions(target);
    expect(view?.subscription.schedule).toMatchObject({ times: ['08:00'] });
    expect(await h.app.subscriptions({ platform: 'telegram', chatId: String(dm.id) })).toEqual([]);
    // Both were asked about: the one who typed and the bot.
    expect(h.fake.callsOf('getChatMember').map((c) => Number(c.payload.user_id)).sort()).toEqual([alice.id, BOT_ID].sort());
  });

  it('works by the channel id too', async () => {
    await withChannel([alice.id, BOT_ID]);
    await ask(`/subscribe ${channel.id} AI`);
    expect(await h.app.subscriptions(target)).toHaveLength(1);
  });

  it('refuses a user who is not an administrator, saying so', async () => {
    await withChannel([BOT_ID]);
    const reply = await ask('/subscribe @morningwire AI 08:00');
    expect(reply.text).toContain('you are not an administrator of @morningwire');
    expect(reply.text).not.toContain('I am not');
    expect(await h.app.subscriptions(target)).toEqual([]);
  });

  it('refuses when the bot is not an administrator, or may not post, saying which', async () => {
    await withChannel([alice.id]);
    const reply = await ask('/subscribe @morningwire AI 08:00');
    expect(reply.text).toContain('I am not an administrator of @morningwire');
    expect(reply.text).not.toContain('you are not');
    h.fake.setAdmins(channel.id, [alice.id, BOT_ID]);
    h.fake.setAdminRights(channel.id, BOT_ID, { can_post_messages: false });
    expect((await ask('/subscribe @morningwire AI')).text).toContain('may not post messages');
    expect(await h.app.subscriptions(target)).toEqual([]);
  });

  it('refuses a channel it cannot see, and a name that is not a channel', async () => {
    await withChannel([alice.id, BOT_ID]);
    expect((await ask('/subscribe @nosuchchannel AI')).text).toContain('cannot see that channel');
    h.fake.addChat({ ...room, username: 'readingroom' });
    expect((await ask('/subscribe @readingroom AI')).text).toContain('not a channel');
  });
});
