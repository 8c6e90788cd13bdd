/**
 * The relay's response headers, from hono's own middleware with the relay's options: the security
 * headers on every answer, and CORS for the routes a site's pages call.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';

/** hono/cors' options (the module does not export their type). */
type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

/**
 * hono/secure-headers' defaults on every answer, errors and preflights included, X-Powered-By
 * removed. A header a route set itself is kept (`overwrite: false`): the widget's files are loaded
 * cross-origin by marketing sites, so its route answers `Cross-Origin-Resource-Policy: cross-origin`.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({ overwrite: false });
}

/**
 * hono/cors for a group whose origin guard has already let the request through: its Origin is
 * echoed (none for a same-origin request without one), preflights answered with the group's methods
 * and headers. Placed after the guard, so a refused origin gets no Access-Control-* header at all.
 */
export function allowedOriginCors(options: Omit<CorsOptions, 'origin'>): MiddlewareHandler {
  return cors({ ...options, origin: (origin) => origin });
}
