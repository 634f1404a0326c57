import { z } from 'zod';
import { baseUrl, optionalSecret } from '../config-fields.js';

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
};
