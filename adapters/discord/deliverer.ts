import { createHash } from 'node:crypto';
import { ChannelFlags, ChannelType, DiscordAPIError, Routes, type REST } from 'discord.js';
import { cutAtWord, MAX_COUNT, type Logger, type RateBudget, type Target } from '../../src/index.js';
import type { DeliverHooks, Deliverer, DeliveryContext, DeliveryOutcome, Digest } from '../../src/index.js';
import { digestButtons } from './components.js';
import { Pacer } from './pacer.js';
import { renderDigest, withComponents, type DiscordMessage } from './render.js';

/** What the deliverer needs to know about a channel: its type and, for a forum, its tags. */
export interface ChannelInfo {
  type: number;
  /** A forum's tags (available_tags). */
  tags?: { id: string; name: string; moderated?: boolean }[];
  /** The forum requires a tag on every post. */
  requireTag?: boolean;
}

/** Longest forum post (thread) name Discord takes. */
const THREAD_NAME_LIMIT = 100;

/**
 * Scheduled posts stay under this many requests a second overall. Discord allows 50 and exempts
 * interaction callbacks; 46 keeps the fan-out near the limit (see docs/benchmarks.md) with room for
 * the follow-ups of commands answered meanwhile.
 */
export const DEFAULT_POSTS_PER_SECOND = 46;

/** What the deliverer needs: the client's REST queue and a log. */
export interface DiscordDelivererOptions {
  /** discord.js's REST client: it queues per route and waits out 429s on its own. */
  rest: REST;
  logger: Logger;
  postsPerSecond?: number;
  /** The posting budget shared by every instance on this token, and its key (discordBudgetKey). */
  sharedBudget?: { budget: RateBudget; key: string };
  /**
   * The client's cached knowledge of a channel (type, forum tags), kept current by the gateway. A channel
   * not in it is looked up once by REST (GET /channels/{id}); a failed lookup means a plain post.
   */
  channels?: (channelId: string) => ChannelInfo | undefined;
}

/**
 * The key under which every instance on one Discord token shares a posting budget: "discord:" and the first
 * 16 hex digits of the token's sha256, which tell nothing about the token.
 */
export function discordBudgetKey(token: string): string {
  return `discord:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

// Missing Access / Missing Permissions (403) and Unknown Channel (404): the bot was removed, lost its
// permissions or the channel is gone. Retrying cannot help and repeated 403s count toward a ban.
const PERMANENT_STATUSES = new Set([403, 404]);

/**
 * A nonce that repeats when the same digest part goes to the same channel again, so that with
 * `enforce_nonce` a retried post within Discord's dedup window returns the earlier message instead of a copy.
 */
export function messageNonce(channelId: string, digest: Digest, part: number): string {
  const ids = digest.items.map((i) => i.articleId).join(',');
  return createHash('sha256').update(`${channelId}|${digest.topicKey}|${ids}|${part}`).digest('base64url').slice(0, 25);
}

/**
 * Under a scheduled digest: More (the next page of the topic's /news ranking, as many stories as this digest
 * had, while the topic has more articles than shown) and Unsubscribe.
 */
function scheduledButtons(digest: Digest) {
  const count = Math.min(Math.max(digest.items.length, 1), MAX_COUNT);
  return digestButtons({ ...digest, page: 0 }, { count, more: digest.matched > digest.items.length, unsubscribe: true });
}

/** The body of POST /channels/{forum}/threads: a post titled with the topic and date, tagged when a tag matches. */
function forumPost(digest: Digest, timezone: string, body: DiscordMessage, tag: string | undefined) {
  return {
    name: forumPostName(digest, timezone),
    message: body,
    ...(tag !== undefined ? { applied_tags: [tag] } : {}),
  };
}

function describe(error: unknown): { status?: number; reason: string } {
  if (error instanceof DiscordAPIError) {
    return { status: error.status, reason: `Discord ${error.status} (code ${error.code}) ${error.message}` };
  }
  const status = (error as { status?: unknown } | null)?.status;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: typeof status === 'number' ? status : undefined, reason: text };
}

/** Discord's answer to a message posted where only threads may be (a forum): 400, code 50008. */
function isNotTextChannel(error: unknown): boolean {
  return error instanceof DiscordAPIError && error.code === 50008;
}

function isForum(info: ChannelInfo | undefined): boolean {
  return info?.type === ChannelType.GuildForum || info?.type === ChannelType.GuildMedia;
}

function isThread(info: ChannelInfo | undefined): boolean {
  return info?.type === ChannelType.PublicThread || info?.type === ChannelType.PrivateThread || info?.type === ChannelType.AnnouncementThread;
}

/** A channel object from GET /channels/{id}, reduced to what delivery needs. */
function channelInfoFromApi(body: unknown): ChannelInfo | undefined {
  const raw = body as { type?: unknown; available_tags?: unknown; flags?: unknown } | null;
  if (typeof raw?.type !== 'number') return undefined;
  const tags = Array.isArray(raw.available_tags)
    ? raw.available_tags
        .filter((t): t is { id: string; name: string; moderated?: boolean } => typeof t?.id === 'string' && typeof t?.name === 'string')
        .map((t) => ({ id: t.id, name: t.name, moderated: t.moderated === true }))
    : undefined;
  const flags = typeof raw.flags === 'number' ? raw.flags : 0;
  return { type: raw.type, tags, requireTag: (flags & ChannelFlags.RequireTag) !== 0 };
}

/**
 * A forum post's title: the topic and the date in the subscription's zone, "AI — 2026-11-25". The date
 * (not the time) keeps several digests a day apart only by their position, which forums show anyway.
 */
export function forumPostName(digest: Digest, timezone: string): string {
  let date: string;
  try {
    date = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(digest.generatedAt));
  } catch {
    date = digest.generatedAt.slice(0, 10);
  }
  const suffix = ` — ${date}`;
  return `${cutAtWord(digest.topic, THREAD_NAME_LIMIT - suffix.length)}${suffix}`;
}

/** The forum tag named like the topic (case-insensitive), if the forum has one the bot may apply. */
export function topicTag(info: ChannelInfo, topic: string): string | undefined {
  const wanted = topic.trim().toLocaleLowerCase('en');
  // Moderated tags need Manage Threads, which the bot does not ask for: applying one would fail the post.
  return info.tags?.find((t) => !t.moderated && t.name.trim().toLocaleLowerCase('en') === wanted)?.id;
}

/** Why a 403 happened, in the permissions a server admin can grant. */
function permissionHint(info: ChannelInfo | undefined): string {
  if (isForum(info)) return 'opening a forum post needs View Channel, Send Messages (Create Posts) and Embed Links in the forum';
  if (isThread(info)) return 'posting in a thread needs View Channel, Send Messages in Threads and Embed Links';
  return 'posting needs View Channel, Send Messages and Embed Links';
}

/** Posts digests to Discord channels (or DM channels) through the client's REST queue, paced overall. */
export function createDiscordDeliverer(options: DiscordDelivererOptions): Deliverer {
  const pacer = new Pacer(options.postsPerSecond ?? DEFAULT_POSTS_PER_SECOND, undefined, undefined, options.sharedBudget);
  const { rest, logger } = options;
  // Channel types learnt by REST for channels the client had not cached; a type does not change into a forum.
  const looked = new Map<string, ChannelInfo>();

  /** What is known of a channel without a request: the client's cache (the gateway), else an earlier lookup. */
  function knownInfo(channelId: string): ChannelInfo | undefined {
    return options.channels?.(channelId) ?? looked.get(channelId);
  }

  async function lookUp(channelId: string): Promise<ChannelInfo | undefined> {
    try {
      const info = channelInfoFromApi(await rest.get(Routes.channel(channelId)));
      if (info) looked.set(channelId, info);
      return info;
    } catch {
      // Unknown here: post as to a text channel, whose answer says what is wrong.
      return undefined;
    }
  }

  return {
    platform: 'discord',
    // Each part carries a nonce derived from the digest and the part: a resend within Discord's dedup
    // window returns the earlier message, so after a crash a part that may have arrived is sent again.
    resendIsHarmless: true,
    // Dates are Discord timestamps, which every reader sees in their own zone: the context's zone only dates
    // a forum post's title.
    async deliver(target: Target, digest: Digest, context: DeliveryContext, hooks?: DeliverHooks): Promise<DeliveryOutcome> {
      if (target.platform !== 'discord') {
        return { ok: false, permanent: false, reason: `not a Discord target: ${target.platform}` };
      }
      const channelId = target.chatId;
      if (!/^\d{1,25}$/.test(channelId)) {
        return { ok: false, permanent: true, reason: `not a Discord channel id: ${channelId.slice(0, 40)}` };
      }
      // Most channels are text channels: an uncached one is not looked up first (a request per delivery would
      // halve a fan-out's rate under the global limit); a post Discord refuses as "not a text channel" is.
      let info = knownInfo(channelId);
      // A forum learnt by REST is looked up again for its current tags; the client's cache is current already.
      if (isForum(info) && !options.channels?.(channelId)) info = (await lookUp(channelId)) ?? info;
      let forum = isForum(info);
      let tag = forum ? topicTag(info!, digest.topic) : undefined;
      const tagless = () => {
        const reason = `the forum ${channelId} requires a tag on every post and has none named "${cutAtWord(digest.topic, 60)}": add one, or subscribe elsewhere`;
        logger.warn({ channelId, topic: digest.topicKey, permanent: true }, `discord delivery failed: ${reason}`);
        return { ok: false as const, permanent: true, reason };
      };
      if (forum && info!.requireTag && tag === undefined) return tagless();
      const messages = withComponents(renderDigest(digest, { scheduled: true }), scheduledButtons(digest));
      let sent = 0;
      const from = Math.max(0, hooks?.fromPart ?? 0);
      // In a forum the first part sent opens the post and the rest follow inside it. After a crash mid-digest
      // the remaining parts open a post of their own: the earlier post's id was not kept.
      let postId: string | undefined;
      for (let part = from; part < messages.length; part++) {
        const body = messages[part]!;
        // Marked as on the wire before the pacing wait, not after: the write to the delivery log (a database
        // round trip) then never stands between the paced instant and the request, where its varying latency
        // bunched instances' sends into global 429s. Harmless here: a part marked but not sent is resent after
        // a crash with the same nonce, which Discord answers with the original message if it did arrive.
        await hooks?.onSending?.(part, messages.length);
        await pacer.wait();
        const opensPost = forum && postId === undefined;
        const route = opensPost ? Routes.threads(channelId) : Routes.channelMessages(postId ?? channelId);
        try {
          if (opensPost) {
            const created = (await rest.post(route, { body: forumPost(digest, context.timezone, body, tag) })) as { id?: unknown };
            if (typeof created?.id !== 'string') throw new Error(`no thread id in the answer to POST ${route}`);
            postId = created.id;
          } else {
            await rest.post(route, { body: { ...body, nonce: messageNonce(postId ?? channelId, digest, part), enforce_nonce: true } });
          }
          sent++;
          await hooks?.onPartSent?.(part, messages.slice(0, part + 1).reduce((n, m) => n + m.embeds.length, 0));
        } catch (error) {
          if (!forum && postId === undefined && sent === 0 && isNotTextChannel(error)) {
            const found = await lookUp(channelId);
            if (isForum(found)) {
              // A forum after all: this part opens a post instead (the refused message never showed).
              await hooks?.onNotSent?.();
              info = found;
              forum = true;
              tag = topicTag(found!, digest.topic);
              if (found!.requireTag && tag === undefined) return tagless();
              part--;
              continue;
            }
          }
          const { status, reason } = describe(error);
          const permanent = status !== undefined && PERMANENT_STATUSES.has(status);
          const hint = status === 403 ? `; ${permissionHint(info)}` : '';
          const where = `POST ${route}, part ${part + 1} of ${messages.length}`;
          await hooks?.onNotSent?.();
          logger.warn({ channelId, topic: digest.topicKey, status, permanent, sent }, `discord delivery failed: ${reason} (${where})${hint}`);
          return { ok: false, permanent, reason: `${reason} (${where})${hint}` };
        }
      }
      return { ok: true, messages: sent };
    },
  };
}
