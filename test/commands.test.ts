import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COMMAND_CATALOGUE,
  MAX_COUNT,
  MIN_COUNT,
  Newsbrief,
  commandsFor,
  describeArgument,
  indexArticles,
  isWholeNumber,
  silentLogger,
  type CommandSpec,
  type Surface,
} from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import { COMMANDS as TELEGRAM_COMMANDS, renderHelp as telegramHelp } from '../adapters/telegram/render.js';
import { CommandName, commandDefinitions, MANAGE_PERMISSION } from '../adapters/discord/commands.js';
import { renderHelp as discordHelp } from '../adapters/discord/render.js';
import { createDiscordBot } from '../adapters/discord/bot.js';
import { invocation as discordInvocation } from '../adapters/discord/wording.js';
import { TERMINAL_HELP, Terminal } from '../adapters/console/terminal.js';
import { CLI, TERMINAL, commandExample } from '../adapters/console/wording.js';
import { main } from '../entry/cli.js';
import { captureIO } from './helpers/cli.js';
import { makeArticle } from './helpers/articles.js';
import { startTelegramHarness, privateChat, user, type TelegramHarness } from './helpers/fake-telegram.js';
import { FakeDiscord, Perm } from './helpers/fake-discord.js';

const names = (specs: readonly CommandSpec[]) => specs.map((c) => c.name);
const offeredOn = (surface: Surface) => names(COMMAND_CATALOGUE.filter((c) => c.surfaces.includes(surface)));

function articles() {
  return indexArticles([
    makeArticle({ title: 'Chips double AI speed', topics: ['AI'] }),
    makeArticle({ title: 'Transformers learn faster', topics: ['Machine Learning'] }),
  ]);
}

describe('the command catalogue', () => {
  it('names each command once, within Discord’s limits, with a summary of one short line', () => {
    expect(new Set(names(COMMAND_CATALOGUE)).size).toBe(COMMAND_CATALOGUE.length);
    for (const c of COMMAND_CATALOGUE) {
      expect(c.name).toMatch(/^[a-z]{1,32}$/);
      expect(c.summary.length).toBeGreaterThan(0);
      expect(c.summary.length).toBeLessThanOrEqual(100);
      expect(c.summary).not.toContain('\n');
      expect(c.surfaces.length).toBeGreaterThan(0);
      for (const a of c.arguments) {
        expect(a.name).toMatch(/^[a-z]{1,32}$/);
        expect(describeArgument(a).length).toBeLessThanOrEqual(100);
      }
    }
  });

  it('gives every command an example with each required argument and no unknown one', () => {
    for (const c of COMMAND_CATALOGUE) {
      const argumentNames = c.arguments.map((a) => a.name);
      for (const name of Object.keys(c.example)) expect(argumentNames, `/${c.name} example`).toContain(name);
      for (const a of c.arguments.filter((a) => a.required)) expect(c.example[a.name], `/${c.name} ${a.name}`).toBeDefined();
    }
  });

  it('holds the count limits the core checks', async () => {
    const count = COMMAND_CATALOGUE.find((c) => c.name === 'news')!.arguments.find((a) => a.name === 'count')!;
    expect([count.min, count.max]).toEqual([MIN_COUNT, MAX_COUNT]);
    const store = openSqliteStorage(':memory:');
    await store.articles.upsertArticles(articles());
    const app = new Newsbrief({ storage: store });
    expect((await app.news('AI', { count: MAX_COUNT })).ok).toBe(true);
    expect((await app.news('AI', { count: MIN_COUNT })).ok).toBe(true);
    expect(await app.news('AI', { count: MAX_COUNT + 1 })).toMatchObject({ code: 'bad-count', params: { min: MIN_COUNT, max: MAX_COUNT } });
    expect(await app.news('AI', { count: MIN_COUNT - 1 })).toMatchObject({ code: 'bad-count' });
    await store.close();
  });
});

describe('Telegram’s menu and /help agree with the catalogue', () => {
  let h: TelegramHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('lists exactly the Telegram commands, with the catalogue’s summaries, in the menu and in /help', async () => {
    expect(TELEGRAM_COMMANDS.map((c) => c.command)).toEqual(offeredOn('telegram'));
    for (const c of TELEGRAM_COMMANDS) {
      expect(c.description).toBe(COMMAND_CATALOGUE.find((s) => s.name === c.command)!.summary);
      expect(telegramHelp()).toContain(`/${c.command} — ${c.description.replace(/’/g, '’')}`);
      expect(telegramHelp()).toContain(c.example.replace(/&/g, '&amp;'));
    }
    h = await startTelegramHarness();
    const [menu] = h.fake.callsOf('setMyCommands');
    expect(menu!.payload.commands).toEqual(TELEGRAM_COMMANDS.map(({ command, description }) => ({ command, description })));
  });

  it('answers every command in the menu with its example, none as an unknown command', async () => {
    h = await startTelegramHarness({ articles: [makeArticle({ topics: ['AI'] }), makeArticle({ topics: ['Machine Learning'] })] });
    const alice = user(301, 'Alice');
    const chat = privateChat(alice);
    // So that /unsubscribe's example has something to remove.
    await h.app.subscribe({ platform: 'telegram', chatId: String(alice.id) }, 'AI');
    for (const c of TELEGRAM_COMMANDS) {
      const since = h.fake.mark();
      h.fake.sendText({ from: alice, chat, text: c.example });
      const [reply] = await h.fake.waitForCalls('sendMessage', 1, { since });
      expect(String(reply!.payload.text), c.example).not.toMatch(/Unknown command|⚠️/);
    }
  });
});

describe('Discord’s slash commands and help agree with the catalogue', () => {
  const definitions = commandDefinitions();

  it('defines exactly the Discord commands, with the catalogue’s summaries, audiences and options', () => {
    expect(definitions.map((d) => d.name)).toEqual(offeredOn('discord'));
    expect(Object.values(CommandName).sort()).toEqual(offeredOn('discord').sort());
    for (const d of definitions) {
      const spec = COMMAND_CATALOGUE.find((c) => c.name === d.name)!;
      expect(d.description).toBe(spec.summary);
      expect(d.default_member_permissions ?? null).toBe(spec.audience === 'managers' ? String(MANAGE_PERMISSION) : null);
      expect((d.options ?? []).map((o) => o.name)).toEqual(spec.arguments.map((a) => a.name));
      for (const [i, a] of spec.arguments.entries()) {
        const o = d.options![i] as unknown as Record<string, unknown>;
        expect(o.description).toBe(describeArgument(a));
        expect(String(o.description).length).toBeLessThanOrEqual(100);
        expect(o.type).toBe(isWholeNumber(a) ? 4 : 3);
        expect(o.required ?? false).toBe(a.required);
        expect(o.autocomplete ?? false).toBe(a.autocomplete ?? false);
        expect(o.min_value).toBe(a.min);
        expect(o.max_value).toBe(a.max);
        expect(o.max_length).toBe(a.maxLength);
      }
    }
  });

  it('lists every Discord command in /help and who may use the managed ones', () => {
    const embed = discordHelp().embeds[0]!;
    for (const c of commandsFor('discord')) expect(embed.description).toContain(`**/${c.name}**`);
    for (const c of commandsFor('discord').filter((c) => c.audience === 'managers')) expect(embed.footer!.text).toContain(`/${c.name}`);
  });

  it('answers every slash command with its catalogue example, none as an outdated command', async () => {
    const fake = await FakeDiscord.start();
    const store = openSqliteStorage(':memory:');
    await store.articles.upsertArticles(articles());
    const app = new Newsbrief({ storage: store });
    const bot = createDiscordBot({ token: fake.token, apiBase: fake.apiBase, app, logger: silentLogger });
    try {
      await bot.start();
      const dm = await fake.slash('subscribe', { topic: 'AI' }, { kind: 'dm' }).callback;
      expect(JSON.stringify(dm.body.data)).toContain('now subscribed');
      for (const spec of commandsFor('discord')) {
        const options = Object.fromEntries(
          spec.arguments.filter((a) => spec.example[a.name] !== undefined).map((a) => [a.name, isWholeNumber(a) ? Number(spec.example[a.name]) : spec.example[a.name]]),
        );
        const reply = await fake.slash(spec.name, options, { kind: 'dm' }).callback;
        const text = JSON.stringify(reply.body.data);
        expect(text, discordInvocation(spec.name, spec.example)).not.toMatch(/current commands|went wrong|Example:/);
      }
    } finally {
      await bot.stop();
      await fake.close();
      await store.close();
    }
  });
});

describe('the terminal help agrees with the catalogue', () => {
  it('has a usage line for every terminal command and no other', () => {
    // The command list ends at the first blank line (the options of /subscribe follow); a long usage has its
    // summary on the next line.
    const lines = TERMINAL_HELP.split('\n\n')[0]!.split('\n').slice(1).filter((l) => l.startsWith('  /'));
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual(offeredOn('terminal').map((n) => `/${n}`));
    for (const c of commandsFor('terminal')) expect(TERMINAL_HELP).toContain(TERMINAL.usage(c));
    expect(TERMINAL_HELP).toContain(`/news TOPIC [N]`);
  });

  it('runs every terminal command’s example, none as an unknown command or an error', async () => {
    const store = openSqliteStorage(':memory:');
    await store.articles.upsertArticles(articles());
    const app = new Newsbrief({ storage: store });
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += d));
    const terminal = new Terminal({ app, input: new PassThrough(), output });
    await terminal.handle('subscribe AI');
    for (const c of commandsFor('terminal')) {
      const before = text.length;
      const keepGoing = await terminal.handle(commandExample(TERMINAL, c.name));
      expect(keepGoing).toBe(c.name !== 'quit');
      expect(text.slice(before), c.name).not.toMatch(/Unknown command|Example:|Sorry/);
    }
    terminal.close();
    await store.close();
  });
});

describe('the CLI usage agrees with the catalogue', () => {
  it('has a usage line for every CLI command, the count limits, and names them all for an unknown command', async () => {
    const help = captureIO();
    expect(await main(['help'], help.io)).toBe(0);
    for (const c of commandsFor('cli')) expect(help.stdout()).toContain(`  ${CLI.usage(c)}`);
    expect(help.stdout()).toContain('newsbrief news TOPIC [--count N]');
    expect(help.stdout()).toContain(`${MIN_COUNT}–${MAX_COUNT}`);
    const unknown = captureIO();
    expect(await main(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain(`Commands: ${[...offeredOn('cli'), 'migrate-db', 'sources', 'health', 'articles'].join(', ')}.`);
  });

  it('offers the commands the CLI runs, not the chat-only ones', () => {
    expect(offeredOn('cli')).toEqual(expect.arrayContaining(['news', 'topics', 'stories', 'ingest', 'start', 'help']));
    for (const chatOnly of ['subscribe', 'unsubscribe', 'subscriptions', 'timezone', 'quit']) expect(offeredOn('cli')).not.toContain(chatOnly);
  });
});
