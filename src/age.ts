import type { Digest } from './types.js';

/** "7 days", "1 day": the /news window a stale digest looked in. */
export function windowText(digest: Pick<Digest, 'window'>): string {
  const days = digest.window?.days ?? 7;
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/** How long before `now` an article was published, in the largest unit that reads naturally ("3 weeks ago"). */
export function ageText(publishedAt: string, now: string): string {
  const hours = Math.max(0, Date.parse(now) - Date.parse(publishedAt)) / 3_600_000;
  const days = hours / 24;
  const [n, unit] =
    hours < 1 ? [Math.floor(hours * 60), 'minute']
    : hours < 48 ? [Math.floor(hours), 'hour']
    : days < 14 ? [Math.floor(days), 'day']
    : days < 60 ? [Math.floor(days / 7), 'week']
    : days < 365 ? [Math.floor(days / 30), 'month']
    : [Math.floor(days / 365.25), 'year'];
  if (!Number.isFinite(n)) return 'age unknown';
  return n === 0 && unit === 'minute' ? 'just now' : `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}
