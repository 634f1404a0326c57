/**
 * Splitting the text after a typed command into its parts, for the text-command platforms (Telegram,
 * terminal). Topics may contain spaces ("Machine Learning"), so the optional parts are taken off the end
 * by their shape: a count is a whole number, a time looks like 8:00, a zone contains a slash or is UTC.
 */

export interface NewsArgs {
  topic: string;
  count?: string;
}

export interface SubscribeArgs {
  topic: string;
  time?: string;
  timezone?: string;
}

const TIME_LIKE = /^\d{1,2}([:.h]\d{2})?$/;
const ZONE_LIKE = /^([A-Za-z_]+\/[A-Za-z0-9_+\-/]+|utc|gmt)$/i;

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/** "/news Machine Learning 3" → { topic: "Machine Learning", count: "3" }. */
export function parseNewsArgs(text: string): NewsArgs {
  const parts = words(text);
  const last = parts.at(-1);
  if (parts.length > 1 && last !== undefined && /^\d+$/.test(last)) {
    return { topic: parts.slice(0, -1).join(' '), count: last };
  }
  return { topic: parts.join(' ') };
}

/** "/subscribe Machine Learning 08:00 Europe/Kyiv" → topic, time and zone; each trailing part is optional. */
export function parseSubscribeArgs(text: string): SubscribeArgs {
  const parts = words(text);
  const result: SubscribeArgs = { topic: '' };
  if (parts.length > 1 && ZONE_LIKE.test(parts.at(-1)!)) result.timezone = parts.pop();
  if (parts.length > 1 && TIME_LIKE.test(parts.at(-1)!)) result.time = parts.pop();
  // A zone given before the time ("AI Europe/Kyiv 08:00") is accepted too.
  if (!result.timezone && parts.length > 1 && ZONE_LIKE.test(parts.at(-1)!)) result.timezone = parts.pop();
  result.topic = parts.join(' ');
  return result;
}
