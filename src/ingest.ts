import { createHash } from 'node:crypto';
import fs, { constants as fsConstants, promises as fsp, type Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import matter from 'gray-matter';
import { SeedFrontMatterSchema, impossibleDateParts, safeHttpUrl, plainText, type Article, type Image, type Provider, type RelatedArticle, type SeedFrontMatter } from './model.js';
import type { SourceItemRecord as SeedFileRecord, Storage } from './ports.js';
import { indexArticle } from './indexing.js';
import { TopicAliasTable, type TopicAliases } from './topics.js';
import { silentLogger, type Logger } from './logger.js';
import { ParsePool } from './parse-pool.js';

export interface IngestOptions {
  /** Called with (files handled, files found) at most every ~100 files and once at the end. */
  onProgress?: (done: number, total: number) => void;
  /** Larger files are rejected without being read. Default 1 MiB. */
  maxFileBytes?: number;
  /** A folder with more seed files than this is refused (ingest throws). Default: no limit. */
  maxFiles?: number;
  /**
   * Worker threads that parse and validate files when a run has `workerThreshold` or more to parse.
   * Default `os.availableParallelism()`; 0 parses everything on the calling thread.
   */
  workers?: number;
  /** Files to parse from which a run uses worker threads. Default `WORKER_THRESHOLD`. */
  workerThreshold?: number;
  /** On workers, a file whose parse takes longer is rejected and its worker replaced. Default 5 s. */
  parseTimeLimitMs?: number;
  /**
   * In a run too small for the worker pool, larger files are still parsed on a worker thread, so the time
   * limit holds for them and no file can hold up this thread for long. Default `MAIN_THREAD_MAX_BYTES`.
   * Has no effect with `workers: 0`.
   */
  mainThreadMaxBytes?: number;
  /**
   * Remembers rejected files by content hash, so a rescan reports an unchanged bad file again without
   * parsing it. Default: one memory shared by every run in this process.
   */
  rejections?: RejectionMemory;
  /** The module parse workers run; tests substitute one. Default `ingest-worker.ts`. */
  workerUrl?: URL;
  logger?: Logger;
  /** Topic aliases articles are indexed with (default: DEFAULT_TOPIC_ALIASES). */
  aliases?: TopicAliases;
}

/** Why one seed file (or, with a trailing slash, one folder) was not used. */
export interface Rejection {
  /** Path relative to the seeds folder, forward slashes. */
  file: string;
  /** The front-matter field at fault, dotted (`related.3.quality`), when one is. */
  field?: string;
  reason: string;
}

export interface IngestReport {
  /** Seed files found. */
  files: number;
  /** New articles stored. */
  accepted: number;
  /** Stored articles whose content changed. */
  updated: number;
  /** Files skipped because their bytes did not change, plus changed files whose article came out identical. */
  unchanged: number;
  rejected: Rejection[];
  /** Files whose article another file carries too, and whose copy was not the one kept (see `compareCopies`). */
  duplicates: number;
  /** Accepted files with something left out, e.g. an oversized unknown field. */
  warnings: Rejection[];
  durationMs: number;
}

export type ParseResult =
  | { ok: true; article: Article; warnings?: { field: string; reason: string }[] }
  | { ok: false; field?: string; reason: string };

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_PARSE_TIME_LIMIT_MS = 5000;
/**
 * Below this many files to parse, parsing on the calling thread is faster: starting a worker (tsx, zod,
 * js-yaml) and warming its JIT costs about half a second, which two cores win back only after a few
 * thousand files.
 */
export const WORKER_THRESHOLD = 4000;
/**
 * Files up to this size are parsed on the calling thread in small runs: every step of the parse is linear,
 * so 256 KiB of the worst input found costs tens of milliseconds. The largest real seed files seen are
 * about 140 KB. Larger ones go to a worker, where the time limit applies.
 */
export const MAIN_THREAD_MAX_BYTES = 256 * 1024;
const BATCH_SIZE = 500;
// The worker module beside this one: ingest-worker.ts under tsx and vitest, .js if ever compiled.
const WORKER_URL = new URL(`./ingest-worker${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url);
const PROGRESS_EVERY = 100;
const SEED_EXTENSION = /\.(md|txt)$/i;

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
/** Unknown fields (kept in `extra`, never shown) larger than this, as JSON, are dropped with a warning. */
export const MAX_EXTRA_FIELD_CHARS = 16 * 1024;
/** Once the unknown fields kept reach this much JSON, later ones are dropped with a warning. */
export const MAX_EXTRA_CHARS = 64 * 1024;
const MAX_FIELD_WARNINGS = 5;

const NO_URL = 'no http(s) URL (webUrl, originalUrl or ampWebUrl)';

/** Top-level fields turned into Article fields (or deliberately dropped); everything else goes to `extra`. */
const CONSUMED_FIELDS = new Set([
  'title',
  'excerpt',
  'publishedDateTime',
  'updatedDateTime',
  'webUrl',
  'type',
  'quality',
  'heat',
  'published',
  'removed',
  'provider',
  'topics',
  'images',
  'related',
  // Never kept: an opaque token and raw HTML (an embed), neither of which may be shown.
  'secured',
  'featuredContent',
]);
const EXTRA_URL_FIELDS = new Set(['originalUrl', 'ampWebUrl', 'cdnAmpWebUrl']);

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
    raw = yamlSafeLoad(block, { listener: keepImpossibleDatesAsText() });
  } catch (error) {
    if (isBlankBlock(block)) raw = {};
    else return { ok: false, reason: `malformed YAML: ${describeYamlError(error)}` };
  }
  if (!isRecord(raw) || raw instanceof Date) {
    // As gray-matter does: a blank block, or one that is no document or a null one, is no fields.
    if (raw === undefined || raw === null || isBlankBlock(block)) raw = {};
    else return { ok: false, reason: 'front matter is not a mapping of fields' };
  }

  let data: unknown;
  const budget = { values: MAX_VALUES, chars: expandedCharLimit(bytes.length), limit: expandedCharLimit(bytes.length) };
  try {
    data = copyFields(raw as Record<string, unknown>, budget);
  } catch (error) {
    if (error instanceof FrontMatterTooLarge) return { ok: false, ...(error.field ? { field: error.field } : {}), reason: error.message };
    throw error;
  }

  const parsed = SeedFrontMatterSchema.safeParse(data);
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

/** Something left out of an accepted file. */
export interface FieldWarning {
  field: string;
  reason: string;
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

function describeIssue(issue: { code: string; message: string; expected?: unknown }): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return `missing (expected ${String(issue.expected)})`;
  }
  return issue.message;
}

function buildArticle(fm: SeedFrontMatter, source: string, contentHash: string, warnings: FieldWarning[]): Article | undefined {
  const url = safeHttpUrl(fm.webUrl) ?? safeHttpUrl(fm.originalUrl) ?? safeHttpUrl(fm.ampWebUrl);
  if (!url) return undefined;
  return {
    id: sha256(url).slice(0, 16),
    url,
    title: fm.title,
    excerpt: fm.excerpt ?? '',
    publishedAt: fm.publishedDateTime,
    updatedAt: fm.updatedDateTime ?? null,
    type: fm.type?.trim().toLowerCase() || 'article',
    quality: fm.quality ?? 0,
    heat: fm.heat ?? 0,
    published: fm.published ?? true,
    removed: fm.removed ?? false,
    provider: buildProvider(fm.provider, url),
    topics: cleanTopics(fm.topics ?? []),
    images: cleanImages(fm.images ?? []),
    related: (fm.related ?? []).flatMap((r) => buildRelated(r)),
    extra: buildExtra(fm, warnings),
    source,
    contentHash,
  };
}

function buildProvider(provider: SeedFrontMatter['provider'], url: string): Provider {
  // The URL is parsed again only when the domain is missing: it is most of the cost here.
  const domain = plainText(provider?.domain ?? '') || new URL(url).hostname;
  return { name: provider?.name || domain, domain };
}

function cleanTopics(topics: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const topic of topics) {
    const name = plainText(topic);
    // An over-long "topic" is noise, and a truncated one would become a new, wrong topic.
    if (name.length === 0 || name.length > 100) continue;
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

function cleanImages(images: readonly { url: string; width?: number; height?: number }[]): Image[] {
  return images.flatMap((image) => {
    const url = safeHttpUrl(image.url);
    if (!url) return [];
    const out: Image = { url };
    if (isSize(image.width)) out.width = image.width;
    if (isSize(image.height)) out.height = image.height;
    return [out];
  });
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

function buildRelated(r: NonNullable<SeedFrontMatter['related']>[number]): RelatedArticle[] {
  const url = safeHttpUrl(r.webUrl) ?? safeHttpUrl(r.originalUrl) ?? safeHttpUrl(r.ampWebUrl);
  // Bad related coverage is dropped, not held against the article that lists it.
  if (!url || r.title.length === 0) return [];
  return [
    {
      title: r.title,
      excerpt: r.excerpt ?? '',
      url,
      publishedAt: r.publishedDateTime ?? null,
      provider: buildProvider(r.provider, url),
      quality: r.quality ?? 0,
    },
  ];
}

/**
 * Unknown fields, kept as they came but within a size cap: the bot never uses them, so an oversized one
 * is dropped (with a warning naming it) rather than costing the article.
 */
function buildExtra(fm: SeedFrontMatter, warnings: FieldWarning[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  let kept = 0;
  // One warning per field dropped, up to a few; a file of thousands of fields gets one more that counts them.
  const dropped: FieldWarning[] = [];
  const keep = (key: string, value: unknown) => {
    const size = JSON.stringify(value)?.length ?? 0;
    if (size > MAX_EXTRA_FIELD_CHARS) {
      dropped.push({ field: key, reason: `unknown field dropped: ${size} characters as JSON, over the ${MAX_EXTRA_FIELD_CHARS} kept` });
    } else if (kept + size > MAX_EXTRA_CHARS) {
      dropped.push({ field: key, reason: `unknown field dropped: the unknown fields before it already hold ${kept} of the ${MAX_EXTRA_CHARS} characters kept` });
    } else {
      kept += size;
      extra[key] = value;
    }
  };
  for (const [key, value] of Object.entries(fm)) {
    if (CONSUMED_FIELDS.has(key) || value === undefined) continue;
    if (EXTRA_URL_FIELDS.has(key)) {
      const url = safeHttpUrl(value);
      if (url) extra[key] = url;
      continue;
    }
    keep(key, toJson(value));
  }
  // Provider fields beyond name and domain (e.g. logos) are kept too, with only http(s) image URLs.
  const { name: _name, domain: _domain, ...providerRest } = fm.provider ?? {};
  if (Object.keys(providerRest).length > 0) {
    const rest = toJson(providerRest) as Record<string, unknown>;
    if (Array.isArray(rest.images)) {
      rest.images = rest.images.filter((i) => isRecord(i) && safeHttpUrl(i.url) !== undefined);
    }
    keep('provider', rest);
  }
  warnings.push(...dropped.slice(0, MAX_FIELD_WARNINGS));
  if (dropped.length > MAX_FIELD_WARNINGS) {
    const more = dropped.slice(MAX_FIELD_WARNINGS);
    warnings.push({ field: more[0]!.field, reason: `and ${more.length} more unknown fields dropped, from this one on` });
  }
  return extra;
}

/** JSON-safe copy of a value for `extra`: dates become ISO strings, non-finite numbers null. */
function toJson(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

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

function describeYamlError(error: unknown): string {
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
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Why a file was rejected, without the file name: the same bytes are rejected for the same reason anywhere. */
type RejectionReason = Omit<Rejection, 'file'>;

/**
 * Rejected files by content hash (a bounded, least-recently-used memory). A parse depends on the bytes
 * only, so a file whose bytes are unchanged is rejected again, for the same reason, without being parsed:
 * a pathological file costs its parse (at most the time limit) once per process, not on every rescan.
 */
export class RejectionMemory {
  private readonly entries = new Map<string, RejectionReason>();

  constructor(private readonly capacity = 10_000) {}

  get(contentHash: string): RejectionReason | undefined {
    const found = this.entries.get(contentHash);
    if (found) {
      this.entries.delete(contentHash);
      this.entries.set(contentHash, found);
    }
    return found;
  }

  set(contentHash: string, reason: RejectionReason): void {
    this.entries.delete(contentHash);
    this.entries.set(contentHash, reason);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

const processRejections = new RejectionMemory();

/**
 * Reads every seed file (`.md`, `.txt`, any depth) under `dir` into the store, incrementally: files whose
 * bytes are unchanged since the last run are skipped, so re-ingesting an unchanged folder writes nothing.
 * Bad files become rejections in the report; only a missing folder (or one over `maxFiles`) throws.
 *
 * Files are read and hashed on this thread; when a run has `workerThreshold` files to parse, parsing and
 * validation move to worker threads while this thread writes the results in path order, so the report
 * and the stored articles are the same whichever worker finishes first.
 */
export async function ingestDirectory(dir: string, storage: Storage, options: IngestOptions = {}): Promise<IngestReport> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const workers = options.workers ?? os.availableParallelism();
  const threshold = Math.max(1, options.workerThreshold ?? WORKER_THRESHOLD);
  const mainThreadMaxBytes = options.mainThreadMaxBytes ?? MAIN_THREAD_MAX_BYTES;
  const memory = options.rejections ?? processRejections;
  const root = path.resolve(dir);
  await assertFolder(root);

  const rejected: Rejection[] = [];
  const warnings: Rejection[] = [];
  const files = await listSeedFiles(root, rejected, options.maxFiles);
  const total = files.length;
  const previous = await storage.sources.sourceItems();
  const aliases = new TopicAliasTable(options.aliases);
  const index = (list: Iterable<Article>) => [...list].map((a) => indexArticle(a, aliases));
  const report = { files: total, accepted: 0, updated: 0, unchanged: 0, duplicates: 0 };
  // Article id → the file whose copy is kept so far in this run (see `compareCopies`).
  const claims = new Map<string, Claim>();
  // Article id → the file that held it after the last run, for files still present.
  const listed = new Set(files);
  const owners = new Map<string, string>();
  for (const r of previous.values()) if (r.articleId !== null && listed.has(r.source)) owners.set(r.articleId, r.source);
  let articles = new Map<string, Article>();
  let records: SeedFileRecord[] = [];

  const flush = async () => {
    if (articles.size > 0) {
      const result = await storage.articles.upsertArticles(index(articles.values()));
      report.accepted += result.inserted;
      report.updated += result.updated;
      report.unchanged += result.unchanged;
      for (const id of articles.keys()) claims.get(id)!.kind = 'written';
    }
    // Records after their articles: if the process dies in between, the next run simply re-parses.
    if (records.length > 0) await storage.sources.recordSourceItems(records);
    articles = new Map();
    records = [];
  };

  const record = (source: string, contentHash: string, articleId: string | null) => {
    const prev = previous.get(source);
    if (prev?.contentHash === contentHash && prev.articleId === articleId) return;
    records.push({ source, contentHash, articleId });
  };

  const reject = (rejection: Rejection) => {
    rejected.push(rejection);
    logger.debug({ ...rejection }, 'seed file rejected');
  };

  /** The copy a claim stands for; a file not parsed in this run has its stored article. */
  const copyOf = async (id: string, claim: Claim): Promise<Copy | undefined> => {
    if (claim.copy === undefined) {
      const stored = await storage.articles.getArticle(id);
      if (stored) claim.copy = copyFrom(stored);
    }
    return claim.copy;
  };

  /**
   * The claim on an article id before this file: a file earlier in this run, or the file that held it
   * after the last run when that file comes later in path order (so the outcome does not depend on it).
   */
  const claimBefore = (id: string, source: string): Claim | undefined => {
    const claim = claims.get(id);
    if (claim) return claim;
    const owner = owners.get(id);
    if (owner === undefined || owner <= source) return undefined;
    const virtual: Claim = { source: owner, hash: previous.get(owner)!.contentHash, kind: 'stored' };
    claims.set(id, virtual);
    return virtual;
  };

  const take = (article: Article, hash: string) => {
    claims.set(article.id, { source: article.source, hash, kind: 'batch', copy: copyFrom(article) });
    articles.set(article.id, article);
    record(article.source, hash, article.id);
  };

  /** A better copy takes an article over from the file that held it in this run. */
  const displace = async (claim: Claim, article: Article, hash: string) => {
    const kind = claim.kind;
    // The file that held it is a duplicate now; a stored claim's file is counted when its turn comes.
    if (kind !== 'stored') report.duplicates++;
    record(claim.source, claim.hash, null);
    logger.debug({ file: claim.source, keptInstead: article.source, url: article.url }, 'duplicate seed file replaced');
    if (kind === 'batch' || kind === 'stored') {
      take(article, hash);
      return;
    }
    // Already written this run (and counted) or counted as unchanged: written now, counted only as a change.
    const result = await storage.articles.upsertArticles(index([article]));
    if (kind === 'unchanged' && result.unchanged === 0) {
      report.unchanged--;
      report.updated++;
    }
    claims.set(article.id, { source: article.source, hash, kind: 'written', copy: copyFrom(article) });
    record(article.source, hash, article.id);
  };

  /** Uses one file's outcome. Called in path order; which copy of an article is kept does not depend on it. */
  const apply = async (slot: Slot) => {
    if (slot.kind === 'unreadable') {
      reject({ file: slot.source, reason: slot.reason });
      return;
    }
    if (slot.kind === 'known-bad') {
      reject({ file: slot.source, ...slot.rejection });
      return;
    }
    const source = slot.source;
    if (slot.kind === 'unchanged') {
      const claim = claims.get(slot.articleId);
      if (claim === undefined || claim.source === source) {
        claims.set(slot.articleId, { source, hash: slot.hash, kind: 'unchanged', copy: claim?.copy });
        report.unchanged++;
      } else {
        // A better copy in another file took the article over: this file is parsed from now on, so it
        // can take it back if that file changes or goes away.
        report.duplicates++;
        record(source, slot.hash, null);
      }
      return;
    }
    const parsed = slot.outcome!;
    // New files are hashed by the parser only (contentHash), or here if rejected.
    const hash = slot.hash ?? (parsed.ok ? parsed.article.contentHash : sha256(slot.bytes));
    slot.bytes = EMPTY;
    if (!parsed.ok) {
      const rejection = { ...(parsed.field ? { field: parsed.field } : {}), reason: parsed.reason };
      memory.set(hash, rejection);
      reject({ file: source, ...rejection });
      // The old article, if any, stays: a file that turns bad must not lose what was stored.
      record(source, hash, null);
      return;
    }
    for (const warning of parsed.warnings ?? []) {
      warnings.push({ file: source, ...warning });
      logger.warn({ file: source, ...warning }, 'seed file field dropped');
    }
    const article = parsed.article;
    const claim = claimBefore(article.id, source);
    if (claim === undefined || claim.source === source) {
      take(article, hash);
    } else {
      const held = await copyOf(article.id, claim);
      if (held === undefined || compareCopies(copyFrom(article), held) < 0) {
        await displace(claim, article, hash);
      } else {
        report.duplicates++;
        logger.debug({ file: source, sameAs: claim.source, url: article.url }, 'duplicate seed file skipped');
        record(source, hash, null);
      }
    }
    if (articles.size >= BATCH_SIZE || records.length >= BATCH_SIZE) await flush();
  };

  // Files in path order, from the first not yet applied (`head`); parse outcomes may arrive out of order.
  const queue: (Slot | undefined)[] = [];
  let head = 0;
  // Files to parse seen before the run knows whether it is worth starting workers.
  let held: ParseSlot[] = [];
  let pool: ParsePool | undefined;
  // One worker for the few large files of a run that parses the rest here.
  let largeFilePool: ParsePool | undefined;
  let inFlight = 0;
  let done = 0;
  // Read ahead while the workers are busy (the main thread writes batches meanwhile), but not unboundedly.
  const window = Math.min(8192, 512 * workers);

  const newPool = (size: number) =>
    new ParsePool({
      size,
      timeLimitMs: options.parseTimeLimitMs ?? DEFAULT_PARSE_TIME_LIMIT_MS,
      workerUrl: options.workerUrl ?? WORKER_URL,
      fallback: parseSeedFile,
      logger,
    });

  const startPool = () => {
    pool = newPool(workers);
    logger.debug({ workers }, 'parsing seed files on worker threads');
  };

  const dispatch = (slot: ParseSlot) => {
    let target = pool;
    if (!target && workers >= 1 && slot.bytes.length > mainThreadMaxBytes) target = largeFilePool ??= newPool(1);
    if (!target) {
      slot.outcome = parseSeedFile(slot.source, slot.bytes);
      return;
    }
    inFlight++;
    slot.pending = target.parse(slot.source, slot.bytes).then((outcome) => {
      inFlight--;
      slot.outcome = outcome;
    });
  };

  /** Applies the files at the head of the queue whose outcome is known; waits for one only when asked to. */
  const drain = async (wait: (inFlight: number) => boolean) => {
    while (head < queue.length) {
      const slot = queue[head]!;
      if (slot.kind === 'parse' && slot.outcome === undefined) {
        if (slot.pending === undefined || !wait(inFlight)) return;
        await slot.pending;
      }
      await apply(slot);
      queue[head++] = undefined;
      const before = done++;
      if (done < total && Math.floor(done / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) {
        options.onProgress?.(done, total);
      }
    }
    queue.length = 0;
    head = 0;
  };

  const decided = () => pool !== undefined || workers < 1;
  try {
    // Files never stored before are certain to need a parse: enough of them, and the workers start now,
    // while the files are read.
    if (!decided() && files.filter((source) => !previous.has(source)).length >= threshold) startPool();
    for (const source of files) {
      const slot = readSlot(root, source, maxFileBytes, previous, memory);
      queue.push(slot);
      if (slot.kind === 'parse') {
        if (decided()) {
          dispatch(slot);
        } else {
          held.push(slot);
          if (held.length >= threshold) {
            startPool();
            held.forEach(dispatch);
            held = [];
          }
        }
      }
      await drain((n) => n >= window);
    }
    // Too few files to parse for workers to pay off.
    held.forEach(dispatch);
    await drain(() => true);
  } finally {
    await Promise.all([pool?.close(), largeFilePool?.close()]);
  }
  await flush();
  options.onProgress?.(total, total);

  const durationMs = Math.round(performance.now() - started);
  logger.info(
    { folder: root, ...report, rejected: rejected.length, warnings: warnings.length, durationMs },
    'seed folder ingested',
  );
  return { ...report, rejected, warnings, durationMs };
}

/** What decides which of two files carrying the same article is kept. */
export interface Copy {
  url: string;
  providerDomain: string;
  quality: number;
  publishedAt: string;
  contentHash: string;
}

const copyFrom = (a: Article): Copy => ({
  url: a.url,
  providerDomain: a.provider.domain,
  quality: a.quality,
  publishedAt: a.publishedAt,
  contentHash: a.contentHash,
});

/**
 * Orders two copies of one article (same URL, so same id), the one to keep first: the publisher's own
 * record (its provider domain is the URL's host), then the higher quality, then the earlier publication,
 * then by content. File names never decide, so the same folder keeps the same copy whatever the order.
 */
export function compareCopies(a: Copy, b: Copy): number {
  const home = Number(isPublisherCopy(b)) - Number(isPublisherCopy(a));
  if (home !== 0) return home;
  if (a.quality !== b.quality) return b.quality - a.quality;
  if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt ? -1 : 1;
  return a.contentHash < b.contentHash ? -1 : a.contentHash > b.contentHash ? 1 : 0;
}

function isPublisherCopy(copy: Copy): boolean {
  const host = bareHost(hostOf(copy.url));
  const domain = bareHost(copy.providerDomain.trim().toLowerCase());
  return domain !== '' && (host === domain || host.endsWith(`.${domain}`));
}

const bareHost = (host: string) => (host.startsWith('www.') ? host.slice(4) : host);

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** Which file holds an article id in this run, and how far it has been counted and written. */
interface Claim {
  source: string;
  hash: string;
  /**
   * batch: in the batch not yet written; written: written this run; unchanged: stored before and not
   * parsed; stored: held after the last run by a file later in path order, not reached yet.
   */
  kind: 'batch' | 'written' | 'unchanged' | 'stored';
  copy?: Copy;
}

/** One listed file on its way through ingest. */
type Slot =
  | { kind: 'unreadable'; source: string; reason: string }
  | { kind: 'unchanged'; source: string; hash: string; articleId: string }
  | { kind: 'known-bad'; source: string; rejection: RejectionReason }
  | ParseSlot;
interface ParseSlot {
  kind: 'parse';
  source: string;
  /** Known here only when the file was stored before; else it comes from the parse. */
  hash: string | undefined;
  /** Until the outcome is used. */
  bytes: Buffer;
  pending?: Promise<void>;
  outcome?: ParseResult;
}

/** Reads one file: it is unreadable, unchanged since the last run, rejected before as it is, or to be parsed. */
function readSlot(
  root: string,
  source: string,
  maxBytes: number,
  previous: Map<string, SeedFileRecord>,
  memory: RejectionMemory,
): Slot {
  const file = readSeedFile(root, source, maxBytes);
  if (!file.ok) return { kind: 'unreadable', source, reason: file.reason };
  const prev = previous.get(source);
  if (!prev) return { kind: 'parse', source, hash: undefined, bytes: file.bytes };
  const hash = sha256(file.bytes);
  if (prev.contentHash === hash) {
    if (prev.articleId !== null) return { kind: 'unchanged', source, hash, articleId: prev.articleId };
    // Rejected or a duplicate last time: only a known rejection skips the parse.
    const rejection = memory.get(hash);
    if (rejection) return { kind: 'known-bad', source, rejection };
  }
  return { kind: 'parse', source, hash, bytes: file.bytes };
}

const EMPTY = Buffer.alloc(0);

async function assertFolder(root: string): Promise<void> {
  let stats;
  try {
    stats = await fsp.stat(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`Seeds folder not found: ${root}`);
    throw new Error(`Seeds folder could not be read: ${root} (${errorMessage(error)})`);
  }
  if (!stats.isDirectory()) throw new Error(`Seeds folder is not a folder: ${root}`);
}

/** Relative paths (forward slashes) of the seed files, sorted; unreadable sub-folders become rejections. */
async function listSeedFiles(root: string, rejected: Rejection[], maxFiles?: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      if (relative === '') throw new Error(`Seeds folder could not be read: ${root} (${errorMessage(error)})`);
      rejected.push({ file: `${relative}/`, reason: `could not read folder: ${firstLine(errorMessage(error))}` });
      return;
    }
    for (const entry of entries) {
      // Dirent types come from lstat, so symbolic links are seen as links and never followed.
      if (entry.name.startsWith('.') || entry.isSymbolicLink()) continue;
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(child);
      } else if (entry.isFile() && SEED_EXTENSION.test(entry.name)) {
        found.push(child);
        if (maxFiles !== undefined && found.length > maxFiles) {
          throw new Error(`Seeds folder has more than ${maxFiles} seed files: ${root}`);
        }
      }
    }
  };
  await walk('');
  // Code-unit order, not locale order: the same on every machine.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

type ReadResult = { ok: true; bytes: Buffer } | { ok: false; reason: string };

// O_NOFOLLOW: the file may have been swapped for a link since it was listed. O_NONBLOCK: or for a FIFO.
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Synchronous on purpose: a seed file is a few KB from the page cache, and four thread-pool round trips
 * per file (open, stat, read, close) cost more than the reads themselves.
 */
function readSeedFile(root: string, source: string, maxBytes: number): ReadResult {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(root, source), READ_FLAGS);
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) return { ok: false, reason: 'not a regular file' };
    if (stats.size > maxBytes) return { ok: false, reason: `file is larger than ${maxBytes} bytes (${stats.size} bytes)` };
    // Read at most one byte past the limit, in case the file grew after stat.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const bytesRead = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return { ok: false, reason: `file is larger than ${maxBytes} bytes` };
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, reason: 'could not read: is a symbolic link' };
    return { ok: false, reason: `could not read: ${firstLine(errorMessage(error)).replace(root + path.sep, '')}` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
