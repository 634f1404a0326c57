import { describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { Newsbrief } from '../src/app.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { CONSOLE_TARGET, Terminal } from '../adapters/console/terminal.js';
import { LogNotices } from '../adapters/console/log-notices.js';
import { indexArticles } from '../src/index.js';
import { makeArticle } from './helpers/articles.js';

/** What the screen shows of terminal output: the text without cursor movement and clearing sequences. */
function visible(text: string): string {
  return text.replace(/\u001b\[\d*[A-Za-z]/g, '');
}

/** Ctrl-C and Ctrl-D as a terminal in raw mode sends them. */
const CTRL_C = '\x03';
const CTRL_D = '\x04';

/**
 * A Terminal on fake streams. `tty` flags both as terminals, so readline edits lines, echoes keys and reads
 * Ctrl-C as a key, as it does on a real terminal in raw mode.
 */
async function terminalOn({ tty }: { tty: boolean }) {
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(
    indexArticles([
      makeArticle({ topics: ['Space'], title: 'Comet flyby seen from orbit' }),
      makeArticle({ topics: ['AI'], title: 'Model learns to read maps' }),
    ]),
  );
  const app = new Newsbrief({ storage: store, clock: () => new Date('2026-11-26T12:00:00Z') });
  const input = Object.assign(new PassThrough(), { isTTY: tty });
  const output = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let text = '';
  output.on('data', (d) => (text += String(d)));
  const notices = new LogNotices({ write: () => {} });
  const terminal = new Terminal({ app, input, output, notices, logFile: 'data/newsbrief.log' });
  let finished = false;
  void terminal.done.then(() => (finished = true));
  return {
    app,
    terminal,
    input,
    notices,
    output: () => text,
    /** What was written after `mark`. */
    since: (mark: number) => text.slice(mark),
    finished: () => finished,
    /** Types keys and waits until readline has taken them (it echoes on a TTY; piped, a tick is enough). */
    type: async (keys: string) => {
      input.write(keys);
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

async function digestFor(app: Newsbrief, topic: string) {
  const result = await app.news(topic);
  if (!result.ok) throw new Error(`expected a digest of ${topic}`);
  return result.digest;
}

describe('terminal mode on a terminal', () => {
  it('prints a digest that arrives while typing above the prompt, and keeps the half-typed line', async () => {
    const t = await terminalOn({ tty: true });
    t.terminal.open();
    await t.type('/news spa');
    expect(visible(t.output())).toContain('newsbrief> /news spa');
    const mark = t.output().length;
    await t.terminal.deliverer().deliver(CONSOLE_TARGET, await digestFor(t.app, 'AI'), { timezone: 'UTC' });
    const delivered = t.since(mark);
    // The prompt line is wiped first (to column 1, clear down), then the digest, then the prompt and the typed text.
    expect(delivered.startsWith('\u001b[1G\u001b[0J\nYour digest\nAI — 1 story')).toBe(true);
    expect(delivered.indexOf('newsbrief> /news spa')).toBeGreaterThan(delivered.indexOf('Model learns to read maps'));
    // The typed text is still being edited: finishing it runs "/news space".
    const before = t.output().length;
    await t.type('ce\r');
    await vi.waitFor(() => expect(t.since(before)).toContain('Comet flyby seen from orbit'));
    t.terminal.close();
    await t.terminal.done;
  });

  it('shows log warnings above the prompt as one plain line, and leaves info entries to the log file', async () => {
    const t = await terminalOn({ tty: true });
    t.terminal.open();
    expect(t.output()).toContain('The log is written to data/newsbrief.log; warnings and errors also show here.');
    await t.type('/topi');
    const mark = t.output().length;
    t.notices.write(`${JSON.stringify({ level: 30, msg: 'feeds polled' })}\n`);
    t.notices.write(`${JSON.stringify({ level: 40, msg: 'feed poll failed', err: { message: 'connect\nECONNREFUSED' } })}\n`);
    const shown = t.since(mark);
    expect(shown).not.toContain('feeds polled');
    expect(shown).not.toContain('{');
    expect(shown).toContain('Warning: feed poll failed: connect ECONNREFUSED\n');
    expect(shown.indexOf('newsbrief> /topi')).toBeGreaterThan(shown.indexOf('Warning'));
    t.terminal.close();
    await t.terminal.done;
    // After the terminal closes, notices go back to where they went before it opened.
    const after = t.output().length;
    t.notices.write(`${JSON.stringify({ level: 50, msg: 'late' })}\n`);
    expect(t.since(after)).toBe('');
  });

  it('Ctrl-C cancels the typed line and shows a fresh prompt; a second Ctrl-C quits', async () => {
    const t = await terminalOn({ tty: true });
    t.terminal.open();
    await t.type('/news spa');
    await t.type(CTRL_C);
    expect(t.finished()).toBe(false);
    // The cancelled text is gone: what is typed next is a command of its own.
    const mark = t.output().length;
    await t.type('/topics\r');
    await vi.waitFor(() => expect(t.since(mark)).toMatch(/Space\s+1 article/));
    expect(t.since(mark)).not.toContain('Unknown command');
    await t.type('/subscr');
    await t.type(CTRL_C);
    expect(t.finished()).toBe(false);
    await t.type(CTRL_C);
    await vi.waitFor(() => expect(t.finished()).toBe(true));
  });

  it('Ctrl-C on an empty line quits, and the shell prompt starts on its own line', async () => {
    const t = await terminalOn({ tty: true });
    t.terminal.open();
    await t.type(CTRL_C);
    await vi.waitFor(() => expect(t.finished()).toBe(true));
    expect(t.output().endsWith('\n')).toBe(true);
  });

  it('Ctrl-D quits on an empty line with a line break after the prompt, and not while text is typed', async () => {
    const t = await terminalOn({ tty: true });
    t.terminal.open();
    await t.type('/he');
    await t.type(CTRL_D);
    expect(t.finished()).toBe(false);
    await t.type('\u0015'); // Ctrl-U: delete the typed text
    expect(t.output().endsWith('\n')).toBe(false);
    await t.type(CTRL_D);
    await vi.waitFor(() => expect(t.finished()).toBe(true));
    expect(t.output()).toMatch(/newsbrief> (\u001b\[\d+G)?\n$/);
  });

  it('prints a catch-up digest delivered while starting after the greeting', async () => {
    const t = await terminalOn({ tty: false });
    await t.terminal.deliverer().deliver(CONSOLE_TARGET, await digestFor(t.app, 'Space'), { timezone: 'UTC' });
    expect(t.output()).toBe('');
    t.terminal.open();
    const out = t.output();
    expect(out.indexOf('Newsbrief terminal mode.')).toBe(0);
    expect(out.indexOf('Your digest')).toBeGreaterThan(out.indexOf('The log is written to'));
    expect(out.endsWith('newsbrief> ')).toBe(true);
    t.terminal.close();
    await t.terminal.done;
  });
});

describe('terminal mode with piped input', () => {
  it('finishes the commands already read before it reports done', async () => {
    const t = await terminalOn({ tty: false });
    const news = t.app.news.bind(t.app);
    // Storage that takes its time: the input has ended long before /news has an answer.
    vi.spyOn(t.app, 'news').mockImplementation(async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return news(...args);
    });
    t.terminal.open();
    t.input.end('/news space\n/topics\n');
    await t.terminal.done;
    const out = t.output();
    expect(out).toContain('Comet flyby seen from orbit');
    expect(out).toMatch(/Space\s+1 article/);
    expect(out.endsWith('\n')).toBe(true);
  });

  it('runs nothing typed after /quit', async () => {
    const t = await terminalOn({ tty: false });
    t.terminal.open();
    t.input.end('/quit\n/news space\n');
    await t.terminal.done;
    expect(t.output()).not.toContain('Comet flyby');
  });
});

describe('terminal suggestions', () => {
  it('suggests the command a mistyped one was meant to be', async () => {
    const t = await terminalOn({ tty: false });
    t.terminal.open();
    t.input.end('/nesw AI\n/Topcis\n/xyzzy\nsubscirbe space\n');
    await t.terminal.done;
    const out = t.output();
    expect(out).toContain('Unknown command /nesw. Did you mean /news?');
    expect(out).toContain('Unknown command /Topcis. Did you mean /topics?');
    expect(out).toContain('Unknown command /xyzzy. Type /help for the list.');
    expect(out).toContain('Unknown command /subscirbe. Did you mean /subscribe?');
  });

  it('answers plain text with how to ask, naming the topic it mentions', async () => {
    const t = await terminalOn({ tty: false });
    t.terminal.open();
    t.input.end('ai\nspace please\nhello there\n');
    await t.terminal.done;
    const out = t.output();
    expect(out).toContain('Commands start with "/": try /news AI\n');
    expect(out).toContain('Commands start with "/": try /news Space\n');
    // Nothing to go on: a main topic (both have one article; ties go by name) and the list.
    expect(out).toContain('Commands start with "/": try /news AI, or /help for the list.');
  });

  it('still runs a command typed without its slash', async () => {
    const t = await terminalOn({ tty: false });
    t.terminal.open();
    t.input.end('news space\n');
    await t.terminal.done;
    expect(t.output()).toContain('Comet flyby seen from orbit');
  });
});
