import { GrammyError, type Api, type Context } from 'grammy';
import type { Chat } from 'grammy/types';
import { type Logger, type Target } from '../../src/index.js';
import type { SubscriptionStore } from '../../src/index.js';

/**
 * The target a message or button belongs to: the chat, plus the forum topic when the message was
 * posted in one (not the General topic, and not a plain reply thread in a non-forum group).
 */
export function targetOf(ctx: Context): Target | undefined {
  const chat = ctx.chat;
  if (!chat) return undefined;
  const msg = ctx.msg;
  const threadId = msg?.is_topic_message && msg.message_thread_id !== undefined ? String(msg.message_thread_id) : undefined;
  return threadId === undefined
    ? { platform: 'telegram', chatId: String(chat.id) }
    : { platform: 'telegram', chatId: String(chat.id), threadId };
}

/** The whole chat, whatever topic a target is in. */
export function chatTarget(chatId: string | number): Target {
  return { platform: 'telegram', chatId: String(chatId) };
}

/**
 * Whether the sender may change this chat's subscriptions: anyone in a private chat; in a channel a post
 * made as the channel (only its administrators can post); everywhere else, and for every button press,
 * the person acting must be an administrator as Telegram reports it right now. A button under a channel
 * post can be pressed by any viewer, so for buttons only the pressing user counts.
 */
export async function mayManage(ctx: Context): Promise<boolean> {
  const chat = ctx.chat;
  if (!chat) return false;
  if (chat.type === 'private') return ctx.callbackQuery === undefined || ctx.from?.id === chat.id;
  if (ctx.callbackQuery === undefined) {
    if (chat.type === 'channel' && ctx.channelPost !== undefined) return true;
    // An anonymous administrator posts as the group itself.
    if (ctx.message?.sender_chat?.id === chat.id) return true;
  }
  const user = ctx.from;
  if (!user || user.is_bot) return false;
  const member = await ctx.api.getChatMember(chat.id, user.id);
  return member.status === 'creator' || member.status === 'administrator';
}

/**
 * The channel a private /subscribe names as its first word: "@name" (a public channel's username) or its
 * numeric id "-100…" (private channels have no name). Undefined when the first word is neither.
 */
export function channelRef(word: string): string | undefined {
  return /^@[A-Za-z][A-Za-z0-9_]{3,31}$/.test(word) || /^-100\d{1,16}$/.test(word) ? word : undefined;
}

/** Why a channel named from a private chat cannot be managed from there: each missing condition, in words. */
export type ChannelAccess =
  | { ok: true; chat: Extract<Chat, { type: 'channel' }> }
  | { ok: false; channel: string; missing: string[] };

/**
 * Whether `userId` may subscribe the channel `ref` from a private chat: Telegram must show the bot the
 * channel, the user must be its creator or an administrator, and the bot an administrator allowed to post.
 * Asked of Telegram each time (getChat, getChatMember), never remembered.
 */
export async function channelAccess(api: Api, ref: string, userId: number, botId: number): Promise<ChannelAccess> {
  const notSeen = { ok: false as const, channel: ref, missing: ['I cannot see that channel: add me to it as an administrator'] };
  let chat: Chat;
  try {
    chat = await api.getChat(ref);
  } catch (error) {
    if (isRefusal(error)) return notSeen;
    throw error;
  }
  const name = chat.type === 'channel' && chat.username ? `@${chat.username}` : chat.type === 'channel' ? (chat.title ?? ref) : ref;
  if (chat.type !== 'channel') return { ok: false, channel: ref, missing: ['that chat is not a channel'] };
  const missing: string[] = [];
  const you = await memberOf(api, chat.id, userId);
  if (you?.status !== 'creator' && you?.status !== 'administrator') missing.push(`you are not an administrator of ${name}`);
  const me = await memberOf(api, chat.id, botId);
  if (me?.status !== 'administrator') missing.push(`I am not an administrator of ${name}`);
  else if (me.can_post_messages !== true) missing.push(`I am an administrator of ${name} but may not post messages there`);
  return missing.length > 0 ? { ok: false, channel: name, missing } : { ok: true, chat };
}

/** A member as getChatMember reports it; undefined when Telegram will not say (not a member, list hidden). */
async function memberOf(api: Api, chatId: number, userId: number) {
  try {
    return await api.getChatMember(chatId, userId);
  } catch (error) {
    if (isRefusal(error)) return undefined;
    throw error;
  }
}

/** 400 (chat not found, member list inaccessible) and 403 (bot not in the chat): answers, not failures. */
function isRefusal(error: unknown): boolean {
  return error instanceof GrammyError && (error.error_code === 400 || error.error_code === 403);
}

/**
 * Keeps stored subscriptions in step with what Telegram says about a chat: a chat that refuses the
 * bot is paused (kept, not deleted), a group that became a supergroup moves to its new id.
 */
export class ChatLifecycle {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly logger: Logger,
  ) {}

  /** Pauses the target's subscriptions, and the whole chat's when the chat as a whole refused. */
  async pause(target: Target, reason: string): Promise<number> {
    let changed = await this.store.setActive(target, false, reason);
    if (target.threadId !== undefined) changed += await this.store.setActive(chatTarget(target.chatId), false, reason);
    if (changed > 0) this.logger.warn({ target, reason, paused: changed }, 'telegram: paused subscriptions');
    return changed;
  }

  /** Resumes paused subscriptions, e.g. after /start. */
  async resume(target: Target): Promise<number> {
    const changed = await this.store.setActive(target, true);
    if (changed > 0) this.logger.info({ target, resumed: changed }, 'telegram: resumed subscriptions');
    return changed;
  }

  /** Moves a group's subscriptions to the supergroup it became. Idempotent. */
  async migrate(fromChatId: string | number, toChatId: string | number): Promise<number> {
    const moved = await this.store.migrateTarget(chatTarget(fromChatId), chatTarget(toChatId));
    if (moved > 0) this.logger.info({ from: String(fromChatId), to: String(toChatId), moved }, 'telegram: chat migrated');
    return moved;
  }
}
