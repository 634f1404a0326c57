import { AsyncLocalStorage } from 'node:async_hooks';
import type { Api, Transformer } from 'grammy';
import { type Logger, type Target } from '../../src/index.js';
import type { DeliverHooks, Deliverer, DeliveryContext, DeliveryOutcome, Digest } from '../../src/index.js';
import { renderDigestParts } from './render.js';
import { previewFor, sendHtml } from './send.js';
import { digestKeyboard } from './keyboards.js';
import { classifyFailure } from './failures.js';
import { chatTarget } from './chats.js';

/** The hooks of the delivery a call belongs to, seen by the API transformers below the pacer. */
const deliveryHooks = new AsyncLocalStorage<DeliverHooks>();

/**
 * Tells the delivery its request is leaving now, and when Telegram answers it with an error (a 429, a
 * 400) that nothing of it is on the wire any more. Installed innermost (after pacing, inside auto-retry),
 * so "sending" is reported only once the pacer has let the message go and again after each 429 wait, and
 * a crash during such a wait leaves the part unsent, to be sent after a restart.
 */
export const announceSending: Transformer = async (prev, method, payload, signal) => {
  const hooks = deliveryHooks.getStore();
  await hooks?.onSending?.();
  const result = await prev(method, payload, signal);
  if (!result.ok) await hooks?.onNotSent?.();
  return result;
};

/**
 * Delivers scheduled digests through the bot's own API client, so they share its pacing and retries.
 * It only reports: the scheduler pauses a target on a permanent failure (403, chat gone) and moves it
 * on `migrateTo`, so the store changes in one place and its report counts them.
 */
export class TelegramDeliverer implements Deliverer {
  readonly platform = 'telegram' as const;

  constructor(
    private readonly api: Api,
    private readonly logger: Logger,
  ) {}

  async deliver(target: Target, digest: Digest, context: DeliveryContext, hooks: DeliverHooks = {}): Promise<DeliveryOutcome> {
    // Dates in the subscription's zone, as the scheduler says: the chat's default may differ.
    const { messages, itemsShown } = renderDigestParts(digest, { timezone: context.timezone });
    const preview = previewFor(digest);
    // The subscription's count is not handed over: the digest's own size is the page size More keeps. What it
    // showed is recorded as sent to the chat once delivered, so More asks for the first page of what is left.
    const keyboard = digestKeyboard(digest, { count: Math.max(1, digest.items.length), unseen: true, unsubscribe: true, nextPage: 0 });
    const from = Math.max(0, hooks.fromPart ?? 0);
    let sent = 0;
    let part = from;
    try {
      // One part at a time, each reported, so a failed part is retried from itself and not from part 1.
      for (; part < messages.length; part++) {
        const current = part;
        const partHooks: DeliverHooks = { ...hooks, onSending: async () => hooks.onSending?.(current, messages.length) };
        await deliveryHooks.run(partHooks, () =>
          sendHtml(this.api, target, [messages[current]!], {
            ...(current === 0 ? { preview } : {}),
            ...(current === messages.length - 1 && keyboard ? { keyboard } : {}),
          }),
        );
        sent++;
        await hooks.onPartSent?.(current, itemsShown[current]);
      }
      return { ok: true, messages: sent };
    } catch (error) {
      const failure = classifyFailure(error);
      const done = from + sent;
      const reason = done > 0 ? `${failure.reason}; ${done} of ${messages.length} messages were sent` : failure.reason;
      this.logger.warn({ target, kind: failure.kind, reason }, 'telegram: delivery failed');
      switch (failure.kind) {
        case 'blocked':
        case 'gone':
          return { ok: false, permanent: true, reason };
        case 'migrated':
          return { ok: false, permanent: false, reason, migrateTo: chatTarget(failure.toChatId) };
        case 'transient':
          // A retry_after longer than auto-retry waits in place: the scheduler waits it out between ticks.
          return failure.retryAfterSeconds !== undefined
            ? { ok: false, permanent: false, reason, retryAfterMs: failure.retryAfterSeconds * 1000 }
            : { ok: false, permanent: false, reason };
        case 'rejected':
          return { ok: false, permanent: false, reason };
        case 'internal':
          // A bug on our side (or the bot stopping) is not the chat's fault: report, don't pause.
          return { ok: false, permanent: false, reason };
      }
    }
  }
}
