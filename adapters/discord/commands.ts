import {
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { commandsFor, describeArgument, isWholeNumber, type CommandArgument, type CommandName as CoreCommandName } from '../../src/index.js';

/** Names of the slash commands, the one place the handlers and the definitions agree on (checked against the catalogue). */
export const CommandName = {
  News: 'news',
  Topics: 'topics',
  Subscribe: 'subscribe',
  Preview: 'preview',
  Pause: 'pause',
  Resume: 'resume',
  Unsubscribe: 'unsubscribe',
  Subscriptions: 'subscriptions',
  Timezone: 'timezone',
  Help: 'help',
} as const satisfies Record<string, CoreCommandName>;

/** Most suggestions Discord shows for an autocomplete option. */
export const MAX_CHOICES = 25;
/** Longest name or value of one autocomplete choice. */
export const MAX_CHOICE_LENGTH = 100;

/** Guild members need this to change a channel's subscriptions; DMs need nothing. */
export const MANAGE_PERMISSION = PermissionFlagsBits.ManageChannels;

// Where every command is offered: servers and the bot's DMs, installed to a server.
function base(name: string, description: string): SlashCommandBuilder {
  return new SlashCommandBuilder()
    .setName(name)
    .setDescription(description)
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    // Kept beside `contexts` for clients and docs that still read the older field.
    .setDMPermission(true);
}

/** The slash commands as Discord's bulk-overwrite endpoint takes them, derived from the core's catalogue. */
export function commandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return commandsFor('discord').map((spec) => {
    const command = base(spec.name, spec.summary);
    if (spec.audience === 'managers') command.setDefaultMemberPermissions(MANAGE_PERMISSION);
    for (const argument of spec.arguments) addOption(command, argument);
    return command.toJSON();
  });
}

/**
 * Whole numbers (a count, a minimum quality) are integer options with their limits; everything else is
 * typed text (days, times, word lists), checked by the core.
 */
function addOption(command: SlashCommandBuilder, argument: CommandArgument): void {
  const description = describeArgument(argument);
  if (isWholeNumber(argument)) {
    command.addIntegerOption((o) => {
      o.setName(argument.name).setDescription(description);
      if (argument.required) o.setRequired(true);
      if (argument.min !== undefined) o.setMinValue(argument.min);
      if (argument.max !== undefined) o.setMaxValue(argument.max);
      return o;
    });
    return;
  }
  command.addStringOption((o) => {
    o.setName(argument.name).setDescription(description);
    if (argument.required) o.setRequired(true);
    if (argument.autocomplete) o.setAutocomplete(true);
    if (argument.maxLength !== undefined) o.setMaxLength(argument.maxLength);
    return o;
  });
}
