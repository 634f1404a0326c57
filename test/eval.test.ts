import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateSet, formatResult, labelledSets, scoreClustering } from '../bench/eval.js';
import { repoRoot } from './helpers/cli.js';

const shared = join(repoRoot, '..', 'shared');
const sets = labelledSets(shared);

describe('story evaluation', () => {
  it('scores a clustering pairwise and B-cubed', () => {
    const gold = new Map([['a', 'x'], ['b', 'x'], ['c', 'y']]);
    const perfect = scoreClustering(gold, new Map([['a', '1'], ['b', '1'], ['c', '2']]));
    expect(perfect.bcubed.f1).toBe(1);
    expect(perfect.pairwise.f1).toBe(1);
    const alone = scoreClustering(gold, new Map());
    expect(alone.bcubed.precision).toBe(1);
    expect(alone.bcubed.recall).toBeCloseTo((0.5 + 0.5 + 1) / 3);
  });

  if (sets.length === 0) {
    it.skip(`labelled sets: skipped, no ${join(shared, 'eval')}/*.stories.json beside the repository`, () => {});
    console.log(`eval test skipped: ${join(shared, 'eval')} not found`);
  } else {
    for (const file of sets) {
      it(`groups ${file.split('/').pop()} at least as well as every-article-alone, at B-cubed F1 ≥ 0.90, ≤ 2 % wrong folds, non-news rule flagging ≤ 2 % of news`, async () => {
        expect(existsSync(file)).toBe(true);
        const result = await evaluateSet(shared, file);
        console.log(formatResult(result));
        expect(result.system.bcubed.f1).toBeGreaterThanOrEqual(result.baseline.bcubed.f1);
        expect(result.system.bcubed.f1).toBeGreaterThanOrEqual(0.9);
        const links = result.digests.reduce((n, d) => n + d.foldLinks, 0);
        const wrong = result.digests.reduce((n, d) => n + d.wrongFolds, 0);
        expect(wrong).toBeLessThanOrEqual(Math.floor(0.02 * links));
        expect(result.nonNewsRule.flaggedNews).toBeLessThanOrEqual(Math.floor(0.02 * result.nonNewsRule.news));
        expect(result.nonNewsRule.found).toBeGreaterThan(result.nonNewsRule.nonNews / 2);
      }, 120_000);
    }
  }
});
