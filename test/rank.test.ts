import { describe, expect, it } from 'vitest';
import { compareScored, explainScore, heatFactor, qualityFactor, RANK, staticRankKey, topicMatch } from '../src/rank.js';

const now = new Date('2026-11-26T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

describe('rank', () => {
  it('ranks a fresh 60-quality article above a week-old 90-quality one', () => {
    const fresh = explainScore({ quality: 60, heat: 0, publishedAt: hoursAgo(1) }, 1, { now });
    const old = explainScore({ quality: 90, heat: 0, publishedAt: hoursAgo(24 * 7) }, 1, { now });
    expect(fresh.total).toBeGreaterThan(old.total);
  });

  it('ranks higher quality first when age is equal', () => {
    const a = explainScore({ quality: 120, heat: 0, publishedAt: hoursAgo(5) }, 1, { now });
    const b = explainScore({ quality: 40, heat: 0, publishedAt: hoursAgo(5) }, 1, { now });
    expect(a.logScore).toBeGreaterThan(b.logScore);
  });

  it('halves the recency factor every half-life', () => {
    const s = explainScore({ quality: 50, heat: 0, publishedAt: hoursAgo(48) }, 1, { now, halfLifeHours: 24 });
    expect(s.recency).toBeCloseTo(0.25, 10);
    expect(s.ageHours).toBeCloseTo(48, 10);
  });

  it('keeps articles years old in a strict, finite order instead of rounding them all to zero', () => {
    const older = explainScore({ quality: 100, heat: 0, publishedAt: '2019-01-01T00:00:00Z' }, 1, { now });
    const newer = explainScore({ quality: 100, heat: 0, publishedAt: '2022-03-24T07:49:00Z' }, 1, { now });
    expect(Number.isFinite(older.logScore)).toBe(true);
    expect(newer.logScore).toBeGreaterThan(older.logScore);
  });

  it('treats an article dated in the future as fresh, not as a bonus', () => {
    const future = explainScore({ quality: 50, heat: 0, publishedAt: '2027-01-01T00:00:00Z' }, 1, { now });
    expect(future.ageHours).toBe(0);
    expect(future.recency).toBe(1);
  });

  it('accepts quality above 100 but caps outliers, and ignores negative heat', () => {
    expect(qualityFactor(189)).toBeGreaterThan(qualityFactor(100));
    expect(qualityFactor(10_000)).toBe(qualityFactor(RANK.QUALITY_CAP));
    expect(qualityFactor(-5)).toBe(qualityFactor(0));
    expect(qualityFactor(0)).toBeGreaterThan(0);
    expect(heatFactor(-1)).toBe(1);
    expect(heatFactor(100)).toBeCloseTo(1 + RANK.HEAT_WEIGHT, 10);
  });

  it('prefers an article whose main topic is the one asked for', () => {
    expect(topicMatch(['ai', 'computervision'], 'ai')).toBe(RANK.TOPIC_PRIMARY);
    expect(topicMatch(['computervision', 'ai'], 'ai')).toBe(RANK.TOPIC_SECONDARY);
    expect(topicMatch(['space'], 'ai')).toBe(0);
  });

  it('multiplies the components into the total', () => {
    const s = explainScore({ quality: 70, heat: 40, publishedAt: hoursAgo(10) }, 0.8, { now });
    expect(s.total).toBeCloseTo(s.topicMatch * s.quality * s.recency * s.heat, 12);
  });

  it('is deterministic for a given now', () => {
    const article = { quality: 70, heat: 40, publishedAt: hoursAgo(10) };
    expect(explainScore(article, 1, { now })).toEqual(explainScore(article, 1, { now }));
  });

  it('orders by the static rank key exactly as by the score at any moment', () => {
    const articles = [
      { quality: 10, heat: 0, publishedAt: hoursAgo(1) },
      { quality: 150, heat: 90, publishedAt: hoursAgo(70) },
      { quality: 80, heat: -1, publishedAt: hoursAgo(20) },
      { quality: 60, heat: 10, publishedAt: '2022-03-24T07:49:00Z' },
    ];
    const byKey = [...articles].sort((a, b) => staticRankKey(b, 1) - staticRankKey(a, 1));
    for (const when of [now, new Date('2030-01-01T00:00:00Z')]) {
      const byScore = [...articles].sort(
        (a, b) => explainScore(b, 1, { now: when }).logScore - explainScore(a, 1, { now: when }).logScore,
      );
      expect(byScore).toEqual(byKey);
    }
  });

  it('breaks ties by date and then id so the order is total', () => {
    const score = explainScore({ quality: 50, heat: 0, publishedAt: hoursAgo(1) }, 1, { now });
    const a = { score, publishedAt: hoursAgo(1), id: 'a' };
    const b = { score, publishedAt: hoursAgo(1), id: 'b' };
    expect([b, a].sort(compareScored).map((x) => x.id)).toEqual(['a', 'b']);
  });
});
