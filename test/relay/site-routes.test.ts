/**
 * The site checks as the routes show them: `/healthz` stays liveness (200 whatever the sites) with a
 * public summary that names fields, never ids; `GET /admin/sites` the whole report and
 * `POST /admin/sites/check` a check now, both behind ADMIN_TOKEN.
 */
import { describe, expect, it } from 'vitest';
import { createRelay } from '../../relay/app.js';
import { parseConfig } from '../../relay/config/env.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import type { SiteChecksReport, SiteChecksSource } from '../../relay/sites/types.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';
import { manualClock, testEnv } from './fixtures.js';

const ADMIN = 'adm_site_routes_0123456789';
registerSecret(ADMIN);

const REPORT: SiteChecksReport = {
  checked_at: 1_000,
  sites: [
    { site: 'oak-grove', name: 'Oak Grove', status: 'ok', problems: [], checked_at: 1_000 },
    {
      site: 'pine-ridge',
      name: 'Pine Ridge',
      status: 'misconfigured',
      checked_at: 1_000,
      problems: [
        {
          field: 'lead_source_map.google',
          kind: 'lead_source_id',
          id: 'src_secretive',
          problem: 'not_found',
          detail: 'not a lead source of the property',
          source: 'check',
        },
      ],
    },
    { site: 'elm', name: 'Elm', status: 'unknown', problems: [], checked_at: null, error: 'unavailable:http_503' },
  ],
};

function relay(siteChecks?: SiteChecksSource) {
  const lines: string[] = [];
  const app = createRelay({
    config: parseConfig(testEnv({ ADMIN_TOKEN: ADMIN })),
    clock: manualClock(),
    limiter: createMemoryLimiter(),
    store: createMemoryLeadStore(),
    logger: createLogger({ sink: checkedSink(lines) }),
    getClientIp: () => '192.0.2.1',
    ...(siteChecks ? { siteChecks } : {}),
  });
  return { app, lines };
}
const auth = { authorization: `Bearer ${ADMIN}` };

describe('the site checks in the routes', () => {
  it('/healthz: 200 with a summary of the sites, the misconfigured ones by field and problem, no id', async () => {
    const { app } = relay({ report: async () => REPORT, checkNow: async () => REPORT });
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      ok: true,
      sites: {
        checked_at: 1_000,
        ok: 1,
        misconfigured: 1,
        unknown: 1,
        unchecked: 0,
        problems: { 'pine-ridge': [{ field: 'lead_source_map.google', problem: 'not_found' }] },
      },
    });
    expect(text).not.toContain('src_secretive');
    expect((await app.request('/healthz', { method: 'HEAD' })).status).toBe(200);
  });

  it('/healthz stays 200 when the checks cannot answer, and says so', async () => {
    const { app } = relay({ report: () => Promise.reject(new Error('outbox object away')), checkNow: async () => REPORT });
    const res = await app.request('/healthz');
    expect([res.status, await res.json()]).toEqual([200, { ok: true, sites: 'unavailable' }]);
    expect(await (await relay().app.request('/healthz')).json()).toEqual({ ok: true }); // without checks: as before
  });

  it('GET /admin/sites and POST /admin/sites/check answer the report behind the admin token', async () => {
    let checks = 0;
    const { app, lines } = relay({
      report: async () => REPORT,
      checkNow: async () => {
        checks++;
        return { ...REPORT, checked_at: 2_000 };
      },
    });
    expect((await app.request('/admin/sites')).status).toBe(401);
    expect((await app.request('/admin/sites/check', { method: 'POST' })).status).toBe(401);
    expect(checks).toBe(0);
    const report = await app.request('/admin/sites', { headers: auth });
    expect([report.status, await report.json()]).toEqual([200, REPORT]);
    const checked = await app.request('/admin/sites/check', { method: 'POST', headers: auth });
    expect([checked.status, ((await checked.json()) as SiteChecksReport).checked_at, checks]).toEqual([200, 2_000, 1]);
    expect(lines.some((l) => l.includes('"event":"sites.checked_by_operator"'))).toBe(true);
    const wrong = await app.request('/admin/sites/check', { headers: auth });
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await app.request('/admin/sites', { method: 'DELETE', headers: auth })).status).toBe(405);
  });
});
