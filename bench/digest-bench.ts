import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildRequest, BuildResult, ServeRequest, ServeResult } from './digest-child.js';
import { fmtCount, fmtMb, fmtMs, type Results } from './report.js';

export interface DigestBenchOptions {
  sizes: number[];
  /** Timed queries per kind and size. */
  queries: number;
  warmup: number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = path.join(ROOT, 'bench', 'digest-child.ts');
const TARGET_SIZE = 1_000_000;
/** Targets at TARGET_SIZE articles (issue 11, and memory from before). */
const P99_TARGET_MS = 1;
const COLD_TARGET_MS = 100;
const INSERT_TARGET_PER_S = 20_000;
/** 1.5 GB as fmtMb counts (1024³ bytes), the unit the 5.4 GB it replaces was given in. */
const DB_TARGET_BYTES = 1.5 * 1024 ** 3;
const RSS_TARGET = 300 * 1024 * 1024;

/**
 * Storage and /news latency of the core at each corpus size: insert rate and database size (targets at 1M),
 * the first /news after open, p50/p99 of /news, and the serving process's memory. For each size one child process fills a file-backed
 * store in the temp folder with generated articles (in memory, inserted in batches with
 * store.upsertArticles: a million files would take far too long to write and ingest), and a second,
 * fresh child opens the store and serves queries, so its resident memory is that of a serving process.
 */
export async function digestBench(results: Results, options: DigestBenchOptions): Promise<void> {
  const section = 'digest';
  const dir = mkdtempSync(path.join(tmpdir(), 'newsbrief-bench-digest-'));
  try {
    for (const size of options.sizes) {
      const db = path.join(dir, `${size}.db`);
      const label = fmtCount(size);
      const built = await runChild<BuildResult>({ mode: 'build', db, size, seed: 7, batch: 2000 } satisfies BuildRequest);
      const atTarget = size === TARGET_SIZE;
      const rate = built.articles / (built.insertMs / 1000);
      results.add({
        section,
        name: `${label}: insert rate (upsertArticles of indexed batches of 2,000)`,
        value: `${Math.round(rate).toLocaleString('en-US')} articles/s`,
        note: `${fmtMs(built.insertMs)} in upsertArticles (${fmtMs(built.insertCpuMs)} of CPU); ${fmtMs(built.totalMs)} with generating and indexing`,
        ...(atTarget ? { target: `≥ ${INSERT_TARGET_PER_S.toLocaleString('en-US')} articles/s`, pass: rate >= INSERT_TARGET_PER_S } : {}),
      });
      results.add({
        section,
        name: `${label}: database size`,
        value: fmtMb(built.dbBytes),
        note: `${Math.round(built.dbBytes / built.articles)} bytes an article`,
        ...(atTarget ? { target: `≤ ${fmtMb(DB_TARGET_BYTES)} (1.5 GB)`, pass: built.dbBytes <= DB_TARGET_BYTES } : {}),
      });
      const served = await runChild<ServeResult>({
        mode: 'serve',
        db,
        queries: options.queries,
        warmup: options.warmup,
        seed: 11,
      } satisfies ServeRequest);
      results.add({
        section,
        name: `${label}: first /news after open (builds the topic index)`,
        value: fmtMs(served.coldMs),
        note: `topic index alone ${fmtMs(served.topicIndexMs)}`,
        ...(atTarget ? { target: `≤ ${COLD_TARGET_MS} ms`, pass: served.coldMs <= COLD_TARGET_MS } : {}),
      });
      for (const [kind, summary] of [
        ['/news', served.news],
        ['/news excluding 50 sent ids', served.excluding],
      ] as const) {
        results.add({ section, name: `${label}: ${kind} p50`, value: fmtMs(summary.p50) });
        results.add({
          section,
          name: `${label}: ${kind} p99`,
          value: fmtMs(summary.p99),
          note: `max ${fmtMs(summary.max)}, ${summary.samples} queries over ${served.topics} topics`,
          ...(atTarget ? { target: `≤ ${P99_TARGET_MS} ms`, pass: summary.p99 <= P99_TARGET_MS } : {}),
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
        note: `${fmtMb(served.rssAtStart)} before opening the store (node, tsx, modules); JS heap ${fmtMb(served.heapUsed)}`,
        ...(atTarget ? { target: '≤ 300 MB', pass: served.rss <= RSS_TARGET } : {}),
      });
      if (atTarget || size === options.sizes[options.sizes.length - 1]) {
        for (const [query, plan] of Object.entries(served.plans)) console.log(`    query plan, ${query}: ${plan.join(' / ')}`);
      }
      for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
    }
    if (!options.sizes.includes(TARGET_SIZE)) {
      console.log(`  (the insert, size, latency and memory targets apply at ${fmtCount(TARGET_SIZE)} articles; the full run measures them)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild<T>(request: BuildRequest | ServeRequest): Promise<T> {
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
        reject(new Error(`digest bench: ${request.mode} child for ${request.db} exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch (error) {
        reject(new Error(`digest bench: ${request.mode} child printed no result: ${String(error)}`));
      }
    });
  });
}
