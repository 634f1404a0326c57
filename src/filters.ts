import type { Article, Provider, SubscriptionFilters } from './model.js';
import { providerKey } from './url.js';

/**
 * A subscription's filters as tests on articles. Words and phrases match whole words, ignoring case, width
 * and compatibility forms (NFKC, then lower case): "ai" matches "AI", "A.I." does not contain it and "said"
 * does not either. Text and phrases become sequences of word tokens and a phrase matches where its tokens
 * appear in a row; no user input ever becomes a regular expression, and every step is linear in the text.
 */

// Scripts written without spaces between words: each character is a word of its own, so a phrase of them
// matches where those characters appear in a row.
const OWN_WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}]/u;
const WORD_PART = /[\p{L}\p{N}\p{M}]/u;

/** Folds case and compatibility forms, as both sides of a match are folded. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLocaleLowerCase('und');
}

const SEPARATOR = 0;
const WORD = 1;
const OWN = 2;

/** What a character is to tokenising; ASCII without a regular expression, as most text is. */
function kindOf(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? WORD : SEPARATOR;
  return OWN_WORD.test(ch) ? OWN : WORD_PART.test(ch) ? WORD : SEPARATOR;
}

/** The word tokens of a text, folded: letters, digits and marks in a row; every other character separates. */
export function wordTokens(text: string): string[] {
  const tokens: string[] = [];
  let word = '';
  for (const ch of foldText(text)) {
    const kind = kindOf(ch);
    if (kind === OWN) {
      if (word) tokens.push(word);
      tokens.push(ch);
      word = '';
    } else if (kind === WORD) {
      word += ch;
    } else if (word) {
      tokens.push(word);
      word = '';
    }
  }
  if (word) tokens.push(word);
  return tokens;
}

/**
 * Characters of a title or excerpt the filters read: a digest shows 280 of an excerpt, and a seed file's
 * excerpt has no limit of its own.
 */
export const MAX_FILTERED_TEXT = 4000;

/** Stands between title and excerpt, so no phrase matches across the two. */
const BREAK = '\u0000';

/** A text's tokens with where each token occurs, for finding phrases by their first word. */
class TokenText {
  private readonly positions = new Map<string, number[]>();

  constructor(private readonly tokens: readonly string[]) {
    tokens.forEach((token, i) => {
      const list = this.positions.get(token);
      if (list) list.push(i);
      else this.positions.set(token, [i]);
    });
  }

  /** Whether `phrase` (tokens, at least one) appears in a row. */
  has(phrase: readonly string[]): boolean {
    const starts = this.positions.get(phrase[0]!);
    if (!starts) return false;
    return starts.some((start) => phrase.every((token, k) => this.tokens[start + k] === token));
  }
}

/** Whether an outlet entry names a domain ("example.com") rather than a provider name ("The Ledger"). */
function domainOf(entry: string): string | undefined {
  const text = foldText(entry.trim());
  if (/\s/.test(text) || !text.includes('.')) return undefined;
  const host = text.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').split('/')[0]!;
  return host === '' ? undefined : providerKey(host);
}

function hostOf(url: string): string {
  try {
    return providerKey(new URL(url).hostname);
  } catch {
    return '';
  }
}

/** A test on one outlet (provider and, when known, a page URL): true when the filters leave it out. */
type OutletTest = (provider: Provider, url?: string) => boolean;

function outletTest(entries: readonly string[]): OutletTest | undefined {
  if (entries.length === 0) return undefined;
  const domains = new Set<string>();
  const names = new Set<string>();
  for (const entry of entries) {
    const domain = domainOf(entry);
    if (domain !== undefined) domains.add(domain);
    else names.add(wordTokens(entry).join(' '));
  }
  const domainListed = (host: string) => {
    if (host === '') return false;
    // example.com leaves out news.example.com too: the host and each parent domain are looked up.
    for (let at = 0; ; ) {
      if (domains.has(host.slice(at))) return true;
      const dot = host.indexOf('.', at);
      if (dot === -1) return false;
      at = dot + 1;
    }
  };
  return (provider, url) =>
    domainListed(providerKey(provider.domain ?? '')) ||
    (url !== undefined && domainListed(hostOf(url))) ||
    (names.size > 0 && names.has(wordTokens(provider.name ?? '').join(' ')));
}

/** The parts of an article the filters read. */
export type FilteredArticle = Pick<Article, 'title' | 'excerpt' | 'provider' | 'quality' | 'url'>;

/** What a digest needs to apply a subscription's filters: a test per article and one per linked outlet. */
export interface CompiledFilters {
  /** True when the article may be shown. */
  article(article: FilteredArticle): boolean;
  /** True when a link to another outlet's coverage may be shown (excluded outlets are not linked either). */
  link(link: { provider: Provider; url: string }): boolean;
}

/** The filters as tests; undefined when they leave everything in. */
export function compileFilters(filters: SubscriptionFilters | undefined): CompiledFilters | undefined {
  if (!filters) return undefined;
  const include = filters.include.map(wordTokens).filter((t) => t.length > 0);
  const exclude = filters.exclude.map(wordTokens).filter((t) => t.length > 0);
  const outlet = outletTest(filters.outlets);
  const minQuality = filters.minQuality;
  if (include.length === 0 && exclude.length === 0 && !outlet && minQuality === null) return undefined;
  return {
    article: (a) => {
      if (minQuality !== null && !(a.quality >= minQuality)) return false;
      if (outlet?.(a.provider, a.url)) return false;
      if (include.length === 0 && exclude.length === 0) return true;
      const text = new TokenText([...wordTokens(a.title.slice(0, MAX_FILTERED_TEXT)), BREAK, ...wordTokens(a.excerpt.slice(0, MAX_FILTERED_TEXT))]);
      if (exclude.some((phrase) => text.has(phrase))) return false;
      return include.length === 0 || include.some((phrase) => text.has(phrase));
    },
    link: (l) => !outlet?.(l.provider, l.url),
  };
}
