/**
 * Shortens text to at most `max` UTF-16 units, ending with '…' when anything was cut: at the end of a word
 * when one is near (a cut that would lose more than half the room cuts inside the word instead), without
 * trailing punctuation before the ellipsis, and never between the halves of a surrogate pair (an emoji).
 * Text that fits comes back unchanged. The one truncator: the digest's excerpts and every adapter's labels.
 */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? '…' : '';
  let end = max - 1;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  // The kept part already ends a word when the first character cut off is white space.
  if (!isSpace(text.charCodeAt(end))) {
    const space = lastSpaceBefore(text, end, Math.floor(max / 2));
    if (space > 0) end = space;
  }
  const kept = trimTrailingPunctuation(text.slice(0, end));
  return `${kept === '' ? text.slice(0, end) : kept}…`;
}

/** Drops trailing white space and , ; : . - – — (a loop: a regex anchored at the end backtracks). */
export function trimTrailingPunctuation(text: string): string {
  let end = text.length;
  while (end > 0 && ' \t\n\r,;:.-–—'.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/** The index of the last white space before `end` and after `floor`, or -1. */
function lastSpaceBefore(text: string, end: number, floor: number): number {
  for (let i = end - 1; i > floor; i--) if (isSpace(text.charCodeAt(i))) return i;
  return -1;
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x3000 || (code >= 0x2000 && code <= 0x200a);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
