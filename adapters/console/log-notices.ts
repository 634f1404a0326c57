/** Longest notice shown above the prompt; the log file has the whole entry. */
const MAX_NOTICE = 200;

/** Anything that takes text: stderr before a terminal is attached. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * The screen's share of terminal mode's log: pino writes every entry to the log file and also hands each
 * finished JSON line to `write` here, which keeps warnings and worse as one short plain line. While a terminal
 * is attached they are printed through it (so the prompt is redrawn under them); before that and after it
 * closes they go to `fallback`.
 */
export class LogNotices {
  private show: ((notice: string) => void) | undefined;

  constructor(private readonly fallback: TextSink) {}

  /** Sends notices to `show` until the returned function is called. */
  attach(show: (notice: string) => void): () => void {
    this.show = show;
    return () => {
      if (this.show === show) this.show = undefined;
    };
  }

  /** Called by pino (as a multistream destination) with one JSON log line. */
  write(line: string): void {
    const notice = logNotice(line);
    if (notice === undefined) return;
    if (this.show) this.show(notice);
    else this.fallback.write(`${notice}\n`);
  }
}

/**
 * A pino JSON line as one plain line for the screen ("Warning: feed poll failed: connect ECONNREFUSED"), or
 * undefined below warn or for a line that is not a log entry. Control characters (terminal escapes from a feed
 * title, newlines of a stack) become spaces.
 */
export function logNotice(line: string): string | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { level, msg, err } = entry as { level?: unknown; msg?: unknown; err?: unknown };
  if (typeof level !== 'number' || level < 40) return undefined;
  const word = level >= 60 ? 'Fatal' : level >= 50 ? 'Error' : 'Warning';
  const message = typeof msg === 'string' ? msg : '';
  const cause = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string' ? (err as { message: string }).message : '';
  const text = cause && !message.includes(cause) ? (message ? `${message}: ${cause}` : cause) : message;
  const flat = `${word}: ${text}`.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > MAX_NOTICE ? `${flat.slice(0, MAX_NOTICE - 1)}…` : flat;
}
