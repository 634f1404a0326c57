import { safeHttpUrl } from '../../src/model.js';

/**
 * Telegram's limit on a message's text. Telegram counts UTF-16 code units after entity parsing; we keep
 * the raw HTML itself within the limit, which is stricter and needs no parser to check.
 */
export const MESSAGE_LIMIT = 4096;

/** Escapes text for Telegram's HTML parse mode, inside elements and inside quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** A link if the URL is http(s), else just the escaped label: no other scheme ever becomes a link. */
export function link(url: string, label: string): string {
  const safe = safeHttpUrl(url);
  return safe === undefined ? escapeHtml(label) : `<a href="${escapeHtml(safe)}">${escapeHtml(label)}</a>`;
}

/**
 * Shortens plain text to at most `max` UTF-16 units, preferring a word boundary and ending in "…".
 * Cuts before escaping, so an entity or tag can never be split; never splits a surrogate pair.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - 1;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  const head = text.slice(0, end);
  const space = head.search(/\s\S*$/);
  // Back up to a word boundary unless that would lose a long word's worth of text.
  const cut = space > 0 && end - space <= 30 ? head.slice(0, space) : head;
  return `${cut.trimEnd()}…`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Joins blocks into as few messages as fit the limit, splitting only between blocks. A block longer
 * than the limit is the caller's bug and is rejected loudly rather than cut inside a tag.
 */
export function pack(blocks: readonly string[], limit = MESSAGE_LIMIT, separator = '\n\n'): string[] {
  const messages: string[] = [];
  let current = '';
  for (const block of blocks) {
    if (block.length > limit) throw new Error(`pack: a block of ${block.length} characters exceeds the ${limit} limit`);
    if (current === '') current = block;
    else if (current.length + separator.length + block.length <= limit) current += separator + block;
    else {
      messages.push(current);
      current = block;
    }
  }
  if (current !== '') messages.push(current);
  return messages;
}
