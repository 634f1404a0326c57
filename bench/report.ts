import { readFileSync } from 'node:fs';
import os from 'node:os';

/** One line of the results table. A figure with a target is judged PASS or MISS; a missed target never fails the run. */
export interface Figure {
  section: string;
  name: string;
  /** The measured value, formatted. */
  value: string;
  /** e.g. "≤ 1.5×"; absent for figures recorded for context only. */
  target?: string;
  pass?: boolean;
  note?: string;
}

/** Collects figures as sections finish, so a later crash still leaves the earlier ones printed. */
export class Results {
  readonly figures: Figure[] = [];

  add(figure: Figure): void {
    this.figures.push(figure);
    const verdict = figure.pass === undefined ? '' : figure.pass ? '  PASS' : '  MISS';
    const target = figure.target ? `  (target ${figure.target})` : '';
    console.log(`  ${figure.name}: ${figure.value}${target}${verdict}${figure.note ? `  — ${figure.note}` : ''}`);
  }

  /** The closing table: every figure, its target and verdict. */
  table(): string {
    const rows = [['section', 'figure', 'value', 'target', 'verdict'], ...this.figures.map((f) => [
      f.section,
      f.name,
      f.value,
      f.target ?? '',
      f.pass === undefined ? '' : f.pass ? 'PASS' : 'MISS',
    ])];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
    return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
  }
}

/** The p-th percentile (0–100) of samples, nearest-rank on a sorted copy. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Wall-clock milliseconds of an async function. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
export const fmtMb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const fmtCount = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** What the run ran on, for the record in docs/benchmarks.md. */
export function machine(): { cpus: number; model: string; memory: string; node: string; platform: string } {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) model = line.split(':')[1]!.trim();
  } catch {
    // Not Linux: os.cpus() has the model too.
  }
  return {
    cpus: os.availableParallelism(),
    model,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}
