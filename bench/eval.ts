// Story-quality evaluation against the hand-labelled sets in ../shared/eval (see docs/quality.md).
//   npm run eval            or   node --import tsx bench/eval.ts [SHARED_DIR]
// Each set's corpus is ingested into a temporary database; the stories come from Newsbrief.stories (the
// code path of `newsbrief stories`) and the digests from Newsbrief.news (the code path of /news).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Newsbrief, canonicalUrl, looksLikeNonNews, type Article } from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { ingestSeedFolder as ingestDirectory } from '../adapters/sources/seed-folder/index.js';

interface GoldFile {
  story: string;
  kind: 'news' | 'nonnews';
  title: string;
  url?: string;
}

interface GoldSet {
  corpus: string;
  from: string;
  to: string;
  articles: Record<string, GoldFile>;
}

export interface ClusterScores {
  pairwise: { precision: number; recall: number; f1: number };
  bcubed: { precision: number; recall: number; f1: number };
}

export interface DigestCheck {
  topic: string;
  items: number;
  duplicates: number;
  foldLinks: number;
  wrongFolds: number;
  nonNews: number;
}

export interface SetResult {
  name: string;
  files: number;
  goldStories: number;
  predictedStories: number;
  system: ClusterScores;
  baseline: ClusterScores;
  digests: DigestCheck[];
  /** The non-news rule against the gold kinds: non-news files it flags, of all; news files it flags. */
  nonNewsRule: { found: number; nonNews: number; flaggedNews: number; news: number };
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Pairwise and B-cubed precision/recall/F1 of a predicted clustering against gold labels (same item keys). */
export function scoreClustering(gold: Map<string, string>, predicted: Map<string, string>): ClusterScores {
  const items = [...gold.keys()];
  const goldSize = new Map<string, number>();
  const predSize = new Map<string, number>();
  const both = new Map<string, number>();
  for (const item of items) {
    const g = gold.get(item)!;
    const p = predicted.get(item) ?? `alone:${item}`;
    goldSize.set(g, (goldSize.get(g) ?? 0) + 1);
    predSize.set(p, (predSize.get(p) ?? 0) + 1);
    both.set(`${g}\u0000${p}`, (both.get(`${g}\u0000${p}`) ?? 0) + 1);
  }
  const pairs = (n: number) => (n * (n - 1)) / 2;
  let tp = 0;
  for (const n of both.values()) tp += pairs(n);
  let predPairs = 0;
  for (const n of predSize.values()) predPairs += pairs(n);
  let goldPairs = 0;
  for (const n of goldSize.values()) goldPairs += pairs(n);
  const pp = predPairs === 0 ? 1 : tp / predPairs;
  const pr = goldPairs === 0 ? 1 : tp / goldPairs;
  let bp = 0;
  let br = 0;
  for (const item of items) {
    const g = gold.get(item)!;
    const p = predicted.get(item) ?? `alone:${item}`;
    const shared = both.get(`${g}\u0000${p}`)!;
    bp += shared / predSize.get(p)!;
    br += shared / goldSize.get(g)!;
  }
  bp /= items.length;
  br /= items.length;
  return { pairwise: { precision: pp, recall: pr, f1: f1(pp, pr) }, bcubed: { precision: bp, recall: br, f1: f1(bp, br) } };
}

export async function evaluateSet(sharedDir: string, setFile: string, options: { digestTopics?: number } = {}): Promise<SetResult> {
  const set = JSON.parse(readFileSync(setFile, 'utf8')) as GoldSet;
  const corpusDir = resolve(sharedDir, set.corpus);
  const tmp = mkdtempSync(join(tmpdir(), 'newsbrief-eval-'));
  const store = openSqliteStorage(join(tmp, 'eval.db'));
  try {
    await ingestDirectory(corpusDir, store);
    const since = new Date(`${set.from}T00:00:00Z`);
    // The labelled window runs to the end of `to`; file dates are UTC+8, so allow the day after too.
    const until = new Date(Date.parse(`${set.to}T00:00:00Z`) + 2 * 86_400_000);
    const app = new Newsbrief({ storage: store, clock: () => until });
    const result = await app.stories(undefined, { since: new Date(since.getTime() - 86_400_000), until });
    if (!result.ok) throw new Error(result.code);

    // Which stored article each gold file became (ingest keeps one article per canonical URL).
    const byId = new Map<string, Article>();
    for (const s of result.stories) for (const a of s.articles) byId.set(a.id, (await store.articles.getArticle(a.id))!);
    const idBySource = new Map<string, string>();
    const idByUrl = new Map<string, string>();
    for (const a of byId.values()) {
      idBySource.set(basename(a.source), a.id);
      idByUrl.set(canonicalUrl(a.url), a.id);
    }
    const fileToId = (file: string, g: GoldFile) => idBySource.get(file) ?? (g.url ? idByUrl.get(canonicalUrl(g.url)) : undefined);

    const storyOfId = new Map<string, string>();
    result.stories.forEach((s, i) => s.articles.forEach((a) => storyOfId.set(a.id, `s${i}`)));
    const gold = new Map<string, string>();
    const predicted = new Map<string, string>();
    const goldOfId = new Map<string, GoldFile>();
    for (const [file, g] of Object.entries(set.articles)) {
      gold.set(file, g.story);
      const id = fileToId(file, g);
      if (id !== undefined) {
        goldOfId.set(id, g);
        const s = storyOfId.get(id);
        if (s !== undefined) predicted.set(file, s);
      }
    }
    const nonNewsRule = { found: 0, nonNews: 0, flaggedNews: 0, news: 0 };
    for (const [id, g] of goldOfId) {
      const flagged = looksLikeNonNews(byId.get(id)!);
      if (g.kind === 'nonnews') {
        nonNewsRule.nonNews++;
        if (flagged) nonNewsRule.found++;
      } else {
        nonNewsRule.news++;
        if (flagged) nonNewsRule.flaggedNews++;
      }
    }
    const system = scoreClustering(gold, predicted);
    const baseline = scoreClustering(gold, new Map());

    const digests: DigestCheck[] = [];
    for (const topic of (await app.listTopics()).slice(0, options.digestTopics ?? 3)) {
      const news = await app.news(topic.name, { count: 10 });
      if (!news.ok) continue;
      const stories = new Set<string>();
      let duplicates = 0;
      let foldLinks = 0;
      let wrongFolds = 0;
      let nonNews = 0;
      for (const item of news.digest.items) {
        const lead = goldOfId.get(item.articleId);
        if (lead) {
          if (stories.has(lead.story)) duplicates++;
          stories.add(lead.story);
          if (lead.kind === 'nonnews') nonNews++;
        }
        for (const id of item.articleIds.slice(1)) {
          foldLinks++;
          const other = goldOfId.get(id);
          if (lead && other && other.story !== lead.story) wrongFolds++;
        }
      }
      digests.push({ topic: topic.name, items: news.digest.items.length, duplicates, foldLinks, wrongFolds, nonNews });
    }
    return {
      name: basename(setFile).replace(/\.stories\.json$/, ''),
      files: gold.size,
      goldStories: new Set(gold.values()).size,
      predictedStories: result.stories.length,
      system,
      baseline,
      digests,
      nonNewsRule,
    };
  } finally {
    await store.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function labelledSets(sharedDir: string): string[] {
  const evalDir = join(sharedDir, 'eval');
  if (!existsSync(evalDir)) return [];
  return readdirSync(evalDir)
    .filter((f) => f.endsWith('.stories.json'))
    .sort()
    .map((f) => join(evalDir, f));
}

export function defaultSharedDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
}

const pct = (x: number) => x.toFixed(3);

export function formatResult(r: SetResult): string {
  const row = (label: string, s: ClusterScores) =>
    `  ${label.padEnd(20)} pairwise P ${pct(s.pairwise.precision)} R ${pct(s.pairwise.recall)} F1 ${pct(s.pairwise.f1)} · B-cubed P ${pct(s.bcubed.precision)} R ${pct(s.bcubed.recall)} F1 ${pct(s.bcubed.f1)}`;
  const lines = [
    `${r.name}: ${r.files} files, ${r.goldStories} gold stories, ${r.predictedStories} predicted`,
    row('grouping', r.system),
    row('every article alone', r.baseline),
  ];
  const n = r.nonNewsRule;
  lines.push(`  non-news rule        flags ${n.found}/${n.nonNews} non-news articles, ${n.flaggedNews}/${n.news} news articles`);
  for (const d of r.digests) {
    const wrongShare = d.foldLinks === 0 ? 0 : d.wrongFolds / d.foldLinks;
    lines.push(
      `  top-10 ${d.topic}: ${d.items} items, ${d.duplicates} duplicate stories, ${d.wrongFolds}/${d.foldLinks} wrong folds (${(wrongShare * 100).toFixed(1)} %), ${d.nonNews} non-news`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const sharedDir = resolve(process.argv[2] ?? defaultSharedDir());
  const sets = labelledSets(sharedDir);
  if (sets.length === 0) {
    process.stdout.write(`No labelled story sets found (looked for ${join(sharedDir, 'eval')}/*.stories.json): nothing to evaluate.\n`);
    return 0;
  }
  for (const file of sets) {
    const result = await evaluateSet(sharedDir, file);
    process.stdout.write(`${formatResult(result)}\n\n`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`eval failed: ${(error as Error).stack ?? error}\n`);
      process.exit(1);
    },
  );
}
