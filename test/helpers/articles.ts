import { createHash } from 'node:crypto';
import { dailyAt, NO_FILTERS, type Article, type RelatedArticle, type Subscription, type Target } from '../../src/model.js';
import type { SubscriptionView } from '../../src/types.js';

let counter = 0;

/** A complete, valid Article with a unique URL; override any field. */
export function makeArticle(overrides: Partial<Article> = {}): Article {
  counter++;
  const url = overrides.url ?? `https://news${counter % 7}.example.com/story-${counter}`;
  const id = overrides.id ?? createHash('sha256').update(url).digest('hex').slice(0, 16);
  return {
    id,
    url,
    title: `Story number ${counter}`,
    excerpt: `A short excerpt for story ${counter}.`,
    publishedAt: '2026-11-25T08:00:00.000Z',
    updatedAt: null,
    type: 'article',
    quality: 60,
    heat: 10,
    published: true,
    removed: false,
    provider: { name: `Outlet ${counter % 7}`, domain: `news${counter % 7}.example.com` },
    topics: ['AI'],
    images: [],
    related: [],
    extra: {},
    source: `test/${id}.md`,
    contentHash: createHash('sha256').update(`${url}:${counter}`).digest('hex'),
    ...overrides,
  };
}

/** A related-coverage entry with a unique URL; override any field. */
export function makeRelated(overrides: Partial<RelatedArticle> = {}): RelatedArticle {
  counter++;
  return {
    title: `Related coverage ${counter}`,
    excerpt: '',
    url: `https://related${counter % 5}.example.org/r-${counter}`,
    publishedAt: '2026-11-24T10:00:00.000Z',
    provider: { name: `Related ${counter % 5}`, domain: `related${counter % 5}.example.org` },
    quality: 50,
    ...overrides,
  };
}

/** A subscription as /subscriptions shows it: 08:00 Europe/Kyiv, next delivery on 27 Nov. */
export function makeSubscriptionView(
  topic: string,
  options: { active?: boolean; platform?: Target['platform']; subscription?: Partial<Subscription> } = {},
): SubscriptionView {
  return {
    subscription: {
      id: 1,
      target: { platform: options.platform ?? 'telegram', chatId: '1' },
      topic,
      topicKey: topic.toLowerCase(),
      time: '08:00',
      timezone: 'Europe/Kyiv',
      ownZone: false,
      schedule: dailyAt('08:00'),
      count: null,
      filters: { ...NO_FILTERS },
      paused: false,
      active: options.active ?? true,
      nextDueAt: '2026-11-27T06:00:00.000Z',
      createdAt: '2026-11-26T06:00:00.000Z',
      ...options.subscription,
    },
    nextDelivery: '2026-11-27T06:00:00.000Z',
    nextDeliveryLocal: 'Fri 27 Nov, 08:00 (Europe/Kyiv)',
  };
}

const words = (seed: string, n: number) => Array.from({ length: n }, (_, k) => `${seed}x${k}`).join(' ');

/**
 * Ten stories with long titles, excerpts and related links: a digest of them takes several messages on either
 * platform. Each related title reuses its story's title words, so the links count as relevant and are shown.
 */
export function longArticles(overrides: Partial<Article> = {}): Article[] {
  return Array.from({ length: 10 }, (_, i) =>
    makeArticle({
      title: `Long ${i} ${words(`t${i}`, 40)}`,
      excerpt: words(`e${i}`, 400),
      topics: ['AI'],
      quality: 90 - i,
      related: Array.from({ length: 3 }, (_, j) =>
        makeRelated({
          title: `${words(`t${i}`, 20)} ${words(`r${i}y${j}`, 10)}`,
          url: `https://r${j}.site${i}.example.org/${j}`,
          provider: { name: `Site ${i}.${j}`, domain: `r${j}.site${i}.example.org` },
        }),
      ),
      ...overrides,
    }),
  );
}
