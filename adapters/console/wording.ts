import {
  commandSpec,
  commandsFor,
  cutAtWord,
  invocationArguments,
  suggestedTopics,
  type CommandArgument,
  type CommandError,
  type CommandName,
  type CommandSpec,
} from '../../src/index.js';

/**
 * What console users read, plain text, in the syntax of where they type: the terminal prompt
 * ("/news AI 5", the slash optional) or the shell ("newsbrief news AI --count 5"). The words for the core's
 * error codes, the help and usage lines and every example come from here, derived from the core's catalogue.
 */
export interface ConsoleSyntax {
  surface: 'terminal' | 'cli';
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
  invocation: (command, values = {}) => [`/${command}`, ...invocationArguments(command, values).map((a) => a.value)].join(' '),
  usage: (spec) => [`/${spec.name}`, ...spec.arguments.map((a) => optional(placeholder(a), a))].join(' '),
};

/** The shell: "newsbrief news AI --count 5". Topics with spaces need no quotes: the CLI joins its words. */
export const CLI: ConsoleSyntax = {
  surface: 'cli',
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

/** A failed command in words: a sentence, the topics to pick from when it offers some, and an example. */
export interface ErrorWording {
  sentence: string;
  topics?: { label: string; names: string[] };
  example?: string;
}

function quoted(text: string, max = 100): string {
  return `"${cutAtWord(text, max)}"`;
}

/** The words for each of the core's error codes; examples only name commands this syntax offers. */
export function wordError(error: CommandError, syntax: ConsoleSyntax): ErrorWording {
  const offered = (command: CommandName) => commandSpec(command).surfaces.includes(syntax.surface);
  const example = (command: CommandName, values?: Record<string, string>) =>
    offered(command) ? syntax.invocation(command, values ?? commandSpec(command).example) : undefined;
  const topics = suggestedTopics(error).map((t) => t.name);
  switch (error.code) {
    case 'unknown-topic': {
      const { command, topic, suggestions } = error.params;
      const first = suggestions[0];
      if (!first) {
        return { sentence: `No topic ${quoted(topic)}. ${syntax.invocation('topics')} lists the known ones.`, example: example('topics', {}) };
      }
      return {
        sentence: `No topic ${quoted(topic)}. Did you mean ${suggestions.slice(0, 5).map((s) => s.name).join(', ')}?`,
        example: example(offered(command) ? command : 'news', { topic: first.name }),
      };
    }
    case 'missing-topic': {
      const { command } = error.params;
      const sentence =
        command === 'news' ? 'Name a topic.'
        : command === 'subscribe' ? 'Name the topic to subscribe to.'
        : 'Name the topic to unsubscribe from, or "all".';
      return { sentence, ...(topics.length > 0 ? { topics: { label: 'Topics', names: topics } } : {}), example: example(command) };
    }
    case 'bad-count':
      return { sentence: `The count must be a whole number from ${error.params.min} to ${error.params.max}.`, example: example('news') };
    case 'bad-time':
      return {
        sentence: `${quoted(error.params.given, 40)} is not a time of day. Use 24-hour HH:MM.`,
        example: example('subscribe', { topic: 'AI', time: '08:30' }),
      };
    case 'bad-timezone': {
      const { given, suggestions } = error.params;
      const hint = suggestions.length > 0 ? `Did you mean ${suggestions.join(', ')}?` : 'Use an IANA name such as Europe/Kyiv, America/New_York or UTC.';
      return { sentence: `${quoted(given, 64)} is not a time zone. ${hint}`, example: example('timezone', { zone: suggestions[0] ?? 'Europe/Kyiv' }) };
    }
    case 'too-many-subscriptions':
      return {
        sentence: `You already have ${error.params.count} subscriptions, the most allowed (${error.params.max}). Unsubscribe from one first.`,
        example: example('unsubscribe'),
      };
    case 'not-subscribed': {
      const { topic, subscribed } = error.params;
      return {
        sentence: `There is no subscription to ${quoted(topic)} here.`,
        topics: { label: 'Subscribed', names: topics },
        example: example('unsubscribe', { topic: subscribed[0]?.name ?? 'AI' }),
      };
    }
    case 'no-subscriptions':
      return { sentence: 'There are no subscriptions here.', example: example('subscribe', { topic: 'AI', time: '08:00' }) };
  }
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
