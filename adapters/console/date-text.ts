import { DateTime } from 'luxon';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * "2 Sep 2026 14:05 UTC": the one way console output (the CLI, terminal mode) writes an instant. Built by hand
 * because `toLocaleDateString('en-GB', { month: 'short' })` writes "Sept" for September on recent ICU
 * versions and "Sep" on older ones, so dates would differ between machines and from the other months.
 */
export function utcDateTime(instant: string | Date): string {
  const d = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(d.getTime())) return String(instant);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** The same in a zone: "26 Nov 2026 08:27 EET"; UTC as utcDateTime. An unknown zone or instant is shown as given. */
export function zonedDateTime(instant: string, timezone = 'UTC'): string {
  if (timezone === 'UTC') return utcDateTime(instant);
  const local = DateTime.fromISO(instant, { zone: timezone, locale: 'en-GB' });
  if (!local.isValid) return instant;
  return `${local.day} ${MONTHS[local.month - 1]} ${local.year} ${local.toFormat('HH:mm')} ${local.toFormat('ZZZZ')}`;
}
