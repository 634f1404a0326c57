/**
 * `newsbrief sources import FILE.opml`: which outlines of a read OPML file become feeds, which update stored ones,
 * and which are skipped and why (planImport, pure), then the writes (applyImport).
 */
import { normalizeTopic, type FeedRecord, type FeedStore, type NewFeed } from '../src/index.js';
import { checkFeedUrl } from '../adapters/sources/feeds/fetch-url.js';
import type { OpmlFeed, OpmlNonFeed } from '../adapters/sources/feeds/opml.js';
import { FEED_SETTINGS, usableTopics } from './feed-settings.js';

export interface ImportOptions {
  /** --topic: every imported feed gets these instead of what the file says. */
  topics: string[] | null;
  /** --quality: every imported feed gets it instead of what the file says. */
  quality: number | null;
  allowPrivate: boolean;
}

export type SkipKind = 'not a feed' | 'bad URL' | 'private address' | 'duplicate in file' | 'no topic';

export interface Skipped {
  label: string;
  kind: SkipKind;
  reason: string;
}

export interface PlannedFeed {
  label: string;
  feed: NewFeed;
  /** The stored feed it updates. */
  existing?: FeedRecord;
  /** Commented out in the file: a new feed is added disabled. */
  commented: boolean;
}

export interface ImportPlan {
  add: PlannedFeed[];
  update: PlannedFeed[];
  unchanged: PlannedFeed[];
  skipped: Skipped[];
}

/** Why a feed that is commented out in the file is stored disabled. */
export const COMMENTED_REASON = 'commented out in the imported OPML';

/**
 * Decides, outline by outline, what an import does. A feed's topics are the --topic values when given, else
 * its category entries and its folder's name; a new feed without any is skipped, a stored one keeps its
 * topics. What the file does not say (name, quality) a stored feed keeps. A URL met again in the file is
 * skipped as a duplicate, and the topics it had join the first one's (a reader lists a feed once per folder).
 */
export function planImport(
  read: { feeds: readonly OpmlFeed[]; nonFeeds: readonly OpmlNonFeed[] },
  stored: readonly FeedRecord[],
  options: ImportOptions,
): ImportPlan {
  const byUrl = new Map(stored.map((feed) => [feed.url, feed]));
  const plan: ImportPlan = { add: [], update: [], unchanged: [], skipped: [] };
  /** First outline of each URL in the file, with the topic names gathered for it so far. */
  const seen = new Map<string, { outline: OpmlFeed; topics: string[] }>();
  const order: string[] = [];

  for (const outline of read.feeds) {
    const syntax = checkFeedUrl(outline.xmlUrl, { allowPrivate: true });
    if (!syntax.ok) {
      plan.skipped.push({ label: outline.label, kind: 'bad URL', reason: `bad URL: ${syntax.reason}` });
      continue;
    }
    const policy = checkFeedUrl(outline.xmlUrl, { allowPrivate: options.allowPrivate });
    if (!policy.ok) {
      plan.skipped.push({ label: outline.label, kind: 'private address', reason: `${policy.reason}; FEEDS_ALLOW_PRIVATE=on allows it` });
      continue;
    }
    const url = syntax.url;
    const first = seen.get(url);
    if (first) {
      const before = new Set(first.topics.map(normalizeTopic));
      const added = options.topics === null ? outline.topics.filter((t) => !before.has(normalizeTopic(t))) : [];
      first.topics.push(...added);
      const joined = usableTopics(added);
      plan.skipped.push({
        label: outline.label,
        kind: 'duplicate in file',
        reason: `duplicate in file: the same feed as ${first.outline.label}${joined.length > 0 ? `; its topics ${joined.join(', ')} join that one's` : ''}`,
      });
      continue;
    }
    seen.set(url, { outline, topics: [...outline.topics] });
    order.push(url);
  }

  for (const url of order) {
    const { outline, topics: named } = seen.get(url)!;
    const existing = byUrl.get(url);
    const topics = options.topics ?? usableTopics(named);
    if (topics.length === 0 && !existing) {
      plan.skipped.push({
        label: outline.label,
        kind: 'no topic',
        reason: 'no topic: give --topic, or put the outline in a folder or give it a category',
      });
      continue;
    }
    const feed: NewFeed = {
      url,
      name: outline.name ?? existing?.name ?? null,
      topics: topics.length > 0 ? topics : existing!.topics,
      quality: options.quality ?? outline.quality ?? existing?.quality ?? FEED_SETTINGS.DEFAULT_QUALITY,
    };
    const planned: PlannedFeed = { label: outline.label, feed, commented: outline.commented, ...(existing ? { existing } : {}) };
    if (!existing) plan.add.push(planned);
    else if (sameSettings(existing, feed)) plan.unchanged.push(planned);
    else plan.update.push(planned);
  }

  for (const outline of read.nonFeeds) plan.skipped.push({ label: outline.label, kind: 'not a feed', reason: outline.reason });
  return plan;
}

/** Stores the plan: adds (commented-out ones disabled), then updates. `onProgress` hears every write. */
export async function applyImport(plan: ImportPlan, feeds: FeedStore, now: Date, onProgress?: (done: number, total: number) => void): Promise<void> {
  const writes = [...plan.add, ...plan.update];
  let done = 0;
  for (const planned of writes) {
    const { feed, created } = await feeds.addFeed(planned.feed, now);
    if (created && planned.commented) await feeds.disableFeed(feed.id, COMMENTED_REASON);
    onProgress?.(++done, writes.length);
  }
}

function sameSettings(stored: FeedRecord, feed: NewFeed): boolean {
  return (
    stored.name === feed.name &&
    stored.quality === feed.quality &&
    stored.topics.length === feed.topics.length &&
    stored.topics.every((topic, i) => topic === feed.topics[i])
  );
}
