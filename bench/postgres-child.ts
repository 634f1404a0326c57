// Runs in its own process (spawned by postgres-bench.ts), so that the memory measured is that of a process
// serving /news from Postgres, not of the one that loaded the corpus.
//   node --import tsx bench/postgres-child.ts '{"mode":"build",...}' | '{"mode":"serve",...}'
// Progress goes to stderr; one JSON line with the result goes to stdout.
import pg from 'pg';
import { candidateStatement } from '../adapters/storage/postgres/articles.js';
import { openPostgresStorage, type PostgresStorage } from '../adapters/storage/postgres/index.js';
import { decodeDocument } from '../adapters/storage/sqlite/documents.js';
import { Newsbrief } from '../src/app.js';
import { indexArticles, recencyWeight } from '../src/index.js';
import type { Article } from '../src/model.js';
import { CORPUS_END, generateCorpus, Rng, toArticle } from './corpus.js';
import { measureNews, summarize, type LatencySummary, type NewsLatency } from './news-latency.js';

export interface PgBuildRequest {
  mode: 'build';
  url: string;
  size: number;
  seed: number;
  batch: number;
}

export interface PgBuildResult {
  articles: number;
  totalMs: number;
  /** Time inside articles.upsertArticles only (the rest is generating and indexing the articles). */
  insertMs: number;
  /** CPU time of this process inside upsertArticles: encoding documents, building statements, the driver. */
  insertCpuMs: number;
  /** VACUUM (ANALYZE) after loading, what autovacuum would do on its own within minutes. */
  vacuumMs: number;
  bytes: { database: number; articles: number; topicEntries: number };
}

export interface PgServeRequest {
  mode: 'serve';
  url: string;
  queries: number;
  warmup: number;
  seed: number;
  /** Whether the server loads pg_stat_statements (server-side time per statement). */
  statements: boolean;
}

/** One statement as pg_stat_statements saw it during the timed queries. */
export interface StatementTime {
  query: string;
  calls: number;
  meanMs: number;
  totalMs: number;
  rows: number;
}

export interface PgServeResult extends NewsLatency {
  articles: number;
  rss: number;
  rssAtStart: number;
  heapUsed: number;
  /** `SELECT 1` through the storage's pool: the least a query costs. */
  roundTrip: LatencySummary;
  /** articles.candidates as /news calls it (the week, 160) over every topic, without and with the 50 sent ids excluded. */
  candidates: LatencySummary;
  candidatesExcluding: LatencySummary;
  /** Statements sent to the server per /news, once warm. */
  queriesPerNews: number;
  /** Decoding one stored document (inflate + JSON.parse), microseconds, over the biggest topic's window. */
  decodeUs: number;
  /** Statements of the timed /news calls, most total server time first; absent without pg_stat_statements. */
  statements?: StatementTime[];
  plans: Record<string, string[]>;
}

const HOUR_MS = 3_600_000;
/** What buildDigest asks for (DIGEST.CANDIDATES over DIGEST.WINDOW_DAYS). */
const WINDOW = { limit: 160, since: new Date(CORPUS_END.getTime() - 7 * 24 * HOUR_MS), until: CORPUS_END };
const PROGRESS_EVERY_MS = 5000;

async function build(req: PgBuildRequest): Promise<PgBuildResult> {
  const storage = await openPostgresStorage(req.url);
  // As the service does before its first ingest (app.ready()), so the serving process finds the weight set.
  await storage.articles.setRankWeight(recencyWeight());
  const started = process.hrtime.bigint();
  let insertNs = 0n;
  let insertCpuUs = 0;
  let batch: Article[] = [];
  let articles = 0;
  let lastReport = Date.now();
  const flush = async () => {
    const indexed = indexArticles(batch);
    const t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await storage.articles.upsertArticles(indexed);
    const used = process.cpuUsage(cpu);
    insertNs += process.hrtime.bigint() - t;
    insertCpuUs += used.user + used.system;
    articles += batch.length;
    batch = [];
    if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = Date.now();
      const rate = articles / (Number(insertNs) / 1e9);
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      process.stderr.write(
        `    loaded ${articles.toLocaleString('en-US')} of ${req.size.toLocaleString('en-US')} articles: ` +
          `${Math.round(rate).toLocaleString('en-US')}/s inside upsertArticles, ${elapsed.toFixed(0)} s so far\n`,
      );
    }
  };
  for (const seed of generateCorpus({ size: req.size, seed: req.seed })) {
    batch.push(toArticle(seed));
    if (batch.length >= req.batch) await flush();
  }
  await flush();
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;

  const vacuumStart = process.hrtime.bigint();
  await storage.db.query('VACUUM (ANALYZE)');
  const vacuumMs = Number(process.hrtime.bigint() - vacuumStart) / 1e6;
  const { rows } = await storage.db.query<{ database: string; articles: string; entries: string }>(
    `SELECT pg_database_size(current_database()) AS database, pg_total_relation_size('articles') AS articles,
            pg_total_relation_size('topic_entries') AS entries`,
  );
  await storage.close();
  return {
    articles,
    totalMs,
    insertMs: Number(insertNs) / 1e6,
    insertCpuMs: insertCpuUs / 1000,
    vacuumMs,
    bytes: { database: Number(rows[0]!.database), articles: Number(rows[0]!.articles), topicEntries: Number(rows[0]!.entries) },
  };
}

async function serve(req: PgServeRequest): Promise<PgServeResult> {
  const rssAtStart = process.memoryUsage().rss;
  // Statistics of the timed calls only: reset just before, read just after (on a connection of our own).
  const admin = new pg.Client({ connectionString: req.url });
  await admin.connect();
  if (req.statements) await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const storage = await openPostgresStorage(req.url);
  if (req.statements) await admin.query('SELECT pg_stat_statements_reset()');
  const { workload, ...latency } = await measureNews(storage, req);
  const statements = req.statements ? await statementTimes(admin) : undefined;
  const memory = process.memoryUsage();

  // Where the time goes, measured after the timed calls so as not to disturb them.
  const roundTrip: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = process.hrtime.bigint();
    await storage.db.query('SELECT 1');
    roundTrip.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const rng = new Rng(req.seed + 1);
  const timeCandidates = async (exclude: boolean) => {
    const samples: number[] = [];
    for (let i = 0; i < req.queries; i++) {
      const topic = rng.pick(workload.topics);
      const excludeIds = exclude ? workload.sent.get(topic.name) : undefined;
      const t = process.hrtime.bigint();
      await storage.articles.candidates({ topicKeys: [topic.key], ...WINDOW, excludeIds });
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return summarize(samples);
  };
  const candidates = await timeCandidates(false);
  const candidatesExcluding = await timeCandidates(true);
  const queriesPerNews = await countQueries(storage, workload.topics.map((t) => t.name));
  const biggest = workload.topics[0]!;
  const decodeUs = await timeDecoding(storage, biggest.key);
  const plans = await explainCandidates(admin, biggest.key, [...workload.sent.get(biggest.name)!], workload.topics[Math.floor(workload.topics.length / 2)]!.key);

  const result: PgServeResult = {
    articles: await storage.articles.articleCount(),
    ...latency,
    rss: memory.rss,
    rssAtStart,
    heapUsed: memory.heapUsed,
    roundTrip: summarize(roundTrip),
    candidates,
    candidatesExcluding,
    queriesPerNews,
    decodeUs,
    ...(statements ? { statements } : {}),
    plans,
  };
  await storage.close();
  await admin.end();
  return result;
}

async function statementTimes(admin: pg.Client): Promise<StatementTime[]> {
  const { rows } = await admin.query<{ query: string; calls: string; mean: number; total: number; rows: string }>(
    `SELECT query, calls, mean_exec_time AS mean, total_exec_time AS total, rows FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
     ORDER BY total_exec_time DESC LIMIT 5`,
  );
  return rows.map((r) => ({
    query: r.query.replace(/\s+/g, ' ').trim(),
    calls: Number(r.calls),
    meanMs: r.mean,
    totalMs: r.total,
    rows: Number(r.rows),
  }));
}

/** Statements the pool sends for 200 warm /news calls, per call. */
async function countQueries(storage: PostgresStorage, topics: string[]): Promise<number> {
  const app = new Newsbrief({ storage, clock: () => CORPUS_END });
  await app.news(topics[0]!);
  const pool = storage.db.pool;
  const original = pool.query.bind(pool);
  let count = 0;
  pool.query = ((...args: Parameters<typeof pool.query>) => {
    count++;
    return (original as (...a: unknown[]) => unknown)(...args);
  }) as typeof pool.query;
  try {
    for (let i = 0; i < 200; i++) await app.news(topics[i % topics.length]!, { count: 5 });
  } finally {
    pool.query = original;
  }
  return count / 200;
}

/** Microseconds to decode one document (inflate and JSON.parse), over the biggest topic's week. */
async function timeDecoding(storage: PostgresStorage, topicKey: string): Promise<number> {
  const { rows } = await storage.db.query<{ doc: Buffer }>(
    `SELECT a.doc FROM topic_entries e JOIN articles a ON a.n = e.n
     WHERE e.topic = (SELECT id FROM topics WHERE key = $1) AND e.published_hours BETWEEN $2 AND $3
     ORDER BY e.rank_key DESC LIMIT $4`,
    [topicKey, WINDOW.since.getTime() / HOUR_MS, WINDOW.until.getTime() / HOUR_MS, WINDOW.limit],
  );
  for (const r of rows) decodeDocument(r.doc);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 10; i++) for (const r of rows) decodeDocument(r.doc);
  return Number(process.hrtime.bigint() - t) / 1e3 / (10 * rows.length);
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the candidate statement /news runs: the biggest topic's week with its 50 sent
 * ids excluded, a middling topic's week, and the biggest topic without a lower bound (the "latest stories"
 * fallback of an empty window).
 */
async function explainCandidates(admin: pg.Client, biggest: string, sent: string[], middling: string): Promise<Record<string, string[]>> {
  const since = WINDOW.since.getTime() / HOUR_MS;
  const until = WINDOW.until.getTime() / HOUR_MS;
  const explain = async (statement: pg.QueryConfig) => {
    const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values);
    return rows.map((r) => r['QUERY PLAN']);
  };
  return {
    [`${biggest}, the week, 50 excluded`]: await explain(candidateStatement(biggest, since, until, sent, [], WINDOW.limit)),
    [`${middling}, the week`]: await explain(candidateStatement(middling, since, until, [], [], WINDOW.limit)),
    [`${biggest}, no lower bound, 50 excluded`]: await explain(candidateStatement(biggest, undefined, until, sent, [], WINDOW.limit)),
  };
}

const request = JSON.parse(process.argv[2] ?? '{}') as PgBuildRequest | PgServeRequest;
const output = request.mode === 'build' ? await build(request) : await serve(request);
process.stdout.write(`${JSON.stringify(output)}\n`);
