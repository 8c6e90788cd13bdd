/**
 * What the relay is made of, as types: `RelayDeps`, everything `createRelay` (app.ts) is given, and
 * `RelayEnv`, the Hono environment every route group is typed with. A module of types alone, so the
 * app, its routes and its middleware all import from here and never from each other.
 */
import type { Context } from 'hono';
import type { RelayConfig } from './config/env.js';
import type { SiteConfig, SiteLookup } from './config/sites.js';
import type { WidgetAssets } from './http/widget-assets.js';
import type { Hashing } from './lib/hash.js';
import type { Logger } from './lib/log.js';
import type { Readiness } from './lib/readiness.js';
import type { RateLimiter } from './limits/types.js';
import type { PropexoState } from './outbox/delivery/upstream-stats.js';
import type { LeadStore } from './outbox/store/types.js';
import type { PropexoListClient } from './propexo/client.js';
import type { SiteChecksSource } from './sites/types.js';
import type { TurnstileVerifier } from './spam/turnstile.js';

/**
 * `site`: the configured site of a `/v1/sites/:site/…` request, set by the site resolver. `actor`:
 * who makes an `/admin/api/…` request, for logs and the lead's timeline: "token" (Bearer) or
 * "session:<first 8 characters of its id>" (the console's cookie), set by the console's guard.
 */
export type RelayEnv = { Variables: { site: SiteConfig; actor: string } };

export interface Clock {
  now(): number;
}

export interface RelayDeps {
  config: RelayConfig;
  /**
   * Where `/v1/sites/:site/…` looks its site up on each request; default `config.sites`, fixed. The
   * Worker passes sites re-read from KV (relay/config/sites.ts, refreshingSites).
   */
  sites?: SiteLookup;
  clock: Clock;
  limiter: RateLimiter;
  store: LeadStore;
  logger: Logger;
  /** The client's address as this runtime sees it (socket, trusted header, CF-Connecting-IP). */
  getClientIp: (c: Context) => string | undefined;
  assets?: WidgetAssets;
  /** The console's build (dist/console): `console.js`, served at `/admin/console.js`. */
  consoleAssets?: WidgetAssets;
  /** Told about new work (a lead accepted, a retry, a failed write): the deliverer, where one runs. */
  outbox?: { wake(): void };
  newId?: () => string;
  /** Reads the form's lists; default a Propexo client from `config` over the global fetch. */
  formClient?: PropexoListClient;
  /** Verifies Turnstile responses; default one from `config.turnstile` over the global fetch (none without it). */
  turnstile?: TurnstileVerifier;
  /**
   * SHA-256 and HMAC for fingerprints and form tokens; default WebCrypto (relay/lib/hash.ts). Node
   * passes node:crypto's (relay/runtime/node/hash.ts), synchronous; every implementation gives the
   * same bytes.
   */
  hashing?: Hashing;
  /**
   * What the deliverer has seen of Propexo, for the console and /metrics: the Node relay's own
   * deliverer, the outbox object's on Workers. Absent (or null) where no deliverer runs here.
   */
  propexoState?: () => Promise<PropexoState | null>;
  /** Alerts a channel took since start, by kind (relay/alerts/), for /metrics; absent, none. */
  alertsSent?: () => Promise<Record<string, number>>;
  /** `GET /readyz`: why this relay should not get traffic now (relay/lib/readiness.ts); default always ready. */
  readiness?: Readiness;
  /**
   * The sites checked against Propexo (relay/sites/): a summary in `/healthz`, the whole report at
   * `GET /admin/sites`, a check on demand at `POST /admin/sites/check`. Absent, neither says anything.
   */
  siteChecks?: SiteChecksSource;
}
