import { clearScreenDown, createInterface, cursorTo, moveCursor } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  commandsFor,
  parseNewsArgs,
  parseSubscribeArgs,
  type DeliverHooks,
  type DeliveryContext,
  type Deliverer,
  type Digest,
  type DeliveryOutcome,
  type Newsbrief,
  type Target,
} from '../../src/index.js';
import {
  plainStyle,
  renderDigestText,
  renderErrorText,
  renderPausedText,
  renderPreviewText,
  renderSubscribedText,
  renderSubscriptionsText,
  renderTimezoneSetText,
  renderTopicsText,
  type TextStyle,
} from './render.js';
import { TERMINAL, commandExample, commandLines } from './wording.js';
import { closestCommand } from './command-suggestion.js';
import { subscribeOptions } from '../wording.js';

/** Terminal mode has one subscriber: whoever sits at the prompt. */
export const CONSOLE_TARGET: Target = { platform: 'console', chatId: 'local' };

/** The terminal's commands, from the core's catalogue. */
export const TERMINAL_HELP = [
  'Commands (the leading slash is optional):',
  ...commandLines(TERMINAL, { width: 34 }),
  '',
  'Options of /subscribe, after the topic; only those given change an existing subscription:',
  ...subscribeOptions().map((o) => `  ${`${o.name}=${o.placeholder}`.padEnd(34)} ${o.description}`),
  `  e.g. ${TERMINAL.invocation('subscribe', { topic: 'AI', time: '08:00,18:00', timezone: 'Europe/Kyiv', days: 'mon-fri', count: '3', exclude: 'crypto' })}`,
].join('\n');

export interface TerminalOptions {
  app: Newsbrief;
  input: Readable & { isTTY?: boolean };
  output: Writable & { isTTY?: boolean };
  style?: TextStyle;
  prompt?: string;
  /**
   * Line editing (history, Ctrl-C, a prompt redrawn under anything printed while typing). Default: when both
   * streams are terminals; off for piped input, which is read line by line.
   */
  terminal?: boolean;
  /** Where the log goes, told once in the greeting. */
  logFile?: string;
  /** Warnings and errors from the log, shown above the prompt while the terminal is open. */
  notices?: { attach(show: (notice: string) => void): () => void };
}

/** The prompt's names of commands, for "Did you mean /news?". */
const COMMAND_NAMES = commandsFor('terminal').map((spec) => spec.name);

/** Longest plain-text line looked up as a topic for a hint. */
const MAX_HINT_TEXT = 60;

/** The interactive prompt. Resolves when the user quits or input ends. */
export class Terminal {
  private readonly app: Newsbrief;
  private readonly output: Writable;
  private readonly style: TextStyle;
  private readonly rl;
  private readonly tty: boolean;
  private readonly logFile: string | undefined;
  private readonly notices: TerminalOptions['notices'];
  private detachNotices: () => void = () => {};
  private closed = false;
  /** Set by /quit, Ctrl-C on an empty line: lines typed after it are not run. */
  private quitting = false;
  /** The greeting has been printed: before that, digests wait in `early`. */
  private opened = false;
  private readonly early: string[] = [];
  /** A prompt is on the screen's last line (with whatever is typed after it). */
  private prompting = false;
  /** Resolves once input has ended or the user quit, and every command typed before has finished. */
  readonly done: Promise<void>;
  private pending: Promise<void> = Promise.resolve();
  /** Lines read and not yet finished, the running one included. */
  private waiting = 0;

  constructor(options: TerminalOptions) {
    this.app = options.app;
    this.output = options.output;
    this.style = options.style ?? plainStyle;
    this.logFile = options.logFile;
    this.notices = options.notices;
    this.tty = options.terminal ?? (options.input.isTTY === true && options.output.isTTY === true);
    this.rl = createInterface({ input: options.input, output: options.output, terminal: this.tty });
    this.done = new Promise((resolve) =>
      this.rl.once('close', () => {
        this.closed = true;
        // Ctrl-D or the end of piped input leaves the cursor after the prompt: the shell's prompt gets its own line.
        if (this.prompting) this.output.write('\n');
        this.prompting = false;
        this.detachNotices();
        void this.settled().then(resolve);
      }),
    );
    this.rl.setPrompt(options.prompt ?? 'newsbrief> ');
    // Lines run one at a time, in the order typed, however long a command waits on storage.
    this.rl.on('line', (line) => {
      this.prompting = false;
      this.waiting++;
      this.pending = this.pending
        .then(async () => {
          if (this.quitting) return;
          const keepGoing = await this.handle(line);
          // Lines already waiting (pasted, piped) run first: one prompt after the last of them.
          if (!keepGoing) this.quit();
          else if (this.waiting === 1) this.prompt();
        })
        .catch(() => {})
        .finally(() => this.waiting--);
    });
    // Only with line editing: readline reads Ctrl-C as a key and asks here instead of ending the process.
    this.rl.on('SIGINT', () => {
      if (this.rl.line === '') {
        this.quit();
        return;
      }
      // Cancel what is typed: to its end, then delete back to the prompt, which readline redraws empty.
      this.rl.write(null, { ctrl: true, name: 'e' });
      this.rl.write(null, { ctrl: true, name: 'u' });
    });
  }

  /** Prints the greeting, where the log goes, anything delivered while starting, and the first prompt. */
  open(): void {
    this.write(`Newsbrief terminal mode. Type /help for commands, /quit to leave.`);
    if (this.logFile) this.write(`The log is written to ${this.logFile}; warnings and errors also show here.`);
    this.opened = true;
    for (const text of this.early.splice(0)) this.write(text);
    if (this.notices) this.detachNotices = this.notices.attach((notice) => this.write(notice));
    this.prompt();
  }

  /** Stops reading input; `done` resolves once the command under way has finished. */
  close(): void {
    this.rl.close();
  }

  private quit(): void {
    this.quitting = true;
    this.rl.close();
  }

  /** Waits for every line queued so far, including lines queued while waiting. */
  private async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.pending;
      await seen;
    } while (seen !== this.pending);
  }

  private prompt(): void {
    if (this.closed) return;
    this.prompting = true;
    this.rl.prompt(true);
  }

  /**
   * Prints text on its own lines. With line editing the prompt and any half-typed line are wiped first and
   * drawn again below the text, cursor where it was; piped, the prompt just gets a line break.
   */
  write(text: string): void {
    if (this.closed && !this.output.writable) return;
    if (this.tty && !this.closed) {
      const { rows } = this.rl.getCursorPos();
      moveCursor(this.output, 0, -rows);
      cursorTo(this.output, 0);
      clearScreenDown(this.output);
      // readline redraws by first moving up as many rows as the typed line wrapped onto: give it those rows.
      this.output.write(`${text}\n${'\n'.repeat(rows)}`);
      if (this.prompting) this.rl.prompt(true);
      return;
    }
    if (this.prompting) this.output.write('\n');
    this.output.write(`${text}\n`);
    if (this.prompting && !this.closed) this.rl.prompt(true);
  }

  /** Runs one typed line; false when the user asked to quit. Never throws for bad input. */
  async handle(line: string): Promise<boolean> {
    const trimmed = line.trim();
    if (trimmed === '') return true;
    const [head = '', ...restWords] = trimmed.split(/\s+/);
    const command = head.replace(/^\//, '').toLowerCase();
    const rest = restWords.join(' ');
    try {
      switch (command) {
        case 'quit':
        case 'exit':
          return false;
        case 'help':
        case 'start':
          this.write(TERMINAL_HELP);
          break;
        case 'news': {
          const args = parseNewsArgs(rest);
          const result = await this.app.news(args.topic, { count: args.count });
          const timezone = await this.app.timezone(CONSOLE_TARGET);
          this.write(result.ok ? renderDigestText(result.digest, { style: this.style, timezone }) : renderErrorText(result));
          break;
        }
        case 'topics':
          this.write(renderTopicsText(await this.app.listTopics()));
          break;
        case 'subscribe': {
          const { topic, ...options } = parseSubscribeArgs(rest);
          const result = await this.app.subscribeWith(CONSOLE_TARGET, topic, options);
          this.write(result.ok ? renderSubscribedText(result) : renderErrorText(result));
          break;
        }
        case 'pause':
        case 'resume': {
          const result = await this.app[command](CONSOLE_TARGET, rest || undefined);
          this.write(result.ok ? renderPausedText(result) : renderErrorText(result));
          break;
        }
        case 'preview': {
          const result = await this.app.preview(CONSOLE_TARGET, rest || undefined);
          this.write(result.ok ? renderPreviewText(result, this.style) : renderErrorText(result));
          break;
        }
        case 'unsubscribe': {
          const result = await this.app.unsubscribe(CONSOLE_TARGET, rest);
          this.write(result.ok ? `Unsubscribed from ${result.removed.join(', ')}.` : renderErrorText(result));
          break;
        }
        case 'subscriptions':
          this.write(renderSubscriptionsText(await this.app.subscriptions(CONSOLE_TARGET)));
          break;
        case 'timezone': {
          if (rest === '') {
            this.write(`Your time zone is ${await this.app.timezone(CONSOLE_TARGET)}. Change it with ${commandExample(TERMINAL, 'timezone')}.`);
            break;
          }
          const result = await this.app.setTimezone(CONSOLE_TARGET, rest);
          this.write(result.ok ? renderTimezoneSetText(result) : renderErrorText(result));
          break;
        }
        default:
          this.write(head.startsWith('/') ? unknownCommandText(head) : await this.plainTextHint(trimmed));
      }
    } catch (error) {
      this.write(`Sorry, that failed: ${(error as Error).message}`);
    }
    return true;
  }

  /**
   * A line that names no command: "Did you mean /news?" when its first word is a near miss of one, else how
   * to ask for news on the topic it names (or on a main topic). One topic lookup, on bounded text.
   */
  private async plainTextHint(text: string): Promise<string> {
    const first = text.split(/\s+/, 1)[0] ?? '';
    // Without a slash it may be a word, not a command: only one edit away counts ("hello" is not "help").
    if (closestCommand(first, COMMAND_NAMES, 1)) return unknownCommandText(first);
    const typed = text.slice(0, MAX_HINT_TEXT);
    let [topic] = await this.app.completeTopic(typed, 1);
    if (!topic && first !== typed) [topic] = await this.app.completeTopic(first, 1);
    if (topic) return `Commands start with "/": try ${TERMINAL.invocation('news', { topic: topic.name })}`;
    const [main] = await this.app.mainTopics(1);
    return `Commands start with "/": try ${TERMINAL.invocation('news', { topic: main?.name ?? 'AI' })}, or /help for the list.`;
  }

  /** Prints scheduled digests for terminal subscriptions. */
  deliverer(): Deliverer {
    return {
      platform: 'console',
      deliver: async (_target: Target, digest: Digest, context: DeliveryContext, hooks?: DeliverHooks): Promise<DeliveryOutcome> => {
        await hooks?.onSending?.();
        // Dates in the subscription's zone, as on Telegram.
        const text = `\n${this.style.bold('Your digest')}\n${renderDigestText(digest, { style: this.style, timezone: context.timezone })}`;
        // A catch-up digest delivered while starting comes after the greeting.
        if (this.opened) this.write(text);
        else this.early.push(text);
        return { ok: true, messages: 1 };
      },
    };
  }
}

/** "Unknown command /nesw. Did you mean /news?", or where to find the list when nothing is close. */
function unknownCommandText(word: string): string {
  const name = word.replace(/^\//, '').slice(0, 40);
  const near = closestCommand(name, COMMAND_NAMES);
  return `Unknown command /${name}.${near ? ` Did you mean /${near}?` : ' Type /help for the list.'}`;
}
