import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GeneratedSeed, SeedImage, SeedProvider, SeedRelated } from './corpus.js';

// JSON strings are valid YAML double-quoted scalars, so JSON.stringify quotes safely.
const q = (s: string) => JSON.stringify(s);

/**
 * The text of a seed file in the layout the real feed uses (blank-line separated blocks, quoted strings,
 * unquoted timestamps, an opaque `secured` token at the end).
 */
export function seedFileText(seed: GeneratedSeed): string {
  const d = seed.doc;
  const lines = ['---', `category: ${d.category}`, `title: ${q(d.title)}`];
  if (d.excerpt !== undefined) lines.push(`excerpt: ${q(d.excerpt)}`);
  lines.push(`publishedDateTime: ${d.publishedDateTime}`);
  if (d.updatedDateTime !== undefined) lines.push(`updatedDateTime: ${d.updatedDateTime}`);
  lines.push(`originalUrl: ${q(d.originalUrl)}`, `webUrl: ${q(d.webUrl)}`);
  if (d.ampWebUrl !== undefined) lines.push(`ampWebUrl: ${q(d.ampWebUrl)}`);
  if (d.cdnAmpWebUrl !== undefined) lines.push(`cdnAmpWebUrl: ${q(d.cdnAmpWebUrl)}`);
  lines.push(`type: ${d.type}`, `quality: ${d.quality}`, `heat: ${d.heat}`, `published: ${d.published}`);
  if (d.removed) lines.push('removed: true');
  lines.push('', 'provider:', ...provider(d.provider, '  '), '');
  lines.push('topics:', ...d.topics.map((t) => `  - ${q(t)}`), '');
  lines.push(...images(d.images, ''), '');
  if (d.related.length === 0) lines.push('related: []');
  else lines.push('related:', ...d.related.flatMap(related));
  lines.push('', `secured: ${q(securedToken(d.webUrl))}`, '---', '');
  return lines.join('\n');
}

/** Writes the seeds as files under `dir`; returns the bytes written. */
export function writeSeedFiles(dir: string, seeds: Iterable<GeneratedSeed>): number {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (const seed of seeds) {
    const text = seedFileText(seed);
    writeFileSync(path.join(dir, seed.source), text);
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}

function provider(p: SeedProvider, indent: string): string[] {
  return [`${indent}name: ${q(p.name)}`, `${indent}domain: ${p.domain}`];
}

function images(list: readonly SeedImage[], indent: string): string[] {
  if (list.length === 0) return [`${indent}images: []`];
  return [
    `${indent}images:`,
    ...list.flatMap((i) => [
      `${indent}  - url: ${q(i.url)}`,
      `${indent}    width: ${i.width}`,
      `${indent}    height: ${i.height}`,
      `${indent}    isCached: ${i.isCached}`,
    ]),
  ];
}

function related(r: SeedRelated): string[] {
  const out = [`  - title: ${q(r.title)}`];
  if (r.excerpt !== undefined) out.push(`    excerpt: ${q(r.excerpt)}`);
  out.push(`    publishedDateTime: ${r.publishedDateTime}`, `    webUrl: ${q(r.webUrl)}`);
  if (r.ampWebUrl !== undefined) out.push(`    ampWebUrl: ${q(r.ampWebUrl)}`);
  out.push(`    type: ${r.type}`, '    provider:', ...provider(r.provider, '      '), `    quality: ${r.quality}`);
  out.push(...images(r.images, '    '));
  return out;
}

/** A stand-in for the feed's opaque signature: base64 of the same length, derived from the URL. */
function securedToken(url: string): string {
  let token = '';
  for (let i = 0; token.length < 340; i++) token += createHash('sha256').update(`${url}#${i}`).digest('base64').slice(0, 43);
  return `${token.slice(0, 340)}=;${createHash('md5').update(url).digest('base64')}`;
}
