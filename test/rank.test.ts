import { describe, expect, it } from 'vitest';
import { compareScored, explainScore, explainStory, heatFactor, looksLikeNonNews, nonNewsReason, qualityFactor, RANK, staleUrl, staticRankKey, topicMatch } from '../src/rank.js';

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

describe('non-news rule', () => {
  const reason = (title: string, extra: { excerpt?: string; url?: string; publishedAt?: string } = {}) =>
    nonNewsReason({ title, excerpt: extra.excerpt ?? '', url: extra.url, publishedAt: extra.publishedAt });

  it('recognises how-tos, tutorials, guides and explainers', () => {
    expect(reason('How to back up a home server in ten minutes')).toBe('how-to');
    expect(reason('Vector databases: how to pick one')).toBe('how-to');
    expect(reason("A beginner's guide to quantum error correction")).toBe('how-to');
    expect(reason('Zero-trust networking, explained')).toBe('how-to');
    expect(reason('What is edge computing?')).toBe('how-to');
    expect(reason('Understanding cloud certifications')).toBe('how-to');
    expect(reason('Backup suite for cloud databases overview')).toBe('how-to');
    expect(reason('Build a weather station: step-by-step tutorial')).toBe('how-to');
  });

  it('recognises listicles by a leading number with a list word, not every number', () => {
    expect(reason('7 ways to speed up your laptop')).toBe('listicle');
    expect(reason('10+ chat apps for working remotely')).toBe('listicle');
    expect(reason('The best top 6 cloud storage providers')).toBe('listicle');
    expect(reason('Top 5 tips for safer passwords')).toBe('listicle');
    expect(reason('3 big reasons to hold the stock')).toBeUndefined();
    expect(reason('Acme cuts 200 jobs as orders fall')).toBeUndefined();
    expect(reason('2 companies merge to form chip giant')).toBeUndefined();
  });

  it('recognises webinars and course promotions, but not the news of a new programme', () => {
    expect(reason('Join our webinar on model governance')).toBe('promotion');
    expect(reason('Master data science with this online course bundle')).toBe('promotion');
    expect(reason('University starts a new master’s programme in robotics')).toBeUndefined();
    expect(reason('Acme introduces a certified engineer course with Nimbus')).toBeUndefined();
  });

  it('recognises market-report promotions by their title', () => {
    expect(reason('Widget Analytics Market Next Big Thing | Major Giants Acme, Globex')).toBe('market report');
    expect(reason('Pandemic impact on the healthcare widget market')).toBe('market report');
    expect(reason('Widget Market to 2027 - by Component and Region')).toBe('market report');
    expect(reason('Stock market rallies as chipmakers gain')).toBeUndefined();
  });

  it('recognises a page re-surfaced long after the date in its URL', () => {
    const published = '2021-03-10T12:00:00Z';
    expect(reason('Meet the new robot', { url: 'https://mag.example.com/2015/07/meet-the-new-robot/', publishedAt: published })).toBe('stale');
    expect(reason('Hat project', { url: 'https://blog.example.com/2020/08/06/hat/', publishedAt: published })).toBe('stale');
    expect(reason('Police test cameras', { url: 'https://radio.example.org/news/2018/05/22/cameras', publishedAt: published })).toBe('stale');
    // A copy a few weeks or months late, a month name, a year-only path of the same year, or no date: news.
    expect(reason('Deal signed', { url: 'https://news.example.com/2021/02/01/deal', publishedAt: published })).toBeUndefined();
    expect(reason('Deal signed', { url: 'https://news.example.com/news/2021/mar/02/deal', publishedAt: published })).toBeUndefined();
    expect(reason('Deal signed', { url: 'https://news.example.com/2021/deal', publishedAt: published })).toBeUndefined();
    expect(reason('Deal signed', { url: 'https://news.example.com/article/3608413/deal.html', publishedAt: published })).toBeUndefined();
    expect(staleUrl('https://news.example.com/2020/dec/01/deal', published)).toBe(false);
    expect(staleUrl('https://news.example.com/2020/jan/01/deal', published)).toBe(true);
  });

  it('says why in the story score, which --explain prints', () => {
    const score = explainStory(
      [{ article: { quality: 60, heat: 0, publishedAt: '2026-11-20T08:00:00Z', topics: ['AI'], title: 'x', excerpt: '' }, topicMatch: 1 }],
      { title: 'How to label images faster', excerpt: '' },
      1,
      { now: new Date('2026-11-20T12:00:00Z') },
    );
    expect(score).toMatchObject({ news: RANK.NON_NEWS_FACTOR, nonNews: 'how-to' });
    expect(looksLikeNonNews({ title: 'Acme opens a battery plant', excerpt: '' })).toBe(false);
  });
});

describe('--explain line', () => {
  it('names the non-news reason next to its factor, and shows no news factor for news', async () => {
    const { explainLine } = await import('../adapters/console/render.js');
    const member = { article: { quality: 60, heat: 0, publishedAt: '2026-11-20T08:00:00Z', topics: ['AI'], title: 'x', excerpt: '' }, topicMatch: 1 };
    const now = new Date('2026-11-20T12:00:00Z');
    const howTo = explainStory([member], { title: '7 ways to label images faster', excerpt: '' }, 1, { now });
    expect(explainLine(howTo)).toContain('× non-news 0.20 (listicle)');
    const news = explainStory([member], { title: 'Acme opens a battery plant', excerpt: '' }, 1, { now });
    expect(explainLine(news)).not.toContain('non-news');
  });
});
