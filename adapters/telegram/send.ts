import type { Api } from 'grammy';
import type { InlineKeyboardMarkup, LinkPreviewOptions } from 'grammy/types';
import { safeHttpUrl, type Digest, type Target } from '../../src/index.js';

/** No previews: left to itself, Telegram would show a card for whichever link came first. */
export const NO_PREVIEW: LinkPreviewOptions = { is_disabled: true };

/**
 * A digest's card is its top story's, named explicitly (small media, so the card does not dwarf the list);
 * without an item or with a link that is not http(s), no card. Only the digest's first message, which holds
 * the top story, carries it: later parts of a long digest go without.
 */
export function previewFor(digest: Digest): LinkPreviewOptions {
  const top = digest.items[0];
  const url = top ? safeHttpUrl(top.url) : undefined;
  return url ? { url, prefer_small_media: true } : NO_PREVIEW;
}

/** Extra options every HTML message gets. */
export interface SendOptions {
  /** For the first message only; the others never show a card. */
  preview?: LinkPreviewOptions;
  /** Put on the last message only, so buttons sit under the text they refer to. */
  keyboard?: InlineKeyboardMarkup;
  /** The first message replies to this one (in the same chat); sent anyway if it was deleted meanwhile. */
  replyTo?: number;
}

function chatIdOf(target: Target): number | string {
  return /^-?\d+$/.test(target.chatId) ? Number(target.chatId) : target.chatId;
}

/** Sends HTML messages to a target in order (in its forum topic, if any); stops at the first failure. */
export async function sendHtml(api: Api, target: Target, messages: readonly string[], options: SendOptions = {}): Promise<number> {
  let sent = 0;
  for (const [i, text] of messages.entries()) {
    const last = i === messages.length - 1;
    await api.sendMessage(chatIdOf(target), text, {
      parse_mode: 'HTML',
      link_preview_options: (i === 0 ? options.preview : undefined) ?? NO_PREVIEW,
      ...(i === 0 && options.replyTo !== undefined ? { reply_parameters: { message_id: options.replyTo, allow_sending_without_reply: true } } : {}),
      ...(target.threadId !== undefined ? { message_thread_id: Number(target.threadId) } : {}),
      ...(last && options.keyboard ? { reply_markup: options.keyboard } : {}),
    });
    sent++;
  }
  return sent;
}
