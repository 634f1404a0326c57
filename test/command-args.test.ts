import { describe, expect, it } from 'vitest';
import { parseNewsArgs, parseSubscribeArgs } from '../src/command-args.js';

describe('command arguments', () => {
  it('takes a trailing number as the count and keeps spaces in the topic', () => {
    expect(parseNewsArgs('Machine Learning 3')).toEqual({ topic: 'Machine Learning', count: '3' });
    expect(parseNewsArgs('  AI  ')).toEqual({ topic: 'AI' });
    expect(parseNewsArgs('7')).toEqual({ topic: '7' });
  });

  it('takes time and zone off the end of a subscribe', () => {
    expect(parseSubscribeArgs('Machine Learning 08:00 Europe/Kyiv')).toEqual({
      topic: 'Machine Learning',
      time: '08:00',
      timezone: 'Europe/Kyiv',
    });
    expect(parseSubscribeArgs('AI 7:30')).toEqual({ topic: 'AI', time: '7:30' });
    expect(parseSubscribeArgs('AI UTC')).toEqual({ topic: 'AI', timezone: 'UTC' });
    expect(parseSubscribeArgs('AI Europe/Kyiv 08:00')).toEqual({ topic: 'AI', time: '08:00', timezone: 'Europe/Kyiv' });
    expect(parseSubscribeArgs('Space')).toEqual({ topic: 'Space' });
  });

  it('leaves a malformed time in the topic so validation can name it', () => {
    expect(parseSubscribeArgs('AI 25:99').time).toBe('25:99');
    expect(parseSubscribeArgs('AI noon').topic).toBe('AI noon');
  });
});
