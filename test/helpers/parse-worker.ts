// A parse function for ParsePool tests, loaded by worker threads through its module URL: the real parser,
// except that a file named *hang* never finishes, *crash* stops the worker, *throw* throws, and *slow*
// takes 20 ms (so workers finish out of order).
import type { ParserModule } from '../../adapters/sources/parse-pool.js';
import { parseSeedFile, type ParseResult } from '../../adapters/sources/seed-folder/index.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function parseOrMisbehave(name: string, bytes: Buffer): ParseResult {
  if (name.includes('hang')) for (;;);
  if (name.includes('crash')) process.exit(3);
  if (name.includes('throw')) throw new Error('parser defect\nsecond line');
  if (name.includes('slow')) Atomics.wait(pause, 0, 0, 20);
  return parseSeedFile(name, bytes);
}

/** This module's parse function, as `ParsePool` and `workerParser` take it. */
export const misbehavingParser: ParserModule = { url: new URL(import.meta.url), exportName: parseOrMisbehave.name };
