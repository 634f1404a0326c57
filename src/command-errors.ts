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
  /** No topic was given; `suggestions` are the topics to pick from (for unsubscribe: the subscribed ones). */
  'missing-topic': { command: 'news' | 'subscribe' | 'unsubscribe'; suggestions: TopicSuggestion[] };
  /** The count is not a whole number in [min, max]. */
  'bad-count': { min: number; max: number; given: string };
  /** Not a time of day (24-hour HH:MM). */
  'bad-time': { given: string };
  /** Not an IANA zone name; `suggestions` are zones whose city matches what was typed (may be empty). */
  'bad-timezone': { given: string; suggestions: string[] };
  /** The target has `count` subscriptions and `max` is the most allowed. */
  'too-many-subscriptions': { count: number; max: number };
  /** The target has subscriptions, none to `topic`. */
  'not-subscribed': { topic: string; subscribed: TopicSuggestion[] };
  /** The target has no subscriptions to remove. */
  'no-subscriptions': Record<string, never>;
}

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
