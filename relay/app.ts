/**
 * `createRelay(deps)`: the relay as a Hono app built only from injected parts, so Node, Workers and
 * tests differ in what they pass in, never in what the app detects. Composition only: the headers
 * and log line every answer gets, then each route group, a Hono sub-app mounted at its path with
 * its own guards (routes/).
 *
 * The app stores leads and answers; it never sends a lead to Propexo itself. The deliverer
 * (outbox/delivery/) sends stored leads behind the requests, and `outbox.wake()` tells it there is
 * new work. The upstream reads it makes are the form's floor-plan and unit lists (routes/form.ts),
 * cached for 12 hours per site, and a property's booked tours (routes/tours.ts), for a minute.
 */
import { Hono } from 'hono';
import { createErrorHandler, notFound } from './http/errors.js';
import { securityHeaders } from './http/headers.js';
import { requestLog } from './http/request-log.js';
import { adminRoutes } from './routes/admin.js';
import { mountConsolePages } from './routes/console-pages.js';
import { createPropexoClient } from './propexo/client.js';
import { createPropertyLists } from './propexo/property-lists.js';
import { formRoutes } from './routes/form.js';
import { tourRoutes } from './routes/tours.js';
import { createBookedTours } from './tours/booked.js';
import { healthRoutes, readinessRoutes } from './routes/health.js';
import { leadRoutes } from './routes/leads.js';
import { metricsRoutes } from './routes/metrics.js';
import { webhookRoutes } from './routes/webhooks.js';
import { widgetRoutes } from './routes/widget.js';
import { createFormTokens } from './spam/form-token.js';
import { createSpamScreen } from './spam/screen.js';
import { createTurnstileVerifier } from './spam/turnstile.js';
import type { RelayDeps, RelayEnv } from './types.js';

export function createRelay(deps: RelayDeps): Hono<RelayEnv> {
  // One key for the form tokens of every relay of this deployment: derived from the Propexo token.
  const formTokens = createFormTokens(deps.config.propexo.token, deps.hashing);
  const turnstile =
    deps.turnstile ??
    (deps.config.turnstile
      ? createTurnstileVerifier({
          secret: deps.config.turnstile.secret,
          verifyUrl: deps.config.turnstile.verifyUrl,
          // Looked up per call, and called unbound as Workers require.
          fetch: (input, init) => fetch(input, init),
        })
      : undefined);
  const spamScreen = createSpamScreen({ formTokens, limiter: deps.limiter, logger: deps.logger, ...(turnstile ? { turnstile } : {}) });

  const app = new Hono<RelayEnv>();
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFound);
  app.use(securityHeaders(), requestLog(deps));

  app.route('/healthz', healthRoutes(deps.siteChecks, deps.clock));
  // Without a check of its own (tests, a caller that injects nothing), ready whenever it answers.
  app.route('/readyz', readinessRoutes(deps.readiness ?? (async () => [])));
  app.route('/', widgetRoutes(deps.assets));
  // One copy of each property's lists for the form and for checking a lead's plan and unit.
  const reads =
    deps.formClient ??
    createPropexoClient({
      baseUrl: deps.config.propexo.baseUrl,
      token: deps.config.propexo.token,
      // Looked up per call, and called unbound as Workers require.
      fetch: (input, init) => fetch(input, init),
      timeoutMs: deps.config.upstreamTimeoutMs,
    });
  const lists = createPropertyLists(reads, { clock: deps.clock, logger: deps.logger });
  app.route('/v1/sites/:site', formRoutes({ ...deps, formTokens, lists }));
  // The tour slots, less the appointments Propexo lists (one copy a minute per property, shared by
  // the slots answer and the bookings).
  const booked = createBookedTours(reads, { clock: deps.clock, logger: deps.logger });
  app.route('/v1/sites/:site', tourRoutes({ ...deps, booked }));
  app.route('/v1/sites/:site/leads', leadRoutes({ ...deps, spamScreen, lists, booked }));
  app.route('/v1/propexo/webhooks', webhookRoutes(deps));
  mountConsolePages(app, deps.consoleAssets);
  app.route('/admin', adminRoutes(deps, booked));
  app.route('/metrics', metricsRoutes(deps));
  return app;
}
