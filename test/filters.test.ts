import { describe, expect, it } from 'vitest';
import { compileFilters, wordTokens, type FilteredArticle } from '../src/filters.js';
import { NO_FILTERS, type SubscriptionFilters } from '../src/model.js';

const article = (title: string, excerpt = '', extra: Partial<FilteredArticle> = {}): FilteredArticle => ({
  title,
  excerpt,
  quality: 70,
  url: 'https://news.example.com/a',
  provider: { name: 'Example News', domain: 'news.example.com' },
  ...extra,
});

const filters = (f: Partial<SubscriptionFilters>) => compileFilters({ ...NO_FILTERS, ...f })!;

describe('word tokens', () => {
  it('folds case, width and compatibility forms, and splits on everything but letters, digits and marks', () => {
    expect(wordTokens('OpenAI’s GPT-4o, ＡＩ and ﬁnance!')).toEqual(['openai', 's', 'gpt', '4o', 'ai', 'and', 'finance']);
  });

  it('makes each character of a script written without spaces a word of its own', () => {
    expect(wordTokens('人工智能 AI')).toEqual(['人', '工', '智', '能', 'ai']);
  });

  it('keeps combining marks inside their word', () => {
    expect(wordTokens('Cafe\u0301 ist Größe')).toEqual(['café', 'ist', 'größe']);
  });
});

describe('subscription filters', () => {
  it('leaves everything in when there are none', () => {
    expect(compileFilters(NO_FILTERS)).toBeUndefined();
    expect(compileFilters(undefined)).toBeUndefined();
  });

  it('matches whole words only: "ai" is not in "said", "maintain" or "Thailand"', () => {
    const only = filters({ include: ['ai'] });
    expect(only.article(article('The minister said the plan will maintain exports', 'Thailand agrees'))).toBe(false);
    expect(only.article(article('AI chips sell out'))).toBe(true);
    expect(only.article(article('Chips', 'Demand for A.I. accelerators — and AI — grows'))).toBe(true);
    expect(only.article(article('Chips', 'Demand for A.I. accelerators grows'))).toBe(false);
  });

  it('matches a phrase only as those words in a row, in title or excerpt but not across the two', () => {
    const only = filters({ include: ['large language model'] });
    expect(only.article(article('A Large  Language-Model beats humans'))).toBe(true);
    expect(only.article(article('A large model of language'))).toBe(false);
    expect(only.article(article('Bigger is not always large', 'language model makers disagree'))).toBe(false);
    expect(only.article(article('News', 'a large language model, again'))).toBe(true);
  });

  it('needs one include to match, and no exclude to', () => {
    const f = filters({ include: ['gpt', 'open source'], exclude: ['crypto', 'price prediction'] });
    expect(f.article(article('Open-source GPT rival ships'))).toBe(true);
    expect(f.article(article('GPT helps crypto traders'))).toBe(false);
    expect(f.article(article('GPT price predictions'))).toBe(true);
    expect(f.article(article('GPT price prediction for 2027'))).toBe(false);
    expect(f.article(article('Weather today'))).toBe(false);
    expect(filters({ exclude: ['crypto'] }).article(article('Weather today'))).toBe(true);
  });

  it('matches across Unicode forms and case, German ß and Turkish dotted I included', () => {
    expect(filters({ include: ['ＧＰＴ'] }).article(article('gpt wins'))).toBe(true);
    expect(filters({ exclude: ['straße'] }).article(article('Neue STRAẞE gebaut'))).toBe(false);
    expect(filters({ include: ['İstanbul'] }).article(article('İSTANBUL summit'))).toBe(true);
    expect(filters({ include: ['人工智能'] }).article(article('中国人工智能公司'))).toBe(true);
    expect(filters({ include: ['人工智能'] }).article(article('人工 智能'))).toBe(true);
    expect(filters({ include: ['人工智能'] }).article(article('人工的智能'))).toBe(false);
  });

  it('leaves out outlets by domain (subdomains too) or by provider name, and their links', () => {
    const f = filters({ outlets: ['example.com', 'The Ledger Tribune'] });
    expect(f.article(article('x'))).toBe(false);
    expect(f.article(article('x', '', { provider: { name: 'Other', domain: '' }, url: 'https://www.example.com/p' }))).toBe(false);
    expect(f.article(article('x', '', { provider: { name: 'the ledger  tribune', domain: 'ledger.example.org' }, url: 'https://ledger.example.org/1' }))).toBe(false);
    expect(f.article(article('x', '', { provider: { name: 'Ledger', domain: 'ledger.example.org' }, url: 'https://ledger.example.org/1' }))).toBe(true);
    expect(f.article(article('x', '', { provider: { name: 'Notexample', domain: 'notexample.com' }, url: 'https://notexample.com/1' }))).toBe(true);
    expect(f.link({ provider: { name: 'Example', domain: 'example.com' }, url: 'https://example.com/r' })).toBe(false);
    expect(f.link({ provider: { name: 'Other', domain: 'other.org' }, url: 'https://other.org/r' })).toBe(true);
  });

  it('takes an outlet given as a URL or with www. as its domain', () => {
    const f = filters({ outlets: ['https://www.Example.com/section'] });
    expect(f.article(article('x', '', { provider: { name: 'E', domain: 'example.com' } }))).toBe(false);
  });

  it('leaves out articles under the minimum quality, keeping those at it', () => {
    const f = filters({ minQuality: 60 });
    expect(f.article(article('x', '', { quality: 59.9 }))).toBe(false);
    expect(f.article(article('x', '', { quality: 60 }))).toBe(true);
  });

  it('reads the first 4,000 characters of a title and of an excerpt, however long the text', () => {
    const f = filters({ include: ['needle'] });
    expect(f.article(article('x', `${'hay '.repeat(990)}needle`))).toBe(true);
    expect(f.article(article('x', `${'hay '.repeat(1000)}needle`))).toBe(false);
  });

  it('stays fast on long text and the longest lists allowed', () => {
    const words = Array.from({ length: 20 }, (_, i) => `${'a '.repeat(29)}w${i}`);
    const f = filters({ include: words, exclude: words });
    const text = 'a '.repeat(200_000);
    const started = performance.now();
    expect(f.article(article(text, text))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
