import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { start } from '../entry/service.js';
import { FakeDiscord, Perm } from './helpers/fake-discord.js';

describe('npm start with DISCORD_TOKEN', () => {
  it('runs the Discord bot against DISCORD_API_BASE, answers commands, and stops cleanly', async () => {
    const fake = await FakeDiscord.start();
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const stderr = new PassThrough();
    let errors = '';
    stderr.on('data', (chunk) => (errors += String(chunk)));
    try {
      const running = start({
        env: {
          DISCORD_TOKEN: fake.token,
          DISCORD_API_BASE: `${fake.apiBase}/`,
          DATABASE_PATH: ':memory:',
          SEEDS_DIR: './seeds',
          SEEDS_RESCAN: 'off',
          TERMINAL_MODE: 'off',
          LOG_LEVEL: 'silent',
        },
        stderr,
        stopSignal,
      });
      await fake.waitForCall((c) => c.method === 'PUT' && c.path === `/applications/${fake.appId}/commands`, 10_000);

      const topics = await fake.slash('topics', {}, { kind: 'guild' }).callback;
      expect(topics.body.data.embeds[0].title).toBe('Topics');

      const suggestions = await fake.autocomplete('news', { topic: '' }, 'topic').callback;
      const first = suggestions.body.data.choices[0];
      expect(first).toBeDefined();
      const news = await fake.slash('news', { topic: first.value }, { kind: 'guild' }).callback;
      expect(news.body.data.content).toContain('Top stories');
      expect(news.body.data.embeds.length).toBeGreaterThan(0);

      const subscribed = await fake.slash('subscribe', { topic: first.value }, { kind: 'guild', permissions: Perm.ManageChannels }).callback;
      expect(subscribed.body.data.content).toContain('now subscribed');

      stop();
      expect(await running).toBe(0);
      expect(errors).toBe('');
      expect(fake.connectedClients).toBe(0);
    } finally {
      stop();
      await fake.close();
    }
  });
});

describe('npm start as a process', () => {
  it('stops gracefully on SIGTERM: closes the gateway normally and exits 0', async () => {
    const fake = await FakeDiscord.start();
    const child = spawn(process.execPath, ['bin/newsbrief.js', 'start'], {
      env: {
        PATH: process.env.PATH,
        DISCORD_TOKEN: fake.token,
        DISCORD_API_BASE: fake.apiBase,
        DATABASE_PATH: ':memory:',
        SEEDS_DIR: './seeds',
        SEEDS_RESCAN: 'off',
        TERMINAL_MODE: 'off',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await fake.waitForCall((c) => c.method === 'PUT' && c.path.endsWith('/commands'), 15_000);
      const help = await fake.slash('help', {}, { kind: 'dm' }).callback;
      expect(help.body.data.embeds[0].title).toBe('Newsbrief');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(fake.closeCodes).toEqual([1000]);
      expect(output).not.toMatch(/"level":(50|60)/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await fake.close();
    }
  }, 30_000);
});
