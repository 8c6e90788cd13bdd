/**
 * `GET /healthz` and `GET /readyz`, each mounted at its path. `/healthz` is liveness: the process is
 * up and answering, nothing else is checked (restarting it would not mend a full disk). `/readyz` is
 * readiness: 503 with the reasons while the outbox cannot write or Propexo refuses the token
 * (relay/lib/readiness.ts), so an orchestrator sends traffic elsewhere.
 *
 * `/healthz` also says how the sites' check stands (relay/sites/): a detail, never a failure, since
 * one misconfigured site is no reason to restart a relay that serves the others. Public, so it names
 * the fields at fault, not their ids (`GET /admin/sites` has those).
 */
import { Hono } from 'hono';
import { methodNotAllowed } from '../http/errors.js';
import { cachedFor, type Readiness } from '../lib/readiness.js';
import { withTimeLimit } from '../lib/time-limit.js';
import type { SiteChecksReport, SiteChecksSource } from '../sites/types.js';
import type { Clock, RelayEnv } from '../types.js';

/** How long one summary serves every probe, and how long a probe waits for one (Workers ask the outbox object). */
const SUMMARY_CACHE_MS = 5_000;
const SUMMARY_WAIT_MS = 1_000;

/** The public summary: how many sites in each state, and for the misconfigured ones which fields. */
export function sitesSummary(report: SiteChecksReport) {
  const count = (status: string) => report.sites.filter((s) => s.status === status).length;
  const misconfigured: Record<string, { field: string; problem: string }[]> = {};
  for (const site of report.sites) {
    if (site.status === 'misconfigured') misconfigured[site.site] = site.problems.map(({ field, problem }) => ({ field, problem }));
  }
  return {
    checked_at: report.checked_at,
    ok: count('ok'),
    misconfigured: count('misconfigured'),
    unknown: count('unknown'),
    unchecked: count('unchecked'),
    problems: misconfigured,
  };
}

export function healthRoutes(siteChecks?: SiteChecksSource, clock: Clock = Date): Hono<RelayEnv> {
  const health = new Hono<RelayEnv>();
  const summary = siteChecks
    ? cachedFor(SUMMARY_CACHE_MS, clock, () =>
        withTimeLimit(SUMMARY_WAIT_MS, null, () => siteChecks.report().then(sitesSummary)).catch(() => null),
      )
    : undefined;
  health.get('/', async (c) => {
    if (!summary) return c.json({ ok: true });
    return c.json({ ok: true, sites: (await summary()) ?? 'unavailable' });
  });
  health.all('/', methodNotAllowed('GET, HEAD'));
  return health;
}

/** A status report, not an error: 503 `{ ok: false, reasons }` rather than the error envelope. */
export function readinessRoutes(readiness: Readiness): Hono<RelayEnv> {
  const ready = new Hono<RelayEnv>();
  ready.get('/', async (c) => {
    c.header('Cache-Control', 'no-store');
    const reasons = await readiness();
    return reasons.length === 0 ? c.json({ ok: true }) : c.json({ ok: false, reasons }, 503);
  });
  ready.all('/', methodNotAllowed('GET, HEAD'));
  return ready;
}
