/** The client-address normaliser: every spelling class, what is no address, and IPv6 networks. */
import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { cloudflareClientIp } from '../../relay/http/client-ip.js';
import { ipBucket, isLocalHostname, normalizeIp } from '../../relay/http/ip-address.js';
import { IPV4_SPELLINGS, IPV6_SPELLINGS, NOT_ADDRESSES, ONE_SLASH_64 } from './support/ip-spellings.js';

describe('normalizeIp', () => {
  it.each(IPV4_SPELLINGS)('IPv4 %j is 192.0.2.5', (text) => {
    expect(normalizeIp(text)).toBe('192.0.2.5');
  });

  it.each(IPV6_SPELLINGS)('IPv6 %j is 2001:db8::1', (text) => {
    expect(normalizeIp(text)).toBe('2001:db8::1');
  });

  it.each(NOT_ADDRESSES)('%j is no address', (text) => {
    expect(normalizeIp(text)).toBeUndefined();
  });

  it('writes IPv6 as RFC 5952 does: the longest zero run compressed, the first of equal ones, never a single zero', () => {
    expect(normalizeIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIp('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(normalizeIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normalizeIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(normalizeIp('::1')).toBe('::1');
    expect(normalizeIp('1:2:3:4:5:6:7::')).toBe('1:2:3:4:5:6:7:0');
  });

  it('keeps IPv6 that only looks like IPv4 inside (IPv4-compatible, NAT64) as IPv6', () => {
    expect(normalizeIp('::192.0.2.5')).toBe('::c000:205');
    expect(normalizeIp('64:ff9b::192.0.2.5')).toBe('64:ff9b::c000:205');
  });

  it('refuses ports out of range, a dotted part anywhere but the end, and overlong text', () => {
    for (const text of ['192.0.2.5:65536', '[2001:db8::1]:70000', '192.0.2.5::', '1.2.3.4::1', `${'0:'.repeat(40)}1`]) {
      expect(normalizeIp(text), text).toBeUndefined();
    }
  });
});

describe('ipBucket', () => {
  it('is the IPv4 address itself, and the /64 of an IPv6 address by default', () => {
    expect(ipBucket('::ffff:192.0.2.5')).toBe('192.0.2.5');
    expect(new Set(ONE_SLASH_64.map((ip) => ipBucket(ip)))).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(ipBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(ipBucket('junk')).toBeUndefined();
  });

  it('follows IPV6_BUCKET_BITS, on and off group boundaries', () => {
    expect(ipBucket('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1::/48');
    expect(ipBucket('2001:db8:1:2ff:3:4:5:6', 56)).toBe('2001:db8:1:200::/56');
    expect(ipBucket('2001:db8:1:2:3:4:5:6', 128)).toBe('2001:db8:1:2:3:4:5:6');
    expect(ipBucket('192.0.2.5', 48)).toBe('192.0.2.5');
  });
});

describe('where the Worker trusts CF-Connecting-IP', () => {
  const ctx = (url: string, ip: string) =>
    ({ req: { url, header: (name: string) => (name === 'cf-connecting-ip' ? ip : undefined) } }) as unknown as Context;

  it('recognises a local runtime by a host Cloudflare never routes to a Worker', () => {
    for (const host of ['localhost', 'dev.localhost', '127.0.0.1', '[::1]', '10.1.2.3', '[2001:db8::1]']) {
      expect(isLocalHostname(host), host).toBe(true);
    }
    for (const host of ['relay.example.com', 'relay.workers.dev', 'localhost.example.com']) {
      expect(isLocalHostname(host), host).toBe(false);
    }
  });

  it('takes the header behind Cloudflare, and nothing locally (every local client is one)', () => {
    const getIp = cloudflareClientIp();
    expect(getIp(ctx('https://relay.example.com/v1/x', '2001:DB8::0001'))).toBe('2001:db8::1');
    expect(getIp(ctx('https://relay.example.com/v1/x', 'garbage'))).toBeUndefined();
    expect(getIp(ctx('http://127.0.0.1:8787/v1/x', '198.51.100.1'))).toBeUndefined();
    expect(getIp(ctx('http://localhost:8787/v1/x', '198.51.100.1'))).toBeUndefined();
  });
});
