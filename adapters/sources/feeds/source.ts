// One fetched and parsed feed as a source of articles for the core's `ingest`: its entries are the items.
import type { ArticleSource, SourceItem, SourceItemRecord, SourceProblem, SourceRead } from '../../../src/index.js';
import { entryKey, entryToArticle, feedItemHash, feedItemName, feedItemPrefix, type FeedInfo } from './articles.js';
import { FEED_LIMITS, type FeedEntry, type ParsedFeed } from './parse.js';

/** One entry on its way out: named, hashed, and either to be built or a duplicate of an earlier one. */
interface Slot {
  name: string;
  hash: string;
  entry: FeedEntry;
  /** Set for the second and later entries with one guid (or link, or the same content when they have neither). */
  duplicateOf?: { field: 'guid' | 'link'; key: string } | 'content';
}

/**
 * The entries of one parsed feed body, as the core reads a source: each entry an item named
 * `feed:<feedId>/<hash of its guid or link>`, unchanged when its content hash matches the one remembered.
 * `now` dates entries without a usable date. The feed's title and site fill in `info` where it has none.
 */
export class FeedBodySource implements ArticleSource {
  readonly kind = 'feed';
  readonly name: string;
  private readonly info: FeedInfo;
  private readonly prefix: string;

  constructor(
    info: FeedInfo,
    private readonly parsed: ParsedFeed,
    private readonly now: Date,
  ) {
    this.info = { ...info, siteUrl: info.siteUrl ?? parsed.siteUrl, feedTitle: info.feedTitle ?? parsed.title };
    this.name = info.feedUrl;
    this.prefix = feedItemPrefix(info.feedId);
  }

  /** Every item this feed ever named: the others are other sources' (a seed file, another feed). */
  owns(name: string): boolean {
    return name.startsWith(this.prefix);
  }

  async open(known: ReadonlyMap<string, SourceItemRecord>, options: { signal?: AbortSignal } = {}): Promise<SourceRead> {
    options.signal?.throwIfAborted();
    const slots = this.slots();
    const max = FEED_LIMITS.MAX_ITEMS;
    const problems: SourceProblem[] = this.parsed.truncated
      ? [{ name: this.prefix, reason: `the feed lists more than ${max} entries: only the first ${max} were read` }]
      : [];
    return new FeedRead(slots, problems, known, this.info, this.now, options.signal);
  }

  /** The entries in feed order, each with a name no other entry of the feed has. */
  private slots(): Slot[] {
    const seen = new Map<string, number>();
    return this.parsed.items.map((entry) => {
      const name = feedItemName(this.info.feedId, entry);
      const hash = feedItemHash(entry, this.info);
      const count = (seen.get(name) ?? 0) + 1;
      seen.set(name, count);
      if (count === 1) return { name, hash, entry };
      // Names must be unique within the source: later copies are told apart by their place among them.
      const key = entryKey(entry);
      const duplicateOf = key === undefined ? ('content' as const) : { field: entry.guid?.trim() ? ('guid' as const) : ('link' as const), key };
      return { name: `${name}#${count}`, hash, entry, duplicateOf };
    });
  }
}

class FeedRead implements SourceRead {
  readonly names: readonly string[];
  private closed = false;

  constructor(
    private readonly slots: readonly Slot[],
    readonly problems: readonly SourceProblem[],
    private readonly known: ReadonlyMap<string, SourceItemRecord>,
    private readonly info: FeedInfo,
    private readonly now: Date,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.names = slots.map((s) => s.name);
  }

  async *items(): AsyncGenerator<SourceItem> {
    for (const slot of this.slots) {
      if (this.closed) return;
      this.signal?.throwIfAborted();
      yield this.itemOf(slot);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private itemOf({ name, hash, entry, duplicateOf }: Slot): SourceItem {
    if (duplicateOf === 'content') {
      return { kind: 'rejected', name, contentHash: hash, reason: 'the same entry as an earlier one of the feed, which is kept' };
    }
    if (duplicateOf !== undefined) {
      const { field, key } = duplicateOf;
      const shown = key.length > 200 ? `${key.slice(0, 200)}…` : key;
      const reason = `duplicate ${field} ${JSON.stringify(shown)}: an earlier entry of the feed has it, and that one is kept`;
      return { kind: 'rejected', name, contentHash: hash, field, reason };
    }
    const record = this.known.get(name);
    if (record !== undefined && record.articleId !== null && record.contentHash === hash) return { kind: 'unchanged', name, contentHash: hash };
    const built = entryToArticle(entry, this.info, { now: this.now });
    if (!built.ok) return { kind: 'rejected', name, contentHash: hash, field: built.field, reason: built.reason };
    return { kind: 'parsed', name, contentHash: hash, article: built.article };
  }
}
