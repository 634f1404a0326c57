import { describe, expect, it } from 'vitest';
import { editDistance, normalizeTopic, TopicAliasTable, TopicIndex } from '../src/topics.js';

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

  it('resolves an unambiguous prefix of three or more letters', () => {
    const index = new TopicIndex(counts);
    expect(index.resolve('quant')?.name).toBe('Quantum Computing');
    expect(index.resolve('co')).toBeUndefined();
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
});
