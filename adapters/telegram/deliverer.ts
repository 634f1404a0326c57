import { AsyncLocalStorage } from 'node:async_hooks';
import type { Api, Transformer } from 'grammy';
import type { Target } from '../../src/model.js';
import type { Store } from '../../src/store.js';
import type { Logger } from '../../src/logger.js';
import type { DeliverHooks, Deliverer, DeliveryOutcome, Digest } from '../../src/types.js';
import { renderDigest } from './render.js';
import { previewFor, sendHtml } from './send.js';
import { classifyFailure } from './failures.js';
import { chatTarget } from './chats.js';

/** The hooks of the delivery a call belongs to, seen by the API transformers below the pacer. */
const deliveryHooks = new AsyncLocalStorage<DeliverHooks>();

/**
 * Tells the delivery its request is leaving now. Installed innermost (after pacing), so "sending" is
 * reported only once the pacer has let the message go, not while it waits for a slot.
 */
export const announceSending: Transformer = (prev, method, payload, signal) => {
  deliveryHooks.getStore()?.onSending?.();
  return prev(method, payload, signal);
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
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  async deliver(target: Target, digest: Digest, hooks: DeliverHooks = {}): Promise<DeliveryOutcome> {
    const timezone = this.store.getTimezone(target) ?? 'UTC';
    const messages = renderDigest(digest, { timezone });
    let sent = 0;
    try {
      sent = await deliveryHooks.run(hooks, () => sendHtml(this.api, target, messages, { preview: previewFor(digest, messages.length) }));
      return { ok: true, messages: sent };
    } catch (error) {
      const failure = classifyFailure(error);
      const reason = sent > 0 ? `${failure.reason}; ${sent} of ${messages.length} messages were sent` : failure.reason;
      this.logger.warn({ target, kind: failure.kind, reason }, 'telegram: delivery failed');
      switch (failure.kind) {
        case 'blocked':
        case 'gone':
          return { ok: false, permanent: true, reason };
        case 'migrated':
          return { ok: false, permanent: false, reason, migrateTo: chatTarget(failure.toChatId) };
        case 'transient':
        case 'rejected':
          return { ok: false, permanent: false, reason };
        case 'internal':
          // A bug on our side (or the bot stopping) is not the chat's fault: report, don't pause.
          return { ok: false, permanent: false, reason };
      }
    }
  }
}
