/**
 * Sites that change while the relay runs: Workers keep theirs in KV, re-read in the background so a
 * site added or fixed there is served within SITES_REFRESH_SECONDS, without every request waiting on
 * KV; the Node relay re-reads its SITES_FILE as often (and at once on SIGHUP).
 */
import type { Logger } from '../lib/log.js';
import type { SiteConfig, SiteLookup } from './sites.js';

/** Sites re-read in the background: requests are served from the last good map and rarely wait for a read. */
export interface RefreshingSites extends SiteLookup {
  current(): ReadonlyMap<string, SiteConfig>;
  /** How often the sites are re-read; undefined when they never change (SITES_JSON). */
  readonly intervalMs?: number;
  /** Re-reads now, whenever the last read was (an operator's SIGHUP). Never rejects. */
  refreshNow(): Promise<void>;
  /**
   * Starts a re-read when the last one began at least the interval ago, and returns it (to await);
   * otherwise undefined. The promise never rejects. A read still running after the interval is no
   * longer waited for (a cancelled request's read may never settle): the next one starts, and a late
   * answer never replaces a newer one.
   */
  refreshIfStale(): Promise<void> | undefined;
  /**
   * For a request, before it is answered: starts a re-read when due. With traffic the read runs
   * beside the request (handed to `background`, e.g. `ctx.waitUntil`) and this returns undefined.
   * Only when the last read began two intervals ago or more (an isolate idle that long, whose sites
   * may be long out of date) does it return the read, for that one request to await.
   */
  beforeRequest(background: (read: Promise<void>) => void): Promise<void> | undefined;
}

export interface RefreshingSitesOptions {
  /** The map already read, as of now. */
  initial: ReadonlyMap<string, SiteConfig>;
  /** Reads and parses the sites again; throws (a ConfigError, a failed read) to keep the last good map. */
  load: () => Promise<ReadonlyMap<string, SiteConfig>>;
  intervalMs: number;
  clock: { now(): number };
  logger: Logger;
}

/**
 * At most one read per interval, whatever the traffic; no request waits for it but the first after
 * two intervals without one. A failed or invalid read keeps the last good map, is logged once
 * (`sites.refresh_failed`) until a read succeeds again (`sites.refresh_recovered`), and is tried
 * again after the interval. A change of the sites served is logged as `sites.updated`.
 */
export function refreshingSites(options: RefreshingSitesOptions): RefreshingSites {
  const { load, intervalMs, clock, logger } = options;
  let sites = options.initial;
  let readAt = clock.now();
  let started = 0;
  let settled = 0;
  let failing = false;

  async function refresh(read: number): Promise<void> {
    let next: ReadonlyMap<string, SiteConfig>;
    try {
      next = await load();
    } catch (error) {
      if (read < settled) return;
      settled = read;
      if (!failing) logger.error('sites.refresh_failed', { error, serving: 'last_good', sites: sites.size, retry_in_ms: intervalMs });
      failing = true;
      return;
    }
    if (read < settled) return; // a newer read has answered already
    settled = read;
    if (failing) logger.info('sites.refresh_recovered', { sites: next.size });
    failing = false;
    const added = [...next.keys()].filter((slug) => !sites.has(slug));
    const removed = [...sites.keys()].filter((slug) => !next.has(slug));
    if (added.length > 0 || removed.length > 0) logger.info('sites.updated', { sites: next.size, added, removed });
    sites = next;
  }

  function refreshIfStale(): Promise<void> | undefined {
    if (clock.now() - readAt < intervalMs) return undefined;
    readAt = clock.now();
    return refresh(++started);
  }

  return {
    get: (slug) => sites.get(slug),
    current: () => sites,
    intervalMs,
    refreshNow() {
      readAt = clock.now();
      return refresh(++started);
    },
    refreshIfStale,
    beforeRequest(background) {
      const idle = clock.now() - readAt >= 2 * intervalMs;
      const read = refreshIfStale();
      if (!read || idle) return read;
      background(read);
      return undefined;
    },
  };
}

/** How often sites are re-read by default (SITES_REFRESH_SECONDS): a site added or fixed serves within a minute. */
export const SITES_REFRESH_SECONDS = 60;
export const MAX_REFRESH_SECONDS = 3600;

/** SITES_REFRESH_SECONDS: whole seconds from 1 to 3600, default 60; undefined when the value is bad. */
export function refreshSecondsOf(raw: string | undefined): number | undefined {
  const value = raw?.trim();
  if (value === undefined || value === '') return SITES_REFRESH_SECONDS;
  const seconds = /^\d{1,4}$/.test(value) ? Number(value) : 0;
  return seconds >= 1 && seconds <= MAX_REFRESH_SECONDS ? seconds : undefined;
}
