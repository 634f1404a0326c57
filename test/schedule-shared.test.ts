import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Newsbrief, indexArticles, type Storage } from '../src/index.js';
import type { Subscription, Target } from '../src/model.js';
import { DigestScheduler, SCHEDULE } from '../src/schedule.js';
import { createMemoryStorage } from '../adapters/storage/memory/index.js';
import { openPostgresStorage } from '../adapters/storage/postgres/index.js';
import { makeArticle } from './helpers/articles.js';
import { FakeClock } from './helpers/fake-clock.js';
import { RecordingDeliverer } from './helpers/recording-deliverer.js';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

/**
 * Several schedulers on one database, as several `npm start` on one Postgres run them (shared mode):
 * chat leases split the due chats, each slot goes out once, and a dead scheduler's work is taken over
 * once its lease has run out.
 */

const START = '2026-11-27T07:59:00.000Z';
const DUE = '2026-11-27T08:00:00.000Z';
const chat = (chatId: string): Target => ({ platform: 'telegram', chatId });

const schedulers: DigestScheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop(100)));
});

/** A deliverer like a real one: each send takes a little while, so schedulers' work interleaves. */
class SlowDeliverer extends RecordingDeliverer {
  override async deliver(...args: Parameters<RecordingDeliverer['deliver']>) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    return super.deliver(...args);
  }
}

/** Articles on AI and `chats` subscriptions to it (one per chat, two in chat 0: AI and ML), due at DUE. */
async function seed(storage: Storage, clock: FakeClock, chats: number): Promise<{ app: Newsbrief; subs: Subscription[] }> {
  const app = new Newsbrief({ storage, clock: clock.now });
  const articles = Array.from({ length: 6 }, (_, i) =>
    makeArticle({ title: `shared mode story number ${i} zq${i}x`, topics: ['AI', 'ML'], publishedAt: '2026-11-27T06:00:00.000Z' }),
  );
  await storage.articles.upsertArticles(indexArticles(articles));
  app.refreshTopics();
  const subs: Subscription[] = [];
  for (let i = 0; i < chats; i++) {
    const result = await app.subscribe(chat(String(i)), 'AI', '08:00', 'UTC');
    if (!result.ok) throw new Error(`subscribe: ${result.code}`);
    subs.push(result.view.subscription);
  }
  const second = await app.subscribe(chat('0'), 'ML', '08:00', 'UTC');
  if (!second.ok) throw new Error(`subscribe: ${second.code}`);
  subs.push(second.view.subscription);
  return { app, subs };
}

function shared(app: Newsbrief, clock: FakeClock, deliverer: RecordingDeliverer, claimant: string): DigestScheduler {
  const s = new DigestScheduler({ app, deliverers: [deliverer], clock: clock.now, shared: true, claimant, concurrency: 4 });
  schedulers.push(s);
  return s;
}

/** Every delivered (chat, topic) pair across the deliverers, counted. */
function deliveredCounts(deliverers: RecordingDeliverer[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of deliverers) {
    for (const call of d.delivered) {
      const key = `${call.target.chatId} ${call.digest.topic}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

describe('DigestScheduler shared mode (memory storage)', () => {
  it('three schedulers ticking together deliver every slot exactly once and split the chats', async () => {
    const clock = new FakeClock(START);
    const storage = createMemoryStorage();
    const { app, subs } = await seed(storage, clock, 40);
    const deliverers = [0, 1, 2].map(() => new SlowDeliverer('telegram', clock.now));
    const group = deliverers.map((d, i) => shared(app, clock, d, `instance-${i}`));
    clock.set(DUE);
    await Promise.all(group.map((s) => s.tick()));

    const counts = deliveredCounts(deliverers);
    expect(counts.size).toBe(subs.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // The work was shared, not done by whichever ticked first.
    expect(deliverers.filter((d) => d.delivered.length > 0).length).toBeGreaterThanOrEqual(2);
    // Both subscriptions of chat 0 went out from one scheduler: one chat, one process.
    expect(deliverers.filter((d) => d.deliveredTo('0').length > 0)).toHaveLength(1);
    // Every subscription moved on to its next slot; nothing holds a chat any more.
    for (const sub of subs) expect((await storage.subscriptions.getSubscription(sub.id))!.nextDueAt).toBe('2026-11-28T08:00:00.000Z');
    expect(await storage.deliveries.leaseChat('telegram', '0', 'newcomer', clock.now(), new Date(clock.now().getTime() + 1000))).toBe(true);
    await storage.close();
  });

  it("leaves a live scheduler's chat alone, and takes over a dead one's once its lease has run out", async () => {
    const clock = new FakeClock(START);
    const storage = createMemoryStorage();
    const { app } = await seed(storage, clock, 3);
    const dying = new RecordingDeliverer('telegram', clock.now);
    // Chat 1's digest leaves and never comes back: the process dies with it on the wire.
    dying.holdTarget(chat('1'));
    const a = shared(app, clock, dying, 'a');
    clock.set(DUE);
    const aTick = a.tick();
    await until(() => dying.inFlight.length === 1);

    const survivor = new RecordingDeliverer('telegram', clock.now);
    const b = shared(app, clock, survivor, 'b');
    // While a's lease runs, b sends nothing to chat 1 (a holds it), whatever else it does.
    clock.advanceMinutes(0.25);
    await b.tick();
    expect(survivor.deliveredTo('1')).toHaveLength(0);

    // a is dead: nothing renews its lease. Past it, b settles the slot a left on the wire. Telegram has
    // no idempotency key, so the part on the wire is taken as delivered, not sent again.
    clock.set(new Date(Date.parse(DUE) + SCHEDULE.LEASE_MS + 1000).toISOString());
    const report = await b.tick();
    expect(report.resumed).toBe(1);
    expect(survivor.deliveredTo('1')).toHaveLength(0);
    const sub1 = (await storage.subscriptions.listSubscriptions(chat('1')))[0]!;
    expect((await storage.deliveries.getDelivery(sub1.id, DUE))?.status).toBe('sent');
    expect(sub1.nextDueAt).toBe('2026-11-28T08:00:00.000Z');

    // a wakes up late: its claim is gone, so it records nothing over b's settlement.
    dying.release();
    await aTick;
    expect((await storage.deliveries.getDelivery(sub1.id, DUE))?.detail).toMatch(/unconfirmed/);
    await storage.close();
  });

  it('sends a dead scheduler\'s claimed slot that never reached the wire, once', async () => {
    const clock = new FakeClock(START);
    const storage = createMemoryStorage();
    const { app, subs } = await seed(storage, clock, 2);
    clock.set(DUE);
    // What a scheduler killed between claiming and sending leaves: a claim and the chat's lease.
    const sub = subs[1]!;
    await storage.deliveries.leaseChat('telegram', '1', 'killed', clock.now(), new Date(clock.now().getTime() + SCHEDULE.LEASE_MS));
    await storage.deliveries.claimDelivery(sub.id, DUE, 'killed', clock.now());

    const survivor = new RecordingDeliverer('telegram', clock.now);
    const b = shared(app, clock, survivor, 'b');
    await b.start(() => ({ stop() {} }));
    await b.tick();
    expect(survivor.deliveredTo('1')).toHaveLength(0);
    clock.set(new Date(Date.parse(DUE) + SCHEDULE.LEASE_MS).toISOString());
    await b.tick();
    expect(survivor.deliveredTo('1')).toHaveLength(1);
    await b.tick();
    expect(survivor.deliveredTo('1')).toHaveLength(1);
    expect((await storage.deliveries.getDelivery(sub.id, DUE))?.status).toBe('sent');
    await storage.close();
  });

  it('keeps a chat while it renews its lease, and hands its chats over at once when stopped', async () => {
    const clock = new FakeClock(START);
    const storage = createMemoryStorage();
    const { app } = await seed(storage, clock, 2);
    const slow = new RecordingDeliverer('telegram', clock.now);
    slow.holdTarget(chat('1'));
    const a = shared(app, clock, slow, 'a');
    clock.set(DUE);
    const aTick = a.tick();
    await until(() => slow.inFlight.length === 1);

    const other = new RecordingDeliverer('telegram', clock.now);
    const b = shared(app, clock, other, 'b');
    for (let i = 0; i < 4; i++) {
      // a is alive: it renews (its timer does this every lease/3) and b, a lease later, still keeps off.
      clock.set(new Date(clock.now().getTime() + SCHEDULE.LEASE_MS / 2).toISOString());
      expect(await a.renewLeases()).toBe(1);
      await b.tick();
    }
    expect(other.deliveredTo('1')).toHaveLength(0);
    slow.release();
    await aTick;
    expect(slow.deliveredTo('1')).toHaveLength(1);
    expect(other.deliveredTo('1')).toHaveLength(0);

    // A scheduler that stops gives its leases back: another takes the chat without waiting the lease out.
    await storage.deliveries.leaseChat('telegram', '7', 'a', clock.now(), new Date(clock.now().getTime() + SCHEDULE.LEASE_MS));
    await a.stop(100);
    expect(await storage.deliveries.leaseChat('telegram', '7', 'b', clock.now(), new Date(clock.now().getTime() + 1000))).toBe(true);
    await storage.close();
  });

  it('without shared mode, a restart settles every slot a previous run left owned, as before', async () => {
    const clock = new FakeClock(START);
    const storage = createMemoryStorage();
    const { app, subs } = await seed(storage, clock, 2);
    clock.set(DUE);
    await storage.deliveries.leaseChat('telegram', '1', 'killed', clock.now(), new Date(clock.now().getTime() + SCHEDULE.LEASE_MS));
    await storage.deliveries.claimDelivery(subs[1]!.id, DUE, 'killed', clock.now());
    const deliverer = new RecordingDeliverer('telegram', clock.now);
    const s = new DigestScheduler({ app, deliverers: [deliverer], clock: clock.now, claimant: 'restarted' });
    schedulers.push(s);
    await s.start(() => ({ stop() {} }));
    await s.tick();
    expect(deliverer.deliveredTo('1')).toHaveLength(1);
    await storage.close();
  });
});

describe('DigestScheduler: one platform\'s long pass does not hold up another\'s', () => {
  it('starts a new Discord pass while the Telegram pass of the previous tick is still sending', async () => {
    const clock = new FakeClock(START);
    const storage = createMemoryStorage();
    const { app } = await seed(storage, clock, 1);
    const discordChat: Target = { platform: 'discord', chatId: '900000000000000001' };
    const first = await app.subscribe(discordChat, 'AI', '08:00', 'UTC');
    const second = await app.subscribe({ platform: 'discord', chatId: '900000000000000002' }, 'AI', '08:01', 'UTC');
    if (!first.ok || !second.ok) throw new Error('subscribe');
    const telegram = new RecordingDeliverer('telegram', clock.now);
    const discord = new RecordingDeliverer('discord', clock.now);
    telegram.holdTarget(chat('0'));
    const s = new DigestScheduler({ app, deliverers: [telegram, discord], clock: clock.now });
    schedulers.push(s);
    clock.set(DUE);
    const firstTick = s.tick();
    await until(() => telegram.inFlight.length === 1 && discord.delivered.length === 1);
    // Discord's pass ends once its slot is recorded (the subscription moved on to tomorrow).
    for (let i = 0; i < 100 && (await storage.subscriptions.getSubscription(first.view.subscription.id))!.nextDueAt === DUE; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A minute later Telegram is still busy with the 08:00 pass; Discord's 08:01 slot goes out anyway.
    clock.advanceMinutes(1);
    const secondTick = await s.tick();
    expect(secondTick.sent).toBe(1);
    expect(discord.deliveredTo('900000000000000002')).toHaveLength(1);
    expect(telegram.inFlight).toHaveLength(1);
    telegram.release();
    await firstTick;
    expect(telegram.deliveredTo('0')).toHaveLength(2);
    await storage.close();
  });
});

const unavailable = postgresUnavailable();
if (unavailable) process.stderr.write(`Postgres shared-scheduler tests skipped: ${unavailable}\n`);

describe.skipIf(unavailable !== undefined)('DigestScheduler shared mode on Postgres: three instances, one database', () => {
  let server: TestPostgres;
  let admin: pg.Pool;
  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 1 });
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  it('each of 150 slots goes out exactly once when three instances with their own pools tick at once', async () => {
    const schema = `s_${randomBytes(5).toString('hex')}`;
    const clock = new FakeClock(START);
    const stores = [];
    for (let i = 0; i < 3; i++) stores.push(await openPostgresStorage(server.url, { schema, poolSize: 4 }));
    try {
      const { subs } = await seed(stores[0]!, clock, 149);
      const deliverers = stores.map(() => new SlowDeliverer('telegram', clock.now));
      const group = stores.map((store, i) => shared(new Newsbrief({ storage: store, clock: clock.now }), clock, deliverers[i]!, `pg-${i}`));
      clock.set(DUE);
      await Promise.all(group.map((s) => s.tick()));
      const counts = deliveredCounts(deliverers);
      expect(counts.size).toBe(subs.length);
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      expect(deliverers.filter((d) => d.delivered.length > 0).length).toBeGreaterThanOrEqual(2);
      const { rows } = await admin.query(`SELECT status, count(*)::int AS n FROM "${schema}".deliveries GROUP BY status`);
      expect(rows).toEqual([{ status: 'sent', n: subs.length }]);
      const leases = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".chat_leases`);
      expect(leases.rows[0].n).toBe(0);
    } finally {
      for (const store of stores) await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 60_000);
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
