import { parseTime, parseTimezone, type Parsed } from './clock.js';
import { commandError, type BadOptionProblem, type CommandError, type SubscriptionOptionName } from './command-errors.js';
import { cutAtWord } from './cut.js';
import { wordTokens } from './filters.js';
import { ALL_WEEKDAYS, type ScheduleKind, type Weekday } from './model.js';

/** The limits on what a subscription's options may hold. */
export const SUBSCRIPTION_LIMITS = {
  /** Deliveries a day at most. */
  MAX_TIMES: 6,
  /** Words or phrases (or outlets) per list. */
  MAX_ENTRIES: 20,
  /** Characters per word, phrase or outlet. */
  MAX_ENTRY_LENGTH: 60,
  /** Characters in one option's whole value. */
  MAX_OPTION_LENGTH: 1000,
  MIN_COUNT: 1,
  MAX_COUNT: 10,
  MIN_QUALITY: 0,
  MAX_QUALITY: 100,
} as const;

/**
 * What /subscribe was given besides the topic, as typed (Discord hands whole numbers over as numbers).
 * An absent field was not given: an existing subscription keeps that setting.
 */
export interface SubscribeInput {
  /** One time or several, comma-separated: "08:00", "9am,6pm". */
  time?: string;
  timezone?: string;
  /** "mon-fri", "mon,wed,fri", "weekdays", "sat", "daily". */
  days?: string;
  count?: string | number;
  /** Comma-separated words or phrases; empty or "none" clears the list. */
  include?: string;
  exclude?: string;
  /** Comma-separated provider names or domains. */
  outlets?: string;
  /** Lowest article quality, 0–100; empty or "none" clears it. */
  min?: string | number;
  /** An option a text parser could not take: an unknown name, or one given twice. Refused by name. */
  stray?: { option: string; problem: 'unknown-option' | 'repeated' };
}

/** The options given, checked and normalised; an absent field was not given. */
export interface SubscriptionEdit {
  times?: string[];
  timezone?: string;
  days?: { kind: ScheduleKind; days: Weekday[] };
  /** null: back to the default count. */
  count?: number | null;
  include?: string[];
  exclude?: string[];
  outlets?: string[];
  /** null: no minimum. */
  minQuality?: number | null;
}

function badOption(option: SubscriptionOptionName, given: string, problem: BadOptionProblem, extra: { limit?: number; min?: number; max?: number } = {}): CommandError {
  return commandError('bad-option', { option, given: cutAtWord(given, 40), problem, ...extra });
}

/** Whether a value asks for the option's default: empty, "none", "default" or "-". */
function clears(value: string): boolean {
  return /^(|none|default|-|off)$/i.test(value.trim());
}

/** Checks every option given, in the order the catalogue lists them; the first problem is returned. */
export function parseSubscribeInput(input: SubscribeInput): Parsed<SubscriptionEdit> {
  const edit: SubscriptionEdit = {};
  if (input.stray) return commandError('bad-option', { option: input.stray.option, given: input.stray.option, problem: input.stray.problem });
  if (input.time !== undefined) {
    const times = parseTimes(input.time);
    if (!times.ok) return times;
    edit.times = times.value;
  }
  if (input.timezone !== undefined) {
    const zone = parseTimezone(input.timezone);
    if (!zone.ok) return zone;
    edit.timezone = zone.value;
  }
  if (input.days !== undefined) {
    const days = parseDays(input.days);
    if (!days.ok) return days;
    edit.days = days.value;
  }
  if (input.count !== undefined) {
    const count = parseWhole(input.count, SUBSCRIPTION_LIMITS.MIN_COUNT, SUBSCRIPTION_LIMITS.MAX_COUNT);
    if (count === false) {
      return commandError('bad-count', { min: SUBSCRIPTION_LIMITS.MIN_COUNT, max: SUBSCRIPTION_LIMITS.MAX_COUNT, given: cutAtWord(String(input.count).trim(), 40), option: 'count' });
    }
    edit.count = count;
  }
  for (const option of ['include', 'exclude', 'outlets'] as const) {
    const value = input[option];
    if (value === undefined) continue;
    const list = parseEntryList(option, value);
    if (!list.ok) return list;
    edit[option] = list.value;
  }
  if (input.min !== undefined) {
    const { MIN_QUALITY: min, MAX_QUALITY: max } = SUBSCRIPTION_LIMITS;
    const quality = parseWhole(input.min, min, max);
    if (quality === false) return badOption('min', String(input.min).trim(), 'out-of-range', { min, max });
    // A minimum of 0 leaves every article in: the same as none.
    edit.minQuality = quality === 0 ? null : quality;
  }
  return { ok: true, value: edit };
}

/** A whole number in [min, max]; null for a value that clears; false when it is neither. */
function parseWhole(value: string | number, min: number, max: number): number | null | false {
  if (typeof value === 'string' && clears(value)) return null;
  const text = String(value).trim();
  const n = typeof value === 'number' ? value : /^[+-]?\d{1,6}$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : false;
}

/** "08:00", "9am,18:00": the times of day, sorted, each once; at most MAX_TIMES. */
export function parseTimes(value: string): Parsed<string[]> {
  const { MAX_OPTION_LENGTH, MAX_TIMES } = SUBSCRIPTION_LIMITS;
  if (value.length > MAX_OPTION_LENGTH) return badOption('time', value, 'total-too-long', { limit: MAX_OPTION_LENGTH });
  const parts = value.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return commandError('bad-time', { given: value.trim() });
  if (parts.length > MAX_TIMES) return badOption('time', value, 'too-many', { limit: MAX_TIMES });
  const times = new Set<string>();
  for (const part of parts) {
    const time = parseTime(part);
    if (!time.ok) return time;
    times.add(time.value);
  }
  return { ok: true, value: [...times].sort() };
}

const DAY_NAMES: ReadonlyMap<string, Weekday> = new Map(
  (
    [
      [1, ['mo', 'mon', 'monday', 'mondays']],
      [2, ['tu', 'tue', 'tues', 'tuesday', 'tuesdays']],
      [3, ['we', 'wed', 'weds', 'wednesday', 'wednesdays']],
      [4, ['th', 'thu', 'thur', 'thurs', 'thursday', 'thursdays']],
      [5, ['fr', 'fri', 'friday', 'fridays']],
      [6, ['sa', 'sat', 'saturday', 'saturdays']],
      [7, ['su', 'sun', 'sunday', 'sundays']],
    ] as const
  ).flatMap(([day, names]) => names.map((name) => [name, day] as [string, Weekday])),
);

const DAY_WORDS: Readonly<Record<string, readonly Weekday[]>> = {
  daily: ALL_WEEKDAYS,
  everyday: ALL_WEEKDAYS,
  all: ALL_WEEKDAYS,
  weekdays: [1, 2, 3, 4, 5],
  workdays: [1, 2, 3, 4, 5],
  weekends: [6, 7],
  weekend: [6, 7],
};

/**
 * "mon-fri", "mon,wed,fri", "fri-mon" (wraps), "weekdays", "weekends", "daily"; empty is daily. The kind
 * follows from the days: all seven is daily, Monday to Friday weekdays, one day weekly.
 */
export function parseDays(value: string): Parsed<{ kind: ScheduleKind; days: Weekday[] }> {
  if (value.length > SUBSCRIPTION_LIMITS.MAX_OPTION_LENGTH) {
    return badOption('days', value, 'total-too-long', { limit: SUBSCRIPTION_LIMITS.MAX_OPTION_LENGTH });
  }
  const text = value.trim().toLowerCase();
  const chosen = new Set<Weekday>();
  if (text === '' || text === 'every day') {
    for (const d of ALL_WEEKDAYS) chosen.add(d);
  } else {
    for (const part of text.split(/[\s,;]+/).filter((p) => p !== '')) {
      const word = Object.hasOwn(DAY_WORDS, part) ? DAY_WORDS[part] : undefined;
      if (word) {
        for (const d of word) chosen.add(d);
        continue;
      }
      const range = part.split(/[-–—]|\.\./);
      const first = DAY_NAMES.get(range[0]!);
      const last = DAY_NAMES.get(range.at(-1)!);
      if (range.length > 2 || first === undefined || last === undefined) return badOption('days', part, 'bad-day');
      // A range that ends before it starts wraps over the weekend: fri-mon.
      for (let d = first; ; d = ((d % 7) + 1) as Weekday) {
        chosen.add(d);
        if (d === last) break;
      }
    }
  }
  const days = [...chosen].sort((a, b) => a - b);
  const kind: ScheduleKind =
    days.length === 7 ? 'daily' : days.length === 1 ? 'weekly' : days.join() === '1,2,3,4,5' ? 'weekdays' : 'days';
  return { ok: true, value: { kind, days } };
}

// Straight and typographic double quotes (phones turn " into “ ”), which only group words.
const QUOTES = /["“”„«»]/g;

/**
 * A comma-separated list of words, phrases or outlets: each entry's white space folded, compatibility forms
 * folded (NFKC), repeated entries (ignoring case) dropped. Empty or "none" clears the list.
 */
export function parseEntryList(option: 'include' | 'exclude' | 'outlets', value: string): Parsed<string[]> {
  const { MAX_OPTION_LENGTH, MAX_ENTRIES, MAX_ENTRY_LENGTH } = SUBSCRIPTION_LIMITS;
  if (value.length > MAX_OPTION_LENGTH) return badOption(option, value, 'total-too-long', { limit: MAX_OPTION_LENGTH });
  const unquoted = value.replace(QUOTES, '');
  if (clears(unquoted)) return { ok: true, value: [] };
  const parts = unquoted.split(/[,;]/);
  const entries = parts.map((p) => p.normalize('NFKC').replace(/\s+/g, ' ').trim()).filter((p) => p !== '');
  if (entries.length > MAX_ENTRIES) return badOption(option, value, 'too-many', { limit: MAX_ENTRIES });
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const entry of entries) {
    if ([...entry].length > MAX_ENTRY_LENGTH) return badOption(option, entry, 'too-long', { limit: MAX_ENTRY_LENGTH });
    if (wordTokens(entry).length === 0) return badOption(option, entry, 'no-words');
    const key = entry.toLocaleLowerCase('und');
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(entry);
  }
  return { ok: true, value: kept };
}
