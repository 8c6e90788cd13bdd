/**
 * The form's lists (floor plans, available units) kept in memory, one entry per key: Propexo's own
 * copy of the PMS is refreshed about every 12 hours, so asking it more often only spends the budget.
 *
 * - A copy younger than `ttlMs` is served without asking Propexo.
 * - An older one is served at once while it is refreshed in the background: a page never waits on
 *   a slow Propexo once a copy exists. Requests arriving meanwhile share that one refresh.
 * - With no copy yet, a request waits for the first load at most `firstLoadWaitMs`, then is answered
 *   without the list while the load goes on.
 * - A failed refresh keeps the last good copy (or none) and is logged; the next attempt waits
 *   `retryMs` (`firstRetryMs` while there has never been a copy), so a Propexo outage costs one call
 *   per key per `retryMs`, not one per page view.
 *
 * Per process on Node, per isolate on Workers: each keeps its own copy, which at two refreshes a day
 * per site is a handful of calls. Entries are keyed by configured sites only, so the map is bounded.
 */
import type { LogFields, Logger } from '../lib/log.js';

export const FORM_CACHE_TTL_MS = 12 * 60 * 60 * 1000;
export const FORM_CACHE_RETRY_MS = 5 * 60 * 1000;
export const FORM_CACHE_FIRST_RETRY_MS = 30 * 1000;
export const FORM_CACHE_FIRST_LOAD_WAIT_MS = 2_000;

/** A loader's outcome; on failure, `log` says why (no secrets, no personal data). */
export type LoadResult<T> = { ok: true; value: T } | { ok: false; log: LogFields };

export interface CacheRead<T> {
  value: T;
  /** When this copy was loaded, on the injected clock. */
  loadedAt: number;
  /** True when a refresh was due and failed, so this is an older copy. */
  stale: boolean;
}

export interface FormCache {
  /**
   * The copy for `key`, refreshed through `load` when due; undefined when there is no copy yet.
   * `waitUntil` keeps a background refresh alive past the response (a Worker's `ctx.waitUntil`).
   */
  get<T>(key: string, load: () => Promise<LoadResult<T>>, waitUntil?: (work: Promise<unknown>) => void): Promise<CacheRead<T> | undefined>;
}

export interface FormCacheOptions {
  clock: { now(): number };
  logger: Logger;
  ttlMs?: number;
  retryMs?: number;
  firstRetryMs?: number;
  firstLoadWaitMs?: number;
}

interface Entry {
  value?: { data: unknown; loadedAt: number };
  /** The last failed refresh; none is tried again before retryMs has passed. */
  failedAt?: number;
  inFlight?: Promise<void>;
}

export function createFormCache(options: FormCacheOptions): FormCache {
  const { clock, logger } = options;
  const ttlMs = options.ttlMs ?? FORM_CACHE_TTL_MS;
  const retryMs = options.retryMs ?? FORM_CACHE_RETRY_MS;
  const firstRetryMs = Math.min(retryMs, options.firstRetryMs ?? FORM_CACHE_FIRST_RETRY_MS);
  const firstLoadWaitMs = options.firstLoadWaitMs ?? FORM_CACHE_FIRST_LOAD_WAIT_MS;
  const entries = new Map<string, Entry>();

  const retryAfter = (entry: Entry) => (entry.value ? retryMs : firstRetryMs);
  const due = (entry: Entry, now: number) =>
    (entry.value === undefined || now - entry.value.loadedAt >= ttlMs) &&
    (entry.failedAt === undefined || now - entry.failedAt >= retryAfter(entry));

  async function refresh(key: string, entry: Entry, load: () => Promise<LoadResult<unknown>>): Promise<void> {
    let result: LoadResult<unknown>;
    try {
      result = await load();
    } catch (err) {
      // A loader should not throw (the client never does); if it does, it is a failed refresh too.
      result = { ok: false, log: { error: err } };
    }
    const now = clock.now();
    if (result.ok) {
      entry.value = { data: result.value, loadedAt: now };
      delete entry.failedAt;
      logger.debug('form_cache.refreshed', { key });
      return;
    }
    entry.failedAt = now;
    logger.warn('form_cache.refresh_failed', {
      key,
      ...result.log,
      serving: entry.value ? 'last_good' : 'none',
      ...(entry.value ? { age_ms: now - entry.value.loadedAt } : {}),
      retry_in_ms: retryAfter(entry),
    });
  }

  return {
    async get<T>(key: string, load: () => Promise<LoadResult<T>>, waitUntil?: (work: Promise<unknown>) => void) {
      let entry = entries.get(key);
      if (!entry) entries.set(key, (entry = {}));
      if (!entry.inFlight && due(entry, clock.now())) {
        const current = entry;
        current.inFlight = refresh(key, current, load).finally(() => {
          delete current.inFlight;
        });
        waitUntil?.(current.inFlight);
      }
      // No copy yet: wait for the load in flight, for a short while only.
      if (!entry.value && entry.inFlight) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const waited = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, firstLoadWaitMs);
        });
        await Promise.race([entry.inFlight, waited]);
        clearTimeout(timer);
      }
      if (!entry.value) return undefined;
      const now = clock.now();
      return { value: entry.value.data as T, loadedAt: entry.value.loadedAt, stale: now - entry.value.loadedAt >= ttlMs };
    },
  };
}
