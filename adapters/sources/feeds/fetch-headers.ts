/**
 * Reading the caching and back-off headers of a feed response. Every function takes the raw header value
 * and the current time, and returns milliseconds or null; none uses a regex that can backtrack (splits and
 * anchored, bounded patterns only), and every input is cut to a few hundred characters first.
 */

/** The longest wait any header can ask for; a server saying "come back in ten years" gets a week. */
export const MAX_HEADER_DELAY_MS = 7 * 24 * 3600 * 1000;

const DELTA_SECONDS = /^\d{1,12}$/;

/** An HTTP date (IMF-fixdate, RFC 850 or asctime) as epoch milliseconds, or null. */
export function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
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
