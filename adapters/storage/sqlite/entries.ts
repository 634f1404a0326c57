/**
 * Where an article's topic entries are: the (topic id, publication hours) of each, which with the article's
 * row number make the entry's primary key. Kept on the article row (`articles.entries`) so that replacing or
 * removing an article deletes its entries by key, without an index of entries by article. Stored as
 * little-endian float64 pairs: exact for any number the core hands over.
 */
export function encodeEntryKeys(keys: readonly (readonly [topic: number, publishedHours: number])[]): Buffer | null {
  if (keys.length === 0) return null;
  const out = Buffer.allocUnsafe(keys.length * 16);
  keys.forEach(([topic, hours], i) => {
    out.writeDoubleLE(topic, i * 16);
    out.writeDoubleLE(hours, i * 16 + 8);
  });
  return out;
}

export function decodeEntryKeys(stored: Uint8Array | null): [topic: number, publishedHours: number][] {
  if (!stored) return [];
  const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const keys: [number, number][] = [];
  for (let at = 0; at + 16 <= buf.length; at += 16) keys.push([buf.readDoubleLE(at), buf.readDoubleLE(at + 8)]);
  return keys;
}
