import { type SourceItemRecord, type SourceStateStore } from '../../../src/index.js';
import type { MemoryDatabase } from './database.js';

/** What ingest remembers about source items, in memory. */
export class MemorySourceStateStore implements SourceStateStore {
  constructor(private readonly db: MemoryDatabase) {}

  async sourceItems(): Promise<Map<string, SourceItemRecord>> {
    const items = this.db.use('sources.sourceItems').sourceItems;
    return new Map([...items].map(([source, record]) => [source, { ...record }]));
  }

  async recordSourceItems(records: readonly SourceItemRecord[]): Promise<void> {
    const items = this.db.use('sources.recordSourceItems').sourceItems;
    for (const { source, contentHash, articleId } of records) items.set(source, { source, contentHash, articleId });
  }
}
