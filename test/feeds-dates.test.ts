import { describe, expect, it } from 'vitest';
import { parseFeedDate } from '../adapters/sources/feeds/dates.js';

const iso = (raw: string) => parseFeedDate(raw)?.toISOString();

describe('parseFeedDate', () => {
  it('reads RFC 822 dates as RSS writes them, with numeric and named zones', () => {
    expect(iso('Tue, 03 Mar 2026 08:15:00 +0100')).toBe('2026-03-03T07:15:00.000Z');
    expect(iso('Tue, 3 Mar 2026 08:15 GMT')).toBe('2026-03-03T08:15:00.000Z');
    expect(iso('03 Mar 26 08:15:00 EST')).toBe('2026-03-03T13:15:00.000Z');
    expect(iso('Tuesday, 03 March 2026 08:15:00 PDT')).toBe('2026-03-03T15:15:00.000Z');
    expect(iso('Tue,  03 Mar 2026\t08:15:00   -0530')).toBe('2026-03-03T13:45:00.000Z');
    expect(iso('Tue, 03 Mar 2026 08:15:00 +05:30')).toBe('2026-03-03T02:45:00.000Z');
    // No time, or no zone: midnight, UTC.
    expect(iso('Tue, 03 Mar 2026')).toBe('2026-03-03T00:00:00.000Z');
    expect(iso('03 Mar 2026 08:15:00')).toBe('2026-03-03T08:15:00.000Z');
    expect(iso('03 Mar 99 08:15:00 Z')).toBe('1999-03-03T08:15:00.000Z');
  });

  it('reads RFC 3339 dates and their near misses', () => {
    expect(iso('2026-03-03T07:30:00+02:00')).toBe('2026-03-03T05:30:00.000Z');
    expect(iso('2026-03-03T07:30:00.123456Z')).toBe('2026-03-03T07:30:00.123Z');
    expect(iso('2026-03-03T07:30:00+0200')).toBe('2026-03-03T05:30:00.000Z');
    expect(iso('2026-03-03T07:30Z')).toBe('2026-03-03T07:30:00.000Z');
    expect(iso('2026-03-03 07:30:00')).toBe('2026-03-03T07:30:00.000Z');
    expect(iso('2026-03-03 07:30:00 UTC')).toBe('2026-03-03T07:30:00.000Z');
    expect(iso('2026-03-03')).toBe('2026-03-03T00:00:00.000Z');
  });

  it('reads a leap second as the last second of its minute', () => {
    expect(iso('2026-06-30T23:59:60Z')).toBe('2026-06-30T23:59:59.000Z');
  });

  it('names no instant for impossible parts, unknown months or zones, and text that only looks like a date', () => {
    for (const raw of [
      '2026-02-30T00:00:00Z',
      'Mon, 30 Feb 2026 10:00:00 GMT',
      '2026-03-03T25:00:00Z',
      '2026-03-03T10:61:00Z',
      '2026-13-01',
      'Tue, 03 Foo 2026 08:15:00 GMT',
      'Tue, 03 Mar 2026 08:15:00 XYZ',
      '2026-03-03T07:30:00+25:00',
      'Item 5',
      'the third of March, probably',
      '1969-12-31T23:59:59Z',
      '',
      '   ',
      // Readable once its white space is folded, but longer than any date.
      `Tue, 03 Mar 2026${' '.repeat(100)}08:15:00 GMT`,
    ]) {
      expect({ raw, date: parseFeedDate(raw) }).toEqual({ raw, date: undefined });
    }
    expect(parseFeedDate(undefined)).toBeUndefined();
  });

  it('looks at no more than 100 characters, whatever it is given', () => {
    for (const raw of [' '.repeat(1 << 20), `${'1'.repeat(1 << 20)}`, `Tue, ${' '.repeat(1 << 20)}03 Mar 2026`]) {
      const started = performance.now();
      expect(parseFeedDate(raw)).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(200);
    }
  });
});
