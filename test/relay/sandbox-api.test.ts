/** The embedded Propexo sandbox's HTTP surface, through app.request(). */
import { describe, expect, it } from 'vitest';
import { SANDBOX_IDS, createSandbox } from '../../relay/sandbox/index.js';
import { AUTH, JSON_AUTH, START, TOKEN, aLead, issuesOf, paths, setup } from './sandbox-helpers.js';

describe('auth', () => {
  it('refuses /v1 without the right bearer token, with a JSON 401', async () => {
    const { sandbox } = setup();
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }];
    for (const headers of refused) {
      const res = await sandbox.app.request('/v1/floor-plans/', { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await sandbox.app.request('/v1/floor-plans/', { headers: AUTH })).status).toBe(200);
  });

  it('leaves the control surface and the page open, and refuses a blank token', async () => {
    const { sandbox } = setup();
    expect((await sandbox.app.request('/__sandbox/leads')).status).toBe(200);
    expect((await sandbox.app.request('/')).status).toBe(200);
    expect(() => createSandbox({ token: '' })).toThrow(/token/);
  });
});

describe('POST /v1/leads/resman/ validation', () => {
  it('requires the four ids and both names', async () => {
    const { postLead, sandbox } = setup();
    const issues = await issuesOf(await postLead({ first_name: 'Dana' }));
    expect(paths(issues).sort()).toEqual(['employee_id', 'integration_id', 'last_name', 'lead_source_id', 'property_id']);
    expect(sandbox.leads()).toHaveLength(0);
  });

  it('refuses unknown fields unless ignore_unknown_fields=true, which drops them', async () => {
    const { postLead, sandbox } = setup();
    const issues = await issuesOf(await postLead(aLead({ favourite_color: 'teal' })));
    expect(issues[0]).toMatchObject({ code: 'unrecognized_keys', path: [] });
    expect(sandbox.leads()).toHaveLength(0);

    const res = await postLead(aLead({ favourite_color: 'teal' }), '?ignore_unknown_fields=true');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: Record<string, unknown> };
    expect(body.result).not.toHaveProperty('favourite_color');
    expect(sandbox.leads()[0]!.body).not.toHaveProperty('favourite_color');
  });

  it('checks types: phone type enum, numbers >= 0, real dates, JSON', async () => {
    const { postLead, post } = setup();
    expect(await issuesOf(await postLead(aLead({ phone_1_type: 'CELL' })))).toMatchObject([{ code: 'invalid_value', path: ['phone_1_type'] }]);
    expect(await issuesOf(await postLead(aLead({ desired_max_rent_in_cents: -1 })))).toMatchObject([{ code: 'too_small', path: ['desired_max_rent_in_cents'] }]);
    expect(await issuesOf(await postLead(aLead({ desired_num_bedrooms: '2' })))).toMatchObject([{ code: 'invalid_type', path: ['desired_num_bedrooms'] }]);
    expect(paths(await issuesOf(await postLead(aLead({ target_move_in_date: '2026-02-30' }))))).toEqual(['target_move_in_date']);
    expect(paths(await issuesOf(await postLead(aLead({ first_name: 42 }))))).toEqual(['first_name']);
    const notJson = await post('/v1/leads/resman/', undefined, { body: '{"first_name":' });
    expect((await issuesOf(notJson)).length).toBe(1);
  });

  it('refuses an unknown integration, property or employee', async () => {
    const { postLead, sandbox } = setup();
    expect(paths(await issuesOf(await postLead(aLead({ integration_id: 'int_nope' }))))).toEqual(['integration_id']);
    expect(paths(await issuesOf(await postLead(aLead({ property_id: 'prop_nope' }))))).toEqual(['property_id']);
    expect(paths(await issuesOf(await postLead(aLead({ employee_id: 'emp_nope' }))))).toEqual(['employee_id']);
    expect(sandbox.leads()).toHaveLength(0);
  });
});

describe('create lead and write jobs', () => {
  it('answers 200 { meta.job_id, result } echoing the fields, nulls for the rest, time part stripped', async () => {
    const { postLead, sandbox } = setup();
    const res = await postLead(aLead({ phone_1_type: 'MOBILE', desired_num_bedrooms: 2, target_move_in_date: '2026-03-01T00:00:00.000Z' }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { meta: { job_id: string }; result: Record<string, unknown> };
    expect(body.meta.job_id).toMatch(/^\S{8,}$/);
    expect(body.result).toMatchObject({ ...aLead(), phone_1_type: 'MOBILE', desired_num_bedrooms: 2, target_move_in_date: '2026-03-01', notes: null, unit_id: null });
    expect(sandbox.leads()).toEqual([
      expect.objectContaining({ job_id: body.meta.job_id, received_at: new Date(START).toISOString(), write_status: 'PENDING', created_record_id: null }),
    ]);
    expect(sandbox.leads()[0]!.body.target_move_in_date).toBe('2026-03-01');
    // The documented path ends in a slash; without it works too.
    expect((await sandbox.app.request('/v1/leads/resman', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()) })).status).toBe(200);
    expect(sandbox.leads()).toHaveLength(2);
  });

  it('write-status is PENDING until writeDelayMs has passed on the clock, then SUCCESS with the new lead', async () => {
    const { postLead, get, clock, sandbox } = setup({ writeDelayMs: 1500 });
    const { meta } = (await (await postLead(aLead())).json()) as { meta: { job_id: string } };
    const status = async () => (await get(`/v1/admin/write-status/${meta.job_id}`)).json() as Promise<Record<string, unknown>>;
    expect(await status()).toEqual({ write_status: 'PENDING', errors: [], created_record_id: null });
    clock.advance(1499);
    expect((await status()).write_status).toBe('PENDING');
    clock.advance(1);
    const done = await status();
    expect(done).toMatchObject({ write_status: 'SUCCESS', errors: [] });
    expect(done.created_record_id).toMatch(/^lead_/);
    const search = (await (await get('/v1/leads/?email_1=dana.whitfield@mail.test')).json()) as { results: { id: string; first_name: string }[] };
    expect(search.results.map((r) => r.id)).toEqual([done.created_record_id]);
    expect(sandbox.jobs()[0]).toMatchObject({ job_id: meta.job_id, write_status: 'SUCCESS', attempts: 1 });
    expect((await get('/v1/admin/write-status/no-such-job')).status).toBe(404);
  });

  it('accepts an unknown lead source, fails the job in "ResMan", and retry-write re-runs it', async () => {
    const { postLead, get, post, clock, sandbox } = setup({ writeDelayMs: 1000 });
    const res = await postLead(aLead({ lead_source_id: 'lsrc_oakgrove_billboard' }));
    expect(res.status).toBe(200);
    const { meta } = (await res.json()) as { meta: { job_id: string } };
    const status = async () => (await get(`/v1/admin/write-status/${meta.job_id}`)).json() as Promise<Record<string, unknown>>;
    clock.advance(1000);
    expect(await status()).toEqual({ write_status: 'FAILURE', errors: ['Transaction Source could not be found'], created_record_id: null });

    expect(await (await post(`/v1/admin/retry-write/${meta.job_id}`, {})).json()).toEqual({ success: true, job_id: meta.job_id });
    expect((await status()).write_status).toBe('PENDING');
    clock.advance(1000);
    expect((await status()).write_status).toBe('FAILURE');

    // The office adds the source in ResMan; the next retry goes through.
    sandbox.data.leadSources.push({ ...sandbox.data.leadSources[0]!, id: 'lsrc_oakgrove_billboard', name: 'Billboard' });
    await post(`/v1/admin/retry-write/${meta.job_id}`, {});
    clock.advance(1000);
    expect((await status()).write_status).toBe('SUCCESS');
    expect(sandbox.jobs()[0]!.attempts).toBe(3);
    expect(await (await post(`/v1/admin/retry-write/${meta.job_id}`, {})).json()).toEqual({ success: false, job_id: meta.job_id });
    expect((await post('/v1/admin/retry-write/no-such-job', {})).status).toBe(404);
  });
});

describe('lists', () => {
  type Page<T> = { meta: { offset: number; limit: number; hasMore: boolean; total: number }; results: T[] };
  const { get, sandbox } = setup();
  const list = async <T = Record<string, unknown>>(path: string) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    return (await res.json()) as Page<T>;
  };

  it('serves the demo community: 5 floor plans, 20 units, employees with a duplicate name, lead sources', async () => {
    const plans = await list<{ id: string; bedrooms: number; unit_count: number; rent_minimum_in_cents: number; image_urls: string[] }>(
      `/v1/floor-plans/?integration_id=${SANDBOX_IDS.integration_id}&property_id=${SANDBOX_IDS.property_id}`,
    );
    expect(plans.results.map((p) => p.bedrooms)).toEqual([0, 1, 2, 2, 3]);
    expect(plans.results.reduce((n, p) => n + p.unit_count, 0)).toBe(20);
    expect(plans.results.every((p) => p.image_urls.every((u) => !/^https?:/.test(u)))).toBe(true);
    expect((await list('/v1/units')).meta.total).toBe(20);
    const names = (await list<{ name: string }>('/v1/employees/')).results.map((e) => e.name);
    expect(names.filter((n) => n === 'Maria Reyes')).toHaveLength(2);
    expect((await list<{ name: string }>('/v1/lead-sources')).results.map((s) => s.name)).toEqual(
      ['Property Website', 'Zillow', 'Apartments.com', 'Google Ads'],
    );
    expect(sandbox.data.employees.some((e) => e.id === SANDBOX_IDS.employee_id)).toBe(true);
  });

  it('pages with offset/limit, reports hasMore and total, and refuses a bad limit', async () => {
    const first = await list('/v1/units/?limit=5');
    expect(first.meta).toEqual({ offset: 0, limit: 5, orderBy: [], hasMore: true, total: 20 });
    expect(first.results).toHaveLength(5);
    const last = await list('/v1/units/?limit=5&offset=15');
    expect(last.meta.hasMore).toBe(false);
    expect(last.results).toHaveLength(5);
    expect((await list('/v1/units/')).meta.limit).toBe(100);
    for (const bad of ['limit=0', 'limit=251', 'limit=ten', 'offset=-1']) {
      expect(paths(await issuesOf(await get(`/v1/units/?${bad}`)))).toEqual([bad.split('=')[0]]);
    }
  });

  it('filters and orders', async () => {
    expect((await list<{ number: string }>('/v1/units?unit_number=307')).results.map((u) => u.number)).toEqual(['307']);
    expect((await list('/v1/units?property_id=prop_elsewhere')).meta.total).toBe(0);
    const byRent = await list<{ rent_amount_market_in_cents: number }>('/v1/units?order-by=rent_amount_market_in_cents:desc&limit=1');
    expect(byRent.results[0]!.rent_amount_market_in_cents).toBe(249_500);
  });

  it('searches leads by 10-digit phone and case-insensitive email, refusing other phone shapes', async () => {
    expect((await list<{ first_name: string }>('/v1/leads/?phone_1=5125550142')).results.map((l) => l.first_name)).toEqual(['Priya']);
    expect((await list<{ first_name: string }>('/v1/leads?email_1=MARCUS.Bell@mail.test')).results.map((l) => l.first_name)).toEqual(['Marcus']);
    expect((await list('/v1/leads?phone_1=5125550000')).meta.total).toBe(0);
    for (const phone of ['512-555-0142', '1125550142', '+15125550142', '512555014']) {
      expect(paths(await issuesOf(await get(`/v1/leads?phone_1=${encodeURIComponent(phone)}`)))).toEqual(['phone_1']);
    }
  });
});

describe('rate limit', () => {
  it('reports the budget on every response, answers 429 past 150 until the minute turns', async () => {
    const { get, clock, sandbox } = setup();
    for (let i = 1; i <= 150; i++) {
      const res = await get('/v1/lead-sources/');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('150');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(150 - i));
    }
    const refused = await get('/v1/admin/write-status/anything');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('retry-after')).toBeNull();
    // Unauthenticated requests are not the account's: 401, not 429.
    expect((await sandbox.app.request('/v1/units')).status).toBe(401);
    clock.advance(59_999);
    expect((await get('/v1/units')).status).toBe(429);
    clock.advance(1);
    const fresh = await get('/v1/units');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-ratelimit-remaining')).toBe('149');
  });

  it('delays responses past slowDownAt of the budget', async () => {
    const { get } = setup({ rateLimitPerMinute: 5, slowDownAt: 0.6, slowDownMs: 150 });
    const elapsed: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await get('/v1/units?limit=1');
      elapsed.push(performance.now() - t);
    }
    expect(elapsed.slice(0, 3).every((ms) => ms < 120)).toBe(true);
    expect(elapsed.slice(3).every((ms) => ms >= 145)).toBe(true);
  });
});


describe('the leads page at /', () => {
  it('lists leads newest first, escaped and masked', async () => {
    const { postLead, sandbox, clock } = setup({ writeDelayMs: 0 });
    await postLead(aLead({ first_name: 'Early', last_name: 'Bird' }));
    clock.advance(1000);
    await postLead(aLead({ first_name: '<script>alert(1)</script>', last_name: '"><img src=x onerror=alert(2)>' }));
    const res = await sandbox.app.request('/');
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/ style=/);
    expect(html).toContain('d***@mail.test');
    expect(html).not.toContain('dana.whitfield');
    expect(html.indexOf('&lt;script&gt;')).toBeLessThan(html.indexOf('Early'));
    expect(html).toContain(SANDBOX_IDS.lead_source_id);
    expect(html).toContain(sandbox.leads()[0]!.created_record_id!);
  });
});

describe('reset()', () => {
  it('forgets leads, jobs, faults and the rate-limit window, keeping the demo data', async () => {
    const { postLead, get, sandbox } = setup({ rateLimitPerMinute: 2 });
    await postLead(aLead());
    await get('/v1/units');
    expect((await get('/v1/units')).status).toBe(429);
    sandbox.injectFault({ kind: '500' });
    sandbox.reset();
    expect(sandbox.leads()).toEqual([]);
    expect(sandbox.jobs()).toEqual([]);
    expect((await get('/v1/units')).status).toBe(200);
    expect((await get('/v1/leads')).status).toBe(200);
    expect(sandbox.data.units).toHaveLength(20);
  });
});
