import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake Discord on loopback for tests: REST under /api/v10 and a gateway WebSocket on the same port.
 * The real discord.js client talks to it when pointed at `apiBase`. It records every REST call, checks
 * message bodies against Discord's limits (answering 400 as Discord would), and can answer the next calls
 * to a route with 429, 403, 404 or 500.
 */

const DISCORD_EPOCH = 1420070400000n;
let sequence = 0n;

/** A fresh snowflake for the current time, as Discord makes them. */
export function snowflake(): string {
  sequence = (sequence + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | sequence).toString();
}

/** Discord permission bits the tests use. */
export const Perm = {
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  ManageChannels: 1n << 4n,
  Administrator: 1n << 3n,
  SendMessagesInThreads: 1n << 38n,
} as const;

/** What the bot may do in a channel by default: enough to post digests. */
export const BOT_CHANNEL_PERMISSIONS = Perm.ViewChannel | Perm.SendMessages | Perm.EmbedLinks;

export interface RecordedCall {
  method: string;
  /** Path after /api/v10, without the query, e.g. "/channels/1/messages". */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined. */
  body: any;
  /** What the fake answered. */
  status: number;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface Fault {
  method?: string;
  /** Matches the path after /api/v10. */
  path: RegExp;
  status: 429 | 401 | 403 | 404 | 500;
  /** How many matching calls fail; default 1. */
  times?: number;
  /** Seconds, for 429 (Retry-After header and retry_after in the body). */
  retryAfter?: number;
  global?: boolean;
}

export type Where =
  | {
      kind: 'guild';
      channelId?: string;
      guildId?: string;
      userId?: string;
      permissions?: bigint;
      appPermissions?: bigint;
      thread?: boolean;
      /** The thread's parent (default: the default text channel); a forum's id makes it a forum post. */
      parentId?: string;
    }
  | { kind: 'dm'; userId?: string; channelId?: string };

export type OptionValue = string | number | boolean;

export interface Dispatched {
  id: string;
  token: string;
  payload: any;
  /** The POST …/callback answering this interaction. */
  callback: Promise<RecordedCall>;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  body: any;
}

export interface FakeDiscordOptions {
  token?: string;
  /** Heartbeat interval the gateway asks for, ms. */
  heartbeatIntervalMs?: number;
  /** Guilds announced in READY and then sent as GUILD_CREATE. */
  guildIds?: string[];
  /** More channels of the first guild (text, forum: type 15 with available_tags, threads), sent in GUILD_CREATE. */
  channels?: FakeChannel[];
}

/** A channel as Discord's API describes it (the fields the fake and the bot use). */
export interface FakeChannel {
  id: string;
  type: number;
  name?: string;
  parent_id?: string | null;
  /** Forum tags. */
  available_tags?: { id: string; name: string; moderated?: boolean; emoji_id?: string | null; emoji_name?: string | null }[];
  /** Channel flags; 16 = REQUIRE_TAG on a forum. */
  flags?: number;
}

/** A forum post (thread) the bot opened with POST /channels/{id}/threads. */
export interface FakeForumPost {
  id: string;
  forumId: string;
  name: string;
  appliedTags: string[];
}

interface OpenInteraction {
  id: string;
  token: string;
  channelId: string;
  acknowledged: boolean;
  original?: FakeMessage;
}

export const TEST_TOKEN = 'fake-bot-token.abc.123';

/** The shard a server's events go to: (guild_id >> 22) % shard count, as Discord documents. */
export function shardOf(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}
export const DEFAULT_GUILD = '900000000000000001';
export const DEFAULT_CHANNEL = '900000000000000010';
export const DEFAULT_USER = '900000000000000100';

export class FakeDiscord {
  readonly calls: RecordedCall[] = [];
  /** Every message created in a channel (POST /channels/{id}/messages) that was accepted. */
  readonly channelMessages: FakeMessage[] = [];
  /** Gateway connections' request URLs, e.g. "/gateway?v=10&encoding=json". */
  readonly gatewayRequests: string[] = [];
  /** IDENTIFY payloads received. */
  readonly identifies: any[] = [];
  heartbeats = 0;
  /** Close codes of gateway connections the client closed (1000 = a clean stop). */
  readonly closeCodes: number[] = [];
  /** Commands registered by bulk overwrite, per route path. */
  readonly commands = new Map<string, any[]>();
  /** Channels beyond the default one, by id: those given at start, and threads the bot opened. */
  readonly channels = new Map<string, FakeChannel>();
  /** Forum posts the bot opened, in order. */
  readonly forumPosts: FakeForumPost[] = [];

  readonly appId = '800000000000000001';
  readonly botUser = { id: this.appId, username: 'newsbrief', discriminator: '0000', global_name: null, avatar: null, bot: true };
  readonly guildIds: string[];
  readonly token: string;

  private readonly faults: (Fault & { left: number })[] = [];
  private readonly channelStatus = new Map<string, 403 | 404>();
  private readonly interactions = new Map<string, OpenInteraction>();
  private readonly webhookMessages = new Map<string, FakeMessage[]>();
  private readonly nonces = new Map<string, FakeMessage>();
  private readonly sockets = new Set<WebSocket>();
  private readonly connections = new Set<Socket>();
  private readonly waiters: { match: (c: RecordedCall) => boolean; resolve: (c: RecordedCall) => void; timer: NodeJS.Timeout }[] = [];
  /** Identified gateway sessions by shard id (a client that sends no shard is shard 0 of 1). */
  private readonly sessions = new Map<number, { socket: WebSocket; seq: number; count: number }>();
  private identifiedWaiters: (() => void)[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private port = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: Required<Omit<FakeDiscordOptions, 'guildIds' | 'channels'>>,
    guildIds: string[],
  ) {
    this.guildIds = guildIds;
    this.token = options.token;
  }

  private addChannels(channels: FakeChannel[]): void {
    for (const c of channels) this.channels.set(c.id, c);
  }

  /** Starts the fake on 127.0.0.1, on a random port. */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const server = createServer();
    const fake = new FakeDiscord(
      server,
      { token: options.token ?? TEST_TOKEN, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250 },
      options.guildIds ?? [DEFAULT_GUILD],
    );
    fake.addChannels(options.channels ?? []);
    server.on('request', (req, res) => void fake.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => fake.onUpgrade(req, socket as Socket, head));
    server.on('connection', (socket) => {
      fake.connections.add(socket);
      socket.on('close', () => fake.connections.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  /** What DISCORD_API_BASE should be to reach this fake. */
  get apiBase(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** Open gateway connections. */
  get connectedClients(): number {
    return this.sockets.size;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  /** The next matching calls fail with the fault's status. */
  fail(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Every post to the channel answers 403 (bot lost access) or 404 (channel deleted) from now on. */
  breakChannel(channelId: string, status: 403 | 404 = 403): void {
    this.channelStatus.set(channelId, status);
  }

  /** REST calls matching a method and path. */
  callsTo(method: string, path: RegExp | string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)));
  }

  /** The first call (already made or still to come) that matches. */
  waitForCall(match: (c: RecordedCall) => boolean, timeoutMs = 5000): Promise<RecordedCall> {
    const found = this.calls.find((c) => c.status !== 0 && match(c));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`FakeDiscord.waitForCall: no matching call within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match,
        timer,
        resolve: (c: RecordedCall) => {
          clearTimeout(timer);
          resolve(c);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Shard ids with an identified gateway session, ascending. */
  get identifiedShards(): number[] {
    return [...this.sessions.keys()].sort((a, b) => a - b);
  }

  /** Resolves once a client has identified on the gateway. */
  whenIdentified(timeoutMs = 5000): Promise<void> {
    if (this.sessions.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('FakeDiscord: no IDENTIFY in time')), timeoutMs);
      this.identifiedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Messages sent through an interaction's webhook: the original reply first (if any), then follow-ups. */
  interactionMessages(token: string): FakeMessage[] {
    const open = [...this.interactions.values()].find((i) => i.token === token);
    return [...(open?.original ? [open.original] : []), ...(this.webhookMessages.get(token) ?? [])];
  }

  /** Dispatches a slash command (INTERACTION_CREATE type 2) as a user in a server channel or a DM. */
  slash(name: string, options: Record<string, OptionValue | undefined> = {}, where: Where = { kind: 'guild' }): Dispatched {
    return this.dispatchInteraction(2, name, this.toOptions(options), where);
  }

  /** Dispatches an autocomplete request (type 4) with `focused` the option being typed. */
  autocomplete(
    name: string,
    options: Record<string, OptionValue | undefined>,
    focused: string,
    where: Where = { kind: 'guild' },
  ): Dispatched {
    const opts = this.toOptions(options).map((o) => (o.name === focused ? { ...o, type: 3, value: String(o.value), focused: true } : o));
    if (!opts.some((o) => o.focused)) opts.push({ name: focused, type: 3, value: '', focused: true });
    return this.dispatchInteraction(4, name, opts, where);
  }

  /**
   * Dispatches a message component interaction (type 3): a button press (component_type 2) or a string select
   * pick (3, with `values`) on `message`, a message the bot sent (channel post, reply or follow-up).
   */
  component(
    customId: string,
    message: FakeMessage,
    options: { values?: string[]; where?: Where } = {},
  ): Dispatched {
    const data: any = { custom_id: customId, component_type: options.values ? 3 : 2 };
    if (options.values) data.values = options.values;
    const where: Where = options.where ?? { kind: 'guild' };
    const placed: Where = where.channelId === undefined ? { ...where, channelId: message.channel_id } : where;
    return this.dispatchInteraction(3, data, [], placed, message);
  }

  /**
   * Sends any dispatch event on the gateway: on `shardId` if given, else as Discord routes it, on the shard
   * of the event's guild_id, or on shard 0 for an event outside servers (a DM).
   */
  dispatch(event: string, data: unknown, shardId?: number): void {
    const count = this.sessions.values().next().value?.count ?? 1;
    const guildId = (data as { guild_id?: unknown } | null)?.guild_id;
    const shard = shardId ?? (typeof guildId === 'string' ? shardOf(guildId, count) : 0);
    const conn = this.sessions.get(shard);
    if (!conn) throw new Error(`FakeDiscord.dispatch: no identified gateway connection for shard ${shard}`);
    conn.seq++;
    conn.socket.send(JSON.stringify({ op: 0, t: event, s: conn.seq, d: data }));
  }

  async close(): Promise<void> {
    for (const waiter of this.waiters.splice(0)) clearTimeout(waiter.timer);
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- interactions ----

  private toOptions(options: Record<string, OptionValue | undefined>): any[] {
    return Object.entries(options)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => ({
        name,
        type: typeof value === 'number' ? (Number.isInteger(value) ? 4 : 10) : typeof value === 'boolean' ? 5 : 3,
        value,
      }));
  }

  private dispatchInteraction(type: 2 | 3 | 4, name: string | object, options: any[], where: Where, message?: FakeMessage): Dispatched {
    const id = snowflake();
    const token = `itok_${randomBytes(12).toString('hex')}`;
    const userId = where.userId ?? DEFAULT_USER;
    const user = { id: userId, username: `user${userId.slice(-4)}`, discriminator: '0', global_name: null, avatar: null };
    const registered = [...this.commands.values()].flat().find((c) => c.name === name);
    const payload: any = {
      id,
      application_id: this.appId,
      type,
      token,
      version: 1,
      data: typeof name === 'string' ? { id: registered?.id ?? snowflake(), name, type: 1, options } : name,
      ...(message ? { message: this.messageJson(message) } : {}),
      locale: 'en-US',
      entitlements: [],
      attachment_size_limit: 8_388_608,
    };
    let channelId: string;
    if (where.kind === 'guild') {
      const guildId = where.guildId ?? this.guildIds[0] ?? DEFAULT_GUILD;
      channelId = where.channelId ?? DEFAULT_CHANNEL;
      Object.assign(payload, {
        guild_id: guildId,
        guild_locale: 'en-US',
        context: 0,
        authorizing_integration_owners: { '0': guildId },
        channel_id: channelId,
        channel: where.thread
          ? { id: channelId, type: 11, guild_id: guildId, name: 'a-thread', parent_id: where.parentId ?? DEFAULT_CHANNEL, thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false } }
          : { id: channelId, type: 0, guild_id: guildId, name: 'news', position: 0, permission_overwrites: [], nsfw: false, parent_id: null },
        app_permissions: String(where.appPermissions ?? BOT_CHANNEL_PERMISSIONS),
        member: {
          user,
          roles: [],
          permissions: String(where.permissions ?? Perm.ViewChannel | Perm.SendMessages),
          joined_at: '2025-01-01T00:00:00.000Z',
          deaf: false,
          mute: false,
          flags: 0,
          pending: false,
          nick: null,
          avatar: null,
          premium_since: null,
          communication_disabled_until: null,
        },
      });
    } else {
      channelId = where.channelId ?? `7${userId.slice(1)}`;
      Object.assign(payload, {
        context: 1,
        authorizing_integration_owners: { '0': DEFAULT_GUILD },
        channel_id: channelId,
        channel: { id: channelId, type: 1, recipients: [user], last_message_id: null, flags: 0 },
        app_permissions: String(BOT_CHANNEL_PERMISSIONS),
        user,
      });
    }
    this.interactions.set(id, { id, token, channelId, acknowledged: false });
    const callback = this.waitForCall((c) => c.method === 'POST' && c.path === `/interactions/${id}/${token}/callback`);
    // A test that never looks at the callback must not see an unhandled rejection when it times out.
    callback.catch(() => {});
    this.dispatch('INTERACTION_CREATE', payload);
    return { id, token, payload, callback };
  }

  // ---- gateway ----

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.gatewayRequests.push(req.url ?? '');
    // The real gateway offers zlib-stream; this fake speaks plain JSON only, so a client must not ask for more.
    if (url.pathname !== '/gateway' || url.searchParams.get('v') !== '10' || url.searchParams.get('encoding') !== 'json' || url.searchParams.has('compress')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', (code) => {
      this.closeCodes.push(code);
      this.sockets.delete(ws);
      for (const [id, session] of this.sessions) if (session.socket === ws) this.sessions.delete(id);
    });
    ws.send(JSON.stringify({ op: 10, s: null, t: null, d: { heartbeat_interval: this.options.heartbeatIntervalMs } }));
    ws.on('message', (raw, isBinary) => {
      if (isBinary) {
        ws.close(4002, 'Decode error');
        return;
      }
      let packet: any;
      try {
        packet = JSON.parse(raw.toString());
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      this.onPacket(ws, packet);
    });
  }

  private onPacket(ws: WebSocket, packet: any): void {
    switch (packet.op) {
      case 1:
        this.heartbeats++;
        ws.send(JSON.stringify({ op: 11, s: null, t: null, d: null }));
        return;
      case 2: {
        this.identifies.push(packet.d);
        if (packet.d?.token !== this.token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        // Like Discord: [shard_id, num_shards], each a whole number, the id below the count; else 4010.
        const shard: unknown = packet.d?.shard ?? [0, 1];
        const valid =
          Array.isArray(shard) && shard.length === 2 && shard.every((n) => Number.isInteger(n)) && shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1];
        if (!valid) {
          ws.close(4010, 'Invalid shard.');
          return;
        }
        const [shardId, count] = shard as [number, number];
        this.sessions.set(shardId, { socket: ws, seq: 0, count });
        const guilds = this.guildIds.filter((id) => shardOf(id, count) === shardId);
        this.dispatch('READY', {
          v: 10,
          user: this.botUser,
          guilds: guilds.map((id) => ({ id, unavailable: true })),
          session_id: randomBytes(8).toString('hex'),
          resume_gateway_url: this.gatewayUrl,
          shard: [shardId, count],
          application: { id: this.appId, flags: 0 },
          user_settings: {},
          private_channels: [],
          relationships: [],
        }, shardId);
        for (const id of guilds) this.dispatch('GUILD_CREATE', this.guild(id), shardId);
        for (const wake of this.identifiedWaiters.splice(0)) wake();
        return;
      }
      case 6:
        // No sessions to resume here: tell the client to identify afresh.
        ws.send(JSON.stringify({ op: 9, s: null, t: null, d: false }));
        return;
      default:
        return;
    }
  }

  private guild(id: string): any {
    return {
      id,
      name: `Guild ${id.slice(-4)}`,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: DEFAULT_USER,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [{ id, name: '@everyone', permissions: String(Perm.ViewChannel | Perm.SendMessages), position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      joined_at: '2025-01-01T00:00:00.000Z',
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [],
      channels: [
        { id: DEFAULT_CHANNEL, type: 0, guild_id: id, name: 'news', position: 0, permission_overwrites: [], nsfw: false, parent_id: null },
        ...(id === this.guildIds[0] ? [...this.channels.values()].filter((c) => !isThreadType(c.type)).map((c) => this.channelJson(c, id)) : []),
      ],
      threads: id === this.guildIds[0] ? [...this.channels.values()].filter((c) => isThreadType(c.type)).map((c) => this.channelJson(c, id)) : [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  // ---- REST ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const prefix = '/api/v10';
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path: url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
      for (const waiter of [...this.waiters]) {
        if (waiter.match(call)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(call);
        }
      }
    };
    if (!url.pathname.startsWith(prefix)) return send(404, { message: '404: Not Found', code: 0 });

    const fault = this.faults.find((f) => f.left > 0 && f.path.test(call.path) && (!f.method || f.method === call.method));
    if (fault) {
      fault.left--;
      return this.sendFault(fault, send);
    }
    try {
      this.route(call, send);
    } catch (error) {
      send(500, { message: `fake: ${(error as Error).message}`, code: 0 });
    }
  }

  private sendFault(fault: Fault, send: (status: number, json?: unknown, headers?: Record<string, string>) => void): void {
    switch (fault.status) {
      case 429: {
        const retryAfter = fault.retryAfter ?? 0.1;
        const headers: Record<string, string> = {
          'retry-after': String(retryAfter),
          'x-ratelimit-scope': fault.global ? 'global' : 'user',
        };
        if (fault.global) headers['x-ratelimit-global'] = 'true';
        return send(429, { message: 'You are being rate limited.', retry_after: retryAfter, global: fault.global ?? false }, headers);
      }
      case 401:
        return send(401, { message: '401: Unauthorized', code: 0 });
      case 403:
        return send(403, { message: 'Missing Access', code: 50001 });
      case 404:
        return send(404, { message: 'Unknown Channel', code: 10003 });
      default:
        return send(500, { message: 'Internal Server Error', code: 0 });
    }
  }

  private authorized(call: RecordedCall): boolean {
    return call.headers.authorization === `Bot ${this.token}`;
  }

  private route(call: RecordedCall, send: (status: number, json?: unknown, headers?: Record<string, string>) => void): void {
    const { method, path } = call;
    const unauthorized = () => send(401, { message: '401: Unauthorized', code: 0 });
    let m: RegExpExecArray | null;

    if (method === 'GET' && path === '/gateway') return send(200, { url: this.gatewayUrl });
    if (method === 'GET' && path === '/gateway/bot') {
      if (!this.authorized(call)) return unauthorized();
      return send(200, {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/users/@me') return this.authorized(call) ? send(200, this.botUser) : unauthorized();
    if (method === 'GET' && path === '/applications/@me') {
      if (!this.authorized(call)) return unauthorized();
      return send(200, { id: this.appId, name: 'Newsbrief', description: '', icon: null, bot_public: true, bot_require_code_grant: false, flags: 0, bot: this.botUser, verify_key: 'x' });
    }

    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path))) {
      if (!this.authorized(call)) return unauthorized();
      if (m[1] !== this.appId) return send(404, { message: 'Unknown Application', code: 10002 });
      if (method === 'GET') return send(200, this.commands.get(path) ?? []);
      if (method === 'PUT') {
        const problems = validateCommands(call.body);
        if (problems.length > 0) return send(400, { message: 'Invalid Form Body', code: 50035, errors: problems });
        const stored = (call.body as any[]).map((c) => ({
          id: this.commands.get(path)?.find((old) => old.name === c.name)?.id ?? snowflake(),
          application_id: this.appId,
          ...(m![2] ? { guild_id: m![2] } : {}),
          version: snowflake(),
          type: 1,
          default_member_permissions: null,
          ...c,
        }));
        this.commands.set(path, stored);
        return send(200, stored);
      }
    }

    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path)) && method === 'POST') {
      const open = this.interactions.get(m[1]!);
      if (!open || open.token !== m[2]) return send(404, { message: 'Unknown interaction', code: 10062 });
      if (open.acknowledged) return send(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      const problems = validateCallback(call.body);
      if (problems.length > 0) return send(400, { message: 'Invalid Form Body', code: 50035, errors: problems });
      open.acknowledged = true;
      if (call.body.type === 4) open.original = { id: snowflake(), channel_id: open.channelId, body: call.body.data };
      if (call.body.type === 5) open.original = { id: snowflake(), channel_id: open.channelId, body: { content: '', flags: call.body.data?.flags } };
      if (call.query.with_response === 'true') {
        return send(200, {
          interaction: { id: open.id, type: 2, activity_instance_id: null, response_message_id: open.original?.id, response_message_loading: call.body.type === 5, response_message_ephemeral: Boolean((call.body.data?.flags ?? 0) & 64) },
          resource: open.original ? { type: call.body.type, message: this.messageJson(open.original) } : { type: call.body.type },
        });
      }
      return send(204);
    }

    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
      const [, appId, token, messageId] = m;
      const open = [...this.interactions.values()].find((i) => i.token === token);
      if (appId !== this.appId || !open || !open.acknowledged) return send(404, { message: 'Unknown Webhook', code: 10015 });
      if (messageId === '@original') {
        if (!open.original) return send(404, { message: 'Unknown Message', code: 10008 });
        if (method === 'GET') return send(200, this.messageJson(open.original));
        if (method === 'DELETE') {
          open.original = undefined;
          return send(204);
        }
        if (method === 'PATCH') {
          const problems = validateMessage(call.body);
          if (problems.length > 0) return send(400, { message: 'Invalid Form Body', code: 50035, errors: problems });
          open.original = { ...open.original, body: { ...open.original.body, ...call.body } };
          return send(200, this.messageJson(open.original));
        }
      }
      if (!messageId && method === 'POST') {
        const problems = validateMessage(call.body);
        if (problems.length > 0) return send(400, { message: 'Invalid Form Body', code: 50035, errors: problems });
        const msg = { id: snowflake(), channel_id: open.channelId, body: call.body };
        this.webhookMessages.set(token!, [...(this.webhookMessages.get(token!) ?? []), msg]);
        return send(200, this.messageJson(msg));
      }
    }

    if ((m = /^\/channels\/(\d+)$/.exec(path)) && method === 'GET') {
      if (!this.authorized(call)) return unauthorized();
      const channelId = m[1]!;
      if (this.channelStatus.get(channelId) === 404) return send(404, { message: 'Unknown Channel', code: 10003 });
      const channel = channelId === DEFAULT_CHANNEL ? { id: DEFAULT_CHANNEL, type: 0, name: 'news' } : this.channels.get(channelId);
      if (!channel) return send(404, { message: 'Unknown Channel', code: 10003 });
      return send(200, this.channelJson(channel, this.guildIds[0] ?? DEFAULT_GUILD));
    }

    if ((m = /^\/channels\/(\d+)\/threads$/.exec(path)) && method === 'POST') {
      if (!this.authorized(call)) return unauthorized();
      const forumId = m[1]!;
      const broken = this.channelStatus.get(forumId);
      if (broken === 403) return send(403, { message: 'Missing Permissions', code: 50013 });
      if (broken === 404) return send(404, { message: 'Unknown Channel', code: 10003 });
      const forum = this.channels.get(forumId);
      // Threads started without a message (in text channels) are not something this bot does.
      if (!forum || (forum.type !== 15 && forum.type !== 16)) return send(400, { message: 'fake: only forum posts are supported', code: 0 });
      const problems: string[] = [];
      const name = call.body?.name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 100) problems.push(`thread name length ${name?.length}`);
      problems.push(...validateMessage(call.body?.message).map((p) => `message: ${p}`));
      const applied: unknown[] = call.body?.applied_tags ?? [];
      const tagIds = new Set((forum.available_tags ?? []).map((t) => t.id));
      if (!Array.isArray(applied) || applied.length > 5 || applied.some((t) => !tagIds.has(String(t)))) problems.push('applied_tags unknown');
      if ((forum.flags ?? 0) & 16 && applied.length === 0) problems.push('this forum requires a tag');
      if (problems.length > 0) return send(400, { message: 'Invalid Form Body', code: 50035, errors: problems });
      const id = snowflake();
      const thread: FakeChannel = { id, type: 11, name, parent_id: forumId };
      this.channels.set(id, thread);
      this.forumPosts.push({ id, forumId, name, appliedTags: applied.map(String) });
      // A forum post's first message has the thread's id.
      const msg = { id, channel_id: id, body: call.body.message };
      this.channelMessages.push(msg);
      return send(201, { ...this.channelJson(thread, this.guildIds[0] ?? DEFAULT_GUILD), applied_tags: applied, message: this.messageJson(msg) });
    }

    if ((m = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      if (!this.authorized(call)) return unauthorized();
      const channelId = m[1]!;
      const broken = this.channelStatus.get(channelId);
      if (broken === 403) return send(403, { message: 'Missing Access', code: 50001 });
      if (broken === 404) return send(404, { message: 'Unknown Channel', code: 10003 });
      const kind = this.channels.get(channelId)?.type;
      if (kind === 15 || kind === 16) return send(400, { message: 'Cannot send messages in a non-text channel', code: 50008 });
      const problems = validateMessage(call.body);
      if (problems.length > 0) return send(400, { message: 'Invalid Form Body', code: 50035, errors: problems });
      const nonceKey = `${channelId}:${call.body.nonce}`;
      const earlier = call.body.enforce_nonce && call.body.nonce !== undefined ? this.nonces.get(nonceKey) : undefined;
      if (earlier) return send(200, this.messageJson(earlier));
      const msg = { id: snowflake(), channel_id: channelId, body: call.body };
      this.channelMessages.push(msg);
      if (call.body.nonce !== undefined) this.nonces.set(nonceKey, msg);
      return send(200, this.messageJson(msg));
    }

    send(404, { message: '404: Not Found', code: 0 });
  }

  /** A channel as Discord's API returns it. */
  channelJson(c: FakeChannel, guildId: string): any {
    const base: any = { id: c.id, type: c.type, guild_id: guildId, name: c.name ?? `channel-${c.id.slice(-4)}`, flags: c.flags ?? 0 };
    if (isThreadType(c.type)) {
      return {
        ...base,
        parent_id: c.parent_id ?? DEFAULT_CHANNEL,
        owner_id: this.appId,
        thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
        member_count: 1,
        message_count: 0,
      };
    }
    Object.assign(base, { position: 1, permission_overwrites: [], nsfw: false, parent_id: c.parent_id ?? null });
    if (c.type === 15 || c.type === 16) {
      base.available_tags = (c.available_tags ?? []).map((t) => ({ moderated: false, emoji_id: null, emoji_name: null, ...t }));
      base.default_reaction_emoji = null;
      base.default_sort_order = null;
      base.default_forum_layout = 0;
      base.topic = null;
    }
    return base;
  }

  /** A message as Discord's API returns it (also for building interaction payloads in tests). */
  messageJson(msg: FakeMessage): any {
    return {
      id: msg.id,
      channel_id: msg.channel_id,
      type: 0,
      author: this.botUser,
      content: msg.body?.content ?? '',
      embeds: msg.body?.embeds ?? [],
      components: msg.body?.components ?? [],
      attachments: [],
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: msg.body?.flags ?? 0,
      nonce: msg.body?.nonce,
      webhook_id: undefined,
    };
  }
}

function isThreadType(type: number): boolean {
  return type === 10 || type === 11 || type === 12;
}

/** Discord's message limits, checked as the real API does (a breach is a 400). */
export function validateMessage(body: any): string[] {
  const problems: string[] = [];
  if (body === null || typeof body !== 'object') return ['body is not a JSON object'];
  const content = body.content ?? '';
  if (typeof content !== 'string') problems.push('content must be a string');
  else if (content.length > 2000) problems.push(`content is ${content.length} > 2000 characters`);
  const embeds: any[] = body.embeds ?? [];
  if (!Array.isArray(embeds)) return [...problems, 'embeds must be an array'];
  if (embeds.length > 10) problems.push(`${embeds.length} embeds > 10`);
  if (content.length === 0 && embeds.length === 0 && !body.components?.length) problems.push('empty message');
  let total = 0;
  for (const [i, e] of embeds.entries()) {
    const check = (what: string, value: unknown, max: number) => {
      if (value === undefined) return;
      if (typeof value !== 'string') problems.push(`embeds[${i}].${what} is not a string`);
      else {
        if (value.length > max) problems.push(`embeds[${i}].${what} is ${value.length} > ${max}`);
        total += value.length;
      }
    };
    check('title', e.title, 256);
    check('description', e.description, 4096);
    check('author.name', e.author?.name, 256);
    check('footer.text', e.footer?.text, 2048);
    if (e.url !== undefined && !/^https?:\/\//.test(e.url)) problems.push(`embeds[${i}].url is not http(s)`);
    const fields: any[] = e.fields ?? [];
    if (fields.length > 25) problems.push(`embeds[${i}] has ${fields.length} fields > 25`);
    for (const [j, f] of fields.entries()) {
      check(`fields[${j}].name`, f.name, 256);
      check(`fields[${j}].value`, f.value, 1024);
      if (!f.name || !f.value) problems.push(`embeds[${i}].fields[${j}] has an empty name or value`);
    }
  }
  if (total > 6000) problems.push(`embeds carry ${total} > 6000 characters`);
  for (const row of body.components ?? []) {
    if ((row.components ?? []).length > 5) problems.push('more than 5 components in a row');
    for (const c of row.components ?? []) {
      if (c.url && c.url.length > 512) problems.push('button url > 512');
      if (c.custom_id !== undefined && (typeof c.custom_id !== 'string' || c.custom_id.length < 1 || c.custom_id.length > 100)) problems.push(`custom_id length ${c.custom_id?.length}`);
      if (c.type === 2 && (typeof c.label !== 'string' || c.label.length > 80)) problems.push('button label > 80');
      if (c.type === 3) {
        const options: any[] = c.options ?? [];
        if (options.length < 1 || options.length > 25) problems.push(`${options.length} select options, not 1–25`);
        for (const o of options) {
          if (typeof o.label !== 'string' || o.label.length < 1 || o.label.length > 100) problems.push(`select label length ${o.label?.length}`);
          if (typeof o.value !== 'string' || o.value.length < 1 || o.value.length > 100) problems.push(`select value length ${o.value?.length}`);
        }
        if (new Set(options.map((o) => o.value)).size !== options.length) problems.push('select values repeat');
      }
    }
  }
  if ((body.components ?? []).length > 5) problems.push('more than 5 rows');
  return problems;
}

function validateCallback(body: any): string[] {
  if (!body || typeof body.type !== 'number') return ['callback type missing'];
  if (body.type === 4 || body.type === 7) return validateMessage(body.data);
  if (body.type === 8) {
    const choices = body.data?.choices;
    if (!Array.isArray(choices)) return ['choices must be an array'];
    const problems: string[] = [];
    if (choices.length > 25) problems.push(`${choices.length} choices > 25`);
    for (const c of choices) {
      if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100) problems.push(`choice name length ${c.name?.length}`);
      if (typeof c.value === 'string' && (c.value.length < 1 || c.value.length > 100)) problems.push(`choice value length ${c.value.length}`);
    }
    return problems;
  }
  return [];
}

function validateCommands(body: any): string[] {
  if (!Array.isArray(body)) return ['commands must be an array'];
  const problems: string[] = [];
  if (body.length > 100) problems.push('more than 100 commands');
  for (const c of body) {
    if (!/^[-_\p{L}\p{N}]{1,32}$/u.test(c.name ?? '') || c.name !== c.name.toLowerCase()) problems.push(`bad command name ${c.name}`);
    if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 100) problems.push(`bad description for ${c.name}`);
    if ((c.options ?? []).length > 25) problems.push(`${c.name} has more than 25 options`);
    let optionalSeen = false;
    for (const o of c.options ?? []) {
      if (typeof o.description !== 'string' || o.description.length < 1 || o.description.length > 100) problems.push(`bad description for ${c.name}.${o.name}`);
      if (!o.required) optionalSeen = true;
      else if (optionalSeen) problems.push(`${c.name}: required option ${o.name} after an optional one`);
    }
  }
  return problems;
}
