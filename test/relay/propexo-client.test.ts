import { describe, expect, it, vi } from 'vitest';
import { FIELD_NAMES } from '../../contract/fields.js';
import { parseSubmission } from '../../contract/submission.js';
import { RESMAN_LEAD_FIELDS, createPropexoClient, type ResmanLeadBody } from '../../relay/propexo/client.js';
import { isoDateAhead } from '../support/dates.js';
import { EVERY_FIELD, SITE_IDS, TOKEN, fakeUpstream, okResponse, type UpstreamHandler } from './fixtures.js';

const LEAD: ResmanLeadBody = {
  ...SITE_IDS,
  first_name: 'Jane',
  last_name: 'Doe',
  phone_1: '5125550142',
  desired_max_rent_in_cents: 150000,
};

function client(handler: UpstreamHandler, timeoutMs = 200) {
  const upstream = fakeUpstream(handler);
  return { upstream, client: createPropexoClient({ baseUrl: 'https://api.propexo.test', token: TOKEN, fetch: upstream.fetch, timeoutMs }) };
}

describe('createPropexoClient', () => {
  it('POSTs the documented fields with Bearer auth and reads meta.job_id and the rate headers', async () => {
    const { client: c, upstream } = client(() => okResponse('job_9', 12));
    const withExtra = { ...LEAD, ignore_unknown_fields: true, secret_field: 'x', email_1: undefined } as unknown as ResmanLeadBody;
    const result = await c.createLead(withExtra);
    expect(result).toEqual({ ok: true, jobId: 'job_9', status: 200, rateLimitRemaining: 12, rateLimitLimit: 150 });
    const call = upstream.calls[0]!;
    expect(call.url).toBe('https://api.propexo.test/v1/leads/resman/');
    expect(call.method).toBe('POST');
    expect(call.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(call.body).toEqual(LEAD);
  });

  it('passes every prospect field of the contract through, with the four ids', async () => {
    const { client: c, upstream } = client(() => Response.json({ meta: { job_id: 'job_all' } }));
    const parsed = parseSubmission(EVERY_FIELD, isoDateAhead(0));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
    const ids = { integration_id: 'i', property_id: 'p', employee_id: 'e', lead_source_id: 'l' };
    await c.createLead({ ...ids, ...parsed.value });
    expect(Object.keys(upstream.calls[0]!.body as object).sort()).toEqual([...FIELD_NAMES, ...Object.keys(ids)].sort());
    expect(RESMAN_LEAD_FIELDS).toHaveLength(24);
  });

  it('reads the generic job_id shape', async () => {
    const { client: c } = client(() => Response.json({ job_id: 'job_top', data: {} }));
    expect(await c.createLead(LEAD)).toMatchObject({ ok: true, jobId: 'job_top' });
  });

  const cases: [string, UpstreamHandler, Record<string, unknown>][] = [
    [
      '400',
      () => Response.json({ error: { code: 'invalid_request', message: 'bad', details: { issues: [] } } }, { status: 400 }),
      {
        ok: false,
        kind: 'rejected',
        status: 400,
        reason: 'http_400',
        maybeDelivered: false,
        details: { code: 'invalid_request', message: 'bad', details: { issues: [] } },
      },
    ],
    ['401', () => new Response('', { status: 401 }), { ok: false, kind: 'unauthorized', status: 401, maybeDelivered: false }],
    ['403', () => new Response('nope', { status: 403 }), { ok: false, kind: 'unauthorized', status: 403 }],
    ['404', () => new Response('', { status: 404 }), { ok: false, kind: 'rejected', status: 404 }],
    ['422', () => Response.json({ message: 'x' }, { status: 422 }), { ok: false, kind: 'rejected', status: 422 }],
    [
      '429',
      () => new Response('', { status: 429, headers: { 'x-ratelimit-remaining': '0' } }),
      { ok: false, kind: 'rate_limited', status: 429, rateLimitRemaining: 0, maybeDelivered: false },
    ],
    ['500', () => new Response('', { status: 500 }), { ok: false, kind: 'unavailable', status: 500, maybeDelivered: true }],
    ['502 html', () => new Response('<html>', { status: 502 }), { ok: false, kind: 'unavailable', status: 502 }],
    [
      '302',
      () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.test/' } }),
      { ok: false, kind: 'rejected', status: 302 },
    ],
    [
      '200 garbled',
      () => new Response('{"meta":', { status: 200 }),
      { ok: false, kind: 'unavailable', reason: 'unreadable_body', maybeDelivered: true },
    ],
    ['200 without job id', () => Response.json({ meta: {} }), { ok: false, kind: 'unavailable', reason: 'unreadable_body' }],
    [
      'network error',
      () => Promise.reject(new TypeError('fetch failed')),
      { ok: false, kind: 'unavailable', reason: 'network_error', maybeDelivered: true },
    ],
  ];
  for (const [name, handler, expected] of cases) {
    it(`maps ${name}`, async () => {
      const { client: c } = client(handler);
      const result = await c.createLead(LEAD);
      expect(result).toMatchObject(expected);
      expect(JSON.stringify(result)).not.toContain(TOKEN);
    });
  }

  it('scrubs the token from error details Propexo echoes back', async () => {
    const { client: c } = client((call) =>
      Response.json({ error: { message: `bad header ${call.headers.get('authorization')}`, details: { token: TOKEN } } }, { status: 400 }),
    );
    const result = await c.createLead(LEAD);
    expect(result).toMatchObject({
      kind: 'rejected',
      details: { message: 'bad header Bearer [redacted]', details: { token: '[redacted]' } },
    });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('times out a hanging request and aborts it', async () => {
    let signal: AbortSignal | undefined;
    const { client: c } = client((_call, init) => {
      signal = init.signal ?? undefined;
      return new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }, 100);
    // The time limit is a setTimeout: on fake timers, it gives up at 100 ms and not before.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const result = c.createLead(LEAD);
      vi.advanceTimersByTime(99);
      expect(signal?.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(signal?.aborted).toBe(true);
      expect(await result).toMatchObject({ ok: false, kind: 'unavailable', reason: 'timeout', maybeDelivered: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('times out a body that never finishes', async () => {
    const { client: c } = client(() => new Response(new ReadableStream({ start() {} }), { status: 200 }), 100);
    expect(await c.createLead(LEAD)).toMatchObject({ ok: false, kind: 'unavailable', reason: 'timeout' });
  });

  it('never throws, even when fetch throws synchronously, and never returns the token', async () => {
    const { client: c } = client(() => {
      throw new Error(`boom Bearer ${TOKEN}`);
    });
    const result = await c.createLead(LEAD);
    expect(result).toMatchObject({ ok: false, kind: 'unavailable', reason: 'network_error' });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});

describe('what may have reached Propexo', () => {
  it('a refused connection certainly did not; a reset may have', async () => {
    const refused = client(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })));
    expect(await refused.client.createLead(LEAD)).toMatchObject({
      kind: 'unavailable',
      reason: 'network_error:ECONNREFUSED',
      maybeDelivered: false,
    });
    const reset = client(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })));
    expect(await reset.client.createLead(LEAD)).toMatchObject({
      kind: 'unavailable',
      reason: 'network_error:ECONNRESET',
      maybeDelivered: true,
    });
  });
});

describe('answers read as the spec types them (issue #11)', () => {
  it('retry-write sends an empty JSON object and reads the new job id', async () => {
    const { client: c, upstream } = client(() => Response.json({ success: true, job_id: 'job_new' }));
    expect(await c.retryWrite('job_old')).toMatchObject({ ok: true, success: true, jobId: 'job_new' });
    const call = upstream.calls[0]!;
    expect(call.url).toBe('https://api.propexo.test/v1/admin/retry-write/job_old');
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(call.body).toEqual({});
  });

  it('pages floor plans past a missing or null hasMore, and stops on a short page or total', async () => {
    const plans = Array.from({ length: 600 }, (_, i) => ({ id: `fp_${i}`, name: `P${i}`, bathrooms: '2.00', bedrooms: 2 }));
    const { client: c, upstream } = client((req) => {
      const url = new URL(req.url);
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      const meta = offset === 0 ? { orderBy: [] } : { orderBy: [], hasMore: null };
      return Response.json({ meta, results: plans.slice(offset, offset + limit) });
    });
    const result = await c.listFloorPlans({ integration_id: 'i', property_id: 'p' });
    expect(result).toMatchObject({ ok: true, complete: true });
    if (!result.ok) return;
    expect(result.items).toHaveLength(600);
    expect(result.items[0]).toMatchObject({ id: 'fp_0', bathrooms: 2, bedrooms: 2 });
    expect(upstream.calls).toHaveLength(3);
  });

  it('stops when total is reached, even on a full page', async () => {
    const plans = Array.from({ length: 250 }, (_, i) => ({ id: `fp_${i}`, name: `P${i}` }));
    const { client: c, upstream } = client(() => Response.json({ meta: { orderBy: [], total: 250 }, results: plans }));
    expect(await c.listFloorPlans({ integration_id: 'i', property_id: 'p' })).toMatchObject({ ok: true, complete: true });
    expect(upstream.calls).toHaveLength(1);
  });

  it("reads units' numeric strings as numbers", async () => {
    const { client: c } = client(() =>
      Response.json({
        meta: { orderBy: [] },
        results: [{ id: 'u1', number: '101', bedrooms: '2.00', bathrooms: '1.50', is_available: true, square_feet: 900 }],
      }),
    );
    const result = await c.listUnits({ integration_id: 'i', property_id: 'p' });
    expect(result).toMatchObject({ ok: true, items: [{ id: 'u1', bedrooms: 2, bathrooms: 1.5, is_available: true }] });
  });

  it('reads a lead by id, and a 400 as no such lead', async () => {
    const { client: c, upstream } = client((req) =>
      req.url.endsWith('/lead_1')
        ? Response.json({ meta: {}, results: { id: 'lead_1', created_at: '2026-01-01T00:00:00Z', first_name: 'Jane', last_name: 'Doe' } })
        : Response.json({ error: { code: 'invalid_request' } }, { status: 400 }),
    );
    expect(await c.getLead('lead_1')).toMatchObject({ ok: true, lead: { id: 'lead_1', first_name: 'Jane', email_1: null } });
    expect(await c.getLead('nope')).toMatchObject({ ok: true, lead: null });
    expect(upstream.calls[0]!.url).toBe('https://api.propexo.test/v1/leads/lead_1');
  });

  it('reads the lead write logs with the documented filters', async () => {
    const { client: c, upstream } = client(() =>
      Response.json({
        results: {
          logs: [
            {
              id: 'l1',
              created_at: '2026-01-01T00:00:00Z',
              job_id: 'j1',
              job_log_id: 'jl1',
              status: 'SUCCESS',
              integration_id: 'i',
              job_type: 'x',
              parameters: { first_name: 'Jane' },
              error: null,
              name: 'n',
              vendor: 'RESMAN',
            },
          ],
        },
      }),
    );
    const result = await c.writeLogs({ integration_id: 'i', category: 'leads', time_range: 'day' }, 0);
    expect(result).toMatchObject({
      ok: true,
      more: false,
      logs: [{ job_id: 'j1', status: 'SUCCESS', parameters: { first_name: 'Jane' } }],
    });
    const url = new URL(upstream.calls[0]!.url);
    expect(url.pathname).toBe('/v1/admin/logs/writes/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      integration_id: 'i',
      write_category: 'leads',
      time_range: 'day',
      limit: '100',
      offset: '0',
    });
  });

  it('records an event on a lead and updates one, each a write job read like the create', async () => {
    const { client: c, upstream } = client(() => okResponse('job_evt', 9));
    const event = {
      integration_id: 'int_1',
      lead_id: 'lead 1/2',
      event_name: 'Contact' as const,
      event_datetime: '2026-12-07T10:00:00.000Z',
      notes: 'Still looking',
    };
    expect(await c.createLeadEvent(event)).toMatchObject({ ok: true, jobId: 'job_evt' });
    expect(await c.updateLead('lead 1/2', { desired_num_bedrooms: 2 })).toMatchObject({ ok: true, jobId: 'job_evt' });
    const [post, put] = upstream.calls;
    expect([post!.method, post!.url]).toEqual(['POST', 'https://api.propexo.test/v1/events/leads/resman/']);
    expect(post!.body).toEqual(event);
    expect([put!.method, put!.url]).toEqual(['PUT', 'https://api.propexo.test/v1/leads/resman/lead%201%2F2']);
    expect(put!.body).toEqual({ desired_num_bedrooms: 2 });
  });

  it('an event write whose 200 has no job id may still have been queued', async () => {
    const { client: c } = client(() => Response.json({ ok: true }));
    const result = await c.createLeadEvent({ integration_id: 'i', lead_id: 'l', event_name: 'Contact', event_datetime: 'x' });
    expect(result).toMatchObject({ ok: false, reason: 'unreadable_body', maybeDelivered: true });
  });
});
