/**
 * A misconfigured site's leads wait, queued, on every outbox (memory, SQLite, PostgreSQL, the Durable
 * Object store in workerd): the deliverer does not send a lead its site check holds, queues a lead
 * again when ResMan refuses a write for its lead source or Propexo a create for an id, instead of
 * retrying it as it was or making it a dead letter, and sends them all, with the ids the site has
 * then, once they are released. The gate here is scripted; the real check is site-checks.test.ts's.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../relay/config/env.js';
import type { SiteConfig } from '../../relay/config/sites.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createDeliverer, type Deliverer } from '../../relay/outbox/delivery/deliverer.js';
import type { LeadStore } from '../../relay/outbox/store/types.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import type { SiteGate, SiteIdKind, SiteProblem } from '../../relay/sites/types.js';
import { checkedSink } from '../support/hygiene.js';
import { SITES, TEST_POLICY, TOKEN, fakeUpstream, manualClock, propexoLike, testEnv, type UpstreamCall } from './fixtures.js';
import { STORE_HARNESSES, stopStoreServers } from './support/store-harness.js';
import { at, lead } from './support/store-fixtures.js';

afterAll(stopStoreServers);

/** A gate an operator's script holds: problems by id, and what delivery reported refused. */
function scriptedGate(site: () => SiteConfig) {
  const problems: SiteProblem[] = [];
  const refusals: { kind: SiteIdKind; id: string }[] = [];
  const gate: SiteGate = {
    holding: (_slug, ids) => problems.filter((p) => ids[p.kind] === p.id),
    refused(_slug, kind, id, detail) {
      refusals.push({ kind, id });
      const uses = kind === 'lead_source_id' ? [...(site().lead_source_map?.values() ?? []), site().lead_source_id] : [site()[kind]];
      if (!uses.includes(id)) return false;
      problems.push({ field: kind, kind, id, problem: 'refused', detail, source: 'delivery' });
      return true;
    },
  };
  return { gate, problems, refusals };
}

const creates = (calls: UpstreamCall[]) => calls.filter((c) => c.method === 'POST' && c.url.endsWith('/v1/leads/resman/'));

describe.each(STORE_HARNESSES)('on the %s outbox, a misconfigured site’s leads', (_name, harness) => {
  let store: LeadStore;
  let deliverer: Deliverer;
  let sites: Map<string, SiteConfig>;
  let scripted: ReturnType<typeof scriptedGate>;
  let upstream: ReturnType<typeof fakeUpstream>;
  let statuses: string[];
  const clock = manualClock();

  beforeAll(async () => {
    await harness.setup?.();
  });
  beforeEach(async () => {
    store = await harness.open();
    const config = parseConfig(testEnv({ SITES_JSON: JSON.stringify(SITES) }));
    const oak = config.sites.get('oak-grove')!;
    sites = new Map([['oak-grove', { ...oak, lead_source_map: new Map([['google', 'src_google']]) }]]);
    scripted = scriptedGate(() => sites.get('oak-grove')!);
    // Write jobs end as `statuses` say, in turn (SUCCESS once they run out).
    statuses = [];
    upstream = fakeUpstream(
      propexoLike({
        status: () => {
          const failed = statuses.shift() === 'FAILURE';
          return Response.json(
            failed
              ? { write_status: 'FAILURE', errors: ['Transaction Source could not be found'], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: null },
          );
        },
      }),
    );
    deliverer = createDeliverer({
      store,
      client: createPropexoClient({ baseUrl: 'https://propexo.test', token: TOKEN, fetch: upstream.fetch, timeoutMs: 1_000 }),
      limiter: createMemoryLimiter({ clock }),
      sites,
      gate: scripted.gate,
      clock,
      logger: createLogger({ secrets: [TOKEN], sink: checkedSink(), clock }),
      policy: TEST_POLICY,
      sleep: async (ms) => clock.advance(ms),
      random: () => 0.5,
    });
  });
  afterEach(async () => {
    await store.close();
  });

  /** Every pass due within `ms` of the clock, moving it to each next due time. */
  async function deliver(ms = 10_000): Promise<void> {
    const end = clock.now() + ms;
    for (let round = 0; round < 1_000; round++) {
      if ((await deliverer.runOnce()) > 0) continue;
      const next = (await store.nextDueAt()) ?? Number.POSITIVE_INFINITY;
      if (next > end) return;
      clock.t = Math.max(clock.t, next);
    }
  }
  const accept = async (campaign?: string) =>
    (await store.accept(lead({ created_at: clock.now(), ...(campaign ? { campaign } : {}) }), at(clock.now()))).record;

  it('wait, queued, while an id they would be sent with is held; the others go; released, they go with the fixed ids', async () => {
    scripted.problems.push({
      field: 'lead_source_map.google',
      kind: 'lead_source_id',
      id: 'src_google',
      problem: 'not_found',
      detail: 'x',
      source: 'check',
    });
    const held = await accept('google');
    const plain = await accept();
    await deliver(2_000);
    expect(await store.get(held.id)).toMatchObject({ status: 'queued', error: 'site_misconfigured', attempts: 0 });
    expect(JSON.parse((await store.get(held.id))!.error_detail!)).toEqual([
      { field: 'lead_source_map.google', id: 'src_google', problem: 'not_found' },
    ]);
    expect((await store.get(plain.id))!.status).toBe('confirmed');
    expect(creates(upstream.calls).map((c) => (c.body as { lead_source_id: string }).lead_source_id)).toEqual(['src_web']);

    // Fixed: the map names another source, the problem is gone, the site's leads are released.
    sites.set('oak-grove', { ...sites.get('oak-grove')!, lead_source_map: new Map([['google', 'src_google_ads']]) });
    scripted.problems.splice(0);
    await deliverer.release('oak-grove');
    expect((await store.get(held.id))!.next_attempt_at).toBeLessThanOrEqual(clock.now());
    await deliver(100);
    expect((await store.get(held.id))!.status).toBe('confirmed');
    expect(creates(upstream.calls).map((c) => (c.body as { lead_source_id: string }).lead_source_id)).toEqual([
      'src_web',
      'src_google_ads',
    ]);
  });

  it('a write ResMan fails for its lead source is queued again, not retried as it was nor a dead letter, and written anew once fixed', async () => {
    statuses.push('FAILURE');
    const refused = await accept('google');
    await deliver(2_000);
    expect(scripted.refusals).toEqual([{ kind: 'lead_source_id', id: 'src_google' }]);
    expect(await store.get(refused.id)).toMatchObject({ status: 'queued', error: 'site_misconfigured', attempts: 1, write_retries: 0 });
    expect((await store.get(refused.id))!.job_id).toBeUndefined();
    expect(upstream.calls.filter((c) => c.url.includes('/retry-write/'))).toEqual([]);

    sites.set('oak-grove', { ...sites.get('oak-grove')!, lead_source_map: new Map([['google', 'src_google_ads']]) });
    scripted.problems.splice(0);
    await deliverer.release('oak-grove');
    await deliver(2_000);
    expect(await store.get(refused.id)).toMatchObject({ status: 'confirmed', attempts: 2 });
    expect(creates(upstream.calls).map((c) => (c.body as { lead_source_id: string }).lead_source_id)).toEqual([
      'src_google',
      'src_google_ads',
    ]);
  });

  it('a create Propexo refuses with a 400 naming an id waits for the fix instead of becoming a dead letter', async () => {
    upstream.respond(
      propexoLike({
        create: () =>
          Response.json(
            {
              error: {
                code: 'invalid_request',
                message: 'Invalid request body',
                details: { details: { issues: [{ code: 'custom', path: ['employee_id'], message: 'Employee not found' }] } },
              },
            },
            { status: 400 },
          ),
      }),
    );
    const refused = await accept();
    await deliver(2_000);
    expect(scripted.refusals).toEqual([{ kind: 'employee_id', id: 'emp_oak' }]);
    expect(await store.get(refused.id)).toMatchObject({ status: 'queued', error: 'site_misconfigured' });
    // Without the check's word (a 400 that names no site id), a refused create is a dead letter as before.
    upstream.respond(propexoLike({ create: () => Response.json({ error: { code: 'invalid_request', message: 'no' } }, { status: 400 }) }));
    scripted.problems.splice(0);
    const other = await accept();
    await deliver(2_000);
    expect(await store.get(other.id)).toMatchObject({ status: 'failed', error: 'propexo_rejected' });
  });
});
