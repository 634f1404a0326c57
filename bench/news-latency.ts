// How the storage benches time /news, shared so that figures from different backends mean the same thing:
// the same first call, topic mix, excluded ids, warm-up and percentiles whatever the storage behind them.
import { Newsbrief } from '../src/app.js';
import type { Storage, TopicCount } from '../src/index.js';
import { CORPUS_END, Rng } from './corpus.js';
import { percentile } from './report.js';

export interface LatencySummary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface NewsLatencyOptions {
  /** Timed queries per kind (ad-hoc /news, and digests with the topic's 50 best ids excluded). */
  queries: number;
  /** Untimed queries of each kind first. */
  warmup: number;
  seed: number;
}

export interface NewsLatency {
  topics: number;
  /** Building the topic index right after opening: the stored topic counts read into a TopicIndex. */
  topicIndexMs: number;
  /** First /news after opening, the topic index build included: nothing parsed or grouped yet. */
  coldMs: number;
  news: LatencySummary;
  excluding: LatencySummary;
  /** The topic with the most articles, queried alone (with the sent ids excluded): the worst case. */
  biggest: LatencySummary & { topic: string; articles: number };
}

/** What a timing run leaves for follow-up measurements (not part of the printed result). */
export interface NewsWorkload {
  topics: TopicCount[];
  /** Topic name → the ids a daily subscriber has already been sent (the topic's 50 best). */
  sent: Map<string, Set<string>>;
}

/**
 * Times `app.news` on a storage just opened: the first call (`AI`), the topic index alone on a second app,
 * then after `warmup` untimed calls of each kind, `queries` calls with 5 items over every topic (display
 * names and lower-case spellings, picked at random), as many with the topic's 50 best ids excluded, and a
 * quarter as many on the biggest topic alone. The clock is fixed at the corpus's end.
 */
export async function measureNews(storage: Storage, options: NewsLatencyOptions): Promise<NewsLatency & { workload: NewsWorkload }> {
  const app = new Newsbrief({ storage, clock: () => CORPUS_END });
  const rng = new Rng(options.seed);

  const coldStart = process.hrtime.bigint();
  const cold = await app.news('AI');
  const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
  if (!cold.ok) throw new Error(`serve: /news AI failed: ${cold.code}`);
  // The topic index alone, as the first request after open builds it (a second app over the same store).
  const indexStart = process.hrtime.bigint();
  await new Newsbrief({ storage, clock: () => CORPUS_END }).listTopics();
  const topicIndexMs = Number(process.hrtime.bigint() - indexStart) / 1e6;

  const topics = await app.listTopics();
  // What people type: the display name, or a lower-case one.
  const spellings = topics.flatMap((t) => [t.name, t.name.toLowerCase()]);
  // A daily subscriber has already been sent the best articles of the topic: those are the ones excluded.
  const sent = new Map<string, Set<string>>();
  for (const t of topics) {
    sent.set(t.name, new Set((await storage.articles.candidates({ topicKeys: [t.key], limit: 50 })).map((c) => c.article.id)));
  }

  const run = async (count: number, exclude: boolean, only?: string): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const topic = only ?? rng.pick(spellings);
      const excludeIds = exclude ? sent.get(topics.find((t) => t.name.toLowerCase() === topic.toLowerCase())!.name) : undefined;
      const start = process.hrtime.bigint();
      const result = await app.news(topic, { count: 5, excludeIds });
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (!result.ok || result.digest.items.length === 0) throw new Error(`serve: /news ${topic} gave no digest`);
    }
    return samples;
  };
  await run(options.warmup, false);
  await run(options.warmup, true);
  const news = await run(options.queries, false);
  const excluding = await run(options.queries, true);
  const top = topics[0]!;
  const biggest = { ...summarize(await run(Math.ceil(options.queries / 4), true, top.name)), topic: top.name, articles: top.count };
  return {
    topics: topics.length,
    topicIndexMs,
    coldMs,
    news: summarize(news),
    excluding: summarize(excluding),
    biggest,
    workload: { topics, sent },
  };
}

export function summarize(samples: readonly number[]): LatencySummary {
  return {
    samples: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
  };
}
