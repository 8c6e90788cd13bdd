/**
 * The embedded Propexo sandbox: its HTTP surface through app.request(), and the faults that need a
 * socket (resets, hangs, garbled bodies) over real loopback HTTP via startSandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SANDBOX_IDS, SandboxConnectionReset, createSandbox, startSandbox, type RunningSandbox, type Sandbox, type SandboxOptions,
} from '../../relay/sandbox/index.js';

const TOKEN = 'sandbox-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
const START = Date.UTC(2026, 0, 15, 10, 0, 0); // on a minute boundary, like Propexo's rate-limit windows

class TestClock {
  t = START;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const aLead = (extra: Record<string, unknown> = {}) => ({
  ...SANDBOX_IDS, first_name: 'Dana', last_name: 'Whitfield', email_1: 'dana.whitfield@mail.test', phone_1: '5125550199', ...extra,
});

function setup(options: Partial<SandboxOptions> = {}) {
  const clock = new TestClock();
  const sandbox = createSandbox({ token: TOKEN, clock, slowDownMs: 0, ...options });
  const get = (path: string, init: RequestInit = {}) => sandbox.app.request(path, { headers: AUTH, ...init });
  const post = (path: string, body: unknown, init: RequestInit = {}) =>
    sandbox.app.request(path, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(body), ...init });
  const postLead = (body: unknown, query = '') => post(`/v1/leads/resman/${query}`, body);
  return { clock, sandbox, get, post, postLead };
}

type Issue = { code: string; path: (string | number)[]; message: string };
async function issuesOf(res: Response): Promise<Issue[]> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string; details: { issues: Issue[] } } };
  expect(body.error.code).toBe('invalid_request');
  expect(typeof body.error.message).toBe('string');
  for (const issue of body.error.details.issues) {
    expect(typeof issue.code).toBe('string');
    expect(Array.isArray(issue.path)).toBe(true);
    expect(typeof issue.message).toBe('string');
  }
  return body.error.details.issues;
}
const paths = (issues: Issue[]) => issues.map((i) => i.path.join('.'));

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

describe('faults through app.request()', () => {
  it('answers 5xx like a proxy and 429 like the limiter, for the next N matching requests only', async () => {
    const { get, sandbox } = setup();
    sandbox.injectFault({ kind: '500' });
    sandbox.injectFault({ kind: '502', path: '/v1/units', times: 2 });
    sandbox.injectFault({ kind: '503', method: 'POST' });
    const r500 = await get('/v1/units');
    expect(r500.status).toBe(500);
    expect(await r500.text()).toBe('');
    const r502 = await get('/v1/units/');
    expect(r502.status).toBe(502);
    expect(r502.headers.get('content-type')).toMatch(/text\/html/);
    expect(await r502.text()).toMatch(/Bad Gateway/);
    expect((await get('/v1/floor-plans')).status).toBe(200); // path does not match: untouched
    expect((await get('/v1/units')).status).toBe(502);
    expect((await get('/v1/units')).status).toBe(200);
    const r503 = await sandbox.app.request('/v1/leads/resman/', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()) });
    expect(r503.status).toBe(503);
    expect(sandbox.leads()).toHaveLength(0);
    sandbox.injectFault({ kind: '429' });
    const r429 = await get('/v1/units');
    expect(r429.status).toBe(429);
    expect(r429.headers.get('x-ratelimit-remaining')).toBe('0');
    sandbox.injectFault({ kind: '500', times: 5 });
    sandbox.clearFaults();
    expect((await get('/v1/units')).status).toBe(200);
  });

  it('reset: app.request() rejects and nothing is stored; reset_after_receive: rejects but the lead is stored', async () => {
    const { postLead, sandbox } = setup();
    sandbox.injectFault({ kind: 'reset' });
    await expect(postLead(aLead())).rejects.toBeInstanceOf(SandboxConnectionReset);
    expect(sandbox.leads()).toHaveLength(0);
    sandbox.injectFault({ kind: 'reset_after_receive' });
    await expect(postLead(aLead())).rejects.toBeInstanceOf(TypeError);
    expect(sandbox.leads()).toHaveLength(1);
    expect((await postLead(aLead())).status).toBe(200);
  });

  it('garbled: the lead is stored and the 200 body is not JSON', async () => {
    const { postLead, sandbox } = setup();
    sandbox.injectFault({ kind: 'garbled' });
    const res = await postLead(aLead());
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow();
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('slow: a client that gives up first created nothing; one that waits gets its answer', async () => {
    const { sandbox } = setup();
    const send = (signal?: AbortSignal) =>
      sandbox.app.request('/v1/leads/resman/', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()), signal: signal ?? null });
    sandbox.injectFault({ kind: 'slow', ms: 10_000 });
    await expect(send(AbortSignal.timeout(30))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.leads()).toHaveLength(0);
    sandbox.injectFault({ kind: 'slow', ms: 40 });
    const t = performance.now();
    expect((await send()).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(35);
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('timeout_after_receive: the lead is stored, the client times out', async () => {
    const { sandbox } = setup();
    sandbox.injectFault({ kind: 'timeout_after_receive', ms: 10_000 });
    const sent = sandbox.app.request('/v1/leads/resman/', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()), signal: AbortSignal.timeout(30) });
    await expect(sent).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('refuses a malformed fault', () => {
    const { sandbox } = setup();
    expect(() => sandbox.injectFault({ kind: 'explode' as never })).toThrow();
    expect(() => sandbox.injectFault({ kind: '500', times: 0 })).toThrow();
  });
});

describe('over real HTTP (startSandbox), driven through the control surface', () => {
  let running: RunningSandbox;
  const logLines: string[] = [];
  beforeAll(async () => {
    running = await startSandbox({ token: TOKEN, slowDownMs: 0, writeDelayMs: 0, log: (line) => logLines.push(line) });
  });
  afterAll(() => running.close());

  const fault = async (f: Record<string, unknown>) => {
    const res = await fetch(`${running.url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
    expect(res.status).toBe(201);
  };
  const sendLead = (init: RequestInit = {}) =>
    fetch(`${running.url}/v1/leads/resman/`, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(aLead()), ...init });
  const leadCount = async () => ((await (await fetch(`${running.url}/__sandbox/leads`)).json()) as unknown[]).length;

  it('listens on 127.0.0.1 with an ephemeral port and serves the API', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.url).not.toMatch(/:0$/);
    const res = await fetch(`${running.url}/v1/floor-plans/`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await fetch(`${running.url}/__sandbox/reset`, { method: 'POST' }).then((r) => r.json())).toEqual({ ok: true });
  });

  it('reset destroys the socket before anything is stored', async () => {
    await fault({ kind: 'reset', path: '/v1/leads/resman' });
    await expect(sendLead()).rejects.toThrow(TypeError);
    expect(await leadCount()).toBe(0);
  });

  it('reset_after_receive stores the lead, then destroys the socket', async () => {
    const before = await leadCount();
    await fault({ kind: 'reset_after_receive', method: 'POST' });
    await expect(sendLead()).rejects.toThrow(TypeError);
    expect(await leadCount()).toBe(before + 1);
  });

  it('timeout_after_receive stores the lead and never answers before the client gives up', async () => {
    const before = await leadCount();
    await fault({ kind: 'timeout_after_receive', ms: 20_000 });
    await expect(sendLead({ signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await leadCount()).toBe(before + 1);
  });

  it('slow holds the request back, so a client timing out created nothing', async () => {
    const before = await leadCount();
    await fault({ kind: 'slow', ms: 20_000 });
    await expect(sendLead({ signal: AbortSignal.timeout(150) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await leadCount()).toBe(before);
  });

  it('garbled answers 200 with a body that is not JSON, after storing the lead', async () => {
    const before = await leadCount();
    await fault({ kind: 'garbled' });
    const res = await sendLead();
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    expect(await leadCount()).toBe(before + 1);
  });

  it('lists, refuses and clears faults over HTTP; reset forgets leads', async () => {
    const bad = await fetch(`${running.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ kind: 'meteor' }) });
    expect(bad.status).toBe(400);
    await fault({ kind: '503', times: 3 });
    expect(await (await fetch(`${running.url}/__sandbox/faults`)).json()).toMatchObject([{ kind: '503', remaining: 3 }]);
    expect((await fetch(`${running.url}/__sandbox/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await sendLead()).status).toBe(200);
    expect(running.leads().length).toBeGreaterThan(0);
    await fetch(`${running.url}/__sandbox/reset`, { method: 'POST' });
    expect(await leadCount()).toBe(0);
  });

  it('logs one masked JSON line per lead received, without the token', () => {
    expect(logLines.length).toBe(4); // reset_after_receive, timeout_after_receive, garbled, the clean one; none for reset or slow
    const line = JSON.parse(logLines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ sandbox: 'lead_received', first_name: 'Dana', email: 'd***@mail.test', phone: '***-***-0199', ...SANDBOX_IDS });
    expect(logLines.join('\n')).not.toContain(TOKEN);
    expect(logLines.join('\n')).not.toContain('dana.whitfield');
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

// Keeps the Sandbox type honest: startSandbox's result is a Sandbox plus url/close.
const _typecheck: (s: RunningSandbox) => Sandbox = (s) => s;
void _typecheck;
