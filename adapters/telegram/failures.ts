import { GrammyError, HttpError } from 'grammy';

/** What a failed Bot API call means for the chat it was addressed to. */
export type TelegramFailure =
  /** 403: blocked by the user, kicked from the group, or never allowed to write first. */
  | { kind: 'blocked'; reason: string }
  /** The group became a supergroup; the chat lives on under a new id. */
  | { kind: 'migrated'; reason: string; toChatId: string }
  /** The chat no longer exists. */
  | { kind: 'gone'; reason: string }
  /**
   * Still failing after the retries: 429 beyond auto-retry's limit, 5xx, network, timeout. A 429 carries
   * the wait Telegram asked for, which must be honoured before trying again.
   */
  | { kind: 'transient'; reason: string; retryAfterSeconds?: number }
  /** A request Telegram refused as malformed; retrying the same request cannot help. */
  | { kind: 'rejected'; reason: string }
  /** Not an API failure at all. */
  | { kind: 'internal'; reason: string };

/** Classifies an error thrown by a grammY API call. */
export function classifyFailure(error: unknown): TelegramFailure {
  if (error instanceof GrammyError) {
    const reason = `${error.error_code} ${error.description} (${error.method})`;
    const migrate = error.parameters?.migrate_to_chat_id;
    if (migrate !== undefined) return { kind: 'migrated', reason, toChatId: String(migrate) };
    if (error.error_code === 403) return { kind: 'blocked', reason };
    if (error.error_code === 400 && /chat not found|group chat was deleted/i.test(error.description)) {
      return { kind: 'gone', reason };
    }
    const retryAfter = error.parameters?.retry_after;
    if (error.error_code === 429 && typeof retryAfter === 'number') return { kind: 'transient', reason, retryAfterSeconds: retryAfter };
    if (error.error_code === 429 || error.error_code >= 500) return { kind: 'transient', reason };
    return { kind: 'rejected', reason };
  }
  if (error instanceof HttpError) return { kind: 'transient', reason: error.message };
  return { kind: 'internal', reason: error instanceof Error ? error.message : String(error) };
}

/** Telegram answers an edit that changes nothing with a 400; for a button pressed twice that is fine. */
export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /message is not modified/i.test(error.description);
}

/** The message a button sat under can no longer be edited (too old, or deleted). */
export function isUneditable(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /message to edit not found|message can't be edited/i.test(error.description)
  );
}
