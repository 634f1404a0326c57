import { safeHttpUrl } from '../../src/index.js';

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
