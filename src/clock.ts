import { DateTime, IANAZone } from 'luxon';
import { commandError, type CommandError } from './command-errors.js';

export type Parsed<T, E extends CommandError = CommandError> = { ok: true; value: T } | E;

/** Parses a local time of day: "8:00", "08:00", "8", "20:30" → "HH:MM". */
export function parseTime(input: string): Parsed<string, Extract<CommandError, { code: 'bad-time' }>> {
  const match = /^(\d{1,2})(?:[:.h](\d{2}))?$/.exec(input.trim());
  const hours = match ? Number(match[1]) : NaN;
  const minutes = match?.[2] === undefined ? 0 : Number(match[2]);
  if (!match || hours > 23 || minutes > 59) {
    return commandError('bad-time', { given: input.trim() });
  }
  return { ok: true, value: `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}` };
}

/** Zone names this runtime lists, by lower-case name, so "europe/kyiv" finds its proper spelling. */
let zoneNames: Map<string, string> | undefined;

/** Every IANA zone name known here (plus UTC), for autocomplete. */
export function knownTimezones(): string[] {
  zoneNames ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Europe/Kyiv'].map((name) => [name.toLowerCase(), name]),
  );
  return [...new Set(zoneNames.values())];
}

/** Accepts IANA zone names in any case ("europe/kyiv"), plus UTC; returns the name as the user knows it. */
export function parseTimezone(input: string): Parsed<string, Extract<CommandError, { code: 'bad-timezone' }>> {
  const name = input.trim();
  const zone = (name.length <= 64 && name.includes('/')) || /^utc$/i.test(name) ? IANAZone.create(name) : undefined;
  if (!zone || !zone.isValid) {
    return commandError('bad-timezone', { given: name, suggestions: zonesNamed(name) });
  }
  knownTimezones();
  return { ok: true, value: zoneNames!.get(name.toLowerCase()) ?? (/^utc$/i.test(name) ? 'UTC' : name) };
}

/**
 * Zones whose city is what was typed ("kyiv", "new york", "Berlin"), for a bad-timezone error: at most 3,
 * exact city names first. Input past a zone name's length cannot match and is not read.
 */
function zonesNamed(input: string): string[] {
  const city = input.slice(0, 64).trim().toLowerCase().replace(/[\s_]+/g, '_');
  if (city.length < 3) return [];
  const key = city.slice(city.lastIndexOf('/') + 1);
  if (key.length < 3) return [];
  const exact: string[] = [];
  const prefix: string[] = [];
  for (const zone of knownTimezones()) {
    const own = zone.slice(zone.lastIndexOf('/') + 1).toLowerCase();
    if (own === key) exact.push(zone);
    else if (own.startsWith(key)) prefix.push(zone);
  }
  return [...exact, ...prefix].slice(0, 3);
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
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59) throw new Error(`nextDueAfter: "${time}" is not HH:MM`);
  const zone = IANAZone.create(timezone);
  if (!zone.isValid) throw new Error(`nextDueAfter: "${timezone}" is not an IANA time zone`);
  if (Number.isNaN(after.getTime())) throw new Error('nextDueAfter: `after` is an invalid Date');
  // Walk calendar dates, not instants: a day can be 23, 25 or (Samoa, 2011) 0 hours long.
  const local = new Date(after.getTime() + zone.offset(after.getTime()) * MINUTE_MS);
  for (let i = 0; i < 4; i++) {
    const date = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + i));
    const slot = slotOn(date, hour, minute, zone);
    if (slot !== undefined && slot > after.getTime()) return new Date(slot);
  }
  throw new Error(`nextDueAfter: no slot for ${time} ${timezone} after ${after.toISOString()}`);
}

/** Epoch ms of the first instant on the local day `date` (UTC midnight) whose wall clock reads hour:minute or later. */
function slotOn(date: Date, hour: number, minute: number, zone: IANAZone): number | undefined {
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
