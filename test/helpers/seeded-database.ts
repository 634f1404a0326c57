import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../adapters/storage/sqlite/index.js';
import type { Target } from '../../src/model.js';
import { repoRoot } from './cli.js';

/** The bundled seeds are from November 2026: a first digest that looks back 20 years holds them, whatever today is. */
export const SEEDS_LOOKBACK_HOURS = String(20 * 365 * 24);

/**
 * A temp folder with a copy of the bundled seeds and a database whose AI subscriptions for `targets` fell due a
 * minute ago: what `npm start` tests launch on. `remove()` deletes the folder.
 */
export async function seededDatabase(targets: Target[], prefix = 'newsbrief-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
  const dbPath = join(dir, 'newsbrief.db');
  const store = openSqliteStorage(dbPath);
  const due = new Date(Date.now() - 60_000).toISOString();
  for (const target of targets) {
    await store.subscriptions.upsertSubscription({ target, topic: 'AI', topicKey: 'ai', time: '08:00', timezone: 'UTC', nextDueAt: due });
  }
  await store.close();
  return { dir, dbPath, seeds: join(dir, 'seeds'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
