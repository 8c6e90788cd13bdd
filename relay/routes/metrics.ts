/**
 * `GET /metrics`: Prometheus text exposition format 0.0.4, behind METRICS_TOKEN as Bearer (unset,
 * refused), limited per client like the admin routes. Nothing personal and no secret in it: sites,
 * statuses, counts, ages and Propexo's budget.
 */
import { Hono } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { routeLimit } from '../http/rate-limit.js';
import { UPSTREAM_OUTCOMES } from '../outbox/delivery/upstream-stats.js';
import { LEAD_STATUSES } from '../outbox/store/types.js';
import type { RelayDeps, RelayEnv } from '../types.js';

const WEEK = 7 * 86_400_000;

/** A label value as the format wants it: backslash, double quote and newline escaped. */
const label = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

class Exposition {
  private lines: string[] = [];
  metric(name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${label(v)}"`)
        .join(',');
      this.lines.push(`${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function metricsRoutes(deps: RelayDeps): Hono<RelayEnv> {
  const { store, clock, config } = deps;
  const metrics = new Hono<RelayEnv>();
  metrics.use(routeLimit(deps, 'metrics', config.adminRatePerMinute));

  metrics.get('/', async function exposition(c) {
    const given = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (config.metricsToken === undefined || given === undefined || !(await timingSafeEqual(given, config.metricsToken))) {
      c.header('WWW-Authenticate', 'Bearer realm="resman-lead-form metrics"');
      throw new ApiError(401, 'unauthorized', 'A valid metrics token is required.');
    }
    const now = clock.now();
    const [rows, propexo, alerts] = await Promise.all([
      store.activity(now - WEEK),
      deps.propexoState?.() ?? null,
      deps.alertsSent?.() ?? {},
    ]);
    const sites = [...new Set([...config.sites.keys(), ...rows.map((r) => r.site)])].sort();
    const out = new Exposition();
    // Per site and status: the rows that are leads, or the rows that are booked tours.
    const bySiteAndStatus = (tours: boolean) =>
      sites.flatMap((site) =>
        LEAD_STATUSES.map((status): [Record<string, string>, number] => [
          { site, status },
          rows.filter((r) => !!r.tour === tours && r.site === site && r.status === status).length,
        ]),
      );
    out.metric(
      'resman_leads',
      'gauge',
      'Leads by site and status: every open lead (queued, sent, held, failed), and those accepted in the last 7 days.',
      bySiteAndStatus(false),
    );
    out.metric(
      'resman_tours',
      'gauge',
      'Booked tours by site and status (each a record beside its lead, delivered as an appointment): every open one, and those booked in the last 7 days.',
      bySiteAndStatus(true),
    );
    out.metric(
      'resman_oldest_queued_seconds',
      'gauge',
      'Age of the oldest queued lead by site, in seconds (0 when none is queued).',
      sites.map((site) => {
        const queued = rows.filter((r) => r.site === site && r.status === 'queued').map((r) => r.created_at);
        return [{ site }, queued.length === 0 ? 0 : (now - Math.min(...queued)) / 1000];
      }),
    );
    if (propexo) {
      out.metric(
        'resman_propexo_requests_total',
        'counter',
        'Requests to Propexo since this deliverer started, by outcome.',
        UPSTREAM_OUTCOMES.map((outcome) => [{ outcome }, propexo.requests_by_outcome[outcome]]),
      );
      out.metric('resman_propexo_requests_last_minute', 'gauge', 'Requests to Propexo in the last 60 seconds.', [
        [{}, propexo.requests_last_minute],
      ]);
      out.metric('resman_propexo_budget_per_minute', 'gauge', 'The upstream budget: requests a minute the relay allows itself.', [
        [{}, propexo.budget_per_minute],
      ]);
      out.metric('resman_propexo_budget_use_ratio', 'gauge', 'Requests in the last minute over the budget.', [
        [{}, propexo.requests_last_minute / propexo.budget_per_minute],
      ]);
      out.metric('resman_propexo_token_refused', 'gauge', '1 while Propexo refuses the token (401/403), else 0.', [
        [{}, propexo.token_refused ? 1 : 0],
      ]);
      out.metric('resman_propexo_last_rate_limited_timestamp_seconds', 'gauge', 'When Propexo last answered 429 (0: not since start).', [
        [{}, (propexo.last_rate_limited_at ?? 0) / 1000],
      ]);
    }
    const alertSamples = Object.entries(alerts as Record<string, number>).map(([kind, n]): [Record<string, string>, number] => [
      { kind },
      n,
    ]);
    out.metric(
      'resman_alerts_sent_total',
      'counter',
      'Alerts sent to operators, by kind.',
      alertSamples.length > 0 ? alertSamples : [[{}, 0]],
    );
    c.header('Cache-Control', 'no-store');
    return c.body(out.toString(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  metrics.all('/', methodNotAllowed('GET, HEAD'));
  return metrics;
}
