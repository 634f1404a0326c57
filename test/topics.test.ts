import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FUZZY_TOPICS, MAX_QUERY_LENGTH, editDistance, normalizeTopic, TopicAliasTable, TopicIndex } from '../src/topics.js';

const counts = [
  { key: 'ai', name: 'AI', count: 10 },
  { key: 'machinelearning', name: 'Machine Learning', count: 6 },
  { key: 'computervision', name: 'Computer Vision', count: 7 },
  { key: 'quantumcomputing', name: 'Quantum Computing', count: 6 },
  { key: 'space', name: 'Space', count: 8 },
  { key: 'cybersecurity', name: 'Cybersecurity', count: 9 },
];

describe('topics', () => {
  it('ignores case and spacing', () => {
    expect(normalizeTopic('Machine-Learning')).toBe(normalizeTopic('machine learning'));
    expect(normalizeTopic('  MACHINE_learning ')).toBe('machinelearning');
  });

  it('resolves aliases from the table to the canonical topic', () => {
    const index = new TopicIndex(counts);
    expect(index.resolve('Artificial Intelligence')?.name).toBe('AI');
    expect(index.resolve('ml')?.name).toBe('Machine Learning');
    expect(index.resolve('CV')?.name).toBe('Computer Vision');
    expect(index.resolve('infosec')?.name).toBe('Cybersecurity');
  });

  it('takes user-supplied aliases', () => {
    const table = new TopicAliasTable({ Space: ['Astronautics'] });
    expect(table.key('astronautics')).toBe('space');
    const index = new TopicIndex(counts, { Space: ['Astronautics'] });
    expect(index.resolve('Astronautics')?.name).toBe('Space');
  });

  it('resolves the leading whole words of exactly one topic, never a prefix that stops inside a word', () => {
    const index = new TopicIndex([...counts, { key: 'databases', name: 'Databases', count: 4 }]);
    expect(index.resolve('quantum')?.name).toBe('Quantum Computing');
    expect(index.resolve('Machine')?.name).toBe('Machine Learning');
    expect(index.resolve('quant')).toBeUndefined();
    expect(index.resolve('data')).toBeUndefined();
    expect(index.resolve('co')).toBeUndefined();
    // The near misses are offered instead.
    expect(index.suggest('data').map((s) => s.name)).toEqual(['Databases']);
  });

  it('does not resolve a whole-word prefix two topics share', () => {
    const index = new TopicIndex([
      ...counts,
      { key: 'computerscience', name: 'Computer Science', count: 3 },
      { key: 'modeldrivenapps', name: 'Model-driven apps', count: 2 },
    ]);
    expect(index.resolve('computer')).toBeUndefined();
    expect(index.suggest('computer').map((s) => s.name)).toEqual(expect.arrayContaining(['Computer Vision', 'Computer Science']));
    expect(index.resolve('computer vision')?.name).toBe('Computer Vision');
    // A hyphen is a word boundary too.
    expect(index.resolve('model')?.name).toBe('Model-driven apps');
    expect(index.resolve('model driven')?.name).toBe('Model-driven apps');
    expect(index.resolve('mod')).toBeUndefined();
  });

  it('resolves the leading words of an alias of a stored topic', () => {
    const index = new TopicIndex(counts);
    expect(index.resolve('artificial')?.name).toBe('AI');
  });

  it('falls back from an alias to the first of its candidate topics that has articles', () => {
    const onlyAi = [
      { key: 'ai', name: 'AI', count: 10 },
      { key: 'space', name: 'Space', count: 3 },
    ];
    const index = new TopicIndex(onlyAi);
    expect(index.resolve('ml')?.name).toBe('AI');
    expect(index.resolve('Machine Learning')?.name).toBe('AI');
    expect(index.resolve('deep learning')?.name).toBe('AI');
    expect(index.resolve('NLP')?.name).toBe('AI');
    // With Machine Learning stored, it wins over the broader topic.
    expect(new TopicIndex(counts).resolve('ml')?.name).toBe('Machine Learning');
    // A topic without a fallback and without articles stays unknown.
    expect(index.resolve('quantum')).toBeUndefined();
  });

  it('finds a topic stored under any name of its alias group', () => {
    // Stored before the alias existed, or by a store with another table: the long names are the keys.
    const stored = [
      { key: 'internetofthings', name: 'Internet of Things', count: 5 },
      { key: 'microsoftazure', name: 'Microsoft Azure', count: 7 },
    ];
    const index = new TopicIndex(stored);
    expect(index.resolve('IoT')?.name).toBe('Internet of Things');
    expect(index.resolve('azure')?.name).toBe('Microsoft Azure');
    // And the other way round, against the canonical keys.
    const canonical = new TopicIndex([
      { key: 'iot', name: 'IoT', count: 5 },
      { key: 'azure', name: 'Azure', count: 7 },
    ]);
    expect(canonical.resolve('Internet of Things')?.name).toBe('IoT');
    expect(canonical.resolve('Microsoft Azure')?.name).toBe('Azure');
  });

  it('follows a fallback table given to it, and ends on a cycle', () => {
    const index = new TopicIndex(counts, { Astronomy: ['Stargazing'] }, { Astronomy: ['Space'], Loop: ['Loop2'], Loop2: ['Loop'] });
    expect(index.resolve('stargazing')?.name).toBe('Space');
    expect(index.resolve('loop')).toBeUndefined();
  });

  it('returns nothing for an unknown topic and suggests the closest ones', () => {
    const index = new TopicIndex(counts);
    expect(index.resolve('spce')).toBeUndefined();
    expect(index.suggest('spce').map((s) => s.name)).toEqual(['Space']);
    expect(index.suggest('machine lerning')[0]?.name).toBe('Machine Learning');
    expect(index.suggest('comp vison')[0]?.name).toBe('Computer Vision');
    expect(index.suggest('zzzzzzzz')).toEqual([]);
  });

  it('autocompletes prefix matches first, then fuzzy ones, capped at the limit', () => {
    const index = new TopicIndex(counts);
    expect(index.complete('c').map((s) => s.name)).toEqual(['Cybersecurity', 'Computer Vision', 'Quantum Computing']);
    expect(index.complete('vis').map((s) => s.name)[0]).toBe('Computer Vision');
    expect(index.complete('').length).toBe(counts.length);
    expect(index.complete('', 2)).toHaveLength(2);
    expect(index.complete('spcae').map((s) => s.name)).toContain('Space');
  });

  it('lists topics by article count', () => {
    expect(new TopicIndex(counts).all().map((t) => t.count)).toEqual([10, 9, 8, 7, 6, 6]);
  });

  it('computes edit distance with transpositions and gives up past the limit', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('a', 'abcdefgh', 2)).toBe(3);
  });

  it('computes the same distance within the band as the full table does', () => {
    /** Damerau–Levenshtein (adjacent transpositions) over the whole table, the reference. */
    const full = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
        }
      }
      return d[a.length]![b.length]!;
    };
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 14 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 10 }), (a, b, max) => {
        const exact = full(a, b);
        expect(editDistance(a, b, max)).toBe(exact > max ? max + 1 : exact);
        expect(editDistance(a, b)).toBe(exact);
      }),
      { numRuns: 3000 },
    );
  });

  it('ignores zero-width characters, so a look-alike resolves to the real topic', () => {
    const index = new TopicIndex(counts);
    expect(normalizeTopic('Sp\u200bace')).toBe('space');
    expect(index.resolve('Sp\u200dac\u2060e\ufeff')?.name).toBe('Space');
  });

  it('takes a long input as a near miss only within a few edits, not a third of its length', () => {
    const name = 'Regional Weather Forecasting And Climate Adaptation Planning';
    const index = new TopicIndex([...counts, { key: normalizeTopic(name), name, count: 3 }]);
    // 12 letters changed out of 53: within a third of the length, but far more than a typo.
    const key = normalizeTopic(name).split('');
    for (let i = 0; i < 12; i++) key[i * 4] = 'z';
    expect(index.complete(key.join('')).map((s) => s.name)).not.toContain(name);
    expect(index.suggest(key.join('')).map((s) => s.name)).not.toContain(name);
    // One typo is still found.
    expect(index.complete(`${normalizeTopic(name).slice(0, 20)}x${normalizeTopic(name).slice(21)}`).map((s) => s.name)).toContain(name);
  });

  it('looks at no more than the first MAX_QUERY_LENGTH characters typed', () => {
    const index = new TopicIndex(counts);
    const long = `space${'x'.repeat(MAX_QUERY_LENGTH * 50)}`;
    expect(index.complete(long)).toEqual(index.complete(long.slice(0, MAX_QUERY_LENGTH)));
    expect(index.suggest(long)).toEqual(index.suggest(long.slice(0, MAX_QUERY_LENGTH)));
  });

  it('matches fuzzily among the MAX_FUZZY_TOPICS topics with most articles, and by prefix among all', () => {
    const many = Array.from({ length: MAX_FUZZY_TOPICS + 500 }, (_, i) => ({ key: `filler${i}`, name: `Filler ${i}`, count: 100_000 - i }));
    const rare = { key: 'astrobiology', name: 'Astrobiology', count: 1 };
    const index = new TopicIndex([...many, rare]);
    expect(index.complete('astrobiolgy').map((s) => s.name)).not.toContain('Astrobiology');
    expect(index.suggest('astrobiolgy')).toEqual([]);
    expect(index.complete('astrobio').map((s) => s.name)).toEqual(['Astrobiology']);
    expect(index.resolve('astrobiology')?.name).toBe('Astrobiology');
  });
});
