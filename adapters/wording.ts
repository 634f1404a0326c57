import {
  commandSpec,
  cutAtWord,
  suggestedTopics,
  type Age,
  type CommandError,
  type CommandName,
  type Surface,
} from '../src/index.js';

/**
 * The English every surface shows for the core's result codes, written once. A surface supplies its syntax
 * (how a command is typed there) and the few phrases that differ; each surface's wording module wraps this.
 */
export interface Syntax {
  readonly surface: Surface;
  /** A command as typed on the surface, arguments in the catalogue's order. */
  invocation(command: CommandName, values?: Readonly<Record<string, string | number | undefined>>): string;
  /** "This chat already has 25 subscriptions": who holds the subscriptions, in the limit sentence. */
  readonly subscriptionsHeld: (count: number) => string;
  /** The label over the list of subscribed topics when a topic is not among them ("Subscribed here"). */
  readonly subscribedLabel: string;
}

/** A failed command in words: a sentence, the topics to pick from when it offers some, and an example. */
export interface ErrorWording {
  sentence: string;
  /** Topics to pick from, not repeated when the sentence names them; a surface with buttons may ignore it. */
  topics?: { label: string; names: string[] };
  /** A worked example of the right input, in the surface's syntax; absent when the surface lacks the command. */
  example?: string;
}

/** Typed input echoed back, cut so one mistake cannot fill the message. */
export function quoted(text: string, max = 100): string {
  return `"${cutAtWord(text, max)}"`;
}

/** The words for each of the core's error codes; examples only name commands the surface offers. */
export function wordError(error: CommandError, syntax: Syntax): ErrorWording {
  const offered = (command: CommandName) => commandSpec(command).surfaces.includes(syntax.surface);
  const example = (command: CommandName, values?: Readonly<Record<string, string>>) =>
    offered(command) ? syntax.invocation(command, values ?? commandSpec(command).example) : undefined;
  const topics = suggestedTopics(error).map((t) => t.name);
  switch (error.code) {
    case 'unknown-topic': {
      const { command, topic, suggestions } = error.params;
      const first = suggestions[0];
      if (!first) return { sentence: `No topic ${quoted(topic)}. ${syntax.invocation('topics')} lists the known ones.`, example: example('topics', {}) };
      return {
        sentence: `No topic ${quoted(topic)}. Did you mean ${suggestions.slice(0, 5).map((s) => cutAtWord(s.name, 60)).join(', ')}?`,
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
        sentence: `${syntax.subscriptionsHeld(error.params.count)}, the most allowed (${error.params.max}). Unsubscribe from one first.`,
        example: example('unsubscribe'),
      };
    case 'not-subscribed': {
      const { topic, subscribed } = error.params;
      return {
        sentence: `There is no subscription to ${quoted(topic)} here.`,
        topics: { label: syntax.subscribedLabel, names: topics },
        example: example('unsubscribe', { topic: subscribed[0]?.name ?? 'AI' }),
      };
    }
    case 'no-subscriptions':
      return { sentence: 'There are no subscriptions here.', example: example('subscribe', { topic: 'AI', time: '08:00' }) };
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
