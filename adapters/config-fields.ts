// Zod field builders shared by the settings of the entry points and of each platform adapter: every
// setting arrives as a string from the environment, blank means "use the default".
import { z } from 'zod';
import { trimTrailingSlashes } from '../src/index.js';

/** An optional secret: blank counts as unset. */
export const optionalSecret = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** An http(s) base URL without trailing slashes; blank means the default. */
export const baseUrl = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((v) => (v === '' ? fallback : trimTrailingSlashes(v)))
    .refine((v) => /^https?:\/\/[^\s/]+/.test(v), { message: 'must be an http(s) URL' });

export const positive = (fallback: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((v) => (v === '' ? fallback : Number(v)))
    .refine((v) => Number.isFinite(v) && v > 0, { message: 'must be a positive number' });

export const wholeNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((v) => (v === '' ? fallback : Number(v)))
    .refine((v) => Number.isInteger(v) && v >= min && v <= max, { message: `must be a whole number from ${min} to ${max}` });

export const port = (fallback: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((v) => (v === '' ? fallback : Number(v)))
    .refine((v) => Number.isInteger(v) && v >= 1 && v <= 65535, { message: 'must be a port number from 1 to 65535' });

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
