import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseNewsArgs, parseSubscribeArgs } from '../adapters/telegram/args.js';
import { CALLBACK_DATA_LIMIT, decodeAction, encodeAction, resolveTopicRef, type ButtonAction } from '../adapters/telegram/callback-data.js';

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

describe('button callback data', () => {
  it('round-trips short topic keys as they are', () => {
    const actions: ButtonAction[] = [
      { kind: 'news', topicKey: 'machinelearning', count: 3 },
      { kind: 'news', topicKey: 'ai' },
      { kind: 'subscribe', topicKey: 'ai', time: '08:00', timezone: 'Europe/Kyiv' },
      { kind: 'subscribe', topicKey: 'a|b' },
      { kind: 'unsubscribe', topicKey: 'space' },
    ];
    for (const action of actions) {
      const decoded = decodeAction(encodeAction(action));
      expect(decoded).toMatchObject({ kind: action.kind, topic: { key: action.topicKey } });
    }
    expect(decodeAction(encodeAction(actions[2]!))).toEqual({
      kind: 'subscribe',
      topic: { key: 'ai' },
      time: '08:00',
      timezone: 'Europe/Kyiv',
    });
  });

  it('stays within 64 bytes for any topic key and finds the key again among the known ones', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        fc.constantFrom(undefined, 'America/Argentina/ComodRivadavia', 'x'.repeat(80)),
        (key, count, timezone) => {
          const actions: ButtonAction[] = [
            { kind: 'news', topicKey: key, count },
            { kind: 'subscribe', topicKey: key, time: '08:00', timezone },
            { kind: 'unsubscribe', topicKey: key },
          ];
          for (const action of actions) {
            const data = encodeAction(action);
            expect(Buffer.byteLength(data, 'utf8')).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
            const decoded = decodeAction(data);
            expect(decoded?.kind).toBe(action.kind);
            expect(resolveTopicRef(decoded!.topic, ['other', key, 'more'])).toBe(key);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ignores data it did not write', () => {
    expect(decodeAction('hello')).toBeUndefined();
    expect(decodeAction('n|x')).toBeUndefined();
    expect(decodeAction('n|two|ai')).toBeUndefined();
    expect(decodeAction(undefined)).toBeUndefined();
  });
});
