import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import matter from 'gray-matter';

let counter = 0;

/**
 * Front-matter fields of a valid seed file with a unique URL. An override set to `undefined` removes
 * the field, so tests can build "missing X" files from the same base.
 */
export function seedFields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  const fields: Record<string, unknown> = {
    category: 'news',
    title: `Seed story ${counter}`,
    excerpt: `What happened in story ${counter}.`,
    publishedDateTime: '2026-03-01T09:30:00Z',
    webUrl: `https://seeds.example.com/story-${counter}`,
    type: 'article',
    quality: 70,
    heat: 5,
    published: true,
    provider: { name: 'Example News', domain: 'seeds.example.com' },
    topics: ['AI'],
    ...overrides,
  };
  for (const [key, value] of Object.entries(fields)) if (value === undefined) delete fields[key];
  return fields;
}

/** The text of a seed file: YAML front matter for the fields, then an optional body. */
export function seedText(fields: Record<string, unknown> = seedFields(), body = ''): string {
  return matter.stringify(body, fields);
}

/** A fresh temporary folder; remove it with `removeDir`. */
export function makeTempDir(prefix = 'newsbrief-ingest-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes files (relative paths, forward slashes, any depth) under `dir`. */
export function writeSeeds(dir: string, files: Record<string, string | Buffer>): void {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(dir, ...relative.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}
