// The seed folder source: front-matter files on disk → articles, through the core's `ingest`.
import { ingest, type IngestOptions, type IngestReport, type Storage } from '../../../src/index.js';
import { seedFolderSource, type SeedFolderOptions } from './source.js';

export { seedFolderSource, DEFAULT_MAX_FILE_BYTES, DEFAULT_PARSE_TIME_LIMIT_MS, MAIN_THREAD_MAX_BYTES, WORKER_THRESHOLD } from './source.js';
export type { SeedFolderOptions } from './source.js';
export { parseSeedFile } from './parse.js';
export type { ParseResult } from './parse.js';
export { isBlankBlock } from './yaml.js';
export { RejectionMemory } from './rejection-memory.js';

export interface IngestSeedFolderOptions extends IngestOptions, SeedFolderOptions {}

/**
 * Reads every seed file (`.md`, `.txt`, any depth) under `dir` into storage, incrementally: files whose
 * bytes are unchanged since the last run are skipped, so re-ingesting an unchanged folder writes nothing.
 * Bad files become rejections in the report; only a missing folder (or one over `maxFiles`) throws.
 */
export function ingestSeedFolder(dir: string, storage: Storage, options: IngestSeedFolderOptions = {}): Promise<IngestReport> {
  return ingest(seedFolderSource(dir, options), storage, options);
}
