/**
 * The port articles come in through: a seed folder (adapters/sources/seed-folder) or a feed body
 * (adapters/sources/feeds). A source lists its items, reads and parses them, and says which are unchanged
 * since the content hashes the core remembers; the core (`ingest`) decides which copy of an article is
 * kept, what is stored and what is reported. Formats, files, hashing and threads stay in the adapter.
 */
import type { Article } from './model.js';
import type { SourceItemRecord } from './ports.js';

/** Something an accepted item had left out, e.g. an oversized unknown field. */
export interface FieldWarning {
  /** The field, dotted (`related.3.quality`). */
  field: string;
  reason: string;
}

/**
 * One item of a source, once its outcome is known. `name` is unique and stable within the source (a seed
 * file's path relative to the folder, a feed entry's id); `contentHash` identifies its content exactly.
 */
export type SourceItem =
  | {
      kind: 'parsed';
      name: string;
      contentHash: string;
      /** Its `source` is `name` and its `contentHash` is the item's. */
      article: Article;
      warnings?: readonly FieldWarning[];
    }
  | {
      kind: 'rejected';
      name: string;
      /** Absent when the content could not be read at all; then nothing is remembered about the item. */
      contentHash?: string;
      /** The field at fault, dotted, when one is. */
      field?: string;
      reason: string;
    }
  | {
      /** Hashes to its known record, which holds an article: not parsed (see `SourceRead.items`). */
      kind: 'unchanged';
      name: string;
      contentHash: string;
    };

/** A part of a source that could not be listed (a folder it cannot read): reported, not thrown. */
export interface SourceProblem {
  /** Names the part as items are named; a folder ends in a slash. */
  name: string;
  reason: string;
}

/** One pass over a source, from `ArticleSource.open`. Always `close()` it. */
export interface SourceRead {
  /**
   * Every item present now, in the order `items()` yields them. The core needs the whole list before the
   * first item: an item's claim on an article may depend on an item later in this order.
   */
  readonly names: readonly string[];
  readonly problems: readonly SourceProblem[];
  /**
   * Parts the source saw and left out on purpose, so the user can tell why they are missing (a seed folder's
   * symbolic links, which it never follows), named as items are; not items, not rejections.
   */
  readonly skipped?: readonly SourceProblem[];
  /**
   * Each listed item exactly once, in `names` order. An item whose content hashes to its known record's
   * `contentHash`, where that record holds an article (`articleId` not null), may come `unchanged`,
   * unparsed; any other item comes parsed or rejected. Call it once.
   */
  items(): AsyncIterable<SourceItem>;
  /** Releases what the pass holds (worker threads, a connection); items not yet yielded never come. */
  close(): Promise<void>;
}

/** A source of articles, read whole on every ingest; only items that changed are parsed. */
export interface ArticleSource {
  /** What kind of source, for logs: 'seed-folder', 'feed'. */
  readonly kind: string;
  /** Which one, for logs: a folder's absolute path, a feed's URL. */
  readonly name: string;
  /**
   * Whether a remembered item name (a key of `known`) is this source's, listed now or not: every source's
   * items share one memory. A remembered item of this source that is not listed now is gone; one of another
   * source still holds its article, so an item of this source carrying the same article replaces that copy
   * only when it is the better one (`compareCopies`). Without it every name counts as this source's, and a
   * copy another source stored is simply replaced.
   */
  owns?(name: string): boolean;
  /**
   * Lists the items present now. `known` is what the core remembers of each item from earlier runs, by
   * name. Throws only when the source as a whole cannot be read (a missing folder); an aborted `signal`
   * stops the pass.
   */
  open(known: ReadonlyMap<string, SourceItemRecord>, options?: { signal?: AbortSignal }): Promise<SourceRead>;
}
