/**
 * The sites a relay serves: each site's Propexo ids, allowed origins, limits and form settings,
 * parsed from SITES_JSON / SITES_FILE (or KV at the edge) with every problem named by its path.
 */
import '../../contract/jitless.js';
import * as z from 'zod/mini';
import { DEFAULT_FIELDS, FIELD_NAMES, REQUIRED_FIELDS, type FieldName } from '../../contract/fields.js';
import type { ConsentSettings } from '../../contract/form.js';
import { META_WORD } from '../../contract/meta.js';
import { tourSettingsSchema, withTourDefaults, type TourSettings } from '../tours/settings.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_TIME_ZONE, isTimeZone } from './time-zone.js';

export interface RateRule {
  max: number;
  window_seconds: number;
}

export interface SiteConfig {
  slug: string;
  name: string;
  integration_id: string;
  property_id: string;
  employee_id: string;
  lead_source_id: string;
  /** The property's IANA time zone (default America/Chicago): what "today" is for a move-in date. */
  time_zone: string;
  /** Normalised origins (`scheme://host[:port]`), `{PORT}` already replaced. */
  allowed_origins: readonly string[];
  /** per_ip_lookups: receipts and Idempotency-Key replays per client IP, kept off the store. */
  limits: { per_site: RateRule; per_ip: RateRule; per_ip_lookups: RateRule };
  /** What `GET /v1/sites/:site/form` tells the widget; absent, the widget's defaults. */
  form?: SiteFormConfig;
  /** A visitor's utm_source (lower-cased) to the ResMan lead source of their lead; others get lead_source_id. */
  lead_source_map?: ReadonlyMap<string, string>;
  /**
   * Cloudflare Turnstile: the public site key the widget renders the challenge with. Set, every lead
   * of the site must carry a response the relay verifies (TURNSTILE_SECRET); absent, no challenge.
   */
  turnstile?: { site_key: string };
  /**
   * A prospect Propexo already has for this property (found by email, then phone) or a repeat with
   * new words: `event` (default) records the inquiry on the existing lead (a lead event, and an
   * update for fields newly given); `new_lead` creates a lead every time, as before.
   */
  returning: ReturningMode;
  /**
   * `required` (default): a lead without a form token (`GET /v1/sites/:site/form` hands the widget
   * one) is held as spam. `optional`: a site that also posts leads from its own servers; a token sent
   * is still checked and single use.
   */
  form_token: FormTokenMode;
  /** Tours the prospect can book (relay/tours/), its defaults filled in; absent, the site offers none. */
  tours?: TourSettings;
}

export const FORM_TOKEN_MODES = ['required', 'optional'] as const;
export type FormTokenMode = (typeof FORM_TOKEN_MODES)[number];

export const RETURNING_MODES = ['event', 'new_lead'] as const;
export type ReturningMode = (typeof RETURNING_MODES)[number];

export const FORM_LANGUAGES = ['en', 'es'] as const;
export type FormLanguage = (typeof FORM_LANGUAGES)[number];
/** Keys of per-site string overrides, e.g. `label.first_name` or `consent.text`. */
export const TEXT_KEY = /^[a-zA-Z0-9_.]{1,64}$/;
export const MAX_TEXT_LENGTH = 500;
export const MAX_CONSENT_LENGTH = 1000;
export const CONSENT_ASKS = ['always', 'with_phone'] as const;

/**
 * A consent text that says consent is not a condition (of renting, of purchase), in English or
 * Spanish: such a box cannot be required without contradicting its own words.
 */
export const NOT_A_CONDITION = /(?:\bnot|n['’]t)\s+a\s+condition\b|\bno\s+es\s+(?:una\s+)?condici[oó]n\b/i;

/** A site's form, as configured (validated; the route adds the always-required names). */
export interface SiteFormConfig {
  /** Contract field names in display order; absent, the contract's DEFAULT_FIELDS. */
  fields?: FieldName[];
  /** A subset of the fields; first_name and last_name are required whatever this says. */
  required?: FieldName[];
  language?: FormLanguage;
  texts?: Record<string, string>;
  /** With its defaults filled in: asked `always`, not required. */
  consent?: ConsentSettings;
}

export const DEFAULT_LIMITS = {
  per_site: { max: 60, window_seconds: 60 },
  per_ip: { max: 5, window_seconds: 600 },
  per_ip_lookups: { max: 300, window_seconds: 60 },
} as const satisfies SiteConfig['limits'];

export const SITE_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ORIGIN_MESSAGE = 'must be an origin like https://example.com';

/** `https://Example.com:443/` → `https://example.com`; null when it is not a bare http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  if (/[?#]/.test(value)) return null;
  return url.origin;
}

function rateRule() {
  return z.strictObject({
    max: z.int().check(z.gte(1, 'must be at least 1'), z.lte(1_000_000, 'must be at most 1000000')),
    window_seconds: z.int().check(z.gte(1, 'must be at least 1'), z.lte(86_400, 'must be at most 86400 (a day)')),
  });
}

/** One site's entry (the JSON Schema of the sites file, sites-schema.ts, is generated from it). */
export function siteSchema(port: number) {
  const id = z
    .string()
    .check(z.trim(), z.minLength(1, 'required'), z.maxLength(200, 'too long'), z.regex(/^\S+$/, 'must not contain spaces'));
  const origin = z.pipe(
    z.string(),
    z.transform((s: string, ctx) => {
      const normalised = normalizeOrigin(s.replaceAll('{PORT}', String(port)));
      if (normalised === null) ctx.issues.push({ code: 'custom', message: ORIGIN_MESSAGE, input: s });
      return normalised ?? s;
    }),
  );
  return z.strictObject({
    name: z.string().check(z.trim(), z.minLength(1, 'required'), z.maxLength(200, 'too long')),
    integration_id: id,
    property_id: id,
    employee_id: id,
    lead_source_id: id,
    time_zone: z.optional(z.string().check(z.refine(isTimeZone, 'must be an IANA time zone like America/Chicago'))),
    allowed_origins: z.array(origin).check(z.minLength(1, 'must list at least one origin')),
    limits: z.optional(
      z.strictObject({ per_site: z.optional(rateRule()), per_ip: z.optional(rateRule()), per_ip_lookups: z.optional(rateRule()) }),
    ),
    form: z.optional(formSchema()),
    lead_source_map: z.optional(
      z.record(z.string().check(z.regex(/^[a-z0-9 ._+-]{1,100}$/, 'keys must be lower-case utm_source values')), id),
    ),
    returning: z.optional(z.enum(RETURNING_MODES, { error: 'must be "event" or "new_lead"' })),
    form_token: z.optional(z.enum(FORM_TOKEN_MODES, { error: 'must be "required" or "optional"' })),
    turnstile: z.optional(
      z.strictObject({
        // Public (it is in the page); Cloudflare's look like 0x4AAAAAAA… and its test keys 1x00000000000000000000AA.
        site_key: z.string().check(z.trim(), z.regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a Turnstile site key like 0x4AAAAAAA…')),
      }),
    ),
    tours: z.optional(tourSettingsSchema()),
  });
}

function fieldList() {
  const name = z.enum(FIELD_NAMES, { error: 'must be a contract field name (see contract/fields.ts)' });
  return z.array(name).check(
    z.superRefine((names, ctx) => {
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i) ctx.issues.push({ code: 'custom', message: `lists ${n} twice`, input: n, path: [i] });
      });
    }),
  );
}

function formSchema() {
  const nonEmpty = (max: number) =>
    z.string().check(z.trim(), z.minLength(1, 'required'), z.maxLength(max, `must be at most ${max} characters`));
  return z
    .strictObject({
      fields: z.optional(fieldList()),
      required: z.optional(fieldList()),
      language: z.optional(z.enum(FORM_LANGUAGES, { error: `must be one of ${FORM_LANGUAGES.join(', ')}` })),
      // Keys are checked on the raw object: a record schema drops `__proto__` without a word.
      texts: z.optional(
        z.pipe(
          z.unknown().check(
            z.superRefine((raw, ctx) => {
              if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
              for (const key of Object.keys(raw)) {
                const problem = key === '__proto__' ? 'is not allowed' : TEXT_KEY.test(key) ? undefined : `must match ${TEXT_KEY.source}`;
                if (problem)
                  ctx.issues.push({ code: 'custom', message: `key ${JSON.stringify(key.slice(0, 70))} ${problem}`, input: key, path: [] });
              }
            }),
          ),
          z.record(z.string(), z.string().check(z.maxLength(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`))),
        ),
      ),
      consent: z.optional(
        z
          .strictObject({
            text: nonEmpty(MAX_CONSENT_LENGTH),
            // The widget sends it back as meta.consent.version: a version the lead's meta refuses would refuse every lead.
            version: nonEmpty(64).check(
              z.refine((v) => META_WORD.test(v), 'may hold only letters, digits, spaces and . _ + - / : | ( ) & ,'),
            ),
            ask: z.optional(z.enum(CONSENT_ASKS, { error: 'must be "always" or "with_phone"' })),
            required: z.optional(z.boolean()),
          })
          .check(
            z.superRefine((consent, ctx) => {
              if (consent.required && NOT_A_CONDITION.test(consent.text))
                ctx.issues.push({
                  code: 'custom',
                  message: 'must not be true: the consent text says consent is not a condition',
                  input: consent.required,
                  path: ['required'],
                });
            }),
          ),
      ),
    })
    .check(
      z.superRefine((form, ctx) => {
        // The names are always part of the form (the contract requires them), so they may be listed as required.
        const offered = new Set<string>([...REQUIRED_FIELDS, ...(form.fields ?? DEFAULT_FIELDS)]);
        form.required?.forEach((name, i) => {
          if (!offered.has(name)) {
            const where = form.fields ? 'form.fields' : 'the default fields (set form.fields)';
            ctx.issues.push({ code: 'custom', message: `${name} is not in ${where}`, input: name, path: ['required', i] });
          }
        });
      }),
    );
}

/** The form as parsed, its consent box (if any) asked `always` and optional unless it says otherwise. */
function withConsentDefaults(form: z.infer<ReturnType<typeof formSchema>>): SiteFormConfig {
  const { consent, ...rest } = form;
  return consent ? { ...rest, consent: { ...consent, ask: consent.ask ?? 'always', required: consent.required ?? false } } : rest;
}

type Issue = z.core.$ZodIssue;

/** `SITES_JSON: oak-grove.allowed_origins[0]: must be ...` */
function formatIssue(issue: Issue, key: string, slug: string): string {
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${key}: ${slug}${where}: ${message}`;
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

// Zod drops inputs from issues, so "missing" and "wrong type" are told apart while parsing.
const typeMessages = {
  error: (issue: z.core.$ZodRawIssue) =>
    issue.code === 'invalid_type' ? (issue.input === undefined ? 'required' : `must be ${article(issue.expected)}`) : undefined,
};

/** Parses the sites JSON; `key` names the env key in messages (SITES_JSON or SITES_FILE). */
export function parseSites(json: string, port: number, key = 'SITES_JSON'): Map<string, SiteConfig> {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new ConfigError([`${key}: not valid JSON (${err instanceof Error ? err.message : 'parse error'})`]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError([`${key}: must be a JSON object keyed by site slug`]);
  }
  // `$schema` points an editor at sites.schema.json; it is no site (a slug never starts with `$`).
  const { $schema: schemaRef, ...siteEntries } = data as Record<string, unknown>;
  const entries = Object.entries(siteEntries);
  const issues: string[] = [];
  if (schemaRef !== undefined && typeof schemaRef !== 'string')
    issues.push(`${key}: "$schema" must be a string (where sites.schema.json is)`);
  if (entries.length === 0) throw new ConfigError([...issues, `${key}: must configure at least one site`]);

  const schema = siteSchema(port);
  const sites = new Map<string, SiteConfig>();
  for (const [slug, value] of entries) {
    if (!SITE_SLUG.test(slug)) {
      issues.push(`${key}: "${slug.slice(0, 70)}": site slug must match ${SITE_SLUG.source}`);
      continue;
    }
    const result = schema.safeParse(value, typeMessages);
    if (!result.success) {
      issues.push(...result.error.issues.map((i) => formatIssue(i, key, slug)));
      continue;
    }
    const site = result.data;
    sites.set(slug, {
      slug,
      name: site.name,
      integration_id: site.integration_id,
      property_id: site.property_id,
      employee_id: site.employee_id,
      lead_source_id: site.lead_source_id,
      time_zone: site.time_zone ?? DEFAULT_TIME_ZONE,
      allowed_origins: [...new Set(site.allowed_origins)],
      limits: {
        per_site: site.limits?.per_site ?? { ...DEFAULT_LIMITS.per_site },
        per_ip: site.limits?.per_ip ?? { ...DEFAULT_LIMITS.per_ip },
        per_ip_lookups: site.limits?.per_ip_lookups ?? { ...DEFAULT_LIMITS.per_ip_lookups },
      },
      ...(site.form === undefined ? {} : { form: withConsentDefaults(site.form) }),
      // A Map: a utm_source such as `constructor` must not reach Object.prototype.
      ...(site.lead_source_map === undefined ? {} : { lead_source_map: new Map(Object.entries(site.lead_source_map)) }),
      ...(site.turnstile === undefined ? {} : { turnstile: { site_key: site.turnstile.site_key } }),
      returning: site.returning ?? 'event',
      form_token: site.form_token ?? 'required',
      ...(site.tours === undefined ? {} : { tours: withTourDefaults(site.tours) }),
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return sites;
}

/**
 * Where the routes look a site up, once per request: a Map (Node's sites, fixed for the process)
 * or a source that refreshes (Workers with the sites in KV).
 */
export interface SiteLookup {
  get(slug: string): SiteConfig | undefined;
}
