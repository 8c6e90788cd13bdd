/**
 * The console's session: a signed, expiring cookie set by `POST /admin/session` with the admin
 * token, so the token itself never has to live in a browser. Stateless: the cookie carries a random
 * id and its expiry, signed with HMAC-SHA-256 under SESSION_SECRET, or else a key derived from
 * ADMIN_TOKEN (changing either signs every session out). A copied cookie works until it expires:
 * sign-out clears the browser's copy, nothing is kept server-side to revoke.
 *
 * Cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Path=/admin,
 * Secure unless the request came over http to a loopback host (the demo on 127.0.0.1).
 */
import type { Context } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { base64url, type Hashing, utf8Bytes } from '../lib/hash.js';

export const SESSION_COOKIE = 'rlf_console';
/** Domain separation: the same ADMIN_TOKEN keys nothing else this way. */
const KEY_LABEL = 'resman-lead-form console session v1';
const VALUE = /^([A-Za-z0-9_-]{22})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

export interface Session {
  /** Random, 16 bytes base64url: names the session in logs and timelines by its first 8 characters. */
  id: string;
  expiresAt: number;
}

export interface Sessions {
  issue(now: number): Promise<{ session: Session; value: string }>;
  /** The session a cookie value names, or null: malformed, forged, tampered or expired. */
  verify(value: string | undefined, now: number): Promise<Session | null>;
  readonly lifetimeMs: number;
}

export function createSessions(options: { adminToken: string; sessionSecret?: string; lifetimeMs: number; hashing: Hashing }): Sessions {
  const { hashing, lifetimeMs } = options;
  const key: Promise<Uint8Array> = options.sessionSecret
    ? Promise.resolve(utf8Bytes(options.sessionSecret))
    : Promise.resolve(hashing.hmacSha256(utf8Bytes(options.adminToken))(KEY_LABEL));
  const sign = async (text: string) => base64url(await hashing.hmacSha256(await key)(text));
  const signed = (id: string, expiresAt: number) => `v1.${id}.${expiresAt}`;
  return {
    lifetimeMs,
    async issue(now) {
      const id = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const expiresAt = now + lifetimeMs;
      return { session: { id, expiresAt }, value: `${id}.${expiresAt}.${await sign(signed(id, expiresAt))}` };
    },
    async verify(value, now) {
      const match = VALUE.exec(value ?? '');
      if (!match) return null;
      const [, id, expiry, mac] = match as unknown as [string, string, string, string];
      const expiresAt = Number(expiry);
      if (!(await timingSafeEqual(mac, await sign(signed(id, expiresAt))))) return null;
      // Never past its lifetime from now either: a shorter ADMIN_SESSION_HOURS applies at once.
      if (expiresAt <= now || expiresAt > now + lifetimeMs) return null;
      return { id, expiresAt };
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** http to a loopback host: the only place the cookie goes without Secure (a browser would drop it). */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && LOOPBACK.has(u.hostname);
}

export function sessionCookie(c: Context, value: string, maxAgeSeconds: number): string {
  const secure = isLoopbackHttp(c.req.url) ? '' : '; Secure';
  return `${SESSION_COOKIE}=${value}; Path=/admin; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}

/** The session cookie's value in the request, if any (the first, should a client send two). */
export function sessionCookieValue(c: Context): string | undefined {
  for (const part of (c.req.header('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A state change made with a cookie must come from the relay's own pages: Origin names this host.
 * The scheme may differ (TLS ended at a proxy in front of the relay) only towards https. A request
 * without Origin is refused: every browser sends one with a POST or DELETE.
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (!origin) return false;
  let given: URL;
  try {
    given = new URL(origin);
  } catch {
    return false;
  }
  // The request's URL names the host it was sent to (on Node, from its Host header).
  const own = new URL(c.req.url);
  if (given.host !== own.host) return false;
  return given.protocol === own.protocol || given.protocol === 'https:';
}
