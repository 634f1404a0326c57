import { DateTime, IANAZone } from 'luxon';
import type { CommandError } from './types.js';

export type Parsed<T> = { ok: true; value: T } | CommandError;

/** Parses a local time of day: "8:00", "08:00", "8", "20:30" → "HH:MM". */
export function parseTime(input: string): Parsed<string> {
  const match = /^(\d{1,2})(?:[:.h](\d{2}))?$/.exec(input.trim());
  const hours = match ? Number(match[1]) : NaN;
  const minutes = match?.[2] === undefined ? 0 : Number(match[2]);
  if (!match || hours > 23 || minutes > 59) {
    return {
      ok: false,
      code: 'bad-time',
      message: `"${input.trim().slice(0, 40)}" is not a time of day. Use 24-hour HH:MM.`,
      example: '/subscribe AI 08:30',
    };
  }
  return { ok: true, value: `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}` };
}

/** Accepts IANA zone names in any case ("europe/kyiv"), plus UTC; returns the canonical name. */
export function parseTimezone(input: string): Parsed<string> {
  const name = input.trim();
  const zone = name.length > 0 && name.length <= 64 ? IANAZone.create(name) : undefined;
  if (!zone || !zone.isValid) {
    return {
      ok: false,
      code: 'bad-timezone',
      message: `"${name.slice(0, 64)}" is not a time zone. Use an IANA name such as Europe/Kyiv, America/New_York or UTC.`,
      example: '/timezone Europe/Kyiv',
    };
  }
  const canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone.name }).resolvedOptions().timeZone;
  return { ok: true, value: canonical === 'Etc/UTC' || canonical === 'Etc/GMT' ? 'UTC' : canonical };
}

/**
 * The first instant strictly after `after` at which the wall clock in `timezone` reads `time`.
 * On a day where that local time does not exist (spring forward) it is the first valid instant after
 * the gap; where it exists twice (fall back) it is the first of the two, so each day has one slot.
 */
export function nextDueAfter(time: string, timezone: string, after: Date): Date {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  let day = DateTime.fromJSDate(after, { zone: timezone }).startOf('day');
  for (let i = 0; i < 3; i++) {
    const candidate = day.set({ hour, minute, second: 0, millisecond: 0 });
    if (candidate.toMillis() > after.getTime()) return candidate.toJSDate();
    day = day.plus({ days: 1 }).startOf('day');
  }
  throw new Error(`nextDueAfter: no slot for ${time} ${timezone} after ${after.toISOString()}`);
}

/** "Fri 27 Nov, 08:00 (Europe/Kyiv)": a delivery time as the subscriber reads it. */
export function describeLocal(instant: Date, timezone: string): string {
  const local = DateTime.fromJSDate(instant, { zone: timezone });
  return `${local.toFormat('ccc d LLL, HH:mm')} (${timezone})`;
}
