import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CliIO } from '../../entry/cli.js';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const binPath = join(repoRoot, 'bin', 'newsbrief.js');

/** An in-memory CliIO that collects what the CLI writes. */
export function captureIO(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: { write: (t: string) => out.push(t), isTTY: false },
    stderr: { write: (t: string) => err.push(t), isTTY: false },
    env,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `newsbrief` launcher in a child process, feeding `input` on stdin. */
export function runBin(
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`newsbrief ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Splits a command line the CLI prints as a POSIX shell would, for the quoting it uses: '…' (no escapes
 * inside), "…" (backslash escapes " \ $ `), a backslash outside quotes, and leading NAME=value assignments,
 * which go to `env`.
 */
export function shellSplit(line: string): { env: Record<string, string>; argv: string[] } {
  const words: string[] = [];
  // Undefined between words; a quote starts a word even when it stays empty ('').
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word = `${word ?? ''}${c}`;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) word = `${word ?? ''}${line[++i]}`;
      else word = `${word ?? ''}${c}`;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  return { env, argv: words };
}

/** The command lines under "Example:"/"Examples:" headings of a help text, and on "Example: …" lines. */
export function printedExamples(text: string): string[] {
  const found: string[] = [];
  let inSection = false;
  for (const line of text.split('\n')) {
    const inline = /^(?:newsbrief(?: [a-z-]+)?: )?Example: (.+)$/.exec(line);
    if (inline) found.push(inline[1]!);
    if (/^Examples?:$/.test(line)) inSection = true;
    else if (inSection && /^ {2}\S/.test(line)) found.push(line.trim());
    else inSection = false;
  }
  return found;
}
