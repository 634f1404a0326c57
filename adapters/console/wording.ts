import {
  commandSpec,
  commandsFor,
  invocationArguments,
  type CommandArgument,
  type CommandError,
  type CommandName,
  type CommandSpec,
} from '../../src/index.js';
import { textArguments, wordError as wordCommandError, type ErrorWording, type Syntax } from '../wording.js';

export type { ErrorWording } from '../wording.js';

/**
 * What console users read, plain text, in the syntax of where they type: the terminal prompt
 * ("/news AI 5", the slash optional) or the shell ("newsbrief news AI --count 5"). The words for the core's
 * error codes, the help and usage lines and every example come from here, derived from the core's catalogue.
 */
export interface ConsoleSyntax extends Syntax {
  readonly surface: 'terminal' | 'cli';
  /** A command as typed, arguments in the catalogue's order. */
  invocation(command: CommandName, values?: Readonly<Record<string, string | number | undefined>>): string;
  /** A usage line: "/news TOPIC [N]", "newsbrief news TOPIC [--count N]". */
  usage(spec: CommandSpec): string;
}

/** Whether the CLI takes an argument in position (a topic, a folder) rather than as `--name VALUE`. */
function positional(argument: CommandArgument): boolean {
  return argument.kind === 'topic' || argument.kind === 'folder';
}

function optional(text: string, argument: CommandArgument): string {
  return argument.required ? text : `[${text}]`;
}

function placeholder(argument: CommandArgument): string {
  return [argument.placeholder, ...(argument.words ?? [])].join('|');
}

/** The terminal prompt: "/subscribe Machine Learning 08:00 Europe/Kyiv". */
export const TERMINAL: ConsoleSyntax = {
  surface: 'terminal',
  subscriptionsHeld: (count) => `You already have ${count} subscriptions`,
  subscribedLabel: 'Subscribed',
  invocation: (command, values = {}) => [`/${command}`, ...textArguments(command, values)].join(' '),
  usage: (spec) => [`/${spec.name}`, ...spec.arguments.map((a) => optional(a.keyed ? `${a.name}=${placeholder(a)}` : placeholder(a), a))].join(' '),
};

/** Characters a shell word can hold without quotes. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Text as one shell word: as it is when that is safe, else in single quotes ("R&D" → 'R&D'). */
export function shellWord(text: string): string {
  return SHELL_SAFE.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A topic as typed: plain words stay unquoted, since the CLI joins a topic's words ("newsbrief news Computer
 * Vision"); a topic a shell would read otherwise ("R&D (labs)") is quoted whole. A folder is one word.
 */
function shellWords(text: string): string {
  return text.split(' ').every((word) => SHELL_SAFE.test(word)) ? text : shellWord(text);
}

/**
 * The shell: "newsbrief news AI --count 5", every value quoted where a shell needs it. A positional value
 * starting with "-" would be read as an option, so then the options come first and "--" ends them.
 */
export const CLI: ConsoleSyntax = {
  surface: 'cli',
  subscriptionsHeld: (count) => `There are already ${count} subscriptions`,
  subscribedLabel: 'Subscribed',
  invocation: (command, values = {}) => {
    const given = invocationArguments(command, values);
    const positionals = given
      .filter(({ argument }) => positional(argument))
      .map(({ argument, value }) => (argument.kind === 'topic' ? shellWords(value) : shellWord(value)));
    const options = given.filter(({ argument }) => !positional(argument)).map(({ argument, value }) => `--${argument.name} ${shellWord(value)}`);
    const words = positionals.some((p) => p.startsWith('-')) ? [...options, '--', ...positionals] : [...positionals, ...options];
    return ['newsbrief', command, ...words].join(' ');
  },
  usage: (spec) =>
    [
      'newsbrief',
      spec.name,
      ...spec.arguments.map((a) => optional(positional(a) ? placeholder(a) : `--${a.name} ${placeholder(a)}`, a)),
    ].join(' '),
};

/** The catalogue's worked example for a command in this syntax. */
export function commandExample(syntax: ConsoleSyntax, command: CommandName): string {
  return syntax.invocation(command, commandSpec(command).example);
}

/** The words for each of the core's error codes; examples only name commands this syntax offers. */
export function wordError(error: CommandError, syntax: ConsoleSyntax): ErrorWording {
  return wordCommandError(error, syntax);
}

/** The commands of a syntax's surface as aligned usage lines with their summaries; long usages get their own line. */
export function commandLines(syntax: ConsoleSyntax, options: { width: number; extras?: Partial<Record<CommandName, string>> }): string[] {
  return commandsFor(syntax.surface).flatMap((spec) => {
    const extra = options.extras?.[spec.name];
    const usage = `${syntax.usage(spec)}${extra ? ` ${extra}` : ''}`;
    const hasArguments = spec.arguments.length > 0 && syntax.surface === 'terminal';
    const summary = hasArguments ? `${spec.summary}, e.g. ${commandExample(syntax, spec.name)}` : spec.summary;
    if (usage.length < options.width) return [`  ${usage.padEnd(options.width)} ${summary}`];
    return [`  ${usage}`, `  ${' '.repeat(options.width)} ${summary}`];
  });
}
