/**
 * The Node relay's sites: from SITES_FILE, re-read every SITES_REFRESH_SECONDS (default 60) and at once
 * on SIGHUP, so a site fixed in the file applies without a restart (a bad file keeps the last good
 * sites, logged as `sites.refresh_failed`); from SITES_JSON, fixed for the process.
 *
 * One map, `live`, changed in place after every read: the routes, the deliverer and the site check
 * all see the sites as they are now.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/config-error.js';
import { parseConfig, type Env, type RelayConfig } from '../../config/env.js';
import { refreshSecondsOf, refreshingSites, type RefreshingSites } from '../../config/refreshing-sites.js';
import type { SiteConfig, SiteLookup } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';

export interface NodeSites extends SiteLookup {
  /** The sites now, the same map for the life of the relay. */
  live: ReadonlyMap<string, SiteConfig>;
  /** Re-reads SITES_FILE now (SIGHUP); the sites in hand stay if it is bad. No-op with SITES_JSON. */
  reload(): Promise<void>;
  /** Re-reads on the interval until `signal` aborts; `changed` after every read that worked. */
  keepReading(signal: AbortSignal, changed: () => void): void;
}

export function nodeSites(env: Env, config: RelayConfig, deps: { clock: { now(): number }; logger: Logger }): NodeSites {
  const live = new Map(config.sites);
  const file = env.SITES_FILE?.trim() ? env.SITES_FILE : undefined;
  const seconds = refreshSecondsOf(env.SITES_REFRESH_SECONDS);
  if (seconds === undefined) throw new ConfigError(['SITES_REFRESH_SECONDS: must be a whole number from 1 to 3600']);
  if (!file) return { live, get: (slug) => live.get(slug), reload: async () => {}, keepReading: () => {} };

  const source: RefreshingSites = refreshingSites({
    initial: config.sites,
    // The whole configuration again, with its cross-checks (a site asking for Turnstile needs the secret).
    load: async () => parseConfig(env, { readFile: (path) => readFileSync(path, 'utf8') }).sites,
    intervalMs: seconds * 1000,
    clock: deps.clock,
    logger: deps.logger,
  });
  let onChange = () => {};
  const copy = () => {
    const next = source.current();
    for (const slug of live.keys()) if (!next.has(slug)) live.delete(slug);
    for (const [slug, site] of next) live.set(slug, site);
    onChange();
  };
  return {
    live,
    get: (slug) => live.get(slug),
    reload: () => source.refreshNow().then(copy),
    keepReading(signal, changed) {
      onChange = changed;
      const timer = setInterval(() => void source.refreshNow().then(copy), seconds * 1000);
      timer.unref();
      signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    },
  };
}
