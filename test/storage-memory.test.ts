import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { runStorageContracts } from './contract/index.js';
import { entry } from './contract/fixtures.js';
import { makeArticle } from './helpers/articles.js';

runStorageContracts('memory', async () => createMemoryStorage());

describe('memory storage', () => {
  it('hands out a fresh copy of each candidate, which the contract leaves open', async () => {
    const storage = createMemoryStorage();
    await storage.articles.upsertArticles([{ article: makeArticle({ topics: ['AI'] }), topics: [entry('ai')] }]);
    const [first] = await storage.articles.candidates({ topicKeys: ['ai'], limit: 1 });
    first!.article.topics.push('Tampered');
    const [again] = await storage.articles.candidates({ topicKeys: ['ai'], limit: 1 });
    expect(again!.article.topics).toEqual(['AI']);
    await storage.close();
  });

  it('names the call that came after close()', async () => {
    const storage = createMemoryStorage();
    await storage.close();
    await expect(storage.articles.candidates({ topicKeys: ['ai'], limit: 1 })).rejects.toThrow(
      'memory storage is closed: articles.candidates was called after close()',
    );
    await expect(storage.checkIntact()).rejects.toThrow('checkIntact was called after close()');
  });
});
