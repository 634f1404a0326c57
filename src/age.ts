import type { Digest } from './types.js';

/** A time span in the largest unit that reads naturally: { count: 3, unit: 'week' }. Adapters word it. */
export interface Age {
  count: number;
  unit: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
}

/** The /news window a digest looked in, in days (7 when the digest does not say). */
export function windowDays(digest: Pick<Digest, 'window'>): number {
  return digest.window?.days ?? 7;
}

/** How long before `now` an article was published; undefined when either date is unreadable. */
export function ageOf(publishedAt: string, now: string): Age | undefined {
  const hours = Math.max(0, Date.parse(now) - Date.parse(publishedAt)) / 3_600_000;
  const days = hours / 24;
  const [count, unit]: [number, Age['unit']] =
    hours < 1 ? [Math.floor(hours * 60), 'minute']
    : hours < 48 ? [Math.floor(hours), 'hour']
    : days < 14 ? [Math.floor(days), 'day']
    : days < 60 ? [Math.floor(days / 7), 'week']
    : days < 365 ? [Math.floor(days / 30), 'month']
    : [Math.floor(days / 365.25), 'year'];
  return Number.isFinite(count) ? { count, unit } : undefined;
}
