/**
 * `createRelay(deps)`: the relay as a Hono app built only from injected parts, so Node, Workers and
 * tests differ in what they pass in, never in what the app detects.
 *
 * The app stores leads and answers; it never sends a lead to Propexo itself. The deliverer
 * (relay/delivery/) sends stored leads behind the requests, and `outbox.wake()` tells it there is new
 * work. The one upstream read it makes is the form's floor-plan and unit lists (routes/form.ts),
 * cached for 12 hours per site.
 */
import { createFormTokens } from './spam/form-token.js';
import { Hono, type Context } from 'hono';
import type { WidgetAssets } from './http/widget-assets.js';
import type { RelayConfig } from './config/env.js';
import type { Hashing } from './lib/hash.js';
import { createErrorHandler, methodNotAllowed, notFound } from './http/errors.js';
import type { RateLimiter } from './limits/types.js';
import type { Logger } from './lib/log.js';
import { secureHeaders, type RelayEnv } from './http/guards.js';
import type { FormCache } from './propexo/form-cache.js';
import { adminRoutes } from './routes/admin.js';
import { formRoutes, type FormListClient } from './routes/form.js';
import { leadRoutes } from './routes/leads.js';
import { webhookRoutes } from './routes/webhooks.js';
import { widgetRoutes } from './routes/widget.js';
import type { LeadStore } from './outbox/store/types.js';
import { createTurnstileVerifier, type TurnstileVerifier } from './spam/turnstile.js';

export interface RelayDeps {
  config: RelayConfig;
  clock: { now(): number };
  limiter: RateLimiter;
  store: LeadStore;
  logger: Logger;
  getClientIp: (c: Context) => string | undefined;
  assets?: WidgetAssets;
  /** Told about new work (a lead accepted, a retry, a failed write): the deliverer, where one runs. */
  outbox?: { wake(): void };
  newId?: () => string;
  /** The form's list cache; default one in memory per app (per process on Node, per isolate on Workers). */
  formCache?: FormCache;
  /** Reads the form's lists; default a Propexo client from `config` over the global fetch. */
  formClient?: FormListClient;
  /** Verifies Turnstile responses; default one from `config.turnstile` over the global fetch (none without it). */
  turnstile?: TurnstileVerifier;
  /**
   * SHA-256 and HMAC for fingerprints and form tokens; default WebCrypto (relay/lib/hash.ts). Node passes
   * node:crypto's (relay/runtime/node/hash.ts), synchronous; every implementation gives the same bytes.
   */
  hashing?: Hashing;
}

export function createRelay(deps: RelayDeps): Hono<RelayEnv> {
  const { clock, logger } = deps;
  const app = new Hono<RelayEnv>();
  app.onError(createErrorHandler(logger));
  app.notFound(notFound);

  // hono/secure-headers' defaults; the widget routes keep their cross-origin resource policy.
  app.use(secureHeaders());
  app.use(async function requestLog(c, next) {
    const started = clock.now();
    await next();
    const fields = { method: c.req.method, path: c.req.path, status: c.res.status, ms: clock.now() - started };
    if (c.req.path === '/healthz') logger.debug('request', fields);
    else logger.info('request', fields);
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.all('/healthz', methodNotAllowed('GET, HEAD'));
  widgetRoutes(app, deps.assets);
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
  leadRoutes(app, { ...deps, formTokens, ...(turnstile ? { turnstile } : {}) });
  formRoutes(app, { ...deps, formTokens });
  webhookRoutes(app, deps);
  adminRoutes(app, deps);
  return app;
}
