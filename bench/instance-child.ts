/**
 * One Newsbrief instance for the multi-instance fan-out bench (fanout-instances.ts): Postgres storage on
 * the bench's database, the real Telegram and Discord adapters (deliverers only: no polling, no gateway)
 * pacing through the shared rate budget, and a DigestScheduler in shared mode ticking every second.
 * Settings arrive as JSON in argv[2]; it prints "ready" once ticking and stops when stdin closes (the
 * parent may also kill it with SIGKILL, which is the point of one scenario).
 */
import { createDiscordBot } from '../adapters/discord/index.js';
import { createTelegramBot } from '../adapters/telegram/index.js';
import { openPostgresStorage } from '../adapters/storage/postgres/index.js';
import { DigestScheduler, Newsbrief, silentLogger } from '../src/index.js';

export interface InstanceSettings {
  url: string;
  schema: string;
  name: string;
  telegram: { apiRoot: string; token: string };
  discord: { apiBase: string; token: string };
  /** The bench's clock: `clockAt` (ms) at real time `realAt` (ms), moving with real time. */
  clockAt: number;
  realAt: number;
  leaseMs: number;
  tickMs: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as InstanceSettings;
const clock = () => new Date(settings.clockAt + (Date.now() - settings.realAt));
const storage = await openPostgresStorage(settings.url, { schema: settings.schema, poolSize: 8 });
const app = new Newsbrief({ storage, clock });
const telegram = createTelegramBot({
  token: settings.telegram.token,
  apiRoot: settings.telegram.apiRoot,
  app,
  logger: silentLogger,
  rateBudget: storage.rateBudget,
});
const discord = createDiscordBot({
  token: settings.discord.token,
  apiBase: settings.discord.apiBase,
  app,
  logger: silentLogger,
  rateBudget: storage.rateBudget,
});
// Scheduled posts need only the REST client; no gateway session.
discord.client.rest.setToken(settings.discord.token);

const scheduler = new DigestScheduler({
  app,
  deliverers: [telegram.deliverer, discord.deliverer],
  clock,
  logger: silentLogger,
  claimant: settings.name,
  shared: true,
  leaseMs: settings.leaseMs,
  // Every first digest reaches back over the whole generated corpus, so none comes out empty.
  firstLookbackHours: 24 * 365,
});
// Ticks come from here rather than through start()'s ticker, so each one's report can be passed on: the
// parent counts what each instance sent from these lines ("sent N" after every tick that sent anything).
await scheduler.start(() => ({ stop() {} }));
let sent = 0;
let last: Promise<unknown> | undefined;
const timer = setInterval(() => {
  const running = scheduler.tick();
  // A tick still under way is joined, not started again: its report is counted once, when it ends.
  if (running === last) return;
  last = running;
  running.then(
    (report) => {
      if (report.sent === 0) return;
      sent += report.sent;
      process.stdout.write(`sent ${sent}\n`);
    },
    (error: unknown) => process.stderr.write(`${settings.name}: tick failed: ${String(error)}\n`),
  );
}, settings.tickMs);
process.stdout.write('ready\n');

process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    clearInterval(timer);
    await scheduler.stop();
    await Promise.allSettled([telegram.stop(), discord.stop()]);
    await storage.close();
    process.exit(0);
  })();
});
