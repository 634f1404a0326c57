import { describe, expect, it } from 'vitest';
import { canonicalUrl, groupStories, pickRelated, titleSimilarity, titleTokens } from '../src/cluster.js';
import { makeArticle, makeRelated } from './helpers/articles.js';

const wrap = (article: ReturnType<typeof makeArticle>) => ({ article });

describe('canonicalUrl', () => {
  it('ignores scheme, www, tracking parameters, fragments and trailing slashes', () => {
    expect(canonicalUrl('https://www.example.com/a/b/?utm_source=x&id=3#top')).toBe(canonicalUrl('http://example.com/a/b?id=3'));
  });

  it('keeps meaningful query parameters apart', () => {
    expect(canonicalUrl('https://example.com/watch?v=1')).not.toBe(canonicalUrl('https://example.com/watch?v=2'));
  });
});

describe('groupStories', () => {
  it('folds near-identical titles from different outlets into one story led by the best-ranked', () => {
    const a = makeArticle({ title: 'Orbital Labs launches first reusable upper stage' });
    const b = makeArticle({ title: 'Orbital Labs Launches First Reusable Upper Stage, a Milestone' });
    const c = makeArticle({ title: 'Heatwave pushes solar output to a record' });
    const stories = groupStories([a, c, b].map(wrap));
    expect(stories).toHaveLength(2);
    expect(stories[0]!.lead.article.id).toBe(a.id);
    expect(stories[0]!.others.map((o) => o.article.id)).toEqual([b.id]);
  });

  it('does not fold similar titles published weeks apart', () => {
    const a = makeArticle({ title: 'Quarterly security patch release fixes many bugs', publishedAt: '2026-01-01T00:00:00Z' });
    const b = makeArticle({ title: 'Quarterly security patch release fixes many bugs', publishedAt: '2026-04-01T00:00:00Z' });
    expect(groupStories([a, b].map(wrap))).toHaveLength(2);
  });

  it('groups articles that list each other as related coverage even with different titles', () => {
    const b = makeArticle({ title: 'What patients should do after the breach' });
    const a = makeArticle({ title: 'Hospital group hit by ransomware', related: [makeRelated({ url: b.url })] });
    const stories = groupStories([b, a].map(wrap));
    expect(stories).toHaveLength(1);
    expect(stories[0]!.lead.article.id).toBe(b.id);
  });

  it('keeps an old background piece that a new article links to as a story of its own', () => {
    const old = makeArticle({ title: 'Standards body picks encryption algorithms', publishedAt: '2022-07-06T00:00:00Z' });
    const fresh = makeArticle({ title: 'Browsers switch on new key exchange', related: [makeRelated({ url: old.url })] });
    expect(groupStories([fresh, old].map(wrap))).toHaveLength(2);
  });

  it('groups articles far apart in time when each lists the other', () => {
    const a = makeArticle({ title: 'Part one of the investigation', publishedAt: '2026-01-01T00:00:00Z' });
    const b = makeArticle({ title: 'Follow-up months later', publishedAt: '2026-06-01T00:00:00Z', related: [makeRelated({ url: a.url })] });
    a.related = [makeRelated({ url: b.url })];
    expect(groupStories([a, b].map(wrap))).toHaveLength(1);
  });

  it('groups the same canonical URL reached by different spellings', () => {
    const a = makeArticle({ url: 'https://www.example.com/story/' });
    const b = makeArticle({ url: 'https://example.com/story?utm_medium=feed', title: 'Completely different words here' });
    expect(groupStories([a, b].map(wrap))).toHaveLength(1);
  });

  it('never matches on very short titles alone', () => {
    const a = makeArticle({ title: 'Breaking news' });
    const b = makeArticle({ title: 'Breaking news' });
    expect(groupStories([a, b].map(wrap))).toHaveLength(2);
  });

  it('measures title overlap on meaningful words only', () => {
    expect(titleSimilarity(titleTokens('The cat sat on the mat'), titleTokens('cat sat mat'))).toBe(1);
    expect(titleSimilarity(titleTokens(''), titleTokens('cat'))).toBe(0);
  });
});

describe('pickRelated', () => {
  it('keeps the best link per provider, only http(s), highest quality first', () => {
    const related = [
      makeRelated({ quality: 40, provider: { name: 'Reuters', domain: 'reuters.example' }, url: 'https://reuters.example/1' }),
      makeRelated({ quality: 90, provider: { name: 'Reuters', domain: 'reuters.example' }, url: 'https://reuters.example/2' }),
      makeRelated({ quality: 99, url: 'javascript:alert(1)' }),
      makeRelated({ quality: 70, provider: { name: 'BBC', domain: 'bbc.example' }, url: 'https://bbc.example/x' }),
      makeRelated({ quality: 10, provider: { name: 'Tiny', domain: 'tiny.example' }, url: 'https://tiny.example/x' }),
    ];
    const links = pickRelated(related, { limit: 2, skipUrls: new Set() });
    expect(links.map((l) => l.url)).toEqual(['https://reuters.example/2', 'https://bbc.example/x']);
  });

  it('leaves out pages already shown and the article\'s own outlet', () => {
    const related = [
      makeRelated({ url: 'https://shown.example/a', provider: { name: 'S', domain: 'shown.example' } }),
      makeRelated({ url: 'https://own.example/b', provider: { name: 'Own', domain: 'own.example' } }),
      makeRelated({ url: 'https://other.example/c', provider: { name: 'Other', domain: 'other.example' } }),
    ];
    const links = pickRelated(related, {
      limit: 5,
      skipUrls: new Set([canonicalUrl('https://shown.example/a')]),
      skipDomains: new Set(['own.example']),
    });
    expect(links.map((l) => l.provider.name)).toEqual(['Other']);
  });
});
