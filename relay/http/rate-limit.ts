/**
 * The limits a browser-facing request is counted against: the per-client lead limit (middleware,
 * with IETF RateLimit headers on every answer), the site's quota of valid leads (past it, leads are
 * held, not refused), and the lookup limit that keeps floods of form views, receipts and replays off
 * the store; and per-client limits on whole route groups (webhook, admin). A limiter that cannot
 * answer makes the request not accepted (503), never unlimited.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { SiteConfig } from '../config/sites.js';
import type { LimitDecision, RateLimiter } from '../limits/types.js';
import type { RelayDeps, RelayEnv } from '../types.js';
import { ApiError } from './errors.js';
import { ipBucket } from './ip-address.js';

export type RateLimitDeps = Pick<RelayDeps, 'limiter' | 'getClientIp' | 'config'>;

interface Checked {
  name: 'ip';
  decision: LimitDecision;
  windowSeconds: number;
}

/**
 * The client's bucket: its IPv4 address or IPv6 network (ip-address.ts), or undefined when the
 * runtime cannot tell (it then shares a bucket, never escapes one).
 */
function clientIpOf(c: Context, { getClientIp, config }: RateLimitDeps): string | undefined {
  try {
    return ipBucket(getClientIp(c), config.ipv6BucketBits);
  } catch {
    return undefined;
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers, structured-field form):
 * `RateLimit-Policy: "ip";q=5;w=600` and `RateLimit: "ip";r=4;t=600`.
 */
function rateLimitHeaders(checked: Checked[]): Record<string, string> {
  return {
    'RateLimit-Policy': checked.map((x) => `"${x.name}";q=${x.decision.limit};w=${x.windowSeconds}`).join(', '),
    RateLimit: checked.map((x) => `"${x.name}";r=${x.decision.remaining};t=${seconds(x.decision.resetMs)}`).join(', '),
  };
}

/** A limiter that cannot answer makes the request not accepted: 503, so the browser tries again. */
async function decide(
  limiter: RateLimiter,
  key: string,
  max: number,
  windowMs: number,
  message = 'The relay cannot take leads right now; please try again shortly.',
): Promise<LimitDecision> {
  try {
    return await limiter.limit({ key, max, windowMs });
  } catch {
    throw new ApiError(503, 'unavailable', message, { headers: { 'Retry-After': '5' } });
  }
}

/**
 * The per-client-IP lead limit from the site's config: every POST counts, valid or not, so junk
 * costs its sender and nobody else. An unknown client IP shares one bucket per site rather than
 * escaping the limit. The only lead limit that answers 429.
 */
export function clientLimit(deps: RateLimitDeps): MiddlewareHandler<RelayEnv> {
  const { limiter } = deps;
  return async function clientLimit(c, next) {
    const site = c.get('site');
    const ip = clientIpOf(c, deps);
    const rule = site.limits.per_ip;
    const decision = await decide(limiter, `ip:${site.slug}:${ip ?? 'unknown'}`, rule.max, rule.window_seconds * 1000);
    const checked: Checked[] = [{ name: 'ip', decision, windowSeconds: rule.window_seconds }];
    if (!decision.success) {
      throw new ApiError(429, 'rate_limited', 'Too many submissions; please try again later.', {
        headers: { 'Retry-After': String(seconds(decision.resetMs)), ...rateLimitHeaders(checked) },
      });
    }
    // Set before the handler runs so every later answer, errors included, carries them.
    for (const [name, value] of Object.entries(rateLimitHeaders(checked))) c.header(name, value);
    await next();
  };
}

/**
 * Whether a valid new lead fits the site's limit (`per_site`), counting it. A lead past it is not
 * refused: it is held for an operator (routes/leads.ts), so a flood can neither close the site to
 * real prospects nor spend Propexo's budget.
 */
export async function siteQuotaAdmits(limiter: RateLimiter, site: SiteConfig): Promise<boolean> {
  const rule = site.limits.per_site;
  return (await decide(limiter, `site:${site.slug}`, rule.max, rule.window_seconds * 1000)).success;
}

/**
 * Keeps floods of lookups off the store (at the edge, the one outbox object every site shares),
 * before anything reads it.
 */
export function lookupLimit(deps: RateLimitDeps): MiddlewareHandler<RelayEnv> {
  const { limiter } = deps;
  return async function lookupLimit(c, next) {
    const ip = clientIpOf(c, deps);
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

/**
 * A per-client limit a minute on a whole route group (the webhook, the admin routes), counted before
 * anything is checked: a refused signature or token counts, since guessing one is what it stops.
 */
export function routeLimit(deps: RateLimitDeps, group: 'webhook' | 'admin' | 'metrics', perMinute: number): MiddlewareHandler<RelayEnv> {
  return async function routeLimit(c, next) {
    const key = `${group}:${clientIpOf(c, deps) ?? 'unknown'}`;
    const decision = await decide(deps.limiter, key, perMinute, 60_000, 'The relay cannot answer right now; please try again shortly.');
    if (!decision.success) {
      throw new ApiError(429, 'rate_limited', 'Too many requests; please try again later.', {
        headers: { 'Retry-After': String(seconds(decision.resetMs)) },
      });
    }
    await next();
  };
}
