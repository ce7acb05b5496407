import { isIP } from 'node:net';
import { ClaimsgateError } from '../lib/errors.js';

/*
 * Which network addresses a metadata fetch may connect to (SSRF defence).
 * Checked on the address a host name resolved to, at connect time, for
 * every hop: a check of the URL's spelling alone is passed by any DNS name
 * that resolves to 127.0.0.1.
 */

/** One special-purpose range: its label for messages and its bits. */
interface Range {
  readonly label: string;
  /** The network as 32 (IPv4) or 128 (IPv6) bits. */
  readonly network: bigint;
  readonly prefix: number;
}

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((bits, part) => (bits << 8n) | BigInt(Number(part)), 0n);
}

/** An IPv6 address as 128 bits (an embedded dotted IPv4 tail included); undefined when it is not one. */
function ipv6Bits(address: string): bigint | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (isIP(text) !== 6) return undefined;
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted !== null) {
    const v4 = ipv4Bits(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail = ''] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = text.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function range4(cidr: string, label: string): Range {
  const [network = '', prefix = '32'] = cidr.split('/');
  return { label: `${label} (${cidr})`, network: ipv4Bits(network), prefix: Number(prefix) };
}

function range6(cidr: string, label: string): Range {
  const [network = '', prefix = '128'] = cidr.split('/');
  return { label: `${label} (${cidr})`, network: ipv6Bits(network)!, prefix: Number(prefix) };
}

const IPV4_RANGES: readonly Range[] = [
  range4('0.0.0.0/8', 'unspecified'),
  range4('10.0.0.0/8', 'private'),
  range4('100.64.0.0/10', 'shared address space'),
  range4('127.0.0.0/8', 'loopback'),
  range4('169.254.0.0/16', 'link-local'),
  range4('172.16.0.0/12', 'private'),
  range4('192.0.0.0/24', 'reserved (IETF protocol assignments)'),
  range4('192.0.2.0/24', 'reserved (documentation)'),
  range4('192.168.0.0/16', 'private'),
  range4('198.18.0.0/15', 'reserved (benchmarking)'),
  range4('198.51.100.0/24', 'reserved (documentation)'),
  range4('203.0.113.0/24', 'reserved (documentation)'),
  range4('224.0.0.0/4', 'multicast'),
  range4('240.0.0.0/4', 'reserved'),
];

const IPV6_RANGES: readonly Range[] = [
  range6('::/128', 'unspecified'),
  range6('::1/128', 'loopback'),
  range6('64:ff9b:1::/48', 'NAT64 (local use)'),
  range6('100::/64', 'reserved (discard-only)'),
  range6('2001::/32', 'Teredo'),
  range6('2001:db8::/32', 'reserved (documentation)'),
  range6('fc00::/7', 'private (unique local)'),
  range6('fe80::/10', 'link-local'),
  range6('fec0::/10', 'private (site-local)'),
  range6('ff00::/8', 'multicast'),
];

/** IPv6 prefixes whose last 32 bits are an IPv4 address that the connection reaches. */
const EMBEDDING_IPV4: readonly Range[] = [
  range6('::ffff:0:0/96', 'IPv4-mapped'),
  range6('::ffff:0:0:0/96', 'IPv4-translated (SIIT)'),
  range6('::/96', 'IPv4-compatible'),
  range6('64:ff9b::/96', 'NAT64'),
];

const SIX_TO_FOUR: Range = range6('2002::/16', '6to4');

/** The dotted form of the low 32 bits. */
function dottedOf(bits: bigint): string {
  const v4 = bits & 0xffffffffn;
  return [24n, 16n, 8n, 0n].map((shift) => String((v4 >> shift) & 0xffn)).join('.');
}

function within(bits: bigint, width: number, range: Range): boolean {
  const shift = BigInt(width - range.prefix);
  return bits >> shift === range.network >> shift;
}

/**
 * The special-purpose range an IP address is in — unspecified, loopback,
 * private, shared, link-local, multicast or reserved (documentation,
 * benchmarking, IETF assignments, Teredo, local-use NAT64), IPv4 or IPv6,
 * and IPv4 addresses embedded in IPv6 (`::ffff:127.0.0.1`,
 * `::ffff:0:7f00:1`, `64:ff9b::a00:1`, 6to4 `2002:a00:1::`) as their IPv4 —
 * or undefined for a public address. Not an IP address:
 * undefined.
 */
export function specialRangeOf(address: string): string | undefined {
  if (isIP(address) === 4) {
    const bits = ipv4Bits(address);
    return IPV4_RANGES.find((range) => within(bits, 32, range))?.label;
  }
  const bits = ipv6Bits(address);
  if (bits === undefined) return undefined;
  const own = IPV6_RANGES.find((range) => within(bits, 128, range));
  // ::1 and :: are themselves in ::/96: their own label wins.
  if (own !== undefined) return own.label;
  if (EMBEDDING_IPV4.some((range) => within(bits, 128, range))) return specialRangeOf(dottedOf(bits));
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits: a relay would reach it.
  if (within(bits, 128, SIX_TO_FOUR)) return specialRangeOf(dottedOf(bits >> 80n));
  return undefined;
}

/** A URL's host without IPv6 brackets or a final dot, lower-cased. */
export function bareHost(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const lower = unbracketed.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * True for a host that names this machine by its plain spelling:
 * `localhost` and `*.localhost` (with or without the final dot),
 * 127.0.0.0/8, 0.0.0.0/8 (connecting to it reaches local listeners), `::1`,
 * `::`, and their IPv4-mapped forms (`::ffff:127.0.0.1`). Other IPv6 forms
 * that embed an IPv4 address (IPv4-compatible, SIIT, NAT64, 6to4) are not
 * this machine's names: they are special addresses, refused like any other.
 * The one rule for "names this machine", for the plain-http exception and
 * for the connect-time address check alike (security review, round 3: the
 * two disagreed on embedded forms).
 */
export function isLoopbackName(host: string): boolean {
  const name = bareHost(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.') || name.startsWith('0.');
  if (isIP(name) !== 6) return false;
  if (name === '::1' || name === '::') return true;
  // The URL parser writes [::ffff:127.0.0.1] as [::ffff:7f00:1]; both spellings are read.
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):[0-9a-f]{1,4})$/.exec(name);
  if (mapped === null) return false;
  if (mapped[1] !== undefined) return mapped[1].startsWith('127.') || mapped[1].startsWith('0.');
  const high = Number.parseInt(mapped[2]!, 16);
  return high >> 8 === 0x7f || high >> 8 === 0;
}

/**
 * Hosts the operator lets resolve to special addresses: host names (exact,
 * any case), IP addresses, or CIDR ranges (`10.20.0.0/16`, `fd00::/8`).
 */
export interface AddressPolicy {
  readonly privateHosts: readonly string[];
}

function allowedByPolicy(host: string, address: string, policy: AddressPolicy): boolean {
  for (const entry of policy.privateHosts) {
    const lower = entry.toLowerCase();
    if (bareHost(lower) === host) return true;
    const [network = '', prefixText] = lower.split('/');
    const family = isIP(network);
    if (family === 0 || isIP(address) === 0) continue;
    const width = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? width : Number(prefixText);
    const networkBits = family === 4 ? ipv4Bits(network) : ipv6Bits(network);
    const addressFamily = isIP(address);
    if (addressFamily !== family || networkBits === undefined) continue;
    const addressBits = family === 4 ? ipv4Bits(address) : ipv6Bits(address);
    if (addressBits === undefined) continue;
    const shift = BigInt(width - prefix);
    if (addressBits >> shift === networkBits >> shift) return true;
  }
  return false;
}

/**
 * Checks that `host` (as the URL names it) may be reached at `address` (as
 * it resolved, or the URL's own IP): a public address always; a loopback one
 * when the URL itself names this machine (`localhost`, `127.0.0.1`, `[::1]`
 * — the IdP simulator and local tests); any special address when the
 * operator listed the host or the address in `privateHosts`.
 *
 * SECURITY: a metadata URL, a redirect or a `jwks_uri` chosen by someone
 * else must not reach this machine's services, the cloud metadata service
 * (169.254.169.254) or the private network through a DNS name that resolves
 * there (SSRF, DNS rebinding).
 *
 * @throws ClaimsgateError `CG_META_URL_INSECURE` naming the host, the address and its range.
 */
export function checkAddress(host: string, address: string, policy: AddressPolicy, url?: string): void {
  const name = bareHost(host);
  const range = specialRangeOf(address);
  if (range === undefined) return;
  if (isLoopbackName(name) && (range.startsWith('loopback') || range.startsWith('unspecified'))) return;
  if (allowedByPolicy(name, address, policy)) return;
  throw new ClaimsgateError(
    'CG_META_URL_INSECURE',
    `The metadata host ${name} is at ${address}, a ${range} address; claimsgate only fetches metadata from public addresses unless the host is listed in rollover.privateMetadataHosts.`,
    {
      hint: `If ${name} is your own identity provider on a private network, add it to rollover.privateMetadataHosts. Otherwise a URL, a redirect or a jwks_uri points claimsgate at a private address: treat it as an attack.`,
      detail: {
        ...(url === undefined ? {} : { url }),
        host: name,
        address,
        observed: range,
        expected: 'a public address',
      },
    },
  );
}
