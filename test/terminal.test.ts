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
    expect(out).toContain('Unknown command "/frobnicate"');
    expect(out).toContain('"99:99" is not a time of day');
    expect(await t.app.subscriptions(CONSOLE_TARGET)).toHaveLength(1);
  });

  it('prints scheduled digests through its deliverer', async () => {
    const t = await terminalWith();
    const result = await t.app.news('Space');
    if (!result.ok) throw new Error('expected a digest');
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
