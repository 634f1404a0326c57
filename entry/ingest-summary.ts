/** What `newsbrief ingest` prints about a run: one summary line, then a line for each file worth naming. */
import type { IngestReport } from '../src/index.js';

/** "1 file", "2 files": a count with its noun. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Ingested 48 files, 47 accepted, 0 updated, 0 unchanged, 0 rejected, 1 duplicate in 53 ms." */
export function ingestSummary(report: IngestReport): string {
  const parts = [
    counted(report.files, 'file'),
    `${report.accepted} accepted`,
    `${report.updated} updated`,
    `${report.unchanged} unchanged`,
    `${report.rejected.length} rejected`,
  ];
  if (report.duplicates > 0) parts.push(counted(report.duplicates, 'duplicate'));
  if (report.warnings.length > 0) parts.push(counted(report.warnings.length, 'warning'));
  if (report.skipped.length > 0) parts.push(`${counted(report.skipped.length, 'symbolic link')} skipped`);
  return `Ingested ${parts.join(', ')} in ${Math.round(report.durationMs)} ms.`;
}

/**
 * The files behind the summary's figures, one line each: rejected (with the field and reason), accepted with
 * a warning, duplicates (with the file whose copy was kept; the report names the first few, the rest are
 * counted) and skipped links.
 */
export function ingestDetails(report: IngestReport): string[] {
  const lines = [
    ...report.rejected.map((r) => `  rejected ${fileLine(r)}`),
    // Accepted files with something left out (an oversized unknown field): stored, but not whole.
    ...report.warnings.map((w) => `  warning ${fileLine(w)}`),
    ...report.duplicateItems.map((d) => `  duplicate ${fileLine({ file: d.file, reason: `same article as ${d.keptIn}, whose copy was kept` })}`),
  ];
  const unnamed = report.duplicates - report.duplicateItems.length;
  if (unnamed > 0) lines.push(`  … and ${counted(unnamed, 'more duplicate')}`);
  lines.push(...report.skipped.map((s) => `  skipped ${fileLine(s)}`));
  return lines;
}

/** "FILE [field]: reason", one line: names and fields come from seed files, so control characters are shown as "?". */
function fileLine(r: { file: string; field?: string; reason: string }): string {
  return `${r.file}${r.field ? ` [${r.field}]` : ''}: ${r.reason}`.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
