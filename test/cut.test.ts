import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutAtWord } from '../src/cut.js';

describe('cutAtWord', () => {
  it('keeps text that fits as it is, even without a full stop', () => {
    expect(cutAtWord('short', 10)).toBe('short');
    expect(cutAtWord('it would,', 9)).toBe('it would,');
  });

  it('cuts at the last space before the limit and ends with an ellipsis', () => {
    expect(cutAtWord('the quick brown fox jumps', 15)).toBe('the quick…');
  });

  it('keeps a whole word that ends right at the cut', () => {
    expect(cutAtWord('the quick brown fox jumps', 16)).toBe('the quick brown…');
  });

  it('trims punctuation before the ellipsis', () => {
    expect(cutAtWord('The quick brown fox, jumps over', 22)).toBe('The quick brown fox…');
  });

  it('cuts inside a word rather than lose more than half the room', () => {
    expect(cutAtWord('abcdefghij', 5)).toBe('abcd…');
    expect(cutAtWord(`a ${'x'.repeat(100)}`, 10)).toBe(`a ${'x'.repeat(7)}…`);
  });

  it('never splits a surrogate pair', () => {
    expect(cutAtWord('😀'.repeat(10), 6)).toBe('😀😀…');
    expect(cutAtWord('😀'.repeat(50), 12)).toBe(`${'😀'.repeat(5)}…`);
  });

  it('gives an ellipsis or nothing when there is no room', () => {
    expect(cutAtWord('abc', 1)).toBe('…');
    expect(cutAtWord('abc', 0)).toBe('');
  });

  it('never exceeds the limit, and keeps a prefix of the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 0, max: 320 }), (text, max) => {
        const cut = cutAtWord(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        if (text.length <= max) expect(cut).toBe(text);
        else if (max > 1) expect(text.startsWith(cut.slice(0, -1))).toBe(true);
      }),
    );
  });
});
