import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

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
    // Every Node built-in (node:fs, node:crypto, node:worker_threads …) and the I/O libraries.
    const io = /^node:|^(fs|fs\/promises|os|path|crypto|net|http|https|worker_threads|child_process)$|^(gray-matter|better-sqlite3|node-cron|pg|postgres)(\/|$)/;
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(importPattern)) {
        if (io.test(spec!)) offenders.push(`${file.slice(root.length + 1)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  /** Where a relative import of `file` points, relative to the repository root ('' for a package). */
  const target = (file: string, spec: string) => (spec.startsWith('.') ? relative(root, resolve(dirname(file), spec)) : '');

  it('lets adapters and entry points reach the core only through src/index.ts', () => {
    const offenders: string[] = [];
    for (const file of [...sourceFiles(join(root, 'adapters')), ...sourceFiles(join(root, 'entry'))]) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(importPattern)) {
        const to = target(file, spec!);
        if (to.startsWith('src/') && to !== 'src/index.js' && to !== 'src/index.ts') offenders.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps platform adapters away from storage and source adapters: they get both through the core', () => {
    const offenders: string[] = [];
    for (const platform of ['telegram', 'discord', 'console']) {
      for (const file of sourceFiles(join(root, 'adapters', platform))) {
        for (const [, spec] of readFileSync(file, 'utf8').matchAll(importPattern)) {
          const to = target(file, spec!);
          if (/^adapters\/(storage|sources)\//.test(to) || /^(better-sqlite3|pg|postgres|gray-matter)(\/|$)/.test(spec!)) {
            offenders.push(`${relative(root, file)} imports ${spec}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps the platforms apart: no adapter imports another platform\'s adapter or library', () => {
    const platformLibrary = { telegram: /^(grammy|@grammyjs\/)/, discord: /^(discord\.js|@discordjs\/)/ } as const;
    const offenders: string[] = [];
    for (const [platform, library] of Object.entries(platformLibrary)) {
      for (const dir of ['telegram', 'discord', 'console', 'storage', 'sources', 'runtime']) {
        if (dir === platform) continue;
        for (const file of sourceFiles(join(root, 'adapters', dir))) {
          for (const [, spec] of readFileSync(file, 'utf8').matchAll(importPattern)) {
            if (library.test(spec!) || target(file, spec!).startsWith(`adapters/${platform}/`)) offenders.push(`${relative(root, file)} imports ${spec}`);
          }
        }
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
    expect(target(join(root, 'adapters', 'telegram', 'bot.ts'), '../../src/app.js')).toBe('src/app.js');
    expect([...io.matchAll(importPattern)].map((m) => m[1])).toEqual(['node:fs', 'gray-matter', 'node:worker_threads']);
  });
});
