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

/** The shell: "newsbrief news AI --count 5". Topics with spaces need no quotes: the CLI joins its words. */
export const CLI: ConsoleSyntax = {
  surface: 'cli',
  subscriptionsHeld: (count) => `There are already ${count} subscriptions`,
  subscribedLabel: 'Subscribed',
  invocation: (command, values = {}) =>
    [
      'newsbrief',
      command,
      ...invocationArguments(command, values).map(({ argument, value }) => (positional(argument) ? value : `--${argument.name} ${value}`)),
    ].join(' '),
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
