/**
 * The deliverer against a fake Propexo on a manual clock: every path a lead can take from queued to
 * confirmed or dead letter, and what it costs in upstream requests.
 */
import { describe, expect, it } from 'vitest';
import { createDeliverer } from '../../relay/outbox/delivery/deliverer.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { reserveOf } from '../../relay/outbox/delivery/budget.js';
import {
  ROOMY_LIMITS,
  SITES,
  SITE_IDS,
  TOKEN,
  TEST_POLICY,
  VALID_LEAD,
  buildRelay,
  okResponse,
  postLead,
  propexoLike,
  type UpstreamCall,
  type UpstreamHandler,
} from './fixtures.js';

const creates = <T extends { method: string; url: string }>(calls: T[]) =>
  calls.filter((c) => c.method === 'POST' && c.url.endsWith('/v1/leads/resman/'));
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
    // The created record is read back before its id is taken for the lead's (spec: it may be another model's).
    expect(paths(relay.upstream.calls)).toEqual(['POST /v1/leads/resman/', 'GET /v1/admin/write-status/job_1', 'GET /v1/leads/rec_job_1']);
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
      target_move_in_date: VALID_LEAD.target_move_in_date,
      desired_max_rent_in_cents: 150000,
      desired_num_bedrooms: 2,
      notes: 'We have a cat.',
    });
    expect(await relay.store.get(receipt.id)).toMatchObject({
      status: 'confirmed',
      job_id: 'job_1',
      created_record_id: 'rec_job_1',
      attempts: 1,
    });
    const events = relay.logs().map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['lead.accepted', 'lead.sent', 'lead.confirmed']));
  });

  it('two deliverers holding the same queued lead: the claim names the attempt it read, so one POSTs', async () => {
    const relay = buildRelay();
    const receipt = await accepted(relay);
    const second = createDeliverer({
      store: relay.store,
      client: createPropexoClient({ baseUrl: relay.config.propexo.baseUrl, token: TOKEN, fetch: relay.upstream.fetch, timeoutMs: 1000 }),
      limiter: createMemoryLimiter({ clock: relay.clock }),
      sites: relay.config.sites,
      clock: relay.clock,
      logger: createLogger({ level: 'error' }),
      policy: { confirmFirstDelayMs: 60_000 },
      sleep: async (ms) => relay.clock.advance(ms),
      random: () => 0.5,
    });
    // Both read the lead queued at attempt 0 before either claims it.
    await Promise.all([relay.deliverer.runOnce(), second.runOnce()]);
    expect(creates(relay.upstream.calls)).toHaveLength(1);
    expect((await relay.store.get(receipt.id))!.attempts).toBe(1);
  });

  it('keeps checking a PENDING write, with growing gaps, until it succeeds', async () => {
    let checks = 0;
    const relay = buildRelay({
      handler: propexoLike({
        status: () =>
          Response.json(
            ++checks < 4
              ? { write_status: 'PENDING', errors: [], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_9' },
          ),
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
    const failure = () =>
      Response.json({ write_status: 'FAILURE', errors: ['Transaction Source could not be found'], created_record_id: null });
    const relay = buildRelay({
      handler: propexoLike({
        status: failure,
        retry: () => {
          retries++;
          return Response.json({ success: true });
        },
      }),
    });
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
        status: () =>
          Response.json(
            ++checks === 1
              ? { write_status: 'FAILURE', errors: ['busy'], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_2' },
          ),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_2', write_retries: 1 });
  });

  it("a Propexo 400 is a dead letter at once, with Propexo's details for the operator", async () => {
    const rejected: UpstreamHandler = () =>
      Response.json(
        {
          error: {
            code: 'invalid_request',
            message: 'Invalid',
            details: { issues: [{ code: 'invalid_type', path: ['employee_id'], message: 'Required' }] },
          },
        },
        { status: 400 },
      );
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
    await postLead(
      relay.app,
      { ...VALID_LEAD, first_name: 'Cy', email_1: 'cy@gmail.com' },
      { site: 'pine-ridge', origin: 'https://pineridge.example' },
    );
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
        create: () =>
          ++posts === 1 ? new Response('', { status: 429 }) : posts === 2 ? new Response('<html>', { status: 503 }) : okResponse('job_ok'),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', attempts: 3 });
    const order = paths(relay.upstream.calls);
    // After the 503: looked for in the write logs (refused here), searched (nothing found) during the
    // grace period, then sent again.
    const afterDoubt = order.slice(order.indexOf('POST /v1/leads/resman/', 1) + 1);
    expect(afterDoubt.slice(0, 2)).toEqual(['GET /v1/admin/logs/writes/', 'GET /v1/leads/']);
    expect(order.filter((p) => p === 'GET /v1/leads/').length).toBeGreaterThanOrEqual(1);
    const resend = relay.logs().find((l) => l.event === 'lead.resending_after_search');
    // How long it was in doubt: a duration, at least the grace period.
    expect(resend?.in_doubt_ms).toBeGreaterThanOrEqual(TEST_POLICY.inDoubtGraceMs!);
    expect(resend?.in_doubt_ms).toBeLessThan(86_400_000);
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
                  {
                    id: 'rec_found',
                    first_name: 'JANE',
                    last_name: 'doe',
                    email_1: 'jane.doe@gmail.com',
                    created_at: new Date(relay.clock.now()).toISOString(),
                  },
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

  it('a create in doubt found on the second page of the write logs: each page a request of the budget, never sent twice', async () => {
    let created = false;
    const start = { at: 0 };
    const times: Record<string, number[]> = {};
    const others = Array.from({ length: 100 }, (_, i) => ({
      job_id: `job_other_${i}`,
      status: 'SUCCESS',
      created_at: new Date(0).toISOString(),
      parameters: { property_id: SITE_IDS.property_id, first_name: 'Someone', last_name: `Else${i}`, email_1: `else${i}@gmail.com` },
      error: null,
    }));
    const relay = buildRelay({
      policy: { upstreamPerMinute: 4 },
      handler: propexoLike({
        create: () => {
          created = true;
          return new Promise<Response>(() => {}); // Propexo keeps it, the answer never comes
        },
        logs: (call) => {
          const offset = new URL(call.url).searchParams.get('offset')!;
          (times[offset] ??= []).push(relay.clock.now() - start.at);
          const own = {
            job_id: 'job_own',
            status: 'SUCCESS',
            created_at: new Date(relay.clock.now()).toISOString(),
            parameters: { ...SITE_IDS, first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com' },
            error: null,
          };
          return Response.json({ results: { logs: offset === '0' ? others : created ? [own] : [] } });
        },
      }),
    });
    start.at = relay.clock.now();
    const { id } = await accepted(relay);
    await relay.deliver(600_000);
    expect(creates(relay.upstream.calls)).toHaveLength(1);
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed' });
    // Page 0 was full, so page 1 (offset 100) was read too, each page its own turn of 4 a minute.
    expect(Object.keys(times).sort()).toEqual(['0', '100']);
    expect(times['100']![0]! - times['0']![0]!).toBeGreaterThanOrEqual(15_000);
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
    // 15 requests (5 creates, 5 checks, 5 reads of the created record) at 4 a minute, spread evenly: one every 15 s at most.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15_000);
    expect(times).toHaveLength(15);
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
    const { budgetWindow } = await import('../../relay/outbox/delivery/budget.js');
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
  const jane = (extra: object = {}) => ({
    id: 'rec_x',
    first_name: 'Jane',
    last_name: 'Doe',
    email_1: 'jane.doe@gmail.com',
    phone_1: null,
    ...extra,
  });
  const hangingCreate =
    (onCreate: () => void): UpstreamHandler =>
    () => {
      onCreate();
      return new Promise<Response>(() => {}); // Propexo took it; the answer never comes
    };

  it('an undated lead of the same person is not taken as this one: a dead letter for the operator', async () => {
    const relay = buildRelay({
      handler: propexoLike({
        create: hangingCreate(() => {}),
        search: () => Response.json({ results: [jane({ id: 'rec_last_month', created_at: null })] }),
      }),
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
          (call.body as { first_name: string }).first_name === 'Ben'
            ? hangingCreate(() => (postedAt = relay.clock.now()))(call, init)
            : okResponse('job_ana'),
        // Ben's lead shows 20 s after its POST: inside the grace period, if it counts from the POST.
        search: () =>
          Response.json({
            results:
              relay.clock.now() >= postedAt + 20_000
                ? [jane({ id: 'rec_ben', first_name: 'Ben', email_1: 'ben@gmail.com', created_at: new Date(postedAt).toISOString() })]
                : [],
          }),
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
        status: () =>
          Response.json(
            relay.clock.now() < retriedAt + 30_000
              ? { write_status: 'FAILURE', errors: ['busy'], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_late' },
          ),
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
    const sites = relay.config.sites as Map<string, typeof relay.config.sites extends ReadonlyMap<string, infer S> ? S : never>;
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

/** Oak Grove without its small per-site and per-IP limits, for bursts. */
const ROOMY = { SITES_JSON: JSON.stringify({ ...SITES, 'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS } }) };

interface Created {
  job: string;
  record: string;
  at: number;
  body: Record<string, string>;
}

/**
 * A Propexo whose writes take `writeMs` on the relay's clock: write-status says PENDING until then,
 * SUCCESS after, and the lead then shows in `GET /v1/leads/` (newest first, paged, filtered by
 * email_1 for searches) with that time as created_at. `listed` decides what the listing shows of
 * each created lead (default: its one record).
 */
function propexoWithListing(
  now: () => number,
  options: {
    writeMs?: number;
    /** Created leads are readable (listing, by id, search) only this long after their write is done: Propexo without read-back. */
    readBackMs?: number;
    listed?: (c: Created, record: Record<string, unknown>) => Record<string, unknown>[];
    oldestFirst?: boolean;
  } = {},
) {
  const writeMs = options.writeMs ?? 0;
  const readable = (c: Created) => now() >= c.at + writeMs + (options.readBackMs ?? 0);
  const created: Created[] = [];
  const handler: UpstreamHandler = (call: UpstreamCall) => {
    const url = new URL(call.url);
    if (call.method === 'POST' && url.pathname === '/v1/leads/resman/') {
      const job = `job_${created.length + 1}`;
      created.push({ job, record: `rec_${job}`, at: now(), body: call.body as Record<string, string> });
      return okResponse(job);
    }
    if (url.pathname.startsWith('/v1/admin/write-status/')) {
      const c = created.find((x) => x.job === decodeURIComponent(url.pathname.split('/').pop()!));
      if (!c) return Response.json({ error: { code: 'not_found' } }, { status: 404 });
      const done = now() >= c.at + writeMs;
      return Response.json({ write_status: done ? 'SUCCESS' : 'PENDING', errors: [], created_record_id: done ? c.record : null });
    }
    const byId = /^\/v1\/leads\/([^/]+)$/.exec(url.pathname);
    if (call.method === 'GET' && byId) {
      const c = created.find((x) => x.record === decodeURIComponent(byId[1]!) && readable(x));
      if (!c) return Response.json({ error: { code: 'invalid_request' } }, { status: 400 });
      return Response.json({ meta: {}, results: { id: c.record, ...c.body, created_at: new Date(c.at + writeMs).toISOString() } });
    }
    if (url.pathname === '/v1/leads/') {
      const email = url.searchParams.get('email_1');
      const records = created
        .filter((c) => readable(c) && (email === null || c.body.email_1 === email))
        .flatMap((c) => {
          const record = {
            id: c.record,
            first_name: c.body.first_name,
            last_name: c.body.last_name,
            email_1: c.body.email_1 ?? null,
            phone_1: c.body.phone_1 ?? null,
            created_at: new Date(c.at + writeMs).toISOString(),
          };
          return options.listed ? options.listed(c, record) : [record];
        })
        .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) * (options.oldestFirst ? -1 : 1));
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      return Response.json({
        meta: { offset, limit, hasMore: offset + limit < records.length, total: records.length },
        results: records.slice(offset, offset + limit),
      });
    }
    return new Response('not found', { status: 404 });
  };
  return { handler, created };
}

const isListing = (c: { method: string; url: string }) => {
  const url = new URL(c.url);
  return c.method === 'GET' && url.pathname === '/v1/leads/' && !url.searchParams.has('email_1') && !url.searchParams.has('phone_1');
};
const isStatusCheck = (c: { url: string }) => c.url.includes('/v1/admin/write-status/');

async function burst(relay: ReturnType<typeof buildRelay>, n: number, name = 'Lead') {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await postLead(relay.app, { first_name: `${name}${i}`, last_name: 'Doe', email_1: `${name.toLowerCase()}${i}@gmail.com` });
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

describe('confirmation rounds', () => {
  it('confirms a burst with one lead listing instead of one write-status per lead', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    const propexo = propexoWithListing(() => relay.clock.now(), { writeMs: 3 });
    relay = buildRelay({ env: ROOMY, handler: propexo.handler });
    const ids = await burst(relay, 30);
    await relay.deliver();
    expect(await relay.store.counts()).toMatchObject({ confirmed: 30, queued: 0, sent: 0, failed: 0 });
    expect(creates(relay.upstream.calls)).toHaveLength(30);
    expect(relay.upstream.calls.filter(isStatusCheck)).toHaveLength(0);
    expect(relay.upstream.calls.filter(isListing).length).toBeGreaterThanOrEqual(1);
    expect(relay.upstream.calls.filter(isListing).length).toBeLessThanOrEqual(3);
    // Each lead holds the very record its create made.
    for (const [i, id] of ids.entries()) expect((await relay.store.get(id))!.created_record_id).toBe(`rec_job_${i + 1}`);
    const listing = new URL(relay.upstream.calls.find(isListing)!.url);
    expect(Object.fromEntries(listing.searchParams)).toMatchObject({
      integration_id: SITE_IDS.integration_id,
      property_id: SITE_IDS.property_id,
      limit: '250',
      'order-by': 'created_at:desc',
    });
    expect(relay.logs().filter((l) => l.event === 'lead.confirmed' && l.how === 'listing')).toHaveLength(30);
  });

  it.each([
    ['newest first, as asked: the pages that cover the leads', false],
    ['ignoring order-by: every page, to the end', true],
  ])('reads more than one page of 250 when it must (%s)', async (_, oldestFirst) => {
    let relay!: ReturnType<typeof buildRelay>;
    const propexo = propexoWithListing(() => relay.clock.now(), { writeMs: 3, oldestFirst });
    relay = buildRelay({ env: ROOMY, handler: propexo.handler, policy: { listingMaxPages: 4 } });
    await burst(relay, 300);
    await relay.deliver();
    expect(await relay.store.counts()).toMatchObject({ confirmed: 300, failed: 0 });
    expect(relay.upstream.calls.filter(isStatusCheck)).toHaveLength(0);
    const offsets = relay.upstream.calls.filter(isListing).map((c) => new URL(c.url).searchParams.get('offset'));
    expect(offsets).toContain('250');
  });

  it('a lead the listing does not show, or shows twice, is left to its own write-status', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    const propexo = propexoWithListing(() => relay.clock.now(), {
      listed: (c, record) =>
        c.body.first_name === 'Lead3' ? [] : c.body.first_name === 'Lead7' ? [record, { ...record, id: 'rec_twin' }] : [record],
    });
    relay = buildRelay({ env: ROOMY, handler: propexo.handler });
    const ids = await burst(relay, 12);
    await relay.deliver(600_000);
    expect(await relay.store.counts()).toMatchObject({ confirmed: 12, failed: 0 });
    const checked = relay.upstream.calls.filter(isStatusCheck).map((c) => c.url.split('/').pop());
    expect([...new Set(checked)].sort()).toEqual(['job_4', 'job_8']);
    expect(await relay.store.get(ids[3]!)).toMatchObject({ created_record_id: 'rec_job_4' });
    expect(await relay.store.get(ids[7]!)).toMatchObject({ created_record_id: 'rec_job_8' });
    const how = relay
      .logs()
      .filter((l) => l.event === 'lead.confirmed')
      .map((l) => l.how);
    expect(how.filter((h) => h === 'listing')).toHaveLength(10);
    // Missed once: fewer than listingMinLeads left, so they are checked one by one at once.
    expect(how.filter((h) => h === 'write_status')).toHaveLength(2);
  });

  it('a write that FAILED never shows in a listing: after the rounds, write-status finds it and retries the write', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    let retried = false;
    const propexo = propexoWithListing(() => relay.clock.now(), {
      listed: (c, record) => (c.body.first_name === 'Lead5' && !retried ? [] : [record]),
    });
    relay = buildRelay({
      env: ROOMY,
      handler: (call, init) => {
        if (call.url.endsWith('/write-status/job_6') && !retried)
          return Response.json({ write_status: 'FAILURE', errors: ['busy'], created_record_id: null });
        if (call.url.includes('/retry-write/job_6')) {
          retried = true;
          return Response.json({ success: true });
        }
        return propexo.handler(call, init);
      },
    });
    const ids = await burst(relay, 12);
    await relay.deliver(600_000);
    expect(retried).toBe(true);
    expect(await relay.store.get(ids[5]!)).toMatchObject({ status: 'confirmed', write_retries: 1 });
    expect(creates(relay.upstream.calls)).toHaveLength(12);
  });

  it('a lead woken on purpose (a failure webhook, an operator) gets its own write-status at once', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    let retriedAt: number | undefined;
    // Nothing shows in the listing until the retry: the rounds stay on (they never rest here),
    // missing every lead.
    const propexo = propexoWithListing(() => relay.clock.now(), {
      writeMs: 3,
      listed: (_c, record) => (retriedAt === undefined ? [] : [record]),
    });
    relay = buildRelay({
      env: ROOMY,
      policy: { listingRounds: 50, listingEmptyRounds: 0 },
      handler: (call, init) => {
        if (call.url.endsWith('/write-status/job_6') && retriedAt === undefined)
          return Response.json({ write_status: 'FAILURE', errors: ['busy'], created_record_id: null });
        if (call.url.includes('/retry-write/job_6')) {
          retriedAt = relay.clock.now();
          return Response.json({ success: true });
        }
        return propexo.handler(call, init);
      },
    });
    const ids = await burst(relay, 12);
    await relay.deliver(50); // sent, and a few rounds
    expect(await relay.store.counts()).toMatchObject({ sent: 12 });
    expect((await relay.store.get(ids[5]!))!.checks).toBeGreaterThanOrEqual(1);
    expect(relay.upstream.calls.filter(isStatusCheck)).toEqual([]);
    // What the WRITE_OPERATION_FAILURE webhook does: due now, changed now.
    const now = relay.clock.now();
    await relay.store.update(ids[5]!, { next_attempt_at: now, updated_at: now }, { ifStatus: 'sent' });
    await relay.deliverer.runOnce();
    expect(retriedAt).toBe(now); // checked and retried at once, long before 50 missed rounds
    await relay.deliver();
    expect(await relay.store.get(ids[5]!)).toMatchObject({ status: 'confirmed', write_retries: 1 });
  });

  it('never takes a record another lead of the relay already holds', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    // Ana's second lead (after the dedupe window) is still being written; her first lead's record shows.
    const propexo = propexoWithListing(() => relay.clock.now(), { listed: (c, record) => (c.body.notes === 'second' ? [] : [record]) });
    relay = buildRelay({ env: ROOMY, handler: propexo.handler, policy: { clockSkewMs: 60 * 60_000 } });
    const ana = { first_name: 'Ana', last_name: 'Doe', email_1: 'ana@gmail.com' };
    const first = ((await (await postLead(relay.app, ana)).json()) as { id: string }).id;
    await relay.deliver();
    expect(await relay.store.get(first)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_job_1' });
    relay.clock.advance(11 * 60_000);
    const second = ((await (await postLead(relay.app, { ...ana, notes: 'second' })).json()) as { id: string }).id;
    await burst(relay, 11);
    await relay.deliver(600_000);
    // Never Ana's first record: the second lead is confirmed by its own write-status.
    expect(await relay.store.get(second)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_job_2' });
    expect(relay.logs().find((l) => l.event === 'lead.confirmed' && l.lead_id === second)).toMatchObject({ how: 'write_status' });
  });

  it('while creates wait, they go first: rounds come at most every listingEveryMs, no write-status', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    const propexo = propexoWithListing(() => relay.clock.now(), { writeMs: 500 });
    relay = buildRelay({ env: ROOMY, handler: propexo.handler, policy: { upstreamPerMinute: 60, listingEveryMs: 10_000 } });
    await burst(relay, 60);
    const start = relay.clock.now();
    const log: { t: number; kind: string }[] = [];
    relay.upstream.respond((call, init) => {
      log.push({
        t: relay.clock.now() - start,
        kind: isListing(call) ? 'list' : isStatusCheck(call) ? 'status' : call.method === 'POST' ? 'create' : 'other',
      });
      return propexo.handler(call, init);
    });
    await relay.deliver(600_000);
    expect(await relay.store.counts()).toMatchObject({ confirmed: 60, failed: 0 });
    const lastCreate = Math.max(...log.filter((l) => l.kind === 'create').map((l) => l.t));
    const during = log.filter((l) => l.t < lastCreate);
    expect(during.filter((l) => l.kind === 'status')).toEqual([]);
    const lists = during.filter((l) => l.kind === 'list').map((l) => l.t);
    expect(lists.length).toBeGreaterThanOrEqual(3); // confirmations still come during the backlog
    // A round starts at most every 10 s; its listing may then wait for one budget slot (1 s here).
    for (let i = 1; i < lists.length; i++) expect(lists[i]! - lists[i - 1]!).toBeGreaterThanOrEqual(10_000 - 1_000);
    // About one request per lead: 60 creates, a listing every 10 s, and the last few leads (fewer
    // than listingMinLeads once the creates are done) checked one by one, each record read back.
    expect(log.length).toBeLessThanOrEqual(60 + 6 + 2 * 10);
  });
});

describe('requests in flight', () => {
  it('overlaps slow answers, sends in the order of the outbox, and goes one at a time after a failure', async () => {
    let inFlight = 0;
    let most = 0;
    let fail = 3;
    const order: string[] = [];
    const base = propexoLike();
    const relay = buildRelay({
      env: ROOMY,
      handler: async (call, init) => {
        if (call.method !== 'POST') return base(call, init);
        order.push((call.body as { first_name: string }).first_name);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5)); // Propexo's slow-down, on the wall clock
        inFlight -= 1;
        // Three 503s in the middle: what follows goes one at a time until Propexo answers again.
        if (order.length === 10 && fail-- > 0) return new Response('<html>', { status: 503 });
        return base(call, init);
      },
    });
    await burst(relay, 24);
    await relay.deliver(600_000);
    expect(await relay.store.counts()).toMatchObject({ confirmed: 24, failed: 0 });
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(6);
    // The first sends of each lead left in the order the leads were accepted.
    const firsts = order.filter((name, i) => order.indexOf(name) === i);
    expect(firsts).toEqual(Array.from({ length: 24 }, (_, i) => `Lead${i}`));
  });
});

describe('reserveOf', () => {
  it("pauses only below what the relay's own pacing leaves free", () => {
    expect(reserveOf(150, 140, 0.2)).toBe(8); // 140 + 2 a minute at most: a pause at 8 left
    expect(reserveOf(150, 120, 0.2)).toBe(28);
    expect(reserveOf(150, 60, 0.2)).toBe(30); // far below: the plain 20%
    expect(reserveOf(150, 100_000, 0.2)).toBe(30); // a budget above Propexo's: the plain 20%
  });
});

describe('write jobs as the spec documents them (issue #11)', () => {
  it('follows the NEW job a retry-write answers: the old one keeps its FAILURE, no further retry or create', async () => {
    const retryBodies: unknown[] = [];
    const relay = buildRelay({
      handler: propexoLike({
        status: (call) =>
          Response.json(
            call.url.endsWith('/job_1')
              ? { write_status: 'FAILURE', errors: ['busy'], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_job_1' },
          ),
        retry: (call) => {
          retryBodies.push(call.body);
          return Response.json({ success: true, job_id: 'job_1_retry' });
        },
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver(600_000);
    expect(await relay.store.get(id)).toMatchObject({
      status: 'confirmed',
      job_id: 'job_1_retry',
      created_record_id: 'rec_job_1',
      write_retries: 1,
    });
    expect(retryBodies).toEqual([{}]);
    const calls = paths(relay.upstream.calls);
    expect(calls.filter((p) => p.startsWith('POST'))).toEqual(['POST /v1/leads/resman/', 'POST /v1/admin/retry-write/job_1']);
    expect(calls.slice(calls.indexOf('POST /v1/admin/retry-write/job_1') + 1)).toEqual([
      'GET /v1/admin/write-status/job_1_retry',
      'GET /v1/leads/rec_job_1',
    ]);
  });

  it('a 400 for its job (unknown to Propexo) leads to a search at once, not days of retries', async () => {
    const relay = buildRelay({
      handler: propexoLike({
        status: () => Response.json({ error: { code: 'invalid_request', message: 'job not found' } }, { status: 400 }),
        search: () =>
          Response.json({
            results: [
              {
                id: 'rec_found',
                first_name: 'Jane',
                last_name: 'Doe',
                email_1: 'jane.doe@gmail.com',
                created_at: new Date(relay.clock.now()).toISOString(),
              },
            ],
          }),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_found' });
    expect(relay.logs().find((l) => l.event === 'lead.confirmed')).toMatchObject({ how: 'found_after_unknown_job' });
  });

  it("takes created_record_id for the lead's id only once GET /v1/leads/{id} shows the same prospect", async () => {
    for (const lead of [
      () => Response.json({ error: { code: 'invalid_request' } }, { status: 400 }), // another model's id
      () =>
        Response.json({ meta: {}, results: { id: 'rec_x', first_name: 'Other', last_name: 'Person', created_at: '2025-01-01T00:00:00Z' } }),
    ]) {
      const relay = buildRelay({
        handler: propexoLike({ status: () => Response.json({ write_status: 'SUCCESS', errors: [], created_record_id: 'rec_x' }), lead }),
      });
      const { id } = await accepted(relay);
      await relay.deliver();
      const stored = await relay.store.get(id);
      expect(stored).toMatchObject({ status: 'confirmed' });
      expect(stored!.created_record_id).toBeUndefined();
      expect(relay.logs().some((l) => l.event === 'lead.created_record_not_this_lead')).toBe(true);
    }
  });
});

describe('a create in doubt, resolved by the write logs (issue #11)', () => {
  it('finds its own job in the write logs when the lead is not readable yet, and follows it: one create', async () => {
    let created = false;
    const logQueries: URLSearchParams[] = [];
    const relay = buildRelay({
      handler: propexoLike({
        create: () => {
          created = true;
          return new Response('<html>', { status: 502 }); // Propexo took it; the proxy lost the answer
        },
        logs: (call) => {
          logQueries.push(new URL(call.url).searchParams);
          return Response.json({
            results: {
              logs: created
                ? [
                    // Another prospect's job, then this one's (parameters: the body sent).
                    {
                      created_at: new Date(relay.clock.now()).toISOString(),
                      job_id: 'job_other',
                      status: 'SUCCESS',
                      error: null,
                      parameters: { ...SITE_IDS, first_name: 'Ann', last_name: 'Other', email_1: 'ann@gmail.com' },
                    },
                    {
                      created_at: new Date(relay.clock.now()).toISOString(),
                      job_id: 'job_mine',
                      status: 'SUCCESS',
                      error: null,
                      parameters: { ...SITE_IDS, first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com' },
                    },
                  ]
                : [],
            },
          });
        },
        status: (call) =>
          Response.json({ write_status: 'SUCCESS', errors: [], created_record_id: call.url.endsWith('/job_mine') ? 'rec_mine' : null }),
        lead: () => Response.json({ error: { code: 'invalid_request' } }, { status: 400 }), // not readable before the next sync
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver(600_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', job_id: 'job_mine', attempts: 1 });
    expect(creates(relay.upstream.calls)).toHaveLength(1);
    expect(relay.logs().find((l) => l.event === 'lead.found_in_write_logs')).toMatchObject({ job_id: 'job_mine', write_status: 'SUCCESS' });
    expect(Object.fromEntries(logQueries[0]!)).toMatchObject({
      integration_id: SITE_IDS.integration_id,
      write_category: 'leads',
      time_range: 'hour',
    });
  });
});

describe('write-status answers 400 while read-back is delayed (issue #11 follow-up)', () => {
  const logOf = (jobId: string, at: number, status = 'SUCCESS') => ({
    created_at: new Date(at).toISOString(),
    job_id: jobId,
    status,
    error: null,
    parameters: { ...SITE_IDS, first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com' },
  });

  it('a job the write logs show as SUCCESS is confirmed, never a dead letter, never created again', async () => {
    let createdAt: number | undefined;
    const relay = buildRelay({
      handler: propexoLike({
        create: () => {
          createdAt = relay.clock.now();
          return okResponse('job_1');
        },
        status: () => Response.json({ error: { code: 'invalid_request', message: 'unknown job' } }, { status: 400 }),
        logs: () => Response.json({ results: { logs: createdAt === undefined ? [] : [logOf('job_1', createdAt)] } }),
        // Not readable before the next sync: the search finds nothing.
        lead: () => Response.json({ error: { code: 'invalid_request' } }, { status: 400 }),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver(600_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', job_id: 'job_1' });
    expect(creates(relay.upstream.calls)).toHaveLength(1);
    expect(relay.logs().find((l) => l.event === 'lead.confirmed')).toMatchObject({ how: 'write_logs_after_unknown_job' });
  });

  it('a job the complete write logs do not show is a dead letter only once the grace period has passed', async () => {
    const relay = buildRelay({
      policy: { inDoubtGraceMs: 5_000 },
      handler: propexoLike({
        status: () => Response.json({ error: { code: 'invalid_request', message: 'unknown job' } }, { status: 400 }),
        logs: () => Response.json({ results: { logs: [] } }),
      }),
    });
    const { id } = await accepted(relay);
    await relay.deliver(2_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'sent' });
    await relay.deliver(10_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'job_not_found' });
    expect(creates(relay.upstream.calls)).toHaveLength(1);
  });
  it('that grace runs from when the job was written, not from when the lead came in', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    let refuseUntil = 0;
    relay = buildRelay({
      policy: { inDoubtGraceMs: 5_000 },
      handler: propexoLike({
        // Propexo at its limit for the lead's first 20 s: the create goes out only then.
        create: () => (relay.clock.now() < refuseUntil ? new Response('slow down', { status: 429 }) : okResponse('job_1')),
        status: () => Response.json({ error: { code: 'invalid_request', message: 'unknown job' } }, { status: 400 }),
        logs: () => Response.json({ results: { logs: [] } }),
      }),
    });
    refuseUntil = relay.clock.now() + 20_000;
    const { id } = await accepted(relay);
    await relay.deliver(22_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'sent' });
    expect((await relay.store.get(id))!.written_at).toBeGreaterThanOrEqual(refuseUntil);
    await relay.deliver(10_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'job_not_found' });
  });
});

describe('confirmation rounds without read-back (issue #11 follow-up)', () => {
  it('back off after rounds that find none of their leads: each lead confirmed by its own write-status, no listing storm', async () => {
    let relay!: ReturnType<typeof buildRelay>;
    const propexo = propexoWithListing(() => relay.clock.now(), { writeMs: 3, readBackMs: 3_600_000 });
    relay = buildRelay({ env: ROOMY, handler: propexo.handler });
    const first = await burst(relay, 30);
    await relay.deliver(60_000);
    expect(await relay.store.counts()).toMatchObject({ confirmed: 30, queued: 0, sent: 0, failed: 0 });
    const listings = relay.upstream.calls.filter(isListing).length;
    expect(listings).toBeLessThanOrEqual(2);
    // Confirmation: the fruitless listings, then write-status (and its record read) per lead.
    const confirming = relay.upstream.calls.filter((c) => !(c.method === 'POST' && c.url.endsWith('/v1/leads/resman/'))).length;
    expect(confirming / first.length).toBeLessThanOrEqual(2.1);
    expect(creates(relay.upstream.calls)).toHaveLength(30);
    expect(relay.logs().some((l) => l.event === 'leads.rounds_resting')).toBe(true);

    // A second burst while the rounds rest: no listing at all, straight to write-status.
    const before = relay.upstream.calls.length;
    relay.clock.advance(60_000);
    await burst(relay, 20, 'Second');
    await relay.deliver(60_000);
    expect(await relay.store.counts()).toMatchObject({ confirmed: 50, queued: 0, sent: 0, failed: 0 });
    const later = relay.upstream.calls.slice(before);
    expect(later.filter(isListing)).toHaveLength(0);
    expect(later.filter(isStatusCheck)).toHaveLength(20);
    expect(creates(relay.upstream.calls)).toHaveLength(50);
  });
});
