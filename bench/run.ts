// `npm run bench` — the full run, for the record (docs/benchmarks.md).
// `npm run bench -- --quick` — small sizes, for CI: proves the benchmark code still runs.
// `--only ingest,digest,fanout,postgres,instances,feeds` runs some sections. A missed target prints MISS and never fails
// the run;
// only a crash exits non-zero.
import { parseArgs } from 'node:util';
import { digestBench } from './digest-bench.js';
import { fanoutBench, PROPOSED_TUNING } from './fanout.js';
import { fanoutInstancesBench } from './fanout-instances.js';
import { feedsBench } from './feeds-bench.js';
import { ingestBench } from './ingest-bench.js';
import { postgresBench } from './postgres-bench.js';
import { fmtMs, machine, Results } from './report.js';

const SECTIONS = ['ingest', 'digest', 'fanout', 'postgres', 'instances', 'feeds'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    // Fan-out experiments: subscriber count, and settings for the tuned pass as JSON (see FanoutTuning).
    subscribers: { type: 'string' },
    tuning: { type: 'string' },
    // Postgres: articles to load instead of the run's size (1M full, 10k quick).
    'pg-articles': { type: 'string' },
  },
});
const quick = values.quick ?? false;
const only = new Set((values.only?.split(',') ?? SECTIONS).map((s) => s.trim()) as Section[]);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`bench: unknown section "${s}" (known: ${SECTIONS.join(', ')})`);

const m = machine();
console.log(`Newsbrief benchmarks (${quick ? 'quick' : 'full'}) — ${new Date().toISOString()}`);
console.log(`machine: ${m.cpus} CPUs, ${m.model}, ${m.memory} RAM, node ${m.node}, ${m.platform}`);

const results = new Results();
const started = process.hrtime.bigint();

if (only.has('ingest')) {
  console.log('\n== ingest');
  await ingestBench(results, quick ? { files: 1000, runs: 3 } : { files: 20_000, runs: 3 });
}
if (only.has('digest')) {
  console.log('\n== /news digest latency');
  await digestBench(
    results,
    quick ? { sizes: [10_000], queries: 300, warmup: 50 } : { sizes: [10_000, 100_000, 1_000_000], queries: 2000, warmup: 200 },
  );
}
if (only.has('fanout')) {
  console.log('\n== scheduled fan-out');
  const subscribers = values.subscribers ? Number(values.subscribers) : quick ? 200 : 2000;
  await fanoutBench(results, { subscribers });
  if (values.tuning) {
    console.log('\n== scheduled fan-out with experimental settings (--tuning)');
    const tuned = { ...PROPOSED_TUNING, ...(values.tuning ? (JSON.parse(values.tuning) as object) : {}) };
    console.log(`  settings: ${JSON.stringify(tuned)}`);
    await fanoutBench(results, { subscribers, tuned });
  }
}
if (only.has('postgres')) {
  console.log('\n== /news on Postgres');
  const size = values['pg-articles'] ? Number(values['pg-articles']) : quick ? 10_000 : 1_000_000;
  if (!Number.isInteger(size) || size < 1000) throw new Error(`bench: --pg-articles must be a whole number ≥ 1000 (got ${values['pg-articles']})`);
  await postgresBench(results, quick ? { size, queries: 300, warmup: 50 } : { size, queries: 2000, warmup: 200 });
}
if (only.has('instances')) {
  console.log('\n== scheduled fan-out across instances on one Postgres database');
  const subscribers = values.subscribers ? Number(values.subscribers) : quick ? 200 : 2000;
  await fanoutInstancesBench(results, quick ? { subscribers, instances: [2], kill: true } : { subscribers, instances: [1, 2, 3], kill: true });
}

if (only.has('feeds')) {
  console.log('\n== feed polling and parsing');
  await feedsBench(
    results,
    quick
      ? { feeds: 100, itemsPerFeed: 20, warmCycles: 2, changing: 0.05, parseBodies: 50, parseItems: 50, parseRuns: 3 }
      : { feeds: 1000, itemsPerFeed: 20, warmCycles: 3, changing: 0.05, parseBodies: 500, parseItems: 50, parseRuns: 5 },
  );
}

console.log(`\n${results.table()}`);
const missed = results.figures.filter((f) => f.pass === false).length;
const judged = results.figures.filter((f) => f.pass !== undefined).length;
console.log(`\n${judged - missed}/${judged} targets met; total ${fmtMs(Number(process.hrtime.bigint() - started) / 1e6)}`);
