import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPostgresBin, postgresUnavailable, startTestPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import type { PgBuildRequest, PgBuildResult, PgServeRequest, PgServeResult } from './postgres-child.js';
import { fmtCount, fmtMb, fmtMs, type Results } from './report.js';

export interface PostgresBenchOptions {
  /** Articles to load (the target applies at 1M). */
  size: number;
  /** Timed /news calls per kind. */
  queries: number;
  warmup: number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = path.join(ROOT, 'bench', 'postgres-child.ts');
const TARGET_SIZE = 1_000_000;
/** Issue 12: /news p99 on Postgres at a million articles. */
const P99_TARGET_MS = 5;
/** Articles per upsertArticles call, as in the SQLite storage bench. */
const BATCH = 2000;

/**
 * The storage bench's /news measurement (bench/news-latency.ts, the same generated corpus, topic mix and
 * percentiles) on a throwaway PostgreSQL server: one child loads the corpus through the storage port and a
 * fresh child opens the storage and serves, so its memory is a serving process's. Without PostgreSQL
 * binaries it says why and returns; the other sections still run.
 */
export async function postgresBench(results: Results, options: PostgresBenchOptions): Promise<void> {
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`  Postgres bench skipped: ${unavailable}`);
    return;
  }
  const section = 'postgres';
  const label = fmtCount(options.size);
  const atTarget = options.size === TARGET_SIZE;
  // pg_stat_statements, when the server has it, says how much of a request the server spends.
  const bin = (findPostgresBin() as { bin: string }).bin;
  const statements = existsSync(path.join(bin, '..', 'lib', 'pg_stat_statements.so'));
  // Durable as a real server (fsync on), otherwise PostgreSQL's defaults: 128 MB shared_buffers.
  const server: TestPostgres = await startTestPostgres({
    durable: true,
    settings: statements ? { shared_preload_libraries: 'pg_stat_statements' } : {},
  });
  try {
    const built = await runChild<PgBuildResult>({ mode: 'build', url: server.url, size: options.size, seed: 7, batch: BATCH } satisfies PgBuildRequest);
    const rate = built.articles / (built.insertMs / 1000);
    results.add({
      section,
      name: `${label}: load rate (upsertArticles of indexed batches of ${BATCH.toLocaleString('en-US')})`,
      value: `${Math.round(rate).toLocaleString('en-US')} articles/s`,
      note: `${fmtMs(built.insertMs)} in upsertArticles (${fmtMs(built.insertCpuMs)} of this process's CPU); ${fmtMs(built.totalMs)} with generating and indexing; then VACUUM (ANALYZE) ${fmtMs(built.vacuumMs)}`,
    });
    results.add({
      section,
      name: `${label}: database size`,
      value: fmtMb(built.bytes.database),
      note: `articles ${fmtMb(built.bytes.articles)}, topic entries ${fmtMb(built.bytes.topicEntries)} (with indexes); ${Math.round(built.bytes.database / built.articles)} bytes an article`,
    });

    const served = await runChild<PgServeResult>({
      mode: 'serve',
      url: server.url,
      queries: options.queries,
      warmup: options.warmup,
      seed: 11,
      statements,
    } satisfies PgServeRequest);
    results.add({
      section,
      name: `${label}: first /news after open (builds the topic index)`,
      value: fmtMs(served.coldMs),
      note: `topic index alone ${fmtMs(served.topicIndexMs)}`,
    });
    const target = `≤ ${P99_TARGET_MS} ms at ${fmtCount(TARGET_SIZE)}`;
    for (const [kind, s] of [
      ['/news', served.news],
      ['/news excluding 50 sent ids', served.excluding],
    ] as const) {
      results.add({ section, name: `${label}: ${kind} p50 / p95`, value: `${fmtMs(s.p50)} / ${fmtMs(s.p95)}` });
      results.add({
        section,
        name: `${label}: ${kind} p99`,
        value: fmtMs(s.p99),
        note: `max ${fmtMs(s.max)}, ${s.samples} queries over ${served.topics} topics`,
        target,
        ...(atTarget ? { pass: s.p99 <= P99_TARGET_MS } : {}),
      });
    }
    results.add({
      section,
      name: `${label}: biggest topic alone, excluding 50 sent ids, p99`,
      value: fmtMs(served.biggest.p99),
      note: `"${served.biggest.topic}", ${served.biggest.articles} articles; p50 ${fmtMs(served.biggest.p50)}, max ${fmtMs(served.biggest.max)}`,
    });
    results.add({
      section,
      name: `${label}: resident memory of the serving process`,
      value: fmtMb(served.rss),
      note: `${fmtMb(served.rssAtStart)} before opening the storage; JS heap ${fmtMb(served.heapUsed)}`,
    });
    results.add({
      section,
      name: `${label}: where a /news goes: statements per call / pool round trip p50`,
      value: `${served.queriesPerNews.toFixed(2)} / ${fmtMs(served.roundTrip.p50)}`,
      note: `SELECT 1 p99 ${fmtMs(served.roundTrip.p99)}`,
    });
    results.add({
      section,
      name: `${label}: where a /news goes: articles.candidates (week, 160) p50 / p99`,
      value: `${fmtMs(served.candidates.p50)} / ${fmtMs(served.candidates.p99)}`,
      note: `excluding 50 sent ids ${fmtMs(served.candidatesExcluding.p50)} / ${fmtMs(served.candidatesExcluding.p99)}; decoding a document ${served.decodeUs.toFixed(1)} µs (inflate + JSON.parse)`,
    });
    for (const s of served.statements ?? []) {
      console.log(`    server: ${s.calls} × ${s.meanMs.toFixed(3)} ms (${fmtMs(s.totalMs)} in all, ${s.rows} rows): ${s.query.slice(0, 160)}`);
    }
    for (const [query, plan] of Object.entries(served.plans)) {
      console.log(`    EXPLAIN ANALYZE, ${query}:`);
      for (const line of plan) console.log(`      ${line}`);
    }
    if (!atTarget) console.log(`  (the p99 target applies at ${fmtCount(TARGET_SIZE)} articles; the full run measures it)`);
  } finally {
    await server.stop();
  }
}

function runChild<T>(request: PgBuildRequest | PgServeRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`postgres bench: ${request.mode} child exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch (error) {
        reject(new Error(`postgres bench: ${request.mode} child printed no result: ${String(error)}`));
      }
    });
  });
}
