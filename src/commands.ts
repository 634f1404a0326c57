/**
 * The one command catalogue: every command's name, arguments with their limits, who may use it, a one-line
 * summary and the surfaces that offer it. Telegram's menu and /help, Discord's slash definitions and help,
 * the terminal help and the CLI usage are all derived from it, and the core checks arguments against the
 * same limits. Each surface writes invocations in its own syntax (see each adapter's wording module).
 */

/** Where a command can be typed. */
export type Surface = 'telegram' | 'discord' | 'terminal' | 'cli';

/** The chat surfaces: what a chat (or the terminal's one user) can subscribe on. */
export const CHAT_SURFACES: readonly Surface[] = ['telegram', 'discord', 'terminal'];
const ALL_SURFACES: readonly Surface[] = ['telegram', 'discord', 'terminal', 'cli'];

/** Who may use a command: anyone, or only those who manage the chat (group admins, Manage Channels). */
export type Audience = 'anyone' | 'managers';

export type CommandName =
  | 'news'
  | 'topics'
  | 'subscribe'
  | 'preview'
  | 'pause'
  | 'resume'
  | 'unsubscribe'
  | 'subscriptions'
  | 'timezone'
  | 'help'
  | 'stories'
  | 'ingest'
  | 'start'
  | 'quit';

/** What an argument holds; it decides how surfaces take it (Discord's option type, the CLI's flag or position). */
export type ArgumentKind = 'topic' | 'count' | 'time' | 'timezone' | 'instant' | 'folder' | 'days' | 'words' | 'outlets' | 'quality';

/** Kinds that are whole numbers (Discord: integer options with the limits). */
export function isWholeNumber(argument: CommandArgument): boolean {
  return argument.kind === 'count' || argument.kind === 'quality';
}

export interface CommandArgument {
  /** Option name on Discord and in the CLI (`--count`): lower case, no spaces. */
  readonly name: string;
  readonly kind: ArgumentKind;
  readonly required: boolean;
  /** What to type, in a few words ("Topic, e.g. AI"); limits and default are added by `describeArgument`. */
  readonly summary: string;
  /** Stands for the value in usage lines: TOPIC, N, HH:MM. */
  readonly placeholder: string;
  /** A value that works, for examples. */
  readonly example: string;
  /** Whole numbers only: the smallest and largest allowed. */
  readonly min?: number;
  readonly max?: number;
  /** Longest value a surface should accept. */
  readonly maxLength?: number;
  /** What an omitted argument means, in words. */
  readonly default?: string;
  /** Literal words accepted besides values ("all"). */
  readonly words?: readonly string[];
  /** Surfaces that can suggest values while typing do. */
  readonly autocomplete?: boolean;
  /**
   * Typed as `name=value` in text commands (Telegram, the terminal), where the other arguments are told
   * apart by their shape; Discord names every option anyway.
   */
  readonly keyed?: boolean;
}

export interface CommandSpec {
  readonly name: CommandName;
  /** One line: a menu entry, a slash command description (≤ 100 characters), a help line. */
  readonly summary: string;
  readonly arguments: readonly CommandArgument[];
  readonly audience: Audience;
  readonly surfaces: readonly Surface[];
  /** Argument values for the worked example in help; every required argument has one. */
  readonly example: Readonly<Record<string, string>>;
}

export const MIN_COUNT = 1;
export const MAX_COUNT = 10;
export const DEFAULT_COUNT = 5;
export const DEFAULT_TIME = '08:00';
export const DEFAULT_TIMEZONE = 'UTC';
/** Longest topic a surface takes; topics are short names, and echoed input stays readable. */
export const MAX_TOPIC_LENGTH = 100;
/** Longest IANA zone name taken ("America/Argentina/ComodRivadavia" is 32). */
export const MAX_ZONE_LENGTH = 64;
/** Longest time option: up to six times ("6:30pm,…"). */
export const MAX_TIME_LENGTH = 60;
/** Longest value of a list option (include, exclude, outlets), as the core refuses longer ones. */
export const MAX_LIST_LENGTH = 1000;

const topic: CommandArgument = {
  name: 'topic',
  kind: 'topic',
  required: true,
  summary: 'Topic, e.g. AI',
  placeholder: 'TOPIC',
  example: 'AI',
  maxLength: MAX_TOPIC_LENGTH,
  autocomplete: true,
};

const zone = {
  kind: 'timezone',
  required: false,
  summary: 'Time zone, e.g. Europe/Kyiv',
  placeholder: 'ZONE',
  example: 'Europe/Kyiv',
  maxLength: MAX_ZONE_LENGTH,
  autocomplete: true,
} as const;

/** Every command, in the order menus and help list them. */
export const COMMAND_CATALOGUE: readonly CommandSpec[] = [
  {
    name: 'news',
    summary: 'The top stories on a topic right now',
    arguments: [
      topic,
      {
        name: 'count',
        kind: 'count',
        required: false,
        summary: 'How many stories',
        placeholder: 'N',
        example: String(DEFAULT_COUNT),
        min: MIN_COUNT,
        max: MAX_COUNT,
        default: String(DEFAULT_COUNT),
      },
    ],
    audience: 'anyone',
    surfaces: ALL_SURFACES,
    example: { topic: 'AI', count: String(DEFAULT_COUNT) },
  },
  {
    name: 'topics',
    summary: 'List the topics with news',
    arguments: [],
    audience: 'anyone',
    surfaces: ALL_SURFACES,
    example: {},
  },
  {
    name: 'subscribe',
    summary: 'Get digests on a topic here, or change a subscription (only the options given change)',
    arguments: [
      topic,
      {
        name: 'time',
        kind: 'time',
        required: false,
        summary: 'Local time, e.g. 08:00 or 9am; several: 08:00,18:00',
        placeholder: 'HH:MM',
        example: DEFAULT_TIME,
        maxLength: MAX_TIME_LENGTH,
        default: DEFAULT_TIME,
      },
      { ...zone, name: 'timezone', summary: 'Zone, e.g. Europe/Kyiv or UTC+3', default: 'the zone set here' },
      {
        name: 'days',
        kind: 'days',
        required: false,
        keyed: true,
        summary: 'Days: mon-fri, mon,wed,fri, weekdays, or one day for weekly',
        placeholder: 'DAYS',
        example: 'mon-fri',
        maxLength: 100,
        default: 'every day',
      },
      {
        name: 'count',
        kind: 'count',
        required: false,
        keyed: true,
        summary: 'Stories per digest',
        placeholder: 'N',
        example: '3',
        min: MIN_COUNT,
        max: MAX_COUNT,
        default: String(DEFAULT_COUNT),
      },
      {
        name: 'include',
        kind: 'words',
        required: false,
        keyed: true,
        summary: 'Only stories that mention one of these words or phrases (comma-separated)',
        placeholder: 'WORDS',
        example: 'openai,gpt',
        maxLength: MAX_LIST_LENGTH,
      },
      {
        name: 'exclude',
        kind: 'words',
        required: false,
        keyed: true,
        summary: 'Leave out stories that mention any of these words or phrases',
        placeholder: 'WORDS',
        example: 'crypto',
        maxLength: MAX_LIST_LENGTH,
      },
      {
        name: 'outlets',
        kind: 'outlets',
        required: false,
        keyed: true,
        summary: 'Leave out these outlets, by name or domain (comma-separated)',
        placeholder: 'OUTLETS',
        example: 'example.com',
        maxLength: MAX_LIST_LENGTH,
      },
      {
        name: 'min',
        kind: 'quality',
        required: false,
        keyed: true,
        summary: 'Lowest article quality',
        placeholder: 'Q',
        example: '60',
        min: 0,
        max: 100,
        default: 'none',
      },
    ],
    audience: 'managers',
    surfaces: CHAT_SURFACES,
    example: { topic: 'Machine Learning', time: DEFAULT_TIME, timezone: 'Europe/Kyiv' },
  },
  {
    name: 'preview',
    summary: 'Show what the next scheduled digest of a subscription here would hold now',
    arguments: [{ ...topic, summary: 'A subscribed topic' }],
    audience: 'anyone',
    surfaces: CHAT_SURFACES,
    example: { topic: 'AI' },
  },
  {
    name: 'pause',
    summary: 'Pause a subscription here (or all of them), keeping its settings',
    arguments: [{ ...topic, summary: 'A subscribed topic, or "all"', words: ['all'] }],
    audience: 'managers',
    surfaces: CHAT_SURFACES,
    example: { topic: 'AI' },
  },
  {
    name: 'resume',
    summary: 'Resume a paused subscription here (or all of them) from its next time',
    arguments: [{ ...topic, summary: 'A subscribed topic, or "all"', words: ['all'] }],
    audience: 'managers',
    surfaces: CHAT_SURFACES,
    example: { topic: 'AI' },
  },
  {
    name: 'unsubscribe',
    summary: 'Stop a subscription here (or all of them)',
    arguments: [{ ...topic, summary: 'A subscribed topic, or "all"', words: ['all'] }],
    audience: 'managers',
    surfaces: CHAT_SURFACES,
    example: { topic: 'AI' },
  },
  {
    name: 'subscriptions',
    summary: 'List the subscriptions here: schedule, zone, options, and when each comes next',
    arguments: [],
    audience: 'anyone',
    surfaces: CHAT_SURFACES,
    example: {},
  },
  {
    name: 'timezone',
    summary: 'Show or set the time zone here (subscriptions with a zone of their own keep it)',
    arguments: [{ ...zone, name: 'zone' }],
    audience: 'managers',
    surfaces: CHAT_SURFACES,
    example: { zone: 'Europe/Kyiv' },
  },
  {
    name: 'stories',
    summary: 'Every story formed from the stored articles in a window, with all its articles',
    arguments: [
      { ...topic, required: false, default: 'all topics', autocomplete: false },
      { name: 'since', kind: 'instant', required: false, summary: 'Start of the stories window', placeholder: 'ISO', example: '2026-11-20T00:00:00Z', default: '--until minus the /news window' },
      { name: 'until', kind: 'instant', required: false, summary: 'End of the stories window', placeholder: 'ISO', example: '2026-11-25T12:00:00Z', default: 'now' },
    ],
    audience: 'anyone',
    surfaces: ['cli'],
    example: { topic: 'AI', since: '2026-11-20T00:00:00Z' },
  },
  {
    name: 'ingest',
    summary: 'Load seed files from DIR (default: the seeds folder)',
    arguments: [{ name: 'folder', kind: 'folder', required: false, summary: 'Seed folder', placeholder: 'DIR', example: './seeds', default: 'the seeds folder' }],
    audience: 'anyone',
    surfaces: ['cli'],
    example: { folder: './seeds' },
  },
  {
    name: 'start',
    summary: 'Run the bot (Telegram, Discord or terminal mode), same as npm start',
    arguments: [],
    audience: 'anyone',
    surfaces: ['cli'],
    example: {},
  },
  {
    name: 'help',
    summary: 'How to use Newsbrief',
    arguments: [],
    audience: 'anyone',
    surfaces: ALL_SURFACES,
    example: {},
  },
  {
    name: 'quit',
    summary: 'Leave (Ctrl+D works too)',
    arguments: [],
    audience: 'anyone',
    surfaces: ['terminal'],
    example: {},
  },
];

/** The commands a surface offers, in catalogue order. */
export function commandsFor(surface: Surface): CommandSpec[] {
  return COMMAND_CATALOGUE.filter((c) => c.surfaces.includes(surface));
}

/** One command's entry; throws for a name the catalogue lacks (a programming error). */
export function commandSpec(name: CommandName): CommandSpec {
  const spec = COMMAND_CATALOGUE.find((c) => c.name === name);
  if (!spec) throw new Error(`commandSpec: no command "${name}" in the catalogue`);
  return spec;
}

/** One argument of a command; throws when the command has no such argument. */
export function commandArgument(command: CommandName, name: string): CommandArgument {
  const arg = commandSpec(command).arguments.find((a) => a.name === name);
  if (!arg) throw new Error(`commandArgument: /${command} has no argument "${name}"`);
  return arg;
}

/**
 * The arguments given, in the command's order, each with its spec: what a surface writes an invocation
 * from. Unknown names are a programming error and throw, so examples cannot drift from the catalogue.
 */
export function invocationArguments(
  command: CommandName,
  values: Readonly<Record<string, string | number | undefined>>,
): { argument: CommandArgument; value: string }[] {
  const spec = commandSpec(command);
  for (const name of Object.keys(values)) commandArgument(command, name);
  return spec.arguments.flatMap((argument) => {
    const value = values[argument.name];
    return value === undefined ? [] : [{ argument, value: String(value) }];
  });
}

/** The summary with limits and default, for an option list: "How many stories (1–10, default 5)". */
export function describeArgument(argument: CommandArgument): string {
  const notes: string[] = [];
  if (argument.min !== undefined && argument.max !== undefined) notes.push(`${argument.min}–${argument.max}`);
  if (argument.default !== undefined) notes.push(`default ${argument.default}`);
  return notes.length > 0 ? `${argument.summary} (${notes.join(', ')})` : argument.summary;
}
