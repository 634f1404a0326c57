import {
  MessageFlags,
  PermissionFlagsBits,
  PermissionsBitField,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionReplyOptions,
} from 'discord.js';
import type { Logger, Newsbrief, Target } from '../../src/index.js';
import { completeSubscribed, completeTimezone, completeTopic, type Choice } from './autocomplete.js';
import { CommandName, MANAGE_PERMISSION } from './commands.js';
import {
  renderApology,
  renderBotCannotPost,
  renderDigest,
  renderError,
  renderHelp,
  renderNeedsPermission,
  renderOutdated,
  renderPaused,
  renderPreview,
  renderSubscribed,
  renderSubscriptions,
  renderTimezone,
  renderTopics,
  renderUnsubscribed,
  type DiscordMessage,
  type Place,
} from './render.js';

/** What the interaction handlers work with. */
export interface InteractionContext {
  app: Newsbrief;
  logger: Logger;
}

/** Where a command acts: the channel it ran in; in a DM that is the DM channel, so digests reach the user. */
export function targetOf(interaction: { channelId: string | null }): Target {
  if (!interaction.channelId) throw new Error('targetOf: the interaction has no channel id');
  return { platform: 'discord', chatId: interaction.channelId };
}

function placeOf(interaction: Interaction): Place {
  return interaction.inGuild() ? 'channel' : 'dm';
}

function replyOptions(msg: DiscordMessage, ephemeral: boolean): InteractionReplyOptions {
  return {
    ...(msg.content !== undefined ? { content: msg.content } : {}),
    embeds: msg.embeds,
    allowedMentions: { parse: [] },
    ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  };
}

/**
 * Sends the messages as the interaction's answer: the first as the reply, the rest as follow-ups.
 * The core is synchronous and local, so the reply leaves within milliseconds of the interaction and only
 * follow-ups (which have 15 minutes) wait in the REST queue.
 */
async function answer(interaction: ChatInputCommandInteraction, messages: DiscordMessage[], ephemeral: boolean): Promise<void> {
  for (const [i, msg] of messages.entries()) {
    const options = replyOptions(msg, ephemeral);
    if (i === 0) await interaction.reply(options);
    else await interaction.followUp(options);
  }
}

function userMay(interaction: ChatInputCommandInteraction): boolean {
  if (!interaction.inGuild()) return true;
  // Discord hides these commands via default_member_permissions, but server admins can override that per
  // channel or role, so the permission is checked again here.
  return interaction.memberPermissions?.has(MANAGE_PERMISSION) ?? false;
}

/** What the bot lacks to post digests in this channel; empty in DMs. */
function botMissing(interaction: ChatInputCommandInteraction): string[] {
  if (!interaction.inGuild()) return [];
  const have = interaction.appPermissions ?? new PermissionsBitField();
  const send = interaction.channel?.isThread() ? 'SendMessagesInThreads' : 'SendMessages';
  const needed = ['ViewChannel', send, 'EmbedLinks'] as const;
  return needed.filter((p) => !have.has(PermissionFlagsBits[p])).map((p) => p.replace(/([a-z])([A-Z])/g, '$1 $2'));
}

async function runCommand(interaction: ChatInputCommandInteraction, { app }: InteractionContext): Promise<void> {
  const place = placeOf(interaction);
  const text = (name: string) => interaction.options.getString(name) ?? undefined;
  switch (interaction.commandName) {
    case CommandName.News: {
      const result = await app.news(text('topic'), { count: interaction.options.getInteger('count') ?? undefined });
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      return answer(interaction, renderDigest(result.digest), false);
    }
    case CommandName.Topics:
      return answer(interaction, [renderTopics(await app.listTopics())], true);
    case CommandName.Subscriptions:
      return answer(interaction, [renderSubscriptions(await app.subscriptions(targetOf(interaction)), place)], true);
    case CommandName.Help:
      return answer(interaction, [renderHelp()], true);
    case CommandName.Subscribe: {
      if (!userMay(interaction)) return answer(interaction, [renderNeedsPermission()], true);
      const missing = botMissing(interaction);
      if (missing.length > 0) return answer(interaction, [renderBotCannotPost(missing)], true);
      const whole = (name: string) => interaction.options.getInteger(name) ?? undefined;
      const given = {
        time: text('time'),
        timezone: text('timezone'),
        days: text('days'),
        count: whole('count'),
        include: text('include'),
        exclude: text('exclude'),
        outlets: text('outlets'),
        min: whole('min'),
      };
      // Options left out are not passed at all: an existing subscription keeps those settings.
      const options = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
      const result = await app.subscribeWith(targetOf(interaction), text('topic'), options);
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      return answer(interaction, [renderSubscribed(result.view, result.created, place, result.changed)], true);
    }
    case CommandName.Pause:
    case CommandName.Resume: {
      if (!userMay(interaction)) return answer(interaction, [renderNeedsPermission()], true);
      const action = interaction.commandName === CommandName.Pause ? 'pause' : 'resume';
      const result = await app[action](targetOf(interaction), text('topic'));
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      return answer(interaction, [renderPaused(result)], true);
    }
    case CommandName.Preview: {
      const result = await app.preview(targetOf(interaction), text('topic'));
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      return answer(interaction, renderPreview(result), true);
    }
    case CommandName.Unsubscribe: {
      if (!userMay(interaction)) return answer(interaction, [renderNeedsPermission()], true);
      const result = await app.unsubscribe(targetOf(interaction), text('topic'));
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      return answer(interaction, [renderUnsubscribed(result.removed)], true);
    }
    case CommandName.Timezone: {
      const zone = text('zone');
      const target = targetOf(interaction);
      if (zone === undefined) return answer(interaction, [renderTimezone(await app.timezone(target), undefined)], true);
      if (!userMay(interaction)) return answer(interaction, [renderNeedsPermission()], true);
      const result = await app.setTimezone(target, zone);
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      return answer(interaction, [renderTimezone(result.timezone, result)], true);
    }
    default:
      throw new OutdatedCommandError(`unknown command /${interaction.commandName}`);
  }
}

async function suggestions(interaction: AutocompleteInteraction, { app }: InteractionContext): Promise<Choice[]> {
  const focused = interaction.options.getFocused(true);
  const value = String(focused.value ?? '');
  if (focused.name === 'timezone' || focused.name === 'zone') return completeTimezone(value);
  if (focused.name !== 'topic') return [];
  const subscribedOnly: string[] = [CommandName.Unsubscribe, CommandName.Pause, CommandName.Resume, CommandName.Preview];
  if (subscribedOnly.includes(interaction.commandName)) {
    return completeSubscribed(app, targetOf(interaction), value);
  }
  return completeTopic(app, value);
}

async function apologize(interaction: Interaction): Promise<void> {
  if (interaction.isAutocomplete()) {
    if (!interaction.responded) await interaction.respond([]);
    return;
  }
  if (!interaction.isRepliable()) return;
  const options = replyOptions(renderApology(), true);
  if (interaction.replied || interaction.deferred) await interaction.followUp(options);
  else await interaction.reply(options);
}

function describeInteraction(interaction: Interaction): Record<string, unknown> {
  return {
    interactionId: interaction.id,
    type: interaction.type,
    command: interaction.isCommand() || interaction.isAutocomplete() ? interaction.commandName : undefined,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    userId: interaction.user.id,
  };
}

/** A command name this bot does not register (any more). */
class OutdatedCommandError extends Error {
  override name = 'OutdatedCommandError';
}

/** Unknown command, or an option of another type than declared (discord.js's CommandInteractionOptionType). */
function isOutdated(error: unknown): boolean {
  return (
    error instanceof OutdatedCommandError ||
    (error instanceof Error && (error as Error & { code?: unknown }).code === 'CommandInteractionOptionType')
  );
}

/** Interaction tokens act as credentials for 15 minutes; they appear in REST URLs and must not reach logs. */
export function redactTokens(text: string): string {
  return text.replace(/\/(interactions\/\d+|webhooks\/\d+)\/[^/?\s]+/g, '/$1/:token');
}

function loggable(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: redactTokens(String(error)) };
  const extra = error as Error & { status?: number; code?: unknown; method?: string; url?: string };
  return {
    type: error.name,
    message: redactTokens(error.message),
    stack: error.stack === undefined ? undefined : redactTokens(error.stack),
    status: extra.status,
    code: extra.code,
    method: extra.method,
    url: extra.url === undefined ? undefined : redactTokens(extra.url),
  };
}

/**
 * The adapter's one catch point: runs a command or autocomplete, and turns any unexpected failure into a
 * log line and an ephemeral apology. Never rejects.
 */
export async function handleInteraction(interaction: Interaction, context: InteractionContext): Promise<void> {
  try {
    if (interaction.isAutocomplete()) await interaction.respond(await suggestions(interaction, context));
    else if (interaction.isChatInputCommand()) await runCommand(interaction, context);
  } catch (error) {
    if (isOutdated(error) && interaction.isChatInputCommand() && !interaction.replied) {
      // A command or option type this bot does not have: the user's client shows an old command list.
      context.logger.warn({ err: loggable(error), ...describeInteraction(interaction) }, 'discord command options out of date');
      await answer(interaction, [renderOutdated()], true).catch(() => undefined);
      return;
    }
    context.logger.error({ err: loggable(error), ...describeInteraction(interaction) }, 'discord interaction failed');
    try {
      await apologize(interaction);
    } catch (apologyError) {
      context.logger.warn({ err: loggable(apologyError), interactionId: interaction.id }, 'discord apology failed too');
    }
  }
}
