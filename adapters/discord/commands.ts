import {
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';

/** Names of the slash commands, the one place the handlers and the definitions agree on. */
export const CommandName = {
  News: 'news',
  Topics: 'topics',
  Subscribe: 'subscribe',
  Unsubscribe: 'unsubscribe',
  Subscriptions: 'subscriptions',
  Timezone: 'timezone',
  Help: 'help',
} as const;

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

/** The slash commands as Discord's bulk-overwrite endpoint takes them. */
export function commandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const news = base(CommandName.News, 'The top stories on a topic right now')
    .addStringOption((o) =>
      o.setName('topic').setDescription('Topic, e.g. AI').setRequired(true).setAutocomplete(true).setMaxLength(100),
    )
    .addIntegerOption((o) =>
      o.setName('count').setDescription('How many stories (1–10, default 5)').setMinValue(1).setMaxValue(10),
    );

  const topics = base(CommandName.Topics, 'List the topics with news');

  const subscribe = base(CommandName.Subscribe, 'Get a daily digest on a topic here')
    .setDefaultMemberPermissions(MANAGE_PERMISSION)
    .addStringOption((o) =>
      o.setName('topic').setDescription('Topic, e.g. AI').setRequired(true).setAutocomplete(true).setMaxLength(100),
    )
    .addStringOption((o) =>
      o.setName('time').setDescription('Local time of day, HH:MM (default 08:00)').setMaxLength(5),
    )
    .addStringOption((o) =>
      o.setName('timezone').setDescription('Time zone, e.g. Europe/Kyiv (default UTC)').setAutocomplete(true).setMaxLength(64),
    );

  const unsubscribe = base(CommandName.Unsubscribe, 'Stop a daily digest here')
    .setDefaultMemberPermissions(MANAGE_PERMISSION)
    .addStringOption((o) =>
      o.setName('topic').setDescription('A subscribed topic, or "all"').setRequired(true).setAutocomplete(true).setMaxLength(100),
    );

  const subscriptions = base(CommandName.Subscriptions, 'List the daily digests delivered here');

  const timezone = base(CommandName.Timezone, 'Show or set the time zone for daily digests here')
    .setDefaultMemberPermissions(MANAGE_PERMISSION)
    .addStringOption((o) =>
      o.setName('zone').setDescription('Time zone, e.g. Europe/Kyiv').setAutocomplete(true).setMaxLength(64),
    );

  const help = base(CommandName.Help, 'How to use Newsbrief');

  return [news, topics, subscribe, unsubscribe, subscriptions, timezone, help].map((c) => c.toJSON());
}
