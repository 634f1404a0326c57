import { commandSpec, commandsFor, invocationArguments, type CommandError, type CommandName } from '../../src/index.js';
import { subscribeOptions, wordError as wordCommandError, type ErrorWording, type Syntax } from '../wording.js';

export { ageText, windowText, type ErrorWording } from '../wording.js';

/**
 * What Discord users read, in Discord's syntax ("/news topic:AI count:5"): the words for the core's error
 * codes, help lines and examples, all derived from the core's command catalogue. Plain text: the renderer
 * escapes it.
 */

/** Discord's syntax for the shared wording. */
const DISCORD: Syntax = {
  surface: 'discord',
  invocation,
  subscriptionsHeld: (count) => `There are already ${count} daily digests here`,
  subscribedLabel: 'Subscribed here',
};

/** A slash command as typed in Discord, options named: "/subscribe topic:AI time:08:00 timezone:Europe/Kyiv". */
export function invocation(command: CommandName, values: Readonly<Record<string, string | number | undefined>> = {}): string {
  return [`/${command}`, ...invocationArguments(command, values).map(({ argument, value }) => `${argument.name}:${value}`)].join(' ');
}

/** The catalogue's worked example for a command, as typed here. */
export function commandExample(command: CommandName): string {
  return invocation(command, commandSpec(command).example);
}

/** The words for each of the core's error codes, in Discord's syntax. */
export function wordError(error: CommandError): ErrorWording {
  return wordCommandError(error, DISCORD);
}

/** One markdown help line a command: the name in bold, its example options, what it does. */
export function helpLines(): string[] {
  const commands = commandsFor('discord').map((c) => {
    const args = commandExample(c.name).slice(c.name.length + 1);
    return `**/${c.name}**${args} — ${c.summary}`;
  });
  const options = subscribeOptions().map((o) => `\u2003\`${o.name}\` — ${o.description}`);
  const example = invocation('subscribe', { topic: 'AI', time: '08:00,18:00', timezone: 'Europe/Kyiv', days: 'mon-fri', count: 3, exclude: 'crypto' });
  return [...commands, '', '**/subscribe** options (only those given change an existing subscription):', ...options, `\u2003e.g. ${example}`];
}

/** Who may change things in a server, from the catalogue's audiences. */
export function permissionNote(): string {
  const managed = commandsFor('discord').filter((c) => c.audience === 'managers').map((c) => `/${c.name}`);
  const list = managed.length > 1 ? `${managed.slice(0, -1).join(', ')} and ${managed.at(-1)}` : managed.join('');
  return `In a server, ${list} need the Manage Channels permission.`;
}

