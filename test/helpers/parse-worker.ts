// A parse worker for ParsePool tests: the real parser, except that a file named *hang* never finishes,
// *crash* stops the worker, and *slow* takes 20 ms (so workers finish out of order).
import { parseSeedFile } from '../../src/ingest.js';
import { serveParseJobs } from '../../src/parse-pool.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

serveParseJobs((source, bytes) => {
  if (source.includes('hang')) for (;;);
  if (source.includes('crash')) process.exit(3);
  if (source.includes('slow')) Atomics.wait(pause, 0, 0, 20);
  return parseSeedFile(source, bytes);
});
