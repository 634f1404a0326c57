import { describe, expect, it } from 'vitest';
import { parseNewsArgs, parseSubscribeArgs } from '../src/command-args.js';

describe('command arguments', () => {
  it('takes a trailing whole number off /news as the count; the rest, spaces and all, is the topic', () => {
    expect(parseNewsArgs('Machine Learning 3')).toEqual({ topic: 'Machine Learning', count: '3' });
    expect(parseNewsArgs('  Computer   Vision ')).toEqual({ topic: 'Computer Vision' });
    expect(parseNewsArgs('5')).toEqual({ topic: undefined, count: '5' });
    expect(parseNewsArgs('')).toEqual({ topic: undefined });
    expect(parseNewsArgs(undefined)).toEqual({ topic: undefined });
  });

  it('takes time and zone off the end of /subscribe in either order', () => {
    expect(parseSubscribeArgs('Machine Learning 08:00 Europe/Kyiv')).toEqual({
      topic: 'Machine Learning',
      time: '08:00',
      timezone: 'Europe/Kyiv',
    });
    expect(parseSubscribeArgs('AI Europe/Kyiv 7:30')).toEqual({ topic: 'AI', time: '7:30', timezone: 'Europe/Kyiv' });
    expect(parseSubscribeArgs('AI utc')).toEqual({ topic: 'AI', timezone: 'utc' });
    expect(parseSubscribeArgs('Computer Vision 9')).toEqual({ topic: 'Computer Vision', time: '9' });
    expect(parseSubscribeArgs('Computer Vision')).toEqual({ topic: 'Computer Vision' });
  });

  it('passes wrong times and zones through, so the core can say what is wrong with them', () => {
    expect(parseSubscribeArgs('AI 25:99')).toEqual({ topic: 'AI', time: '25:99' });
    expect(parseSubscribeArgs('AI 8pm Mars/Olympus')).toEqual({ topic: 'AI', time: '8pm', timezone: 'Mars/Olympus' });
    expect(parseSubscribeArgs('AI GMT+2')).toEqual({ topic: 'AI', timezone: 'GMT+2' });
  });
});
