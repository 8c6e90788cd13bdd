/**
 * The guards of the browser-facing routes under `/v1/sites/:site`, applied once per route group
 * with `use()`: the site must be configured, and the request must come from one of its origins.
 * Failures are thrown as ApiError, so the one error handler (errors.ts) renders them.
 */
import type { MiddlewareHandler } from 'hono';
import type { SiteLookup } from '../config/sites.js';
import type { RelayEnv } from '../types.js';
import { ApiError } from './errors.js';

/** Resolves `:site` from the sites as they are now (404 when unknown) and stores it on the context. */
export function siteResolver(sites: SiteLookup): MiddlewareHandler<RelayEnv> {
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
    const origin = c.req.header('origin') ?? sameOriginRead(c.req.method, c.req.header('sec-fetch-site'), c.req.url);
    if (origin === undefined || !c.get('site').allowed_origins.includes(origin)) {
      throw new ApiError(403, 'origin_not_allowed', 'This origin may not send leads for this site.');
    }
    await next();
  };
}

/**
 * A browser sends no Origin with a same-origin GET (a page served by the relay's own host asking for
 * its form); it does mark it `Sec-Fetch-Site: same-origin`, a header scripts cannot set. Such a read
 * stands for the relay's own origin, which must still be in the allowlist. Never a POST: a client
 * that is not a browser sets any header it likes, and a lead must name its origin.
 */
function sameOriginRead(method: string, fetchSite: string | undefined, url: string): string | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  return fetchSite === 'same-origin' ? new URL(url).origin : undefined;
}
