/** The logging the core needs; pino's logger fits it, and so does `silentLogger` for tests. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** The process is about to exit; loggers without it get `error`. */
  fatal?(obj: object | string, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
};

/** What replaces a secret in a log line. */
export const REDACTED = '[REDACTED]';

/** Longest string kept in a log entry; the rest is cut (stack traces fit easily). */
const MAX_STRING = 16_384;
/** Nesting kept of a logged object or error chain; deeper values become a marker. */
const MAX_DEPTH = 8;
/** Properties or array items kept per object. */
const MAX_KEYS = 100;
/** Secrets shorter than this are not redacted: a one-letter "token" would blank every log line. */
const MIN_SECRET = 8;

/*
 * Token shapes that can appear even when the configured value is not known here: a Telegram bot token in
 * a Bot API URL path (`/bot123:ABC.../method`) and a Discord interaction or webhook token in a REST path
 * (`/interactions/<id>/<token>/callback`, `/webhooks/<app id>/<token>/...`). Each starts with a literal
 * and continues with one character class, so matching is linear in the length of the text.
 */
const TOKEN_SHAPES: ReadonlyArray<[RegExp, string]> = [
  [/\/bot\d+:[A-Za-z0-9_-]+/g, `/bot${REDACTED}`],
  [/\/interactions\/(\d+)\/[A-Za-z0-9._-]+/g, `/interactions/$1/${REDACTED}`],
  [/\/webhooks\/(\d+)\/[A-Za-z0-9._-]+/g, `/webhooks/$1/${REDACTED}`],
];

/** An error as it is logged: plain data, every string redacted, causes nested. */
export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  [key: string]: unknown;
}

/**
 * Removes secrets from anything about to be logged. Built once at start-up from the configured
 * secrets (bot tokens, webhook secret); it also removes token-shaped URL parts it was not told about.
 */
export class LogRedactor {
  private readonly secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** A string with every secret and token-shaped URL part replaced, cut to a bounded length. */
  text(value: string): string {
    // Redacted before it is cut, so a cut never leaves the first half of a secret behind.
    const out = this.scrub(value);
    return out.length > MAX_STRING ? `${out.slice(0, MAX_STRING)}… (${out.length - MAX_STRING} more characters)` : out;
  }

  /** A string with every secret and token-shaped URL part replaced, whatever its length (a finished log line). */
  scrub(value: string): string {
    let out = value;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const [shape, replacement] of TOKEN_SHAPES) out = out.replace(shape, replacement);
    return out;
  }

  /** An error as plain, redacted data: message, stack, own properties, and its cause chain. */
  error(error: unknown): unknown {
    return this.walk(error, 0, new WeakSet());
  }

  /** Any value as plain, redacted data: errors anywhere inside are serialized, cycles and depth bounded. */
  value(value: unknown): unknown {
    return this.walk(value, 0, new WeakSet());
  }

  private walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.text(value);
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    seen.add(value);
    try {
      if (value instanceof Error) return this.walkError(value, depth, seen);
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
      if (value instanceof URL) return this.text(value.href);
      if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
      if (Array.isArray(value)) {
        const items = value.slice(0, MAX_KEYS).map((item) => this.walk(item, depth + 1, seen));
        if (value.length > MAX_KEYS) items.push(`… ${value.length - MAX_KEYS} more`);
        return items;
      }
      if (value instanceof Map) return this.walk(Object.fromEntries([...value].slice(0, MAX_KEYS)), depth, seen);
      if (value instanceof Set) return this.walk([...value].slice(0, MAX_KEYS), depth, seen);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return this.walk(safely(() => toJSON.call(value)), depth + 1, seen);
      return this.walkProperties(value, {}, depth, seen);
    } finally {
      seen.delete(value);
    }
  }

  private walkError(error: Error, depth: number, seen: WeakSet<object>): SerializedError {
    const out: SerializedError = {
      type: safely(() => error.constructor?.name) || safely(() => error.name) || 'Error',
      message: this.text(String(safely(() => error.message) ?? '')),
    };
    const stack = safely(() => error.stack);
    if (typeof stack === 'string') out.stack = this.text(stack);
    // Own properties include the ones libraries hang their details on: grammY's `error`, node's `code`, `cause`.
    this.walkProperties(error, out, depth, seen);
    const cause = safely(() => error.cause);
    if (cause !== undefined && out.cause === undefined) out.cause = this.walk(cause, depth + 1, seen);
    if (error instanceof AggregateError && out.errors === undefined) out.errors = this.walk(error.errors, depth + 1, seen);
    return out;
  }

  private walkProperties<T extends Record<string, unknown>>(source: object, into: T, depth: number, seen: WeakSet<object>): T {
    let kept = 0;
    const keys = safely(() => Object.keys(source)) ?? [];
    for (const key of keys) {
      if (key in into) continue;
      if (kept++ >= MAX_KEYS) {
        (into as Record<string, unknown>)['…'] = `${keys.length - MAX_KEYS} more properties`;
        break;
      }
      const walked = this.walk(safely(() => (source as Record<string, unknown>)[key]), depth + 1, seen);
      if (walked !== undefined) (into as Record<string, unknown>)[this.text(key)] = walked;
    }
    return into;
  }
}

/** A getter that throws (some libraries have them) must not take the log line down with it. */
function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * pino options that send everything logged through one redactor: the `err` serializer, every logged
 * object (errors anywhere inside it included) and, last, the finished line itself. The core does not
 * import pino; the entry point spreads these into `pino({...})`.
 */
export function redactingLogOptions(secrets: ReadonlyArray<string | undefined>) {
  const redactor = new LogRedactor(secrets);
  return {
    serializers: { err: (error: unknown) => redactor.error(error) },
    formatters: { log: (object: Record<string, unknown>) => redactor.value(object) as Record<string, unknown> },
    // The message string and anything a formatter above missed: the written line is redacted as text too.
    hooks: { streamWrite: (line: string) => redactor.scrub(line) },
  };
}
