import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { runStorageContracts } from './contract/index.js';

runStorageContracts('memory', async () => createMemoryStorage());

describe('memory storage', () => {
  it('names the call that came after close()', async () => {
    const storage = createMemoryStorage();
    await storage.close();
    await expect(storage.articles.candidates({ topicKeys: ['ai'], limit: 1 })).rejects.toThrow(
      'memory storage is closed: articles.candidates was called after close()',
    );
    await expect(storage.checkIntact()).rejects.toThrow('checkIntact was called after close()');
  });
});
