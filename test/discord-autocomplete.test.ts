import { describe, expect, it } from 'vitest';
import { completeTimezone, timezoneNames } from '../adapters/discord/autocomplete.js';
import { parseTimezone } from '../src/clock.js';

const zoneOf = (name: string) => name.toLowerCase();
const startsLikeInput = (zone: string, key: string) =>
  zoneOf(zone).startsWith(key) || zoneOf(zone).slice(zoneOf(zone).lastIndexOf('/') + 1).startsWith(key);

describe('completeTimezone', () => {
  it('offers UTC first when nothing is typed, and never more than 25', () => {
    const choices = completeTimezone('');
    expect(choices).toHaveLength(25);
    expect(choices[0]).toEqual({ name: 'UTC', value: 'UTC' });
  });

  it('finds a zone by its city, with spaces for underscores', () => {
    expect(completeTimezone('kyiv')[0]!.value).toBe('Europe/Kyiv');
    expect(completeTimezone('New York').map((c) => c.value)).toEqual(['America/New_York']);
    expect(completeTimezone('europe/lon')[0]!.value).toBe('Europe/London');
  });

  it('offers current names and still finds them by their former ones', () => {
    expect(completeTimezone('kiev').map((c) => c.value)).toContain('Europe/Kyiv');
    expect(timezoneNames()).not.toContain('Europe/Kiev');
    expect(completeTimezone('calcutta').map((c) => c.value)).toContain('Asia/Kolkata');
  });

  it('puts names starting with the input before names merely containing it', () => {
    for (const input of ['ber', 'an', 'lon', 'mad']) {
      const key = input.toLowerCase();
      const values = completeTimezone(input).map((c) => c.value);
      const firstContaining = values.findIndex((v) => !startsLikeInput(v, key));
      if (firstContaining === -1) continue;
      expect(values.slice(firstContaining).every((v) => !startsLikeInput(v, key))).toBe(true);
      expect(values.every((v) => zoneOf(v).includes(key))).toBe(true);
    }
    const lon = completeTimezone('lon').map((c) => c.value);
    expect(lon.indexOf('Europe/London')).toBeGreaterThanOrEqual(0);
    expect(lon.indexOf('Europe/London')).toBeLessThan(lon.indexOf('America/Blanc-Sablon'));
  });

  it('suggests only zones the core accepts', () => {
    for (const zone of timezoneNames()) expect(parseTimezone(zone).ok, zone).toBe(true);
  });

  it('suggests nothing for input that matches no zone', () => {
    expect(completeTimezone('zzzz')).toEqual([]);
  });
});
