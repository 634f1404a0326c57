/** `newsbrief sources list` as text: one row per feed, columns as wide as their content up to a cap. */
import { cleanText, cutAtWord, type FeedRecord } from '../src/index.js';
import { htmlToText } from '../adapters/sources/feeds/articles.js';

interface Column {
  title: string;
  /** Widest a cell gets; longer text is cut. */
  max: number;
  align?: 'right';
  cell(feed: FeedRecord, now: Date): string;
}

const COLUMNS: readonly Column[] = [
  { title: 'ID', max: 8, align: 'right', cell: (f) => String(f.id) },
  { title: 'NAME', max: 28, cell: (f) => displayName(f) },
  { title: 'URL', max: 44, cell: (f) => shortUrl(f.url, 44) },
  { title: 'TOPICS', max: 28, cell: (f) => f.topics.map(cleanText).join(', ') },
  { title: 'STATE', max: 36, cell: (f) => (f.enabled ? 'enabled' : f.disabledReason ? `disabled: ${cleanText(f.disabledReason)}` : 'disabled') },
  { title: 'LAST FETCH', max: 14, cell: (f, now) => (f.lastFetchAt === null ? 'never' : relativeTime(f.lastFetchAt, now)) },
  { title: 'STATUS', max: 32, cell: (f) => (f.lastStatus === null ? '—' : cleanText(f.lastStatus)) },
  { title: 'ITEMS', max: 8, align: 'right', cell: (f) => String(f.items) },
  { title: 'FAILS', max: 6, align: 'right', cell: (f) => String(f.failures) },
  { title: 'NEXT FETCH', max: 14, cell: (f, now) => nextFetchText(f, now) },
];

/** The feeds as a table with a count line under it, or a hint on how to add the first one. */
export function renderFeedTable(feeds: readonly FeedRecord[], now: Date): string {
  if (feeds.length === 0) {
    return [
      'No feeds yet. Add one with its topics:',
      '  newsbrief sources add https://example.com/feed.xml --topic AI',
      'or import a subscription list from a feed reader:',
      '  newsbrief sources import subscriptions.opml',
      'npm start fetches them every few minutes (newsbrief sources --help for more).',
    ].join('\n');
  }
  const rows = feeds.map((feed) => COLUMNS.map((column) => fit(column.cell(feed, now), column.max)));
  const widths = COLUMNS.map((column, i) => Math.max(column.title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (COLUMNS[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const enabled = feeds.filter((f) => f.enabled).length;
  const count = `${feeds.length} ${feeds.length === 1 ? 'feed' : 'feeds'}: ${enabled} enabled, ${feeds.length - enabled} disabled. --json shows every field.`;
  return [line(COLUMNS.map((c) => c.title)), ...rows.map(line), '', count].join('\n');
}

/** displayName of a feed with neither a name nor a title yet. */
export const UNFETCHED = '(not fetched yet)';

/** What the feed is called: the operator's name, else the feed's own title, else UNFETCHED. */
export function displayName(feed: Pick<FeedRecord, 'name' | 'feedTitle'>): string {
  const name = feed.name === null ? '' : cleanText(feed.name);
  if (name !== '') return name;
  const title = feed.feedTitle === null ? '' : htmlToText(feed.feedTitle);
  return title === '' ? UNFETCHED : title;
}

/**
 * A feed URL in at most `max` characters: without `https://`, and when still too long, its start and end
 * around an ellipsis, so the host and the file name both show.
 */
export function shortUrl(url: string, max: number): string {
  const text = cleanText(url.startsWith('https://') ? url.slice('https://'.length) : url);
  if (text.length <= max) return text;
  const tail = Math.floor((max - 1) / 3);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** "3 min ago", "in 2 h", "just now": an instant relative to `now`, in the largest whole unit. */
export function relativeTime(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  if (Number.isNaN(ms)) return '?';
  const past = ms < 0;
  const abs = Math.abs(ms);
  if (abs < 60_000) return past ? 'just now' : 'in <1 min';
  const minutes = Math.floor(abs / 60_000);
  const span = minutes < 60 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 1440)} d`;
  return past ? `${span} ago` : `in ${span}`;
}

/** When npm start fetches the feed next: "in 4 min", "due now", or "—" for a disabled feed. */
export function nextFetchText(feed: FeedRecord, now: Date): string {
  if (!feed.enabled) return '—';
  return Date.parse(feed.nextFetchAt) <= now.getTime() ? 'due now' : relativeTime(feed.nextFetchAt, now);
}

function fit(text: string, max: number): string {
  return text.length <= max ? text : cutAtWord(text, max);
}
