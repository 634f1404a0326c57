import { z } from 'zod';
import { baseUrl, optionalSecret } from '../config-fields.js';
import { MAX_SHARD_COUNT, parseShardList, type ShardPlan } from './shards.js';

/** The Discord adapter's settings, merged into the entry point's schema. */
export const discordSettings = {
  DISCORD_TOKEN: optionalSecret,
  DISCORD_API_BASE: baseUrl('https://discord.com/api'),
  DISCORD_GUILD_ID: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^\d{5,25}$/.test(v), { message: 'must be a numeric server (guild) id' }),
  // Shards across every instance; unset: one shard, run here.
  DISCORD_SHARD_COUNT: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? Number(v) : undefined))
    .refine((v) => v === undefined || (Number.isInteger(v) && v >= 1 && v <= MAX_SHARD_COUNT), {
      message: `must be a whole number from 1 to ${MAX_SHARD_COUNT}: the shards across every instance of the bot`,
    }),
  // This instance's shards, e.g. "0,1" or "0-3"; unset: all of DISCORD_SHARD_COUNT.
  DISCORD_SHARDS: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (!v) return undefined;
      const parsed = parseShardList(v);
      if (parsed.ok) return parsed.ids;
      ctx.addIssue({ code: 'custom', message: `must list shard ids such as 0,1 or 0-3: it ${parsed.reason}` });
      return z.NEVER;
    }),
};

/** Cross-field checks of the shard settings, reported under the variable to fix. */
export function checkDiscordSettings(config: { DISCORD_SHARD_COUNT?: number; DISCORD_SHARDS?: number[] }, ctx: z.RefinementCtx): void {
  const ids = config.DISCORD_SHARDS;
  if (!Array.isArray(ids)) return;
  const count = config.DISCORD_SHARD_COUNT;
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['DISCORD_SHARDS'], message });
  if (count === undefined) {
    issue('needs DISCORD_SHARD_COUNT, the number of shards across every instance, to be set too');
    return;
  }
  if (!Number.isInteger(count)) return;
  const beyond = ids.filter((id) => id >= count);
  if (beyond.length > 0) {
    issue(`names shard ${beyond[0]}, but with DISCORD_SHARD_COUNT=${count} the shard ids run from 0 to ${count - 1}`);
  }
}

/** The shards this instance runs, from the settings; undefined: discord.js's default, one shard of one. */
export function shardPlan(config: { DISCORD_SHARD_COUNT?: number; DISCORD_SHARDS?: number[] }): ShardPlan | undefined {
  const count = config.DISCORD_SHARD_COUNT;
  if (count === undefined) return undefined;
  return { count, ids: config.DISCORD_SHARDS ?? Array.from({ length: count }, (_, i) => i) };
}
