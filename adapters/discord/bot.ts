import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, Partials, RESTEvents, Routes, type ClientOptions } from 'discord.js';
import { trimTrailingSlashes, type Logger, type Newsbrief } from '../../src/index.js';
import type { Deliverer } from '../../src/index.js';
import { commandDefinitions } from './commands.js';
import { createDiscordDeliverer } from './deliverer.js';
import { handleInteraction } from './interactions.js';

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
  /** Ceiling for scheduled channel posts across all channels (default 40/s; Discord allows 50). */
  postsPerSecond?: number;
}

/** A built bot: start it, hand its deliverer to the scheduler, stop it on shutdown. */
export interface DiscordBot {
  readonly client: Client;
  /** Sends scheduled digests to channels and DMs. */
  readonly deliverer: Deliverer;
  /** Logs in, waits until the client is ready, then overwrites the slash commands in one request. */
  start(): Promise<void>;
  /** Closes the gateway connection; safe to call more than once. */
  stop(): Promise<void>;
}

function clientOptions(apiBase: string | undefined): ClientOptions {
  // Guilds is the only intent needed: interactions arrive without any. No message content, no privileged
  // intents. Partial channels let an interaction from an uncached channel (a DM, a thread) carry its type.
  const options: ClientOptions = {
    intents: [GatewayIntentBits.Guilds],
    partials: [Partials.Channel],
    allowedMentions: { parse: [] },
  };
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

/** Builds the Discord bot: the one way `npm start` and the tests create it. Nothing connects until start(). */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const { app, logger, token, guildId } = options;
  const client = new Client(clientOptions(options.apiBase));
  guardPackets(client, logger);
  const deliverer = createDiscordDeliverer({ rest: client.rest, logger, postsPerSecond: options.postsPerSecond });

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
    logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord bot ready');
    await registerCommands();
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
