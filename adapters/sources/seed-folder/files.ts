// The seed folder on disk: which files are seed files, and reading one without following links or
// blocking on something that is not a regular file.
import fs, { constants as fsConstants, promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import type { SourceProblem } from '../../../src/index.js';

const SEED_EXTENSION = /\.(md|txt)$/i;

/** Whether an item name is one the seed folder gives (a `.md` or `.txt` path): what it owns among remembered items. */
export const isSeedFileName = (name: string): boolean => SEED_EXTENSION.test(name);

/** Throws, naming the absolute path, unless `root` is a folder. */
export async function assertFolder(root: string): Promise<void> {
  let stats;
  try {
    stats = await fsp.stat(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`Seeds folder not found: ${root}`);
    throw new Error(`Seeds folder could not be read: ${root} (${errorMessage(error)})`);
  }
  if (!stats.isDirectory()) throw new Error(`Seeds folder is not a folder: ${root}`);
}

/** What a symbolic link in the seed folder is reported with: links are never followed. */
export const SYMLINK_SKIPPED = 'symbolic link, not followed';

/**
 * Relative paths (forward slashes) of the seed files (`.md`, `.txt`, any depth), sorted. Hidden entries
 * and node_modules are skipped silently; symbolic links (to files or folders alike: what a link points at is
 * never looked at) are skipped and added to `skipped`, so a user can tell why a linked file is missing.
 * Unreadable sub-folders become problems. Throws when the folder itself cannot be read or holds more than
 * `maxFiles`.
 */
export async function listSeedFiles(root: string, problems: SourceProblem[], maxFiles?: number, skipped?: SourceProblem[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      if (relative === '') throw new Error(`Seeds folder could not be read: ${root} (${errorMessage(error)})`);
      problems.push({ name: `${relative}/`, reason: `could not read folder: ${firstLine(errorMessage(error))}` });
      return;
    }
    for (const entry of entries) {
      // Dirent types come from lstat, so symbolic links are seen as links and never followed.
      if (entry.name.startsWith('.')) continue;
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        skipped?.push({ name: child, reason: SYMLINK_SKIPPED });
        continue;
      }
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
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  skipped?.sort((a, b) => order(a.name, b.name));
  return found.sort(order);
}

export type ReadResult = { ok: true; bytes: Buffer } | { ok: false; reason: string };

// O_NOFOLLOW: the file may have been swapped for a link since it was listed. O_NONBLOCK: or for a FIFO.
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Synchronous on purpose: a seed file is a few KB from the page cache, and four thread-pool round trips
 * per file (open, stat, read, close) cost more than the reads themselves.
 */
export function readSeedFile(root: string, source: string, maxBytes: number): ReadResult {
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

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
const firstLine = (s: string) => s.split('\n', 1)[0]!.slice(0, 300);
