import { ConfigError } from '../../config/config-error.js';
import { parseConfig, secretsOf, type RelayConfig } from '../../config/env.js';
import {
  MAX_REFRESH_SECONDS,
  SITES_REFRESH_SECONDS,
  refreshSecondsOf,
  refreshingSites,
  type RefreshingSites,
} from '../../config/refreshing-sites.js';
import { type Alerts, createAlerts } from '../../alerts/alerts.js';
import { alertingLogger } from '../../alerts/tap.js';
import { webhookChannel } from '../../alerts/webhook.js';
import { createLogger, type LogSink, type Logger } from '../../lib/log.js';
import type { EdgeEnv } from './env.js';

/** How often an isolate re-reads the sites from KV by default: a site added there serves within a minute. */
export { SITES_REFRESH_SECONDS };

/** What an isolate builds once, shared by the Worker's routes and the outbox object. */
export interface EdgeSetup {
  config: RelayConfig;
  /** The alerting logger (relay/alerts/tap.ts): its alert lines go to ALERT_WEBHOOK_URL. */
  logger: Logger;
  /** This isolate's alerts: the Worker keeps it alive with waitUntil, the outbox object with its alarm. */
  alerts: Alerts;
  /**
   * The one source of sites: with KV, re-read every SITES_REFRESH_SECONDS (in the background of
   * requests, before each delivery round); with SITES_JSON, `config.sites`, fixed.
   */
  sites: RefreshingSites;
}

let setup: Promise<EdgeSetup> | undefined;

/**
 * The isolate's setup, read once: the same keys and checks as on Node, with the sites from
 * SITES_JSON or, when that is unset, the key `sites` of the SITES KV namespace (a var holds 5 KB, a
 * dozen sites; KV holds hundreds). A bad value rejects with a ConfigError naming the key, and is not
 * kept: the next call reads again.
 */
export function edgeSetup(env: EdgeEnv): Promise<EdgeSetup> {
  if (setup) return setup;
  const current = buildEdgeSetup(env);
  setup = current;
  current.catch(() => {
    if (setup === current) setup = undefined; // a fixed value is picked up on the next request
  });
  return current;
}

/** A fresh setup, not shared (edgeSetup shares one per isolate); the clock and the log sink for tests. */
export async function buildEdgeSetup(env: EdgeEnv, options: { clock?: { now(): number }; sink?: LogSink } = {}): Promise<EdgeSetup> {
  const clock = options.clock ?? Date;
  const config = await readEdgeConfig(env);
  const plain = createLogger({
    level: config.logLevel,
    secrets: secretsOf(config),
    clock,
    ...(options.sink ? { sink: options.sink } : {}),
  });
  const alerts = createAlerts({
    channels: config.alerts.webhookUrl ? [webhookChannel(config.alerts.webhookUrl)] : [],
    policy: config.alerts.policy,
    clock,
    logger: plain,
    secrets: secretsOf(config),
    ...(config.alerts.publicUrl ? { publicUrl: config.alerts.publicUrl } : {}),
  });
  const logger = alertingLogger(plain, alerts);
  if (!sitesFromKv(env)) {
    const fixed = config.sites;
    const none = () => undefined;
    const sites: RefreshingSites = {
      get: (slug) => fixed.get(slug),
      current: () => fixed,
      refreshNow: async () => {},
      refreshIfStale: none,
      beforeRequest: none,
    };
    return { config, logger, alerts, sites };
  }
  const sites = refreshingSites({
    initial: config.sites,
    load: async () => (await readEdgeConfig(env)).sites,
    intervalMs: refreshSeconds(env)! * 1000,
    clock,
    logger,
  });
  return { config, logger, alerts, sites };
}

/** The configuration from a Worker's env, read now (KV included). Throws a ConfigError naming every bad key. */
export async function readEdgeConfig(env: EdgeEnv): Promise<RelayConfig> {
  const vars: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) if (typeof value === 'string') vars[key] = value;
  const fromKv = sitesFromKv(env);
  if (fromKv) vars.SITES_JSON = (await env.SITES!.get('sites')) ?? undefined;
  const issues: string[] = [];
  if (refreshSeconds(env) === undefined) {
    issues.push(`SITES_REFRESH_SECONDS: must be a whole number from 1 to ${MAX_REFRESH_SECONDS}`);
  }
  try {
    const config = parseConfig(vars);
    if (issues.length === 0) return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Named as what the operator put: the KV key, not the var it stands in for.
    issues.unshift(...(fromKv ? err.issues.map(kvIssue) : err.issues));
  }
  throw new ConfigError(issues);
}

const KV_KEY = 'SITES (KV key "sites")';
const kvIssue = (issue: string) =>
  issue.startsWith('SITES_JSON: required')
    ? `${KV_KEY}: missing; put the sites JSON there, or set SITES_JSON`
    : issue.replace(/^SITES_JSON(?=[:.])/, KV_KEY);

function rawVar(env: EdgeEnv, key: string): string | undefined {
  const value = env[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

const sitesFromKv = (env: EdgeEnv) => rawVar(env, 'SITES_JSON') === undefined && env.SITES !== undefined;

/**
 * SITES_REFRESH_SECONDS (Workers with KV only): how often each isolate, and the outbox object, re-read
 * the sites. Whole seconds from 1 to 3600, default 60; undefined when the value is bad.
 */
function refreshSeconds(env: EdgeEnv): number | undefined {
  return refreshSecondsOf(rawVar(env, 'SITES_REFRESH_SECONDS'));
}
