import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import matter from 'gray-matter';
import { ingestSeedFolder } from '../adapters/sources/seed-folder/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { generateCorpus } from './corpus.js';
import { fmtCount, fmtMb, fmtMs, median, timeMs, type Results } from './report.js';
import { writeSeedFiles } from './seed-text.js';

export interface IngestBenchOptions {
  files: number;
  /** Timed repetitions; medians are reported. */
  runs: number;
}

/**
 * Ingest of N real seed files against the bare baseline (list the folder, read each file, gray-matter
 * it), then re-ingest of the unchanged folder against the first ingest. Each ingest gets a fresh
 * file-backed database in the temp folder.
 */
export async function ingestBench(results: Results, options: IngestBenchOptions): Promise<void> {
  const section = 'ingest';
  const root = mkdtempSync(path.join(tmpdir(), 'newsbrief-bench-ingest-'));
  try {
    const seeds = path.join(root, 'seeds');
    const warmup = path.join(root, 'warmup');
    const written = timeMsSync(() => writeSeedFiles(seeds, generateCorpus({ size: options.files, seed: 1 })));
    writeSeedFiles(warmup, generateCorpus({ size: 200, seed: 2 }));
    console.log(`  wrote ${fmtCount(options.files)} seed files (${fmtMb(written.value)}) in ${fmtMs(written.ms)}`);

    // Warm the JIT and the page cache for both paths before anything is timed.
    bareParse(warmup);
    bareParse(seeds);
    await ingestOnce(root, warmup, 'warmup');

    const bare: number[] = [];
    const first: number[] = [];
    const again: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      bare.push(bareParse(seeds).ms);
      const timed = await ingestOnce(root, seeds, `run${run}`);
      first.push(timed.first);
      again.push(timed.again);
    }
    const b = median(bare);
    const f = median(first);
    const a = median(again);
    results.add({ section, name: `bare gray-matter, ${fmtCount(options.files)} files (median of ${options.runs})`, value: fmtMs(b) });
    results.add({ section, name: `first ingest, ${fmtCount(options.files)} files`, value: fmtMs(f), note: `${Math.round((options.files / f) * 1000)} files/s` });
    results.add({ section, name: 'ingest ÷ bare gray-matter', value: `${(f / b).toFixed(2)}×`, target: '≤ 1.5×', pass: f / b <= 1.5 });
    results.add({ section, name: 're-ingest of the unchanged folder', value: fmtMs(a) });
    results.add({ section, name: 're-ingest ÷ first ingest', value: `${((a / f) * 100).toFixed(1)} %`, target: '≤ 10 %', pass: a / f <= 0.1 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The baseline: what any loader must do at least — list, read, parse the front matter. */
function bareParse(dir: string): { ms: number; fields: number } {
  const start = process.hrtime.bigint();
  let fields = 0;
  for (const name of readdirSync(dir)) {
    // Options keep gray-matter from caching every file in its module-level cache, as ingest does.
    const data = matter(readFileSync(path.join(dir, name), 'utf8'), {}).data as Record<string, unknown>;
    fields += Object.keys(data).length;
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, fields };
}

async function ingestOnce(root: string, seeds: string, name: string): Promise<{ first: number; again: number }> {
  const dbPath = path.join(root, `${name}.db`);
  const store = openSqliteStorage(dbPath);
  try {
    let report: Awaited<ReturnType<typeof ingestSeedFolder>> | undefined;
    const first = await timeMs(async () => {
      report = await ingestSeedFolder(seeds, store);
    });
    if (!report || report.rejected.length > 0 || report.accepted === 0) {
      throw new Error(`ingest bench: unexpected first ingest report ${JSON.stringify({ ...report, rejected: report?.rejected.slice(0, 3) })}`);
    }
    let second: Awaited<ReturnType<typeof ingestSeedFolder>> | undefined;
    const again = await timeMs(async () => {
      second = await ingestSeedFolder(seeds, store);
    });
    if (!second || second.unchanged !== second.files - second.duplicates) {
      throw new Error(`ingest bench: re-ingest changed something: ${JSON.stringify({ ...second, rejected: second?.rejected.length })}`);
    }
    return { first, again };
  } finally {
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  }
}

function timeMsSync<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}
