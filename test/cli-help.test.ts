import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../entry/cli.js';
import { CLI_COMMANDS, type CliCommand } from '../entry/cli-help.js';
import { parseMigrateDbArgs } from '../entry/migrate-db.js';
import { CLI, shellWord, wordError } from '../adapters/console/wording.js';
import { renderErrorText } from '../adapters/console/render.js';
import { COMMAND_ERROR_CODES, type CommandError, type CommandErrorCode } from '../src/index.js';
import { captureIO, printedExamples, repoRoot, runBin, shellSplit } from './helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'newsbrief-cli-help-'));
  dirs.push(dir);
  return dir;
}

const COMMANDS = Object.keys(CLI_COMMANDS) as CliCommand[];
const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIO(env);
  const code = await main(argv, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('newsbrief COMMAND --help and newsbrief help COMMAND', () => {
  it('print the same help of that command, for every command, and touch no database', async () => {
    const dir = tempDir();
    const db = join(dir, 'never.db');
    for (const command of COMMANDS) {
      const flag = await run([command, '--help', '--db', db]);
      const word = await run(['help', command]);
      const short = await run([command, '-h']);
      expect(flag.code, command).toBe(0);
      expect(flag.stdout, command).toMatch(new RegExp(`^Usage: newsbrief ${command}\\b`));
      expect(word).toEqual(flag);
      expect(short).toEqual(flag);
      // Only this command's options are listed.
      const listed = [...flag.stdout.matchAll(/^ {2}(--[a-z]+)/gm)].map((m) => m[1]);
      expect(listed, command).toEqual(CLI_COMMANDS[command].options.map((o) => `--${o}`));
    }
    expect(existsSync(db)).toBe(false);
  });

  it('shows help before anything is checked: news --help needs no topic, and names its own options', async () => {
    const news = await run(['news', '--help']);
    expect(news.code).toBe(0);
    expect(news.stdout).toMatch(/^Usage: newsbrief news TOPIC \[--count N\] \[--explain\] \[--json\] \[--now ISO\] \[--db PATH\] \[--seeds DIR\]$/m);
    expect(news.stdout).toMatch(/^ {2}--count N +How many stories \(1–10, default 5\)$/m);
    expect(news.stdout).not.toMatch(/--strict|--since/);
    const ingest = await run(['ingest', '--help']);
    expect(ingest.stdout).toMatch(/^Usage: newsbrief ingest \[DIR\] \[--strict\] \[--db PATH\] \[--seeds DIR\]$/m);
    expect(ingest.stdout).toMatch(/^Exit status: .*--strict, any file rejected/m);
  });

  it('hands sources and migrate-db to their own help, whichever way it is asked', async () => {
    for (const argv of [['help', 'sources'], ['sources', '--help'], ['--help', 'sources']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout, argv.join(' ')).toMatch(/^Usage: newsbrief sources COMMAND/);
    }
    for (const argv of [['help', 'migrate-db'], ['migrate-db', '--help']]) {
      expect((await run(argv)).stdout).toMatch(/^Usage: newsbrief migrate-db --from/);
    }
  });

  it('the overview lists every command, how to get its help, and --version', async () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Newsbrief: topic-based news digests\./);
      expect(r.stdout).toContain('newsbrief ingest [DIR] [--strict]');
      expect(r.stdout).toContain('newsbrief help [COMMAND]');
      expect(r.stdout).toMatch(/--version, -V +Print the version/);
      expect(r.stdout).toContain('newsbrief news --help (or newsbrief help news)');
    }
  });

  it('refuses help for a command that does not exist, or more than one, with exit 2', async () => {
    const unknown = await run(['help', 'fetch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^newsbrief: unknown command "fetch"\. Commands: news, topics, stories, ingest, start, help, migrate-db, sources, health, articles\./);
    const two = await run(['help', 'news', 'topics']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('"help" takes one command name only (unexpected "topics")');
    const unknownWithFlag = await run(['fetch', '--help']);
    expect(unknownWithFlag.code).toBe(2);
    expect(unknownWithFlag.stderr).toContain('unknown command "fetch"');
  });
});

describe('newsbrief --version', () => {
  it('prints the version in package.json, as --version, -V or after a command', async () => {
    expect(packageVersion).toMatch(/^\d+\.\d+\.\d+/);
    for (const argv of [['--version'], ['-V'], ['news', 'AI', '--version']]) {
      const r = await run(argv);
      expect(r, argv.join(' ')).toEqual({ code: 0, stdout: `newsbrief ${packageVersion}\n`, stderr: '' });
    }
  });
});

describe('usage errors name what is wrong and exit 2', () => {
  it('names every extra word after a command that takes fewer, and opens no database', async () => {
    const db = join(tempDir(), 'never.db');
    const cases: [string[], RegExp][] = [
      [['topics', 'AI', 'extra'], /^newsbrief topics: "topics" takes no arguments \(got "AI", "extra"\)\nRun "newsbrief topics --help" for usage\.\n$/],
      [['ingest', './seeds', 'more', 'files'], /^newsbrief ingest: "ingest" takes one folder only \(unexpected "more", "files"; quote a path with spaces\)\n/],
      [['start', 'now'], /^newsbrief start: "start" takes no arguments \(got "now"\)\n/],
      [['help', 'news', 'topics'], /^newsbrief help: "help" takes one command name only \(unexpected "topics"\)\n/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv[0] === 'start' ? argv : [...argv, '--db', db]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(db)).toBe(false);
  });

  it('cuts a long list of extra words and shows control characters as nothing', async () => {
    const r = await run(['topics', ...Array.from({ length: 8 }, (_, i) => `w${i}`), '\u001b[31mred']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(got "w0", "w1", "w2", "w3", "w4", … (9 in all))');
    const control = await run(['topics', 'a\u001b[31mb']);
    expect(control.stderr).not.toContain('\u001b');
  });

  it('refuses an option the command does not take, naming it', async () => {
    const cases: [string[], string][] = [
      [['topics', '--count', '3'], 'newsbrief topics: --count is not an option of "topics"'],
      [['ingest', '--json'], 'newsbrief ingest: --json is not an option of "ingest"'],
      [['stories', '--explain'], 'newsbrief stories: --explain is not an option of "stories"'],
      [['news', 'AI', '--strict'], 'newsbrief news: --strict is not an option of "news"'],
      [['start', '--db', 'x.db'], 'newsbrief start: --db is not an option of "start"'],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toContain(message);
    }
  });

  it('says which command an unknown option was given to, without Node\'s advice on positionals', async () => {
    const r = await run(['news', 'AI', '--colour']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`newsbrief news: Unknown option '--colour'.\nRun "newsbrief news --help" for usage.\n`);
  });
});

/** One error of every code, as the core makes them, with topics the example workspace has. */
const ERRORS: Record<CommandErrorCode, CommandError[]> = {
  'unknown-topic': [
    { ok: false, code: 'unknown-topic', params: { command: 'news', topic: 'quantm', suggestions: [{ key: 'quantum computing', name: 'Quantum Computing', count: 6 }] } },
    { ok: false, code: 'unknown-topic', params: { command: 'stories', topic: 'spac', suggestions: [{ key: 'space', name: 'Space', count: 8 }] } },
    { ok: false, code: 'unknown-topic', params: { command: 'subscribe', topic: 'spac', suggestions: [{ key: 'space', name: 'Space', count: 8 }] } },
    { ok: false, code: 'unknown-topic', params: { command: 'news', topic: 'zzz', suggestions: [] } },
    // Topics a shell would misread unquoted, and one an option parser would.
    { ok: false, code: 'unknown-topic', params: { command: 'news', topic: 'r&d', suggestions: [{ key: 'r&d (labs)', name: 'R&D (labs)', count: 1 }] } },
    { ok: false, code: 'unknown-topic', params: { command: 'stories', topic: 'oreily', suggestions: [{ key: "o'reilly picks", name: "O'Reilly picks", count: 1 }] } },
    { ok: false, code: 'unknown-topic', params: { command: 'news', topic: 'minus', suggestions: [{ key: '-minus', name: '-Minus', count: 1 }] } },
  ],
  'missing-topic': [
    { ok: false, code: 'missing-topic', params: { command: 'news', suggestions: [{ key: 'ai', name: 'AI', count: 9 }] } },
    { ok: false, code: 'missing-topic', params: { command: 'subscribe', suggestions: [] } },
    { ok: false, code: 'missing-topic', params: { command: 'unsubscribe', suggestions: [] } },
  ],
  'bad-count': [{ ok: false, code: 'bad-count', params: { min: 1, max: 10, given: '0' } }],
  'bad-time': [{ ok: false, code: 'bad-time', params: { given: '25:00' } }],
  'bad-timezone': [{ ok: false, code: 'bad-timezone', params: { given: 'kyiv', suggestions: ['Europe/Kyiv'] } }],
  'bad-option': [
    { ok: false, code: 'bad-option', params: { option: 'include', given: 'x'.repeat(1200), problem: 'total-too-long', limit: 1000 } },
    { ok: false, code: 'bad-option', params: { option: 'count', given: '0', problem: 'out-of-range', min: 1, max: 10 } },
  ],
  'too-many-subscriptions': [{ ok: false, code: 'too-many-subscriptions', params: { count: 25, max: 25 } }],
  'not-subscribed': [{ ok: false, code: 'not-subscribed', params: { topic: 'AI', subscribed: [] } }],
  'no-subscriptions': [{ ok: false, code: 'no-subscriptions', params: {} }],
};

/** A seed file for one article on `topic`, so the workspace knows the awkward topic names above. */
function seedOn(topic: string, n: number): string {
  return `---\ntitle: "Awkward topic ${n}"\nwebUrl: "https://awkward.example.com/${n}"\npublishedDateTime: "2026-11-20T10:00:00Z"\nprovider: { name: Awkward, domain: awkward.example.com }\ntopics: [${JSON.stringify(topic)}]\n---\n`;
}

describe('every example the CLI prints is a command that works', () => {
  it('quotes what a shell would misread, and puts "--" before a topic that starts with "-"', () => {
    expect(CLI.invocation('news', { topic: 'Computer Vision', count: 3 })).toBe('newsbrief news Computer Vision --count 3');
    expect(CLI.invocation('news', { topic: 'R&D (labs)' })).toBe("newsbrief news 'R&D (labs)'");
    expect(CLI.invocation('news', { topic: "O'Reilly picks", count: 2 })).toBe("newsbrief news 'O'\\''Reilly picks' --count 2");
    expect(CLI.invocation('news', { topic: '-Minus', count: 2 })).toBe('newsbrief news --count 2 -- -Minus');
    expect(CLI.invocation('ingest', { folder: 'my seeds' })).toBe("newsbrief ingest 'my seeds'");
    expect(shellWord('./data/newsbrief.db')).toBe('./data/newsbrief.db');
    expect(shellSplit("A=1 newsbrief news 'O'\\''Reilly picks' \"x y\" z\\ w")).toEqual({ env: { A: '1' }, argv: ['newsbrief', 'news', "O'Reilly picks", 'x y', 'z w'] });
  });

  it('runs each one from a folder holding ./seeds, and each exits 0 (migrate-db: its parser accepts it)', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    cpSync(join(repoRoot, 'seeds'), join(dir, 'seeds'), { recursive: true });
    ['R&D (labs)', "O'Reilly picks", '-Minus'].forEach((topic, i) => writeFileSync(join(dir, 'seeds', `awkward-${i}.md`), seedOn(topic, i)));
    writeFileSync(
      join(dir, 'subscriptions.opml'),
      '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body><outline text="One" xmlUrl="https://one.example.org/feed.xml"/></body></opml>',
    );
    const before = process.cwd();
    process.chdir(dir);
    try {
      // Feeds 1–3, so "newsbrief sources disable 3" has one to disable.
      for (const n of [1, 2, 3]) expect(await run(['sources', 'add', `https://feeds${n}.example.org/rss`, '--topic', 'AI'])).toMatchObject({ code: 0 });

      const printed: { example: string; from: string }[] = [];
      const collect = (from: string, text: string) => printed.push(...printedExamples(text).map((example) => ({ example, from })));
      for (const argv of [['help'], ...COMMANDS.map((c) => ['help', c]), ['help', 'sources'], ['help', 'migrate-db']]) {
        collect(argv.join(' '), (await run(argv)).stdout);
      }
      // What the CLI answers to wrong input: run for real, then every error code the core has, worded for the CLI.
      for (const argv of [['news', 'AI', '--count', '0'], ['news'], ['news', 'quantm'], ['news', 'zzzqqq'], ['stories', 'spac'], ['news', 'r&d', 'labz']]) {
        const r = await run(argv);
        expect(r.code, argv.join(' ')).toBe(1);
        collect(argv.join(' '), r.stderr);
      }
      for (const code of COMMAND_ERROR_CODES) {
        for (const error of ERRORS[code]) {
          collect(`${code} error`, `newsbrief: ${renderErrorText(error, CLI)}`);
          // Codes of chat-only commands have no CLI example rather than a wrong one.
          const example = wordError(error, CLI).example;
          if (example !== undefined) expect(example).toMatch(/^newsbrief (news|topics|stories)( |$)/);
        }
      }
      expect(printed.length).toBeGreaterThan(25);
      expect(printed.map((p) => p.example)).toEqual(
        expect.arrayContaining(["newsbrief news 'R&D (labs)'", "newsbrief stories 'O'\\''Reilly picks'", 'newsbrief news -- -Minus', 'newsbrief news AI --count 5']),
      );

      for (const { example, from } of printed) {
        const { env, argv } = shellSplit(example);
        const where = `${example}   (printed by: ${from})`;
        expect(argv[0], where).toBe('newsbrief');
        expect(argv[1], where).not.toBe('start');
        if (argv[1] === 'migrate-db') {
          expect(parseMigrateDbArgs(argv.slice(2), env).kind, where).toBe('run');
          continue;
        }
        // --check fetches the feed over the network; sources-cli.test.ts runs it against a loopback server.
        const args = argv.slice(1).filter((w) => !(argv[1] === 'sources' && w === '--check'));
        const r = await run(args, env);
        expect(r.code, `${where}\n${r.stderr}`).toBe(0);
      }
    } finally {
      process.chdir(before);
    }
  });
});

describe('the real launcher', () => {
  it('prints the version, a command\'s help, and names extra words', async () => {
    const version = await runBin(['-V']);
    expect(version).toEqual({ code: 0, stdout: `newsbrief ${packageVersion}\n`, stderr: '' });
    const help = await runBin(['help', 'stories']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: newsbrief stories \[TOPIC\] \[--since ISO\] \[--until ISO\] \[--json\]/);
    const extra = await runBin(['topics', 'everything']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('"topics" takes no arguments (got "everything")');
  });
});
