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
