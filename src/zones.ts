import { FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import { commandError, type CommandError } from './command-errors.js';

/** Longest zone input read: "America/Argentina/ComodRivadavia" is 32 characters. */
const MAX_ZONE_INPUT = 64;

/** Zone names this runtime lists, by lower-case name, so "europe/kyiv" finds its proper spelling. */
let zoneNames: Map<string, string> | undefined;

/** Every IANA zone name known here (plus UTC), for autocomplete. */
export function knownTimezones(): string[] {
  zoneNames ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Europe/Kyiv'].map((name) => [name.toLowerCase(), name]),
  );
  return [...new Set(zoneNames.values())];
}

/**
 * Abbreviations people type for a zone. None is accepted: most name two offsets (EST is not New York in
 * July) or several places (IST), so each is answered with the zone to use and its standard offset.
 */
const ABBREVIATIONS: Readonly<Record<string, readonly [zone: string, offset: string]>> = {
  est: ['America/New_York', 'UTC-5'],
  edt: ['America/New_York', 'UTC-4'],
  et: ['America/New_York', 'UTC-5'],
  cst: ['America/Chicago', 'UTC-6'],
  cdt: ['America/Chicago', 'UTC-5'],
  ct: ['America/Chicago', 'UTC-6'],
  mst: ['America/Denver', 'UTC-7'],
  mdt: ['America/Denver', 'UTC-6'],
  pst: ['America/Los_Angeles', 'UTC-8'],
  pdt: ['America/Los_Angeles', 'UTC-7'],
  pt: ['America/Los_Angeles', 'UTC-8'],
  akst: ['America/Anchorage', 'UTC-9'],
  hst: ['Pacific/Honolulu', 'UTC-10'],
  bst: ['Europe/London', 'UTC+1'],
  wet: ['Europe/Lisbon', 'UTC+0'],
  cet: ['Europe/Paris', 'UTC+1'],
  cest: ['Europe/Paris', 'UTC+2'],
  eet: ['Europe/Kyiv', 'UTC+2'],
  eest: ['Europe/Kyiv', 'UTC+3'],
  msk: ['Europe/Moscow', 'UTC+3'],
  ist: ['Asia/Kolkata', 'UTC+5:30'],
  pkt: ['Asia/Karachi', 'UTC+5'],
  wib: ['Asia/Jakarta', 'UTC+7'],
  sgt: ['Asia/Singapore', 'UTC+8'],
  hkt: ['Asia/Hong_Kong', 'UTC+8'],
  jst: ['Asia/Tokyo', 'UTC+9'],
  kst: ['Asia/Seoul', 'UTC+9'],
  aest: ['Australia/Sydney', 'UTC+10'],
  aedt: ['Australia/Sydney', 'UTC+11'],
  nzst: ['Pacific/Auckland', 'UTC+12'],
  nzdt: ['Pacific/Auckland', 'UTC+13'],
};

/** Whether a word is a zone abbreviation this module knows ("EST", "cet"), to be answered, not accepted. */
export function isZoneAbbreviation(word: string): boolean {
  return Object.hasOwn(ABBREVIATIONS, word.toLowerCase());
}

// "+03:00", "-5", "UTC+3", "GMT-05:30", "utc+0530". One optional prefix and fixed-length digits: linear.
const OFFSET = /^(?:utc|gmt)?\s?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/** Offsets in the world's zones run from UTC-12 to UTC+14. */
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * A fixed offset as stored: "UTC+03:00", "UTC-05:30"; zero is "UTC". Undefined when `input` is not an
 * offset or is beyond ±14 hours.
 */
function offsetZone(input: string): string | undefined {
  const match = OFFSET.exec(input);
  if (!match) return undefined;
  const hours = Number(match[2]);
  const minutes = match[3] === undefined ? 0 : Number(match[3]);
  const total = hours * 60 + minutes;
  if (minutes > 59 || total > MAX_OFFSET_MINUTES) return undefined;
  if (total === 0) return 'UTC';
  return `UTC${match[1]}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/**
 * Accepts IANA zone names in any case ("europe/kyiv"), UTC (also GMT and Z), and fixed offsets ("+03:00",
 * "UTC+3", "GMT-5"); returns the zone as stored: the IANA name as spelt by the runtime, "UTC", or an offset
 * "UTC+03:00". An abbreviation (EST) is refused with the zone and offset it usually means.
 */
export function parseTimezone(input: string): { ok: true; value: string } | Extract<CommandError, { code: 'bad-timezone' }> {
  const name = input.trim();
  if (name.length > MAX_ZONE_INPUT) return commandError('bad-timezone', { given: name.slice(0, MAX_ZONE_INPUT), suggestions: [] });
  if (/^(utc|gmt|z|etc\/utc|etc\/gmt)$/i.test(name)) return { ok: true, value: 'UTC' };
  const offset = offsetZone(name);
  if (offset !== undefined) return { ok: true, value: offset };
  if (isZoneAbbreviation(name)) {
    return commandError('bad-timezone', { given: name, suggestions: [...ABBREVIATIONS[name.toLowerCase()]!], abbreviation: true });
  }
  const zone = name.includes('/') ? IANAZone.create(name) : undefined;
  if (!zone || !zone.isValid) return commandError('bad-timezone', { given: name, suggestions: zonesNamed(name) });
  knownTimezones();
  return { ok: true, value: zoneNames!.get(name.toLowerCase()) ?? name };
}

/** The luxon zone for a stored zone (an IANA name, "UTC" or "UTC+03:00"); throws for anything else. */
export function zoneFor(timezone: string, caller: string): Zone {
  const zone = /^UTC[+-]/.test(timezone) ? FixedOffsetZone.parseSpecifier(timezone) : IANAZone.create(timezone);
  if (!zone || !zone.isValid) throw new Error(`${caller}: "${timezone}" is not an IANA time zone or a UTC offset`);
  return zone;
}

/**
 * Zones whose city is what was typed ("kyiv", "new york", "Berlin"), for a bad-timezone error: at most 3,
 * exact city names first. Input past a zone name's length cannot match and is not read.
 */
function zonesNamed(input: string): string[] {
  const city = input.slice(0, MAX_ZONE_INPUT).trim().toLowerCase().replace(/[\s_]+/g, '_');
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
