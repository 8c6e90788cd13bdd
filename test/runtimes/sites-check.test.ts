/**
 * Sites checked against Propexo, on both runtimes, over loopback against the sandbox: a site whose
 * lead_source_map names a lead source the property does not have is misconfigured (admin API,
 * `/healthz` detail, an alert line), its leads sent with that source wait queued instead of going to
 * ResMan to fail, and go once the map is fixed and the sites re-read (SITES_FILE on Node, KV in
 * workerd). A 503 during a check leaves the site unknown, not misconfigured. A lead source the lists
 * show but ResMan refuses (inactive: the spec has no flag for it) is learned from the failed write:
 * that lead is queued again, not a dead letter, and goes with the fixed map too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY, VALID_LEAD } from '../relay/fixtures.js';
import { ADMIN_TOKEN, ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_suite_token_1234';
const UNKNOWN_SOURCE = 'lsrc_oakgrove_nope';
const INACTIVE_SOURCE = 'lsrc_oakgrove_craigslist';
const site = (map: Record<string, string>) => ({
  'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional', lead_source_map: map },
});
const BROKEN = site({ google: UNKNOWN_SOURCE, craigslist: INACTIVE_SOURCE });
const FIXED = site({ google: 'lsrc_oakgrove_google_ads', craigslist: 'lsrc_oakgrove_zillow' });

interface Check {
  site: string;
  status: string;
  error?: string;
  problems: { field: string; id: string; problem: string; source: string }[];
}
interface Lead {
  id: string;
  status: string;
  error?: string;
  submission: { first_name: string };
}

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('sites checked against Propexo on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;
  let output = '';

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    // The first check meets an outage: the site is unknown until the next, a second later.
    sandbox.injectFault({ kind: '503', path: '/v1/properties', times: 1 });
    const policy = JSON.stringify({ ...REALTIME_POLICY, siteCheckRetryMs: 1_000 });
    relay = await start(
      { ...relayVars(sandbox.url, TOKEN, BROKEN), DELIVERY_POLICY: policy },
      { reloadableSites: BROKEN, onOutput: (chunk) => void (output += chunk) },
    );
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  const admin = async <T>(path: string, init: RequestInit = {}) => {
    const res = await fetch(`${relay.url}/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const check = async () => (await admin<{ sites: Check[] }>('/sites')).sites[0]!;
  const lead = async (id: string) => (await admin<{ leads: Lead[] }>('/leads')).leads.find((l) => l.id === id)!;
  const health = async () => (await (await fetch(`${relay.url}/healthz`)).json()) as { ok: boolean; sites: Record<string, unknown> };
  const post = async (first_name: string, utm_source?: string) => {
    const res = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...VALID_LEAD,
        first_name,
        email_1: `${first_name.toLowerCase()}@gmail.com`,
        ...(utm_source ? { meta: { attribution: { utm_source } } } : {}),
      }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const received = (first_name: string) => sandbox.leads().filter((l) => l.body.first_name === first_name);

  it('a 503 during the check leaves the site unknown, not misconfigured; the next check finds the unknown lead source', async () => {
    await expect.poll(async () => (await check()).status, { timeout: 20_000, interval: 50 }).not.toBe('unchecked');
    expect(await check()).toMatchObject({ status: 'unknown', error: 'unavailable:http_503', problems: [] });
    expect((await health()).sites).toMatchObject({ misconfigured: 0 });

    await expect.poll(async () => (await check()).status, { timeout: 20_000, interval: 100 }).toBe('misconfigured');
    expect((await check()).problems).toEqual([
      expect.objectContaining({ field: 'lead_source_map.google', id: UNKNOWN_SOURCE, problem: 'not_found', source: 'check' }),
    ]);
    // Liveness stays 200; the public detail (up to 5 s old) names the field, never the id.
    await expect.poll(async () => (await health()).sites, { timeout: 10_000, interval: 200 }).toMatchObject({ misconfigured: 1 });
    const res = await fetch(`${relay.url}/healthz`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      ok: true,
      sites: { ok: 0, misconfigured: 1, problems: { 'oak-grove': [{ field: 'lead_source_map.google', problem: 'not_found' }] } },
    });
    expect(text).not.toContain(UNKNOWN_SOURCE);
    await expect.poll(() => /"event":"site\.misconfigured"[^\n]*"alert":true/.test(output), { timeout: 5_000 }).toBe(true);
  }, 40_000);

  it("holds the leads sent with a wrong source (the check's, and one ResMan refuses), sends the others, and sends all once the map is fixed", async () => {
    const waiting = await post('Gail', 'google');
    const refused = await post('Cora', 'craigslist');
    const plain = await post('Pete');
    await expect.poll(async () => (await lead(plain)).status, { timeout: 15_000, interval: 100 }).toBe('confirmed');
    await expect.poll(async () => (await lead(waiting)).error, { timeout: 15_000, interval: 100 }).toBe('site_misconfigured');
    // The inactive source passes the lists; ResMan fails the write, and the lead is queued again, not a dead letter.
    await expect.poll(async () => (await lead(refused)).error, { timeout: 15_000, interval: 100 }).toBe('site_misconfigured');
    expect(await lead(refused)).toMatchObject({ status: 'queued' });
    expect(received('Cora').map((l) => l.body.lead_source_id)).toEqual([INACTIVE_SOURCE]);
    expect((await check()).problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'lead_source_map.craigslist', problem: 'refused', source: 'delivery' })]),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await lead(waiting)).toMatchObject({ status: 'queued', error: 'site_misconfigured' });
    expect(received('Gail')).toEqual([]);
    expect(received('Cora')).toHaveLength(1);

    await relay.setSites!(FIXED);
    await expect.poll(async () => (await lead(waiting)).status, { timeout: 20_000, interval: 100 }).toBe('confirmed');
    await expect.poll(async () => (await lead(refused)).status, { timeout: 20_000, interval: 100 }).toBe('confirmed');
    expect(received('Gail').map((l) => l.body.lead_source_id)).toEqual(['lsrc_oakgrove_google_ads']);
    expect(received('Cora').map((l) => l.body.lead_source_id)).toEqual([INACTIVE_SOURCE, 'lsrc_oakgrove_zillow']);
    expect(await check()).toMatchObject({ status: 'ok', problems: [] });
    await expect.poll(async () => (await health()).sites, { timeout: 10_000, interval: 200 }).toMatchObject({ ok: 1, misconfigured: 0 });
    expect((await admin<{ counts: Record<string, number> }>('/leads')).counts.failed).toBe(0);
  }, 60_000);
});
