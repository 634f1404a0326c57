/**
 * What every backend's FeedStore does alike, kept in one place so that SQLite, Postgres and memory word
 * and refuse the same way (the contract suite in test/contract/feeds.ts holds them to it).
 */

/**
 * `lastStatus` when a feed redirected permanently to a URL another feed already has: the feed keeps its
 * URL, and `newsbrief sources list` shows the operator the duplicate to remove.
 */
export function redirectRefusedStatus(status: string, url: string, ownerId: number, kept: string): string {
  return `${status}; moved permanently to ${url}, which feed ${ownerId} already has: kept ${kept}`;
}

/** A claim whose lease ends at or before `now` would not keep other pollers off the feed: a caller's mistake. */
export function checkLease(now: Date, leaseUntil: Date): void {
  if (!(leaseUntil.getTime() > now.getTime())) {
    throw new RangeError(`feeds.claimDueFeeds: leaseUntil (${leaseUntil.toISOString()}) must be after now (${now.toISOString()})`);
  }
}
