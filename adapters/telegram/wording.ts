import {
  commandSpec,
  commandsFor,
  cutAtWord,
  invocationArguments,
  type Age,
  type CommandError,
  type CommandName,
} from '../../src/index.js';

/**
 * What Telegram users read, in Telegram's syntax ("/news AI 5"): the words for the core's error codes, the
 * command menu and the examples, all derived from the core's command catalogue. Plain text: the renderer
 * escapes it.
 */

/** A command as typed in a Telegram chat: "/subscribe Machine Learning 08:00 Europe/Kyiv". */
export function invocation(command: CommandName, values: Readonly<Record<string, string | number | undefined>> = {}): string {
  return [`/${command}`, ...invocationArguments(command, values).map((a) => a.value)].join(' ');
}

/** The catalogue's worked example for a command, as typed here. */
export function commandExample(command: CommandName): string {
  return invocation(command, commandSpec(command).example);
}

/** Every command Telegram offers, with what it does and an example: the source of /help and the command menu. */
export const COMMANDS: ReadonlyArray<{ command: CommandName; description: string; example: string }> = commandsFor('telegram').map(
  (c) => ({ command: c.name, description: c.summary, example: commandExample(c.name) }),
);

/** A failed command in words: one sentence and, when there is one, an example of the right input. */
export interface ErrorWording {
  sentence: string;
  example?: string;
}

/** Typed input echoed back, cut so one mistake cannot fill the message. */
function quoted(text: string, max = 100): string {
  return `"${cutAtWord(text, max)}"`;
}

function names(topics: readonly { name: string }[], max = 5): string {
  return topics.slice(0, max).map((t) => cutAtWord(t.name, 60)).join(', ');
}

/** The words for each of the core's error codes. */
export function wordError(error: CommandError): ErrorWording {
  switch (error.code) {
    case 'unknown-topic': {
      const { command, topic, suggestions } = error.params;
      const first = suggestions[0];
      if (!first) return { sentence: `No topic ${quoted(topic)}. /topics lists the known ones.`, example: invocation('topics') };
      return {
        sentence: `No topic ${quoted(topic)}. Did you mean ${names(suggestions)}?`,
        example: invocation(command === 'stories' ? 'news' : command, { topic: first.name }),
      };
    }
    case 'missing-topic': {
      const { command } = error.params;
      const sentence =
        command === 'news' ? 'Name a topic.'
        : command === 'subscribe' ? 'Name the topic to subscribe to.'
        : 'Name the topic to unsubscribe from, or "all".';
      return { sentence, example: commandExample(command) };
    }
    case 'bad-count':
      return {
        sentence: `The count must be a whole number from ${error.params.min} to ${error.params.max}.`,
        example: commandExample('news'),
      };
    case 'bad-time':
      return {
        sentence: `${quoted(error.params.given, 40)} is not a time of day. Use 24-hour HH:MM.`,
        example: invocation('subscribe', { topic: 'AI', time: '08:30' }),
      };
    case 'bad-timezone': {
      const { given, suggestions } = error.params;
      const hint = suggestions.length > 0 ? `Did you mean ${suggestions.join(', ')}?` : 'Use an IANA name such as Europe/Kyiv, America/New_York or UTC.';
      return { sentence: `${quoted(given, 64)} is not a time zone. ${hint}`, example: invocation('timezone', { zone: suggestions[0] ?? 'Europe/Kyiv' }) };
    }
    case 'too-many-subscriptions':
      return {
        sentence: `This chat already has ${error.params.count} subscriptions, the most allowed (${error.params.max}). Unsubscribe from one first.`,
        example: commandExample('unsubscribe'),
      };
    case 'not-subscribed': {
      const { topic, subscribed } = error.params;
      return {
        sentence: `There is no subscription to ${quoted(topic)} here.`,
        example: invocation('unsubscribe', { topic: subscribed[0]?.name ?? 'AI' }),
      };
    }
    case 'no-subscriptions':
      return { sentence: 'There are no subscriptions here.', example: invocation('subscribe', { topic: 'AI', time: '08:00' }) };
  }
}

/** "3 weeks ago", "just now": how old an item in a stale digest is. */
export function ageText(age: Age | undefined): string {
  if (!age) return 'age unknown';
  if (age.count === 0 && age.unit === 'minute') return 'just now';
  return `${age.count} ${age.unit}${age.count === 1 ? '' : 's'} ago`;
}

/** "7 days", "1 day": the window a stale digest looked in. */
export function windowText(days: number): string {
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}
