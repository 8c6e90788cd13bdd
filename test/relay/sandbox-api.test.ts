/** The embedded Propexo sandbox's HTTP surface, through app.request(). */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { SANDBOX_IDS, SANDBOX_IDS_VISTA, createSandbox } from '../../sandbox/index.js';
import { AUTH, JSON_AUTH, START, TOKEN, aLead, issuesOf, paths, setup } from './sandbox-helpers.js';

describe('auth', () => {
  it('refuses /v1 without the right bearer token, with a JSON 401', async () => {
    const { sandbox } = setup();
    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ];
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
    expect(await issuesOf(await postLead(aLead({ phone_1_type: 'CELL' })))).toMatchObject([
      { code: 'invalid_value', path: ['phone_1_type'] },
    ]);
    expect(await issuesOf(await postLead(aLead({ desired_max_rent_in_cents: -1 })))).toMatchObject([
      { code: 'too_small', path: ['desired_max_rent_in_cents'] },
    ]);
    expect(await issuesOf(await postLead(aLead({ desired_num_bedrooms: '2' })))).toMatchObject([
      { code: 'invalid_type', path: ['desired_num_bedrooms'] },
    ]);
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
    expect(body.result).toMatchObject({
      ...aLead(),
      phone_1_type: 'MOBILE',
      desired_num_bedrooms: 2,
      target_move_in_date: '2026-03-01',
      notes: null,
      unit_id: null,
    });
    expect(sandbox.leads()).toEqual([
      expect.objectContaining({
        job_id: body.meta.job_id,
        received_at: new Date(START).toISOString(),
        write_status: 'PENDING',
        created_record_id: null,
      }),
    ]);
    expect(sandbox.leads()[0]!.body.target_move_in_date).toBe('2026-03-01');
    // The documented path ends in a slash; without it works too.
    expect(
      (await sandbox.app.request('/v1/leads/resman', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()) })).status,
    ).toBe(200);
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
    const search = (await (await get('/v1/leads/?email_1=dana.whitfield@mail.test')).json()) as {
      results: { id: string; first_name: string }[];
    };
    expect(search.results.map((r) => r.id)).toEqual([done.created_record_id]);
    expect(sandbox.jobs()[0]).toMatchObject({ job_id: meta.job_id, write_status: 'SUCCESS', attempts: 1 });
    // The spec documents only 200 and 400 for write-status: an unknown job is a 400.
    expect((await get('/v1/admin/write-status/no-such-job')).status).toBe(400);
  });

  it('accepts an unknown lead source, fails the job in "ResMan", and retry-write re-runs it as a new job', async () => {
    const { postLead, get, post, clock, sandbox } = setup({ writeDelayMs: 1000 });
    const res = await postLead(aLead({ lead_source_id: 'lsrc_oakgrove_billboard' }));
    expect(res.status).toBe(200);
    const { meta } = (await res.json()) as { meta: { job_id: string } };
    const status = async () => (await get(`/v1/admin/write-status/${meta.job_id}`)).json() as Promise<Record<string, unknown>>;
    clock.advance(1000);
    expect(await status()).toEqual({ write_status: 'FAILURE', errors: ['Transaction Source could not be found'], created_record_id: null });

    const retry = async (jobId: string) =>
      (await (await post(`/v1/admin/retry-write/${jobId}`, {})).json()) as { success: boolean; job_id: string };
    const statusOf = async (jobId: string) => (await get(`/v1/admin/write-status/${jobId}`)).json() as Promise<Record<string, unknown>>;
    const second = await retry(meta.job_id);
    expect(second.success).toBe(true);
    expect(second.job_id).not.toBe(meta.job_id); // the NEW job (spec)
    expect((await status()).write_status).toBe('FAILURE'); // the old job keeps its failure
    expect((await statusOf(second.job_id)).write_status).toBe('PENDING');
    clock.advance(1000);
    expect((await statusOf(second.job_id)).write_status).toBe('FAILURE');

    // The office adds the source in ResMan; the next retry goes through.
    sandbox.data.leadSources.push({ ...sandbox.data.leadSources[0]!, id: 'lsrc_oakgrove_billboard', name: 'Billboard' });
    const third = await retry(second.job_id);
    clock.advance(1000);
    expect((await statusOf(third.job_id)).write_status).toBe('SUCCESS');
    expect((await status()).write_status).toBe('FAILURE');
    expect(sandbox.jobs().map((j) => [j.attempts, j.write_status, j.retry_of])).toEqual([
      [1, 'FAILURE', null],
      [2, 'FAILURE', meta.job_id],
      [3, 'SUCCESS', second.job_id],
    ]);
    expect(sandbox.leads()).toHaveLength(1);
    expect(await retry(third.job_id)).toEqual({ success: false, job_id: third.job_id });
    expect((await post('/v1/admin/retry-write/no-such-job', {})).status).toBe(400);
  });
});

describe('inactive records', () => {
  it('lists an inactive lead source like any other (the spec has no flag for it), and fails a write with it in "ResMan"', async () => {
    const { postLead, get, clock } = setup({ writeDelayMs: 1000 });
    const listed = (await (await get(`/v1/lead-sources/?property_id=${SANDBOX_IDS.property_id}`)).json()) as {
      results: Record<string, unknown>[];
    };
    const craigslist = listed.results.find((s) => s.id === 'lsrc_oakgrove_craigslist');
    expect(craigslist).toMatchObject({ name: 'Craigslist', property_id: SANDBOX_IDS.property_id });
    expect(Object.keys(craigslist!).sort()).toEqual(Object.keys(listed.results[0]!).sort());
    expect(craigslist).not.toHaveProperty('active');
    expect(craigslist).not.toHaveProperty('is_active');
    const res = await postLead(aLead({ lead_source_id: 'lsrc_oakgrove_craigslist' }));
    expect(res.status).toBe(200);
    const { meta } = (await res.json()) as { meta: { job_id: string } };
    clock.advance(1000);
    expect(await (await get(`/v1/admin/write-status/${meta.job_id}`)).json()).toMatchObject({
      write_status: 'FAILURE',
      errors: ['Transaction Source could not be found'],
    });
  });

  it("serves an employee gone from the office with the spec's is_active: false, and properties with is_active", async () => {
    const { get } = setup();
    const staff = (await (await get(`/v1/employees/?property_id=${SANDBOX_IDS.property_id}`)).json()) as {
      results: { id: string; is_active: boolean }[];
    };
    expect(staff.results.filter((e) => !e.is_active).map((e) => e.id)).toEqual(['emp_oakgrove_tnguyen']);
    const properties = (await (await get(`/v1/properties/?integration_id=${SANDBOX_IDS.integration_id}`)).json()) as {
      results: { is_active: boolean }[];
    };
    expect(properties.results.map((p) => p.is_active)).toEqual([true, true]);
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
    expect((await list(`/v1/units?property_id=${SANDBOX_IDS.property_id}`)).meta.total).toBe(20);
    const names = (await list<{ name: string }>('/v1/employees/')).results.map((e) => e.name);
    expect(names.filter((n) => n === 'Maria Reyes')).toHaveLength(2);
    expect((await list<{ name: string }>(`/v1/lead-sources?property_id=${SANDBOX_IDS.property_id}`)).results.map((s) => s.name)).toEqual([
      'Property Website',
      'Zillow',
      'Apartments.com',
      'Google Ads',
      'Craigslist', // inactive in ResMan: listed all the same, as the spec has no flag for it
    ]);
    expect(sandbox.data.employees.some((e) => e.id === SANDBOX_IDS.employee_id)).toBe(true);
  });

  it('serves a second community in the same integration: Vista del Sol, 4 floor plans, 12 units, its own staff and sources', async () => {
    const vista = `integration_id=${SANDBOX_IDS_VISTA.integration_id}&property_id=${SANDBOX_IDS_VISTA.property_id}`;
    expect(SANDBOX_IDS_VISTA.integration_id).toBe(SANDBOX_IDS.integration_id);
    const property = (await list<{ id: string; name: string; city: string; state: string }>('/v1/properties')).results.find(
      (p) => p.id === SANDBOX_IDS_VISTA.property_id,
    );
    expect(property).toMatchObject({ name: 'Vista del Sol', city: 'San Antonio', state: 'TX' });
    const plans = await list<{ id: string; marketing_name: string; bedrooms: number; unit_count: number }>(`/v1/floor-plans/?${vista}`);
    expect(plans.results.map((p) => [p.marketing_name, p.bedrooms])).toEqual([
      ['El Nopal', 1],
      ['La Palma', 1],
      ['El Mezquite', 2],
      ['La Hacienda', 3],
    ]);
    const units = await list<{ id: string; floor_plan_id: string; is_available: boolean }>(`/v1/units?${vista}`);
    expect(units.meta.total).toBe(12);
    expect(plans.results.reduce((n, p) => n + p.unit_count, 0)).toBe(12);
    expect(units.results.every((u) => u.id.startsWith('unit_vistadelsol_') && plans.results.some((p) => p.id === u.floor_plan_id))).toBe(
      true,
    );
    const available = (plan: string) => units.results.filter((u) => u.floor_plan_id === plan && u.is_available).length;
    expect(plans.results.map((p) => available(p.id))).toEqual([2, 1, 3, 0]);
    expect((await list<{ id: string }>(`/v1/employees?${vista}`)).results.map((e) => e.id)).toContain(SANDBOX_IDS_VISTA.employee_id);
    const sources = (await list<{ id: string; name: string }>(`/v1/lead-sources?${vista}`)).results;
    expect(sources.map((s) => s.name)).toEqual(['Property Website', 'Facebook', 'Google Ads', 'Apartments.com']);
    expect(sources[0]!.id).toBe(SANDBOX_IDS_VISTA.lead_source_id);
    // Both communities together: the unfiltered lists hold each one's records.
    expect((await list('/v1/units')).meta.total).toBe(32);
    expect((await list('/v1/floor-plans')).meta.total).toBe(9);
  });

  it("takes a lead for Vista del Sol with its own ids, and refuses another community's employee or lead source", async () => {
    const { postLead, get, clock, sandbox: fresh } = setup({ writeDelayMs: 0 });
    expect((await postLead(aLead({ ...SANDBOX_IDS_VISTA, lead_source_id: 'lsrc_vistadelsol_facebook' }))).status).toBe(200);
    expect(paths(await issuesOf(await postLead(aLead({ ...SANDBOX_IDS_VISTA, employee_id: SANDBOX_IDS.employee_id }))))).toEqual([
      'employee_id',
    ]);
    // A lead source of the other community: Propexo accepts it, and ResMan's write fails.
    expect((await postLead(aLead({ ...SANDBOX_IDS_VISTA, lead_source_id: SANDBOX_IDS.lead_source_id }))).status).toBe(200);
    clock.advance(1);
    await get('/v1/leads');
    expect(fresh.leads().map((l) => [l.body.property_id, l.write_status])).toEqual([
      [SANDBOX_IDS_VISTA.property_id, 'SUCCESS'],
      [SANDBOX_IDS_VISTA.property_id, 'FAILURE'],
    ]);
  });

  it('pages with offset/limit, reports hasMore and total, and refuses a bad limit', async () => {
    const first = await list('/v1/units/?limit=5');
    expect(first.meta).toEqual({ offset: 0, limit: 5, orderBy: [{ field: 'created_at', direction: 'desc' }], hasMore: true, total: 32 });
    expect(first.results).toHaveLength(5);
    const last = await list('/v1/units/?limit=5&offset=27');
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
    expect((await list<{ first_name: string }>('/v1/leads?email_1=MARCUS.Bell@mail.test')).results.map((l) => l.first_name)).toEqual([
      'Marcus',
    ]);
    expect((await list('/v1/leads?phone_1=5125550000')).meta.total).toBe(0);
    for (const phone of ['512-555-0142', '1125550142', '+15125550142', '512555014']) {
      expect(paths(await issuesOf(await get(`/v1/leads?phone_1=${encodeURIComponent(phone)}`)))).toEqual(['phone_1']);
    }
  });
});

describe('the demo sites', () => {
  it("name only ids the sandbox has: each site's property, employee and every lead source it maps to", () => {
    const { sandbox } = setup();
    const { $schema, ...sites } = JSON.parse(readFileSync(new URL('../../demo/sites.json', import.meta.url), 'utf8')) as Record<
      string,
      { integration_id: string; property_id: string; employee_id: string; lead_source_id: string; lead_source_map?: Record<string, string> }
    >;
    expect($schema).toBe('../sites.schema.json');
    expect(Object.keys(sites)).toEqual(['oak-grove', 'vista-del-sol']);
    expect(sites['oak-grove']).toMatchObject(SANDBOX_IDS);
    expect(sites['vista-del-sol']).toMatchObject(SANDBOX_IDS_VISTA);
    for (const site of Object.values(sites)) {
      expect(sandbox.data.integrations.map((i) => i.id)).toContain(site.integration_id);
      expect(sandbox.data.properties.find((p) => p.id === site.property_id)?.integration_id).toBe(site.integration_id);
      expect(sandbox.data.employees.find((e) => e.id === site.employee_id)).toMatchObject({
        property_id: site.property_id,
        is_active: true,
      });
      for (const source of [site.lead_source_id, ...Object.values(site.lead_source_map ?? {})]) {
        expect(
          sandbox.data.leadSources.find((l) => l.id === source),
          source,
        ).toMatchObject({ property_id: site.property_id, active: true });
      }
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
    // The delay is a setTimeout: with fake timers, a delayed answer waits for the test to move time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      for (let i = 0; i < 5; i++) {
        let answered = false;
        const pending = Promise.resolve(get('/v1/units?limit=1')).then((res) => {
          answered = true;
          return res;
        });
        // Either answered, or holding a delay (its bearer check hashes off the event loop first).
        // interval 0: expect.poll moves fake timers on by its interval between attempts.
        await expect.poll(() => answered || vi.getTimerCount() > 0, { interval: 0 }).toBe(true);
        if (i < 3) {
          expect(vi.getTimerCount(), `request ${i + 1} delayed`).toBe(0);
        } else {
          expect(vi.getTimerCount(), `request ${i + 1} delayed`).toBe(1);
          vi.advanceTimersByTime(149);
          expect(vi.getTimerCount(), `request ${i + 1} still held at 149 ms`).toBe(1);
          vi.advanceTimersByTime(1);
          expect(vi.getTimerCount()).toBe(0);
        }
        expect((await pending).status).toBe(200);
      }
    } finally {
      vi.useRealTimers();
    }
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
    expect(sandbox.data.units).toHaveLength(32);
  });
});
