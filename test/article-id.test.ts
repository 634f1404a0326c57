import { describe, expect, it } from 'vitest';
import { articleIdFor } from '../adapters/sources/article-id.js';
import { parseSeedFile } from '../adapters/sources/seed-folder/index.js';
import { seedFields, seedText } from './helpers/seed-files.js';

describe('articleIdFor', () => {
  it('keeps the id stored databases hold: 16 hex digits of the SHA-256 of the URL as given', () => {
    // Pinned: computed once with `sha256sum`, so a change of the rule fails here, not in someone's database.
    expect(articleIdFor('https://seeds.example.com/2026/03/comet-brightens')).toBe('f1fb228382b2d8e3');
    // The URL is hashed exactly: tracking parameters and all.
    expect(articleIdFor('https://www.example.org/a?b=1&utm_source=x')).toBe('beb6f231a31a2c18');
  });

  it('is the id a seed file gets for its URL', () => {
    const url = 'https://seeds.example.com/2026/03/comet-brightens';
    const parsed = parseSeedFile('a.md', Buffer.from(seedText(seedFields({ webUrl: url }))));
    expect(parsed.ok && parsed.article.id).toBe('f1fb228382b2d8e3');
  });
});
