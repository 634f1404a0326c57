import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIStringSelectComponent,
} from 'discord.js';
import { cutAtWord, NEWS_MAX_PAGE, type Digest, type TopicSuggestion } from '../../src/index.js';
import { encodeCustomId, topicRefText } from './custom-ids.js';

/** A row of buttons or a select menu, as Discord's REST API takes it. */
export type ComponentRow = APIActionRowComponent<APIButtonComponent> | APIActionRowComponent<APIStringSelectComponent>;

/** Most options one select menu may offer. */
export const MAX_MENU_OPTIONS = 25;
/** Longest label or value of a select option. */
const MAX_OPTION_TEXT = 100;

/** What goes under a digest. */
export interface DigestButtonOptions {
  /** Stories a page: the More button asks for the next page at this count. */
  count: number;
  /** Offers More only while the ranking may have more: default, when this page came back full. */
  more?: boolean;
  /** Adds Unsubscribe (scheduled digests only). */
  unsubscribe?: boolean;
}

/**
 * The buttons under a digest: More (the next page, while there is one, up to NEWS_MAX_PAGE) and, under a
 * scheduled digest, Unsubscribe. Empty when neither applies.
 */
export function digestButtons(digest: Digest, options: DigestButtonOptions): ComponentRow[] {
  const buttons: APIButtonComponent[] = [];
  const next = (digest.page ?? 0) + 1;
  const full = digest.items.length > 0 && digest.items.length >= options.count;
  if ((options.more ?? full) && digest.items.length > 0 && next <= NEWS_MAX_PAGE) {
    buttons.push({
      type: ComponentType.Button,
      style: ButtonStyle.Secondary,
      label: 'More stories',
      custom_id: encodeCustomId({ kind: 'more', topicKey: digest.topicKey, count: options.count, page: next }),
    });
  }
  if (options.unsubscribe) {
    buttons.push({
      type: ComponentType.Button,
      style: ButtonStyle.Danger,
      label: 'Unsubscribe',
      custom_id: encodeCustomId({ kind: 'unsubscribe', topicKey: digest.topicKey }),
    });
  }
  return buttons.length > 0 ? [{ type: ComponentType.ActionRow, components: buttons }] : [];
}

/** The /subscribe topic menu: the top topics (≤ 25), each labelled with its article count. */
export function topicMenu(topics: readonly TopicSuggestion[]): ComponentRow[] {
  const seen = new Set<string>();
  const options = [];
  for (const t of topics) {
    const value = topicRefText(t.key);
    if (seen.has(value)) continue;
    seen.add(value);
    options.push({ label: cutAtWord(`${t.name} (${t.count})`, MAX_OPTION_TEXT) || t.key.slice(0, MAX_OPTION_TEXT), value });
    if (options.length >= MAX_MENU_OPTIONS) break;
  }
  if (options.length === 0) return [];
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.StringSelect, custom_id: encodeCustomId({ kind: 'pick' }), placeholder: 'Pick a topic', min_values: 1, max_values: 1, options },
      ],
    },
  ];
}
