import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
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
  input: Readable;
  output: Writable;
  style?: TextStyle;
  prompt?: string;
}

/** The interactive prompt. Resolves when the user quits or input ends. */
export class Terminal {
  private readonly app: Newsbrief;
  private readonly output: Writable;
  private readonly style: TextStyle;
  private readonly rl;
  private closed = false;
  readonly done: Promise<void>;
  private pending: Promise<void> = Promise.resolve();

  constructor(options: TerminalOptions) {
    this.app = options.app;
    this.output = options.output;
    this.style = options.style ?? plainStyle;
    this.rl = createInterface({ input: options.input, output: options.output, terminal: false });
    this.done = new Promise((resolve) => this.rl.once('close', () => {
      this.closed = true;
      resolve();
    }));
    this.rl.setPrompt(options.prompt ?? 'newsbrief> ');
    // Lines run one at a time, in the order typed, however long a command waits on storage.
    this.rl.on('line', (line) => {
      this.pending = this.pending.then(async () => {
        const keepGoing = await this.handle(line);
        if (keepGoing) this.prompt();
        else this.rl.close();
      });
    });
  }

  /** Prints the greeting and the first prompt. */
  open(): void {
    this.write(`Newsbrief terminal mode. Type /help for commands, /quit to leave.`);
    this.prompt();
  }

  close(): void {
    this.rl.close();
  }

  private prompt(): void {
    if (!this.closed) this.rl.prompt();
  }

  write(text: string): void {
    if (!this.closed || this.output.writable) this.output.write(`${text}\n`);
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
          this.write(`Unknown command "${head.slice(0, 40)}". Type /help for the list.`);
      }
    } catch (error) {
      this.write(`Sorry, that failed: ${(error as Error).message}`);
    }
    return true;
  }

  /** Prints scheduled digests for terminal subscriptions. */
  deliverer(): Deliverer {
    return {
      platform: 'console',
      deliver: async (_target: Target, digest: Digest, context: DeliveryContext, hooks?: DeliverHooks): Promise<DeliveryOutcome> => {
        await hooks?.onSending?.();
        // Dates in the subscription's zone, as on Telegram.
        this.write(`\n${this.style.bold('Your digest')}\n${renderDigestText(digest, { style: this.style, timezone: context.timezone })}`);
        this.prompt();
        return { ok: true, messages: 1 };
      },
    };
  }
}
