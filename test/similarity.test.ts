import { describe, expect, it } from 'vitest';
import { cachedTermFrequencies, cosine, denseScratch, sparseCosine, termFrequencies } from '../src/similarity.js';
import { TextIndex } from '../src/stories.js';

describe('cached term frequencies', () => {
  it('reads an article again when its title or excerpt changed', () => {
    const article = { title: 'Orbital Labs lands its Kestrel upper stage', excerpt: 'A first for reusable rockets.' };
    const first = cachedTermFrequencies(article);
    expect(cachedTermFrequencies(article)).toBe(first);
    article.title = 'Helios Herald buys a printing press';
    const changed = cachedTermFrequencies(article);
    expect(changed).toEqual(termFrequencies(article.title, article.excerpt));
    expect(changed.has('kestrel')).toBe(false);
    article.excerpt = 'The press prints the Sunday edition.';
    expect(cachedTermFrequencies(article)).toEqual(termFrequencies(article.title, article.excerpt));
  });

  it('gives a new index the changed text of a cached article', () => {
    const a = { title: 'Acme opens a battery plant in Ohio', excerpt: 'The plant will employ 900 people.' };
    const b = { title: 'Acme battery plant opens in Ohio', excerpt: 'Ohio welcomes the Acme plant.' };
    const before = new TextIndex([a, b]);
    expect(cosine(before.vector(a), before.vector(b))).toBeGreaterThan(0.3);
    a.title = 'Museum returns bronze statues';
    a.excerpt = 'The handover ends a long dispute.';
    const after = new TextIndex([a, b]);
    expect(cosine(after.vector(a), after.vector(b))).toBe(0);
  });
});

describe('sparse cosine', () => {
  it('equals the Map cosine bit for bit', () => {
    const texts = [
      ['EU opens first AI Act audit of a general-purpose model', 'The AI Office asked for training-data summaries within 30 days.'],
      ['AI Office starts audit of general-purpose model under the AI Act', 'Regulators want red-teaming reports and data summaries.'],
      ['Chipmaker posts record revenue', 'Accelerator sales doubled.'],
    ];
    const docs = texts.map(([title, excerpt]) => ({ title: title!, excerpt: excerpt! }));
    const index = new TextIndex(docs);
    const scratch = denseScratch(index.vocabulary.size + 64);
    for (const x of docs) {
      for (const y of docs) {
        expect(Object.is(sparseCosine(index.sparse(x), index.sparse(y), scratch), cosine(index.vector(x), index.vector(y)))).toBe(true);
      }
    }
  });
});
