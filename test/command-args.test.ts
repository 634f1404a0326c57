import { describe, expect, it } from 'vitest';
import { parseNewsArgs, parseSubscribeArgs } from '../src/command-args.js';

describe('command arguments', () => {
  it('takes a trailing whole number off /news as the count; the rest, spaces and all, is the topic', () => {
    expect(parseNewsArgs('Machine Learning 3')).toEqual({ topic: 'Machine Learning', count: '3' });
    expect(parseNewsArgs('  Computer   Vision ')).toEqual({ topic: 'Computer Vision' });
    expect(parseNewsArgs('5')).toEqual({ topic: undefined, count: '5' });
    expect(parseNewsArgs('')).toEqual({ topic: undefined });
    expect(parseNewsArgs(undefined)).toEqual({ topic: undefined });
  });

  it('takes time and zone off the end of /subscribe in either order', () => {
    expect(parseSubscribeArgs('Machine Learning 08:00 Europe/Kyiv')).toEqual({
      topic: 'Machine Learning',
      time: '08:00',
      timezone: 'Europe/Kyiv',
    });
    expect(parseSubscribeArgs('AI Europe/Kyiv 7:30')).toEqual({ topic: 'AI', time: '7:30', timezone: 'Europe/Kyiv' });
    expect(parseSubscribeArgs('AI utc')).toEqual({ topic: 'AI', timezone: 'utc' });
    expect(parseSubscribeArgs('Computer Vision 9')).toEqual({ topic: 'Computer Vision', time: '9' });
    expect(parseSubscribeArgs('Computer Vision')).toEqual({ topic: 'Computer Vision' });
  });

  it('passes wrong times and zones through, so the core can say what is wrong with them', () => {
    expect(parseSubscribeArgs('AI 25:99')).toEqual({ topic: 'AI', time: '25:99' });
    expect(parseSubscribeArgs('AI 8pm Mars/Olympus')).toEqual({ topic: 'AI', time: '8pm', timezone: 'Mars/Olympus' });
    expect(parseSubscribeArgs('AI GMT+2')).toEqual({ topic: 'AI', timezone: 'GMT+2' });
  });

  it('takes name=value options off the end in any order, beside time and zone, so multi-word topics still work', () => {
    expect(
      parseSubscribeArgs('Machine Learning 08:00,18:00 Europe/Kyiv days=mon-fri count=3 include="openai, gpt" exclude=crypto outlets=example.com min=60'),
    ).toEqual({
      topic: 'Machine Learning',
      time: '08:00,18:00',
      timezone: 'Europe/Kyiv',
      days: 'mon-fri',
      count: '3',
      include: '"openai, gpt"',
      exclude: 'crypto',
      outlets: 'example.com',
      min: '60',
    });
    expect(parseSubscribeArgs('Computer Vision min=50 9am')).toEqual({ topic: 'Computer Vision', min: '50', time: '9am' });
    expect(parseSubscribeArgs('AI count=2')).toEqual({ topic: 'AI', count: '2' });
    expect(parseSubscribeArgs('AI tz=UTC+3 times=8,20 quality=40')).toEqual({ topic: 'AI', timezone: 'UTC+3', time: '8,20', min: '40' });
  });

  it('keeps a phrase in typographic quotes together, and an unclosed quote runs to the end', () => {
    expect(parseSubscribeArgs('AI exclude=“price prediction, nft”')).toEqual({ topic: 'AI', exclude: '“price prediction, nft”' });
    expect(parseSubscribeArgs('AI include="deep learning')).toEqual({ topic: 'AI', include: '"deep learning' });
  });

  it('reads "9 am" as one time and 12-hour times and offsets by their shape', () => {
    expect(parseSubscribeArgs('AI 9 am')).toEqual({ topic: 'AI', time: '9am' });
    expect(parseSubscribeArgs('AI 6:30pm +03:00')).toEqual({ topic: 'AI', time: '6:30pm', timezone: '+03:00' });
    expect(parseSubscribeArgs('AI GMT-5')).toEqual({ topic: 'AI', timezone: 'GMT-5' });
  });

  it('hands a zone abbreviation, or any word right after a clock time, to the core as the zone', () => {
    expect(parseSubscribeArgs('space 09:15 EST')).toEqual({ topic: 'space', time: '09:15', timezone: 'EST' });
    expect(parseSubscribeArgs('space 09:15 Moonbase')).toEqual({ topic: 'space', time: '09:15', timezone: 'Moonbase' });
    // Without a clock time before it, a word is part of the topic; a bare number still reads as a time.
    expect(parseSubscribeArgs('Formula 1 Racing')).toEqual({ topic: 'Formula 1 Racing' });
    expect(parseSubscribeArgs('Open Source est')).toEqual({ topic: 'Open Source est' });
  });

  it('passes an unknown option or one given twice on as a stray, for the core to name', () => {
    expect(parseSubscribeArgs('AI colour=blue')).toEqual({ topic: 'AI', stray: { option: 'colour', problem: 'unknown-option' } });
    expect(parseSubscribeArgs('AI count=2 count=3')).toEqual({ topic: 'AI', count: '3', stray: { option: 'count', problem: 'repeated' } });
    expect(parseSubscribeArgs('AI constructor=1')).toMatchObject({ stray: { option: 'constructor', problem: 'unknown-option' } });
  });

  it('keeps a topic with an equals sign of one letter (E=mc2) as the topic', () => {
    expect(parseSubscribeArgs('E=mc2')).toEqual({ topic: 'E=mc2' });
  });
});
