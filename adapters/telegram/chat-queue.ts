import type { Context, MiddlewareFn } from 'grammy';
import { sequentialize } from '@grammyjs/runner';
import { type Logger } from '../../src/index.js';
import { targetOf } from './chats.js';
import { sendHtml } from './send.js';

/** What a chat is told, once per burst, when it sends more than the bot will queue for it. */
export const TOO_MANY = 'I am still answering your earlier messages, so I skipped some. Send them again in a moment.';
/** A button pressed while its chat's queue is full (callback answers are plain text, ≤ 200 characters). */
const TOO_MANY_ALERT = 'Busy with your earlier requests. Press again in a moment.';

/** Updates are queued per chat; one without a chat (an inline-message button) per user. */
function queueKey(ctx: Context): string | undefined {
  if (ctx.chat) return `c${ctx.chat.id}`;
  if (ctx.from) return `u${ctx.from.id}`;
  return undefined;
}

/** Only what people send is capped: a chat's status changes (blocked, migrated) always get through. */
function isRequest(ctx: Context): boolean {
  const message = ctx.message ?? ctx.channelPost;
  if (message) return message.migrate_to_chat_id === undefined && message.migrate_from_chat_id === undefined;
  return ctx.callbackQuery !== undefined || ctx.editedMessage !== undefined || ctx.editedChannelPost !== undefined;
}

/**
 * Per-chat ordering and a per-chat cap, installed before every handler. Updates from one chat are handled
 * one after another (so its replies keep their order) while other chats go on in parallel; a chat with
 * `maxQueued` updates already waiting or running gets the next ones dropped, with one short answer and
 * one log line per burst, so a flood costs that chat its extra messages and nobody else anything.
 */
export function chatQueue(options: { maxQueued: number; logger: Logger }): MiddlewareFn<Context> {
  const { maxQueued, logger } = options;
  const queued = new Map<string, number>();
  const overflowing = new Map<string, number>();
  const inOrder = sequentialize<Context>((ctx) => queueKey(ctx) ?? []);

  return async (ctx, next) => {
    const key = queueKey(ctx);
    if (key === undefined) return next();
    const waiting = queued.get(key) ?? 0;
    if (waiting >= maxQueued && isRequest(ctx)) return refuse(ctx, key);
    queued.set(key, waiting + 1);
    try {
      await inOrder(ctx, next);
    } finally {
      const left = (queued.get(key) ?? 1) - 1;
      if (left > 0) queued.set(key, left);
      else {
        queued.delete(key);
        const dropped = overflowing.get(key);
        overflowing.delete(key);
        if (dropped) logger.info({ chat: key.slice(1), dropped }, 'telegram: chat caught up after a flood');
      }
    }
  };

  async function refuse(ctx: Context, key: string): Promise<void> {
    const dropped = (overflowing.get(key) ?? 0) + 1;
    overflowing.set(key, dropped);
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: TOO_MANY_ALERT }).catch(() => {});
      return;
    }
    if (dropped > 1) return;
    logger.warn({ chat: key.slice(1), queued: maxQueued, updateId: ctx.update.update_id }, 'telegram: chat is flooding; dropping its updates until it catches up');
    const target = targetOf(ctx);
    // Not awaited: the answer waits for the chat's sending slot, and this update should not hold a place meanwhile.
    if (target) void sendHtml(ctx.api, target, [TOO_MANY]).catch(() => {});
  }
}
