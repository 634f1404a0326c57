import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_ERROR_CODES,
  Newsbrief,
  indexArticles,
  parseNewsArgs,
  parseSubscribeArgs,
  type CommandError,
  type CommandErrorCode,
} from '../src/index.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/index.js';
import * as telegram from '../adapters/telegram/wording.js';
import * as discord from '../adapters/discord/wording.js';
import { commandDefinitions } from '../adapters/discord/commands.js';
import { CLI, TERMINAL, wordError as consoleWords } from '../adapters/console/wording.js';
import { renderErrorText } from '../adapters/console/render.js';
import { Terminal } from '../adapters/console/terminal.js';
import { makeArticle } from './helpers/articles.js';

const space = { key: 'space', name: 'Space', count: 2 };
const ai = { key: 'ai', name: 'AI', count: 0 };

/** One or more errors of every code, as the core makes them. */
const SAMPLES: Record<CommandErrorCode, CommandError[]> = {
  'unknown-topic': [
    { ok: false, code: 'unknown-topic', params: { command: 'news', topic: 'spaec', suggestions: [space] } },
    { ok: false, code: 'unknown-topic', params: { command: 'subscribe', topic: 'spaec', suggestions: [space] } },
    { ok: false, code: 'unknown-topic', params: { command: 'stories', topic: 'spaec', suggestions: [space] } },
    { ok: false, code: 'unknown-topic', params: { command: 'news', topic: 'zzz', suggestions: [] } },
  ],
  'missing-topic': [
    { ok: false, code: 'missing-topic', params: { command: 'news', suggestions: [space] } },
    { ok: false, code: 'missing-topic', params: { command: 'subscribe', suggestions: [space] } },
    { ok: false, code: 'missing-topic', params: { command: 'unsubscribe', suggestions: [ai] } },
    { ok: false, code: 'missing-topic', params: { command: 'pause', suggestions: [ai] } },
    { ok: false, code: 'missing-topic', params: { command: 'resume', suggestions: [ai] } },
    { ok: false, code: 'missing-topic', params: { command: 'preview', suggestions: [ai] } },
  ],
  'bad-count': [
    { ok: false, code: 'bad-count', params: { min: 1, max: 10, given: '50' } },
    { ok: false, code: 'bad-count', params: { min: 1, max: 10, given: '50', option: 'count' } },
  ],
  'bad-time': [{ ok: false, code: 'bad-time', params: { given: '25:00' } }],
  'bad-timezone': [
    { ok: false, code: 'bad-timezone', params: { given: 'Mars/Olympus', suggestions: [] } },
    { ok: false, code: 'bad-timezone', params: { given: 'kyiv', suggestions: ['Europe/Kyiv'] } },
    { ok: false, code: 'bad-timezone', params: { given: 'EST', suggestions: ['America/New_York', 'UTC-5'], abbreviation: true } },
  ],
  'bad-option': [
    { ok: false, code: 'bad-option', params: { option: 'colour', given: 'colour', problem: 'unknown-option' } },
    { ok: false, code: 'bad-option', params: { option: 'days', given: 'days', problem: 'repeated' } },
    { ok: false, code: 'bad-option', params: { option: 'include', given: 'x'.repeat(40), problem: 'too-long', limit: 60 } },
    { ok: false, code: 'bad-option', params: { option: 'exclude', given: 'a,b', problem: 'too-many', limit: 20 } },
    { ok: false, code: 'bad-option', params: { option: 'time', given: '1,2,3,4,5,6,7', problem: 'too-many', limit: 6 } },
    { ok: false, code: 'bad-option', params: { option: 'outlets', given: 'a,b', problem: 'total-too-long', limit: 1000 } },
    { ok: false, code: 'bad-option', params: { option: 'min', given: '500', problem: 'out-of-range', min: 0, max: 100 } },
    { ok: false, code: 'bad-option', params: { option: 'days', given: 'funday', problem: 'bad-day' } },
    { ok: false, code: 'bad-option', params: { option: 'include', given: '!!!', problem: 'no-words' } },
  ],
  'too-many-subscriptions': [{ ok: false, code: 'too-many-subscriptions', params: { count: 25, max: 25 } }],
  'not-subscribed': [
    { ok: false, code: 'not-subscribed', params: { topic: 'Robotics', subscribed: [ai] } },
    { ok: false, code: 'not-subscribed', params: { topic: 'Robotics', subscribed: [ai], command: 'pause' } },
    { ok: false, code: 'not-subscribed', params: { topic: 'Robotics', subscribed: [ai], command: 'preview' } },
  ],
  'no-subscriptions': [{ ok: false, code: 'no-subscriptions', params: {} }],
};
const ALL = COMMAND_ERROR_CODES.flatMap((code) => SAMPLES[code]);

describe('every surface words every error code', () => {
  it('has samples of every code', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...COMMAND_ERROR_CODES].sort());
  });

  it('says each in a sentence with an example, on Telegram, Discord and the terminal', () => {
    for (const error of ALL) {
      for (const words of [telegram.wordError(error), discord.wordError(error), consoleWords(error, TERMINAL)]) {
        expect(words.sentence, error.code).toMatch(/^\S.*[.?]$/);
        expect(words.example, error.code).toBeDefined();
      }
    }
  });

  it('keeps today’s sentences where the words did not need to change', () => {
    const [unknown] = SAMPLES['unknown-topic'];
    expect(telegram.wordError(unknown!).sentence).toBe('No topic "spaec". Did you mean Space?');
    expect(telegram.wordError(SAMPLES['bad-count'][0]!)).toEqual({ sentence: 'The count must be a whole number from 1 to 10.', example: '/news AI 5' });
    expect(telegram.wordError(SAMPLES['bad-time'][0]!)).toEqual({
      sentence: '"25:00" is not a time of day. Use 24-hour HH:MM or 12-hour with am/pm, e.g. 18:00 or 6pm.',
      example: '/subscribe AI 08:30',
    });
    expect(discord.wordError(SAMPLES['not-subscribed'][0]!).sentence).toBe('There is no subscription to "Robotics" here.');
  });

  it('names the zone meant when the city was typed without its region', () => {
    const [, kyiv] = SAMPLES['bad-timezone'];
    expect(telegram.wordError(kyiv!)).toEqual({ sentence: '"kyiv" is not a time zone. Did you mean Europe/Kyiv?', example: '/timezone Europe/Kyiv' });
    expect(discord.wordError(kyiv!).example).toBe('/timezone zone:Europe/Kyiv');
  });

  it('cuts long typed input when echoing it back', () => {
    const long = 'x'.repeat(5000);
    const error: CommandError = { ok: false, code: 'not-subscribed', params: { topic: long, subscribed: [ai] } };
    for (const words of [telegram.wordError(error), discord.wordError(error), consoleWords(error, CLI)]) {
      expect(words.sentence.length).toBeLessThan(200);
    }
  });
});

describe('examples are written in each surface’s own syntax', () => {
  it('Telegram: a slash command with its arguments in order, which the text parsers read back', () => {
    for (const error of ALL) {
      const example = telegram.wordError(error).example!;
      expect(example).toMatch(/^\/[a-z]+( |$)/);
      expect(example).not.toMatch(/\b[a-z]+:[A-Za-z]/);
      const [command, ...rest] = example.split(' ');
      if (command === '/news') expect(parseNewsArgs(rest.join(' ')).topic).toBeDefined();
      if (command === '/subscribe') expect(parseSubscribeArgs(rest.join(' ')).topic).toMatch(/^[A-Z]/);
    }
    expect(telegram.invocation('subscribe', { topic: 'Machine Learning', time: '08:00', timezone: 'Europe/Kyiv' })).toBe(
      '/subscribe Machine Learning 08:00 Europe/Kyiv',
    );
  });

  it('Discord: every argument as a named option the slash command has', () => {
    const options = new Map(commandDefinitions().map((d) => [d.name, new Set((d.options ?? []).map((o) => o.name))]));
    for (const error of ALL) {
      const example = discord.wordError(error).example!;
      const [command, ...rest] = example.slice(1).split(/ (?=[a-z]+:)/);
      expect(options.has(command!), example).toBe(true);
      for (const option of rest) expect(options.get(command!)!.has(option.split(':')[0]!), example).toBe(true);
    }
    expect(discord.invocation('news', { topic: 'AI', count: 5 })).toBe('/news topic:AI count:5');
  });

  it('CLI: newsbrief, a CLI command, the topic in place and options as flags; never a chat command', () => {
    for (const error of ALL) {
      const { sentence, example } = consoleWords(error, CLI);
      expect(sentence).not.toMatch(/(^|\s)\/[a-z]/);
      if (example === undefined) continue;
      expect(example).toMatch(/^newsbrief (news|topics|stories)( |$)/);
    }
    expect(CLI.invocation('news', { topic: 'AI', count: 5 })).toBe('newsbrief news AI --count 5');
    expect(renderErrorText(SAMPLES['unknown-topic'][3]!, CLI)).toBe('No topic "zzz". newsbrief topics lists the known ones.\nExample: newsbrief topics');
    expect(renderErrorText(SAMPLES['unknown-topic'][2]!, CLI)).toContain('Example: newsbrief stories Space');
    // Chat-only commands have no CLI example rather than a wrong one.
    expect(consoleWords(SAMPLES['bad-time'][0]!, CLI).example).toBeUndefined();
  });

  it('terminal: every example runs as typed, without an error', async () => {
    const store = openSqliteStorage(':memory:');
    await store.articles.upsertArticles(
      indexArticles(['AI', 'Space', 'Machine Learning'].map((t) => makeArticle({ topics: [t], title: `${t} news today` }))),
    );
    const app = new Newsbrief({ storage: store });
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += d));
    const terminal = new Terminal({ app, input: new PassThrough(), output });
    for (const error of ALL) {
      await terminal.handle('/subscribe AI');
      const example = consoleWords(error, TERMINAL).example!;
      expect(example).toMatch(/^\/[a-z]+( |$)/);
      const before = text.length;
      await terminal.handle(example);
      expect(text.slice(before), example).not.toMatch(/Example:|Unknown command|Sorry/);
    }
    terminal.close();
    await store.close();
  });
});
