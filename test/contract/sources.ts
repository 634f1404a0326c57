import { describe, expect, it } from 'vitest';
import { openPerTest, type StorageFactory } from './fixtures.js';

/** The behaviour every SourceStateStore must have, run against one backend. */
export function runSourceStateStoreContract(name: string, factory: StorageFactory): void {
  describe(`SourceStateStore contract: ${name}`, () => {
    const open = openPerTest(factory);

    it('knows no source items at first', async () => {
      const { sources } = await open();
      expect((await sources.sourceItems()).size).toBe(0);
    });

    it('remembers source items for incremental ingest, the latest record of a source winning', async () => {
      const { sources } = await open();
      await sources.recordSourceItems([{ source: 'a.md', contentHash: 'h1', articleId: 'x' }]);
      await sources.recordSourceItems([
        { source: 'a.md', contentHash: 'h2', articleId: 'y' },
        { source: 'b.md', contentHash: 'h3', articleId: null },
      ]);
      const items = await sources.sourceItems();
      expect(items.get('a.md')).toEqual({ source: 'a.md', contentHash: 'h2', articleId: 'y' });
      expect(items.get('b.md')).toEqual({ source: 'b.md', contentHash: 'h3', articleId: null });
      expect(items.size).toBe(2);
    });

    it('hands out copies: changing the returned map leaves what is stored alone', async () => {
      const { sources } = await open();
      await sources.recordSourceItems([{ source: 'a.md', contentHash: 'h1', articleId: 'x' }]);
      const items = await sources.sourceItems();
      items.get('a.md')!.contentHash = 'tampered';
      items.delete('a.md');
      expect((await sources.sourceItems()).get('a.md')?.contentHash).toBe('h1');
    });
  });
}
