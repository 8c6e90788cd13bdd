/**
 * Client addresses as the limits count them. A strict parser of its own, not node:net: the Worker
 * runs without nodejs_compat, and both runtimes must put one address in the same bucket.
 *
 * - Every spelling of one address is one address: case, leading zeros (at most three digits an
 *   octet, read as decimal: parsers disagree on whether 010 is 8 or 10, and one reading everywhere is
 *   all a limit needs), where `::` stands, a dotted tail, brackets, a port, an IPv6 zone.
 *   IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
 * - Anything else (host names, `unknown`, hex or single-number IPv4, five octets) is no address.
 * - IPv6 is counted by network (`ipv6Bits`, default /64): one host owns a /64, and the addresses in
 *   it are its to pick.
 */

export type IpAddress = { version: 4; octets: number[] } | { version: 6; groups: number[] };

/** The longest text taken for an address: a full IPv6 with a dotted tail, zone, brackets and port fits. */
const MAX_TEXT = 64;

function parseIpv4(text: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function parseGroups(side: string): number[] | undefined {
  if (side === '') return [];
  const groups: number[] = [];
  const parts = side.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) groups.push(Number.parseInt(part, 16));
    else return undefined;
  }
  return groups;
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!);
  // A dotted tail may end the address only, so the head of a `::` address takes none.
  if (!head || (halves.length === 2 && halves[0]!.includes('.'))) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = parseGroups(halves[1]!);
  if (!tail || head.length + tail.length > 7) return undefined;
  return [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail];
}

/** `[v6]`, `[v6]:port`, `v4:port`, `v6%zone`: the address part alone, or undefined when malformed. */
function withoutDecoration(text: string): string | undefined {
  let s = text;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracketed) {
    if (bracketed[2] !== undefined && Number(bracketed[2]) > 65535) return undefined;
    s = bracketed[1]!;
    if (!s.includes(':')) return undefined; // brackets hold IPv6 only
  } else if (/^[\d.]+:\d{1,5}$/.test(s)) {
    const [host, port] = s.split(':') as [string, string];
    if (Number(port) > 65535) return undefined;
    s = host;
  } else if (s.includes('[') || s.includes(']')) return undefined;
  const zone = s.indexOf('%');
  if (zone !== -1) {
    if (!/^%[\w.~-]{1,32}$/.test(s.slice(zone))) return undefined;
    s = s.slice(0, zone);
  }
  return s;
}

/** Parses one client address in any of its spellings; undefined when `text` is not one. */
export function parseIp(text: string | undefined): IpAddress | undefined {
  if (text === undefined || text.length > MAX_TEXT) return undefined;
  const s = withoutDecoration(text.trim());
  if (s === undefined) return undefined;
  const v4 = s.includes(':') ? undefined : parseIpv4(s);
  if (v4) return { version: 4, octets: v4 };
  const groups = s.includes(':') ? parseIpv6(s) : undefined;
  if (!groups) return undefined;
  // ::ffff:0:0/96 is IPv4 spoken over an IPv6 socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return { version: 4, octets: [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff] };
  }
  return { version: 6, groups };
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

export function formatIp(ip: IpAddress): string {
  return ip.version === 4 ? ip.octets.join('.') : formatIpv6(ip.groups);
}

/** The one spelling of a client address (IPv4 for a mapped one), or undefined when `text` is none. */
export function normalizeIp(text: string | undefined): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip);
}

export const DEFAULT_IPV6_BUCKET_BITS = 64;

/**
 * The limit bucket of a client address: an IPv4 address itself, an IPv6 address's network of
 * `ipv6Bits` (`2001:db8:1:2::/64`). Undefined when `text` is not an address.
 */
export function ipBucket(text: string | undefined, ipv6Bits = DEFAULT_IPV6_BUCKET_BITS): string | undefined {
  const ip = parseIp(text);
  if (!ip) return undefined;
  if (ip.version === 4 || ipv6Bits >= 128) return formatIp(ip);
  const masked = ip.groups.map((g, i) => {
    const keep = Math.min(16, Math.max(0, ipv6Bits - i * 16));
    return keep === 0 ? 0 : g & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${formatIpv6(masked)}/${ipv6Bits}`;
}

/**
 * True for a host name Cloudflare never routes to a Worker: `localhost` (and `*.localhost`) and
 * address literals (direct IP access is Cloudflare's error 1003). Seen only on a local runtime.
 */
export function isLocalHostname(hostname: string): boolean {
  const h = hostname.toLowerCase();
  // A URL's host is an IPv6 literal in brackets, which parseIp takes as is.
  return h === 'localhost' || h.endsWith('.localhost') || parseIp(h) !== undefined;
}
