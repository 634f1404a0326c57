import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { cutAtWord, type TopicSuggestion } from '../../src/index.js';
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
