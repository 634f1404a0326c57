import type { Api } from 'grammy';
import type { InlineKeyboardMarkup, LinkPreviewOptions } from 'grammy/types';
import { safeHttpUrl, type Digest, type Target } from '../../src/index.js';

/** No previews: a digest of several stories would show a card for whichever link came first. */
export const NO_PREVIEW: LinkPreviewOptions = { is_disabled: true };

/**
 * Link previews are on only for a digest of one story that fits one message: then the card shows that
 * story. Everywhere else they are off.
 */
export function previewFor(digest: Digest, messages: number): LinkPreviewOptions {
  const only = digest.items.length === 1 && messages === 1 ? digest.items[0] : undefined;
  const url = only ? safeHttpUrl(only.url) : undefined;
  return url ? { url, prefer_small_media: true } : NO_PREVIEW;
}

/** Extra options every HTML message gets. */
export interface SendOptions {
  preview?: LinkPreviewOptions;
  /** Put on the last message only, so buttons sit under the text they refer to. */
  keyboard?: InlineKeyboardMarkup;
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
      link_preview_options: options.preview ?? NO_PREVIEW,
      ...(target.threadId !== undefined ? { message_thread_id: Number(target.threadId) } : {}),
      ...(last && options.keyboard ? { reply_markup: options.keyboard } : {}),
    });
    sent++;
  }
  return sent;
}
