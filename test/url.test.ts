import { describe, expect, it } from 'vitest';
import { articleUrlKey, canonicalUrl, trimTrailingSlashes, URLS, usableUrl } from '../src/url.js';

describe('canonicalUrl', () => {
  it('ignores scheme, www, tracking parameters, fragments and trailing slashes', () => {
    expect(canonicalUrl('https://www.example.com/a/b/?utm_source=x&id=3#top')).toBe(canonicalUrl('http://example.com/a/b?id=3'));
    expect(canonicalUrl('https://example.com/a?source=rss&fbclid=1')).toBe(canonicalUrl('https://example.com/a'));
    expect(canonicalUrl('https://example.com/a/amp/')).toBe(canonicalUrl('https://example.com/a'));
  });
  it('keeps parameters that identify the page', () => {
    expect(canonicalUrl('https://example.com/watch?v=1')).not.toBe(canonicalUrl('https://example.com/watch?v=2'));
  });
  it('is linear: 2,000 slashes before a character, and 1 MiB of slashes, finish at once', () => {
    const started = performance.now();
    canonicalUrl(`https://e.com/${'/'.repeat(2000)}x`);
    canonicalUrl(`https://e.com/${'/'.repeat(2000)}`);
    canonicalUrl(`https://e.com/${'/'.repeat(1024 * 1024)}x`);
    canonicalUrl(`https://e.com/${'/'.repeat(1024 * 1024)}`);
    expect(performance.now() - started).toBeLessThan(200);
    expect(canonicalUrl(`https://e.com/a${'/'.repeat(1500)}`)).toBe('e.com/a');
  });
  it('trims trailing slashes (settings URLs too) in one pass, whatever the run of slashes', () => {
    expect(trimTrailingSlashes('http://127.0.0.1:8081/api///')).toBe('http://127.0.0.1:8081/api');
    expect(trimTrailingSlashes('https://e.com/a/b')).toBe('https://e.com/a/b');
    const started = performance.now();
    expect(trimTrailingSlashes(`https://e.com/${'/'.repeat(1024 * 1024)}x`)).toHaveLength(1024 * 1024 + 15);
    expect(trimTrailingSlashes(`https://e.com${'/'.repeat(1024 * 1024)}`)).toBe('https://e.com');
    expect(performance.now() - started).toBeLessThan(200);
  });
  it('caps URL length: longer URLs are not usable links', () => {
    expect(usableUrl(`https://e.com/${'a'.repeat(URLS.MAX_LENGTH)}`)).toBe(false);
    expect(usableUrl('https://e.com/a')).toBe(true);
    expect(usableUrl('javascript:alert(1)')).toBe(false);
  });
  it('computes an article’s canonical URL once per article object', () => {
    const article = { url: 'https://www.example.com/x/' };
    const first = articleUrlKey(article);
    article.url = 'https://other.example.com/y';
    expect(articleUrlKey(article)).toBe(first);
  });
});
