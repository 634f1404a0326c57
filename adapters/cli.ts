import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Newsbrief, openStore, MAX_COUNT, type SqliteStore } from '../src/index.js';
import { ingestDirectory, type IngestReport } from '../src/ingest.js';
import { ConfigError, parseConfig, type Config } from '../src/config.js';
import { renderDigestText, renderErrorText, renderTopicsText, styleFor } from './console/render.js';

export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

const USAGE = `Newsbrief: topic-based news digests.

Usage:
  newsbrief start                      run the bot (Telegram, Discord or terminal mode) — same as npm start
  newsbrief ingest [DIR]               load seed files from DIR (default: the seeds folder)
  newsbrief news TOPIC [--count N] [--explain] [--json]
                                       the ranked digest for a topic
  newsbrief topics [--json]            known topics with article counts
  newsbrief help                       this text

Options:
  --db PATH      SQLite database (default: $DATABASE_PATH, else ./data/newsbrief.db)
  --seeds DIR    seed folder (default: $SEEDS_DIR, else ./seeds)
  --count N      stories in the digest, 1–${MAX_COUNT} (default 5)
  --explain      show each story's score components
  --json         print data as JSON

Examples:
  newsbrief ingest ./seeds
  newsbrief news AI --count 3 --explain
  newsbrief news "machine learning" --json
`;

/** Runs one CLI command; returns the process exit code (0 ok, 1 failed, 2 usage error). */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        seeds: { type: 'string' },
        count: { type: 'string', short: 'n' },
        explain: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    io.stderr.write(`newsbrief: ${(error as Error).message}\nRun "newsbrief help" for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command = 'help', ...rest] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    io.stdout.write('newsbrief 0.1.0\n');
    return 0;
  }

  if (command === 'start') {
    const { start } = await import('./main.js');
    return start({ env: io.env });
  }
  if (!['ingest', 'news', 'topics'].includes(command)) {
    io.stderr.write(`newsbrief: unknown command "${command}". Commands: start, ingest, news, topics, help.\n`);
    return 2;
  }

  let config: Config;
  try {
    config = parseConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`newsbrief: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const dbPath = values.db ?? config.DATABASE_PATH;
  const seedsDir = values.seeds ?? config.SEEDS_DIR;
  let store: SqliteStore;
  try {
    store = openStore(dbPath, { halfLifeHours: config.RANK_HALF_LIFE_HOURS });
  } catch (error) {
    io.stderr.write(`newsbrief: cannot open database ${dbPath}: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    if (command === 'ingest') return await runIngest(store, rest[0] ?? seedsDir, io);
    // First use: fill an empty database from the seeds so `news` works straight after install.
    if (store.articleCount() === 0 && existsSync(seedsDir)) {
      io.stderr.write(`Database is empty: ingesting ${seedsDir} first.\n`);
      const report = await ingestDirectory(seedsDir, store);
      io.stderr.write(`${summary(report)}\n`);
    }
    const app = new Newsbrief({ store, digest: { halfLifeHours: config.RANK_HALF_LIFE_HOURS } });
    if (command === 'topics') {
      const topics = app.listTopics();
      io.stdout.write(values.json ? `${JSON.stringify(topics, null, 2)}\n` : `${renderTopicsText(topics)}\n`);
      return 0;
    }
    const topic = rest.join(' ');
    const result = app.news(topic, { count: values.count });
    if (!result.ok) {
      io.stderr.write(`newsbrief: ${renderErrorText(result).replace(/(^|\s)\/(news|topics)\b/g, '$1newsbrief $2')}\n`);
      return 1;
    }
    if (values.json) io.stdout.write(`${JSON.stringify(result.digest, null, 2)}\n`);
    else io.stdout.write(`${renderDigestText(result.digest, { explain: values.explain, style: styleFor(io.stdout, io.env) })}\n`);
    return 0;
  } finally {
    store.close();
  }
}

async function runIngest(store: SqliteStore, dir: string, io: CliIO): Promise<number> {
  if (!existsSync(dir)) {
    io.stderr.write(`newsbrief: seeds folder not found: ${resolve(dir)}\n`);
    return 1;
  }
  const showProgress = io.stderr.isTTY === true;
  const report = await ingestDirectory(dir, store, {
    onProgress: showProgress
      ? (done, total) => {
          if (total >= 200) io.stderr.write(`\rIngesting ${done}/${total} files…`);
        }
      : undefined,
  });
  if (showProgress && report.files >= 200) io.stderr.write('\n');
  io.stdout.write(`${summary(report)}\n`);
  for (const r of report.rejected) {
    io.stdout.write(`  rejected ${r.file}${r.field ? ` [${r.field}]` : ''}: ${r.reason}\n`);
  }
  return 0;
}

function summary(report: IngestReport): string {
  const parts = [
    `${report.files} files`,
    `${report.accepted} accepted`,
    `${report.updated} updated`,
    `${report.unchanged} unchanged`,
    `${report.rejected.length} rejected`,
  ];
  if (report.duplicates > 0) parts.push(`${report.duplicates} duplicates`);
  return `Ingested ${parts.join(', ')} in ${Math.round(report.durationMs)} ms.`;
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
