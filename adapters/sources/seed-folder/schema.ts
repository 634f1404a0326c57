// The seed-file front matter as zod validates it: field types, size caps and text hygiene (tags, stray
// Markdown escapes and control characters removed). What an Article is lives in the core (src/model.ts).
import { z } from 'zod';
import { normalizeEllipsis, plainText, unescapeMarkdown } from '../../../src/index.js';

const MAX_TEXT = 20_000;

const text = (max = MAX_TEXT) =>
  z
    .string()
    .max(max, { message: `longer than ${max} characters` })
    .transform(plainText);

/** A headline or an excerpt: plain text without the source's stray Markdown escapes. */
const prose = (max = MAX_TEXT) => text(max).transform(unescapeMarkdown);
/** An excerpt also ends in one "…" when the source cut it off. */
const excerpt = () => prose().transform(normalizeEllipsis);

/**
 * Whether a date-time written as numbers ("2022-13-45", "2022-02-30T25:00") has a part out of range:
 * JavaScript (and YAML) would silently roll it over into another date.
 */
export function impossibleDateParts(text: string): boolean {
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return true;
  return m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59);
}

/** YAML turns unquoted ISO dates into Date objects; quoted ones stay strings. Both are accepted. */
const dateTime = z
  .union([z.date(), z.string()], {
    error: (issue) => (issue.input === undefined ? 'missing (expected a date-time)' : 'expected a date-time such as 2026-03-01T09:30:00Z'),
  })
  .transform((value, ctx) => {
    const date = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(date.getTime()) || (typeof value === 'string' && impossibleDateParts(value))) {
      ctx.addIssue({ code: 'custom', message: `not a valid date-time: ${String(value).slice(0, 40)}` });
      return z.NEVER;
    }
    return date.toISOString();
  });

const score = z.coerce
  .number({ message: 'expected a number' })
  .refine(Number.isFinite, { message: 'expected a finite number' });

const ProviderSchema = z.looseObject({
  name: text(200).optional(),
  domain: z.string().max(253).optional(),
});

const ImageSchema = z.looseObject({
  url: z.string().max(4096),
  width: z.number().optional(),
  height: z.number().optional(),
});

const RelatedSchema = z.looseObject({
  title: prose(1000),
  excerpt: excerpt().optional(),
  publishedDateTime: dateTime.optional(),
  webUrl: z.string().optional(),
  originalUrl: z.string().optional(),
  ampWebUrl: z.string().optional(),
  type: z.string().max(50).optional(),
  provider: ProviderSchema.optional(),
  quality: score.optional(),
});

/**
 * The front matter of one seed file, as real files carry it. Unknown fields are kept (loose objects),
 * so nothing the source adds later is lost; only the fields the bot relies on are checked.
 */
export const SeedFrontMatterSchema = z.looseObject({
  category: z.string().max(100).optional(),
  // YAML reads `title: 1984` as a number; a headline that is a number is still a headline.
  title: z.preprocess(
    (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v),
    // plainText has removed zero-width characters: a title of only those is empty.
    prose(1000).refine((t) => t.length > 0, { message: 'is empty' }),
  ),
  excerpt: excerpt().optional(),
  publishedDateTime: dateTime,
  updatedDateTime: dateTime.optional(),
  originalUrl: z.string().optional(),
  webUrl: z.string().optional(),
  ampWebUrl: z.string().optional(),
  cdnAmpWebUrl: z.string().optional(),
  type: z.string().max(50).optional(),
  quality: score.optional(),
  heat: score.optional(),
  published: z.boolean().optional(),
  removed: z.boolean().optional(),
  featuredContent: z.string().optional(),
  provider: ProviderSchema.optional(),
  topics: z.array(z.string().max(200)).max(100).optional(),
  images: z.array(ImageSchema).max(200).optional(),
  related: z.array(RelatedSchema).max(500).optional(),
  secured: z.unknown().optional(),
});
export type SeedFrontMatter = z.output<typeof SeedFrontMatterSchema>;
