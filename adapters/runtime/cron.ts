import cron from 'node-cron';
import type { Logger, Ticker } from '../../src/index.js';

/**
 * A Ticker for the scheduler on node-cron: `expression` in node-cron syntax (every minute by default,
 * evaluated in the process's zone; only "how often" matters), never overlapping itself.
 */
export function cronTicker(logger: Logger, expression = '* * * * *', name = 'newsbrief-digests'): Ticker {
  if (!cron.validate(expression)) throw new Error(`"${expression}" is not a cron expression`);
  return (tick) => {
    const task = cron.schedule(expression, tick, { name, noOverlap: true, logger: cronLogger(logger) });
    return { stop: () => task.destroy() };
  };
}

/** node-cron's own messages (missed runs, overlap) go to the app's log. */
function cronLogger(logger: Logger) {
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message: string) => logger.info(`node-cron: ${message}`),
    warn: (message: string) => logger.warn(`node-cron: ${message}`),
    error: (message: string | Error, err?: Error) => logger.error({ err: err ?? message }, `node-cron: ${text(message)}`),
    debug: (message: string | Error) => logger.debug(`node-cron: ${text(message)}`),
  };
}
