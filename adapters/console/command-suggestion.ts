/** Words longer than this are not compared: no command name comes near, and the work stays bounded. */
const MAX_WORD = 24;

/**
 * The command name closest to a mistyped word ("nesw" → "news"), or undefined when none is close: at most one
 * edit for words of up to four letters, two for longer ones (an adjacent swap counts as one), and never more
 * than `maxEdits`. The work is the number of names times the word's length, both bounded.
 */
export function closestCommand(word: string, names: readonly string[], maxEdits = 2): string | undefined {
  const typed = word.toLowerCase();
  if (typed.length === 0 || typed.length > MAX_WORD) return undefined;
  const budget = Math.min(maxEdits, typed.length <= 4 ? 1 : 2);
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const name of names) {
    const distance = boundedDistance(typed, name, budget);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Edit distance with adjacent transpositions, or `max + 1` once it must exceed `max`: a full table is fine,
 * since both words are short (the caller bounds the typed one, command names are short).
 */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return Math.min(rows[a.length]![b.length]!, max + 1);
}
