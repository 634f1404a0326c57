export { createTelegramBot, DEFAULT_API_ROOT, telegramBotId, telegramBudgetKey, type TelegramBot, type TelegramBotOptions } from './bot.js';
export { TelegramDeliverer } from './deliverer.js';
export {
  renderDigest,
  renderTopics,
  renderSubscriptions,
  renderError,
  renderHelp,
  escapeHtml,
  MESSAGE_LIMIT,
  COMMANDS,
  type RenderOptions,
} from './render.js';
export { DEFAULT_PACING, Pacer, PacerClosedError, type PacingOptions } from './pacing.js';
export { DEFAULT_RETRY, retryTransient, type RetryOptions } from './retry.js';
export { encodeAction, decodeAction, CALLBACK_DATA_LIMIT, type ButtonAction } from './callback-data.js';
export { MAX_WEBHOOK_BODY, type WebhookOptions } from './webhook.js';
export { DEFAULT_POLLING, DEFAULT_REACH, PollingFailedError, type PollingOptions, type ReachOptions } from './polling.js';
export { TOO_MANY } from './chat-queue.js';
