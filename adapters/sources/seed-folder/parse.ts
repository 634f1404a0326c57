// One seed file's bytes → a validated Article, or why not. The worker threads run `parseSeedFile` too,
// loaded by module URL (see ParsePool): this module must stay free of I/O and of the pool.
import { SeedFrontMatterSchema } from './schema.js';
import type { Article, FieldWarning } from '../../../src/index.js';
import { buildArticle } from './front-matter.js';
import { sha256 } from './hash.js';
import { boundedFields, describeYamlError, isBlankBlock, loadYaml } from './yaml.js';

/** What a parse says of one file: its article (and what was left out of it), or why it was rejected. */
export type ParseResult =
  | { ok: true; article: Article; warnings?: FieldWarning[] }
  | { ok: false; field?: string; reason: string };

const NO_URL = 'no http(s) URL (webUrl, originalUrl or ampWebUrl)';

/**
 * Parses one seed file (untrusted bytes) into a validated Article, or says why not. Pure: no I/O, and
 * never throws for bad input. `source` is the path relative to the seeds folder.
 */
export function parseSeedFile(source: string, bytes: Buffer): ParseResult {
  try {
    return parseUnsafe(source, bytes);
  } catch (error) {
    // Should not happen; a defect here must not stop the other files.
    return { ok: false, reason: `could not parse: ${firstLine(errorMessage(error))}` };
  }
}

function parseUnsafe(source: string, bytes: Buffer): ParseResult {
  if (bytes.length === 0) return { ok: false, reason: 'empty file' };
  const decoded = decodeUtf8(bytes);
  if (decoded === undefined) return { ok: false, reason: 'not UTF-8 text' };
  let text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (text.trim().length === 0) return { ok: false, reason: 'empty file' };

  const lineEnd = text.indexOf('\n');
  const opening = lineEnd === -1 ? text : text.slice(0, lineEnd);
  if (!opening.startsWith('---') || /^-+$/.test(opening.slice(3).trim())) {
    return { ok: false, reason: 'no front matter (the file must start with a --- line)' };
  }
  const language = opening.slice(3).trim();
  if (language !== '' && !/^ya?ml$/i.test(language)) {
    return { ok: false, reason: `front matter language ${language.slice(0, 40)} is not allowed` };
  }
  const close = lineEnd === -1 ? -1 : text.indexOf('\n---', lineEnd);
  if (close === -1) return { ok: false, reason: 'front matter is not closed (no second --- line)' };

  // Exactly the block gray-matter would hand its YAML engine, up to the closing `---`; it starts after the
  // opening `---`, or after the language when one is named. Parsed here directly, as gray-matter's wrapper
  // (which re-encodes the whole file, scans it for comments and rebuilds its options on every call) would
  // cost a tenth of the parse.
  const block = text.slice(language === '' ? 3 : lineEnd, close);
  let raw: unknown;
  try {
    raw = loadYaml(block);
  } catch (error) {
    if (isBlankBlock(block)) raw = {};
    else return { ok: false, reason: `malformed YAML: ${describeYamlError(error)}` };
  }
  if (!isRecord(raw) || raw instanceof Date) {
    // As gray-matter does: a blank block, or one that is no document or a null one, is no fields.
    if (raw === undefined || raw === null || isBlankBlock(block)) raw = {};
    else return { ok: false, reason: 'front matter is not a mapping of fields' };
  }

  const bounded = boundedFields(raw as Record<string, unknown>, bytes.length);
  if (!bounded.ok) return bounded;

  const parsed = SeedFrontMatterSchema.safeParse(bounded.fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
    return { ok: false, ...(field ? { field } : {}), reason: issue ? describeIssue(issue) : 'invalid front matter' };
  }
  const warnings: FieldWarning[] = [];
  const article = buildArticle(parsed.data, source, sha256(bytes), warnings);
  if (!article) return { ok: false, field: 'webUrl', reason: NO_URL };
  return warnings.length > 0 ? { ok: true, article, warnings } : { ok: true, article };
}

function describeIssue(issue: { code: string; message: string; expected?: unknown }): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return `missing (expected ${String(issue.expected)})`;
  }
  return issue.message;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string | undefined {
  // NUL is valid UTF-8 but never appears in text; it is the usual sign of a binary file.
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
const firstLine = (s: string) => s.split('\n', 1)[0]!.slice(0, 300);
