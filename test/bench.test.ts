import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCorpus, toArticle, type GeneratedSeed } from '../bench/corpus.js';
import { LimitedDiscord } from '../bench/limited-discord.js';
import { LimitedTelegram } from '../bench/limited-telegram.js';
import { RateWindow } from '../bench/rate-window.js';
import { percentile } from '../bench/report.js';
import { seedFileText } from '../bench/seed-text.js';
import { parseSeedFile } from '../adapters/sources/seed-folder/index.js';

const corpus = (size: number, seed?: number): GeneratedSeed[] => [...generateCorpus({ size, seed })];

describe('benchmark corpus generator', () => {
  it('produces the same corpus for the same seed and a different one for another seed', () => {
    const a = corpus(200, 1).map(seedFileText);
    expect(corpus(200, 1).map(seedFileText)).toEqual(a);
    expect(corpus(200, 2).map(seedFileText)).not.toEqual(a);
  });

  it('generates exactly the requested number of articles, each with its own URL and file name', () => {
    const seeds = corpus(1234);
    expect(seeds).toHaveLength(1234);
    expect(new Set(seeds.map((s) => s.doc.webUrl)).size).toBe(1234);
    expect(new Set(seeds.map((s) => s.source)).size).toBe(1234);
  });

  it('has the shape of the real feed: long-tailed related lists, many outlets and topics, years of dates', () => {
    const seeds = corpus(3000);
    const related = seeds.map((s) => s.doc.related.length);
    expect(Math.min(...related)).toBe(0);
    expect(Math.max(...related)).toBeLessThanOrEqual(60);
    expect(related.filter((n) => n > 40).length).toBeGreaterThan(0);
    expect(percentile(related, 50)).toBeLessThan(10);
    const quality = seeds.map((s) => s.doc.quality);
    expect(Math.min(...quality)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...quality)).toBeLessThanOrEqual(190);
    expect(Math.max(...quality)).toBeGreaterThan(150);
    expect(new Set(seeds.map((s) => s.doc.provider.domain)).size).toBeGreaterThanOrEqual(20);
    expect(new Set(seeds.flatMap((s) => s.doc.topics)).size).toBeGreaterThanOrEqual(30);
    const years = new Set(seeds.map((s) => s.doc.publishedDateTime.slice(0, 4)));
    expect(years.size).toBeGreaterThanOrEqual(5);
  });

  it('groups coverage of one story across outlets that list each other as related', () => {
    const seeds = corpus(2000);
    const byStory = new Map<number, GeneratedSeed[]>();
    for (const seed of seeds) byStory.set(seed.story, [...(byStory.get(seed.story) ?? []), seed]);
    const groups = [...byStory.values()].filter((g) => g.length > 1);
    expect(groups.length).toBeGreaterThan(100);
    for (const group of groups.slice(0, 50)) {
      expect(new Set(group.map((s) => s.doc.provider.domain)).size).toBe(group.length);
      for (const seed of group) {
        const relatedUrls = new Set(seed.doc.related.map((r) => r.webUrl));
        for (const other of group) if (other !== seed) expect(relatedUrls.has(other.doc.webUrl)).toBe(true);
      }
    }
  });

  it('writes seed files that ingest accepts as exactly the article the in-memory path builds', () => {
    for (const seed of corpus(300, 9)) {
      const bytes = Buffer.from(seedFileText(seed));
      const parsed = parseSeedFile(seed.source, bytes);
      expect(parsed.ok, seed.source).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.article).toEqual(toArticle(seed, createHash('sha256').update(bytes).digest('hex')));
    }
  });
});

describe('benchmark helpers', () => {
  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('admits at most max requests in any window and says how long to wait', () => {
    const window = new RateWindow(2, 1000);
    window.record(0);
    expect(window.waitMs(10)).toBe(0);
    window.record(10);
    expect(window.waitMs(500)).toBe(500);
    expect(window.waitMs(990)).toBe(10);
    expect(window.waitMs(1000)).toBe(0);
  });

  it('has a Telegram fake that answers 429 with retry_after past its limit and keeps what it accepted', async () => {
    const fake = await LimitedTelegram.start({ globalPerSecond: 2, chatPerSecond: 5 });
    try {
      const send = (chat: number) =>
        fetch(`${fake.apiRoot}/bot1:x/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: chat, text: `hello ${chat}` }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { parameters?: { retry_after?: number } } }));
      expect((await send(1)).status).toBe(200);
      expect((await send(2)).status).toBe(200);
      const limited = await send(3);
      expect(limited.status).toBe(429);
      expect(limited.body.parameters?.retry_after).toBe(1);
      expect(fake.delivered.rateLimited).toBe(1);
      expect([...fake.delivered.byChat.keys()]).toEqual(['1', '2']);
    } finally {
      await fake.close();
    }
  });

  it('has a Discord fake that answers 429 past its global limit and returns the earlier message for a repeated nonce', async () => {
    const fake = await LimitedDiscord.start({ globalPerSecond: 3 });
    try {
      const post = (channel: string, nonce: string) =>
        fetch(`${fake.apiBase}/v10/channels/${channel}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'digest', nonce, enforce_nonce: true }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id?: string; retry_after?: number; global?: boolean } }));
      const first = await post('111', 'n1');
      const again = await post('111', 'n1');
      expect(again.body.id).toBe(first.body.id);
      expect(fake.nonceRepeats).toBe(1);
      expect((await post('222', 'n2')).status).toBe(200);
      const limited = await post('333', 'n3');
      expect(limited.status).toBe(429);
      expect(limited.body.global).toBe(true);
      expect(limited.body.retry_after).toBeGreaterThan(0);
      expect(fake.delivered.byChat.get('111')).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
