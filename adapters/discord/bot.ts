import { once } from 'node:events';
import { ChannelFlags, ChannelType, Client, Events, GatewayIntentBits, Partials, RESTEvents, Routes, type ClientOptions } from 'discord.js';
import { trimTrailingSlashes, type Logger, type Newsbrief, type RateBudget } from '../../src/index.js';
import type { Deliverer } from '../../src/index.js';
import { commandDefinitions } from './commands.js';
import { createDiscordDeliverer, discordBudgetKey, type ChannelInfo } from './deliverer.js';
import { handleInteraction } from './interactions.js';
import { checkShardPlan, type ShardPlan } from './shards.js';

/** Settings for createDiscordBot; the entry point fills them from the environment. */
export interface DiscordBotOptions {
  token: string;
  /**
   * REST base without the version, e.g. "http://127.0.0.1:4000/api". The gateway URL is read from
   * GET {apiBase}/v10/gateway/bot, so this one setting also moves the WebSocket. Default: Discord's API.
   */
  apiBase?: string;
  /** Register the commands to this server only (instant updates while developing); otherwise globally. */
  guildId?: string;
  app: Newsbrief;
  logger: Logger;
  /** Ceiling for scheduled channel posts across all channels (default 46/s; Discord allows 50). */
  postsPerSecond?: number;
  /**
   * The gateway shards this instance runs, when several instances split the bot's servers between them.
   * Interactions from a server arrive on its shard's instance, DMs on shard 0's; scheduled posts go by REST
   * from any instance. Slash commands are registered by the instance running shard 0 only. Default: one shard.
   */
  shards?: ShardPlan;
  /** A posting budget shared with the other instances on this token, reserved under discordBudgetKey(token). */
  rateBudget?: RateBudget;
}

/** A built bot: start it, hand its deliverer to the scheduler, stop it on shutdown. */
export interface DiscordBot {
  readonly client: Client;
  /** Sends scheduled digests to channels and DMs. */
  readonly deliverer: Deliverer;
  /**
   * Logs in, waits until the client is ready (every shard it runs), then overwrites the slash commands in
   * one request (when it runs shard 0).
   */
  start(): Promise<void>;
  /** Closes the gateway connection; safe to call more than once. */
  stop(): Promise<void>;
}

function clientOptions(apiBase: string | undefined, shards: ShardPlan | undefined): ClientOptions {
  // Guilds is the only intent needed: interactions arrive without any. No message content, no privileged
  // intents. Partial channels let an interaction from an uncached channel (a DM, a thread) carry its type.
  const options: ClientOptions = {
    intents: [GatewayIntentBits.Guilds],
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
  };
  if (shards) {
    const problem = checkShardPlan(shards);
    if (problem) throw new Error(`createDiscordBot: shards: ${problem}`);
    // Both given, always: discord.js would take shardCount from the number of ids otherwise.
    options.shards = [...shards.ids];
    options.shardCount = shards.count;
  }
  if (apiBase !== undefined) {
    let url: URL;
    try {
      url = new URL(apiBase);
    } catch {
      throw new Error(`createDiscordBot: apiBase is not a URL: ${apiBase}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`createDiscordBot: apiBase must be http(s), got ${apiBase}`);
    }
    options.rest = { api: trimTrailingSlashes(apiBase) };
  }
  return options;
}

/**
 * discord.js builds its objects from gateway packets inside a WebSocket message handler, so a packet it cannot
 * read (an interaction with neither member nor user) became an unhandled rejection, which ends the process.
 * Such a packet is logged and dropped instead. `handlePacket` is internal to discord.js (pinned in package.json).
 */
// Surprise: discord.js turns a malformed gateway packet into an unhandled rejection, which ends the process.
// `client.ws.handlePacket` is internal to discord.js (pinned at 14.28.1); re-check this on upgrades.
function guardPackets(client: Client, logger: Logger): void {
  const ws = client.ws as unknown as { handlePacket(packet?: { t?: unknown }, shard?: unknown): boolean };
  const handle = ws.handlePacket.bind(ws);
  ws.handlePacket = (packet, shard) => {
    try {
      return handle(packet, shard);
    } catch (error) {
      logger.error({ err: error, event: packet?.t }, 'discord: dropped a gateway packet discord.js could not read');
      return true;
    }
  };
}

/** What the gateway has told this client about a channel: its type and, for a forum, its tags. */
function cachedChannel(client: Client, id: string): ChannelInfo | undefined {
  const channel = client.channels.cache.get(id);
  if (!channel) return undefined;
  if (channel.type === ChannelType.GuildForum || channel.type === ChannelType.GuildMedia) {
    return {
      type: channel.type,
      tags: channel.availableTags.map((t) => ({ id: t.id, name: t.name, moderated: t.moderated })),
      requireTag: channel.flags.has(ChannelFlags.RequireTag),
    };
  }
  return { type: channel.type };
}

/** Builds the Discord bot: the one way `npm start` and the tests create it. Nothing connects until start(). */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const { app, logger, token, guildId } = options;
  const client = new Client(clientOptions(options.apiBase, options.shards));
  guardPackets(client, logger);
  const sharedBudget = options.rateBudget && { budget: options.rateBudget, key: discordBudgetKey(token) };
  const deliverer = createDiscordDeliverer({
    rest: client.rest,
    logger,
    postsPerSecond: options.postsPerSecond,
    sharedBudget,
    channels: (id) => cachedChannel(client, id),
  });
  // One instance registers the commands, so that a restart of several does not overwrite them several times.
  const registers = options.shards === undefined || options.shards.ids.includes(0);

  client.on(Events.InteractionCreate, (interaction) => void handleInteraction(interaction, { app, logger }));
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({}, `discord: ${message}`));
  client.on(Events.ShardError, (error, shardId) => logger.warn({ err: error, shardId }, 'discord gateway error'));
  // discord.js waits out rate limits itself; these only make them visible. RateLimited covers the waits it
  // foresaw from bucket headers, Response the 429s it did not.
  client.rest.on(RESTEvents.RateLimited, (info) =>
    logger.warn({ route: info.route, method: info.method, waitMs: info.timeToReset, global: info.global }, 'discord rate limited; waiting'),
  );
  client.rest.on(RESTEvents.Response, (request, response) => {
    if (response.status !== 429) return;
    const retryAfter = response.headers.get('retry-after');
    logger.warn({ route: request.route, method: request.method, retryAfter }, 'discord rate limited (429); retrying after the wait');
  });

  let started: Promise<void> | undefined;
  let stopped = false;

  async function registerCommands(): Promise<void> {
    const appId = client.application?.id ?? client.user?.id;
    if (!appId) throw new Error('registerCommands: no application id after login');
    const route = guildId ? Routes.applicationGuildCommands(appId, guildId) : Routes.applicationCommands(appId);
    const commands = commandDefinitions();
    // A bulk overwrite is idempotent: the same list twice leaves the same commands.
    await client.rest.put(route, { body: commands });
    logger.info({ appId, guildId: guildId ?? null, commands: commands.length }, 'discord commands registered');
  }

  async function run(): Promise<void> {
    const abort = new AbortController();
    const ready = once(client, Events.ClientReady, { signal: abort.signal });
    ready.catch(() => {});
    try {
      await client.login(token);
      await ready;
    } catch (error) {
      abort.abort();
      throw error;
    }
    const shards = options.shards && { shards: options.shards.ids, shardCount: options.shards.count };
    logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size, ...shards }, 'discord bot ready');
    if (registers) await registerCommands();
    else logger.info({ ...shards }, 'discord: slash commands are registered by the instance running shard 0, not this one');
  }

  return {
    client,
    deliverer,
    start() {
      if (stopped) return Promise.reject(new Error('DiscordBot.start: the bot was stopped'));
      started ??= run();
      return started;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await client.destroy();
      logger.info({}, 'discord bot stopped');
    },
  };
}
