import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Newsbrief } from '../src/app.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { CONSOLE_TARGET, Terminal } from '../adapters/console/terminal.js';
import { makeArticle } from './helpers/articles.js';
import { repoRoot, runBin } from './helpers/cli.js';
import { indexArticles } from '../src/index.js';

/** The zone a scheduled digest is shown in, as the scheduler hands it over. */
const UTC = { timezone: 'UTC' };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function terminalWith() {
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles([makeArticle({ topics: ['Space'], title: 'Comet flyby seen from orbit' })]));
  const app = new Newsbrief({ storage: store, clock: () => new Date('2026-11-26T12:00:00Z') });
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => (text += d));
  const terminal = new Terminal({ app, input, output });
  return { app, terminal, input, output: () => text };
}

describe('terminal mode', () => {
  it('answers typed commands with or without the slash and survives nonsense', async () => {
    const t = await terminalWith();
    t.terminal.open();
    t.input.end('news\nnews space\n/subscribe Space 7:15 europe/kyiv\nsubscriptions\n/frobnicate\n/subscribe Space 99:99\n/quit\n');
    await t.terminal.done;
    const out = t.output();
    expect(out).toContain('Name a topic.\nTopics: Space\nExample: /news AI');
    expect(out).toContain('Comet flyby seen from orbit');
    expect(out).toContain('Subscribed to Space: daily at 07:15 (Europe/Kyiv, its own zone)');
    expect(out).toMatch(/Space — daily at 07:15 \(Europe\/Kyiv, its own zone\); next: .+\(Europe\/Kyiv\)/);
    expect(out).toContain('Unknown command /frobnicate. Type /help for the list.');
    expect(out).toContain('"99:99" is not a time of day');
    expect(await t.app.subscriptions(CONSOLE_TARGET)).toHaveLength(1);
  });

  it('takes subscription options typed at the prompt: subscribe, edit, preview, pause, resume, and the EST error', async () => {
    const t = await terminalWith();
    t.terminal.open();
    t.input.end(
      [
        'subscribe space 09:15 EST',
        '/subscribe Space 08:00,18:00 Europe/Kyiv days=mon,wed,fri count=2 exclude="asteroid belt" min=40',
        '/subscribe Space 7pm',
        '/preview space',
        '/pause Space',
        '/subscriptions',
        '/resume all',
        '/timezone Asia/Tokyo',
        '/quit',
        '',
      ].join('\n'),
    );
    await t.terminal.done;
    const out = t.output();
    expect(out).toContain('The time zone "EST" is not recognised: abbreviations stand for different zones through the year. Use America/New_York or UTC-5.');
    expect(out).toContain('Subscribed to Space: Mon, Wed and Fri at 08:00 and 18:00 (Europe/Kyiv, its own zone) · 2 stories · not: asteroid belt · quality 40+.');
    expect(out).toContain('Updated (time) Space: Mon, Wed and Fri at 19:00 (Europe/Kyiv, its own zone) · 2 stories · not: asteroid belt · quality 40+. Next: Fri 27 Nov, 19:00 (Europe/Kyiv).');
    // The preview: news since 36 hours ago, dates in the subscription's zone (25 Nov 08:00 UTC is 10:00 in Kyiv).
    expect(out).toContain('Preview of the next Space digest (not sent): news since 25 Nov 2026 02:00 EET. It comes Fri 27 Nov, 19:00 (Europe/Kyiv).');
    expect(out).toMatch(/Outlet \d · 25 Nov 2026 10:00 EET/);
    expect(out).toContain('Paused Space. Settings are kept; /resume brings it back.');
    expect(out).toContain('Space — Mon, Wed and Fri at 19:00 (Europe/Kyiv, its own zone) · 2 stories · not: asteroid belt · quality 40+; paused; /resume Space resumes it');
    expect(out).toContain('Resumed Space. Next: Fri 27 Nov, 19:00 (Europe/Kyiv).');
    expect(out).toContain('Time zone set to Asia/Tokyo.\nKeeping their own zone: Space (Europe/Kyiv).');
    const [view] = await t.app.subscriptions(CONSOLE_TARGET);
    expect(view!.subscription).toMatchObject({ schedule: { kind: 'days', days: [1, 3, 5], times: ['19:00'] }, timezone: 'Europe/Kyiv', paused: false });
    expect(await t.app.storage.deliveries.deliveries(view!.subscription.id)).toEqual([]);
  });

  it('shows dates of a scheduled digest in the zone the scheduler hands over, and /news in the terminal’s zone', async () => {
    const t = await terminalWith();
    const result = await t.app.news('Space');
    if (!result.ok) throw new Error('expected a digest');
    t.terminal.open();
    await t.terminal.deliverer().deliver(CONSOLE_TARGET, result.digest, { timezone: 'America/New_York' });
    expect(t.output()).toMatch(/Outlet \d · 25 Nov 2026 03:00 GMT-5\n/);
    await t.app.setTimezone(CONSOLE_TARGET, 'UTC+05:30');
    await t.terminal.handle('/news space');
    expect(t.output()).toMatch(/Outlet \d · 25 Nov 2026 13:30 UTC\+5:30\n/);
    t.terminal.close();
  });

  it('prints scheduled digests through its deliverer', async () => {
    const t = await terminalWith();
    const result = await t.app.news('Space');
    if (!result.ok) throw new Error('expected a digest');
    t.terminal.open();
    const outcome = await t.terminal.deliverer().deliver(CONSOLE_TARGET, result.digest, UTC);
    expect(outcome).toEqual({ ok: true, messages: 1 });
    expect(t.output()).toMatch(/Your digest\nSpace — 1 story/);
    t.terminal.close();
  });

  it('runs from npm start with no token, driven through stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsbrief-term-'));
    dirs.push(dir);
    cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
    const env = { TERMINAL_MODE: 'on', DATABASE_PATH: join(dir, 'nb.db'), SEEDS_DIR: join(dir, 'seeds'), SEEDS_RESCAN: 'off' };
    const result = await runBin(['start'], { env, input: '/topics\n/news quantum computing 1\n/subscribe AI 08:00 Europe/Kyiv\n/quit\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Newsbrief terminal mode');
    expect(result.stdout).toMatch(/Quantum Computing\s+\d+ articles/);
    expect(result.stdout).toMatch(/Quantum Computing — 1 story/);
    expect(result.stdout).toContain('Subscribed to AI: daily at 08:00 (Europe/Kyiv, its own zone)');
    // The subscription outlives the process.
    const again = await runBin(['start'], { env, input: '/subscriptions\n' });
    expect(again.stdout).toMatch(/AI — daily at 08:00 \(Europe\/Kyiv, its own zone\)/);
  });

  it('explains how to configure a bot and exits cleanly when there is no token and no terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsbrief-term-'));
    dirs.push(dir);
    const result = await runBin(['start'], { env: { DATABASE_PATH: join(dir, 'nb.db') } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('TELEGRAM_BOT_TOKEN');
    expect(result.stderr).toContain('DISCORD_TOKEN');
  });
});
