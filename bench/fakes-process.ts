import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Delivered, REPORT_PATH, type DeliveredData } from './rate-window.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fakes-child.ts');

export interface FakesProcess {
  /** Bot API root for grammY. */
  telegram: string;
  /** REST base for discord.js. */
  discord: string;
  /** What each fake accepted so far. */
  report(): Promise<{ telegram: Delivered; discord: Delivered; discordNonceRepeats: number }>;
  stop(): Promise<void>;
}

/** Starts the rate-limited Telegram and Discord fakes in their own process (see fakes-child.ts). */
export async function startFakes(): Promise<FakesProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: path.resolve(path.dirname(CHILD), '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line'),
    exited.then(() => {
      throw new Error('fan-out bench: the fakes process exited before listening');
    }),
  ])) as [string];
  const urls = JSON.parse(line) as { telegram: string; discord: string };
  return {
    ...urls,
    async report() {
      const telegram = (await fetchJson(`${urls.telegram}${REPORT_PATH}`)) as DeliveredData;
      const discord = (await fetchJson(`${new URL(urls.discord).origin}${REPORT_PATH}`)) as DeliveredData & { nonceRepeats: number };
      return { telegram: Delivered.from(telegram), discord: Delivered.from(discord), discordNonceRepeats: discord.nonceRepeats };
    },
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fan-out bench: GET ${url} answered ${response.status}`);
  return response.json();
}
