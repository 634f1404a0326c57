import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createDiscordBot } from '../adapters/discord/index.js';
import { createTelegramBot } from '../adapters/telegram/index.js';
import { Newsbrief, indexArticles } from '../src/index.js';
import { silentLogger } from '../src/logger.js';
import type { Article, Target } from '../src/model.js';
import type { Deliverer, Storage } from '../src/index.js';
import { DigestScheduler, type TickReport } from '../src/schedule.js';
import { openSqliteStorage, type SqliteStorage } from '../adapters/storage/sqlite/index.js';
import { CORPUS_END, generateCorpus, Rng, toArticle } from './corpus.js';
import { startFakes } from './fakes-process.js';
import type { Delivered } from './rate-window.js';
import { fmtMs, type Results } from './report.js';

export interface FanoutBenchOptions {
  /** Subscribers, split evenly between Telegram and Discord, each in its own chat or channel. */
  subscribers: number;
  /** Articles in the store the digests are built from. */
  articles?: number;
  /**
   * Settings other than the shipped defaults, to show what a proposed change would achieve. Figures of
   * such a run are labelled and not judged against the targets.
   */
  tuned?: FanoutTuning;
}

/** Deployment settings a tuned run changes; see docs/benchmarks.md for why. */
export interface FanoutTuning {
  /** Parallel sends per platform (DigestScheduler `concurrency`). */
  concurrency: number;
  /** Discord adapter `postsPerSecond`. */
  discordPostsPerSecond: number;
  /** Telegram adapter `pacing`: overall at most `globalMax` messages per `globalWindowMs`. */
  telegramGlobalMax: number;
  telegramGlobalWindowMs: number;
  /** One DigestScheduler per platform, so neither waits for the other at the end of each page. */
  schedulerPerPlatform: boolean;
}

/** The shipped settings, spelled out: the base that `--tuning '{…}'` experiments change. */
export const PROPOSED_TUNING: FanoutTuning = {
  concurrency: 16,
  discordPostsPerSecond: 46,
  // One message per 34 ms: evenly spaced at 29.4/s instead of bursts of 30 per second.
  telegramGlobalMax: 1,
  telegramGlobalWindowMs: 34,
  schedulerPerPlatform: true,
};

const TELEGRAM_TOKEN = '123456:bench-token';
const DISCORD_TOKEN = 'bench.discord.token';
const SHARE_TARGET = 0.9;
/** The limits the fakes enforce (their defaults): Telegram 30 messages/s overall, Discord 50 requests/s. */
const TELEGRAM_LIMIT = 30;
const DISCORD_LIMIT = 50;
/**
 * One scheduler tick delivering every subscriber's digest through the real Telegram and Discord adapters
 * (grammY with its pacing and auto-retry; discord.js REST with the adapter's pacer) against loopback
 * servers that enforce the platforms' rate limits and answer 429 past them. Counts per chat what
 * arrived, to find lost and duplicated digests.
 */
export async function fanoutBench(results: Results, options: FanoutBenchOptions): Promise<void> {
  const tuned = options.tuned;
  const section = tuned ? 'fan-out (tuned)' : 'fan-out';
  const dir = mkdtempSync(path.join(tmpdir(), 'newsbrief-bench-fanout-'));
  const store = openSqliteStorage(path.join(dir, 'fanout.db'));
  // Undone in reverse order whatever happens: bots first, then the fakes' process.
  const stops: (() => Promise<void>)[] = [];
  try {
    const fakes = await startFakes();
    stops.unshift(() => fakes.stop());
    // A morning slot: due half a minute ago, well inside the grace window.
    const slot = new Date(CORPUS_END.getTime() + 8 * 3_600_000);
    const now = new Date(slot.getTime() + 30_000);
    const app = new Newsbrief({ storage: store, clock: () => now });
    const telegram = createTelegramBot({
      token: TELEGRAM_TOKEN,
      apiRoot: fakes.telegram,
      app,
      logger: silentLogger,
      ...(tuned ? { pacing: { globalMax: tuned.telegramGlobalMax, globalWindowMs: tuned.telegramGlobalWindowMs } } : {}),
    });
    stops.unshift(() => telegram.stop());
    const discord = createDiscordBot({
      token: DISCORD_TOKEN,
      apiBase: fakes.discord,
      app,
      logger: silentLogger,
      ...(tuned ? { postsPerSecond: tuned.discordPostsPerSecond } : {}),
    });
    stops.unshift(() => discord.stop());
    // Scheduled posts need only the REST client, which login would give the token to; no gateway session.
    discord.client.rest.setToken(DISCORD_TOKEN);

    await fillStore(store, options.articles ?? 5000);
    app.refreshTopics();
    const subs = await subscribe(store, app, options.subscribers, slot.toISOString());
    const schedulerFor = (deliverers: Deliverer[]) =>
      new DigestScheduler({
        app,
        deliverers,
        clock: () => now,
        logger: silentLogger,
        // The fan-out is measured, not freshness: every subscriber's first digest reaches back over the whole
        // generated corpus, so none comes out empty (a small corpus has few articles in any 36 h).
        firstLookbackHours: 24 * 365,
        ...(tuned ? { concurrency: tuned.concurrency } : {}),
      });
    const schedulers = tuned?.schedulerPerPlatform
      ? [schedulerFor([telegram.deliverer]), schedulerFor([discord.deliverer])]
      : [schedulerFor([telegram.deliverer, discord.deliverer])];

    // How late the bot's event loop ran: a paced send goes out that much after its slot.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const started = process.hrtime.bigint();
    const tick = sumReports(await Promise.all(schedulers.map((s) => s.tick())));
    const tickMs = Number(process.hrtime.bigint() - started) / 1e6;
    lag.disable();
    results.add({
      section,
      name: `one tick, ${options.subscribers} subscribers (half Telegram, half Discord)`,
      value: fmtMs(tickMs),
      note: `sent ${tick.sent}, empty ${tick.empty}, failed ${tick.failed}; event-loop delay p99 ${fmtMs(lag.percentile(99) / 1e6)}`,
    });

    const report = await fakes.report();
    for (const [platform, fake, limit] of [
      ['Telegram', report.telegram, TELEGRAM_LIMIT],
      ['Discord', report.discord, DISCORD_LIMIT],
    ] as const) {
      const rate = fake.shareOfLimit(limit, 1000);
      const judge = (target: string, pass: boolean) => (tuned ? {} : { target, pass });
      results.add({
        section,
        name: `${platform}: achieved rate ÷ limit (${limit}/s)`,
        value: `${(rate.share * 100).toFixed(1)} %`,
        ...judge('≥ 90 %', rate.share >= SHARE_TARGET),
        note: `${rate.messages} messages in ${fmtMs(rate.spanMs)}, ${rate.perSecond.toFixed(1)}/s`,
      });
      const key = platform.toLowerCase() as Target['platform'];
      const { lost, duplicated } = await audit(store, subs.filter((s) => s.target.platform === key), slot.toISOString(), fake);
      results.add({ section, name: `${platform}: 429 answers`, value: String(fake.rateLimited) });
      results.add({ section, name: `${platform}: lost digests`, value: String(lost), ...judge('0', lost === 0) });
      results.add({ section, name: `${platform}: duplicated messages`, value: String(duplicated), ...judge('0', duplicated === 0) });
    }
    if (report.discordNonceRepeats > 0) console.log(`  Discord posts answered from an earlier nonce: ${report.discordNonceRepeats}`);
  } finally {
    for (const stop of stops) await stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reports of schedulers that each saw every due subscription but handled only their own platform's. */
function sumReports(reports: TickReport[]): TickReport {
  const sum: TickReport = { due: 0, sent: 0, empty: 0, skipped: 0, failed: 0, deactivated: 0, resumed: 0, deferred: 0 };
  for (const r of reports) for (const key of Object.keys(sum) as (keyof TickReport)[]) sum[key] += r[key];
  return sum;
}

/** Fills a store with the generated corpus (shared with the multi-instance bench). */
export async function fillStore(store: Storage, size: number): Promise<void> {
  let batch: Article[] = [];
  for (const seed of generateCorpus({ size, seed: 3 })) {
    batch.push(toArticle(seed));
    if (batch.length === 2000) {
      await store.articles.upsertArticles(indexArticles(batch));
      batch = [];
    }
  }
  await store.articles.upsertArticles(indexArticles(batch));
}

export interface BenchSubscription {
  id: number;
  target: Target;
}

/** One subscription per chat, on topics drawn at random, all due at `slot`. */
export async function subscribe(store: Storage, app: Newsbrief, count: number, slot: string): Promise<BenchSubscription[]> {
  const rng = new Rng(5);
  const topics = await app.listTopics();
  const subs: BenchSubscription[] = [];
  for (let i = 0; i < count; i++) {
    const target: Target =
      i % 2 === 0
        ? { platform: 'telegram', chatId: String(100_000 + i) }
        : { platform: 'discord', chatId: `9${String(i).padStart(17, '0')}` };
    const topic = rng.pick(topics);
    const { subscription } = await store.subscriptions.upsertSubscription({
      target,
      topic: topic.name,
      topicKey: topic.key,
      time: slot.slice(11, 16),
      timezone: 'UTC',
      nextDueAt: slot,
    });
    subs.push({ id: subscription.id, target });
  }
  return subs;
}

/**
 * Lost: a subscriber whose slot is not recorded as sent, or whose chat got fewer messages than the
 * delivery reported. Duplicated: messages beyond that count, or the same message twice in a chat.
 */
export async function audit(
  store: Storage,
  subs: BenchSubscription[],
  slot: string,
  delivered: Delivered,
): Promise<{ lost: number; duplicated: number }> {
  let lost = 0;
  let duplicated = 0;
  for (const sub of subs) {
    const record = await store.deliveries.getDelivery(sub.id, slot);
    const received = delivered.byChat.get(sub.target.chatId) ?? [];
    const expected = record?.status === 'sent' ? (record.partsSent ?? 0) : 0;
    if (record?.status !== 'sent' || received.length < expected) lost++;
    duplicated += Math.max(0, received.length - expected, received.length - new Set(received).size);
  }
  return { lost, duplicated };
}
