/**
 * Where the client's IP comes from. Only a configured header is trusted (a client can send any
 * header); without one the runtime's own view of the connection is used. Whatever the source, the
 * relay sees one spelling per address (ip-address.ts), or none.
 */
import type { Context } from 'hono';
import type { Logger } from '../lib/log.js';
import { isLocalHostname, normalizeIp } from './ip-address.js';

/**
 * Reads the client IP from `header`. For list-valued headers such as x-forwarded-for the RIGHTMOST
 * entry is taken: that is the one our own proxy appended, while entries to its left were written by
 * the client and can be forged to dodge the per-IP limit.
 */
export function ipFromHeader(header: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const ip = header.toLowerCase() === 'forwarded' ? forwardedFor(parts.at(-1)) : parts.at(-1);
  return ip !== undefined && ip.length <= 64 ? ip : undefined;
}

// `Forwarded: for=192.0.2.60;proto=https` (RFC 7239); IPv6 comes quoted and bracketed.
function forwardedFor(element: string | undefined): string | undefined {
  const m = element === undefined ? null : /(?:^|;)\s*for="?\[?([^\]";]+)\]?"?/i.exec(element);
  return m?.[1];
}

type Unusable = 'missing' | 'not_an_address' | 'not_behind_cloudflare';

/**
 * Logs each kind of unusable header once per process (per isolate on Workers): a misconfigured proxy
 * would otherwise log every request. A local Worker is expected, so it is only info.
 */
function onceEach(logger: Pick<Logger, 'warn' | 'info'> | undefined, header: string, countedAs: 'socket' | 'unknown') {
  const told = new Set<Unusable>();
  return (reason: Unusable): void => {
    if (told.has(reason)) return;
    told.add(reason);
    const fields = { header, reason, counted_as: countedAs };
    if (reason === 'not_behind_cloudflare') logger?.info('client_ip.header_unusable', fields);
    else logger?.warn('client_ip.header_unusable', fields);
  };
}

export interface ClientIpGetterOptions {
  /** TRUSTED_IP_HEADER, lower-cased; undefined: the socket's address. */
  trustedHeader: string | undefined;
  /** The socket's address as the runtime reports it. */
  socket: (c: Context) => string | undefined;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * A `getClientIp` for createRelay on Node: the trusted header's address when it holds one, else the
 * socket's (a forged or broken value must not mint a bucket of its own), normalised either way.
 */
export function clientIpGetter({ trustedHeader, socket, logger }: ClientIpGetterOptions): (c: Context) => string | undefined {
  const fromSocket = (c: Context) => normalizeIp(socket(c));
  if (trustedHeader === undefined) return fromSocket;
  const unusable = onceEach(logger, trustedHeader, 'socket');
  return (c) => {
    const value = ipFromHeader(trustedHeader, c.req.header(trustedHeader));
    const ip = normalizeIp(value);
    if (ip !== undefined) return ip;
    unusable(value === undefined ? 'missing' : 'not_an_address');
    return fromSocket(c);
  };
}

/**
 * A `getClientIp` for the Worker: CF-Connecting-IP, which Cloudflare sets on every request (a
 * client's own is replaced). A local runtime (wrangler dev, Miniflare) passes a client's header
 * through, so on a host Cloudflare never routes (localhost, an IP literal) it is not trusted, and
 * every local client is one unknown client.
 */
export function cloudflareClientIp(logger?: Pick<Logger, 'warn' | 'info'>): (c: Context) => string | undefined {
  const unusable = onceEach(logger, 'cf-connecting-ip', 'unknown');
  return (c) => {
    if (isLocalHostname(new URL(c.req.url).hostname)) {
      unusable('not_behind_cloudflare');
      return undefined;
    }
    const ip = normalizeIp(c.req.header('cf-connecting-ip'));
    if (ip === undefined) unusable('not_an_address');
    return ip;
  };
}
