// Seed front matter (validated) → Article: the seed format's field names, defaults and clean-ups.
import { plainText, safeHttpUrl, type Image } from '../../../src/index.js';
import type { SeedFrontMatter } from './schema.js';
import type { Article, FieldWarning, Provider, RelatedArticle } from '../../../src/index.js';
import { articleIdFor } from '../article-id.js';

/** Unknown fields (kept in `extra`, never shown) larger than this, as JSON, are dropped with a warning. */
export const MAX_EXTRA_FIELD_CHARS = 16 * 1024;
/** Once the unknown fields kept reach this much JSON, later ones are dropped with a warning. */
export const MAX_EXTRA_CHARS = 64 * 1024;
const MAX_FIELD_WARNINGS = 5;

/** Top-level fields turned into Article fields (or deliberately dropped); everything else goes to `extra`. */
const CONSUMED_FIELDS = new Set([
  'title',
  'excerpt',
  'publishedDateTime',
  'updatedDateTime',
  'webUrl',
  'type',
  'quality',
  'heat',
  'published',
  'removed',
  'provider',
  'topics',
  'images',
  'related',
  // Never kept: an opaque token and raw HTML (an embed), neither of which may be shown.
  'secured',
  'featuredContent',
]);
const EXTRA_URL_FIELDS = new Set(['originalUrl', 'ampWebUrl', 'cdnAmpWebUrl']);

/**
 * The article a seed file's front matter describes; undefined when it has no usable http(s) URL. Its id is
 * the URL's hash, so copies of one story in several files share it. Fields left out go to `warnings`.
 */
export function buildArticle(fm: SeedFrontMatter, source: string, contentHash: string, warnings: FieldWarning[]): Article | undefined {
  const url = safeHttpUrl(fm.webUrl) ?? safeHttpUrl(fm.originalUrl) ?? safeHttpUrl(fm.ampWebUrl);
  if (!url) return undefined;
  return {
    id: articleIdFor(url),
    url,
    title: fm.title,
    excerpt: fm.excerpt ?? '',
    publishedAt: fm.publishedDateTime,
    updatedAt: fm.updatedDateTime ?? null,
    type: fm.type?.trim().toLowerCase() || 'article',
    quality: fm.quality ?? 0,
    heat: fm.heat ?? 0,
    published: fm.published ?? true,
    removed: fm.removed ?? false,
    provider: buildProvider(fm.provider, url),
    topics: cleanTopics(fm.topics ?? []),
    images: cleanImages(fm.images ?? []),
    related: (fm.related ?? []).flatMap((r) => buildRelated(r)),
    extra: buildExtra(fm, warnings),
    source,
    contentHash,
  };
}

function buildProvider(provider: SeedFrontMatter['provider'], url: string): Provider {
  // The URL is parsed again only when the domain is missing: it is most of the cost here.
  const domain = plainText(provider?.domain ?? '') || new URL(url).hostname;
  return { name: provider?.name || domain, domain };
}

function cleanTopics(topics: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const topic of topics) {
    const name = plainText(topic);
    // An over-long "topic" is noise, and a truncated one would become a new, wrong topic.
    if (name.length === 0 || name.length > 100) continue;
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

function cleanImages(images: readonly { url: string; width?: number; height?: number }[]): Image[] {
  return images.flatMap((image) => {
    const url = safeHttpUrl(image.url);
    if (!url) return [];
    const out: Image = { url };
    if (isSize(image.width)) out.width = image.width;
    if (isSize(image.height)) out.height = image.height;
    return [out];
  });
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

function buildRelated(r: NonNullable<SeedFrontMatter['related']>[number]): RelatedArticle[] {
  const url = safeHttpUrl(r.webUrl) ?? safeHttpUrl(r.originalUrl) ?? safeHttpUrl(r.ampWebUrl);
  // Bad related coverage is dropped, not held against the article that lists it.
  if (!url || r.title.length === 0) return [];
  return [
    {
      title: r.title,
      excerpt: r.excerpt ?? '',
      url,
      publishedAt: r.publishedDateTime ?? null,
      provider: buildProvider(r.provider, url),
      quality: r.quality ?? 0,
    },
  ];
}

/**
 * Unknown fields, kept as they came but within a size cap: the bot never uses them, so an oversized one
 * is dropped (with a warning naming it) rather than costing the article.
 */
function buildExtra(fm: SeedFrontMatter, warnings: FieldWarning[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  let kept = 0;
  // One warning per field dropped, up to a few; a file of thousands of fields gets one more that counts them.
  const dropped: FieldWarning[] = [];
  const keep = (key: string, value: unknown) => {
    const size = JSON.stringify(value)?.length ?? 0;
    if (size > MAX_EXTRA_FIELD_CHARS) {
      dropped.push({ field: key, reason: `unknown field dropped: ${size} characters as JSON, over the ${MAX_EXTRA_FIELD_CHARS} kept` });
    } else if (kept + size > MAX_EXTRA_CHARS) {
      dropped.push({ field: key, reason: `unknown field dropped: the unknown fields before it already hold ${kept} of the ${MAX_EXTRA_CHARS} characters kept` });
    } else {
      kept += size;
      extra[key] = value;
    }
  };
  for (const [key, value] of Object.entries(fm)) {
    if (CONSUMED_FIELDS.has(key) || value === undefined) continue;
    if (EXTRA_URL_FIELDS.has(key)) {
      const url = safeHttpUrl(value);
      if (url) extra[key] = url;
      continue;
    }
    keep(key, toJson(value));
  }
  // Provider fields beyond name and domain (e.g. logos) are kept too, with only http(s) image URLs.
  const { name: _name, domain: _domain, ...providerRest } = fm.provider ?? {};
  if (Object.keys(providerRest).length > 0) {
    const rest = toJson(providerRest) as Record<string, unknown>;
    if (Array.isArray(rest.images)) {
      rest.images = rest.images.filter((i) => isRecord(i) && safeHttpUrl(i.url) !== undefined);
    }
    keep('provider', rest);
  }
  warnings.push(...dropped.slice(0, MAX_FIELD_WARNINGS));
  if (dropped.length > MAX_FIELD_WARNINGS) {
    const more = dropped.slice(MAX_FIELD_WARNINGS);
    warnings.push({ field: more[0]!.field, reason: `and ${more.length} more unknown fields dropped, from this one on` });
  }
  return extra;
}

/** JSON-safe copy of a value for `extra`: dates become ISO strings, non-finite numbers null. */
function toJson(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
