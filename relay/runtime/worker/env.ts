import type { DurableObjectNamespace, Fetcher, KVNamespace } from 'cloudflare:workers';
import type { LimiterObject } from './limiter-object.js';
import type { OutboxObject } from './outbox-object.js';

/**
 * The Worker's bindings (wrangler.toml) and its configuration: the same keys as the Node relay's
 * environment, as [vars] and secrets (`wrangler secret put PROPEXO_API_TOKEN`, …).
 */
export interface EdgeEnv {
  OUTBOX: DurableObjectNamespace<OutboxObject>;
  LIMITER: DurableObjectNamespace<LimiterObject>;
  /** The built widget (and, for the demo's Worker, its pages): Workers static assets. */
  ASSETS: Fetcher;
  /** Optional: the sites JSON under the key `sites`, instead of SITES_JSON. */
  SITES?: KVNamespace;
  [key: string]: unknown;
}
