import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { completeTimezone } from '../adapters/discord/autocomplete.js';
import { redactTokens } from '../adapters/discord/interactions.js';
import { LIMITS, escapeText, fitEscaped, linkUrl, plain } from '../adapters/discord/render.js';
import { escapeHtml } from '../adapters/telegram/html.js';
import { parseTime, parseTimezone } from '../src/clock.js';
import { looksLikeTime, looksLikeTimezone, parseNewsArgs, parseSubscribeArgs, quotedWords } from '../src/command-args.js';
import { parseDays, parseEntryList, parseSubscribeInput, parseTimes } from '../src/subscription-options.js';
import { compileFilters, wordTokens } from '../src/filters.js';
import { isBlankBlock, parseSeedFile } from '../adapters/sources/seed-folder/index.js';
import { normalizeEllipsis, plainText, unescapeMarkdown } from '../src/model.js';
import { impossibleDateParts } from '../adapters/sources/seed-folder/schema.js';
import { normalizeTopic, TopicIndex } from '../src/topics.js';
import { cutAtWord, cutExcerpt } from '../src/digest.js';
import { nonNewsReason, staleUrl } from '../src/rank.js';
import { terms, termFrequencies } from '../src/similarity.js';
import { groupStories, isPressRelease, isRoundup, issuerMissing, numbersConflict, sharedTitleTerms, subjectConflict } from '../src/stories.js';
import { canonicalUrl, quickUrlKey, urlHost, usableUrl } from '../src/url.js';
import { makeArticle } from './helpers/articles.js';

/**
 * Every regular expression (and hand-written scan) applied to seed text or typed input, fed 1 MiB of the
 * shapes that make backtracking patterns quadratic: long runs of what a quantifier matches, followed by
 * what makes the match fail. Each must finish well under a second; a quadratic one takes minutes.
 * docs/security.md lists each pattern, why it is linear, and the test here that covers it.
 */
const MiB = 1024 * 1024;
const LIMIT_MS = 1000;

/** A string of about 1 MiB: `unit` repeated, then `end`. */
const run = (unit: string, end = '') => unit.repeat(Math.ceil((MiB - end.length) / unit.length)) + end;

function expectLinear(shapes: Record<string, string>, fn: (input: string) => unknown): void {
  for (const [shape, input] of Object.entries(shapes)) {
    const started = performance.now();
    fn(input);
    const ms = performance.now() - started;
    expect({ shape, ms: ms < LIMIT_MS ? 'fast' : `${Math.round(ms)} ms` }).toEqual({ shape, ms: 'fast' });
  }
}

const seed = (frontMatter: string) => Buffer.from(`---\n${frontMatter}\n---\n`);
const fields = 'title: "t"\nwebUrl: "https://a.example/x"\n';

describe('seed files (adapters/sources/seed-folder, src/model.ts) stay linear on 1 MiB', () => {
  it('the front-matter block: blank and comment lines, CR runs, dash runs, language names', () => {
    expectLinear(
      {
        'blank lines': `---${run('\n', 'x\n---\n')}`,
        'space lines': `---\n${run(' \n', 'x\n---\n')}`,
        'comment lines without text': `---\n${run('#\n', 'x\n---\n')}`,
        'line separators': `---\n${run('\u2028', 'x\n---\n')}`,
        'carriage returns': `---\n${run('\r', 'x\n---\n')}`,
        'an opening line of dashes': run('-', 'x\n'),
        'a language name': `---${run('y', '\n---\n')}`,
      },
      (text) => parseSeedFile('a.md', Buffer.from(text)),
    );
    expectLinear({ 'blank lines': run('\n', 'x'), 'spaces then #': run(' ', '#'), 'comment lines': run('# c\n', 'x') }, isBlankBlock);
  });

  it('dates: a long tag or anchor before an impossible date, and long runs inside a date string', () => {
    expectLinear(
      {
        'anchor then spaces': `${fields}publishedDateTime: &d${run(' ', '2026-02-30')}`,
        'T run': `${fields}publishedDateTime: "2026-01-01${run('T', '')}"`,
        'space run': `${fields}publishedDateTime: "${run(' ', 'x')}"`,
      },
      (text) => parseSeedFile('a.md', seed(text)),
    );
    expectLinear(
      { spaces: run(' ', 'x'), 'T run': `2026-1-1${run('T', 'x')}`, 'digits then spaces': `2026-01-01 ${run(' ', '1')}` },
      impossibleDateParts,
    );
  });

  it('plain text: white space, tags, controls, zero-width characters', () => {
    expectLinear(
      {
        spaces: run(' ', 'x'),
        'space and tab': run(' \t', 'x'),
        'unclosed tags': run('<'),
        'tags': run('<b>'),
        controls: run('\u0007\u001b['),
        'zero-width joiners': run('\u200d'),
        'emoji joined': run('👩\u200d'),
        'zero-width in words': run('a\u200b'),
      },
      plainText,
    );
  });

  it('Markdown escapes and ellipses', () => {
    expectLinear({ backslashes: run('\\'), escapes: run('\\*'), 'escaped backslashes': run('\\\\_') }, unescapeMarkdown);
    expectLinear({ dots: run('.', 'x'), 'dots at the end': `x${run('.')}`, 'spaced dots': `x${run(' .')}`, ellipses: run('…') }, normalizeEllipsis);
  });
});

describe('typed input (src/topics.ts, src/command-args.ts, src/clock.ts) stays linear on 1 MiB', () => {
  it('topic names', () => {
    expectLinear({ separators: run(' -_.'), words: run('a '), 'zero-width': run('\u200b') }, normalizeTopic);
  });

  it('topic lookups against 10,000 long topics', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `${'Regional '.repeat(8)}Topic ${i}`.slice(-100));
    const index = new TopicIndex(names.map((name, i) => ({ key: normalizeTopic(name), name, count: i + 1 })));
    const shapes = { letters: run('regional'), words: run('re gi '), 'one letter': run('r') };
    expectLinear(shapes, (input) => index.complete(input));
    expectLinear(shapes, (input) => index.suggest(input));
    expectLinear(shapes, (input) => index.resolve(input));
  });

  it('command arguments', () => {
    const shapes = {
      digits: run('1', 'x'),
      'time then junk': `8:${run('0', 'x')}`,
      spaces: run(' ', '1'),
      'zone offset': `utc+${run('1')}`,
      'words': run('ab '),
    };
    expectLinear(shapes, parseNewsArgs);
    expectLinear(shapes, parseSubscribeArgs);
    expectLinear({ ...shapes, 'spaces before am': `12${run(' ', 'x')}` }, looksLikeTime);
    expectLinear(shapes, looksLikeTimezone);
  });

  it('times and zones', () => {
    const shapes = { digits: run('1'), 'spaced time': run(' ', '1:00'), letters: run('u'), 'slashes': run('/') };
    expectLinear(shapes, parseTime);
    expectLinear(shapes, parseTimezone);
    expectLinear({ ...shapes, 'offset digits': `+${run('1')}`, 'gmt then spaces': `gmt${run(' ', '+3')}` }, parseTimezone);
  });

  it('subscription options: the text syntax, lists, days, times and filter words', () => {
    const shapes = {
      'key=value words': run('count=1 '),
      'unclosed quote': `AI include="${run('a ')}`,
      quotes: run('"'),
      'typographic quotes': run('“a” '),
      'equals signs': run('='),
      'ab= words': run('ab= '),
      commas: run(','),
      'time lists': run('8,'),
      'am pm': run('9 am '),
      dashes: run('mon-'),
    };
    expectLinear(shapes, parseSubscribeArgs);
    expectLinear(shapes, quotedWords);
    expectLinear(shapes, (text) => parseEntryList('include', text));
    expectLinear(shapes, parseDays);
    expectLinear(shapes, parseTimes);
    expectLinear(shapes, (text) => parseSubscribeInput({ time: text, days: text, count: text, include: text, min: text }));
    expectLinear({ ...shapes, letters: run('ab'), marks: run('a\u0301'), han: run('人工'), mixed: run('a人 ') }, wordTokens);
    const filters = compileFilters({ include: [`${'a '.repeat(29)}b`], exclude: ['a a a a a a a a a a c'], outlets: ['a.a.a.a.example'], minQuality: null })!;
    expectLinear({ 'one repeated word': run('a '), 'dots in a host': run('a.') }, (text) =>
      filters.article({ title: text, excerpt: text, quality: 50, url: `https://${text.slice(0, 200)}.example/`, provider: { name: text, domain: text } }),
    );
  });
});

describe('adapters stay linear on 1 MiB where their patterns are linear today', () => {
  it('Telegram HTML: escaping', () => {
    expectLinear({ markup: run('<&">') }, escapeHtml);
  });

  it('Discord: plain text, link URLs, token redaction, time-zone autocomplete', () => {
    expectLinear({ ats: run('@') }, (text) => plain(text, 100));
    expectLinear({ 'parentheses': `https://a.example/${run('()<>')}` }, (text) => linkUrl(text));
    expectLinear({ 'interaction paths': run('/interactions/1/'), 'slashes': run('/') }, redactTokens);
    expectLinear({ letters: run('kyiv'), spaces: run(' _') }, completeTimezone);
  });

  it('Discord: escaping markdown and fitting escaped text into a field (discord.js escapeMarkdown took seconds on 4 KiB)', () => {
    const shapes = {
      backslashes: run('\\'),
      words: run('word '),
      spaces: run(' ', 'x'),
      'newlines then >': run('\n', '>'),
      'indented lines then >': run('\n \t', '>'),
      'line separators then >': run('\u2028', '>'),
      spoilers: run('||'),
      'every markdown character': run('\\*_~`|[]()<>#-+@'),
      'digits then a dot': run('1', '.'),
      'numbered lines': run('1.\n'),
      mentions: run('<@1>'),
    };
    expectLinear(shapes, escapeText);
    expectLinear(shapes, (text) => fitEscaped(text, LIMITS.description));
    expectLinear(shapes, (text) => fitEscaped(text, text.length - 1));
  });
});

describe('story text (src/digest.ts, src/similarity.ts, src/stories.ts, src/rank.ts, src/url.ts) stays linear on 1 MiB', () => {
  const punctuation = {
    'punctuation run': run(',;:.-–— ', 'x'),
    'punctuation at the end': `x${run(',;:.-–— ')}`,
    spaces: run(' ', 'x'),
    'commas then a word': run(',', 'x'),
    'dashes at the end': `a ${run('-')}`,
  };

  it('cutAtWord (every truncation, core and adapters) and cutExcerpt: short of the limit and past it', () => {
    const shapes = { ...punctuation, words: run('a ', 'xx'), 'no spaces': run('a'), 'high surrogates': run('\ud800') };
    expectLinear(shapes, (text) => cutExcerpt(text, text.length + 1));
    expectLinear(shapes, (text) => cutAtWord(text, text.length - 1));
    expectLinear(shapes, (text) => cutAtWord(text, text.length - 2));
    expectLinear(shapes, (text) => cutAtWord(text, 280));
  });

  it('terms and term frequencies: separators, digits, accents, capitals', () => {
    const shapes = {
      ...punctuation,
      digits: run('1', 'a'),
      'combining accents': run('e\u0301'),
      'capitalised words': run('Word '),
      'one long word': run('a'),
    };
    expectLinear(shapes, terms);
    expectLinear(shapes, (text) => termFrequencies(text, text));
  });

  it('title rules: roundups, figures, templates, shared words, press-release issuers', () => {
    const shapes = { words: run('acme achieves status '), digits: run('1 '), separators: run(' -'), 'one word': run('x') };
    const other = makeArticle({ title: 'Acme achieves status in 2026', url: 'https://www.prnewswire.com/news-releases/a.html' });
    expectLinear(shapes, isRoundup);
    expectLinear(shapes, (title) => numbersConflict({ title }, { title: `${title}9` }));
    expectLinear(shapes, (title) => subjectConflict({ title: `globex ${title}` }, { title }));
    expectLinear(shapes, (title) => sharedTitleTerms({ title }, other));
    expectLinear(shapes, (title) => issuerMissing(other, makeArticle({ title, excerpt: title })));
  });

  it('the non-news rule: market words, horizons, listicles, how-tos, dated URLs', () => {
    const shapes = {
      'market words': run('market '),
      horizons: run('to 20'),
      ranges: run('2021-'),
      numbers: run('10 '),
      'how to': run('how to '),
      'ends with punctuation': `x ${run('?!.')}`,
      'letters then explained': `${run('a')}explained`,
    };
    expectLinear(shapes, (title) => nonNewsReason({ title, excerpt: title, url: 'https://e.example/2015/07/x', publishedAt: '2021-03-01T00:00:00Z' }));
    expectLinear(
      { 'year segments': `https://e.example/${run('2020/')}`, slashes: `https://e.example/${run('/')}` },
      (url) => [staleUrl(url, '2021-03-01T00:00:00Z'), staleUrl(url.slice(0, 2000), '2021-03-01T00:00:00Z')],
    );
  });

  it('canonical URLs and URL keys', () => {
    const shapes = {
      slashes: `https://e.example/${run('/', 'x')}`,
      'trailing slashes': `https://e.example/${run('/')}`,
      parameters: `https://e.example/a?${run('utm_a=1&')}`,
      'amp segments': `https://e.example/${run('amp/')}`,
      'www prefixes': `https://${run('www.')}e.example/`,
    };
    for (const fn of [canonicalUrl, quickUrlKey, usableUrl, urlHost]) expectLinear(shapes, fn);
    expectLinear(shapes, (url) => isPressRelease({ url, provider: { name: 'x', domain: url } }));
  });

  it('grouping two articles with 256 KiB titles and excerpts (ingest caps titles at 1,000 characters)', () => {
    // A quarter of the usual size: grouping reads each text several times, and quadratic work would still take minutes.
    const long = run('orbital kestrel stage lands ').slice(0, MiB / 4);
    const a = makeArticle({ title: long, excerpt: long });
    const b = makeArticle({ title: `${long}again`, excerpt: long });
    expectLinear({ 'repeated words': long }, () => groupStories([{ article: a }, { article: b }]));
  });
});
