/**
 * Where the client's IP comes from. Only a configured header is trusted (a client can send any
 * header); without one the runtime's own view of the connection is used.
 */
import type { Context } from 'hono';

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

/** A `getClientIp` for createRelay: the trusted header when configured, else `fallback`. */
export function clientIpGetter(
  trustedHeader: string | undefined,
  fallback: (c: Context) => string | undefined,
): (c: Context) => string | undefined {
  if (trustedHeader === undefined) return fallback;
  return (c) => ipFromHeader(trustedHeader, c.req.header(trustedHeader)) ?? fallback(c);
}
