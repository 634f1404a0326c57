import { describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { checkFeedUrl, MAX_FEED_URL_LENGTH } from '../adapters/sources/feeds/fetch-url.js';
import {
  canonicalAddress,
  guardedLookup,
  isPrivateAddress,
  PrivateAddressError,
  privateRange,
  refusedRange,
  type HostResolver,
} from '../adapters/sources/feeds/net-guard.js';

describe('privateRange: IPv4', () => {
  const refused: Array<[string, string]> = [
    ['0.0.0.0', 'this network'],
    ['0.255.255.255', 'this network'],
    ['10.0.0.1', 'private 10.0.0.0/8'],
    ['10.255.255.255', 'private 10.0.0.0/8'],
    ['100.64.0.0', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private 172.16.0.0/12'],
    ['172.31.255.255', 'private 172.16.0.0/12'],
    ['192.0.0.170', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['192.168.1.1', 'private 192.168.0.0/16'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ];
  it.each(refused)('%s is refused (%s)', (address, name) => {
    expect(privateRange(address)).toContain(name);
  });

  const allowed = ['1.1.1.1', '8.8.8.8', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0',
    '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.0', '192.167.255.255', '192.169.0.0', '198.17.255.255',
    '198.20.0.0', '223.255.255.255', '93.184.216.34'];
  it.each(allowed)('%s is public', (address) => {
    expect(privateRange(address)).toBeNull();
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('privateRange: IPv6', () => {
  const refused: Array<[string, string]> = [
    ['::', 'unspecified'],
    ['::1', 'loopback ::1'],
    ['[::1]', 'loopback ::1'],
    ['0:0:0:0:0:0:0:1', 'loopback ::1'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::FFFF:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.1.2.3', 'IPv4-mapped private 10.0.0.0/8'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'IPv4-mapped private 192.168.0.0/16'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::7f00:1', 'NAT64 loopback'],
    ['64:ff9b::10.0.0.1', 'NAT64 private'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['100::1', 'discard-only'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::', '6to4 loopback'],
    ['2002:c0a8:101::1', '6to4 private 192.168.0.0/16'],
    ['fc00::1', 'unique local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['ff0e::1', 'multicast'],
  ];
  it.each(refused)('%s is refused (%s)', (address, name) => {
    expect(privateRange(address)).toContain(name);
  });

  const allowed = ['2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', 'fbff::1',
    'fe00::1', '2a00:1450:4001:80b::200e'];
  it.each(allowed)('%s is public', (address) => {
    expect(privateRange(address)).toBeNull();
  });

  it('fails closed on anything that is not an IP address', () => {
    for (const notAnAddress of ['localhost', 'example.com', '', '1.2.3', '::ffff:1.2.3.4.5', '[::1', '12345::']) {
      expect(privateRange(notAnAddress), notAnAddress).toBe('not an IP address');
    }
  });
});

describe('exceptions to the guard', () => {
  it('compares addresses in one spelling', () => {
    expect(canonicalAddress('0:0:0::1')).toBe('::1');
    expect(canonicalAddress('[::FFFF:127.0.0.1]')).toBe('::ffff:7f00:1');
    expect(canonicalAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('intranet')).toBeNull();
  });

  it('lets only the listed private addresses through', () => {
    const policy = { allowAddresses: ['10.0.0.5', '::1'] };
    expect(refusedRange('10.0.0.5', policy)).toBeNull();
    expect(refusedRange('0:0::1', policy)).toBeNull();
    expect(refusedRange('10.0.0.6', policy)).toContain('private');
    expect(refusedRange('::ffff:10.0.0.5', policy)).toContain('IPv4-mapped');
    expect(refusedRange('192.168.0.1', { allowPrivate: true })).toBeNull();
  });
});

describe('checkFeedUrl', () => {
  it('accepts http and https URLs, normalised and without the fragment', () => {
    expect(checkFeedUrl('  HTTPS://Example.COM/feed.xml#top ')).toEqual({ ok: true, url: 'https://example.com/feed.xml' });
    expect(checkFeedUrl('http://example.com:8080/rss?x=1')).toEqual({ ok: true, url: 'http://example.com:8080/rss?x=1' });
  });

  it.each([
    ['ftp://example.com/feed', 'not ftp:'],
    ['file:///etc/passwd', 'not file:'],
    ['javascript:alert(1)', 'not javascript:'],
    ['gopher://example.com/', 'not gopher:'],
    ['not a url', 'not a valid absolute URL'],
    ['/relative/feed.xml', 'not a valid absolute URL'],
    ['', 'empty'],
    ['https://user:pass@example.com/feed', 'user name or password'],
    ['https://user@example.com/feed', 'user name or password'],
    [`https://example.com/${'a'.repeat(MAX_FEED_URL_LENGTH)}`, 'longer than 2048'],
  ])('refuses %s', (url, reason) => {
    const result = checkFeedUrl(url);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it.each([
    'http://127.0.0.1/feed',
    'http://127.1/feed',
    'http://0x7f000001/feed',
    'http://2130706433/feed',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.1.1/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
  ])('refuses the private IP literal in %s unless private addresses are allowed', (url) => {
    const result = checkFeedUrl(url);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain('private address');
    expect(checkFeedUrl(url, { allowPrivate: true }).ok).toBe(true);
  });

  it('refuses localhost names (RFC 6761) unless private addresses are allowed', () => {
    for (const url of ['http://localhost/', 'http://LOCALHOST./feed', 'http://feeds.localhost:8080/']) {
      expect(checkFeedUrl(url).ok, url).toBe(false);
      expect(checkFeedUrl(url, { allowPrivate: true }).ok, url).toBe(true);
    }
    expect(checkFeedUrl('http://localhost.example.com/').ok).toBe(true);
  });
});

describe('guardedLookup', () => {
  const fixed = (...addresses: LookupAddress[]): HostResolver => async () => addresses;
  const call = (lookup: ReturnType<typeof guardedLookup>, options: { all?: boolean; family?: number }) =>
    new Promise<{ error: Error | null; address: unknown; family: unknown }>((resolve) =>
      lookup('feeds.example.org', options, (error, address, family) => resolve({ error, address, family })),
    );

  it('answers both shapes net.connect asks for: one address, or all of them', async () => {
    const lookup = guardedLookup({}, fixed({ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }));
    expect(await call(lookup, {})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await call(lookup, { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      family: undefined,
    });
  });

  it('refuses when any address is private, naming the host, address and range', async () => {
    const lookup = guardedLookup({}, fixed({ address: '93.184.216.34', family: 4 }, { address: 'fd00::5', family: 6 }));
    const { error } = await call(lookup, { all: true });
    expect(error).toBeInstanceOf(PrivateAddressError);
    expect(error!.message).toBe('feeds.example.org resolves to fd00::5 (unique local fc00::/7); feeds on private addresses are refused');
  });

  it('passes the requested family to the resolver and reports resolver failures as they are', async () => {
    const families: number[] = [];
    const lookup = guardedLookup({ allowPrivate: true }, async (_name, family) => {
      families.push(family);
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    const { error } = await call(lookup, { family: 6 });
    expect(families).toEqual([6]);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });

  it('treats an empty answer as not found', async () => {
    const { error } = await call(guardedLookup({}, fixed()), {});
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });
});
