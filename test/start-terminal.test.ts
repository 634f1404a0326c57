import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { start } from '../entry/service.js';
import { CONSOLE_TARGET } from '../adapters/console/terminal.js';
import { SEEDS_LOOKBACK_HOURS, seededDatabase } from './helpers/seeded-database.js';

const workspaces: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const w of workspaces.splice(0)) w.remove();
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  return { stream, text: () => text };
}

/** `npm start` in terminal mode in this process, input piped, with LOG_LEVEL=info as .env.example sets it. */
async function startTerminal(env: Record<string, string>) {
  const ws = await seededDatabase([CONSOLE_TARGET], 'newsbrief-start-terminal-');
  workspaces.push(ws);
  const stdin = new PassThrough();
  const stdout = capture();
  const stderr = capture();
  const running = start({
    env: { TERMINAL_MODE: 'on', DATABASE_PATH: ws.dbPath, SEEDS_DIR: ws.seeds, SEEDS_RESCAN: 'off', FEEDS_POLL: 'off', LOG_LEVEL: 'info', ...env },
    stdin,
    stdout: stdout.stream,
    stderr: stderr.stream,
    stopSignal: new Promise(() => {}),
  });
  return { ws, stdin, stdout: stdout.text, stderr: stderr.text, running };
}

describe('npm start in terminal mode', () => {
  it('with LOG_LEVEL=info writes the log to a file beside the database and no JSON to the screen; a catch-up digest follows the greeting', async () => {
    const t = await startTerminal({ FIRST_DIGEST_LOOKBACK_HOURS: SEEDS_LOOKBACK_HOURS });
    // The AI subscription fell due a minute ago: its digest is delivered while starting.
    await vi.waitFor(() => expect(t.stdout()).toContain('Your digest'), { timeout: 10_000 });
    t.stdin.end('/news space 1\n/quit\n');
    expect(await t.running).toBe(0);
    const screen = t.stdout() + t.stderr();
    expect(screen).not.toContain('{"level"');
    expect(screen).not.toContain('"msg"');
    const logFile = join(t.ws.dir, 'newsbrief.log');
    expect(t.stdout()).toContain(`The log is written to ${logFile}; warnings and errors also show here.`);
    expect(t.stdout().indexOf('Newsbrief terminal mode.')).toBe(0);
    expect(t.stdout().indexOf('Your digest')).toBeGreaterThan(t.stdout().indexOf('The log is written to'));
    // Piped commands finish before the storage closes.
    expect(t.stdout()).toMatch(/Space — 1 story/);
    const entries = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(entries.map((e) => e.msg)).toEqual(expect.arrayContaining(['starting', 'seeds ingested', 'stopping']));
    expect(entries.some((e) => e.level === 30)).toBe(true);
  }, 30_000);

  it('shows a warning as one plain line and writes it to LOG_FILE, creating its folder', async () => {
    const t = await startTerminal({ SEEDS_DIR: '/nonexistent/newsbrief-seeds', LOG_FILE: '' });
    const logFile = join(t.ws.dir, 'logs', 'nested', 'nb.log');
    t.stdin.end('/quit\n');
    await t.running;
    const again = await startTerminal({ SEEDS_DIR: '/nonexistent/newsbrief-seeds', LOG_FILE: logFile });
    again.stdin.end('/quit\n');
    expect(await again.running).toBe(0);
    expect(again.stderr()).toBe('Warning: seeds folder not found; no articles loaded from it\n');
    expect(again.stdout()).not.toContain('{');
    expect(existsSync(logFile)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toContain('"msg":"seeds folder not found; no articles loaded from it"');
    // An empty LOG_FILE means the default, beside the database.
    expect(existsSync(join(t.ws.dir, 'newsbrief.log'))).toBe(true);
  }, 30_000);

  it('stops before opening anything when the log file cannot be created, naming it and LOG_FILE', async () => {
    const ws = await seededDatabase([], 'newsbrief-start-terminal-');
    workspaces.push(ws);
    // A folder cannot be made inside a file.
    const logFile = join(ws.dbPath, 'nb.log');
    const stderr = capture();
    const code = await start({
      env: { TERMINAL_MODE: 'on', DATABASE_PATH: ws.dbPath, SEEDS_DIR: ws.seeds, SEEDS_RESCAN: 'off', FEEDS_POLL: 'off', LOG_FILE: logFile },
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: stderr.stream,
      stopSignal: new Promise(() => {}),
    });
    expect(code).toBe(1);
    expect(stderr.text()).toContain(`newsbrief: cannot open the log file ${logFile} (LOG_FILE):`);
    // The database was not locked: nothing was opened.
    expect(existsSync(`${ws.dbPath}.lock`)).toBe(false);
  });
});
