/**
 * Which gateway shards this instance runs. A bot in many servers splits them into `count` shards (a server
 * belongs to shard (guild_id >> 22) % count); several instances each run some of them, together all.
 */
export interface ShardPlan {
  /** Shard ids this instance runs, ascending, each below `count`. */
  ids: readonly number[];
  /** Shards across every instance of the bot. */
  count: number;
}

/** The most shards a plan may name: far beyond any bot's needs, and it keeps a range from eating memory. */
export const MAX_SHARD_COUNT = 65_536;

export type ShardListResult = { ok: true; ids: number[] } | { ok: false; reason: string };

/**
 * Reads a shard list such as "0,1", "0-3" or "0-3,8": whole numbers and inclusive ranges, comma-separated,
 * each id once. Ascending ids; the reason says what is wrong otherwise.
 */
export function parseShardList(text: string): ShardListResult {
  const ids = new Set<number>();
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    const m = /^(\d{1,6})(?:\s*-\s*(\d{1,6}))?$/.exec(item);
    if (!m) {
      return { ok: false, reason: item === '' ? 'has an empty item' : `"${item.slice(0, 20)}" is not a shard id or a range such as 0-3` };
    }
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return { ok: false, reason: `range ${from}-${to} runs backwards` };
    if (to >= MAX_SHARD_COUNT) return { ok: false, reason: `shard ${to} is beyond the ${MAX_SHARD_COUNT} shards allowed` };
    for (let id = from; id <= to; id++) {
      if (ids.has(id)) return { ok: false, reason: `names shard ${id} twice` };
      ids.add(id);
    }
  }
  return { ok: true, ids: [...ids].sort((a, b) => a - b) };
}

/** Why a plan cannot run, or undefined when it can. */
export function checkShardPlan(plan: ShardPlan): string | undefined {
  if (!Number.isInteger(plan.count) || plan.count < 1 || plan.count > MAX_SHARD_COUNT) {
    return `the shard count must be a whole number from 1 to ${MAX_SHARD_COUNT} (got ${plan.count})`;
  }
  if (plan.ids.length === 0) return 'no shard ids given';
  const seen = new Set<number>();
  for (const id of plan.ids) {
    if (!Number.isInteger(id) || id < 0) return `shard id ${id} is not a whole number`;
    if (id >= plan.count) return `shard ${id} does not exist: ids run from 0 to ${plan.count - 1} with ${plan.count} shards`;
    if (seen.has(id)) return `shard ${id} is named twice`;
    seen.add(id);
  }
  return undefined;
}
