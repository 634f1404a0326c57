import {
  ChannelType,
  MessageFlags,
  PermissionFlagsBits,
  PermissionsBitField,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionReplyOptions,
  type StringSelectMenuInteraction,
} from 'discord.js';
import { DEFAULT_COUNT, type Logger, type Newsbrief, type Target } from '../../src/index.js';
import { completeSubscribed, completeTimezone, completeTopic, type Choice } from './autocomplete.js';
import { CommandName, MANAGE_PERMISSION } from './commands.js';
import { digestButtons, topicMenu, MAX_MENU_OPTIONS } from './components.js';
import { decodeCustomId, findTopicKey, readTopicRef } from './custom-ids.js';
import {
  renderAlreadyUnsubscribed,
  renderNoMoreStories,
  renderStaleComponent,
  renderTopicMenu,
  withComponents,
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

/** The channel facts targetOf looks at: a thread knows its parent, which the client may have cached. */
interface WhereFrom {
  channelId: string | null;
  channel?: { isThread(): boolean; parent?: { type: ChannelType } | null } | null;
}

/**
 * Where a command acts: the channel it ran in (a thread is a channel of its own, so a digest subscribed in a
 * thread is posted in that thread); in a DM that is the DM channel, so digests reach the user. Commands
 * cannot run in a forum itself, only in one of its posts: there they act on the forum, whose scheduled
 * digests each open a new post.
 */
export function targetOf(interaction: WhereFrom): Target {
  if (!interaction.channelId) throw new Error('targetOf: the interaction has no channel id');
  const forum = forumOf(interaction);
  return { platform: 'discord', chatId: forum ?? interaction.channelId };
}

/** The forum (or media channel) whose post the interaction came from, if it did. */
function forumOf(interaction: WhereFrom): string | undefined {
  const channel = interaction.channel;
  if (!channel?.isThread()) return undefined;
  const parent = channel.parent;
  if (parent && (parent.type === ChannelType.GuildForum || parent.type === ChannelType.GuildMedia)) {
    return (parent as unknown as { id: string }).id;
  }
  return undefined;
}

function placeOf(interaction: Interaction): Place {
  return interaction.inGuild() ? 'channel' : 'dm';
}

function replyOptions(msg: DiscordMessage, ephemeral: boolean): InteractionReplyOptions {
  return {
    ...(msg.content !== undefined ? { content: msg.content } : {}),
    embeds: msg.embeds,
    ...(msg.components !== undefined ? { components: msg.components } : {}),
    allowedMentions: { parse: [] },
    ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  };
}

/**
 * Sends the messages as the interaction's answer: the first as the reply, the rest as follow-ups.
 * The core is synchronous and local, so the reply leaves within milliseconds of the interaction and only
 * follow-ups (which have 15 minutes) wait in the REST queue.
 */
async function answer(interaction: ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction, messages: DiscordMessage[], ephemeral: boolean): Promise<void> {
  for (const [i, msg] of messages.entries()) {
    const options = replyOptions(msg, ephemeral);
    if (i === 0) await interaction.reply(options);
    else await interaction.followUp(options);
  }
}

function userMay(interaction: ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction): boolean {
  if (!interaction.inGuild()) return true;
  // Discord hides these commands via default_member_permissions, but server admins can override that per
  // channel or role, so the permission is checked again here.
  return interaction.memberPermissions?.has(MANAGE_PERMISSION) ?? false;
}

/**
 * What the bot lacks to post digests where this interaction's subscription would go; empty in DMs. In a
 * forum post the digests open new posts in the forum, which needs Send Messages there ("Create Posts").
 */
function botMissing(interaction: ChatInputCommandInteraction | StringSelectMenuInteraction): string[] {
  if (!interaction.inGuild()) return [];
  const have = interaction.appPermissions ?? new PermissionsBitField();
  const forum = forumOf(interaction) !== undefined;
  const send = interaction.channel?.isThread() && !forum ? 'SendMessagesInThreads' : 'SendMessages';
  const needed = ['ViewChannel', send, 'EmbedLinks'] as const;
  const name = (p: string) => (forum && p === 'SendMessages' ? 'Create Posts (Send Messages)' : p.replace(/([a-z])([A-Z])/g, '$1 $2'));
  return needed.filter((p) => !have.has(PermissionFlagsBits[p])).map(name);
}

async function runCommand(interaction: ChatInputCommandInteraction, { app }: InteractionContext): Promise<void> {
  const place = placeOf(interaction);
  const text = (name: string) => interaction.options.getString(name) ?? undefined;
  switch (interaction.commandName) {
    case CommandName.News: {
      const count = interaction.options.getInteger('count') ?? undefined;
      const result = await app.news(text('topic'), { count });
      if (!result.ok) return answer(interaction, [renderError(result)], true);
      const buttons = digestButtons(result.digest, { count: count ?? DEFAULT_COUNT });
      return answer(interaction, withComponents(renderDigest(result.digest), buttons), false);
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
      // No topic and nothing else: offer the top topics to pick from. With other options the core's
      // missing-topic answer says what to type, since a menu could not carry them.
      if (text('topic') === undefined && Object.keys(options).length === 0) {
        return answer(interaction, [renderTopicMenu(topicMenu(await app.mainTopics(MAX_MENU_OPTIONS)))], true);
      }
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

/**
 * A button under a digest or the /subscribe topic menu. The custom id and the picked value are untrusted:
 * anything this bot did not write, or whose topic or subscription is gone, gets a polite ephemeral answer.
 * Answers are ephemeral, so pressing More changes nobody else's view of the channel.
 */
async function runComponent(interaction: ButtonInteraction | StringSelectMenuInteraction, { app }: InteractionContext): Promise<void> {
  const action = decodeCustomId(interaction.customId);
  const stale = () => answer(interaction, [renderStaleComponent()], true);
  if (!action) return stale();
  if (action.kind === 'more' && interaction.isButton()) {
    const key = findTopicKey(action.topic, (await app.listTopics()).map((t) => t.key));
    if (key === undefined) return stale();
    const result = await app.news(key, { count: action.count, page: action.page });
    if (!result.ok) return answer(interaction, [renderError(result)], true);
    // The core reads a page past the end as the last one with stories, or an empty one: either way, the end.
    if (result.digest.items.length === 0 || (result.digest.page ?? 0) < action.page) {
      return answer(interaction, [renderNoMoreStories(result.digest.topic)], true);
    }
    const buttons = digestButtons(result.digest, { count: action.count });
    return answer(interaction, withComponents(renderDigest(result.digest), buttons), true);
  }
  if (action.kind === 'unsubscribe' && interaction.isButton()) {
    if (!userMay(interaction)) return answer(interaction, [renderNeedsPermission()], true);
    // In a forum post: the forum's subscription, else one made in that post before forums were told apart.
    const targets = [targetOf(interaction), { platform: 'discord', chatId: interaction.channelId }];
    let found: { target: Target; key: string } | undefined;
    for (const target of targets) {
      const subs = (await app.subscriptions(target)).map((v) => v.subscription);
      const key = findTopicKey(action.topic, subs.map((s) => s.topicKey));
      if (key !== undefined) {
        found = { target, key };
        break;
      }
    }
    if (!found) return answer(interaction, [renderAlreadyUnsubscribed(placeOf(interaction))], true);
    const result = await app.unsubscribe(found.target, found.key);
    if (!result.ok) return answer(interaction, [renderError(result)], true);
    return answer(interaction, [renderUnsubscribed(result.removed)], true);
  }
  if (action.kind === 'pick' && interaction.isStringSelectMenu()) {
    if (!userMay(interaction)) return answer(interaction, [renderNeedsPermission()], true);
    const missing = botMissing(interaction);
    if (missing.length > 0) return answer(interaction, [renderBotCannotPost(missing)], true);
    const ref = interaction.values.length === 1 ? readTopicRef(String(interaction.values[0]).slice(0, 100)) : undefined;
    const key = ref && findTopicKey(ref, (await app.listTopics()).map((t) => t.key));
    if (key === undefined) return stale();
    const result = await app.subscribeWith(targetOf(interaction), key, {});
    if (!result.ok) return answer(interaction, [renderError(result)], true);
    // The menu was ephemeral: it becomes the confirmation, so it cannot be picked from twice.
    const confirmation = renderSubscribed(result.view, result.created, placeOf(interaction), result.changed);
    await interaction.update({ content: confirmation.content ?? '', embeds: confirmation.embeds, components: [], allowedMentions: { parse: [] } });
    return;
  }
  return stale();
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
    customId: interaction.isMessageComponent() ? interaction.customId.slice(0, 100) : undefined,
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
    else if (interaction.isButton() || interaction.isStringSelectMenu()) await runComponent(interaction, context);
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
