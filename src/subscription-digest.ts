import type { Newsbrief } from './app.js';
import { buildDigest } from './digest.js';
import { compileFilters } from './filters.js';
import type { Subscription } from './model.js';
import type { Digest } from './types.js';

/** A subscription's first digest holds articles published at most this many hours before it. */
export const FIRST_LOOKBACK_HOURS = 36;

/** What scheduled digests are built with besides the subscription's own settings. */
export interface ScheduledDigestSettings {
  /** Stories per digest for a subscription without its own count. */
  count: number;
  /** How far back a subscription's first digest looks, in hours. */
  firstLookbackHours: number;
}

/**
 * The digest a subscription gets for `slot`: its topic key (never re-resolved: a vanished topic must not
 * become another), its count and filters, only articles published after the previous delivery that went out
 * or found nothing new (its slot; the first digest looks back `firstLookbackHours`), and never one already
 * sent to the chat. Nothing there makes an empty digest, not the latest old stories. The scheduler sends it;
 * /preview shows it for the next slot.
 */
export async function buildSubscriptionDigest(
  app: Newsbrief,
  sub: Subscription,
  options: { slot: string; now: Date; settings: ScheduledDigestSettings },
): Promise<{ ok: true; digest: Digest; since: Date } | { ok: false; reason: string }> {
  const { storage } = app;
  const matched = await storage.articles.topicMatchCount(sub.topicKey);
  if (matched === 0) return { ok: false, reason: `unknown-topic: "${sub.topic}" has no articles any more` };
  const previous = await storage.deliveries.lastDeliveredSlot(sub.id, options.slot);
  const since =
    previous !== undefined ? new Date(previous) : new Date(options.now.getTime() - options.settings.firstLookbackHours * 3_600_000);
  await app.ready();
  const digest = await buildDigest(storage.articles, { key: sub.topicKey, name: sub.topic, count: matched }, {
    ...app.digestSettings,
    now: options.now,
    count: sub.count ?? options.settings.count,
    excludeIds: await storage.deliveries.sentArticleIds(sub.target),
    since,
    filters: compileFilters(sub.filters),
  });
  return { ok: true, digest, since };
}
