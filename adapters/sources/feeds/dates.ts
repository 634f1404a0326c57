// Feed dates: RFC 822/1123 in RSS ("Tue, 03 Mar 2026 10:00:00 GMT"), RFC 3339 in Atom, JSON Feed and Dublin
// Core ("2026-03-03T10:00:00Z"), and the near misses feeds write. Parsed here rather than by `Date.parse`,
// whose fallback for other strings varies by engine and reads "Item 5" as a date in May 2001.

/** Longer strings are no date: every pattern below runs on at most this much. */
const MAX_DATE_CHARS = 100;

// Each pattern is anchored at both ends, and no two neighbouring quantified parts can match the same
// characters, except the white-space runs, which are bounded by MAX_DATE_CHARS: linear.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?([Zz]|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?$/;
const RFC822 =
  /^(?:[A-Za-z]{2,9}\.?,? *)?(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4}|\d{2})(?: +(\d{1,2}):(\d{2})(?::(\d{2}))?)? *([A-Za-z]{1,5}|[+-]\d{4}|[+-]\d{2}:\d{2})?$/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** RFC 822 zone names, in minutes east of UTC; military letters other than Z are ambiguous and read as UTC. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  // Common in the wild, though not in RFC 822.
  bst: 60, cet: 60, cest: 120, eet: 120, eest: 180, ist: 330, jst: 540, aest: 600, aedt: 660,
};

/**
 * The instant a feed date names, or undefined when it names none: an unknown format, an impossible part
 * (30 February, 25:00) or an unknown zone. A date without a zone is taken as UTC.
 */
export function parseFeedDate(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_DATE_CHARS) return undefined;
  const text = trimmed.replace(/\s+/g, ' ');
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s, fraction, zone] = iso;
    const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
    return build(Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), millis, zoneOffset(zone));
  }
  const rfc = RFC822.exec(text);
  if (rfc) {
    const [, d, monthName, y, h, mi, s, zone] = rfc;
    const month = MONTHS.indexOf(monthName!.slice(0, 3).toLowerCase()) + 1;
    if (month === 0) return undefined;
    // RFC 822 two-digit years: 00–49 are this century, 50–99 the last.
    const year = y!.length === 2 ? (Number(y) < 50 ? 2000 : 1900) + Number(y) : Number(y);
    return build(year, month, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), 0, zoneOffset(zone));
  }
  return undefined;
}

/** Minutes east of UTC; undefined for a zone not known; 0 when there is none. */
function zoneOffset(zone: string | undefined): number | undefined {
  if (zone === undefined) return 0;
  const sign = zone[0];
  if (sign === '+' || sign === '-') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2, 4) || '0');
    if (hours > 23 || minutes > 59) return undefined;
    return (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const lower = zone.toLowerCase();
  if (lower in ZONES) return ZONES[lower];
  return lower.length === 1 && lower !== 'j' ? 0 : undefined;
}

function build(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offset: number | undefined,
): Date | undefined {
  if (offset === undefined || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  // A leap second is read as the last second of its minute.
  const time = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), millis) - offset * 60_000;
  // Date.UTC maps years 0–99 to 1900–1999; no news feed dates anything before 1970 anyway.
  return year < 1970 || !Number.isFinite(time) ? undefined : new Date(time);
}
