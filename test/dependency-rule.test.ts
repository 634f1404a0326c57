import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const importPattern = /(?:from\s+|import\s*\(\s*|import\s+|require\s*\(\s*)['"]([^'"]+)['"]/g;

describe('dependency rule', () => {
  it('keeps src/ free of discord.js, grammY and the adapters', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(importPattern)) {
        if (/^(discord\.js|@discordjs\/|grammy|@grammyjs\/)/.test(spec!) || /(^|\/)adapters(\/|$)/.test(spec!)) {
          offenders.push(`${file.slice(root.length + 1)} imports ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps src/ free of I/O libraries: files, threads, processes and databases go through ports', () => {
    const io = /^(node:)?(fs|fs\/promises|os|path|worker_threads|child_process)$|^(gray-matter|better-sqlite3|node-cron|pg)(\/|$)/;
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(importPattern)) {
        if (io.test(spec!)) offenders.push(`${file.slice(root.length + 1)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps src/ from reading process.env: config comes in as a parameter', () => {
    const readers = sourceFiles(join(root, 'src')).filter((f) => /process\.env/.test(readFileSync(f, 'utf8')));
    expect(readers.map((f) => f.slice(root.length + 1))).toEqual([]);
  });

  it('would catch an offending import', () => {
    const sample = `import { Bot } from 'grammy';\nconst x = await import("../adapters/telegram/bot.js");`;
    expect([...sample.matchAll(importPattern)].map((m) => m[1])).toEqual(['grammy', '../adapters/telegram/bot.js']);
    const io = `import fs from 'node:fs';\nimport matter from "gray-matter";\nconst { Worker } = require('node:worker_threads');`;
    expect([...io.matchAll(importPattern)].map((m) => m[1])).toEqual(['node:fs', 'gray-matter', 'node:worker_threads']);
  });
});
