/**
 * The relay's middleware, in Hono's middleware shape: options merged once, a named inner function,
 * failures thrown as ApiError so the one error handler renders them. The lead route's guards, and
 * the relay's own CORS, body limit and security headers (the same answers as hono's, cheaper per
 * request: see each).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { cors as honoCors } from 'hono/cors';
import type { SiteConfig } from '../config/sites.js';
import { ApiError } from './errors.js';
import type { LimitDecision, RateLimiter } from '../limits/types.js';

/** `body`: the request body, when `bodyLimit` had to read it to know its size (no Content-Length). */
export type RelayEnv = { Variables: { site: SiteConfig; body?: Uint8Array } };

/** Resolves `:site` from config (404 when unknown) and stores it on the context. */
export function siteResolver(sites: ReadonlyMap<string, SiteConfig>): MiddlewareHandler<RelayEnv> {
  return async function siteResolver(c, next) {
    const site = sites.get(c.req.param('site') ?? '');
    if (!site) throw new ApiError(404, 'site_not_found', 'No such site.');
    c.set('site', site);
    await next();
  };
}

/**
 * Refuses a missing or foreign Origin before any CORS header is set, so the browser cannot read the
 * answer and other pages cannot post leads from a visitor's browser. Browsers send the serialised
 * origin, which is what config normalised to: an exact match is the right test.
 */
export function originGuard(): MiddlewareHandler<RelayEnv> {
  return async function originGuard(c, next) {
    // A browser sends no Origin with a same-origin GET (a page served by the relay's own host asking
    // for its form); it does mark it `Sec-Fetch-Site: same-origin`, a header scripts cannot set. Such a
    // request stands for the relay's own origin, which must still be in the allowlist.
    const origin =
      c.req.header('origin') ?? (c.req.header('sec-fetch-site') === 'same-origin' ? new URL(c.req.url).origin : undefined);
    if (origin === undefined || !c.get('site').allowed_origins.includes(origin)) {
      throw new ApiError(403, 'origin_not_allowed', 'This origin may not send leads for this site.');
    }
    await next();
  };
}

/** `application/json` in UTF-8, the only charset JSON has (RFC 8259); 415 otherwise. */
export function requireJson(): MiddlewareHandler<RelayEnv> {
  return async function requireJson(c, next) {
    const [type, ...params] = (c.req.header('content-type') ?? '').toLowerCase().split(';').map((p) => p.trim());
    const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
    if (type !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
      throw new ApiError(415, 'unsupported_media_type', 'Send the lead as application/json in UTF-8.');
    }
    await next();
  };
}

export interface SiteLimitsOptions {
  limiter: RateLimiter;
  getClientIp: (c: Context) => string | undefined;
}

interface Checked {
  name: 'ip' | 'site';
  decision: LimitDecision;
  windowSeconds: number;
}

/** The client's address, or undefined when the runtime cannot tell (it then shares a bucket, never escapes one). */
function clientIpOf(c: Context, getClientIp: SiteLimitsOptions['getClientIp']): string | undefined {
  try {
    return getClientIp(c);
  } catch {
    return undefined;
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers, structured-field form):
 * `RateLimit-Policy: "ip";q=5;w=600, "site";q=60;w=60` and `RateLimit: "ip";r=4;t=600, …`.
 */
function rateLimitHeaders(checked: Checked[]): Record<string, string> {
  return {
    'RateLimit-Policy': checked.map((x) => `"${x.name}";q=${x.decision.limit};w=${x.windowSeconds}`).join(', '),
    RateLimit: checked.map((x) => `"${x.name}";r=${x.decision.remaining};t=${seconds(x.decision.resetMs)}`).join(', '),
  };
}

/**
 * The per-client-IP limit, then the per-site one, both from the site's config. An unknown client IP
 * shares one bucket per site rather than escaping the limit.
 */
export function siteLimits({ limiter, getClientIp }: SiteLimitsOptions): MiddlewareHandler<RelayEnv> {
  return async function siteLimits(c, next) {
    const site = c.get('site');
    const ip = clientIpOf(c, getClientIp);
    const rules = [
      { name: 'ip' as const, key: `ip:${site.slug}:${ip ?? 'unknown'}`, rule: site.limits.per_ip },
      { name: 'site' as const, key: `site:${site.slug}`, rule: site.limits.per_site },
    ];
    const checked: Checked[] = [];
    for (const { name, key, rule } of rules) {
      const decision = await decide(limiter, key, rule.max, rule.window_seconds * 1000);
      checked.push({ name, decision, windowSeconds: rule.window_seconds });
      if (!decision.success) {
        throw new ApiError(429, 'rate_limited', 'Too many submissions; please try again later.', {
          headers: { 'Retry-After': String(seconds(decision.resetMs)), ...rateLimitHeaders(checked) },
        });
      }
    }
    // Set before the handler runs so every later answer, errors included, carries them.
    for (const [name, value] of Object.entries(rateLimitHeaders(checked))) c.header(name, value);
    await next();
  };
}

/** A limiter that cannot answer makes the request not accepted: 503, so the browser tries again. */
async function decide(limiter: RateLimiter, key: string, max: number, windowMs: number): Promise<LimitDecision> {
  try {
    return await limiter.limit({ key, max, windowMs });
  } catch {
    throw new ApiError(503, 'unavailable', 'The relay cannot take leads right now; please try again shortly.', {
      headers: { 'Retry-After': '5' },
    });
  }
}

/**
 * Keeps floods of lookups off the store (at the edge, the one outbox object every site shares),
 * before anything reads it.
 */
export function lookupLimit({ limiter, getClientIp }: SiteLimitsOptions): MiddlewareHandler<RelayEnv> {
  return async function lookupLimit(c, next) {
    const ip = clientIpOf(c, getClientIp);
    // Generous for a browser (a receipt now and then, a retry), not for a flood.
    const rule = c.get('site').limits.per_ip_lookups;
    const decision = await decide(limiter, `lookup:${c.get('site').slug}:${ip ?? 'unknown'}`, rule.max, rule.window_seconds * 1000);
    if (!decision.success) {
      throw new ApiError(429, 'rate_limited', 'Too many requests; please try again later.', {
        headers: { 'Retry-After': String(seconds(decision.resetMs)) },
      });
    }
    await next();
  };
}

export interface CorsOptions {
  allowMethods: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge: number;
}

/**
 * CORS for an origin the origin guard has already let through: its Origin is echoed. The same
 * headers as hono/cors with `origin: (origin) => origin`, which answers preflights here; for the
 * other requests they are set on the context before the handler runs (so its answer is built with
 * them, errors included) rather than on a placeholder response that every later step copies
 * into a new Response (hono/cors sets them through `c.res`, and appends Vary to the finished answer).
 */
export function cors(options: CorsOptions): MiddlewareHandler<RelayEnv> {
  const preflight = honoCors({ origin: (origin) => origin, ...options });
  const expose = options.exposeHeaders?.join(',');
  return async function cors(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    // A same-origin request may come without Origin: then no Access-Control-Allow-Origin, as hono/cors.
    const origin = c.req.header('origin');
    if (origin) c.header('Access-Control-Allow-Origin', origin);
    if (expose) c.header('Access-Control-Expose-Headers', expose);
    c.header('Vary', 'Origin', { append: true });
    await next();
    // An answer built without the context's headers (a Response of a handler's own: none here) lacks
    // the Vary set above: give it what hono/cors would.
    const headers = c.res.headers;
    if (!/(?:^|,)\s*origin\s*(?:,|$)/i.test(headers.get('Vary') ?? '')) {
      if (origin) headers.set('Access-Control-Allow-Origin', origin);
      if (expose) headers.set('Access-Control-Expose-Headers', expose);
      headers.append('Vary', 'Origin');
    }
  };
}

/**
 * 413 (thrown by `tooLarge`) for a body over `maxBytes`. With Content-Length the header decides and
 * the body is not touched (the runtime holds the body to its length): on @hono/node-server merely
 * looking at `request.body`, as hono/body-limit does first, turns its light request into a web
 * Request over a stream, and the route's read then goes through web streams instead of the socket.
 * Without Content-Length (chunked) the body is read here, no further than `maxBytes` + one chunk,
 * and kept on the context as `body` for the route: read once, not read and then wrapped in a new
 * Request to be read again.
 */
export function bodyLimit(maxBytes: number, tooLarge: () => never): MiddlewareHandler<RelayEnv> {
  return async function bodyLimit(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > maxBytes) tooLarge();
      return next();
    }
    const body = c.req.raw.body;
    if (!body) return next();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        tooLarge();
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.set('body', bytes);
    return next();
  };
}

/**
 * hono/secure-headers' defaults (overwrite: false), set on the context before the handler runs, so
 * its answer is built with them: a handler may replace one (the widget's Cross-Origin-Resource-Policy),
 * as it could before. hono's middleware tests and sets each of them on the finished response instead,
 * two dozen Headers calls a request; here that is the fallback for an answer built without the
 * context's headers (a Response of a handler's own), recognised by a header no handler sets.
 */
export const SECURE_HEADERS: readonly (readonly [string, string])[] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

export function secureHeaders(): MiddlewareHandler<RelayEnv> {
  return async function secureHeaders(c, next) {
    for (const [name, value] of SECURE_HEADERS) c.header(name, value);
    await next();
    const headers = c.res.headers;
    if (!headers.has('X-Permitted-Cross-Domain-Policies')) {
      for (const [name, value] of SECURE_HEADERS) if (!headers.has(name)) headers.set(name, value);
    }
    headers.delete('X-Powered-By');
  };
}
