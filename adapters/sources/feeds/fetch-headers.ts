/**
 * Reading the caching and back-off headers of a feed response. Every function takes the raw header value
 * and the current time, and returns milliseconds or null; none uses a regex that can backtrack (splits and
 * anchored, bounded patterns only), and every input is cut to a few hundred characters first.
 */

/** The longest wait any header can ask for; a server saying "come back in ten years" gets a week. */
export const MAX_HEADER_DELAY_MS = 7 * 24 * 3600 * 1000;

const DELTA_SECONDS = /^\d{1,12}$/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
// The three forms RFC 9110 §5.6.7 says a recipient must read. Anchored, no nested or adjacent unbounded quantifiers.
const IMF_FIXDATE = /^[a-z]{3}, (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC)$/i;
const RFC_850 = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/i;
const ASCTIME = /^[a-z]{3} ([a-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * An HTTP date as epoch milliseconds, or null: only the three HTTP forms (not `Date.parse`, which also reads
 * `-5` or `1` as dates). A two-digit RFC 850 year is 19xx from 70 up, else 20xx.
 */
export function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return null;
  let parts: [day: string, month: string, year: number, h: string, m: string, s: string] | null = null;
  let match: RegExpExecArray | null;
  if ((match = IMF_FIXDATE.exec(text))) parts = [match[1]!, match[2]!, Number(match[3]), match[4]!, match[5]!, match[6]!];
  else if ((match = RFC_850.exec(text))) {
    const yy = Number(match[3]);
    parts = [match[1]!, match[2]!, yy >= 70 ? 1900 + yy : 2000 + yy, match[4]!, match[5]!, match[6]!];
  } else if ((match = ASCTIME.exec(text))) parts = [match[2]!, match[1]!, Number(match[6]), match[3]!, match[4]!, match[5]!];
  if (parts === null) return null;
  const [day, monthName, year, hours, minutes, seconds] = parts;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const d = Number(day);
  const [h, m, s] = [Number(hours), Number(minutes), Number(seconds)];
  if (month === -1 || d < 1 || d > 31 || h > 23 || m > 59 || s > 60) return null;
  const ms = Date.UTC(year, month, d, h, m, Math.min(s, 59));
  // 31 February and the like roll into the next month in Date.UTC: refuse them instead.
  return new Date(ms).getUTCDate() === d ? ms : null;
}

const clampDelay = (ms: number) => Math.min(Math.max(0, ms), MAX_HEADER_DELAY_MS);

/**
 * `Retry-After` in milliseconds from now: delta seconds (`120`) or an HTTP date. A date in the past is 0;
 * anything unreadable is null (no advice), anything longer than a week is a week.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim().slice(0, 64);
  if (DELTA_SECONDS.test(text)) return clampDelay(Number(text) * 1000);
  const date = parseHttpDate(text);
  return date === null ? null : clampDelay(date - now);
}

export interface FreshnessHeaders {
  cacheControl?: string;
  expires?: string;
  date?: string;
  age?: string;
}

/**
 * How long the response stays fresh, in milliseconds from now, as a private cache reads it: `no-store` or
 * `no-cache` → 0; else `max-age` less the `Age` the response already has; else `Expires` less the
 * response's `Date` (our clock when it has none; an unreadable `Expires` such as `0` means already
 * stale). Null when the server says nothing. At most a week.
 */
export function freshnessMs(headers: FreshnessHeaders, now: number): number | null {
  let maxAge: number | null = null;
  if (headers.cacheControl !== undefined) {
    for (const directive of headers.cacheControl.slice(0, 1024).split(',')) {
      const eq = directive.indexOf('=');
      const name = (eq === -1 ? directive : directive.slice(0, eq)).trim().toLowerCase();
      if (name === 'no-store' || name === 'no-cache') return 0;
      if (name !== 'max-age' || eq === -1 || maxAge !== null) continue;
      let value = directive.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (DELTA_SECONDS.test(value)) maxAge = Number(value) * 1000;
    }
  }
  if (maxAge !== null) {
    const ageText = headers.age?.trim().slice(0, 16) ?? '';
    const age = DELTA_SECONDS.test(ageText) ? Number(ageText) * 1000 : 0;
    return clampDelay(maxAge - age);
  }
  if (headers.expires !== undefined) {
    const expires = parseHttpDate(headers.expires);
    if (expires === null) return 0;
    const date = parseHttpDate(headers.date) ?? now;
    return clampDelay(expires - date);
  }
  return null;
}

/** A validator (ETag, Last-Modified) worth storing: trimmed, at most 512 characters, else null. */
export function validator(value: string | undefined): string | null {
  if (value === undefined) return null;
  const text = value.trim();
  return text.length === 0 || text.length > 512 ? null : text;
}
