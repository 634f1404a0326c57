// The Discord adapter's public surface: what the entry point and tests import.
export { createDiscordBot, type DiscordBot, type DiscordBotOptions } from './bot.js';
export { createDiscordDeliverer, DEFAULT_POSTS_PER_SECOND, discordBudgetKey, type DiscordDelivererOptions } from './deliverer.js';
export { checkShardPlan, parseShardList, type ShardPlan } from './shards.js';
export { commandDefinitions, CommandName } from './commands.js';
export { renderDigest, LIMITS, type DiscordMessage } from './render.js';
