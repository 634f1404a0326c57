import { DateTime, type Zone } from 'luxon';
import { commandError, type CommandError } from './command-errors.js';
import { ALL_WEEKDAYS, type Schedule, type Weekday } from './model.js';
import { zoneFor } from './zones.js';

export { knownTimezones, parseTimezone } from './zones.js';

export type Parsed<T, E extends CommandError = CommandError> = { ok: true; value: T } | E;

// "8", "08:00", "8.30", "8h30", "9am", "6:30 pm", "7 p.m.": anchored, each part of bounded length: linear.
const TIME = /^(\d{1,2})(?:[:.h](\d{2}))?\s?(?:(a|p)\.?m\.?)?$/i;

/**
 * Parses a local time of day: 24-hour ("8", "08:00", "20:30", "8.30", "8h30") or 12-hour ("9am", "6:30pm",
 * "12am" is midnight) → "HH:MM".
 */
export function parseTime(input: string): Parsed<string, Extract<CommandError, { code: 'bad-time' }>> {
  const given = input.trim();
  const match = given.length <= 12 ? TIME.exec(given) : null;
  let hours = match ? Number(match[1]) : NaN;
  const minutes = match?.[2] === undefined ? 0 : Number(match[2]);
  const half = match?.[3]?.toLowerCase();
  if (half !== undefined) {
    if (hours < 1 || hours > 12) hours = NaN;
    else hours = (hours % 12) + (half === 'p' ? 12 : 0);
  }
  if (!match || !(hours <= 23) || minutes > 59) {
    return commandError('bad-time', { given: given.slice(0, 40) });
  }
  return { ok: true, value: `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}` };
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The first instant strictly after `after` at which the wall clock in `timezone` reaches `time` (HH:MM),
 * so each local day has exactly one slot. Where that local time does not exist (spring forward) the slot
 * is the first instant after the gap (03:30 in a 03:00→04:00 gap is delivered at 04:00); where it exists
 * twice (fall back) the slot is the first of the two.
 */
export function nextDueAfter(time: string, timezone: string, after: Date): Date {
  return scheduledAfter({ days: ALL_WEEKDAYS, times: [time] }, timezone, after, 'nextDueAfter');
}

/**
 * The first slot of a schedule strictly after `after`: a listed time on a listed local day, each as
 * nextDueAfter places it (a time inside a spring-forward gap at the gap's end, that same day; a time that
 * exists twice at the first). Two times that land on one instant (both inside one gap) are one slot.
 */
export function nextScheduledAfter(schedule: { readonly days: readonly Weekday[]; readonly times: readonly string[] }, timezone: string, after: Date): Date {
  return scheduledAfter(schedule, timezone, after, 'nextScheduledAfter');
}

function scheduledAfter(
  schedule: { readonly days: readonly Weekday[]; readonly times: readonly string[] },
  timezone: string,
  after: Date,
  caller: string,
): Date {
  const times = schedule.times.map((time) => {
    const match = /^(\d{2}):(\d{2})$/.exec(time);
    const hour = Number(match?.[1]);
    const minute = Number(match?.[2]);
    if (!match || hour > 23 || minute > 59) throw new Error(`${caller}: "${time}" is not HH:MM`);
    return { hour, minute };
  });
  if (times.length === 0) throw new Error(`${caller}: a schedule needs at least one time`);
  const days = new Set<number>(schedule.days);
  if (![...days].some((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
    throw new Error(`${caller}: no weekday in [${schedule.days.join(', ')}]`);
  }
  const zone = zoneFor(timezone, caller);
  if (Number.isNaN(after.getTime())) throw new Error(`${caller}: \`after\` is an invalid Date`);
  // Walk calendar dates, not instants: a day can be 23, 25 or (Samoa, 2011) 0 hours long. Fifteen dates
  // cover a weekly schedule whose day was skipped by such a jump, and the day the walk starts on.
  const local = new Date(after.getTime() + zone.offset(after.getTime()) * MINUTE_MS);
  for (let i = 0; i < 15; i++) {
    const date = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + i));
    if (!days.has(weekdayOf(date))) continue;
    let best: number | undefined;
    for (const { hour, minute } of times) {
      const slot = slotOn(date, hour, minute, zone);
      if (slot !== undefined && slot > after.getTime() && (best === undefined || slot < best)) best = slot;
    }
    if (best !== undefined) return new Date(best);
  }
  throw new Error(`${caller}: no slot for ${schedule.times.join(',')} ${timezone} after ${after.toISOString()}`);
}

/** The next slot of a subscription (its schedule in its zone) strictly after `after`. */
export function nextDueFor(subscription: { schedule: Pick<Schedule, 'days' | 'times'>; timezone: string }, after: Date): Date {
  return nextScheduledAfter(subscription.schedule, subscription.timezone, after);
}

/** The ISO weekday of a local date held as UTC midnight. */
function weekdayOf(date: Date): Weekday {
  return (((date.getUTCDay() + 6) % 7) + 1) as Weekday;
}

/** Epoch ms of the first instant on the local day `date` (UTC midnight) whose wall clock reads hour:minute or later. */
function slotOn(date: Date, hour: number, minute: number, zone: Zone): number | undefined {
  const wall = date.getTime() + (hour * 60 + minute) * MINUTE_MS;
  // Offsets a day either side cover both sides of any transition near this wall time.
  const before = zone.offset(wall - DAY_MS);
  const after = zone.offset(wall + DAY_MS);
  const exact = (before === after ? [before] : [before, after])
    .map((offset) => wall - offset * MINUTE_MS)
    .filter((instant) => instant + zone.offset(instant) * MINUTE_MS === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the transition instant lies in (wall - after, wall - before]; find it to the minute.
  let lo = wall - after * MINUTE_MS;
  let hi = wall - before * MINUTE_MS;
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  // A gap that swallows the whole day (Pacific/Apia skipped 2011-12-30): that day has no slot.
  const landed = new Date(hi + zone.offset(hi) * MINUTE_MS);
  return Math.floor(landed.getTime() / DAY_MS) * DAY_MS === date.getTime() ? hi : undefined;
}

/** "Fri 27 Nov, 08:00 (Europe/Kyiv)": a delivery time as the subscriber reads it. */
export function describeLocal(instant: Date, timezone: string): string {
  const local = DateTime.fromJSDate(instant, { zone: timezone });
  return `${local.toFormat('ccc d LLL, HH:mm')} (${timezone})`;
}
