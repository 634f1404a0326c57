import { createHash } from 'node:crypto';
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import { type Logger, type RateBudget, type Target } from '../../src/index.js';
import type { DeliverHooks, Deliverer, DeliveryContext, DeliveryOutcome, Digest } from '../../src/index.js';
import { Pacer } from './pacer.js';
import { renderDigest } from './render.js';

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

function describe(error: unknown): { status?: number; reason: string } {
  if (error instanceof DiscordAPIError) {
    return { status: error.status, reason: `Discord ${error.status} (code ${error.code}) ${error.message}` };
  }
  const status = (error as { status?: unknown } | null)?.status;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: typeof status === 'number' ? status : undefined, reason: text };
}

/** Posts digests to Discord channels (or DM channels) through the client's REST queue, paced overall. */
export function createDiscordDeliverer(options: DiscordDelivererOptions): Deliverer {
  const pacer = new Pacer(options.postsPerSecond ?? DEFAULT_POSTS_PER_SECOND, undefined, undefined, options.sharedBudget);
  const { rest, logger } = options;

  return {
    platform: 'discord',
    // Each part carries a nonce derived from the digest and the part: a resend within Discord's dedup
    // window returns the earlier message, so after a crash a part that may have arrived is sent again.
    resendIsHarmless: true,
    // Dates are Discord timestamps, which every reader sees in their own zone: the context's zone is not needed.
    async deliver(target: Target, digest: Digest, _context: DeliveryContext, hooks?: DeliverHooks): Promise<DeliveryOutcome> {
      if (target.platform !== 'discord') {
        return { ok: false, permanent: false, reason: `not a Discord target: ${target.platform}` };
      }
      const channelId = target.chatId;
      if (!/^\d{1,25}$/.test(channelId)) {
        return { ok: false, permanent: true, reason: `not a Discord channel id: ${channelId.slice(0, 40)}` };
      }
      const messages = renderDigest(digest, { scheduled: true });
      let sent = 0;
      const from = Math.max(0, hooks?.fromPart ?? 0);
      for (let part = from; part < messages.length; part++) {
        const body = messages[part]!;
        await pacer.wait();
        // discord.js waits out a 429 inside rest.post, after this: a crash then leaves the part marked as
        // on the wire, and recovery resends it with the same nonce, which Discord answers with the original.
        await hooks?.onSending?.(part, messages.length);
        try {
          await rest.post(Routes.channelMessages(channelId), {
            body: { ...body, nonce: messageNonce(channelId, digest, part), enforce_nonce: true },
          });
          sent++;
          await hooks?.onPartSent?.(part, messages.slice(0, part + 1).reduce((n, m) => n + m.embeds.length, 0));
        } catch (error) {
          const { status, reason } = describe(error);
          const permanent = status !== undefined && PERMANENT_STATUSES.has(status);
          const where = `POST /channels/${channelId}/messages, part ${part + 1} of ${messages.length}`;
          await hooks?.onNotSent?.();
          logger.warn({ channelId, topic: digest.topicKey, status, permanent, sent }, `discord delivery failed: ${reason} (${where})`);
          return { ok: false, permanent, reason: `${reason} (${where})` };
        }
      }
      return { ok: true, messages: sent };
    },
  };
}
