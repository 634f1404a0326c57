// YAML safety for seed-file front matter: only js-yaml's safe loader, impossible dates kept as text, and
// caps on what the parsed document may expand to.
import matter from 'gray-matter';
import { impossibleDateParts } from './schema.js';

// Caps on the parsed front matter, counted with YAML aliases expanded: js-yaml shares aliased nodes, so
// a "billion laughs" file parses in microseconds and only explodes when something walks it.
const MAX_VALUES = 100_000;
const MAX_DEPTH = 32;
const MAX_FIELDS = 1000;
/**
 * Characters of keys and strings the front matter may hold once aliases are expanded: four times the file's
 * size, at least 128 KiB, at most 1 MiB. A file without aliases never holds more characters than bytes,
 * so only aliases can reach it; before this cap, 40 KB files were stored as 4 MB documents.
 */
export function expandedCharLimit(fileBytes: number): number {
  return Math.min(1024 * 1024, Math.max(128 * 1024, 4 * fileBytes));
}

/**
 * js-yaml's safe loader, as gray-matter 4 bundles it. Only it is used, never gray-matter's engine choice:
 * gray-matter also ships a `javascript` engine that evals the front matter of a `---js` file.
 */
const yamlSafeLoad: (text: string, options: { listener: YamlListener }) => unknown = (
  matter as unknown as { engines: { yaml: { parse: (text: string, options: object) => unknown } } }
).engines.yaml.parse;

/** What js-yaml 3 hands its `listener` option as each node opens and closes. */
interface YamlState {
  input: string;
  position: number;
  result: unknown;
  anchor: string | null;
  anchorMap: Record<string, unknown>;
}
type YamlListener = (event: 'open' | 'close', state: YamlState) => void;

/**
 * js-yaml turns an unquoted `2022-13-45` into 2023-02-14 without a word. Such a node is handed on as its
 * text instead, so validation rejects it, naming the field, as it does a quoted one.
 */
function keepImpossibleDatesAsText(): YamlListener {
  const starts: number[] = [];
  return (event, state) => {
    if (event === 'open') {
      starts.push(state.position);
      return;
    }
    const start = starts.pop();
    if (!(state.result instanceof Date) || start === undefined) return;
    // The node's text may begin with its tag or anchor (`!!timestamp`, `&when`).
    const text = state.input.slice(start, state.position).trim().replace(/^(?:[!&]\S*\s+)+/, '');
    if (!impossibleDateParts(text)) return;
    state.result = text;
    if (state.anchor !== null) state.anchorMap[state.anchor] = text;
  };
}

/** Parses a front-matter block with js-yaml's safe loader; throws js-yaml's errors (see `describeYamlError`). */
export function loadYaml(block: string): unknown {
  return yamlSafeLoad(block, { listener: keepImpossibleDatesAsText() });
}

/**
 * gray-matter's test for an empty block, which it never hands to YAML: white space and comment lines only.
 * gray-matter writes it as `/^\s*#[^\n]+/gm`, whose `\s*` runs on across line ends: from every line start
 * it rescanned all the blank lines after it, so 400,000 blank lines took over a minute. Same answer, one pass.
 */
export function isBlankBlock(block: string): boolean {
  let start = 0;
  while (start <= block.length) {
    let end = block.indexOf('\n', start);
    if (end === -1) end = block.length;
    const line = block.slice(start, end).trimStart();
    // A comment needs something after its `#`, as in gray-matter's pattern.
    if (line !== '' && !(line.charCodeAt(0) === 0x23 && line.length > 1)) return false;
    start = end + 1;
  }
  return true;
}

/** Front matter within the caps, as plain data, or the cap it broke and the top-level field it broke in. */
export type BoundedFields = { ok: true; fields: Record<string, unknown> } | { ok: false; field?: string; reason: string };

/**
 * Copies parsed front matter into plain data within the caps (counted with aliases expanded), so alias
 * bombs and absurd nesting are rejected before anything else walks them.
 */
export function boundedFields(raw: Record<string, unknown>, fileBytes: number): BoundedFields {
  const limit = expandedCharLimit(fileBytes);
  try {
    return { ok: true, fields: copyFields(raw, { values: MAX_VALUES, chars: limit, limit }) };
  } catch (error) {
    if (error instanceof FrontMatterTooLarge) return { ok: false, ...(error.field ? { field: error.field } : {}), reason: error.message };
    throw error;
  }
}

// Thrown to unwind the recursive copy at once; `boundedFields` turns it into a value.
class FrontMatterTooLarge extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

interface Budget {
  values: number;
  chars: number;
  readonly limit: number;
}

/** `boundedCopy` of the whole front matter, naming the top-level field in which a budget ran out. */
function copyFields(raw: Record<string, unknown>, budget: Budget): Record<string, unknown> {
  const keys = Object.keys(raw);
  // Real files have about 20; tens of thousands only cost validation time.
  if (keys.length > MAX_FIELDS) throw new FrontMatterTooLarge(`front matter has ${keys.length} fields, more than ${MAX_FIELDS}`);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (key === '__proto__') continue;
    budget.chars -= key.length;
    try {
      const copied = boundedCopy(raw[key], budget, 1);
      if (copied !== undefined) out[key] = copied;
    } catch (error) {
      if (error instanceof FrontMatterTooLarge && error.field === undefined) throw new FrontMatterTooLarge(error.message, key);
      throw error;
    }
  }
  return out;
}

/**
 * Copies the parsed YAML into plain data within a budget, so alias bombs and absurd nesting are rejected
 * before anything else walks them. Drops `__proto__` keys (js-yaml keeps them as own properties, and a
 * plain assignment would set a prototype) and binary values.
 */
function boundedCopy(value: unknown, budget: Budget, depth: number): unknown {
  budget.values--;
  if (typeof value === 'string') budget.chars -= value.length;
  if (budget.values < 0) {
    throw new FrontMatterTooLarge(`front matter is too large once YAML aliases are expanded (over ${MAX_VALUES} values)`);
  }
  if (budget.chars < 0) {
    throw new FrontMatterTooLarge(
      `front matter is too large once YAML aliases are expanded (over ${budget.limit} characters: 4 times the file's size, at least 131072, at most 1048576)`,
    );
  }
  if (depth > MAX_DEPTH) throw new FrontMatterTooLarge(`front matter is nested more than ${MAX_DEPTH} levels deep`);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
  if (Array.isArray(value)) return value.map((v) => boundedCopy(v, budget, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue;
    budget.chars -= key.length;
    const copied = boundedCopy((value as Record<string, unknown>)[key], budget, depth + 1);
    if (copied !== undefined) out[key] = copied;
  }
  return out;
}

/** A js-yaml error as a rejection reason: its reason and where in the file. */
export function describeYamlError(error: unknown): string {
  const e = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  if (typeof e.reason === 'string' && typeof e.mark?.line === 'number' && typeof e.mark.column === 'number') {
    // The block gray-matter hands over starts with the newline ending the `---` line, so js-yaml's
    // 0-based line is the file's 1-based line minus one.
    return `${e.reason} (line ${e.mark.line + 1}, column ${e.mark.column + 1})`;
  }
  return firstLine(errorMessage(error));
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
const firstLine = (s: string) => s.split('\n', 1)[0]!.slice(0, 300);
