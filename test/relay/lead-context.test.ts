/** `meta` beside the prospect's fields: attribution and consent into the notes, campaigns to lead sources. */
import { describe, expect, it } from 'vitest';
import { ORIGIN, SITE_IDS, VALID_LEAD, buildRelay, errorOf, postLead } from './fixtures.js';
import { isoDateAhead } from '../support/dates.js';

const SITES = JSON.stringify({
  'oak-grove': {
    name: 'Oak Grove',
    ...SITE_IDS,
    allowed_origins: [ORIGIN],
    form_token: 'optional',
    lead_source_map: { google: 'lsrc_google', 'apartments.com': 'lsrc_apartments' },
  },
  'consenting-court': {
    name: 'Consenting Court',
    ...SITE_IDS,
    allowed_origins: [ORIGIN],
    form_token: 'optional',
    form: { consent: { text: 'You may call and text me about apartments.', version: '2026-11', required: true } },
  },
  'phone-first': {
    name: 'Phone First',
    ...SITE_IDS,
    allowed_origins: [ORIGIN],
    form_token: 'optional',
    form: {
      fields: ['first_name', 'last_name', 'email_1', 'phone_1', 'target_move_in_date'],
      required: ['phone_1', 'target_move_in_date'],
    },
  },
});

const attribution = {
  utm_source: 'Google',
  utm_medium: 'cpc',
  utm_campaign: 'spring-move-in',
  referrer: 'https://www.google.com/search?q=austin+apartments',
  landing_page: 'https://www.oakgrove.example/floor-plans?utm_source=google&utm_medium=cpc',
};

async function sent(relay: ReturnType<typeof buildRelay>) {
  await relay.deliver();
  return relay.upstream.calls.filter((c) => c.url.endsWith('/v1/leads/resman/')).map((c) => c.body as Record<string, unknown>);
}

describe('meta', () => {
  it('adds one line of attribution to the notes and maps the campaign to its lead source', async () => {
    const relay = buildRelay({ env: { SITES_JSON: SITES } });
    expect((await postLead(relay.app, { ...VALID_LEAD, meta: { attribution } })).status).toBe(202);
    const [body] = await sent(relay);
    expect(body!.lead_source_id).toBe('lsrc_google');
    expect(body!.notes).toBe(
      'We have a cat.\n\n[Website form] Source: Google / cpc / spring-move-in; from www.google.com; landed on /floor-plans?utm_source=google&utm_medium=cpc',
    );
    expect(body).not.toHaveProperty('meta');
  });

  it("keeps the site's lead source for an unmapped campaign, even one named like an Object method", async () => {
    const relay = buildRelay({ env: { SITES_JSON: SITES }, ip: () => `192.0.2.${Math.floor(Math.random() * 250)}` });
    await postLead(relay.app, { ...VALID_LEAD, first_name: 'Ana', meta: { attribution: { utm_source: 'constructor' } } });
    await postLead(relay.app, { ...VALID_LEAD, first_name: 'Ben', notes: '' });
    const bodies = await sent(relay);
    expect(bodies.map((b) => b.lead_source_id)).toEqual([SITE_IDS.lead_source_id, SITE_IDS.lead_source_id]);
    expect(bodies[1]).not.toHaveProperty('notes');
  });

  it('sends consent with its text, version and time in the notes, and requires it where the site does (consent.test.ts has the rest)', async () => {
    const relay = buildRelay({ env: { SITES_JSON: SITES }, ip: () => `192.0.2.${Math.floor(Math.random() * 250)}` });
    const post = (meta?: object) => postLead(relay.app, { ...VALID_LEAD, ...(meta ? { meta } : {}) }, { site: 'consenting-court' });
    const missing = await post();
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).fields).toEqual([{ field: 'consent', code: 'required', message: 'This field is required.' }]);
    expect((await errorOf(await post({ consent: { given: false, version: '2026-11' } }))).fields[0]!.code).toBe('required');
    expect((await errorOf(await post({ consent: { given: true, version: '2025-01' } }))).fields[0]!.code).toBe('invalid_choice');
    const acceptedAt = new Date(relay.clock.now()).toISOString();
    expect((await post({ consent: { given: true, version: '2026-11' } })).status).toBe(202);
    const [body] = await sent(relay);
    expect(body!.notes).toBe(
      `We have a cat.\n\n[Website form] Consent to calls and texts given (version 2026-11, ${acceptedAt}): You may call and text me about apartments.`,
    );
  });

  it("requires the site's own required fields, as its form does, naming each one", async () => {
    const relay = buildRelay({ env: { SITES_JSON: SITES } });
    const { phone_1: _phone, target_move_in_date: _date, ...without } = VALID_LEAD as Record<string, unknown>;
    const res = await postLead(relay.app, without, { site: 'phone-first' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).fields.map((f) => [f.field, f.code])).toEqual([
      ['phone_1', 'required'],
      ['target_move_in_date', 'required'],
    ]);
    const ok = await postLead(
      relay.app,
      { ...VALID_LEAD, phone_1: '5125550142', target_move_in_date: isoDateAhead(300) },
      { site: 'phone-first' },
    );
    expect(ok.status).toBe(202);
  });

  it("refuses a malformed meta with field codes under meta.*, alongside the prospect's own", async () => {
    const relay = buildRelay({ env: { SITES_JSON: SITES } });
    const res = await postLead(relay.app, {
      ...VALID_LEAD,
      email_1: 'none@none.com',
      meta: { attribution: { utm_source: '<script>', referrer: 'javascript:alert(1)', gclid: 'x' }, tracking: true },
    });
    expect(res.status).toBe(400);
    const fields = (await errorOf(res)).fields.map((f) => [f.field, f.code]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['email_1', 'placeholder'],
        ['meta.attribution.utm_source', 'invalid_characters'],
        ['meta.attribution.referrer', 'invalid_characters'],
        ['meta.attribution.gclid', 'unknown_field'],
        ['meta.tracking', 'unknown_field'],
      ]),
    );
    expect((await errorOf(await postLead(relay.app, { ...VALID_LEAD, meta: 'utm' }))).fields).toEqual([
      { field: 'meta', code: 'invalid_type', message: 'This value has the wrong type.' },
    ]);
  });
});
