import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelegramBot, type TelegramBot, type TelegramBotOptions } from '../../adapters/telegram/index.js';
import { Newsbrief } from '../../src/app.js';
import type { Logger } from '../../src/logger.js';
import type { Article } from '../../src/model.js';
import { openSqliteStorage, type SqliteStorage } from '../../adapters/storage/sqlite/index.js';
import { indexArticles } from '../../src/index.js';

/**
 * A fake Telegram Bot API server on loopback, for running the real grammY bot against. It implements
 * the methods the bot uses, answers like Telegram (including its HTML parse-mode and length checks, so
 * a malformed message fails as it would in production), records every call, and fails on demand.
 */

export interface FakeUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  first_name?: string;
  is_forum?: boolean;
  /** A public channel's or group's @name, without the @. */
  username?: string;
}

export interface ApiAnswer {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface RecordedCall {
  method: string;
  payload: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /** Undefined while the fake holds the request (long poll, hang). */
  answer?: ApiAnswer;
}

/** A message as the fake keeps it: `html` is what the bot sent, `text` what a user would read. */
export interface StoredMessage {
  message_id: number;
  chat: FakeChat;
  html: string;
  text: string;
  parse_mode?: string;
  message_thread_id?: number;
  reply_markup?: { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> };
  link_preview_options?: Record<string, unknown>;
  /** The message this one replies to (reply_parameters.message_id), if any. */
  reply_to_message_id?: number;
  from: FakeUser;
}

/** A fault the next matching calls answer with. */
export type Fault =
  | { kind: '429'; retryAfter: number }
  | { kind: '403'; description?: string }
  | { kind: '5xx'; status?: number; description?: string }
  | { kind: '400'; description: string; parameters?: ApiAnswer['parameters'] }
  /** Never answer: the client's own timeout has to end it. */
  | { kind: 'hang' }
  /** Answer as usual, but only after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Destroy the connection mid-request, without an answer: the client sees a socket hang-up. */
  | { kind: 'drop' }
  /** Any Bot API error answer, e.g. 409 Conflict or 401 Unauthorized. */
  | { kind: 'status'; code: number; description: string };

/** The webhook as setWebhook registered it. */
export interface FakeWebhook {
  url: string;
  secret_token?: string;
  allowed_updates?: string[];
}

/** One attempt of the fake to POST an update to the webhook: the HTTP status, or why there was none. */
export interface WebhookDelivery {
  update_id: number;
  status: number | 'unreachable';
  at: number;
}

export interface WaitOptions {
  /** Only calls recorded at or after this index (see `mark()`). */
  since?: number;
  where?: (call: RecordedCall) => boolean;
  timeoutMs?: number;
  /** Count calls the fake is still holding (a long poll) too; by default only answered calls count. */
  includePending?: boolean;
}

export const BOT_USER: FakeUser = { id: 424242, is_bot: true, first_name: 'Newsbrief', username: 'NewsbriefTestBot' };
export const TOKEN = '424242:TEST-token_for-the-fake';

const ALLOWED_TAGS = new Set([
  'b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji',
]);
const SEND_METHODS = /^(send|copy|forward|editMessage)/;

/** Parses Telegram's HTML parse mode as strictly as Telegram: the text a user would see, or the error. */
export function parseTelegramHtml(html: string): { ok: true; text: string } | { ok: false; error: string } {
  let text = '';
  const stack: string[] = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === '<') {
      const tag = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))*)\s*>/.exec(html.slice(i));
      if (!tag) return { ok: false, error: `Can't parse entities: unexpected "<" at offset ${i}` };
      const [whole, closing, rawName, attrs] = tag;
      const name = rawName!.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) return { ok: false, error: `Can't parse entities: unsupported start tag "${name}" at offset ${i}` };
      if (closing) {
        if (stack.at(-1) !== name) return { ok: false, error: `Can't parse entities: unexpected end tag at offset ${i}` };
        stack.pop();
      } else {
        if (name === 'a') {
          const href = /href\s*=\s*"([^"]*)"/.exec(attrs ?? '');
          if (!href) return { ok: false, error: `Can't parse entities: <a> without a quoted href at offset ${i}` };
          const decoded = decodeEntities(href[1]!);
          if (decoded === undefined) return { ok: false, error: `Can't parse entities: bad entity in href at offset ${i}` };
          if (!/^https?:\/\//i.test(decoded)) return { ok: false, error: `Bad link: ${decoded.slice(0, 40)}` };
        }
        stack.push(name);
      }
      i += whole.length;
    } else if (c === '&') {
      const entity = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/.exec(html.slice(i));
      if (!entity) return { ok: false, error: `Can't parse entities: unsupported entity at offset ${i}` };
      text += decodeEntities(entity[0]);
      i += entity[0].length;
    } else if (c === '>') {
      return { ok: false, error: `Can't parse entities: unexpected ">" at offset ${i}` };
    } else {
      text += c;
      i++;
    }
  }
  if (stack.length > 0) return { ok: false, error: `Can't parse entities: can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { ok: true, text };
}

function decodeEntities(value: string): string | undefined {
  let bad = false;
  const out = value.replace(/&([^;]*);?/g, (_, name: string) => {
    if (name === 'lt') return '<';
    if (name === 'gt') return '>';
    if (name === 'amp') return '&';
    if (name === 'quot') return '"';
    const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : name.startsWith('#') ? parseInt(name.slice(1), 10) : NaN;
    if (Number.isNaN(code)) bad = true;
    return Number.isNaN(code) ? '' : String.fromCodePoint(code);
  });
  return bad ? undefined : out;
}

/** A private chat with a user. */
export function privateChat(user: FakeUser): FakeChat {
  return { id: user.id, type: 'private', first_name: user.first_name };
}

/** A user; ids must be unique within a test. */
export function user(id: number, first_name = `User ${id}`): FakeUser {
  return { id, is_bot: false, first_name };
}

export function group(id: number, title = `Group ${id}`): FakeChat {
  return { id: -Math.abs(id), type: 'group', title };
}

export function supergroup(id: number, options: { forum?: boolean; title?: string } = {}): FakeChat {
  return { id: -(1_000_000_000_000 + Math.abs(id)), type: 'supergroup', title: options.title ?? `Supergroup ${id}`, is_forum: options.forum ?? false };
}

interface HeldPoll {
  res: http.ServerResponse;
  call: RecordedCall;
  offset: number;
  limit: number;
  timer: NodeJS.Timeout;
}

export class FakeTelegram {
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<string, StoredMessage>();
  private readonly server: http.Server;
  private readonly updates: Array<Record<string, unknown> & { update_id: number }> = [];
  private nextUpdateId = 1;
  private readonly nextMessageId = new Map<number, number>();
  private readonly chats = new Map<number, FakeChat>();
  private readonly admins = new Map<number, { creator?: number; admins: Set<number> }>();
  /** Rights getChatMember reports for an administrator, by `${chatId}:${userId}`; default: every right. */
  private readonly rights = new Map<string, Record<string, boolean>>();
  private readonly faults: Array<{ method: string; chatId?: number; fault: Fault; remaining: number }> = [];
  private readonly blocked = new Map<number, string>();
  private readonly migrated = new Map<number, number>();
  private readonly polls = new Set<HeldPoll>();
  private readonly hung = new Set<http.ServerResponse>();
  private readonly listeners = new Set<() => void>();
  private port = 0;
  private hook: FakeWebhook | undefined;
  private delivering: Promise<void> | undefined;
  private readonly closing = new AbortController();
  /** Every attempt to deliver an update to the webhook, oldest first. */
  readonly webhookDeliveries: WebhookDelivery[] = [];

  private constructor() {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  /** Starts a fake on 127.0.0.1 and a random port. */
  static async start(): Promise<FakeTelegram> {
    const fake = new FakeTelegram();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** What to pass as the bot's apiRoot. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Ends held requests and closes every connection, so the test process can exit. */
  async close(): Promise<void> {
    this.hook = undefined;
    this.closing.abort();
    await this.delivering;
    for (const poll of this.polls) {
      clearTimeout(poll.timer);
      this.answer(poll.res, poll.call, { ok: true, result: [] });
    }
    this.polls.clear();
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- Test controls ----------------------------------------------------------------------------

  /** Makes a chat known (it is also registered by any update from it). */
  addChat(chat: FakeChat): FakeChat {
    this.chats.set(chat.id, chat);
    return chat;
  }

  /** Sets who getChatMember reports as creator and administrators of a chat. */
  setAdmins(chatId: number, adminIds: number[], creatorId?: number): void {
    this.admins.set(chatId, { creator: creatorId, admins: new Set(adminIds) });
  }

  /** Overrides what getChatMember reports of an administrator's rights, e.g. `{ can_post_messages: false }`. */
  setAdminRights(chatId: number, userId: number, rights: Record<string, boolean>): void {
    this.rights.set(`${chatId}:${userId}`, rights);
  }

  /** The next `times` calls of `method` (to `chatId`, if given) fail with `fault`. */
  failNext(method: string, fault: Fault, times = 1, chatId?: number): void {
    this.faults.push({ method, chatId, fault, remaining: times });
  }

  /** Forgets every fault still queued by failNext. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Every message to this chat answers 403 until unblocked. */
  block(chatId: number, description = 'Forbidden: bot was blocked by the user'): void {
    this.blocked.set(chatId, description);
  }

  unblock(chatId: number): void {
    this.blocked.delete(chatId);
  }

  /** The group became a supergroup: messages to the old id answer 400 with migrate_to_chat_id. */
  migrate(oldId: number, newChat: FakeChat): void {
    this.migrated.set(oldId, newChat.id);
    this.addChat(newChat);
  }

  /** Queues a raw update (and POSTs it to the webhook, if one is set); returns it with its update_id. */
  pushUpdate(update: Record<string, unknown>): Record<string, unknown> & { update_id: number } {
    const full = { update_id: this.nextUpdateId++, ...update };
    this.updates.push(full);
    this.flushPolls();
    this.deliverPending();
    return full;
  }

  /** The webhook registered by setWebhook, if any. */
  get webhook(): Readonly<FakeWebhook> | undefined {
    return this.hook;
  }

  /** Updates not yet confirmed (by a later getUpdates offset, or a 2xx from the webhook). */
  get pendingUpdateCount(): number {
    return this.updates.length;
  }

  /**
   * POSTs queued updates to the webhook one at a time, oldest first, with the secret token header, as
   * Telegram does; a non-2xx answer or no answer keeps the update queued and ends the round. Telegram
   * retries on its own schedule; the fake retries on the next update, the next setWebhook, or this call.
   */
  deliverPending(): Promise<void> {
    if (!this.hook || this.delivering) return this.delivering ?? Promise.resolve();
    const round = async () => {
      while (this.hook && this.updates.length > 0 && !this.closing.signal.aborted) {
        const update = this.updates[0]!;
        const { url, secret_token } = this.hook;
        let status: WebhookDelivery['status'];
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(secret_token ? { 'x-telegram-bot-api-secret-token': secret_token } : {}) },
            body: JSON.stringify(update),
            signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(5000)]),
          });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          status = 'unreachable';
        }
        const delivered = status !== 'unreachable' && status >= 200 && status <= 299;
        if (delivered && this.updates[0] === update) this.updates.shift();
        this.webhookDeliveries.push({ update_id: update.update_id, status, at: Date.now() });
        this.notify();
        if (!delivered) return;
      }
    };
    this.delivering = round().finally(() => (this.delivering = undefined));
    return this.delivering;
  }

  /** Resolves once `done()` holds (checked after every call and webhook delivery); rejects after `timeoutMs`. */
  waitUntil(done: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return false;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`fake Telegram: waited ${timeoutMs} ms for ${what}`));
      }, timeoutMs);
      if (!check()) this.listeners.add(check);
    });
  }

  /** A user writes text (a command, if it starts with "/") in a chat, optionally in a forum topic. */
  sendText(options: { from: FakeUser; chat: FakeChat; text: string; threadId?: number; senderChat?: FakeChat }) {
    const { from, chat, text, threadId } = options;
    this.addChat(chat);
    const command = /^\/\S+/.exec(text);
    const message: Record<string, unknown> = {
      message_id: this.takeMessageId(chat.id),
      date: Math.floor(Date.now() / 1000),
      chat,
      from,
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
      ...(threadId !== undefined ? { message_thread_id: threadId, is_topic_message: true } : {}),
      ...(options.senderChat ? { sender_chat: options.senderChat } : {}),
    };
    return this.pushUpdate(chat.type === 'channel' ? { channel_post: message } : { message });
  }

  /** A user presses an inline button under a message the bot sent. */
  press(options: { from: FakeUser; message: StoredMessage; data: string }) {
    const { from, message, data } = options;
    return this.pushUpdate({
      callback_query: {
        id: `cb-${this.nextUpdateId}`,
        from,
        chat_instance: `ci-${message.chat.id}`,
        data,
        message: this.messageObject(message),
      },
    });
  }

  /** Index of the next call to be recorded: pass as `since` to wait only for calls after this point. */
  mark(): number {
    return this.calls.length;
  }

  callsOf(method: string, since = 0): RecordedCall[] {
    return this.calls.slice(since).filter((c) => c.method === method);
  }

  /** The first call of `method` matching the options, waiting for it if need be. */
  async waitForCall(method: string, options: WaitOptions = {}): Promise<RecordedCall> {
    const [call] = await this.waitForCalls(method, 1, options);
    return call!;
  }

  /** The first `count` answered calls of `method` matching the options, waiting for them if need be. */
  waitForCalls(method: string, count: number, options: WaitOptions = {}): Promise<RecordedCall[]> {
    const { since = 0, where = () => true, timeoutMs = 4000, includePending = false } = options;
    const matching = () =>
      this.calls.slice(since).filter((c) => c.method === method && (includePending || c.answer !== undefined) && where(c));
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = matching();
        if (found.length < count) return false;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(found.slice(0, count));
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        const seen = this.calls.slice(since).map((c) => c.method).join(', ') || 'none';
        reject(new Error(`fake Telegram: waited ${timeoutMs} ms for ${count} × ${method}; got ${matching().length}. Calls since: ${seen}`));
      }, timeoutMs);
      if (!check()) this.listeners.add(check);
    });
  }

  /** Messages the bot has in a chat (and topic), oldest first. */
  messagesIn(chatId: number, threadId?: number): StoredMessage[] {
    return [...this.messages.values()].filter(
      (m) => m.chat.id === chatId && (threadId === undefined || m.message_thread_id === threadId),
    );
  }

  // ---- Server -----------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const body = await readBody(req);
    if (!match) return this.send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match;
    let payload: Record<string, unknown>;
    try {
      payload = { ...Object.fromEntries(url.searchParams), ...parsePayload(req.headers['content-type'], body) };
    } catch (error) {
      return this.send(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${(error as Error).message}` });
    }
    const call: RecordedCall = { method: method!, payload, at: Date.now() };
    this.calls.push(call);
    this.notify();
    if (token !== TOKEN) return this.answer(res, call, { ok: false, error_code: 401, description: 'Unauthorized' });

    const fault = this.takeFault(method!, payload);
    if (fault) return this.fail(res, call, fault);

    if (method === 'getUpdates') return this.getUpdates(res, call, payload);
    this.answer(res, call, this.dispatch(method!, payload));
    // Telegram tries a new webhook at once.
    if (method === 'setWebhook' && call.answer?.ok) void this.deliverPending();
  }

  private dispatch(method: string, p: Record<string, unknown>): ApiAnswer {
    const chatId = p.chat_id === undefined ? undefined : Number(p.chat_id);
    if (chatId !== undefined && (SEND_METHODS.test(method) || method === 'getChatMember')) {
      const blocked = this.blocked.get(chatId);
      if (blocked) return { ok: false, error_code: 403, description: blocked };
      const to = this.migrated.get(chatId);
      if (to !== undefined) {
        return {
          ok: false,
          error_code: 400,
          description: 'Bad Request: group chat was upgraded to a supergroup chat',
          parameters: { migrate_to_chat_id: to },
        };
      }
    }
    switch (method) {
      case 'getMe':
        return { ok: true, result: { ...BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } };
      case 'setWebhook':
        return this.setWebhook(p);
      case 'deleteWebhook':
        this.hook = undefined;
        if (p.drop_pending_updates === true) this.updates.length = 0;
        return { ok: true, result: true };
      case 'getWebhookInfo':
        return {
          ok: true,
          result: {
            url: this.hook?.url ?? '',
            has_custom_certificate: false,
            pending_update_count: this.updates.length,
            ...(this.hook?.allowed_updates ? { allowed_updates: this.hook.allowed_updates } : {}),
          },
        };
      case 'setMyCommands':
      case 'answerCallbackQuery':
        return { ok: true, result: true };
      case 'getChatMember': {
        const chat = this.chatFor(p.chat_id);
        if (!chat) return { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
        return this.getChatMember(chat.id, Number(p.user_id));
      }
      case 'getChat': {
        const chat = this.chatFor(p.chat_id);
        return chat ? { ok: true, result: chat } : { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
      }
      case 'editMessageReplyMarkup':
        return this.editMessageReplyMarkup(p);
      case 'sendMessage':
        return this.sendMessage(p);
      case 'editMessageText':
        return this.editMessageText(p);
      default:
        return { ok: false, error_code: 404, description: `Not Found: method ${method} is not in the fake` };
    }
  }

  /** Like Telegram, except that http URLs are accepted (as a self-hosted Bot API server does), so loopback works. */
  private setWebhook(p: Record<string, unknown>): ApiAnswer {
    const bad = (description: string): ApiAnswer => ({ ok: false, error_code: 400, description: `Bad Request: ${description}` });
    if (typeof p.url !== 'string' || p.url === '') {
      this.hook = undefined;
      return { ok: true, result: true };
    }
    let url: URL;
    try {
      url = new URL(p.url);
    } catch {
      return bad('invalid webhook URL specified');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return bad('bad webhook: unsupported URL protocol');
    const secret = p.secret_token;
    if (secret !== undefined && (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(secret))) {
      return bad('secret token contains unallowed characters');
    }
    if (p.drop_pending_updates === true) this.updates.length = 0;
    this.hook = {
      url: p.url,
      ...(typeof secret === 'string' ? { secret_token: secret } : {}),
      ...(Array.isArray(p.allowed_updates) ? { allowed_updates: p.allowed_updates as string[] } : {}),
    };
    return { ok: true, result: true };
  }

  /** A known chat by numeric id or "@username", as Telegram accepts either for chat_id. */
  private chatFor(chatId: unknown): FakeChat | undefined {
    if (typeof chatId === 'string' && chatId.startsWith('@')) {
      const name = chatId.slice(1).toLowerCase();
      return [...this.chats.values()].find((c) => c.username?.toLowerCase() === name);
    }
    return this.chats.get(Number(chatId));
  }

  private getChatMember(chatId: number, userId: number): ApiAnswer {
    const roles = this.admins.get(chatId);
    const status = roles?.creator === userId ? 'creator' : roles?.admins.has(userId) ? 'administrator' : 'member';
    const member = userId === BOT_USER.id ? BOT_USER : user(userId);
    if (status !== 'administrator') return { ok: true, result: { status, user: member } };
    const rights = {
      can_be_edited: false,
      is_anonymous: false,
      can_manage_chat: true,
      can_delete_messages: true,
      can_manage_video_chats: true,
      can_restrict_members: true,
      can_promote_members: false,
      can_change_info: true,
      can_invite_users: true,
      can_post_stories: false,
      can_edit_stories: false,
      can_delete_stories: false,
      ...(this.chats.get(chatId)?.type === 'channel' ? { can_post_messages: true, can_edit_messages: true } : {}),
      ...this.rights.get(`${chatId}:${userId}`),
    };
    return { ok: true, result: { status, user: member, ...rights } };
  }

  private editMessageReplyMarkup(p: Record<string, unknown>): ApiAnswer {
    const message = this.messages.get(`${Number(p.chat_id)}:${Number(p.message_id)}`);
    if (!message) return { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' };
    const markup = p.reply_markup as StoredMessage['reply_markup'];
    const empty = (m: StoredMessage['reply_markup']) => !m || m.inline_keyboard.length === 0;
    if (JSON.stringify(message.reply_markup) === JSON.stringify(markup) || (empty(message.reply_markup) && empty(markup))) {
      return { ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup of the message are exactly the same as a current content and reply markup of the message' };
    }
    message.reply_markup = empty(markup) ? undefined : markup;
    return { ok: true, result: this.messageObject(message) };
  }

  private sendMessage(p: Record<string, unknown>): ApiAnswer {
    const chat = this.chats.get(Number(p.chat_id));
    if (!chat) return { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
    const threadId = p.message_thread_id === undefined ? undefined : Number(p.message_thread_id);
    if (threadId !== undefined && !chat.is_forum) return { ok: false, error_code: 400, description: 'Bad Request: message thread not found' };
    const checked = this.checkContent(p);
    if (!checked.ok) return checked.answer;
    const replyParameters = p.reply_parameters as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
    const replyTo = replyParameters?.message_id === undefined ? undefined : Number(replyParameters.message_id);
    if (replyTo !== undefined && !this.messages.has(`${chat.id}:${replyTo}`) && !replyParameters?.allow_sending_without_reply) {
      // Telegram knows users' messages too; the fake only its own, so it refuses only when told not to go on.
      return { ok: false, error_code: 400, description: 'Bad Request: message to be replied not found' };
    }
    const message: StoredMessage = {
      message_id: this.takeMessageId(chat.id),
      chat,
      html: String(p.text),
      text: checked.text,
      parse_mode: p.parse_mode as string | undefined,
      message_thread_id: threadId,
      reply_markup: p.reply_markup as StoredMessage['reply_markup'],
      link_preview_options: p.link_preview_options as Record<string, unknown> | undefined,
      ...(replyTo !== undefined ? { reply_to_message_id: replyTo } : {}),
      from: BOT_USER,
    };
    this.messages.set(`${chat.id}:${message.message_id}`, message);
    return { ok: true, result: this.messageObject(message) };
  }

  private editMessageText(p: Record<string, unknown>): ApiAnswer {
    const message = this.messages.get(`${Number(p.chat_id)}:${Number(p.message_id)}`);
    if (!message) return { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' };
    const checked = this.checkContent(p);
    if (!checked.ok) return checked.answer;
    const markup = p.reply_markup as StoredMessage['reply_markup'];
    if (message.text === checked.text && JSON.stringify(message.reply_markup) === JSON.stringify(markup)) {
      return {
        ok: false,
        error_code: 400,
        description: 'Bad Request: message is not modified: specified new message content and reply markup of the message are exactly the same as a current content and reply markup of the message',
      };
    }
    Object.assign(message, {
      html: String(p.text),
      text: checked.text,
      parse_mode: p.parse_mode,
      reply_markup: markup,
      link_preview_options: p.link_preview_options,
    });
    return { ok: true, result: this.messageObject(message) };
  }

  private checkContent(p: Record<string, unknown>): { ok: true; text: string } | { ok: false; answer: ApiAnswer } {
    const bad = (description: string) => ({ ok: false as const, answer: { ok: false, error_code: 400, description: `Bad Request: ${description}` } });
    if (typeof p.text !== 'string' || p.text.length === 0) return bad('message text is empty');
    let text = p.text;
    if (p.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(p.text);
      if (!parsed.ok) return bad(parsed.error);
      text = parsed.text;
    }
    if (text.trim().length === 0) return bad('message text is empty');
    if (text.length > 4096) return bad('message is too long');
    const markup = p.reply_markup as StoredMessage['reply_markup'] | undefined;
    for (const button of markup?.inline_keyboard.flat() ?? []) {
      if (button.callback_data !== undefined) {
        const size = Buffer.byteLength(button.callback_data, 'utf8');
        if (size < 1 || size > 64) return bad('BUTTON_DATA_INVALID');
      }
    }
    return { ok: true, text };
  }

  private getUpdates(res: http.ServerResponse, call: RecordedCall, p: Record<string, unknown>): void {
    const offset = p.offset === undefined ? 0 : Number(p.offset);
    const limit = p.limit === undefined ? 100 : Number(p.limit);
    const timeout = p.timeout === undefined ? 0 : Number(p.timeout);
    if (this.hook) {
      return this.answer(res, call, {
        ok: false,
        error_code: 409,
        description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      });
    }
    // Telegram forgets updates below the offset: they are confirmed.
    while (this.updates.length > 0 && this.updates[0]!.update_id < offset) this.updates.shift();
    // A newer poll supersedes held ones (Telegram would answer them 409; grammY never overlaps them).
    for (const poll of this.polls) this.endPoll(poll);
    const ready = this.updates.filter((u) => u.update_id >= offset).slice(0, limit);
    if (ready.length > 0 || timeout <= 0) return this.answer(res, call, { ok: true, result: ready });
    const poll: HeldPoll = { res, call, offset, limit, timer: setTimeout(() => this.endPoll(poll), timeout * 1000) };
    this.polls.add(poll);
    res.on('close', () => {
      clearTimeout(poll.timer);
      this.polls.delete(poll);
    });
  }

  private endPoll(poll: HeldPoll): void {
    clearTimeout(poll.timer);
    this.polls.delete(poll);
    const ready = this.updates.filter((u) => u.update_id >= poll.offset).slice(0, poll.limit);
    this.answer(poll.res, poll.call, { ok: true, result: ready });
  }

  private flushPolls(): void {
    for (const poll of this.polls) this.endPoll(poll);
  }

  private takeFault(method: string, p: Record<string, unknown>): Fault | undefined {
    const index = this.faults.findIndex(
      (f) => f.method === method && f.remaining > 0 && (f.chatId === undefined || f.chatId === Number(p.chat_id)),
    );
    if (index < 0) return undefined;
    const entry = this.faults[index]!;
    entry.remaining--;
    if (entry.remaining === 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  private fail(res: http.ServerResponse, call: RecordedCall, fault: Fault): void {
    switch (fault.kind) {
      case '429':
        return this.answer(res, call, {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${fault.retryAfter}`,
          parameters: { retry_after: fault.retryAfter },
        });
      case '403':
        return this.answer(res, call, { ok: false, error_code: 403, description: fault.description ?? 'Forbidden: bot was blocked by the user' });
      case '5xx':
        return this.answer(res, call, { ok: false, error_code: fault.status ?? 500, description: fault.description ?? 'Internal Server Error' });
      case '400':
        return this.answer(res, call, { ok: false, error_code: 400, description: fault.description, parameters: fault.parameters });
      case 'drop':
        // The call stays unanswered, as for a connection that died.
        res.socket?.destroy();
        this.notify();
        return;
      case 'status':
        return this.answer(res, call, { ok: false, error_code: fault.code, description: fault.description });
      case 'hang':
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return;
      case 'delay': {
        this.hung.add(res);
        const timer = setTimeout(() => {
          this.hung.delete(res);
          this.answer(res, call, this.dispatch(call.method, call.payload));
        }, fault.ms);
        res.on('close', () => {
          clearTimeout(timer);
          this.hung.delete(res);
        });
        return;
      }
    }
  }

  private answer(res: http.ServerResponse, call: RecordedCall, answer: ApiAnswer): void {
    call.answer = answer;
    this.send(res, answer.ok ? 200 : (answer.error_code ?? 500), answer);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private takeMessageId(chatId: number): number {
    const next = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, next);
    return next;
  }

  private messageObject(m: StoredMessage): Record<string, unknown> {
    return {
      message_id: m.message_id,
      date: Math.floor(Date.now() / 1000),
      chat: m.chat,
      from: m.from,
      text: m.text,
      ...(m.message_thread_id !== undefined ? { message_thread_id: m.message_thread_id, is_topic_message: true } : {}),
      ...(m.reply_markup ? { reply_markup: m.reply_markup } : {}),
    };
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON bodies (what grammY sends) and form bodies (what curl and other clients send). */
function parsePayload(contentType: string | undefined, body: string): Record<string, unknown> {
  if (body.length === 0) return {};
  if (contentType?.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(body)) {
      // Telegram reads JSON-serialised objects in form fields (reply_markup and the like).
      out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
    }
    return out;
  }
  throw new Error(`unsupported content type ${contentType ?? 'none'}`);
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

// ---- Harness: the real bot, built by createTelegramBot, against a fresh fake and an in-memory store ----

/** A logger that keeps what it was told, for asserting that failures are logged. */
export interface RecordingLogger extends Logger {
  entries: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; obj: unknown; msg?: string }>;
}

export function recordingLogger(): RecordingLogger {
  const entries: RecordingLogger['entries'] = [];
  const at = (level: RecordingLogger['entries'][number]['level']) => (obj: object | string, msg?: string) =>
    void entries.push({ level, obj, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface TelegramHarness {
  fake: FakeTelegram;
  store: SqliteStorage;
  app: Newsbrief;
  telegram: TelegramBot;
  logger: RecordingLogger;
  close(): Promise<void>;
}

/**
 * Starts a fake Bot API server and the bot exactly as `npm start` builds it (createTelegramBot), with
 * test-sized pacing and backoff unless `botOptions` says otherwise. Close it in afterEach.
 */
export async function startTelegramHarness(
  options: { articles?: Article[]; clock?: () => Date; botOptions?: Partial<TelegramBotOptions>; defaults?: boolean } = {},
): Promise<TelegramHarness> {
  const fake = await FakeTelegram.start();
  const store = openSqliteStorage(':memory:');
  await store.articles.upsertArticles(indexArticles(options.articles ?? []));
  const now = new Date('2026-11-26T09:00:00.000Z');
  const app = new Newsbrief({ storage: store, clock: options.clock ?? (() => now) });
  const logger = recordingLogger();
  const testSized: Partial<TelegramBotOptions> = options.defaults
    ? {}
    : { pacing: { chatGapMs: 0 }, retry: { baseDelayMs: 20 }, stopGraceMs: 200 };
  const telegram = createTelegramBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    app,
    logger,
    ...testSized,
    ...options.botOptions,
  });
  try {
    await telegram.start();
  } catch (error) {
    await fake.close();
    throw error;
  }
  return {
    fake,
    store,
    app,
    telegram,
    logger,
    async close() {
      await telegram.stop();
      await fake.close();
      await store.close();
    },
  };
}
