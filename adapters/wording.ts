import {
  commandSpec,
  cutAtWord,
  describeArgument,
  invocationArguments,
  suggestedTopics,
  type Age,
  type BadOptionProblem,
  type CommandError,
  type CommandErrorParams,
  type CommandName,
  type Schedule,
  type Subscription,
  type SubscriptionOptionName,
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
      const sentences: Record<typeof command, string> = {
        news: 'Name a topic.',
        subscribe: 'Name the topic to subscribe to.',
        unsubscribe: 'Name the topic to unsubscribe from, or "all".',
        pause: 'Name the subscription to pause, or "all".',
        resume: 'Name the subscription to resume, or "all".',
        preview: 'Name the subscription to preview.',
      };
      return { sentence: sentences[command], ...(topics.length > 0 ? { topics: { label: 'Topics', names: topics } } : {}), example: example(command) };
    }
    case 'bad-count':
      return error.params.option === 'count'
        ? { sentence: `The count option must be a whole number from ${error.params.min} to ${error.params.max}.`, example: example('subscribe', { topic: 'AI', count: '3' }) }
        : { sentence: `The count must be a whole number from ${error.params.min} to ${error.params.max}.`, example: example('news') };
    case 'bad-time':
      return {
        sentence: `${quoted(error.params.given, 40)} is not a time of day. Use 24-hour HH:MM or 12-hour with am/pm, e.g. 18:00 or 6pm.`,
        example: example('subscribe', { topic: 'AI', time: '08:30' }),
      };
    case 'bad-timezone': {
      const { given, suggestions, abbreviation } = error.params;
      if (abbreviation) {
        return {
          sentence: `The time zone ${quoted(given, 64)} is not recognised: abbreviations stand for different zones through the year. Use ${suggestions.join(' or ')}.`,
          example: example('timezone', { zone: suggestions[0] ?? 'Europe/Kyiv' }),
        };
      }
      const hint =
        suggestions.length > 0
          ? `Did you mean ${suggestions.join(', ')}?`
          : 'Use an IANA name such as Europe/Kyiv or America/New_York, or an offset such as UTC+3.';
      return { sentence: `${quoted(given, 64)} is not a time zone. ${hint}`, example: example('timezone', { zone: suggestions[0] ?? 'Europe/Kyiv' }) };
    }
    case 'bad-option':
      return wordBadOption(error.params, example);
    case 'too-many-subscriptions':
      return {
        sentence: `${syntax.subscriptionsHeld(error.params.count)}, the most allowed (${error.params.max}). Unsubscribe from one first.`,
        example: example('unsubscribe'),
      };
    case 'not-subscribed': {
      const { topic, subscribed, command = 'unsubscribe' } = error.params;
      return {
        sentence: `There is no subscription to ${quoted(topic)} here.`,
        topics: { label: syntax.subscribedLabel, names: topics },
        example: example(command, { topic: subscribed[0]?.name ?? 'AI' }),
      };
    }
    case 'no-subscriptions':
      return { sentence: 'There are no subscriptions here.', example: example('subscribe', { topic: 'AI', time: '08:00' }) };
  }
}

type Example = (command: CommandName, values?: Readonly<Record<string, string>>) => string | undefined;

/** A bad subscription option in words, naming the option; the example shows that option used right. */
function wordBadOption(params: CommandErrorParams['bad-option'], example: Example): ErrorWording {
  const { option, given, problem, limit, min, max } = params;
  const known = commandSpec('subscribe').arguments.filter((a) => a.keyed);
  const spec = known.find((a) => a.name === option);
  const right = example('subscribe', { topic: 'AI', ...(spec ? { [spec.name]: spec.example } : {}) });
  const what = option === 'time' ? 'times' : 'entries';
  const sentences: Record<BadOptionProblem, string> = {
    'unknown-option': `There is no option ${quoted(given, 20)}. The options are ${known.map((a) => a.name).join(', ')}.`,
    repeated: `The ${option} option was given twice: give it once.`,
    'too-long': `In the ${option} option, ${quoted(given, 40)} is longer than ${limit} characters.`,
    'too-many': option === 'time' ? `At most ${limit} times a day.` : `The ${option} option takes at most ${limit} ${what}.`,
    'total-too-long': `The ${option} option is longer than ${limit?.toLocaleString('en-US')} characters.`,
    'out-of-range': `The ${option} option must be a whole number from ${min} to ${max}.`,
    'bad-day': `${quoted(given, 30)} is not a day. Use mon to sun, a range such as mon-fri, or weekdays, weekends or daily.`,
    'no-words': `In the ${option} option, ${quoted(given, 40)} has no letters or digits to match.`,
  };
  return { sentence: sentences[problem], example: right };
}

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** "daily at 08:00", "weekdays at 08:00 and 18:00", "Mon, Wed and Fri at 09:00", "weekly on Monday at 09:00". */
export function describeSchedule(schedule: Schedule): string {
  const at = `at ${listed(schedule.times)}`;
  switch (schedule.kind) {
    case 'daily':
      return `daily ${at}`;
    case 'weekdays':
      return `weekdays ${at}`;
    case 'weekly':
      return `weekly on ${DAY_NAMES[schedule.days[0]! - 1]} ${at}`;
    case 'days':
      return `${listed(schedule.days.map((d) => DAY_NAMES[d - 1]!.slice(0, 3)))} ${at}`;
  }
}

/** The zone, marked when it is the subscription's own (setting the chat's zone leaves it): "Asia/Tokyo, its own zone". */
export function describeZone(subscription: Pick<Subscription, 'timezone' | 'ownZone'>): string {
  return subscription.ownZone ? `${subscription.timezone}, its own zone` : subscription.timezone;
}

/**
 * The options that differ from the defaults, each in a few words, plain text (renderers escape it):
 * ["3 stories", "only: openai, gpt", "not: crypto", "not from: example.com", "quality 60+"]. Long lists are cut.
 */
export function describeOptions(subscription: Pick<Subscription, 'count' | 'filters'>): string[] {
  const { count, filters } = subscription;
  const list = (entries: readonly string[]) => cutAtWord(entries.join(', '), 120);
  return [
    ...(count !== null ? [`${count} ${count === 1 ? 'story' : 'stories'}`] : []),
    ...(filters.include.length > 0 ? [`only: ${list(filters.include)}`] : []),
    ...(filters.exclude.length > 0 ? [`not: ${list(filters.exclude)}`] : []),
    ...(filters.outlets.length > 0 ? [`not from: ${list(filters.outlets)}`] : []),
    ...(filters.minQuality !== null ? [`quality ${filters.minQuality}+`] : []),
  ];
}

/** The changes an edit made, for a confirmation: "time and count". */
export function describeChanged(changed: readonly SubscriptionOptionName[]): string {
  const words: Record<SubscriptionOptionName, string> = {
    time: 'time',
    timezone: 'zone',
    days: 'days',
    count: 'count',
    include: 'include list',
    exclude: 'exclude list',
    outlets: 'outlets',
    min: 'minimum quality',
  };
  return listed(changed.map((c) => words[c]));
}

/** The options /subscribe takes as `name=value` in text commands, each with what it does: the help's option list. */
export function subscribeOptions(): { name: string; placeholder: string; description: string }[] {
  return commandSpec('subscribe')
    .arguments.filter((a) => a.keyed)
    .map((a) => ({ name: a.name, placeholder: a.placeholder, description: describeArgument(a) }));
}

/**
 * The arguments of a text command (Telegram, terminal) as typed: in place, or `name=value` for keyed
 * options, with double quotes around a value that has spaces.
 */
export function textArguments(command: CommandName, values: Readonly<Record<string, string | number | undefined>>): string[] {
  return invocationArguments(command, values).map(({ argument, value }) => {
    if (!argument.keyed) return value;
    return `${argument.name}=${/\s/.test(value) ? `"${value}"` : value}`;
  });
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
