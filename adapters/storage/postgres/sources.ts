import type { SourceItemRecord, SourceStateStore } from '../../../src/index.js';
import type { PostgresDatabase } from './database.js';

/** Rows per statement when recording source items: keeps each statement's parameters a few MB at most. */
const CHUNK = 5000;

export class PostgresSourceState implements SourceStateStore {
  constructor(private readonly db: PostgresDatabase) {}

  async sourceItems(): Promise<Map<string, SourceItemRecord>> {
    this.db.use('sources.sourceItems');
    const { rows } = await this.db.query<{ source: string; content_hash: string; article_id: string | null }>(
      'SELECT source, content_hash, article_id FROM seed_files',
    );
    return new Map(rows.map((r) => [r.source, { source: r.source, contentHash: r.content_hash, articleId: r.article_id }]));
  }

  async recordSourceItems(records: readonly SourceItemRecord[]): Promise<void> {
    // The latest record of a source wins; one statement may not update a row twice.
    const latest = [...new Map(records.map((r) => [r.source, r])).values()];
    await this.db.transaction('sources.recordSourceItems', async (c) => {
      for (let at = 0; at < latest.length; at += CHUNK) {
        const part = latest.slice(at, at + CHUNK);
        await c.query(
          `INSERT INTO seed_files (source, content_hash, article_id)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
           ON CONFLICT (source) DO UPDATE SET content_hash = excluded.content_hash, article_id = excluded.article_id`,
          [part.map((r) => r.source), part.map((r) => r.contentHash), part.map((r) => r.articleId)],
        );
      }
    });
  }
}
