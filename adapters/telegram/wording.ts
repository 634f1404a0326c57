import { commandSpec, commandsFor, type CommandError, type CommandName } from '../../src/index.js';
import { textArguments, wordError as wordCommandError, type ErrorWording, type Syntax } from '../wording.js';

export { ageText, windowText, type ErrorWording } from '../wording.js';

/**
 * What Telegram users read, in Telegram's syntax ("/news AI 5"): the words for the core's error codes, the
 * command menu and the examples, all derived from the core's command catalogue. Plain text: the renderer
 * escapes it.
 */

/** Telegram's syntax for the shared wording. */
const TELEGRAM: Syntax = {
  surface: 'telegram',
  invocation,
  subscriptionsHeld: (count) => `This chat already has ${count} subscriptions`,
  subscribedLabel: 'Subscribed here',
};

/** A command as typed in a Telegram chat: "/subscribe Machine Learning 08:00 Europe/Kyiv days=mon-fri". */
export function invocation(command: CommandName, values: Readonly<Record<string, string | number | undefined>> = {}): string {
  return [`/${command}`, ...textArguments(command, values)].join(' ');
}

/** The catalogue's worked example for a command, as typed here. */
export function commandExample(command: CommandName): string {
  return invocation(command, commandSpec(command).example);
}

/** Every command Telegram offers, with what it does and an example: the source of /help and the command menu. */
export const COMMANDS: ReadonlyArray<{ command: CommandName; description: string; example: string }> = commandsFor('telegram').map(
  (c) => ({ command: c.name, description: c.summary, example: commandExample(c.name) }),
);

/** The words for each of the core's error codes, in Telegram's syntax. */
export function wordError(error: CommandError): ErrorWording {
  return wordCommandError(error, TELEGRAM);
}

