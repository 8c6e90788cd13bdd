/**
 * Consent that never blocks an inquiry (issue 13, point 1): a site's consent box is optional unless
 * the site requires it, and the lead records whether it was given (a `[Website form]` line with the
 * version and time); `ask: "with_phone"` asks only a prospect who gives a phone number, and records
 * nothing of one who does not. A required box whose text says consent is not a condition is a
 * configuration error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseConfig } from '../../relay/config/env.js';
import { parseSites } from '../../relay/config/sites.js';
import { ORIGIN, ROOMY_LIMITS, SITE_IDS, VALID_LEAD, buildRelay, errorOf, postLead, testEnv } from './fixtures.js';

const TEXT = 'I agree that Oak Grove may call and text me about my inquiry, at the number I gave.';
const site = (consent: object) => ({
  name: 'Oak Grove',
  ...SITE_IDS,
  allowed_origins: [ORIGIN],
  limits: ROOMY_LIMITS,
  form_token: 'optional',
  form: { consent: { text: TEXT, version: '2026-11', ...consent } },
});
const SITES = JSON.stringify({
  optional: site({}),
  'with-phone': site({ ask: 'with_phone' }),
  required: site({ required: true }),
  'required-with-phone': site({ ask: 'with_phone', required: true }),
});

const { phone_1: _phone, ...WITHOUT_PHONE } = VALID_LEAD;

function relayWithSites() {
  const relay = buildRelay({ env: { SITES_JSON: SITES } });
  let n = 0;
  // Each lead its own prospect, so none is taken for a repeat of another.
  const post = (slug: string, lead: object, meta?: object) =>
    postLead(relay.app, { ...lead, email_1: `jane.${++n}@gmail.com`, ...(meta ? { meta } : {}) }, { site: slug });
  /** The relay's consent line of each lead stored, in order ('' for none). */
  const consentLines = () =>
    relay.store
      .all()
      .map((l) => (l.submission.notes ?? '').split('\n\n').find((line) => line.includes('Consent to calls and texts')) ?? '');
  return { relay, post, consentLines };
}

const at = (relay: ReturnType<typeof buildRelay>) => new Date(relay.clock.now()).toISOString();

describe('consent', () => {
  it('an optional box (the default) never blocks a lead: the notes say whether consent was given, with version and time', async () => {
    const { relay, post, consentLines } = relayWithSites();
    expect((await post('optional', VALID_LEAD)).status).toBe(202);
    expect((await post('optional', VALID_LEAD, { consent: { given: false, version: '2026-11' } })).status).toBe(202);
    expect((await post('optional', VALID_LEAD, { consent: { given: true, version: '2026-11' } })).status).toBe(202);
    const time = at(relay);
    expect(consentLines()).toEqual([
      `[Website form] Consent to calls and texts not given (version 2026-11, ${time})`,
      `[Website form] Consent to calls and texts not given (version 2026-11, ${time})`,
      `[Website form] Consent to calls and texts given (version 2026-11, ${time}): ${TEXT}`,
    ]);
    // The prospect's own notes come first, as before.
    expect(relay.store.all()[2]!.submission.notes).toBe(`We have a cat.\n\n${consentLines()[2]}`);
  });

  it("refuses a consent to a version that is not the site's, ticked or not", async () => {
    const { relay, post } = relayWithSites();
    for (const given of [true, false]) {
      const res = await post('optional', VALID_LEAD, { consent: { given, version: '2025-01' } });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).fields).toEqual([
        { field: 'consent', code: 'invalid_choice', message: 'Choose one of the offered options.' },
      ]);
    }
    expect(relay.store.all()).toEqual([]);
  });

  it('"with_phone" asks only a prospect who gives a phone number: of one who gives only an email, nothing is recorded', async () => {
    const { post, consentLines } = relayWithSites();
    expect((await post('with-phone', WITHOUT_PHONE)).status).toBe(202);
    // A consent sent all the same is not written: its text is about a number the prospect did not give.
    expect((await post('with-phone', WITHOUT_PHONE, { consent: { given: true, version: '2026-11' } })).status).toBe(202);
    expect((await post('with-phone', VALID_LEAD)).status).toBe(202);
    expect((await post('with-phone', VALID_LEAD, { consent: { given: true, version: '2026-11' } })).status).toBe(202);
    expect(consentLines().map((line) => line.replace(/ \(version.*/, ''))).toEqual([
      '',
      '',
      '[Website form] Consent to calls and texts not given',
      '[Website form] Consent to calls and texts given',
    ]);
  });

  it('a box the site requires refuses a lead without the tick, where it is asked', async () => {
    const { relay, post } = relayWithSites();
    for (const meta of [undefined, { consent: { given: false, version: '2026-11' } }]) {
      const res = await post('required', VALID_LEAD, meta);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).fields).toEqual([{ field: 'consent', code: 'required', message: 'This field is required.' }]);
    }
    expect((await post('required', VALID_LEAD, { consent: { given: true, version: '2026-11' } })).status).toBe(202);
    // Required once a phone number is given: a prospect who gives only an email is not asked.
    expect((await post('required-with-phone', WITHOUT_PHONE)).status).toBe(202);
    expect((await post('required-with-phone', VALID_LEAD)).status).toBe(400);
    expect(relay.store.all()).toHaveLength(2);
  });

  it('GET …/form says when the box is asked and whether it is required', async () => {
    const { relay } = relayWithSites();
    const consentOf = async (slug: string) =>
      ((await (await relay.app.request(`/v1/sites/${slug}/form`, { headers: { origin: ORIGIN } })).json()) as { consent: unknown }).consent;
    expect(await consentOf('optional')).toEqual({ text: TEXT, version: '2026-11', ask: 'always', required: false });
    expect(await consentOf('required-with-phone')).toEqual({ text: TEXT, version: '2026-11', ask: 'with_phone', required: true });
  });
});

describe('consent settings', () => {
  const base = { name: 'Oak', ...SITE_IDS, allowed_origins: [ORIGIN] };
  const issuesOf = (consent: object): string[] => {
    try {
      parseConfig(testEnv({ SITES_JSON: JSON.stringify({ oak: { ...base, form: { consent: { version: '1', ...consent } } } }) }));
    } catch (err) {
      if (err instanceof ConfigError) return [...err.issues];
      throw err;
    }
    return [];
  };
  const NOT_A_CONDITION = 'SITES_JSON: oak.form.consent.required: must not be true: the consent text says consent is not a condition';

  it('the relay refuses to start with a required box whose text says consent is not a condition, in English or Spanish', () => {
    for (const text of [
      'I agree to calls and texts. Consent is not a condition of renting.',
      'Consent is NOT a condition of purchase; reply STOP to opt out.',
      'Agreeing isn’t a condition of any lease.',
      'Acepto llamadas y mensajes. Aceptar no es condición para rentar.',
      'Su consentimiento no es una condicion para arrendar.',
    ]) {
      expect(issuesOf({ text, required: true }), text).toEqual([NOT_A_CONDITION]);
      expect(issuesOf({ text }), text).toEqual([]); // optional, it says the truth
    }
    expect(issuesOf({ text: 'I agree to calls and texts about my inquiry.', required: true })).toEqual([]);
  });

  it('names a bad ask or required', () => {
    expect(issuesOf({ text: 'I agree', ask: 'sometimes' })).toEqual(['SITES_JSON: oak.form.consent.ask: must be "always" or "with_phone"']);
    expect(issuesOf({ text: 'I agree', required: 'yes' })).toEqual(['SITES_JSON: oak.form.consent.required: must be a boolean']);
  });

  it("the demo's boxes are optional, asked once a phone number is given, in English and Spanish alike", () => {
    const sites = parseSites(readFileSync(new URL('../../demo/sites.json', import.meta.url), 'utf8'), 8787);
    for (const [slug, demo] of sites) {
      expect(demo.form?.consent, slug).toMatchObject({ ask: 'with_phone' });
      expect(demo.form?.consent?.required, slug).toBeFalsy();
    }
  });
});
