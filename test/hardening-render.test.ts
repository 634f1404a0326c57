import fc from 'fast-check';
import { makeSubscriptionView } from './helpers/articles.js';
import { describe, expect, it } from 'vitest';
import * as discord from '../adapters/discord/render.js';
import * as telegram from '../adapters/telegram/render.js';
import { Newsbrief } from '../src/app.js';
import { parseSeedFile } from '../adapters/sources/seed-folder/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import type { CommandError, DigestItem, TopicSuggestion } from '../src/types.js';
import {
  anyUrl,
  bloatingText,
  digestItem,
  digestLink,
  digestOf,
  discordProblems,
  hostileText,
  maskedLinkTargets,
  telegramHrefs,
  telegramProblems,
} from './helpers/hostile.js';
import { seedFields, seedText } from './helpers/seed-files.js';
import { indexArticles } from '../src/index.js';

const RUNS = { numRuns: 150 };

const provider = fc.record({ name: hostileText(10), domain: fc.oneof(fc.domain(), hostileText(4)) });
const link = fc
  .record({ title: hostileText(20), url: anyUrl(), provider })
  .map((parts) => digestLink(parts));
const item = fc
  .record({
    title: fc.oneof(hostileText(), bloatingText(1000)),
    excerpt: fc.oneof(hostileText(200), bloatingText(6000)),
    url: anyUrl(),
    provider,
    publishedAt: fc.oneof(fc.constant('2026-11-25T08:00:00.000Z'), fc.constant('not a date'), fc.constant('')),
    related: fc.array(link, { maxLength: 6 }),
    alsoCoveredBy: fc.array(link, { maxLength: 4 }),
  })
  .map((parts) => digestItem(parts));
const items = fc.array(item, { maxLength: 10 });
const topic = fc.oneof(hostileText(10), bloatingText(300));
const zone = fc.constantFrom('UTC', 'Europe/Kyiv', 'Asia/Kathmandu', 'America/St_Johns');

function expectTelegramOk(messages: string[], rawLimit = true): string[] {
  expect(messages.length).toBeGreaterThan(0);
  for (const html of messages) expect(telegramProblems(html, { rawLimit }), html.slice(0, 300)).toEqual([]);
  return messages;
}

function expectDiscordOk(messages: discord.DiscordMessage[]): void {
  expect(messages.length).toBeGreaterThan(0);
  for (const msg of messages) expect(discordProblems(msg), JSON.stringify(msg).slice(0, 300)).toEqual([]);
}

const view = (topicName: string, active = true) => makeSubscriptionView(topicName, { active });


/** Any command error, with `text` wherever the user's input or a topic name is echoed back. */
function commandErrors(
  text: fc.Arbitrary<string>,
  suggestions: fc.Arbitrary<TopicSuggestion[]> = fc.array(fc.record({ key: fc.string(), name: text, count: fc.nat() }), { maxLength: 12 }),
): fc.Arbitrary<CommandError> {
  const zones = fc.array(text, { maxLength: 3 });
  return fc.oneof(
    fc.record({ command: fc.constantFrom('news' as const, 'stories' as const, 'subscribe' as const), topic: text, suggestions }).map(
      (params): CommandError => ({ ok: false, code: 'unknown-topic', params }),
    ),
    fc.record({ command: fc.constantFrom('news' as const, 'subscribe' as const, 'unsubscribe' as const), suggestions }).map(
      (params): CommandError => ({ ok: false, code: 'missing-topic', params }),
    ),
    fc.record({ min: fc.nat(), max: fc.nat(), given: text }).map((params): CommandError => ({ ok: false, code: 'bad-count', params })),
    fc.record({ given: text }).map((params): CommandError => ({ ok: false, code: 'bad-time', params })),
    fc.record({ given: text, suggestions: zones }).map((params): CommandError => ({ ok: false, code: 'bad-timezone', params })),
    fc.record({ count: fc.nat(), max: fc.nat() }).map((params): CommandError => ({ ok: false, code: 'too-many-subscriptions', params })),
    fc.record({ topic: text, subscribed: suggestions }).map((params): CommandError => ({ ok: false, code: 'not-subscribed', params })),
    fc.constant<CommandError>({ ok: false, code: 'no-subscriptions', params: {} }),
  );
}

describe('the checks themselves', () => {
  it('catch what the platforms would refuse or what would be unsafe', async () => {
    expect(telegramProblems('<b>x</b> <a href="https://a.example/?a=1&amp;b=2">ok</a>', { rawLimit: true })).toEqual([]);
    expect(telegramProblems('<a href="javascript:alert(1)">x</a>')).not.toEqual([]);
    expect(telegramProblems('<b>x')).not.toEqual([]);
    expect(telegramProblems('a'.repeat(4097))).toEqual(['text is 4097 > 4096']);
    expect(telegramProblems('&amp;'.repeat(1000), { rawLimit: true })).toEqual(['html is 5000 > 4096']);
    expect(telegramProblems('x\ud800')).toContain('lone surrogate');
    expect(telegramHrefs('<a href="https://a.example/?q=&quot;x&quot;">l</a>')).toEqual(['https://a.example/?q="x"']);

    const msg = (content: string): discord.DiscordMessage => ({ content, embeds: [], allowed_mentions: { parse: [] } });
    expect(discordProblems(msg('fine'))).toEqual([]);
    expect(discordProblems(msg('hi @everyone'))).toEqual(['live mention @everyone']);
    expect(discordProblems(msg('<@!123>'))).toEqual(['live mention <@!123>']);
    expect(discordProblems(msg('[x](javascript:alert(1))'))).toEqual(['masked link is not http(s): javascript:alert(1)']);
    expect(discordProblems({ ...msg('x'), allowed_mentions: undefined as never })).toContain('allowed_mentions is not { parse: [] }');
    expect(discordProblems({ ...msg(''), embeds: [{ title: 't'.repeat(257) }] })).toEqual(['embeds[0].title is 257 > 256']);
    expect(maskedLinkTargets('\\[a](https://x.example) \\\\[b](https://y.example)')).toEqual(['https://y.example']);
  });
});

describe('Telegram renderer, for any title, excerpt, provider and URL', () => {
  it('renders every digest as valid Telegram HTML, each message within 4,096 characters, links http(s) only, every item shown in order', async () => {
    fc.assert(
      fc.property(items, topic, zone, (parts, name, timezone) => {
        const messages = expectTelegramOk(telegram.renderDigest(digestOf(parts, name), { timezone }));
        const text = messages.join('\n');
        // Each item opens with its number in bold; every one of them is there, in order.
        const positions = parts.map((_, i) => text.indexOf(`<b>${i + 1}. `));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      }),
      RUNS,
    );
  });

  it('keeps a lone item made of the worst-growing characters inside one message', async () => {
    fc.assert(
      fc.property(bloatingText(1000), bloatingText(6000), fc.array(link, { maxLength: 6 }), (title, excerpt, related) => {
        const messages = expectTelegramOk(telegram.renderDigest(digestOf([digestItem({ title, excerpt, related })])));
        expect(messages).toHaveLength(1);
      }),
      { numRuns: 100 },
    );
  });

  it('renders errors, topic lists, subscriptions and confirmations with hostile names as valid messages', async () => {
    const names = fc.array(fc.oneof(hostileText(10), bloatingText(150)), { maxLength: 70 });
    fc.assert(
      fc.property(commandErrors(hostileText(60)), names, (error, topicNames) => {
        expectTelegramOk([telegram.renderError(error)]);
        const counts = topicNames.map((name, i) => ({ key: `k${i}`, name, count: i }));
        expectTelegramOk(telegram.renderTopics(counts));
        expectTelegramOk(telegram.renderSubscriptions(topicNames.slice(0, 25).map((t, i) => view(t, i % 2 === 0))));
        for (const t of topicNames.slice(0, 3)) expectTelegramOk([telegram.renderSubscribed(view(t), true)]);
        // Telegram counts the limit after entity parsing; escaped names may make the HTML itself longer.
        if (topicNames.length > 0) expectTelegramOk([telegram.renderUnsubscribed(topicNames.slice(0, 25))], false);
      }),
      { numRuns: 100 },
    );
  });
});

describe('Discord renderer, for any title, excerpt, provider and URL', () => {
  it('keeps every message within every embed limit, with mentions off and inert, and links http(s) only', async () => {
    fc.assert(
      fc.property(items, topic, fc.boolean(), (parts, name, scheduled) => {
        const messages = discord.renderDigest(digestOf(parts, name), { scheduled });
        expectDiscordOk(messages);
        expect(messages.flatMap((m) => m.embeds)).toHaveLength(parts.length);
        // Only the story's own URL or a listed link may become a link.
        const allowed = new Set(parts.flatMap((p) => [p.url, ...p.related.map((l) => l.url), ...p.alsoCoveredBy.map((l) => l.url)]));
        const fromInput = [...allowed].map((u) => discord.linkUrl(u)).filter((u): u is string => u !== undefined);
        for (const msg of messages) {
          for (const e of msg.embeds) {
            if (e.url !== undefined) expect(fromInput).toContain(e.url);
            for (const text of [e.description ?? '', ...(e.fields ?? []).map((f) => f.value)]) {
              for (const target of maskedLinkTargets(text)) expect(fromInput).toContain(target);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it('renders errors, topic lists, subscriptions and confirmations with hostile names as valid messages', async () => {
    const names = fc.array(fc.oneof(hostileText(10), bloatingText(150)), { maxLength: 400 });
    const suggestion = fc.record({ key: fc.string(), name: hostileText(10), count: fc.nat() });
    fc.assert(
      fc.property(
        commandErrors(hostileText(60), fc.array(suggestion, { maxLength: 12 })),
        names,
        (error, topicNames) => {
          expectDiscordOk([discord.renderError(error)]);
          expectDiscordOk([discord.renderTopics(topicNames.map((t, i) => ({ key: `k${i}`, name: t, count: i })))]);
          const views = topicNames.slice(0, 25).map((t, i) => view(t, i % 3 !== 0));
          expectDiscordOk([discord.renderSubscriptions(views, 'channel')]);
          for (const v of views.slice(0, 3)) expectDiscordOk([discord.renderSubscribed(v, false, 'dm')]);
          if (topicNames.length > 0) expectDiscordOk([discord.renderUnsubscribed(topicNames.slice(0, 25))]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('from seed file to chat, for any title, excerpt, provider and URL', () => {
  it('whatever ingest accepts, both renderers show validly', async () => {
    const fields = fc.record({
      title: fc.oneof(hostileText(), bloatingText(1200)),
      excerpt: fc.oneof(hostileText(100), bloatingText(5000)),
      webUrl: anyUrl(),
      originalUrl: fc.option(anyUrl(), { nil: undefined }),
      provider: fc.record({ name: hostileText(8), domain: fc.oneof(fc.domain(), hostileText(3)) }),
      related: fc.array(fc.record({ title: hostileText(10), webUrl: anyUrl(), provider: fc.record({ name: hostileText(5) }) }), {
        maxLength: 5,
      }),
    });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fields, { minLength: 1, maxLength: 4 }), async (files) => {
        const store = openSqliteStorage(':memory:');
        try {
          const articles = files.flatMap((f, i) => {
            const parsed = parseSeedFile(`f${i}.md`, Buffer.from(seedText(seedFields({ ...f, topics: ['Hostile'] }))));
            if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
            return parsed.ok ? [parsed.article] : [];
          });
          accepted += articles.length;
          await store.articles.upsertArticles(indexArticles(articles));
          const app = new Newsbrief({ storage: store, clock: () => new Date('2026-03-02T00:00:00Z') });
          const result = await app.news('Hostile', { count: 10 });
          if (articles.length === 0) return;
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          const shown: DigestItem[] = result.digest.items;
          expect(shown.length).toBeGreaterThan(0);
          expectTelegramOk(telegram.renderDigest(result.digest));
          expectDiscordOk(discord.renderDigest(result.digest));
        } finally {
          await store.close();
        }
      }),
      { numRuns: 80 },
    );
    // The property must have exercised the renderers, not only rejections.
    expect(accepted).toBeGreaterThan(20);
  });
});

describe('cases the properties found', () => {
  it('Discord: article text with a bracket before a masked link cannot make a live link', async () => {
    const excerpt = 'See [this] and [Claim your prize](https://evil.example/phish) now';
    const [msg] = discord.renderDigest(digestOf([digestItem({ excerpt, url: 'https://news.example.com/a' })]));
    const embed = msg!.embeds[0]!;
    expect(maskedLinkTargets(embed.description!)).toEqual([]);
    expect(discord.escapeText('[a](https://x.example) [b](https://y.example)')).toBe('\\[a](https://x.example) \\[b](https://y.example)');
  });

  it('Discord: the title of a related link without an http(s) URL cannot become a link', async () => {
    const related = [digestLink({ title: '[Claim](https://evil.example/phish)', url: 'javascript:alert(1)' })];
    const [msg] = discord.renderDigest(digestOf([digestItem({ related })]));
    const field = msg!.embeds[0]!.fields![0]!;
    expect(field.value).toContain('Claim');
    expect(maskedLinkTargets(field.value)).toEqual([]);
  });

  it('Discord: a run of four backticks leaves none live to open a code span', async () => {
    const text = discord.escapeText('````code` and `more');
    expect(text.replace(/\\`/g, '')).not.toContain('`');
  });

  it('both: credentials in a URL are never shown', async () => {
    const item = digestItem({ url: 'https://reader:s3cret@news.example.com/a', related: [digestLink({ url: 'https://x:y@other.example/b' })] });
    const html = telegram.renderDigest(digestOf([item])).join('');
    const json = JSON.stringify(discord.renderDigest(digestOf([item])));
    for (const shown of [html, json]) {
      expect(shown).not.toMatch(/s3cret|reader@|x:y@/);
      expect(shown).toContain('https://news.example.com/a');
    }
  });
});
