// The one rule that turns an article's URL into its id, shared by every source (seed files, feeds), so one
// article reaching Newsbrief through two sources gets one id and the core keeps a single copy of it.
import { createHash } from 'node:crypto';

/**
 * The id of the article at `url`: the first 16 hex digits of the SHA-256 of the URL exactly as given (a
 * source passes its canonical URL, e.g. what `safeHttpUrl` returns). Databases hold ids made this way
 * since the first seed import: changing the rule would orphan every stored article.
 */
export function articleIdFor(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}
