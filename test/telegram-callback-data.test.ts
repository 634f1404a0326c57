import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CALLBACK_DATA_LIMIT, decodeAction, encodeAction, fitsCallbackData, resolveTopicRef, type ButtonAction } from '../adapters/telegram/callback-data.js';

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

  it('refuses a subscribe button that cannot fit even without its zone, instead of recursing forever', () => {
    const action: ButtonAction = { kind: 'subscribe', topicKey: 'ai', time: '𝟘'.repeat(20), timezone: 'Europe/Kyiv' };
    expect(fitsCallbackData(action)).toBe(false);
    expect(() => encodeAction(action)).toThrow(RangeError);
    // One that fits once the zone is dropped still encodes, without the zone.
    const long: ButtonAction = { kind: 'subscribe', topicKey: 'ai', time: '08:00', timezone: 'x'.repeat(80) };
    expect(fitsCallbackData(long)).toBe(true);
    expect(decodeAction(encodeAction(long))).toEqual({ kind: 'subscribe', topic: { key: 'ai' }, time: '08:00' });
  });

  it('round-trips the digest buttons (More, Unsubscribe) within 64 bytes', () => {
    const key = 'k'.repeat(120);
    const more = decodeAction(encodeAction({ kind: 'more', topicKey: key, count: 10, page: 5, unseen: true }));
    expect(more).toEqual({ kind: 'more', topic: { hash: expect.any(String) }, count: 10, page: 5, unseen: true });
    expect(resolveTopicRef(more!.topic, [key])).toBe(key);
    expect(decodeAction(encodeAction({ kind: 'more', topicKey: 'ai', count: 3, page: 1 }))).toEqual({
      kind: 'more', topic: { key: 'ai' }, count: 3, page: 1, unseen: false,
    });
    expect(decodeAction(encodeAction({ kind: 'drop', topicKey: 'a|b' }))).toEqual({ kind: 'drop', topic: { key: 'a|b' } });
    expect(decodeAction(`x|${'z'.repeat(CALLBACK_DATA_LIMIT)}`)).toBeUndefined();
    expect(decodeAction('m|3|1|yes|ai')).toBeUndefined();
    expect(decodeAction('m|3|-1||ai')).toBeUndefined();
  });

  it('ignores data it did not write', () => {
    expect(decodeAction('hello')).toBeUndefined();
    expect(decodeAction('n|x')).toBeUndefined();
    expect(decodeAction('n|two|ai')).toBeUndefined();
    expect(decodeAction(undefined)).toBeUndefined();
  });
});
