import { cutAtWord, knownTimezones, parseTimezone, type Newsbrief, type Target } from '../../src/index.js';
import { MAX_CHOICES, MAX_CHOICE_LENGTH } from './commands.js';

/** One autocomplete suggestion as Discord takes it. */
export interface Choice {
  name: string;
  value: string;
}

// Older ICU data lists some zones only by their former names; users look for the current ones.
const RENAMED: Record<string, string> = {
  'Europe/Kiev': 'Europe/Kyiv',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'America/Godthab': 'America/Nuuk',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Enderbury': 'Pacific/Kanton',
};

interface Zone {
  name: string;
  /** Lower-case names it is found by: its own and a former one. */
  keys: string[];
}

let zones: readonly Zone[] | undefined;

/** Zones to suggest: UTC first, then every IANA zone this runtime knows, by their current names. */
export function timezoneNames(): readonly string[] {
  return zoneList().map((z) => z.name);
}

function zoneList(): readonly Zone[] {
  if (zones) return zones;
  const byName = new Map<string, Zone>();
  for (const known of knownTimezones()) {
    const current = RENAMED[known];
    const name = current && parseTimezone(current).ok ? current : known;
    const zone = byName.get(name) ?? { name, keys: [name.toLowerCase()] };
    if (known !== name) zone.keys.push(known.toLowerCase());
    byName.set(name, zone);
  }
  const utc = byName.get('UTC') ?? { name: 'UTC', keys: ['utc'] };
  byName.delete('UTC');
  zones = [utc, ...[...byName.values()].sort((a, b) => a.name.localeCompare(b.name))];
  return zones;
}

/**
 * Typed input looked at: Discord caps option values at 100 characters, but an interaction is untrusted,
 * and each keystroke's suggestions must stay cheap.
 */
const MAX_INPUT = 100;

// Users type "new york" or "kyiv"; zone names say "America/New_York". One character class: linear.
function zoneKey(text: string): string {
  return text.slice(0, MAX_INPUT).trim().toLowerCase().replace(/[\s_]+/g, '_');
}

/** Time zone suggestions: names (or their city part) starting with the input first, then names containing it. */
export function completeTimezone(partial: string, limit: number = MAX_CHOICES): Choice[] {
  const key = zoneKey(partial);
  const prefix: string[] = [];
  const contains: string[] = [];
  for (const zone of zoneList()) {
    const city = (k: string) => k.slice(k.lastIndexOf('/') + 1);
    if (zone.keys.some((k) => k.startsWith(key) || city(k).startsWith(key))) prefix.push(zone.name);
    else if (zone.keys.some((k) => k.includes(key))) contains.push(zone.name);
    if (prefix.length >= limit) break;
  }
  return [...prefix, ...contains].slice(0, limit).map((zone) => ({ name: zone, value: zone }));
}

function choice(name: string, value: string): Choice {
  return { name: cutAtWord(name, MAX_CHOICE_LENGTH), value: value.slice(0, MAX_CHOICE_LENGTH) };
}

/** Topic suggestions from the core, labelled with their article counts. */
export async function completeTopic(app: Newsbrief, partial: string): Promise<Choice[]> {
  return (await app.completeTopic(partial.slice(0, MAX_INPUT), MAX_CHOICES))
    .slice(0, MAX_CHOICES)
    .map((t) => choice(`${t.name} (${t.count})`, t.name));
}

/** What /unsubscribe can remove here: the target's topics, then "all" when there are any. */
export async function completeSubscribed(app: Newsbrief, target: Target, partial: string): Promise<Choice[]> {
  const key = partial.slice(0, MAX_INPUT).trim().toLowerCase();
  const subs = (await app.subscriptions(target)).map((v) => v.subscription);
  const matching = subs.filter((s) => s.topic.toLowerCase().includes(key) || s.topicKey.includes(key));
  const starts = (s: { topic: string }) => (s.topic.toLowerCase().startsWith(key) ? 0 : 1);
  const ordered = [...matching].sort((a, b) => starts(a) - starts(b));
  const offerAll = subs.length > 0 && 'all'.startsWith(key);
  const choices = ordered.slice(0, MAX_CHOICES - (offerAll ? 1 : 0)).map((s) => choice(s.topic, s.topic));
  if (offerAll) choices.push(choice(`all (${subs.length} subscriptions)`, 'all'));
  return choices;
}
