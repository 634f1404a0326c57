import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CALLBACK_DATA_LIMIT, decodeAction, encodeAction, resolveTopicRef, type ButtonAction } from '../adapters/telegram/callback-data.js';

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
