import type { CommandName } from './commands.js';
import type { TopicSuggestion } from './types.js';

/**
 * Every expected failure of a command, by code, with what a surface needs to word it. The core returns
 * these and never words them: each adapter says them in its own syntax (see each adapter's wording module).
 * A new code here fails to compile in every wording module until each says it.
 */
export interface CommandErrorParams {
  /** The topic is not known; `suggestions` are the closest known ones, best first (may be empty). */
  'unknown-topic': { command: 'news' | 'stories' | 'subscribe'; topic: string; suggestions: TopicSuggestion[] };
  /** No topic was given; `suggestions` are the topics to pick from (for unsubscribe and the like: the subscribed ones). */
  'missing-topic': { command: 'news' | 'subscribe' | 'unsubscribe' | 'pause' | 'resume' | 'preview'; suggestions: TopicSuggestion[] };
  /** The count is not a whole number in [min, max]; `option` when it was a subscription's count= option. */
  'bad-count': { min: number; max: number; given: string; option?: 'count' };
  /** Not a time of day (24-hour HH:MM, or 12-hour with am/pm). */
  'bad-time': { given: string };
  /**
   * Not a zone: `suggestions` are zones whose city matches what was typed (may be empty); for an
   * abbreviation (`abbreviation`: EST), the zone and the standard offset it usually stands for.
   */
  'bad-timezone': { given: string; suggestions: string[]; abbreviation?: boolean };
  /**
   * A subscription option is wrong; see BadOptionProblem. `option` is a SubscriptionOptionName, except for
   * `unknown-option`, where it is the name typed. `given` is the offending part, cut.
   */
  'bad-option': { option: string; given: string; problem: BadOptionProblem; limit?: number; min?: number; max?: number };
  /** The target has `count` subscriptions and `max` is the most allowed. */
  'too-many-subscriptions': { count: number; max: number };
  /** The target has subscriptions, none to `topic`; `command` is what was asked (default unsubscribe). */
  'not-subscribed': { topic: string; subscribed: TopicSuggestion[]; command?: 'unsubscribe' | 'pause' | 'resume' | 'preview' };
  /** The target has no subscriptions to remove. */
  'no-subscriptions': Record<string, never>;
}

/** The options /subscribe takes besides the topic, as typed in text commands (`days=mon-fri`). */
export type SubscriptionOptionName = 'time' | 'timezone' | 'days' | 'count' | 'include' | 'exclude' | 'outlets' | 'min';

/**
 * What is wrong with an option. `unknown-option`: no such option (`given` is its name); `too-long`: one
 * entry over `limit` characters; `too-many`: over `limit` entries (or times); `total-too-long`: the whole
 * value over `limit` characters; `out-of-range`: not a whole number in [min, max]; `bad-day`: not a day of
 * the week; `no-words`: an entry without a letter or digit; `repeated`: the option was given twice.
 */
export type BadOptionProblem = 'unknown-option' | 'too-long' | 'too-many' | 'total-too-long' | 'out-of-range' | 'bad-day' | 'no-words' | 'repeated';

export type CommandErrorCode = keyof CommandErrorParams;

/** An expected failure of a command: a code and its parameters, never thrown, never English. */
export type CommandError = {
  [C in CommandErrorCode]: { ok: false; code: C; params: CommandErrorParams[C] };
}[CommandErrorCode];

/** Every code, for tests that check each surface words them all. */
export const COMMAND_ERROR_CODES: readonly CommandErrorCode[] = [
  'unknown-topic',
  'missing-topic',
  'bad-count',
  'bad-time',
  'bad-timezone',
  'bad-option',
  'too-many-subscriptions',
  'not-subscribed',
  'no-subscriptions',
];

/** Builds a command error; the one way the core makes them. */
export function commandError<C extends CommandErrorCode>(code: C, params: CommandErrorParams[C]): Extract<CommandError, { code: C }> {
  return { ok: false, code, params } as Extract<CommandError, { code: C }>;
}

/** The topics an error offers to pick from (closest, main or subscribed ones), for buttons and lists. */
export function suggestedTopics(error: CommandError): TopicSuggestion[] {
  switch (error.code) {
    case 'unknown-topic':
    case 'missing-topic':
      return error.params.suggestions;
    case 'not-subscribed':
      return error.params.subscribed;
    default:
      return [];
  }
}
