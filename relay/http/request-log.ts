/** One log line per request: method, path, status and time taken; health and readiness checks at debug level only. */
import type { MiddlewareHandler } from 'hono';
import type { RelayDeps } from '../types.js';

export function requestLog({ clock, logger }: Pick<RelayDeps, 'clock' | 'logger'>): MiddlewareHandler {
  return async function requestLog(c, next) {
    const started = clock.now();
    await next();
    const fields = { method: c.req.method, path: c.req.path, status: c.res.status, ms: clock.now() - started };
    if (c.req.path === '/healthz' || c.req.path === '/readyz') logger.debug('request', fields);
    else logger.info('request', fields);
  };
}
