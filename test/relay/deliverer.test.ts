/**
 * The deliverer against a fake Propexo on a manual clock: every path a lead can take from queued to
 * confirmed or dead letter, and what it costs in upstream requests.
 */
import { describe, expect, it } from 'vitest';
import { createDeliverer } from '../../relay/delivery/deliverer.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/log.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { SITE_IDS, TOKEN, VALID_LEAD, buildRelay, okResponse, postLead, propexoLike, type UpstreamHandler } from './fixtures.js';

const creates = <T extends { method: string; url: string }>(calls: T[]) => calls.filter((c) => c.method === 'POST' && c.url.endsWith('/v1/leads/resman/'));
const paths = (calls: { method: string; url: string }[]) => calls.map((c) => `${c.method} ${new URL(c.url).pathname}`);

async function accepted(relay: ReturnType<typeof buildRelay>, body: object = VALID_LEAD) {
  const res = await postLead(relay.app, body);
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; status: string };
}

describe('deliverer', () => {
  it('answers 202 queued at once, then sends the lead with the site ids and confirms its write', async () => {
    const relay = buildRelay();
    const receipt = await accepted(relay);
    expect(receipt.status).toBe('queued');
    expect(relay.upstream.calls).toHaveLength(0); // nothing reached Propexo before the answer

    await relay.deliver();
    expect(paths(relay.upstream.calls)).toEqual(['POST /v1/leads/resman/', 'GET /v1/admin/write-status/job_1']);
    const [create] = relay.upstream.calls;
    expect(create!.url).toBe('https://propexo.test/v1/leads/resman/'); // documented path, no ignore_unknown_fields
    expect(create!.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(create!.headers.get('content-type')).toBe('application/json');
    expect(create!.body).toEqual({
      ...SITE_IDS,
      first_name: 'Jane',
      last_name: 'Doe',
      email_1: 'jane.doe@gmail.com',
      phone_1: '5125550142',
      target_move_in_date: '2025-07-01',
      desired_max_rent_in_cents: 150000,
      desired_num_bedrooms: 2,
      notes: 'We have a cat.',
    });
    expect(await relay.store.get(receipt.id)).toMatchObject({ status: 'confirmed', job_id: 'job_1', created_record_id: 'rec_job_1', attempts: 1 });
    const events = relay.logs().map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['lead.accepted', 'lead.sent', 'lead.confirmed']));
  });

  it('keeps checking a PENDING write, with growing gaps, until it succeeds', async () => {
    let checks = 0;
    const relay = buildRelay({
      handler: propexoLike({
        status: () =>
          Response.json(++checks < 4 ? { write_status: 'PENDING', errors: [], created_record_id: null } : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_9' }),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(checks).toBe(4);
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_9' });
    expect(creates(relay.upstream.calls)).toHaveLength(1);
  });

  it('retries a FAILED write a bounded number of times, then makes it a dead letter with the errors', async () => {
    let retries = 0;
    const failure = () => Response.json({ write_status: 'FAILURE', errors: ['Transaction Source could not be found'], created_record_id: null });
    const relay = buildRelay({ handler: propexoLike({ status: failure, retry: () => (retries++, Response.json({ success: true })) }) });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(retries).toBe(3);
    const lead = await relay.store.get(id);
    expect(lead).toMatchObject({ status: 'failed', error: 'write_failed' });
    expect(JSON.parse(lead!.error_detail!)).toEqual({ errors: ['Transaction Source could not be found'] });
    expect(creates(relay.upstream.calls)).toHaveLength(1); // never re-posted
  });

  it('a write that succeeds after a retry-write is confirmed', async () => {
    let checks = 0;
    const relay = buildRelay({
      handler: propexoLike({
        status: () => Response.json(++checks === 1 ? { write_status: 'FAILURE', errors: ['busy'], created_record_id: null } : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_2' }),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_2', write_retries: 1 });
  });

  it('a Propexo 400 is a dead letter at once, with Propexo\'s details for the operator', async () => {
    const rejected: UpstreamHandler = () =>
      Response.json({ error: { code: 'invalid_request', message: 'Invalid', details: { issues: [{ code: 'invalid_type', path: ['employee_id'], message: 'Required' }] } } }, { status: 400 });
    const relay = buildRelay({ handler: propexoLike({ create: rejected }) });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(creates(relay.upstream.calls)).toHaveLength(1);
    const lead = await relay.store.get(id);
    expect(lead).toMatchObject({ status: 'failed', error: 'propexo_rejected' });
    expect(lead!.in_doubt_since).toBeUndefined();
    expect(lead!.error_detail).toContain('employee_id');
    const dead = relay.logs().find((l) => l.event === 'lead.dead_letter');
    expect(dead).toMatchObject({ level: 'error', reason: 'propexo_rejected', lead_id: id });
  });

  it('401 pauses delivery for every site with one alert; leads wait and go once the token works', async () => {
    let authorized = false;
    const propexo = propexoLike();
    const relay = buildRelay({
      handler: propexoLike({ create: (call, init) => (authorized ? propexo(call, init) : new Response('', { status: 401 })) }),
    });
    await accepted(relay, { ...VALID_LEAD, first_name: 'Ana', email_1: 'ana@gmail.com' });
    await accepted(relay, { ...VALID_LEAD, first_name: 'Ben', email_1: 'ben@gmail.com' });
    await postLead(relay.app, { ...VALID_LEAD, first_name: 'Cy', email_1: 'cy@gmail.com' }, { site: 'pine-ridge', origin: 'https://pineridge.example' });
    await relay.deliver(5_000); // three pauses of a second each
    const alerts = relay.logs().filter((l) => l.event === 'propexo.unauthorized');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ level: 'error', alert: true });
    // One probe per pause, not one per lead.
    expect(creates(relay.upstream.calls).length).toBeLessThanOrEqual(6);
    expect((await relay.store.counts()).queued).toBe(3);

    authorized = true;
    await relay.deliver();
    expect(await relay.store.counts()).toMatchObject({ confirmed: 3, queued: 0, failed: 0 });
    expect(relay.logs().some((l) => l.event === 'propexo.authorized_again')).toBe(true);
  });

  it('429 and 503 are retried with backoff; a 503 (maybe delivered) is looked for before any resend', async () => {
    let posts = 0;
    const relay = buildRelay({
      handler: propexoLike({
        create: () => (++posts === 1 ? new Response('', { status: 429 }) : posts === 2 ? new Response('<html>', { status: 503 }) : okResponse('job_ok')),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', attempts: 3 });
    const order = paths(relay.upstream.calls);
    // After the 503: searched (nothing found) during the grace period, then sent again.
    const afterDoubt = order.slice(order.indexOf('POST /v1/leads/resman/', 1) + 1);
    expect(afterDoubt[0]).toBe('GET /v1/leads/');
    expect(order.filter((p) => p === 'GET /v1/leads/').length).toBeGreaterThanOrEqual(1);
    expect(relay.logs().some((l) => l.event === 'lead.resending_after_search')).toBe(true);
  });

  it('a POST that timed out after Propexo took it is found by the search and never sent twice', async () => {
    let created = false;
    const relay = buildRelay({
      handler: propexoLike({
        create: () => {
          created = true;
          return new Promise<Response>(() => {}); // Propexo keeps it, the answer never comes
        },
        search: (call) => {
          const url = new URL(call.url);
          expect(url.searchParams.get('email_1')).toBe('jane.doe@gmail.com');
          expect(url.searchParams.get('property_id')).toBe(SITE_IDS.property_id);
          return Response.json({
            results: created
              ? [
                  { id: 'old', first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com', created_at: '2020-01-01T00:00:00Z' },
                  { id: 'rec_found', first_name: 'JANE', last_name: 'doe', email_1: 'jane.doe@gmail.com', created_at: new Date(relay.clock.now()).toISOString() },
                ]
              : [],
          });
        },
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(creates(relay.upstream.calls)).toHaveLength(1);
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_found' });
  });

  it('a lead not confirmed within the age limit becomes a dead letter', async () => {
    const relay = buildRelay({ handler: propexoLike({ create: () => new Response('', { status: 502 }) }), policy: { maxAgeMs: 2_000 } });
    const { id } = await accepted(relay);
    await relay.deliver(10_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'not_delivered_in_time' });
  });

  it('sends in the order leads were accepted, within one upstream budget for all sites', async () => {
    let visitor = 0;
    const relay = buildRelay({ policy: { upstreamPerMinute: 4 }, ip: () => `198.51.100.${++visitor}` });
    for (const name of ['Ana', 'Ben', 'Cy', 'Dee', 'Eve']) {
      await accepted(relay, { ...VALID_LEAD, first_name: name, email_1: `${name.toLowerCase()}@gmail.com` });
    }
    const start = relay.clock.now();
    const times: number[] = [];
    relay.upstream.respond((call, init) => {
      times.push(relay.clock.now() - start);
      return propexoLike()(call, init);
    });
    await relay.deliver(600_000);
    const sent = creates(relay.upstream.calls).map((c) => (c.body as { first_name: string }).first_name);
    expect(sent).toEqual(['Ana', 'Ben', 'Cy', 'Dee', 'Eve']);
    // 10 requests (5 creates, 5 checks) at 4 a minute, spread evenly: one every 15 s at most.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15_000);
    expect(times).toHaveLength(10);
  });

  it('slows down when Propexo says its budget is nearly spent', async () => {
    const relay = buildRelay({ handler: propexoLike({ create: () => okResponse('job_low', 5) }), policy: { upstreamLowPauseMs: 1_000 } });
    await accepted(relay);
    const start = relay.clock.now();
    let checkedAt = 0;
    relay.upstream.respond((call, init) => {
      if (call.url.includes('write-status')) checkedAt = relay.clock.now() - start;
      return propexoLike({ create: () => okResponse('job_low', 5) })(call, init);
    });
    await relay.deliver();
    expect(checkedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('purges confirmed leads after the retention period', async () => {
    const relay = buildRelay({ policy: { retentionMs: 1_000, purgeEveryMs: 100 } });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect((await relay.store.get(id))?.status).toBe('confirmed');
    relay.clock.advance(1_500);
    await relay.deliverer.runOnce();
    expect(await relay.store.get(id)).toBeNull();
    expect(relay.logs().some((l) => l.event === 'leads.purged')).toBe(true);
  });
});

describe('deliverer lifecycle', () => {
  it('stops promptly even while waiting for the upstream budget', async () => {
    const relay = buildRelay({ policy: { upstreamPerMinute: 1 } });
    relay.clock.t = Date.now(); // the live deliverer below runs on real time
    await accepted(relay, VALID_LEAD);
    await accepted(relay, { ...VALID_LEAD, first_name: 'Ana', email_1: 'ana@gmail.com' });
    // A real-time deliverer over the same store: the second lead waits a minute for the budget.
    const live = createDeliverer({
      store: relay.store,
      client: createPropexoClient({ baseUrl: 'https://propexo.test', token: TOKEN, fetch: relay.upstream.fetch, timeoutMs: 200 }),
      limiter: createMemoryLimiter(),
      sites: relay.config.sites,
      clock: Date,
      logger: createLogger({ sink: () => {} }),
      policy: { upstreamPerMinute: 1, idleMs: 50 },
    });
    live.start();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await live.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(creates(relay.upstream.calls)).toHaveLength(1);
  });
});

describe('budgetWindow', () => {
  it('holds any 60 seconds to the rate plus one window', async () => {
    const { budgetWindow } = await import('../../relay/delivery/budget.js');
    expect(budgetWindow(120)).toEqual({ max: 2, windowMs: 1_000 });
    expect(budgetWindow(100)).toEqual({ max: 1, windowMs: 600 });
    expect(budgetWindow(4)).toEqual({ max: 1, windowMs: 15_000 });
    for (const perMinute of [1, 7, 60, 100, 120, 149, 1000]) {
      const { max, windowMs } = budgetWindow(perMinute);
      const worst = (Math.ceil(60_000 / windowMs) + 1) * max;
      expect(worst, String(perMinute)).toBeLessThanOrEqual(perMinute + 2 * max);
      if (perMinute <= 120) expect(worst).toBeLessThan(150);
    }
  });
});

describe('never twice, never lost: the hard cases', () => {
  const jane = (extra: object = {}) => ({ id: 'rec_x', first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com', phone_1: null, ...extra });
  const hangingCreate = (onCreate: () => void): UpstreamHandler => () => {
    onCreate();
    return new Promise<Response>(() => {}); // Propexo took it; the answer never comes
  };

  it('an undated lead of the same person is not taken as this one: a dead letter for the operator', async () => {
    const relay = buildRelay({
      handler: propexoLike({ create: hangingCreate(() => {}), search: () => Response.json({ results: [jane({ id: 'rec_last_month', created_at: null })] }) }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'in_doubt_unresolved' });
    expect(creates(relay.upstream.calls)).toHaveLength(1);
  });

  it('a bare date counts as the whole day, an older dated lead never counts', async () => {
    let postedAt = 0;
    const relay = buildRelay({
      handler: propexoLike({
        create: hangingCreate(() => (postedAt = relay.clock.now())),
        search: () =>
          Response.json({
            results: [
              jane({ id: 'rec_old', created_at: new Date(postedAt - 86_400_000).toISOString() }),
              jane({ id: 'rec_today', created_at: new Date(postedAt).toISOString().slice(0, 10) }),
            ],
          }),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_today' });
    expect(creates(relay.upstream.calls)).toHaveLength(1);
  });

  it('the grace period counts from the POST, not from a long wait for the budget before it', async () => {
    let postedAt = Number.POSITIVE_INFINITY;
    const relay = buildRelay({
      policy: { upstreamPerMinute: 1, inDoubtGraceMs: 30_000 },
      handler: propexoLike({
        create: (call, init) =>
          (call.body as { first_name: string }).first_name === 'Ben' ? hangingCreate(() => (postedAt = relay.clock.now()))(call, init) : okResponse('job_ana'),
        // Ben's lead shows 20 s after its POST: inside the grace period, if it counts from the POST.
        search: () => Response.json({ results: relay.clock.now() >= postedAt + 20_000 ? [jane({ id: 'rec_ben', first_name: 'Ben', email_1: 'ben@gmail.com', created_at: new Date(postedAt).toISOString() })] : [] }),
      }),
    });
    await accepted(relay, { ...VALID_LEAD, first_name: 'Ana', email_1: 'ana@gmail.com' });
    const ben = await accepted(relay, { ...VALID_LEAD, first_name: 'Ben', email_1: 'ben@gmail.com' });
    await relay.deliver(600_000);
    expect(creates(relay.upstream.calls).filter((c) => (c.body as { first_name: string }).first_name === 'Ben')).toHaveLength(1);
    expect(await relay.store.get(ben.id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_ben' });
  });

  it('a FAILURE still reported just after a retry-write does not use up the retries', async () => {
    let retriedAt = Number.POSITIVE_INFINITY;
    let retries = 0;
    const relay = buildRelay({
      handler: propexoLike({
        // The old FAILURE lingers 30 s after the retry, then the retried write succeeds.
        status: () => Response.json(relay.clock.now() < retriedAt + 30_000 ? { write_status: 'FAILURE', errors: ['busy'], created_record_id: null } : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_late' }),
        retry: () => {
          retries++;
          retriedAt = Math.min(retriedAt, relay.clock.now());
          return Response.json({ success: true });
        },
      }),
      policy: { confirmFirstDelayMs: 2_000, confirmMaxDelayMs: 20_000 },
    });
    const { id } = await accepted(relay);
    await relay.deliver(300_000);
    expect(retries).toBe(1);
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_late' });
  });
});

describe('a site this process does not know', () => {
  it('keeps the lead waiting (not a dead letter) until the site is configured again', async () => {
    const relay = buildRelay();
    const { id } = await accepted(relay);
    const sites = relay.config.sites as Map<string, (typeof relay.config.sites extends ReadonlyMap<string, infer S> ? S : never)>;
    const oak = sites.get('oak-grove')!;
    sites.delete('oak-grove');
    await relay.deliver(5_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'queued', error: 'site_not_configured' });
    expect(relay.upstream.calls).toHaveLength(0);
    sites.set('oak-grove', oak);
    await relay.deliver();
    expect((await relay.store.get(id))!.status).toBe('confirmed');
  });
});
