import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Which special-purpose range an address falls in, for refusing to fetch from hosts inside our own network
 * (SSRF): loopback, private, link-local, CGNAT, unique-local, multicast, reserved, documentation and the
 * unspecified address. `null` means the address is an ordinary public unicast one. IPv6 forms that carry an
 * IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
 * judged by the IPv4 address inside. Anything that is not an IP address at all is reported as such, so a
 * caller that forgot to resolve a name fails closed.
 */
export function privateRange(address: string): string | null {
  const bare = stripZone(address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address);
  const family = isIP(bare);
  if (family === 4) return ipv4Range(parseIpv4(bare));
  if (family === 6) return ipv6Range(parseIpv6(bare));
  return 'not an IP address';
}

/** True when `privateRange` names a range: the address must not be fetched from unless private ones are allowed. */
export function isPrivateAddress(address: string): boolean {
  return privateRange(address) !== null;
}

/** IPv4 ranges as [first address, prefix length, name], from the IANA special-purpose registry. */
const IPV4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network 0.0.0.0/8 (incl. unspecified)'],
  ['10.0.0.0', 8, 'private 10.0.0.0/8'],
  ['100.64.0.0', 10, 'shared address space (CGNAT) 100.64.0.0/10'],
  ['127.0.0.0', 8, 'loopback 127.0.0.0/8'],
  ['169.254.0.0', 16, 'link-local 169.254.0.0/16'],
  ['172.16.0.0', 12, 'private 172.16.0.0/12'],
  ['192.0.0.0', 24, 'IETF protocol assignments 192.0.0.0/24'],
  ['192.0.2.0', 24, 'documentation 192.0.2.0/24'],
  ['192.168.0.0', 16, 'private 192.168.0.0/16'],
  ['198.18.0.0', 15, 'benchmarking 198.18.0.0/15'],
  ['198.51.100.0', 24, 'documentation 198.51.100.0/24'],
  ['203.0.113.0', 24, 'documentation 203.0.113.0/24'],
  ['224.0.0.0', 4, 'multicast 224.0.0.0/4'],
  // 255.255.255.255 (limited broadcast) is the top of this block.
  ['240.0.0.0', 4, 'reserved 240.0.0.0/4 (incl. broadcast)'],
];

const IPV4_TABLE = IPV4_RANGES.map(([first, bits, name]) => ({ base: parseIpv4(first), bits, name }));

function ipv4Range(value: number): string | null {
  for (const { base, bits, name } of IPV4_TABLE) {
    // `>>> 0` keeps the comparison unsigned; a /0 mask would be 0, but no entry has one.
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((value & mask) >>> 0) === base) return name;
  }
  return null;
}

/** An address `isIP` accepted as IPv4 (dotted decimal, four parts) as an unsigned 32-bit number. */
function parseIpv4(text: string): number {
  const parts = text.split('.');
  return parts.reduce((acc, part) => acc * 256 + Number(part), 0) >>> 0;
}

/** An address `isIP` accepted as IPv6 as its eight 16-bit groups (an IPv4 tail becomes the last two). */
function parseIpv6(text: string): number[] {
  const lower = text.toLowerCase();
  const gap = lower.indexOf('::');
  const head = gap === -1 ? lower : lower.slice(0, gap);
  const tail = gap === -1 ? '' : lower.slice(gap + 2);
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIpv4(piece);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const before = groups(head);
  const after = groups(tail);
  const zeros = gap === -1 ? [] : new Array<number>(8 - before.length - after.length).fill(0);
  return [...before, ...zeros, ...after];
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
const lastV4 = (g: number[]) => ((g[6]! << 16) | g[7]!) >>> 0;

function ipv6Range(g: number[]): string | null {
  const zerosUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zerosUpTo(8)) return 'unspecified ::';
  if (zerosUpTo(7) && g[7] === 1) return 'loopback ::1';
  if (zerosUpTo(5) && g[5] === 0xffff) return embedded('IPv4-mapped', lastV4(g));
  // IPv4-compatible (deprecated) ::a.b.c.d; ::1 and :: were handled above.
  if (zerosUpTo(6)) return embedded('IPv4-compatible', lastV4(g));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embedded('NAT64', lastV4(g));
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'local-use NAT64 64:ff9b:1::/48';
  if (g[0] === 0x100 && g.slice(1, 4).every((x) => x === 0)) return 'discard-only 100::/64';
  if (g[0] === 0x2001 && g[1] === 0xdb8) return 'documentation 2001:db8::/32';
  if (g[0] === 0x2002) return embedded('6to4', ((g[1]! << 16) | g[2]!) >>> 0);
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'unique local fc00::/7';
  if ((first & 0xffc0) === 0xfe80) return 'link-local fe80::/10';
  if ((first & 0xffc0) === 0xfec0) return 'site-local fec0::/10';
  if ((first & 0xff00) === 0xff00) return 'multicast ff00::/8';
  return null;
}

function embedded(form: string, v4: number): string | null {
  const range = ipv4Range(v4);
  return range === null ? null : `${form} ${range}`;
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}

/** Resolves a host name to every address it has, as `dns.lookup(name, { all: true })` does. */
export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address. */
export const systemResolver: HostResolver = (hostname, family) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, family }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** A lookup the guard refused: the name resolved to an address in a range we do not fetch from. */
export class PrivateAddressError extends Error {
  readonly code = 'ERR_FEED_PRIVATE_ADDRESS';
  constructor(readonly hostname: string, readonly address: string, readonly range: string) {
    super(`${hostname} resolves to ${address} (${range}); feeds on private addresses are refused`);
    this.name = 'PrivateAddressError';
  }
}

/**
 * An IP address in one spelling (`0:0::1` and `::1`, `::FFFF:127.0.0.1` and `::ffff:7f00:1` compare equal),
 * without brackets or zone; null when it is not an IP address.
 */
export function canonicalAddress(address: string): string | null {
  const bare = stripZone(address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address);
  const family = isIP(bare);
  if (family === 0) return null;
  const host = new URL(family === 6 ? `http://[${bare}]/` : `http://${bare}/`).hostname;
  return family === 6 ? host.slice(1, -1) : host;
}

/** Who may be connected to: every address (`allowPrivate`), else public ones plus the listed exceptions. */
export interface AddressPolicy {
  allowPrivate?: boolean;
  /** Private addresses fetched from anyway (an intranet feed host), in any spelling. */
  allowAddresses?: readonly string[];
}

/** The range that makes `address` off limits under `policy`, or null when it may be connected to. */
export function refusedRange(address: string, policy: AddressPolicy): string | null {
  if (policy.allowPrivate) return null;
  const range = privateRange(address);
  if (range === null || !policy.allowAddresses?.length) return range;
  const canonical = canonicalAddress(address);
  return policy.allowAddresses.some((allowed) => canonicalAddress(allowed) === canonical) ? null : range;
}

/** The callback shapes `net.connect` uses for its `lookup` option (one address, or all of them). */
type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;
interface LookupRequest {
  family?: number | string;
  all?: boolean;
}

/**
 * A `lookup` for `http.request`/`https.request` that resolves the name and refuses it when any of its
 * addresses is private (unless `policy` allows it). Because the socket connects to exactly the addresses this
 * lookup hands back, a name that answers differently on a second query (DNS rebinding) cannot slip a private
 * address past the check. Refusing when *any* address is private, not only the first, also covers Node's
 * happy-eyeballs connect, which may try the addresses after the first.
 */
export function guardedLookup(policy: AddressPolicy, resolver: HostResolver = systemResolver) {
  return (hostname: string, options: LookupRequest | number, callback: LookupCallback): void => {
    const request: LookupRequest = typeof options === 'number' ? { family: options } : options ?? {};
    const family = request.family === 4 || request.family === 'IPv4' ? 4 : request.family === 6 || request.family === 'IPv6' ? 6 : 0;
    resolver(hostname, family).then(
      (addresses) => {
        if (addresses.length === 0) {
          return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '', 0);
        }
        for (const { address } of addresses) {
          const range = refusedRange(address, policy);
          if (range !== null) return callback(new PrivateAddressError(hostname, address, range), '', 0);
        }
        if (request.all) return callback(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, '', 0),
    );
  };
}
