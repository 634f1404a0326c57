import type { SubscriptionOptionName } from './command-errors.js';
import type { SubscribeInput } from './subscription-options.js';
import { isZoneAbbreviation } from './zones.js';

/**
 * Command arguments as typed after a text command (Telegram, terminal). Topics may contain spaces ("Machine Learning"), so the
 * options are taken off the end by their shape and whatever remains is the topic. Whether a value is
 * valid is the core's call; these only decide which part is which.
 */

/** What /news was given. */
export interface NewsArgs {
  topic?: string;
  count?: string;
}

function words(text: string | undefined): string[] {
  return (text ?? '').trim().split(/\s+/).filter((w) => w.length > 0);
}

function joined(parts: string[]): string | undefined {
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** "/news Machine Learning 3": a trailing whole number is the count. */
export function parseNewsArgs(text: string | undefined): NewsArgs {
  const parts = words(text);
  const last = parts.at(-1);
  if (last !== undefined && /^[+-]?\d+$/.test(last)) {
    return { topic: joined(parts.slice(0, -1)), count: last };
  }
  return { topic: joined(parts) };
}

/** Looks like a time of day, right or wrong: "8", "08:00", "25:99", "8.30", "7pm", "7 p.m.". */
export function looksLikeTime(word: string): boolean {
  return /^\d{1,2}([:.h]\d{0,2})?\s*([ap]\.?m\.?)?$/i.test(word) || /^\d{1,2}:\d*$/.test(word);
}

/** Looks like one or several times of day ("08:00,18:00"), right or wrong. */
export function looksLikeTimes(word: string): boolean {
  return word.length <= 100 && word.split(',').every((part) => part !== '' && looksLikeTime(part));
}

/** A time with minutes or am/pm ("9:15", "7pm"), which a bare number ("Formula 1") is not. */
function isClockTime(word: string): boolean {
  return looksLikeTimes(word) && /[:.h]|m\.?$/i.test(word);
}

/**
 * Looks like a time zone, right or wrong: "Europe/Kyiv", "utc", "GMT+2", "+03:00", or an abbreviation in
 * capitals ("EST"), which the core answers with the zone to use.
 */
export function looksLikeTimezone(word: string): boolean {
  return (
    word.includes('/') ||
    /^(utc|gmt|z)([+-]\d{1,2}(:?\d{2})?)?$/i.test(word) ||
    /^[+-]\d{1,2}(:?\d{2})?$/.test(word) ||
    (word === word.toUpperCase() && isZoneAbbreviation(word))
  );
}

/** What /subscribe was given: the topic and the options, as typed (see SubscribeInput). */
export interface SubscribeArgs extends SubscribeInput {
  topic?: string;
}

/** Option names as typed (`tz=`, `quality=`) → the option. */
const OPTION_NAMES: Readonly<Record<string, SubscriptionOptionName>> = {
  time: 'time',
  times: 'time',
  at: 'time',
  zone: 'timezone',
  tz: 'timezone',
  timezone: 'timezone',
  days: 'days',
  day: 'days',
  on: 'days',
  count: 'count',
  n: 'count',
  include: 'include',
  exclude: 'exclude',
  outlets: 'outlets',
  outlet: 'outlets',
  min: 'min',
  quality: 'min',
};

const QUOTE_CHARS = new Set(['"', '“', '”', '„', '«', '»']);

/**
 * Splits on white space outside double quotes, so `include="large language model, gpt"` is one word (phones
 * type “ ” for "). An unclosed quote runs to the end. The quotes stay in the word; one pass, linear.
 */
export function quotedWords(text: string | undefined): string[] {
  const out: string[] = [];
  let word = '';
  let quoted = false;
  for (const ch of (text ?? '').trim()) {
    if (QUOTE_CHARS.has(ch)) quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (word !== '') out.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word !== '') out.push(word);
  return out;
}

function unquote(value: string): string {
  let out = '';
  for (const ch of value) if (!QUOTE_CHARS.has(ch)) out += ch;
  return out;
}

/**
 * "/subscribe Machine Learning 08:00,18:00 Europe/Kyiv days=mon-fri count=3 include="openai, gpt"": options
 * come off the end, in any order, and what remains is the topic. Times and a zone are taken by their shape
 * (a zone-like word right after a clock time too, so "09:15 XYZ" reaches the core as a zone to refuse);
 * everything else as `name=value`. An unknown name or one given twice is passed on as `stray`, for the
 * core to refuse by name.
 */
export function parseSubscribeArgs(text: string | undefined): SubscribeArgs {
  const parts = quotedWords(text);
  const result: SubscribeArgs = {};
  const given = new Set<SubscriptionOptionName>();
  const set = (option: SubscriptionOptionName, value: string) => {
    if (given.has(option)) result.stray ??= { option, problem: 'repeated' };
    given.add(option);
    // Options come off the end: the first one taken is the last one typed, and it counts.
    if (result[option] === undefined) result[option] = value;
  };
  while (parts.length > 0) {
    const last = parts.at(-1)!;
    const keyed = /^([a-z]{1,15})=/i.exec(last);
    // A one-letter name that is no option (E=mc2) is part of the topic.
    if (keyed && (keyed[1]!.length > 1 || Object.hasOwn(OPTION_NAMES, keyed[1]!.toLowerCase()))) {
      const option = OPTION_NAMES[keyed[1]!.toLowerCase()];
      if (option === undefined || !Object.hasOwn(OPTION_NAMES, keyed[1]!.toLowerCase())) {
        result.stray ??= { option: keyed[1]!.toLowerCase().slice(0, 15), problem: 'unknown-option' };
      } else {
        const value = last.slice(keyed[0].length);
        set(option, option === 'include' || option === 'exclude' || option === 'outlets' ? value : unquote(value));
      }
    } else if (!given.has('time') && looksLikeTimes(last)) {
      set('time', last);
    } else if (!given.has('time') && /^[ap]\.?m\.?$/i.test(last) && parts.length > 1 && looksLikeTime(parts.at(-2)!)) {
      // "9 am": two words, one time.
      parts.pop();
      set('time', `${parts.at(-1)!}${last}`);
    } else if (!given.has('timezone') && looksLikeTimezone(last)) {
      set('timezone', last);
    } else if (!given.has('timezone') && /^[a-z][a-z_+-]{1,30}$/i.test(last) && parts.length > 1 && isClockTime(parts.at(-2)!)) {
      set('timezone', last);
    } else {
      break;
    }
    parts.pop();
  }
  const topic = joined(parts);
  if (topic !== undefined) result.topic = topic;
  return result;
}
