import { readFileSync } from 'node:fs';

/** Newsbrief's version, from package.json: what the feed User-Agent announces. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
