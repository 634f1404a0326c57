import type { Bot, CallbackQueryContext, CommandContext, Context } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import {
  DEFAULT_COUNT,
  NEWS_MAX_PAGE,
  cutAtWord,
  parseNewsArgs,
  parseSubscribeArgs,
  suggestedTopics,
  type Logger,
  type Newsbrief,
  type NewsResult,
  type SubscribeResult,
  type Target,
  type UnsubscribeResult,
} from '../../src/index.js';
import { ACTION_PREFIXES, decodeAction, fitsCallbackData, resolveTopicRef, type DecodedAction } from './callback-data.js';
import { channelAccess, channelRef, chatTarget, mayManage, targetOf, type ChatLifecycle } from './chats.js';
import { isNotModified, isUneditable } from './failures.js';
import { digestKeyboard, topicKeyboard, withoutButton } from './keyboards.js';
import {
  ADMINS_ONLY,
  PICK_TOPIC,
  renderDigest,
  renderChannelRefused,
  renderError,
  renderHelp,
  renderPaused,
  renderPreview,
  renderSubscribed,
  renderSubscriptions,
  renderTimezoneCurrent,
  renderTimezoneSet,
  renderTopics,
  renderUnsubscribed,
} from './render.js';
import { NO_PREVIEW, previewFor, sendHtml, type SendOptions } from './send.js';
import { escapeHtml } from './html.js';
import { invocation } from './wording.js';

/** What the handlers need from the rest of the adapter. */
export interface HandlerDeps {
  app: Newsbrief;
  chats: ChatLifecycle;
  logger: Logger;
}

/** What a handler shows: messages, plus a keyboard under the last one. */
interface Reply {
  messages: string[];
  options?: SendOptions;
}

/** A callback answer is plain text of at most 200 characters. */
const ADMINS_ONLY_ALERT = 'Only group administrators can change this chat’s subscriptions.';
const EXPIRED = 'This button has expired. Try the command again.';
const UNSUBSCRIBE_ADMINS_ONLY = 'Only admins can unsubscribe this chat.';
const MORE_ADMINS_ONLY = 'Only admins can post more stories in this channel.';

/** Registers every command, button and chat-event handler on the bot. */
export function registerHandlers(bot: Bot, deps: HandlerDeps): void {
  const { app, chats } = deps;

  bot.on('message:migrate_to_chat_id', (ctx) => chats.migrate(ctx.chat.id, ctx.message.migrate_to_chat_id));
  bot.on('message:migrate_from_chat_id', (ctx) => chats.migrate(ctx.message.migrate_from_chat_id, ctx.chat.id));
  bot.on('my_chat_member', async (ctx) => {
    // Malformed updates exist in the wild: a missing member is simply not a status change.
    const status = ctx.myChatMember.new_chat_member?.status;
    if (status === 'kicked' || status === 'left') {
      const reason = ctx.chat.type === 'private' ? 'the user blocked the bot' : `the bot was removed from the chat (${status})`;
      await chats.pause(chatTarget(ctx.chat.id), reason);
    }
  });

  bot.command('start', async (ctx) => {
    const target = requireTarget(ctx);
    let resumed = 0;
    if (await mayManage(ctx)) {
      resumed = (await chats.resume(target)) + (target.threadId !== undefined ? await chats.resume(chatTarget(target.chatId)) : 0);
    }
    await send(ctx, { messages: [renderHelp(resumed)] });
  });

  bot.command('help', async (ctx) => {
    await send(ctx, { messages: [renderHelp()] });
  });

  bot.command('news', async (ctx) => {
    const { topic, count } = parseNewsArgs(ctx.match);
    if (topic === undefined) {
      await send(ctx, await topicPicker(app, count));
      return;
    }
    await send(ctx, await newsReply(app, requireTarget(ctx), await app.news(topic, { count }), count));
  });

  bot.command('topics', async (ctx) => {
    await send(ctx, { messages: renderTopics(await app.listTopics()) });
  });

  bot.command('subscribe', async (ctx) => {
    const [first = '', ...rest] = ctx.match.trim().split(/\s+/);
    const channel = ctx.chat.type === 'private' ? channelRef(first) : undefined;
    if (channel !== undefined) return subscribeChannel(ctx, deps, channel, rest.join(' '));
    if (!(await mayManage(ctx))) return send(ctx, { messages: [ADMINS_ONLY] });
    const { topic, ...options } = parseSubscribeArgs(ctx.match);
    const result = await app.subscribeWith(requireTarget(ctx), topic, options);
    // A suggested topic's button carries only a time and a zone: with any other option it would drop that
    // option, so then the error lists the topics without buttons.
    const buttons = Object.keys(options).every((name) => name === 'time' || name === 'timezone');
    await send(ctx, subscribeReply(result, options.time, options.timezone, buttons));
  });

  for (const action of ['pause', 'resume'] as const) {
    bot.command(action, async (ctx) => {
      if (!(await mayManage(ctx))) return send(ctx, { messages: [ADMINS_ONLY] });
      const result = await app[action](requireTarget(ctx), ctx.match.trim() || undefined);
      await send(ctx, { messages: [result.ok ? renderPaused(result) : renderError(result)] });
    });
  }

  bot.command('preview', async (ctx) => {
    const result = await app.preview(requireTarget(ctx), ctx.match.trim() || undefined);
    if (!result.ok) return send(ctx, { messages: [renderError(result)] });
    await send(ctx, { messages: renderPreview(result) });
  });

  bot.command('unsubscribe', async (ctx) => {
    if (!(await mayManage(ctx))) return send(ctx, { messages: [ADMINS_ONLY] });
    const target = requireTarget(ctx);
    await send(ctx, unsubscribeReply(await app.unsubscribe(target, ctx.match.trim() || undefined)));
  });

  bot.command('subscriptions', async (ctx) => {
    await send(ctx, { messages: renderSubscriptions(await app.subscriptions(requireTarget(ctx))) });
  });

  bot.command('timezone', async (ctx) => {
    const target = requireTarget(ctx);
    const zone = ctx.match.trim();
    if (zone === '') return send(ctx, { messages: [renderTimezoneCurrent(await app.timezone(target))] });
    if (!(await mayManage(ctx))) return send(ctx, { messages: [ADMINS_ONLY] });
    const result = await app.setTimezone(target, zone);
    await send(ctx, { messages: [result.ok ? renderTimezoneSet(result) : renderError(result)] });
  });

  bot.callbackQuery(new RegExp(`^[${ACTION_PREFIXES}]\\|`), (ctx) => pressed(ctx, deps));
  bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: EXPIRED }));
  // Buttons without data (games) are not ours, but an unanswered press leaves the user's spinner running.
  bot.on('callback_query', (ctx) => ctx.answerCallbackQuery());

  bot.chatType('private').on('message:text', async (ctx) => {
    const hint = ctx.message.text.startsWith('/')
      ? 'Unknown command. /help lists what I can do.'
      : `Send <code>${escapeHtml(invocation('news', { topic: 'AI' }))}</code> for a digest, or /help for everything I can do.`;
    await send(ctx, { messages: [hint] });
  });
}

function requireTarget(ctx: Context): Target {
  const target = targetOf(ctx);
  if (!target) throw new Error(`telegram: update ${ctx.update.update_id} has no chat`);
  return target;
}

function send(ctx: Context, reply: Reply): Promise<number> {
  return sendHtml(ctx.api, requireTarget(ctx), reply.messages, reply.options);
}

async function topicPicker(app: Newsbrief, count: string | undefined): Promise<Reply> {
  // The core checks the count before the topic: with no topic, anything but missing-topic is a bad count.
  const check = await app.news(undefined, { count });
  if (!check.ok && check.code !== 'missing-topic') return { messages: [renderError(check)] };
  const n = count === undefined ? undefined : Number(count);
  const keyboard = topicKeyboard(await app.mainTopics(), (topicKey) => ({ kind: 'news', topicKey, count: n }), { counts: true });
  if (!keyboard) return { messages: ['No topics yet: no articles have been loaded.'] };
  return { messages: [PICK_TOPIC], options: { keyboard } };
}

async function newsReply(app: Newsbrief, target: Target, result: NewsResult, count?: string | number): Promise<Reply> {
  if (result.ok) {
    const messages = renderDigest(result.digest, { timezone: await app.timezone(target) });
    // The core accepted the count, so it is a whole number (or absent: the default).
    const keyboard = digestKeyboard(result.digest, { count: count === undefined ? DEFAULT_COUNT : Number(count) });
    return { messages, options: { preview: previewFor(result.digest), ...(keyboard ? { keyboard } : {}) } };
  }
  // Suggestions only come with topic errors, which the core reports after the count passed.
  const keyboard = topicKeyboard(suggestedTopics(result), (topicKey) => ({
    kind: 'news',
    topicKey,
    count: count === undefined ? undefined : Number(count),
  }));
  return { messages: [renderError(result)], options: { keyboard } };
}

/**
 * "/subscribe @channel AI 08:00" in a private chat: subscribes the channel, once Telegram confirms that both
 * the sender and the bot administer it (and the bot may post); the answer stays in the private chat.
 */
async function subscribeChannel(ctx: CommandContext<Context>, deps: HandlerDeps, ref: string, args: string): Promise<void> {
  const from = ctx.from;
  if (!from) return void (await send(ctx, { messages: [ADMINS_ONLY] }));
  const access = await channelAccess(ctx.api, ref, from.id, ctx.me.id);
  if (!access.ok) return void (await send(ctx, { messages: [renderChannelRefused(access.channel, access.missing)] }));
  const { topic, ...options } = parseSubscribeArgs(args);
  const result = await deps.app.subscribeWith(chatTarget(access.chat.id), topic, options);
  // Suggestion buttons would subscribe this private chat, not the channel: the error names the topics instead.
  const reply = subscribeReply(result, options.time, options.timezone, false);
  const where = access.chat.username ? `@${access.chat.username}` : (access.chat.title ?? ref);
  await send(ctx, result.ok ? { messages: [`📣 ${escapeHtml(cutAtWord(where, 100))}: ${reply.messages[0]}`] } : reply);
}

function subscribeReply(result: SubscribeResult, time?: string, timezone?: string, buttons = true): Reply {
  if (result.ok) return { messages: [renderSubscribed(result.view, result.created, result.changed)] };
  const suggestions = suggestedTopics(result);
  // The time has not been checked when the topic is unknown: a long one (in bytes) leaves no room for buttons.
  const fits = (topicKey: string) => fitsCallbackData({ kind: 'subscribe', topicKey, time, timezone });
  if (!buttons || Buffer.byteLength(time ?? '', 'utf8') > MAX_BUTTON_TIME || !suggestions.every((t) => fits(t.key))) {
    return { messages: [renderError(result)] };
  }
  const keyboard = topicKeyboard(suggestions, (topicKey) => ({ kind: 'subscribe', topicKey, time, timezone }));
  return { messages: [renderError(result)], options: { keyboard } };
}

/**
 * The longest time (in bytes) a subscribe button carries: "s|TIME||#" and a 16-character topic hash stay
 * within the 64 bytes of callback data (five times of day fit); a longer list is no time a schedule allows.
 */
const MAX_BUTTON_TIME = 30;

function unsubscribeReply(result: UnsubscribeResult): Reply {
  if (result.ok) return { messages: [renderUnsubscribed(result.removed)] };
  const suggestions = suggestedTopics(result);
  const extra =
    suggestions.length > 1 ? [{ text: 'All of them', callback_data: 'u|all' }] : [];
  const keyboard = topicKeyboard(suggestions, (topicKey) => ({ kind: 'unsubscribe', topicKey }), { extra });
  return { messages: [renderError(result)], options: { keyboard } };
}

/** A pressed button edits its own message into the answer, so the chat does not fill with menus. */
async function pressed(ctx: CallbackQueryContext<Context>, deps: HandlerDeps): Promise<void> {
  const { app } = deps;
  const action = decodeAction(ctx.callbackQuery.data);
  const target = targetOf(ctx);
  if (!action || !target || !ctx.callbackQuery.message) {
    await ctx.answerCallbackQuery({ text: EXPIRED });
    return;
  }
  if (action.kind === 'more') return pressedMore(ctx, deps, action, target);
  if (action.kind === 'drop') return pressedUnsubscribe(ctx, deps, action, target);
  if (action.kind !== 'news' && !(await mayManage(ctx))) {
    await ctx.answerCallbackQuery({ text: ADMINS_ONLY_ALERT, show_alert: true });
    return;
  }
  await ctx.answerCallbackQuery();

  let reply: Reply;
  if (action.kind === 'news') {
    const key = resolveTopicRef(action.topic, (await app.listTopics()).map((t) => t.key));
    reply = await newsReply(app, target, await app.news(key ?? '', { count: action.count }), action.count);
  } else if (action.kind === 'subscribe') {
    const key = resolveTopicRef(action.topic, (await app.listTopics()).map((t) => t.key));
    reply = subscribeReply(await app.subscribe(target, key ?? '', action.time, action.timezone), action.time, action.timezone);
  } else {
    const keys = ['all', ...(await app.subscriptions(target)).map((v) => v.subscription.topicKey)];
    const key = resolveTopicRef(action.topic, keys);
    reply = unsubscribeReply(await app.unsubscribe(target, key ?? ''));
  }
  await editInto(ctx, target, reply);
}

/**
 * More under a digest: the next page comes as a new message replying to the digest (a digest may span several
 * messages, and the page before stays readable), and the pressed button goes, so each page is posted once.
 */
async function pressedMore(
  ctx: CallbackQueryContext<Context>,
  deps: HandlerDeps,
  action: Extract<DecodedAction, { kind: 'more' }>,
  target: Target,
): Promise<void> {
  const { app } = deps;
  // Any viewer of a channel can press its buttons, but what the bot posts there speaks for the channel.
  if (ctx.chat?.type === 'channel' && !(await mayManage(ctx))) {
    await ctx.answerCallbackQuery({ text: MORE_ADMINS_ONLY, show_alert: true });
    return;
  }
  const key = resolveTopicRef(action.topic, (await app.listTopics()).map((t) => t.key));
  // The core reads a page past the last as the last one: a forged page must not repost it.
  if (key === undefined || action.page > NEWS_MAX_PAGE) {
    await ctx.answerCallbackQuery({ text: EXPIRED });
    return;
  }
  const excludeIds = action.unseen ? await app.storage.deliveries.sentArticleIds(target) : undefined;
  const result = await app.news(key, { count: action.count, page: action.page, ...(excludeIds ? { excludeIds } : {}) });
  if (!result.ok) {
    await ctx.answerCallbackQuery({ text: 'This topic has no stories any more. /topics lists what is covered.' });
    return;
  }
  if (result.digest.items.length === 0) {
    await ctx.answerCallbackQuery({ text: `No more stories on ${cutAtWord(result.digest.topic, 100)} right now.` });
    await dropPressedButton(ctx, deps);
    return;
  }
  await ctx.answerCallbackQuery();
  const messages = renderDigest(result.digest, { timezone: await app.timezone(target) });
  const keyboard = digestKeyboard(result.digest, { count: action.count, unseen: action.unseen });
  await sendHtml(ctx.api, target, messages, {
    preview: previewFor(result.digest),
    replyTo: ctx.callbackQuery.message!.message_id,
    ...(keyboard ? { keyboard } : {}),
  });
  await dropPressedButton(ctx, deps);
}

/** Unsubscribe under a scheduled digest: removes that subscription and leaves the digest as it is, button aside. */
async function pressedUnsubscribe(
  ctx: CallbackQueryContext<Context>,
  deps: HandlerDeps,
  action: Extract<DecodedAction, { kind: 'drop' }>,
  target: Target,
): Promise<void> {
  const { app } = deps;
  if (!(await mayManage(ctx))) {
    await ctx.answerCallbackQuery({ text: UNSUBSCRIBE_ADMINS_ONLY, show_alert: true });
    return;
  }
  const subscriptions = (await app.subscriptions(target)).map((v) => v.subscription);
  const key = resolveTopicRef(action.topic, subscriptions.map((s) => s.topicKey));
  const subscription = subscriptions.find((s) => s.topicKey === key);
  // Straight to the store: the command would read a topic called "all" as every subscription.
  if (!subscription || !(await app.storage.subscriptions.removeSubscription(target, subscription.topicKey))) {
    await ctx.answerCallbackQuery({ text: 'This chat is no longer subscribed to this topic.' });
    await dropPressedButton(ctx, deps);
    return;
  }
  await ctx.answerCallbackQuery({ text: `Unsubscribed from ${cutAtWord(subscription.topic, 100)}.` });
  await dropPressedButton(ctx, deps);
  // Everyone in the chat learns why the digests stopped, not only the one who pressed.
  await sendHtml(ctx.api, target, [renderUnsubscribed([subscription.topic])], { replyTo: ctx.callbackQuery.message!.message_id });
}

/** Takes the pressed button off its message; a message too old to edit keeps it (pressing again is harmless). */
async function dropPressedButton(ctx: CallbackQueryContext<Context>, deps: HandlerDeps): Promise<void> {
  const markup = withoutButton(ctx.callbackQuery.message?.reply_markup, ctx.callbackQuery.data);
  try {
    await ctx.editMessageReplyMarkup(markup ? { reply_markup: markup } : {});
  } catch (error) {
    if (isNotModified(error) || isUneditable(error)) return;
    deps.logger.warn({ err: error, updateId: ctx.update.update_id }, 'telegram: could not remove a pressed button');
  }
}

async function editInto(ctx: CallbackQueryContext<Context>, target: Target, reply: Reply): Promise<void> {
  const [first, ...rest] = reply.messages;
  if (first === undefined) return;
  const keyboard: InlineKeyboardMarkup | undefined = rest.length === 0 ? reply.options?.keyboard : undefined;
  try {
    await ctx.editMessageText(first, {
      parse_mode: 'HTML',
      link_preview_options: reply.options?.preview ?? NO_PREVIEW,
      ...(keyboard ? { reply_markup: keyboard } : {}),
    });
  } catch (error) {
    if (isNotModified(error)) return;
    // Old messages (or ones deleted meanwhile) cannot be edited: answer with new messages instead.
    if (!isUneditable(error)) throw error;
    await sendHtml(ctx.api, target, reply.messages, reply.options);
    return;
  }
  if (rest.length > 0) await sendHtml(ctx.api, target, rest, { ...reply.options, preview: NO_PREVIEW });
}
