// A leader-election contender in a process of its own, for tests that kill it: writes "leading" to stdout once
// it holds the lock, "lost" if it loses it, and runs until killed.
import { leaderLock } from '../../adapters/storage/postgres/index.js';

const [url, name, retryMs] = process.argv.slice(2);
if (!url || !name) throw new Error('usage: lock-contender.ts URL NAME [RETRY_MS]');
await leaderLock(
  url,
  name,
  { onAcquired: () => void process.stdout.write('leading\n'), onLost: () => void process.stdout.write('lost\n') },
  { retryMs: Number(retryMs ?? 200) },
);
setInterval(() => {}, 1 << 30);
