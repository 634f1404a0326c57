import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { describeLocal, nextDueAfter, nextScheduledAfter, parseTime, parseTimezone } from '../src/clock.js';
import type { Weekday } from '../src/model.js';

/** Local wall-clock reading of an instant, "yyyy-MM-dd HH:mm ZZ". */
function local(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat('yyyy-MM-dd HH:mm ZZ');
}

/** The next `n` slots after `from`. */
function slots(time: string, zone: string, from: string, n: number): Date[] {
  const out: Date[] = [];
  let after = new Date(from);
  for (let i = 0; i < n; i++) {
    after = nextDueAfter(time, zone, after);
    out.push(after);
  }
  return out;
}

describe('parseTime', () => {
  it.each([
    ['8', '08:00'],
    ['08:00', '08:00'],
    ['8:05', '08:05'],
    ['20.30', '20:30'],
    ['7h15', '07:15'],
    [' 23:59 ', '23:59'],
    ['0:00', '00:00'],
  ])('reads %j as %s', (input, expected) => {
    expect(parseTime(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['9am', '09:00'],
    ['9 AM', '09:00'],
    ['6:30pm', '18:30'],
    ['12am', '00:00'],
    ['12:15am', '00:15'],
    ['12pm', '12:00'],
    ['7 p.m.', '19:00'],
  ])('reads the 12-hour %j as %s', (input, expected) => {
    expect(parseTime(input)).toEqual({ ok: true, value: expected });
  });

  it.each(['24:00', '8:60', '8:5', 'noon', '', '-1', '123', '13pm', '0am', '18:00pm', '9 a m'])('rejects %j, saying what was given', (input) => {
    expect(parseTime(input)).toEqual({ ok: false, code: 'bad-time', params: { given: input.trim() } });
  });
});

describe('parseTimezone', () => {
  it.each([
    ['Europe/Kyiv', 'Europe/Kyiv'],
    ['europe/kyiv', 'Europe/Kyiv'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    [' America/New_York ', 'America/New_York'],
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
  ])('accepts %j as %s', (input, expected) => {
    expect(parseTimezone(input)).toEqual({ ok: true, value: expected });
  });

  it.each(['Mars/Olympus_Mons', '', 'Europe/', 'x'.repeat(200)])('rejects %j, suggesting nothing', (input) => {
    // What is echoed back is cut to a zone name's length.
    expect(parseTimezone(input)).toEqual({ ok: false, code: 'bad-timezone', params: { given: input.trim().slice(0, 64), suggestions: [] } });
  });

  it.each([
    ['kyiv', ['Europe/Kyiv']],
    ['new york', ['America/New_York']],
    ['Berlin', ['Europe/Berlin']],
    ['Mars/Berlin', ['Europe/Berlin']],
  ])('rejects %j without a region, suggesting zones of that city', (input, suggestions) => {
    expect(parseTimezone(input)).toEqual({ ok: false, code: 'bad-timezone', params: { given: input, suggestions } });
  });
});

describe('nextDueAfter', () => {
  it('returns the next local 08:00, strictly after the given instant', () => {
    const first = nextDueAfter('08:00', 'Europe/Kyiv', new Date('2026-11-26T12:00:00Z'));
    expect(first.toISOString()).toBe('2026-11-27T06:00:00.000Z');
    expect(nextDueAfter('08:00', 'Europe/Kyiv', first).toISOString()).toBe('2026-11-28T06:00:00.000Z');
    expect(nextDueAfter('08:00', 'Europe/Kyiv', new Date(first.getTime() - 1)).toISOString()).toBe(first.toISOString());
  });

  it('keeps 08:00 Europe/Kyiv on both sides of the spring-forward change (2026-03-29)', () => {
    const out = slots('08:00', 'Europe/Kyiv', '2026-03-27T12:00:00Z', 3);
    expect(out.map((d) => d.toISOString())).toEqual([
      '2026-03-28T06:00:00.000Z',
      '2026-03-29T05:00:00.000Z',
      '2026-03-30T05:00:00.000Z',
    ]);
    expect(out.map((d) => local(d, 'Europe/Kyiv'))).toEqual([
      '2026-03-28 08:00 +02:00',
      '2026-03-29 08:00 +03:00',
      '2026-03-30 08:00 +03:00',
    ]);
  });

  it('keeps 08:00 Europe/Kyiv on both sides of the fall-back change (2026-10-25)', () => {
    const out = slots('08:00', 'Europe/Kyiv', '2026-10-23T12:00:00Z', 3);
    expect(out.map((d) => local(d, 'Europe/Kyiv'))).toEqual([
      '2026-10-24 08:00 +03:00',
      '2026-10-25 08:00 +02:00',
      '2026-10-26 08:00 +02:00',
    ]);
    // The fall-back day is 25 hours long.
    expect(out[1]!.getTime() - out[0]!.getTime()).toBe(25 * 3_600_000);
  });

  it('keeps 08:00 America/New_York on both sides of both 2026 changes', () => {
    expect(slots('08:00', 'America/New_York', '2026-03-07T00:00:00Z', 2).map((d) => d.toISOString())).toEqual([
      '2026-03-07T13:00:00.000Z',
      '2026-03-08T12:00:00.000Z',
    ]);
    expect(slots('08:00', 'America/New_York', '2026-10-31T00:00:00Z', 2).map((d) => d.toISOString())).toEqual([
      '2026-10-31T12:00:00.000Z',
      '2026-11-01T13:00:00.000Z',
    ]);
  });

  it('delivers a time inside the spring gap once, at the first instant after the gap (03:30 Kyiv, 2026-03-29)', () => {
    const out = slots('03:30', 'Europe/Kyiv', '2026-03-27T12:00:00Z', 4);
    expect(out.map((d) => local(d, 'Europe/Kyiv'))).toEqual([
      '2026-03-28 03:30 +02:00',
      '2026-03-29 04:00 +03:00',
      '2026-03-30 03:30 +03:00',
      '2026-03-31 03:30 +03:00',
    ]);
  });

  it('delivers a time in the repeated hour once, at its first occurrence (01:30 New York, 2026-11-01)', () => {
    const first = nextDueAfter('01:30', 'America/New_York', new Date('2026-11-01T00:00:00Z'));
    expect(local(first, 'America/New_York')).toBe('2026-11-01 01:30 -04:00');
    // Neither from the first occurrence nor from between the two does the second one become a slot.
    expect(local(nextDueAfter('01:30', 'America/New_York', first), 'America/New_York')).toBe('2026-11-02 01:30 -05:00');
    const between = new Date('2026-11-01T06:00:00Z'); // 01:00 EST, after the first 01:30 and before the second
    expect(local(nextDueAfter('01:30', 'America/New_York', between), 'America/New_York')).toBe('2026-11-02 01:30 -05:00');
  });

  it('delivers a time in the repeated hour once in Kyiv too (03:30, 2026-10-25)', () => {
    const out = slots('03:30', 'Europe/Kyiv', '2026-10-24T12:00:00Z', 2);
    expect(out.map((d) => local(d, 'Europe/Kyiv'))).toEqual(['2026-10-25 03:30 +03:00', '2026-10-26 03:30 +02:00']);
  });

  it('skips a local day that does not exist (Pacific/Apia, 2011-12-30)', () => {
    const out = slots('08:00', 'Pacific/Apia', '2011-12-28T00:00:00Z', 3);
    expect(out.map((d) => local(d, 'Pacific/Apia'))).toEqual([
      '2011-12-28 08:00 -10:00',
      '2011-12-29 08:00 -10:00',
      '2011-12-31 08:00 +14:00',
    ]);
  });

  it('gives exactly one slot on every local day of a year, at the wall time or right after a gap', () => {
    const zones = ['Europe/Kyiv', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata', 'UTC'];
    const times = ['00:00', '00:30', '01:30', '02:15', '03:30', '08:00', '23:59'];
    for (const zone of zones) {
      for (const time of times) {
        let after = new Date('2026-01-01T00:00:00Z');
        let previousDay: DateTime | undefined;
        for (let i = 0; i < 365; i++) {
          const slot = nextDueAfter(time, zone, after);
          const at = DateTime.fromJSDate(slot, { zone });
          const label = `${time} ${zone} slot ${i} (${slot.toISOString()})`;
          if (previousDay) expect(at.toISODate(), label).toBe(previousDay.plus({ days: 1 }).toISODate());
          if (at.toFormat('HH:mm') !== time) {
            // Only in a gap: a minute earlier the wall clock had not reached the time yet.
            const before = DateTime.fromMillis(slot.getTime() - 60_000, { zone });
            expect(before.toFormat('HH:mm') < time || before.toISODate() !== at.toISODate(), label).toBe(true);
            expect(at.toFormat('HH:mm') > time, label).toBe(true);
          }
          previousDay = at;
          after = slot;
        }
      }
    }
  });

  it('names the bad argument when the time or zone is invalid', () => {
    expect(() => nextDueAfter('8:00', 'UTC', new Date())).toThrow(/nextDueAfter: "8:00"/);
    expect(() => nextDueAfter('25:00', 'UTC', new Date())).toThrow(/nextDueAfter/);
    expect(() => nextDueAfter('08:00', 'Mars/Olympus', new Date())).toThrow(/Mars\/Olympus/);
  });
});

describe('parseTimezone: offsets and abbreviations', () => {
  it.each([
    ['+03:00', 'UTC+03:00'],
    ['UTC+3', 'UTC+03:00'],
    ['utc+3', 'UTC+03:00'],
    ['GMT-5', 'UTC-05:00'],
    ['UTC+05:30', 'UTC+05:30'],
    ['+0545', 'UTC+05:45'],
    ['-9:30', 'UTC-09:30'],
    ['UTC+14', 'UTC+14:00'],
    ['+00:00', 'UTC'],
    ['GMT', 'UTC'],
    ['z', 'UTC'],
  ])('accepts the offset %j as %s', (input, expected) => {
    expect(parseTimezone(input)).toEqual({ ok: true, value: expected });
  });

  it.each(['UTC+15', '+14:30', 'UTC+3:75', 'GMT+', '+', 'UTC++3'])('rejects the offset %j', (input) => {
    expect(parseTimezone(input)).toMatchObject({ ok: false, code: 'bad-timezone' });
  });

  it.each([
    ['EST', ['America/New_York', 'UTC-5']],
    ['pst', ['America/Los_Angeles', 'UTC-8']],
    ['CET', ['Europe/Paris', 'UTC+1']],
    ['IST', ['Asia/Kolkata', 'UTC+5:30']],
  ])('refuses the abbreviation %j, with the zone and offset it usually means', (input, suggestions) => {
    expect(parseTimezone(input)).toEqual({ ok: false, code: 'bad-timezone', params: { given: input, suggestions, abbreviation: true } });
  });

  it('offers only suggestions it accepts itself', () => {
    for (const input of ['EST', 'PDT', 'CEST', 'IST', 'AEDT']) {
      const refused = parseTimezone(input);
      if (refused.ok) throw new Error(`${input} was accepted`);
      for (const suggestion of refused.params.suggestions) expect(parseTimezone(suggestion).ok, suggestion).toBe(true);
    }
  });

  it('computes slots in a fixed offset, which has no DST', () => {
    const slot = nextDueAfter('08:00', 'UTC+03:00', new Date('2026-03-29T12:00:00Z'));
    expect(slot.toISOString()).toBe('2026-03-30T05:00:00.000Z');
    expect(describeLocal(slot, 'UTC+03:00')).toBe('Mon 30 Mar, 08:00 (UTC+03:00)');
  });
});

/** The next `n` slots of a schedule after `from`, each as its local wall clock ("Fri 2026-10-23 09:00 +03:00"). */
function scheduled(days: Weekday[], times: string[], zone: string, from: string, n: number): string[] {
  const out: string[] = [];
  let after = new Date(from);
  for (let i = 0; i < n; i++) {
    after = nextScheduledAfter({ days, times }, zone, after);
    out.push(DateTime.fromJSDate(after, { zone }).toFormat('ccc yyyy-MM-dd HH:mm ZZ'));
  }
  return out;
}

describe('nextScheduledAfter: schedules across DST', () => {
  it('weekdays: a time in the gap of a weekday change (Cairo, Friday 24 April 2026) is delivered at the gap’s end that day', () => {
    expect(scheduled([1, 2, 3, 4, 5], ['00:30'], 'Africa/Cairo', '2026-04-22T12:00:00Z', 4)).toEqual([
      'Thu 2026-04-23 00:30 +02:00',
      'Fri 2026-04-24 01:00 +03:00',
      'Mon 2026-04-27 00:30 +03:00',
      'Tue 2026-04-28 00:30 +03:00',
    ]);
  });

  it('weekdays: the same local time on both sides of a weekend change (New York, 8 March 2026)', () => {
    expect(scheduled([1, 2, 3, 4, 5], ['08:00'], 'America/New_York', '2026-03-06T14:00:00Z', 2)).toEqual([
      'Mon 2026-03-09 08:00 -04:00',
      'Tue 2026-03-10 08:00 -04:00',
    ]);
  });

  it('chosen days: Monday, Wednesday and Friday keep 09:00 across the fall-back (Kyiv, 25 October 2026)', () => {
    expect(scheduled([1, 3, 5], ['09:00'], 'Europe/Kyiv', '2026-10-21T12:00:00Z', 4)).toEqual([
      'Fri 2026-10-23 09:00 +03:00',
      'Mon 2026-10-26 09:00 +02:00',
      'Wed 2026-10-28 09:00 +02:00',
      'Fri 2026-10-30 09:00 +02:00',
    ]);
  });

  it('weekly: a Sunday time in the gap is delivered at the gap’s end that Sunday, then at its time again', () => {
    expect(scheduled([7], ['03:30'], 'Europe/Kyiv', '2026-03-20T12:00:00Z', 3)).toEqual([
      'Sun 2026-03-22 03:30 +02:00',
      'Sun 2026-03-29 04:00 +03:00',
      'Sun 2026-04-05 03:30 +03:00',
    ]);
  });

  it('two times a day across spring-forward: the one in the gap comes at its end, the other at its time', () => {
    expect(scheduled([1, 2, 3, 4, 5, 6, 7], ['02:30', '18:00'], 'America/New_York', '2026-03-07T05:00:00Z', 6)).toEqual([
      'Sat 2026-03-07 02:30 -05:00',
      'Sat 2026-03-07 18:00 -05:00',
      'Sun 2026-03-08 03:00 -04:00',
      'Sun 2026-03-08 18:00 -04:00',
      'Mon 2026-03-09 02:30 -04:00',
      'Mon 2026-03-09 18:00 -04:00',
    ]);
  });

  it('two times a day across fall-back: the repeated time once, at its first occurrence', () => {
    expect(scheduled([1, 2, 3, 4, 5, 6, 7], ['01:30', '18:00'], 'America/New_York', '2026-10-31T12:00:00Z', 4)).toEqual([
      'Sat 2026-10-31 18:00 -04:00',
      'Sun 2026-11-01 01:30 -04:00',
      'Sun 2026-11-01 18:00 -05:00',
      'Mon 2026-11-02 01:30 -05:00',
    ]);
  });

  it('two times that both fall in one gap are one slot that day', () => {
    expect(scheduled([1, 2, 3, 4, 5, 6, 7], ['02:15', '02:45'], 'America/New_York', '2026-03-07T12:00:00Z', 3)).toEqual([
      'Sun 2026-03-08 03:00 -04:00',
      'Mon 2026-03-09 02:15 -04:00',
      'Mon 2026-03-09 02:45 -04:00',
    ]);
  });

  it('weekly on a day the zone skipped (Apia, Friday 30 December 2011) comes the Friday after', () => {
    expect(scheduled([5], ['10:00'], 'Pacific/Apia', '2011-12-28T12:00:00Z', 2)).toEqual(['Fri 2012-01-06 10:00 +14:00', 'Fri 2012-01-13 10:00 +14:00']);
  });

  it('a slot exactly at `after` is not the next one', () => {
    const at = nextScheduledAfter({ days: [2], times: ['10:00'] }, 'UTC', new Date('2026-11-24T09:00:00Z'));
    expect(at.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(nextScheduledAfter({ days: [2], times: ['10:00'] }, 'UTC', at).toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });

  it('names what is wrong with a schedule', () => {
    expect(() => nextScheduledAfter({ days: [], times: ['08:00'] }, 'UTC', new Date())).toThrow(/nextScheduledAfter: no weekday/);
    expect(() => nextScheduledAfter({ days: [1], times: [] }, 'UTC', new Date())).toThrow(/at least one time/);
    expect(() => nextScheduledAfter({ days: [1], times: ['8:00'] }, 'UTC', new Date())).toThrow(/"8:00" is not HH:MM/);
  });
});

describe('describeLocal', () => {
  it('shows a slot as the subscriber reads it', () => {
    expect(describeLocal(new Date('2026-11-27T06:00:00Z'), 'Europe/Kyiv')).toBe('Fri 27 Nov, 08:00 (Europe/Kyiv)');
  });
});
