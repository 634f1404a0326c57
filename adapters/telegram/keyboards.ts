import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { cutAtWord, NEWS_MAX_PAGE, type Digest, type TopicSuggestion } from '../../src/index.js';
import { encodeAction, type ButtonAction } from './callback-data.js';

const PER_ROW = 2;
const MAX_BUTTONS = 12;

function rows(buttons: InlineKeyboardButton[]): InlineKeyboardMarkup {
  const keyboard: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += PER_ROW) keyboard.push(buttons.slice(i, i + PER_ROW));
  return { inline_keyboard: keyboard };
}

/** One button per topic, each doing `action` for that topic; undefined when there is nothing to offer. */
export function topicKeyboard(
  topics: readonly TopicSuggestion[],
  action: (topicKey: string) => ButtonAction,
  options: { counts?: boolean; extra?: InlineKeyboardButton[] } = {},
): InlineKeyboardMarkup | undefined {
  const buttons = topics.slice(0, MAX_BUTTONS).map((t) => ({
    text: options.counts && t.count > 0 ? `${cutAtWord(t.name, 40)} (${t.count})` : cutAtWord(t.name, 40),
    callback_data: encodeAction(action(t.key)),
  }));
  const all = [...buttons, ...(options.extra ?? [])];
  return all.length > 0 ? rows(all) : undefined;
}

/** Labels of the buttons under a digest. */
export const MORE_LABEL = 'More';
export const UNSUBSCRIBE_LABEL = 'Unsubscribe';

/**
 * The buttons under a digest: More when a further page may exist (this page came back full and is not the
 * last one), Unsubscribe under a scheduled digest. `unseen` makes More leave out what the chat was ever
 * sent, as the scheduled digest it sits under did; `nextPage` (default: the digest's page + 1) is the page
 * More asks for. Undefined when there is no button to show.
 */
export function digestKeyboard(
  digest: Digest,
  options: { count: number; unseen?: boolean; unsubscribe?: boolean; nextPage?: number },
): InlineKeyboardMarkup | undefined {
  const page = options.nextPage ?? (digest.page ?? 0) + 1;
  const row: InlineKeyboardButton[] = [];
  if (digest.items.length > 0 && digest.items.length >= options.count && page <= NEWS_MAX_PAGE) {
    const more: ButtonAction = { kind: 'more', topicKey: digest.topicKey, count: options.count, page, unseen: options.unseen };
    row.push({ text: MORE_LABEL, callback_data: encodeAction(more) });
  }
  if (options.unsubscribe) row.push({ text: UNSUBSCRIBE_LABEL, callback_data: encodeAction({ kind: 'drop', topicKey: digest.topicKey }) });
  return row.length > 0 ? { inline_keyboard: [row] } : undefined;
}

/** The keyboard without the button carrying `data` (a pressed More), or undefined when nothing is left. */
export function withoutButton(keyboard: InlineKeyboardMarkup | undefined, data: string): InlineKeyboardMarkup | undefined {
  const rows = (keyboard?.inline_keyboard ?? [])
    .map((r) => r.filter((b) => !('callback_data' in b) || b.callback_data !== data))
    .filter((r) => r.length > 0);
  return rows.length > 0 ? { inline_keyboard: rows } : undefined;
}
