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

/** What /subscribe was given. */
export interface SubscribeArgs {
  topic?: string;
  time?: string;
  timezone?: string;
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

/** Looks like a time of day, right or wrong: "8", "08:00", "25:99", "8.30", "7pm". */
export function looksLikeTime(word: string): boolean {
  return /^\d{1,2}([:.h]\d{0,2})?\s*(am|pm)?$/i.test(word) || /^\d{1,2}:\d*$/.test(word);
}

/** Looks like a time zone, right or wrong: "Europe/Kyiv", "utc", "GMT+2". */
export function looksLikeTimezone(word: string): boolean {
  return word.includes('/') || /^(utc|gmt|z)([+-]\d{1,2}(:?\d{2})?)?$/i.test(word);
}

/** "/subscribe Machine Learning 08:00 Europe/Kyiv": time and zone come off the end, in either order. */
export function parseSubscribeArgs(text: string | undefined): SubscribeArgs {
  const parts = words(text);
  const result: SubscribeArgs = {};
  for (let taken = 0; taken < 2 && parts.length > 0; taken++) {
    const last = parts.at(-1)!;
    if (result.timezone === undefined && looksLikeTimezone(last)) result.timezone = last;
    else if (result.time === undefined && looksLikeTime(last)) result.time = last;
    else break;
    parts.pop();
  }
  result.topic = joined(parts);
  return result;
}
