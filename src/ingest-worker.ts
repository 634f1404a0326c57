// Entry module of the parse workers ParsePool starts for ingestDirectory: seed files are parsed and
// validated here, off the thread that writes to the store.
import { parseSeedFile } from './ingest.js';
import { serveParseJobs } from './parse-pool.js';

serveParseJobs(parseSeedFile);
