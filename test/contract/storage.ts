import { describe, expect, it } from 'vitest';
import { chat, openPerTest, type StorageFactory } from './fixtures.js';

/** What every Storage as a whole must do: report itself intact while open, refuse work once closed. */
export function runStorageLifecycleContract(name: string, factory: StorageFactory): void {
  describe(`Storage lifecycle contract: ${name}`, () => {
    const open = openPerTest(factory);

    it('is intact while open', async () => {
      const storage = await open();
      await expect(storage.checkIntact()).resolves.toBeUndefined();
    });

    it('rejects calls on every store after close, and closes twice without complaint', async () => {
      const storage = await open();
      await storage.close();
      await expect(storage.close()).resolves.toBeUndefined();
      await expect(storage.articles.getArticle('x')).rejects.toThrow(Error);
      await expect(storage.articles.upsertArticles([])).rejects.toThrow(Error);
      await expect(storage.subscriptions.listSubscriptions(chat)).rejects.toThrow(Error);
      await expect(storage.deliveries.getDelivery(1, 'slot')).rejects.toThrow(Error);
      await expect(storage.sources.sourceItems()).rejects.toThrow(Error);
      await expect(storage.feeds.listFeeds()).rejects.toThrow(Error);
      await expect(storage.feeds.claimDueFeeds(new Date(0), new Date(1), 1)).rejects.toThrow(Error);
    });
  });
}
