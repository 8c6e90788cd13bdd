/**
 * The form endpoint and the units endpoint: settings from site config, floor plans and units from
 * Propexo's lists through the 12-hour cache, the lead routes' guards, and nothing beyond the listed
 * fields reaching the browser. Through `buildRelay` (a fake Propexo, the manual clock), then once over
 * loopback against the sandbox.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_FIELDS } from '../../contract/fields.js';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseSites } from '../../relay/config/sites.js';
import { propertyToday } from '../../relay/config/time-zone.js';
import { FORM_CACHE_RETRY_MS, FORM_CACHE_TTL_MS } from '../../relay/propexo/form-cache.js';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { LIST_PAGE_SIZE, MAX_LIST_PAGES } from '../../relay/propexo/client.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import {
  accessControlHeaders,
  buildRelay,
  errorOf,
  ORIGIN,
  propexoLike,
  SITE_IDS,
  SITES,
  TOKEN,
  type UpstreamCall,
  type UpstreamHandler,
} from './fixtures.js';

const HOUR = 3_600_000;

/**
 * Resolves once requests made through app.request() have gone as far as they can without the test:
 * up to the cache, the form's requests do no I/O (manual clock, memory limiter, a fake Propexo), so
 * by the event loop's next turn each is refreshing or waiting on the refresh.
 */
const requestsParked = () => new Promise<void>((resolve) => setImmediate(resolve));

type Rec = Record<string, unknown>;

/** Propexo-shaped floor plans, with the fields the browser must never see. */
const plan = (i: number, extra: Rec = {}): Rec => ({
  id: `fp_${i}`,
  x_id: `70${i}`,
  integration_id: SITE_IDS.integration_id,
  property_id: SITE_IDS.property_id,
  name: `P${i}`,
  marketing_name: `The Plan ${i}`,
  bedrooms: i % 4,
  bathrooms: 1 + (i % 2),
  square_feet: 700 + i,
  rent_minimum_in_cents: 100_000 + i,
  rent_maximum_in_cents: 120_000 + i,
  image_urls: ['https://cdn.example/fp.jpg'],
  unit_count: 3,
  created_at: '2025-05-01T00:00:00.000Z',
  updated_at: '2025-05-01T00:00:00.000Z',
  internal_note: 'owner discount for staff',
  ...extra,
});

const unit = (number: string, floor_plan_id: string, is_available: boolean, extra: Rec = {}): Rec => ({
  id: `unit_${number}`,
  x_id: `40${number}`,
  integration_id: SITE_IDS.integration_id,
  property_id: SITE_IDS.property_id,
  floor_plan_id,
  number,
  bedrooms: 2,
  bathrooms: 2,
  square_feet: 1_045,
  is_available,
  is_vacant: is_available,
  available_date: is_available ? '2025-06-30' : null,
  rent_amount_market_in_cents: 182_500,
  current_resident: 'Sam Tenant',
  ...extra,
});

const PLANS = [plan(1), plan(2, { marketing_name: null }), plan(3, { marketing_name: '  ' })];
const UNITS = [
  unit('101', 'fp_1', true),
  unit('102', 'fp_1', false),
  unit('103', 'fp_1', true, { rent_amount_market_in_cents: 190_000, square_feet: 1_100 }),
  unit('201', 'fp_2', true),
  unit('202', 'fp_2', 'yes' as unknown as boolean), // anything but true is not available
];

/** One page of a list, as Propexo pages it. */
function page(records: Rec[], call: UpstreamCall): Response {
  const q = new URL(call.url).searchParams;
  const offset = Number(q.get('offset') ?? 0);
  const limit = Number(q.get('limit') ?? 100);
  const results = records.slice(offset, offset + limit);
  return Response.json({ meta: { offset, limit, hasMore: offset + results.length < records.length, total: records.length }, results });
}

interface Lists {
  plans?: Rec[];
  units?: Rec[];
  floorPlans?: UpstreamHandler;
  unitsHandler?: UpstreamHandler;
}

/** The fixtures' Propexo (create, status, retry, search) plus the two lists. */
function withLists(lists: Lists = {}): UpstreamHandler {
  const rest = propexoLike();
  return (call, init) => {
    const path = new URL(call.url).pathname;
    if (path === '/v1/floor-plans/') return (lists.floorPlans ?? ((c) => page(lists.plans ?? PLANS, c)))(call, init);
    if (path === '/v1/units/') return (lists.unitsHandler ?? ((c) => page(lists.units ?? UNITS, c)))(call, init);
    return rest(call, init);
  };
}

const SITES_WITH_FORM = {
  ...SITES,
  'oak-grove': {
    ...SITES['oak-grove'],
    limits: { ...SITES['oak-grove'].limits, per_ip_lookups: { max: 1_000_000, window_seconds: 60 } },
    form: {
      fields: ['email_1', 'phone_1', 'floor_plan_id', 'unit_id', 'notes'],
      required: ['email_1', 'floor_plan_id'],
      language: 'es',
      texts: { 'label.notes': 'Cuéntenos más', 'submit.label': 'Enviar' },
      consent: { text: 'Acepto recibir llamadas y mensajes.', version: '2025-05' },
    },
  },
};

/**
 * A relay from the fixtures with the lists added to its fake Propexo. The form's client uses the
 * global fetch (the app builds it from config), so the fake stands in for it here.
 */
function setup(lists: Lists = {}, sites: object = SITES_WITH_FORM) {
  const relay = buildRelay({ env: { SITES_JSON: JSON.stringify(sites) }, handler: withLists(lists) });
  vi.stubGlobal('fetch', relay.upstream.fetch);
  const get = (path: string, origin: string | null = ORIGIN, method = 'GET') =>
    relay.app.request(path, { method, headers: origin === null ? {} : { origin } });
  const form = (site = 'oak-grove', origin: string | null = ORIGIN) => get(`/v1/sites/${site}/form`, origin);
  const units = (query: string, site = 'oak-grove', origin: string | null = ORIGIN) => get(`/v1/sites/${site}/units${query}`, origin);
  const listCalls = (path: string) => relay.upstream.calls.filter((c) => new URL(c.url).pathname === path);
  const warnings = (event: string) => relay.logs().filter((l) => l.event === event);
  return { ...relay, get, form, units, listCalls, warnings };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const PLAN_KEYS = ['bathrooms', 'bedrooms', 'id', 'name', 'rent_max_cents', 'rent_min_cents'];
const UNIT_KEYS = ['bathrooms', 'bedrooms', 'id', 'number', 'rent_cents', 'square_feet'];
const FORM_KEYS = [
  'consent',
  'fields',
  'floor_plans',
  'form_token',
  'language',
  'required',
  'site',
  'texts',
  'today',
  'turnstile_site_key',
];

describe('GET /v1/sites/:site/form', () => {
  it('answers the site’s settings and its floor plans, mapped to the listed fields only', async () => {
    const t = setup();
    const res = await t.form();
    expect(res.status).toBe(200);
    // Never from a cache: each answer carries a form token of its own, and a token is single use.
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const body = (await res.json()) as Rec;
    expect(Object.keys(body).sort()).toEqual(FORM_KEYS);
    expect(body).toEqual({
      site: 'oak-grove',
      language: 'es',
      // The names are always offered and required, first, whatever the config lists.
      fields: ['first_name', 'last_name', 'email_1', 'phone_1', 'floor_plan_id', 'unit_id', 'notes'],
      required: ['first_name', 'last_name', 'email_1', 'floor_plan_id'],
      texts: { 'label.notes': 'Cuéntenos más', 'submit.label': 'Enviar' },
      // Asked always and optional, unless the site says otherwise.
      consent: { text: 'Acepto recibir llamadas y mensajes.', version: '2025-05', ask: 'always', required: false },
      floor_plans: [
        { id: 'fp_1', name: 'The Plan 1', bedrooms: 1, bathrooms: 2, rent_min_cents: 100_001, rent_max_cents: 120_001 },
        // No marketing name, or a blank one: the PMS name.
        { id: 'fp_2', name: 'P2', bedrooms: 2, bathrooms: 1, rent_min_cents: 100_002, rent_max_cents: 120_002 },
        { id: 'fp_3', name: 'P3', bedrooms: 3, bathrooms: 2, rent_min_cents: 100_003, rent_max_cents: 120_003 },
      ],
      // The property's date (the default zone, America/Chicago): the earliest move-in date.
      today: propertyToday('America/Chicago', t.clock.now()),
      // Issue time in base 36, then its signature: nothing else, and never the key.
      form_token: expect.stringMatching(/^[0-9a-z]+\.[\w-]{43}$/),
      // The site does not use Turnstile.
      turnstile_site_key: null,
    });
    for (const p of body.floor_plans as Rec[]) expect(Object.keys(p).sort()).toEqual(PLAN_KEYS);
    const text = JSON.stringify(body);
    for (const hidden of [
      'image_urls',
      'cdn.example',
      'internal_note',
      'owner discount',
      'x_id',
      'unit_count',
      'square_feet',
      'int_oak',
      'prop_oak',
      'emp_oak',
      'src_web',
      TOKEN,
    ]) {
      expect(text).not.toContain(hidden);
    }

    // One call: the site's property, the largest page, the token as a bearer credential.
    const [call, ...more] = t.listCalls('/v1/floor-plans/');
    expect(more).toEqual([]);
    const q = new URL(call!.url).searchParams;
    expect(new URL(call!.url).origin).toBe('https://propexo.test');
    expect(Object.fromEntries(q)).toEqual({
      integration_id: 'int_oak',
      property_id: 'prop_oak',
      offset: '0',
      limit: String(LIST_PAGE_SIZE),
    });
    expect(call!.method).toBe('GET');
    expect(call!.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(t.listCalls('/v1/units/')).toEqual([]);
  });

  it('without form settings: the contract’s default fields, the names required, English, no texts or consent', async () => {
    const t = setup();
    const body = (await (await t.form('pine-ridge', 'https://pineridge.example')).json()) as Rec;
    expect(body).toMatchObject({
      site: 'pine-ridge',
      language: 'en',
      fields: [...DEFAULT_FIELDS],
      required: ['first_name', 'last_name'],
      texts: {},
      consent: null,
    });
    // Its own property's list.
    expect(new URL(t.listCalls('/v1/floor-plans/')[0]!.url).searchParams.get('property_id')).toBe('prop_pine');
  });

  it('follows the pages while hasMore says so', async () => {
    const plans = Array.from({ length: 2 * LIST_PAGE_SIZE + 7 }, (_, i) => plan(i));
    const t = setup({ plans });
    const body = (await (await t.form()).json()) as { floor_plans: Rec[] };
    expect(body.floor_plans.map((p) => p.id)).toEqual(plans.map((p) => p.id));
    expect(t.listCalls('/v1/floor-plans/').map((c) => new URL(c.url).searchParams.get('offset'))).toEqual(['0', '250', '500']);
  });

  it('stops after a few pages (and says so) when Propexo never stops saying hasMore', async () => {
    let n = 0;
    const t = setup({
      floorPlans: () => Response.json({ meta: { hasMore: true }, results: [plan(++n)] }),
    });
    const body = (await (await t.form()).json()) as { floor_plans: Rec[] };
    expect(body.floor_plans).toHaveLength(MAX_LIST_PAGES);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(MAX_LIST_PAGES);
    expect(t.warnings('form_cache.list_truncated')).toEqual([
      expect.objectContaining({ site: 'oak-grove', list: 'floor_plans', kept: MAX_LIST_PAGES }),
    ]);
  });

  it('an empty page that claims more ends the list', async () => {
    const t = setup({ floorPlans: () => Response.json({ meta: { hasMore: true }, results: [] }) });
    expect(((await (await t.form()).json()) as { floor_plans: Rec[] }).floor_plans).toEqual([]);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(1);
  });

  it('caches per site: no call within 12 hours, then the old copy at once while one refresh runs behind it', async () => {
    let plans = [plan(1)];
    const t = setup({ floorPlans: (c) => page(plans, c) });
    const names = async () => ((await (await t.form()).json()) as { floor_plans: Rec[] }).floor_plans.map((p) => p.name);
    expect(await names()).toEqual(['The Plan 1']);
    plans = [plan(1), plan(5)];
    t.clock.advance(FORM_CACHE_TTL_MS - 1);
    expect(await names()).toEqual(['The Plan 1']);
    expect(await names()).toEqual(['The Plan 1']);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(1);

    // Another site is another key.
    await t.form('pine-ridge', 'https://pineridge.example');
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(2);

    t.clock.advance(1);
    // A page never waits on Propexo once a copy exists: the old one now, the new one once it is in.
    expect(await names()).toEqual(['The Plan 1']);
    await expect.poll(names).toEqual(['The Plan 1', 'The Plan 5']);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(3);
  });

  it('Propexo failing: the last good copy, a warning, and the next try only after a pause', async () => {
    let failing = false;
    const t = setup({ floorPlans: (c) => (failing ? new Response('', { status: 503 }) : page(PLANS, c)) });
    const first = await (await t.form()).json();
    failing = true;
    t.clock.advance(FORM_CACHE_TTL_MS + HOUR);
    const res = await t.form();
    expect(res.status).toBe(200);
    expect((await res.json()).floor_plans).toEqual(first.floor_plans);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(2);
    expect(t.warnings('form_cache.refresh_failed')).toEqual([
      expect.objectContaining({
        level: 'warn',
        site: 'oak-grove',
        list: 'floor_plans',
        kind: 'unavailable',
        reason: 'http_503',
        status: 503,
        serving: 'last_good',
        age_ms: FORM_CACHE_TTL_MS + HOUR,
      }),
    ]);

    // Not on every page view while Propexo is down.
    t.clock.advance(FORM_CACHE_RETRY_MS - 1);
    expect((await (await t.form()).json()).floor_plans).toEqual(first.floor_plans);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(2);

    // Back: the next try after the pause refreshes.
    failing = false;
    t.clock.advance(1);
    expect((await (await t.form()).json()).floor_plans).toEqual(first.floor_plans);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(3);
    t.clock.advance(FORM_CACHE_TTL_MS - 1);
    await t.form();
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(3);
  });

  it('no copy at all and Propexo failing: 200 without floor plans', async () => {
    for (const floorPlans of [
      () => new Response('', { status: 500 }),
      () => Response.json({ error: { code: 'unauthorized' } }, { status: 401 }),
      () => new Response('<html>not json</html>', { status: 200 }),
      () => Response.json({ results: 'nope' }),
    ] satisfies UpstreamHandler[]) {
      const t = setup({ floorPlans });
      const res = await t.form();
      expect(res.status).toBe(200);
      const body = (await res.json()) as Rec;
      expect(body.floor_plans).toEqual([]);
      expect(body.fields).toContain('floor_plan_id');
      expect(t.warnings('form_cache.refresh_failed')).toEqual([expect.objectContaining({ list: 'floor_plans', serving: 'none' })]);
    }
  });

  it('a Propexo that never answers: the client’s timeout, then 200 without floor plans', async () => {
    const t = setup({ floorPlans: () => new Promise<Response>(() => {}) });
    const res = await t.form();
    expect(res.status).toBe(200);
    expect(((await res.json()) as Rec).floor_plans).toEqual([]);
    expect(t.warnings('form_cache.refresh_failed')).toEqual([expect.objectContaining({ reason: 'timeout', serving: 'none' })]);
  });

  it('concurrent requests share one refresh', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const t = setup({
      floorPlans: async (c) => {
        await gate;
        return page(PLANS, c);
      },
    });
    const pending = Array.from({ length: 8 }, () => t.form());
    await requestsParked();
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(1);
    release();
    const bodies = await Promise.all(pending.map(async (p) => ((await (await p).json()) as { floor_plans: Rec[] }).floor_plans));
    for (const plans of bodies) expect(plans.map((p) => p.id)).toEqual(['fp_1', 'fp_2', 'fp_3']);
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(1);
  });

  it('concurrent requests during a failing refresh share it too, and all get the last good copy', async () => {
    let release!: () => void;
    let gate: Promise<void> = Promise.resolve();
    const t = setup({
      floorPlans: async (c) => {
        const failing = t.listCalls('/v1/floor-plans/').length > 1;
        await gate;
        return failing ? new Response('', { status: 502 }) : page(PLANS, c);
      },
    });
    await t.form();
    gate = new Promise<void>((resolve) => (release = resolve));
    t.clock.advance(FORM_CACHE_TTL_MS);
    const pending = Array.from({ length: 5 }, () => t.form());
    await requestsParked();
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(2);
    release();
    for (const res of await Promise.all(pending)) {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { floor_plans: Rec[] }).floor_plans).toHaveLength(3);
    }
    expect(t.listCalls('/v1/floor-plans/')).toHaveLength(2);
    expect(t.warnings('form_cache.refresh_failed')).toHaveLength(1);
  });

  it("takes a same-origin GET (no Origin header, Sec-Fetch-Site: same-origin) as from the relay's own origin", async () => {
    const t = setup();
    const at = (base: string, site: string | null) =>
      t.app.request(`${base}/v1/sites/oak-grove/form`, { headers: site === null ? {} : { 'sec-fetch-site': site } });
    expect((await at(ORIGIN, 'same-origin')).status).toBe(200);
    // Not marked same-origin by the browser, or served from an origin the site does not allow: refused.
    for (const [base, site] of [
      [ORIGIN, 'cross-site'],
      [ORIGIN, null],
      ['https://relay.elsewhere.example', 'same-origin'],
    ] as const) {
      const res = await at(base, site);
      expect(res.status, `${base} ${site}`).toBe(403);
      expect((await errorOf(res)).code).toBe('origin_not_allowed');
    }
  });

  it('guards like the lead routes: foreign or missing origin 403 without CORS, unknown site 404, no Propexo call', async () => {
    const t = setup();
    for (const origin of ['https://evil.example', null, 'https://pineridge.example']) {
      const res = await t.form('oak-grove', origin);
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe('origin_not_allowed');
      expect(accessControlHeaders(res)).toEqual([]);
      expect(res.headers.get('cache-control')).toBeNull();
    }
    const unknown = await t.form('no-such-site');
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('site_not_found');
    expect(accessControlHeaders(unknown)).toEqual([]);
    const units = await t.units('?floor_plan_id=fp_1', 'oak-grove', 'https://evil.example');
    expect(units.status).toBe(403);
    expect(accessControlHeaders(units)).toEqual([]);
    expect(t.upstream.calls).toEqual([]);
  });

  it('answers a preflight for an allowed origin, refuses other methods', async () => {
    const t = setup();
    const preflight = await t.app.request('/v1/sites/oak-grove/form', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET');
    const post = await t.get('/v1/sites/oak-grove/form', ORIGIN, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await t.get('/v1/sites/oak-grove/units?floor_plan_id=fp_1', ORIGIN, 'DELETE')).status).toBe(405);
  });

  it('counts against the lookup limit', async () => {
    const sites = { 'oak-grove': { ...SITES['oak-grove'], limits: { per_ip_lookups: { max: 3, window_seconds: 60 } } } };
    const t = setup({}, sites);
    expect((await t.form()).status).toBe(200);
    expect((await t.units('?floor_plan_id=fp_1')).status).toBe(200);
    expect((await t.form()).status).toBe(200);
    const limited = await t.form();
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('60');
    expect((await t.units('?floor_plan_id=fp_1')).status).toBe(429);
  });
});

describe('GET /v1/sites/:site/units', () => {
  it('answers the available units of one floor plan, mapped to the listed fields only', async () => {
    const t = setup();
    const res = await t.units('?floor_plan_id=fp_1');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const body = (await res.json()) as { floor_plan_id: string; units: Rec[] };
    expect(body).toEqual({
      floor_plan_id: 'fp_1',
      units: [
        { id: 'unit_101', number: '101', bedrooms: 2, bathrooms: 2, rent_cents: 182_500, square_feet: 1_045 },
        { id: 'unit_103', number: '103', bedrooms: 2, bathrooms: 2, rent_cents: 190_000, square_feet: 1_100 },
      ],
    });
    for (const u of body.units) expect(Object.keys(u).sort()).toEqual(UNIT_KEYS);
    const text = JSON.stringify(body);
    for (const hidden of ['is_available', 'is_vacant', 'available_date', 'current_resident', 'Sam Tenant', 'x_id', 'prop_oak', TOKEN]) {
      expect(text).not.toContain(hidden);
    }
    // 'yes' is not true: only 201 of fp_2 is available.
    expect(((await (await t.units('?floor_plan_id=fp_2')).json()) as { units: Rec[] }).units.map((u) => u.id)).toEqual(['unit_201']);
    // A plan with no available unit, or one nobody knows: an empty list.
    expect(await (await t.units('?floor_plan_id=fp_3')).json()).toEqual({ floor_plan_id: 'fp_3', units: [] });
    expect(await (await t.units('?floor_plan_id=fp_none')).json()).toEqual({ floor_plan_id: 'fp_none', units: [] });

    // One list per site, every plan served from it; Propexo has no plan filter, so none is sent.
    const calls = t.listCalls('/v1/units/');
    expect(calls).toHaveLength(1);
    expect(Object.fromEntries(new URL(calls[0]!.url).searchParams)).toEqual({
      integration_id: 'int_oak',
      property_id: 'prop_oak',
      offset: '0',
      limit: String(LIST_PAGE_SIZE),
    });
    expect(t.listCalls('/v1/floor-plans/')).toEqual([]);
  });

  it('follows pages, caches for 12 hours, and keeps the last good copy when Propexo fails', async () => {
    let units = Array.from({ length: LIST_PAGE_SIZE + 3 }, (_, i) => unit(String(1000 + i), 'fp_1', i % 2 === 0));
    let failing = false;
    const t = setup({ unitsHandler: (c) => (failing ? new Response('', { status: 500 }) : page(units, c)) });
    const ids = async () => ((await (await t.units('?floor_plan_id=fp_1')).json()) as { units: Rec[] }).units.map((u) => u.id);
    expect(await ids()).toHaveLength(Math.ceil((LIST_PAGE_SIZE + 3) / 2));
    expect(t.listCalls('/v1/units/')).toHaveLength(2);

    units = [unit('9', 'fp_1', true)];
    t.clock.advance(FORM_CACHE_TTL_MS - 1);
    expect(await ids()).toHaveLength(Math.ceil((LIST_PAGE_SIZE + 3) / 2));
    expect(t.listCalls('/v1/units/')).toHaveLength(2);
    t.clock.advance(1);
    await expect.poll(ids).toEqual(['unit_9']);
    expect(t.listCalls('/v1/units/')).toHaveLength(3);

    failing = true;
    t.clock.advance(FORM_CACHE_TTL_MS);
    expect(await ids()).toEqual(['unit_9']);
    await expect.poll(() => t.warnings('form_cache.refresh_failed').length).toBe(1);
    expect(t.warnings('form_cache.refresh_failed')).toEqual([expect.objectContaining({ list: 'units', serving: 'last_good' })]);
  });

  it('no copy and Propexo failing: 200 with no units', async () => {
    const t = setup({ unitsHandler: () => new Response('', { status: 503 }) });
    const res = await t.units('?floor_plan_id=fp_1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ floor_plan_id: 'fp_1', units: [] });
  });

  it('400 invalid_fields for a missing or malformed floor_plan_id, before any Propexo call', async () => {
    const t = setup();
    for (const [query, code] of [
      ['', 'required'],
      ['?floor_plan_id=', 'required'],
      ['?floor_plan_id=a%20b', 'invalid_characters'],
      ['?floor_plan_id=..%2Fx', 'invalid_characters'],
      ['?floor_plan_id=fp%00', 'invalid_characters'],
      [`?floor_plan_id=${'a'.repeat(65)}`, 'invalid_characters'],
    ] as const) {
      const res = await t.units(query);
      expect(res.status, query).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_fields');
      expect(error.fields).toEqual([expect.objectContaining({ field: 'floor_plan_id', code })]);
      // An error the page may read: CORS headers, as for the lead routes' 400s.
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    }
    expect((await t.units(`?floor_plan_id=${'a'.repeat(64)}`)).status).toBe(200);
    expect((await t.units('?floor_plan_id=fp_oak-GROVE_2')).status).toBe(200);
    expect(t.listCalls('/v1/units/')).toHaveLength(1);
  });
});

describe('site form config', () => {
  const base = { name: 'Oak', ...SITE_IDS, allowed_origins: [ORIGIN] };
  const issuesOf = (form: unknown): string[] => {
    try {
      parseSites(JSON.stringify({ oak: { ...base, form } }), 8787);
    } catch (err) {
      if (err instanceof ConfigError) return [...err.issues];
      throw err;
    }
    return [];
  };

  it('accepts a full form and keeps it; omits nothing it was given, and fills in the consent box’s defaults', () => {
    const form = SITES_WITH_FORM['oak-grove'].form;
    const site = parseSites(JSON.stringify({ oak: { ...base, form } }), 8787).get('oak')!;
    expect(site.form).toEqual({ ...form, consent: { ...form.consent, ask: 'always', required: false } });
    expect(parseSites(JSON.stringify({ oak: base }), 8787).get('oak')).not.toHaveProperty('form');
    expect(issuesOf({})).toEqual([]);
    expect(issuesOf({ required: ['first_name', 'email_1'] })).toEqual([]); // within the default fields
    expect(issuesOf({ fields: ['email_1'], required: ['last_name'] })).toEqual([]); // the names are always offered
    expect(issuesOf({ texts: { 'a.B_9': '', ['k'.repeat(64)]: 'x'.repeat(500) } })).toEqual([]);
  });

  it('names the key of every bad value', () => {
    expect(issuesOf({ fields: ['email_1', 'favourite_colour'] })).toEqual([
      'SITES_JSON: oak.form.fields[1]: must be a contract field name (see contract/fields.ts)',
    ]);
    expect(issuesOf({ fields: ['email_1', 'notes', 'email_1'] })).toEqual(['SITES_JSON: oak.form.fields[2]: lists email_1 twice']);
    expect(issuesOf({ fields: 'email_1' })).toEqual(['SITES_JSON: oak.form.fields: must be an array']);
    expect(issuesOf({ fields: ['email_1'], required: ['email_1', 'phone_1'] })).toEqual([
      'SITES_JSON: oak.form.required[1]: phone_1 is not in form.fields',
    ]);
    expect(issuesOf({ required: ['unit_id'] })).toEqual([
      'SITES_JSON: oak.form.required[0]: unit_id is not in the default fields (set form.fields)',
    ]);
    expect(issuesOf({ language: 'fr' })).toEqual(['SITES_JSON: oak.form.language: must be one of en, es']);
    expect(issuesOf({ texts: { 'bad key': 'x' } })).toEqual(['SITES_JSON: oak.form.texts: key "bad key" must match ^[a-zA-Z0-9_.]{1,64}$']);
    expect(issuesOf({ texts: { ['k'.repeat(65)]: 'x' } })).toEqual([
      expect.stringMatching(/^SITES_JSON: oak\.form\.texts: key "k+" must match/),
    ]);
    expect(issuesOf(JSON.parse('{"texts":{"__proto__":"x"}}'))).toEqual(['SITES_JSON: oak.form.texts: key "__proto__" is not allowed']);
    expect(issuesOf({ texts: { long: 'x'.repeat(501) } })).toEqual(['SITES_JSON: oak.form.texts.long: must be at most 500 characters']);
    expect(issuesOf({ texts: { n: 3 } })).toEqual(['SITES_JSON: oak.form.texts.n: must be a string']);
    expect(issuesOf({ texts: ['x'] })).toEqual(['SITES_JSON: oak.form.texts: must be a record']);
    expect(issuesOf({ consent: { text: 'x'.repeat(1001), version: '1' } })).toEqual([
      'SITES_JSON: oak.form.consent.text: must be at most 1000 characters',
    ]);
    expect(issuesOf({ consent: { text: 'I agree' } })).toEqual(['SITES_JSON: oak.form.consent.version: required']);
    // The widget sends the version back in meta.consent.version: a version the lead's meta would refuse
    // would refuse every lead of the site.
    expect(issuesOf({ consent: { text: 'I agree', version: 'v#2' } })).toEqual([
      'SITES_JSON: oak.form.consent.version: may hold only letters, digits, spaces and . _ + - / : | ( ) & ,',
    ]);
    expect(issuesOf({ consent: { text: '  ', version: '1' } })).toEqual(['SITES_JSON: oak.form.consent.text: required']);
    expect(issuesOf({ consent: { text: 'I agree', version: '1', extra: true } })).toEqual([
      'SITES_JSON: oak.form.consent: unknown key "extra"',
    ]);
    expect(issuesOf({ colour: 'red' })).toEqual(['SITES_JSON: oak.form: unknown key "colour"']);
    expect(issuesOf('everything')).toEqual(['SITES_JSON: oak.form: must be an object']);
  });
});

describe('over loopback against the sandbox', () => {
  let sandbox: RunningSandbox;
  let relay: RunningRelay;
  let origin: string;
  const lines: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
    const port = await freePort();
    origin = `http://localhost:${port}`;
    const sites = {
      'oak-grove': {
        name: 'Oak Grove',
        ...SANDBOX_IDS,
        allowed_origins: ['http://localhost:{PORT}'],
        form: { fields: ['email_1', 'floor_plan_id', 'unit_id'], language: 'es' },
      },
    };
    const env = {
      PROPEXO_API_TOKEN: TOKEN,
      PROPEXO_BASE_URL: sandbox.url,
      SITES_JSON: JSON.stringify(sites),
      PORT: String(port),
      HOST: '127.0.0.1',
      UPSTREAM_TIMEOUT_MS: '2000',
      WIDGET_DIR: await mkdtemp(join(tmpdir(), 'relay-widget-')),
      DATA_DIR: await mkdtemp(join(tmpdir(), 'relay-data-')),
    };
    const logger = createLogger({ level: 'debug', secrets: [TOKEN], sink: checkedSink(lines) });
    relay = await startRelay(env, { logger });
  });
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  it('serves the sandbox’s floor plans and available units, listed fields only, and the guards hold', async () => {
    const res = await fetch(`${relay.url}/v1/sites/oak-grove/form`, { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const form = (await res.json()) as { fields: string[]; floor_plans: Rec[]; language: string };
    expect(form.language).toBe('es');
    expect(form.fields).toEqual(['first_name', 'last_name', 'email_1', 'floor_plan_id', 'unit_id']);
    expect(form.floor_plans).toEqual([
      { id: 'fp_oakgrove_s1', name: 'The Live Oak', bedrooms: 0, bathrooms: 1, rent_min_cents: 119_500, rent_max_cents: 129_500 },
      { id: 'fp_oakgrove_a1', name: 'The Pecan', bedrooms: 1, bathrooms: 1, rent_min_cents: 137_500, rent_max_cents: 149_500 },
      { id: 'fp_oakgrove_b1', name: 'The Magnolia', bedrooms: 2, bathrooms: 2, rent_min_cents: 179_500, rent_max_cents: 192_500 },
      { id: 'fp_oakgrove_b2', name: 'The Cypress', bedrooms: 2, bathrooms: 2, rent_min_cents: 189_500, rent_max_cents: 205_000 },
      { id: 'fp_oakgrove_c1', name: 'The Bluebonnet', bedrooms: 3, bathrooms: 2, rent_min_cents: 235_000, rent_max_cents: 249_500 },
    ]);

    const units = (await (
      await fetch(`${relay.url}/v1/sites/oak-grove/units?floor_plan_id=fp_oakgrove_a1`, { headers: { origin } })
    ).json()) as {
      units: Rec[];
    };
    expect(units.units).toEqual([
      { id: 'unit_oakgrove_101', number: '101', bedrooms: 1, bathrooms: 1, rent_cents: 137_500, square_feet: 705 },
      { id: 'unit_oakgrove_201', number: '201', bedrooms: 1, bathrooms: 1, rent_cents: 142_500, square_feet: 705 },
      { id: 'unit_oakgrove_301', number: '301', bedrooms: 1, bathrooms: 1, rent_cents: 149_500, square_feet: 705 },
    ]);

    // Cached: Propexo failing now changes nothing the browser sees.
    sandbox.injectFault({ kind: '503', times: 5 });
    const again = (await (await fetch(`${relay.url}/v1/sites/oak-grove/form`, { headers: { origin } })).json()) as { floor_plans: Rec[] };
    expect(again.floor_plans).toEqual(form.floor_plans);

    const foreign = await fetch(`${relay.url}/v1/sites/oak-grove/form`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect([...foreign.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    expect((await fetch(`${relay.url}/v1/sites/elm/form`, { headers: { origin } })).status).toBe(404);
    expect((await fetch(`${relay.url}/v1/sites/oak-grove/units?floor_plan_id=a%20b`, { headers: { origin } })).status).toBe(400);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
