/**
 * The Worker's bindings (wrangler.toml) and its configuration: the same keys as the Node relay's
 * environment, as [vars] and secrets (`wrangler secret put PROPEXO_API_TOKEN`, …).
 *
 * The Durable Object namespaces are typed by what is called on their objects over RPC, not by the
 * classes themselves, so this module imports neither object (each of which needs EdgeEnv).
 */
import type { DurableObjectNamespace, Fetcher, KVNamespace } from 'cloudflare:workers';
import type { Readiness } from '../../lib/readiness.js';
import type { LimitDecision } from '../../limits/types.js';
import type { PropexoState } from '../../outbox/delivery/upstream-stats.js';
import type { LeadStore } from '../../outbox/store/types.js';
import type { SiteChecksReport } from '../../sites/types.js';

/** The outbox object's RPC surface (OutboxObject): the store calls the Worker's routes make, readiness, the site checks, and Propexo's state. */
export type OutboxRpc = Pick<
  LeadStore,
  | 'accept'
  | 'get'
  | 'findByIdempotencyKey'
  | 'findByJobId'
  | 'update'
  | 'list'
  | 'counts'
  | 'appendEvent'
  | 'history'
  | 'activity'
  | 'tourBookings'
  | 'tourOf'
  | 'releaseTour'
> & {
  readiness: Readiness;
  siteChecks(): SiteChecksReport;
  checkSitesNow(): Promise<SiteChecksReport>;
  /** What the outbox object's deliverer has seen of Propexo (null before its setup ran). */
  propexoState(): Promise<PropexoState | null>;
};

/** A limiter object's RPC surface (LimiterObject): one decision for its key. */
export interface LimiterRpc {
  limit(max: number, windowMs: number): Promise<LimitDecision>;
}

export interface EdgeEnv {
  OUTBOX: DurableObjectNamespace<OutboxRpc>;
  LIMITER: DurableObjectNamespace<LimiterRpc>;
  /** The built widget (and, for the demo's Worker, its pages): Workers static assets. */
  ASSETS: Fetcher;
  /** Optional: the sites JSON under the key `sites`, instead of SITES_JSON. */
  SITES?: KVNamespace;
  [key: string]: unknown;
}
