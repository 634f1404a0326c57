// Runs in its own process (spawned by digest-bench.ts), so that the memory measured is that of a
// process serving /news from a store, not of the one that generated the corpus.
//   node --import tsx bench/digest-child.ts '{"mode":"build",...}' | '{"mode":"serve",...}'
// Prints one JSON line with the result on stdout.
import { statSync } from 'node:fs';
import type { Article } from '../src/model.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { CORPUS_END, generateCorpus, toArticle } from './corpus.js';
import { measureNews, type NewsLatency } from './news-latency.js';
import { indexArticles, recencyWeight } from '../src/index.js';

export interface BuildRequest {
  mode: 'build';
  db: string;
  size: number;
  seed: number;
  batch: number;
}

export interface BuildResult {
  articles: number;
  totalMs: number;
  /** Time inside store.upsertArticles only (the rest is generating and indexing the articles). */
  insertMs: number;
  /** CPU time of this process inside store.upsertArticles (user + system), for comparing runs on a busy machine. */
  insertCpuMs: number;
  /** The database file after a WAL checkpoint. */
  dbBytes: number;
}

export interface ServeRequest {
  mode: 'serve';
  db: string;
  /** Timed queries per kind (ad-hoc /news, and digests with ~50 already-sent ids excluded). */
  queries: number;
  warmup: number;
  seed: number;
}

export interface ServeResult extends NewsLatency {
  articles: number;
  /** Resident memory after opening the store and running every query. */
  rss: number;
  /** Resident memory before the store was opened: node, tsx and the loaded modules. */
  rssAtStart: number;
  heapUsed: number;
  plans: Record<string, string[]>;
}

async function build(req: BuildRequest): Promise<BuildResult> {
  const store = openSqliteStorage(req.db);
  // As the service does before its first ingest (app.ready()): rank keys are written with the weight the
  // serving process uses. Without it, that process's first /news re-keys every topic entry (a one-time cost
  // of changing the half-life, 5.5 s at 1M).
  await store.articles.setRankWeight(recencyWeight());
  const started = process.hrtime.bigint();
  let insertNs = 0n;
  let insertCpuUs = 0;
  let batch: Article[] = [];
  let articles = 0;
  const flush = async () => {
    const indexed = indexArticles(batch);
    const t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await store.articles.upsertArticles(indexed);
    const used = process.cpuUsage(cpu);
    insertNs += process.hrtime.bigint() - t;
    insertCpuUs += used.user + used.system;
    articles += batch.length;
    batch = [];
  };
  for (const seed of generateCorpus({ size: req.size, seed: req.seed })) {
    batch.push(toArticle(seed));
    if (batch.length >= req.batch) await flush();
  }
  await flush();
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
  return { articles, totalMs, insertMs: Number(insertNs) / 1e6, insertCpuMs: insertCpuUs / 1000, dbBytes: statSync(req.db).size };
}

async function serve(req: ServeRequest): Promise<ServeResult> {
  const rssAtStart = process.memoryUsage().rss;
  const store = openSqliteStorage(req.db);
  const { workload: _, ...latency } = await measureNews(store, req);

  const explain = (sql: string, ...params: unknown[]) =>
    (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
  const plans = {
    // What /news runs: the topic's window, a range of topic_entries' own key, sorted by rank (documents then
    // come from the parsed-article cache).
    candidates: explain(
      `SELECT n, topic_match FROM topic_entries
       WHERE topic = ? AND published_hours BETWEEN ? AND ? ORDER BY rank_key DESC, n LIMIT ?`,
      1,
      CORPUS_END.getTime() / 3_600_000 - 7 * 24,
      CORPUS_END.getTime() / 3_600_000,
      160,
    ),
    topicCounts: explain('SELECT key, name, count FROM topics WHERE count > 0 ORDER BY count DESC, name, key'),
  };

  const memory = process.memoryUsage();
  const result: ServeResult = {
    articles: await store.articles.articleCount(),
    ...latency,
    rss: memory.rss,
    rssAtStart,
    heapUsed: memory.heapUsed,
    plans,
  };
  await store.close();
  return result;
}

const request = JSON.parse(process.argv[2] ?? '{}') as BuildRequest | ServeRequest;
const output = request.mode === 'build' ? await build(request) : await serve(request);
process.stdout.write(`${JSON.stringify(output)}\n`);
