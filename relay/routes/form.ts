/**
 * What the widget asks before it renders:
 * - `GET /v1/sites/:site/form`: the site's field list, required set, language, texts, consent,
 *   floor plans and the property's today (`{ site, language, fields, required, texts, consent,
 *   floor_plans, today, form_token, turnstile_site_key }`);
 * - `GET /v1/sites/:site/units?floor_plan_id=`: the available units of one floor plan.
 *
 * The lists come from Propexo through the form cache (relay/propexo/property-lists.ts): one copy per
 * site (integration + property), refreshed at most every 12 hours and behind the answer, the last good
 * copy when Propexo fails, and no list at all (still 200) when there has never been one (a first load
 * is waited for 2 s at most). Only the fields listed in
 * `PublicFloorPlan` and `PublicUnit` reach the browser.
 *
 * These calls go through the Propexo client (its timeout, its token handling) but not through the
 * deliverer's budget (`UPSTREAM_RATE_PER_MINUTE`): a few pages per site twice a day are tiny next to
 * Propexo's 150 requests a minute, and leads must never wait behind a form view. The lookup limit
 * keeps floods of form views off the cache and this relay.
 */
import { Hono } from 'hono';
import { DEFAULT_FIELDS, REQUIRED_FIELDS } from '../../contract/fields.js';
import type { FormAnswer } from '../../contract/form.js';
import type { SiteConfig } from '../config/sites.js';
import { propertyToday } from '../config/time-zone.js';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { originGuard, siteResolver } from '../http/guards.js';
import { allowedOriginCors } from '../http/headers.js';
import { lookupLimit } from '../http/rate-limit.js';
import type { PropertyLists } from '../propexo/property-lists.js';
import { waitUntilOf } from '../http/wait-until.js';
import type { FormTokens } from '../spam/form-token.js';
import type { RelayDeps, RelayEnv } from '../types.js';

/** The form's answer is never reused: it carries a form token of its own, and a token is single use. */
export const FORM_CACHE_CONTROL = 'no-store';
/** The units of a plan may be: they change slowly, and a visitor switching plans asks again. */
export const UNITS_CACHE_CONTROL = 'private, max-age=300';
export const FLOOR_PLAN_ID = /^[\w-]{1,64}$/;

/** The form settings with the contract's defaults, and the names always in and required. */
export function formSettings(site: SiteConfig): Omit<FormAnswer, 'floor_plans' | 'form_token' | 'today'> {
  const form = site.form ?? {};
  const fields = [...REQUIRED_FIELDS.filter((n) => !(form.fields ?? DEFAULT_FIELDS).includes(n)), ...(form.fields ?? DEFAULT_FIELDS)];
  const required = fields.filter((n) => REQUIRED_FIELDS.includes(n) || (form.required ?? []).includes(n));
  return {
    site: site.slug,
    language: form.language ?? 'en',
    fields,
    required,
    texts: { ...form.texts },
    consent: form.consent
      ? { text: form.consent.text, version: form.consent.version, ask: form.consent.ask, required: form.consent.required }
      : null,
    turnstile_site_key: site.turnstile?.site_key ?? null,
  };
}

export interface FormRouteDeps extends Pick<RelayDeps, 'config' | 'sites' | 'clock' | 'limiter' | 'logger' | 'getClientIp'> {
  formTokens: FormTokens;
  lists: PropertyLists;
}

/** Mounted at `/v1/sites/:site`: its `/form` and `/units`. */
export function formRoutes(deps: FormRouteDeps): Hono<RelayEnv> {
  const { config, clock, lists } = deps;
  const lookups = lookupLimit(deps);

  const form = new Hono<RelayEnv>();
  form.use(
    '/:list{form|units}',
    siteResolver(deps.sites ?? config.sites),
    originGuard(),
    // After the origin guard: a refused origin gets no Access-Control-* header at all.
    allowedOriginCors({ allowMethods: ['GET'], maxAge: 600 }),
  );

  form.get('/form', lookups, async function siteForm(c) {
    const site = c.get('site');
    const answer: FormAnswer = {
      ...formSettings(site),
      floor_plans: (await lists.floorPlans(site, waitUntilOf(c))) ?? [],
      // The property's date, not the visitor's: the widget's date picker and its own check use it.
      today: propertyToday(site.time_zone, clock.now()),
      form_token: await deps.formTokens.issue(site.slug, clock.now()),
    };
    c.header('Cache-Control', FORM_CACHE_CONTROL);
    return c.json(answer);
  });

  form.get('/units', lookups, async function siteUnits(c) {
    const planId = c.req.query('floor_plan_id');
    if (planId === undefined || planId === '' || !FLOOR_PLAN_ID.test(planId)) {
      throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', {
        fields: [{ field: 'floor_plan_id', code: planId ? 'invalid_characters' : 'required' }],
      });
    }
    const available = (await lists.availableUnits(c.get('site'), waitUntilOf(c))) ?? [];
    const units = available.filter((u) => u.floor_plan_id === planId).map((u) => u.unit);
    c.header('Cache-Control', UNITS_CACHE_CONTROL);
    return c.json({ floor_plan_id: planId, units });
  });

  form.all('/form', methodNotAllowed('GET, HEAD, OPTIONS'));
  form.all('/units', methodNotAllowed('GET, HEAD, OPTIONS'));
  return form;
}
