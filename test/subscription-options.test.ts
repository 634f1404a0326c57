import { describe, expect, it } from 'vitest';
import {
  parseDays,
  parseEntryList,
  parseSubscribeInput,
  parseTimes,
  SUBSCRIPTION_LIMITS,
} from '../src/subscription-options.js';

describe('subscription options: times', () => {
  it.each([
    ['08:00', ['08:00']],
    ['8', ['08:00']],
    ['9am', ['09:00']],
    ['6:30pm', ['18:30']],
    ['12am', ['00:00']],
    ['12pm', ['12:00']],
    ['7 p.m.', ['19:00']],
    ['18:00,08:00', ['08:00', '18:00']],
    ['8am, 8:00 ,20:00', ['08:00', '20:00']],
  ])('reads %j as %j: sorted, each time once', (input, expected) => {
    expect(parseTimes(input)).toEqual({ ok: true, value: expected });
  });

  it.each(['25:00', '13pm', '0am', '8:60', 'noon', '08:00,later'])('refuses %j, naming the time that is wrong', (input) => {
    const result = parseTimes(input);
    expect(result).toMatchObject({ ok: false, code: 'bad-time' });
    expect(input).toContain((result as { params: { given: string } }).params.given);
  });

  it('takes at most six times a day, and says so', () => {
    expect(parseTimes('1,2,3,4,5,6')).toMatchObject({ ok: true });
    expect(parseTimes('1,2,3,4,5,6,7')).toMatchObject({ ok: false, code: 'bad-option', params: { option: 'time', problem: 'too-many', limit: SUBSCRIPTION_LIMITS.MAX_TIMES } });
  });

  it('refuses a 10,000-character list of times before reading it', () => {
    expect(parseTimes('8,'.repeat(5000))).toMatchObject({ ok: false, code: 'bad-option', params: { option: 'time', problem: 'total-too-long' } });
  });
});

describe('subscription options: days', () => {
  it.each([
    ['mon-fri', 'weekdays', [1, 2, 3, 4, 5]],
    ['weekdays', 'weekdays', [1, 2, 3, 4, 5]],
    ['mon,wed,fri', 'days', [1, 3, 5]],
    ['Mon Wed  FRI', 'days', [1, 3, 5]],
    ['fri-mon', 'days', [1, 5, 6, 7]],
    ['weekends', 'days', [6, 7]],
    ['sunday', 'weekly', [7]],
    ['tu', 'weekly', [2]],
    ['daily', 'daily', [1, 2, 3, 4, 5, 6, 7]],
    ['', 'daily', [1, 2, 3, 4, 5, 6, 7]],
    ['mon-sun', 'daily', [1, 2, 3, 4, 5, 6, 7]],
    ['mon–fri,sat', 'days', [1, 2, 3, 4, 5, 6]],
  ])('reads %j as %s on %j', (input, kind, days) => {
    expect(parseDays(input)).toEqual({ ok: true, value: { kind, days } });
  });

  it.each(['funday', 'mon-', 'mon-tue-wed', 'weekly', 'constructor', '1'])('refuses %j as not a day', (input) => {
    expect(parseDays(input)).toMatchObject({ ok: false, code: 'bad-option', params: { option: 'days', problem: 'bad-day' } });
  });
});

describe('subscription options: word and outlet lists', () => {
  it('splits on commas, folds white space and compatibility forms, drops repeats ignoring case, strips quotes', () => {
    expect(parseEntryList('include', ' "large   language model", GPT ,gpt,, ＯｐｅｎＡＩ ')).toEqual({
      ok: true,
      value: ['large language model', 'GPT', 'OpenAI'],
    });
    expect(parseEntryList('exclude', '“crypto, nft”')).toEqual({ ok: true, value: ['crypto', 'nft'] });
  });

  it.each(['', 'none', 'NONE', '-', '""'])('clears the list for %j', (input) => {
    expect(parseEntryList('outlets', input)).toEqual({ ok: true, value: [] });
  });

  it('refuses a 10,000-character list, naming the option', () => {
    const list = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(',');
    expect(list.length).toBeGreaterThan(10_000);
    expect(parseEntryList('include', list)).toEqual({
      ok: false,
      code: 'bad-option',
      params: { option: 'include', given: expect.any(String), problem: 'total-too-long', limit: 1000 },
    });
  });

  it('refuses a 500-character word, naming the option and showing the start of the word', () => {
    const result = parseEntryList('exclude', `crypto, ${'y'.repeat(500)}`);
    expect(result).toMatchObject({ ok: false, code: 'bad-option', params: { option: 'exclude', problem: 'too-long', limit: 60 } });
    expect((result as { params: { given: string } }).params.given.length).toBeLessThanOrEqual(41);
  });

  it('counts characters, not UTF-16 units, against the entry limit', () => {
    // Deseret letters lie outside the BMP: two UTF-16 units each.
    expect(parseEntryList('include', '𐐨'.repeat(60))).toMatchObject({ ok: true });
    expect(parseEntryList('include', '𐐨'.repeat(61))).toMatchObject({ ok: false, params: { problem: 'too-long' } });
  });

  it('takes at most 20 entries', () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(',');
    expect(parseEntryList('outlets', words(20))).toMatchObject({ ok: true });
    expect(parseEntryList('outlets', words(21))).toMatchObject({ ok: false, params: { option: 'outlets', problem: 'too-many', limit: 20 } });
  });

  it('refuses an entry with nothing to match (only punctuation or invisible characters)', () => {
    expect(parseEntryList('include', 'ai, !!!')).toMatchObject({ ok: false, params: { option: 'include', problem: 'no-words', given: '!!!' } });
    expect(parseEntryList('include', '\u200b\u200b')).toMatchObject({ ok: false, params: { problem: 'no-words' } });
  });
});

describe('subscription options: everything given at once', () => {
  it('parses each option given and leaves out those not given', () => {
    expect(parseSubscribeInput({ time: '9am,18:00', days: 'mon-fri', count: '3', min: 60 })).toEqual({
      ok: true,
      value: { times: ['09:00', '18:00'], days: { kind: 'weekdays', days: [1, 2, 3, 4, 5] }, count: 3, minQuality: 60 },
    });
    expect(parseSubscribeInput({})).toEqual({ ok: true, value: {} });
  });

  it('takes "none" or nothing as the default count and no minimum; a minimum of 0 is none', () => {
    expect(parseSubscribeInput({ count: 'default', min: 'none' })).toEqual({ ok: true, value: { count: null, minQuality: null } });
    expect(parseSubscribeInput({ min: 0 })).toEqual({ ok: true, value: { minQuality: null } });
  });

  it('says which option is wrong and its limits', () => {
    expect(parseSubscribeInput({ count: '11' })).toEqual({ ok: false, code: 'bad-count', params: { min: 1, max: 10, given: '11', option: 'count' } });
    expect(parseSubscribeInput({ count: 'three' })).toMatchObject({ code: 'bad-count', params: { given: 'three' } });
    expect(parseSubscribeInput({ min: 101 })).toMatchObject({ code: 'bad-option', params: { option: 'min', problem: 'out-of-range', min: 0, max: 100 } });
    expect(parseSubscribeInput({ min: '1e2' })).toMatchObject({ code: 'bad-option', params: { option: 'min' } });
    expect(parseSubscribeInput({ timezone: 'EST' })).toMatchObject({ code: 'bad-timezone', params: { given: 'EST', abbreviation: true } });
    expect(parseSubscribeInput({ stray: { option: 'colour', problem: 'unknown-option' } })).toMatchObject({
      code: 'bad-option',
      params: { option: 'colour', problem: 'unknown-option' },
    });
  });
});
