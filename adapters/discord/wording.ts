import {
  commandSpec,
  commandsFor,
  cutAtWord,
  invocationArguments,
  suggestedTopics,
  type Age,
  type CommandError,
  type CommandName,
} from '../../src/index.js';

/**
 * What Discord users read, in Discord's syntax ("/news topic:AI count:5"): the words for the core's error
 * codes, help lines and examples, all derived from the core's command catalogue. Plain text: the renderer
 * escapes it.
 */

/** A slash command as typed in Discord, options named: "/subscribe topic:AI time:08:00 timezone:Europe/Kyiv". */
export function invocation(command: CommandName, values: Readonly<Record<string, string | number | undefined>> = {}): string {
  return [`/${command}`, ...invocationArguments(command, values).map(({ argument, value }) => `${argument.name}:${value}`)].join(' ');
}

/** The catalogue's worked example for a command, as typed here. */
export function commandExample(command: CommandName): string {
  return invocation(command, commandSpec(command).example);
}

/** A failed command in words: a sentence, the topics to pick from when it offers some, and an example. */
export interface ErrorWording {
  sentence: string;
  /** "Topics: AI, Space" — the topics the user can pick from (not repeated when the sentence names them). */
  topics?: { label: string; names: string[] };
  example?: string;
}

function quoted(text: string, max = 100): string {
  return `"${cutAtWord(text, max)}"`;
}

/** The words for each of the core's error codes. */
export function wordError(error: CommandError): ErrorWording {
  const topics = suggestedTopics(error).map((t) => t.name);
  switch (error.code) {
    case 'unknown-topic': {
      const { command, topic, suggestions } = error.params;
      const first = suggestions[0];
      if (!first) return { sentence: `No topic ${quoted(topic)}. /topics lists the known ones.`, example: invocation('topics') };
      return {
        sentence: `No topic ${quoted(topic)}. Did you mean ${suggestions.slice(0, 5).map((s) => cutAtWord(s.name, 60)).join(', ')}?`,
        example: invocation(command === 'stories' ? 'news' : command, { topic: first.name }),
      };
    }
    case 'missing-topic': {
      const { command } = error.params;
      const sentence =
        command === 'news' ? 'Name a topic.'
        : command === 'subscribe' ? 'Name the topic to subscribe to.'
        : 'Name the topic to unsubscribe from, or "all".';
      return { sentence, ...(topics.length > 0 ? { topics: { label: 'Topics', names: topics } } : {}), example: commandExample(command) };
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
        sentence: `There are already ${error.params.count} daily digests here, the most allowed (${error.params.max}). Unsubscribe from one first.`,
        example: commandExample('unsubscribe'),
      };
    case 'not-subscribed': {
      const { topic, subscribed } = error.params;
      return {
        sentence: `There is no subscription to ${quoted(topic)} here.`,
        topics: { label: 'Subscribed here', names: topics },
        example: invocation('unsubscribe', { topic: subscribed[0]?.name ?? 'AI' }),
      };
    }
    case 'no-subscriptions':
      return { sentence: 'There are no subscriptions here.', example: invocation('subscribe', { topic: 'AI', time: '08:00' }) };
  }
}

/** One markdown help line a command: the name in bold, its example options, what it does. */
export function helpLines(): string[] {
  return commandsFor('discord').map((c) => {
    const args = commandExample(c.name).slice(c.name.length + 1);
    return `**/${c.name}**${args} — ${c.summary}`;
  });
}

/** Who may change things in a server, from the catalogue's audiences. */
export function permissionNote(): string {
  const managed = commandsFor('discord').filter((c) => c.audience === 'managers').map((c) => `/${c.name}`);
  const list = managed.length > 1 ? `${managed.slice(0, -1).join(', ')} and ${managed.at(-1)}` : managed.join('');
  return `In a server, ${list} need the Manage Channels permission.`;
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
