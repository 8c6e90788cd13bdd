/** A lead is stored once: by Idempotency-Key for 24 hours, by content for 10 minutes. */
import { describe, expect, it } from 'vitest';
import { ORIGIN, VALID_LEAD, buildRelay, errorOf, postLead } from './fixtures.js';

const KEY = '4f0c2b9e-1d3a-4c5b-8e7f-112233445566';
const HOUR = 3_600_000;

describe('one lead per fill', () => {
  it('a repeated key gets the first answer, stores nothing, and is not held back by the limits', async () => {
    const { app, store } = buildRelay();
    const first = await postLead(app, VALID_LEAD, { key: KEY });
    expect(first.status).toBe(202);
    const body = await first.json();
    // Past the per-IP limit of 3: a browser retrying what it already sent must still get its receipt.
    for (let i = 0; i < 5; i++) {
      const again = await postLead(app, { ...VALID_LEAD, notes: `edited ${i}` }, { key: KEY });
      expect(again.status).toBe(202);
      expect(await again.json()).toEqual(body);
    }
    expect(store.all()).toHaveLength(1);
    expect(store.all()[0]!.submission.notes).toBe('We have a cat.');
  });

  it("the replay answers the lead's current status", async () => {
    const { app, deliver } = buildRelay();
    const { id } = await (await postLead(app, VALID_LEAD, { key: KEY })).json();
    await deliver();
    expect(await (await postLead(app, VALID_LEAD, { key: KEY })).json()).toEqual({ id, status: 'confirmed', recorded_as: 'new_lead' });
  });

  it('keys are per site, and expire after 24 hours', async () => {
    const { app, store, clock } = buildRelay({ ip: () => `198.51.100.${store.all().length + 1}` });
    await postLead(app, VALID_LEAD, { key: KEY });
    await postLead(app, VALID_LEAD, { key: KEY, site: 'pine-ridge', origin: 'https://pineridge.example' });
    expect(store.all().map((l) => l.site)).toEqual(['oak-grove', 'pine-ridge']);
    clock.advance(24 * HOUR + 1);
    await postLead(app, VALID_LEAD, { key: KEY });
    expect(store.all()).toHaveLength(3);
  });

  it('the same person within ten minutes is the same lead whatever the key; with other words, a follow-up of it', async () => {
    const { app, store, clock } = buildRelay({ ip: () => `198.51.100.${store.all().length + 1}` });
    const a = await (await postLead(app, VALID_LEAD, { key: 'fill-aaaaaaaa' })).json();
    // The same fill under another key: a second tab, a reload, a double tap.
    expect(await (await postLead(app, VALID_LEAD, { key: 'fill-bbbbbbbb' })).json()).toEqual(a);
    // Same names and phone, different email and notes: a new inquiry, stored as a follow-up of the first.
    const sameByPhone = { ...VALID_LEAD, first_name: 'jane', email_1: 'jdoe@work.com', notes: 'Also a dog.' };
    const b = await (await postLead(app, sameByPhone, { key: 'fill-cccccccc' })).json();
    expect(b.id).not.toBe(a.id);
    expect(store.all().find((l) => l.id === b.id)!.follows).toBe(a.id);
    const someoneElse = await (await postLead(app, { ...VALID_LEAD, first_name: 'John' })).json();
    expect(someoneElse.id).not.toBe(a.id);
    clock.advance(10 * 60_000 + 1);
    const later = await (await postLead(app, VALID_LEAD)).json();
    expect(later.id).not.toBe(a.id);
    expect(store.all().find((l) => l.id === later.id)!.follows).toBeUndefined();
    expect(store.all()).toHaveLength(4);
  });

  it('twenty concurrent requests with one key store one lead', async () => {
    const { app, store } = buildRelay({ ip: () => undefined });
    const answers = await Promise.all(Array.from({ length: 20 }, () => postLead(app, VALID_LEAD, { key: KEY })));
    const ids = new Set(await Promise.all(answers.filter((r) => r.status === 202).map(async (r) => (await r.json()).id)));
    expect(ids.size).toBe(1);
    expect(store.all()).toHaveLength(1);
  });
});

describe('GET /v1/sites/:site/leads/:id (receipt)', () => {
  it("tells the status and nothing else, to allowed origins of the lead's own site", async () => {
    const { app, deliver } = buildRelay();
    const { id } = await (await postLead(app, VALID_LEAD)).json();
    const get = (site = 'oak-grove', origin = ORIGIN) => app.request(`/v1/sites/${site}/leads/${id}`, { headers: { origin } });

    const queued = await get();
    expect(queued.status).toBe(200);
    expect(await queued.json()).toEqual({ id, status: 'queued' });
    expect(queued.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    await deliver();
    expect(await (await get()).json()).toEqual({ id, status: 'confirmed', recorded_as: 'new_lead' });

    expect((await get('pine-ridge', 'https://pineridge.example')).status).toBe(404);
    expect((await errorOf(await get('oak-grove', 'https://evil.example'))).code).toBe('origin_not_allowed');
    const unknown = await app.request('/v1/sites/oak-grove/leads/ld_nope', { headers: { origin: ORIGIN } });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('not_found');
  });
});

describe('lookups are limited per client IP', () => {
  it('receipts and key replays beyond the per_ip_lookups limit get 429, before the store is asked', async () => {
    const sites = JSON.stringify({
      'oak-grove': {
        name: 'Oak Grove',
        integration_id: 'i',
        property_id: 'p',
        employee_id: 'e',
        lead_source_id: 'l',
        allowed_origins: [ORIGIN],
        limits: { per_ip_lookups: { max: 4, window_seconds: 60 } },
      },
    });
    const { app, store } = buildRelay({ env: { SITES_JSON: sites } });
    const { id } = await (await postLead(app, VALID_LEAD, { key: KEY })).json();
    const asked: string[] = [];
    const get = store.get.bind(store);
    store.get = (leadId) => {
      asked.push(leadId);
      return get(leadId);
    };
    const receipt = () => app.request(`/v1/sites/oak-grove/leads/${id}`, { headers: { origin: ORIGIN } });
    expect((await receipt()).status).toBe(200);
    expect((await receipt()).status).toBe(200);
    // The first POST with a key was lookup 1; a replay is one too.
    expect((await postLead(app, VALID_LEAD, { key: KEY })).status).toBe(202);
    const limited = await receipt();
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe('rate_limited');
    expect(asked).toHaveLength(2);
  });
});
