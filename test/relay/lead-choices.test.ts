/**
 * Ids from the property's own lists (issue 12, point 6), and lists that never keep a page waiting
 * (point 8): a lead's `floor_plan_id` must be one of the site's property's floor plans and its
 * `unit_id` one of its available units (of that plan), else 400 `invalid_choice`; the form's first
 * load waits on a hanging Propexo for a short while only.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FORM_CACHE_FIRST_LOAD_WAIT_MS } from '../../relay/propexo/form-cache.js';
import {
  ORIGIN,
  ROOMY_LIMITS,
  SITE_IDS,
  VALID_LEAD,
  buildRelay,
  errorOf,
  postLead,
  propexoLike,
  type UpstreamHandler,
} from './fixtures.js';

type Rec = Record<string, unknown>;
const page = (results: Rec[]) => Response.json({ meta: { hasMore: false, total: results.length }, results });
const PLANS = [
  { id: 'fp_1', name: 'One' },
  { id: 'fp_2', name: 'Two' },
];
const UNITS = [
  { id: 'unit_101', number: '101', floor_plan_id: 'fp_1', is_available: true },
  { id: 'unit_102', number: '102', floor_plan_id: 'fp_1', is_available: false },
  { id: 'unit_201', number: '201', floor_plan_id: 'fp_2', is_available: true },
];
const SITES = JSON.stringify({ 'oak-grove': { name: 'Oak Grove', ...SITE_IDS, allowed_origins: [ORIGIN], limits: ROOMY_LIMITS } });

function setup(lists: { floorPlans?: UpstreamHandler; units?: UpstreamHandler } = {}, env: Record<string, string> = {}) {
  const rest = propexoLike();
  const relay = buildRelay({
    env: { SITES_JSON: SITES, ...env },
    handler: (call, init) => {
      const path = new URL(call.url).pathname;
      if (path === '/v1/floor-plans/') return (lists.floorPlans ?? (() => page(PLANS)))(call, init);
      if (path === '/v1/units/') return (lists.units ?? (() => page(UNITS)))(call, init);
      return rest(call, init);
    },
  });
  // The lists' client uses the global fetch (the app builds it from config).
  vi.stubGlobal('fetch', relay.upstream.fetch);
  const send = (extra: Rec) => postLead(relay.app, { ...VALID_LEAD, ...extra });
  return { relay, send };
}
afterEach(() => vi.unstubAllGlobals());

describe("a lead's floor plan and unit", () => {
  it("one of the property's plans, and an available unit of it: accepted", async () => {
    const { send } = setup();
    expect((await send({ floor_plan_id: 'fp_1', unit_id: 'unit_101' })).status).toBe(202);
    expect((await send({ floor_plan_id: 'fp_2' })).status).toBe(202);
    expect((await send({ unit_id: 'unit_201' })).status).toBe(202);
  });

  it.each([
    ['a plan of another property', { floor_plan_id: 'fp_elsewhere' }, ['floor_plan_id']],
    ['a unit that does not exist', { unit_id: 'unit_999' }, ['unit_id']],
    ['a unit that is not available', { floor_plan_id: 'fp_1', unit_id: 'unit_102' }, ['unit_id']],
    ['a unit of another plan', { floor_plan_id: 'fp_1', unit_id: 'unit_201' }, ['unit_id']],
    ['both unknown', { floor_plan_id: 'fp_x', unit_id: 'unit_x' }, ['floor_plan_id', 'unit_id']],
  ])('%s: 400 invalid_choice, nothing stored', async (_what, extra, fields) => {
    const { relay, send } = setup();
    const res = await send(extra);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_fields');
    expect(error.fields.map((f) => [f.field, f.code])).toEqual(fields.map((f) => [f, 'invalid_choice']));
    expect(relay.store.all()).toEqual([]);
  });

  it('without any copy of the lists (Propexo failing since the start), a lead is not refused for it', async () => {
    const { send } = setup({ floorPlans: () => new Response('', { status: 503 }), units: () => new Response('', { status: 503 }) });
    expect((await send({ floor_plan_id: 'fp_1', unit_id: 'unit_101' })).status).toBe(202);
  });
});

describe('the lists never keep a page waiting on Propexo', () => {
  it(`a first load that hangs is waited for ${FORM_CACHE_FIRST_LOAD_WAIT_MS} ms at most: the form comes without plans, then with them`, async () => {
    let release!: () => void;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    // Propexo's answer would be waited for 10 s (the client's timeout): the page is not.
    const { relay } = setup(
      {
        floorPlans: async () => {
          await hanging;
          return page(PLANS);
        },
      },
      { UPSTREAM_TIMEOUT_MS: '10000' },
    );
    const form = async () => (await (await relay.app.request('/v1/sites/oak-grove/form', { headers: { origin: ORIGIN } })).json()) as Rec;
    const started = performance.now();
    expect((await form()).floor_plans).toEqual([]);
    // Answered by the wait's end, well before the client's timeout (no speed is measured here).
    expect(performance.now() - started).toBeLessThan(9_000);
    release();
    await expect.poll(async () => ((await form()).floor_plans as Rec[]).map((p) => p.id)).toEqual(['fp_1', 'fp_2']);
    // One load shared, not one per page view.
    expect(relay.upstream.calls.filter((c) => new URL(c.url).pathname === '/v1/floor-plans/')).toHaveLength(1);
  });
});
