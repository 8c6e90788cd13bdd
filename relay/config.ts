/**
 * The relay's configuration, parsed once at start from an env-like record. A bad value throws a
 * ConfigError whose message names the key (and the path inside SITES_JSON / SITES_FILE), so the
 * process stops with something an operator can act on. Runtime-neutral: reading SITES_FILE is
 * delegated to an injected `readFile`.
 *
 * No message ever echoes a value: the token is one of them.
 */
import * as z from 'zod/mini';
import { DEFAULT_FIELDS, FIELD_NAMES, REQUIRED_FIELDS, type FieldName } from '../contract/fields.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from './delivery/policy.js';
import { LOG_LEVELS, type LogLevel } from './log.js';

export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

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
  /** Normalised origins (`scheme://host[:port]`), `{PORT}` already replaced. */
  allowed_origins: readonly string[];
  /** per_ip_lookups: receipts and Idempotency-Key replays per client IP, kept off the store. */
  limits: { per_site: RateRule; per_ip: RateRule; per_ip_lookups: RateRule };
  /** What `GET /v1/sites/:site/form` tells the widget; absent, the widget's defaults. */
  form?: SiteFormConfig;
}

export const FORM_LANGUAGES = ['en', 'es'] as const;
export type FormLanguage = (typeof FORM_LANGUAGES)[number];
/** Keys of per-site string overrides, e.g. `label.first_name` or `consent.text`. */
export const TEXT_KEY = /^[a-zA-Z0-9_.]{1,64}$/;
export const MAX_TEXT_LENGTH = 500;
export const MAX_CONSENT_LENGTH = 1000;

/** A site's form, as configured (validated; the route adds the always-required names). */
export interface SiteFormConfig {
  /** Contract field names in display order; absent, the contract's DEFAULT_FIELDS. */
  fields?: FieldName[];
  /** A subset of the fields; first_name and last_name are required whatever this says. */
  required?: FieldName[];
  language?: FormLanguage;
  texts?: Record<string, string>;
  consent?: { text: string; version: string };
}

export interface RelayConfig {
  propexo: {
    token: string;
    baseUrl: string;
    /** Verifies Propexo's webhooks (HMAC-SHA256); unset, the webhook route refuses everything. */
    webhookSecret?: string;
  };
  /** Bearer token of the /admin routes; unset, they refuse everything. */
  adminToken?: string;
  /** Where the Node relay keeps its outbox (SQLite). */
  dataDir: string;
  /** Shared limits across relay processes; unset, limits are per process. */
  redisUrl?: string;
  /** The outbox's patience: from the keys above, and any DELIVERY_POLICY overrides. */
  delivery: Partial<DeliveryPolicy> & { maxAgeMs: number; retentionMs: number; upstreamPerMinute: number; inDoubtGraceMs: number };
  /** A Map, not a plain object, so a slug like `constructor` can never reach Object.prototype. */
  sites: ReadonlyMap<string, SiteConfig>;
  port: number;
  host: string;
  /** Lower-cased header name the client IP is read from; unset means the socket's address. */
  trustedIpHeader?: string;
  upstreamTimeoutMs: number;
  logLevel: LogLevel;
  widgetDir: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface ParseConfigOptions {
  /** Reads SITES_FILE; the Node entry passes fs, a Worker passes nothing and uses SITES_JSON. */
  readFile?: (path: string) => string;
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

const intString = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.pipe(
    z.string().check(z.regex(/^\d{1,10}$/, message)),
    z.pipe(z.transform((s: string) => Number(s)), z.number().check(z.gte(min, message), z.lte(max, message))),
  );
};

const baseUrl = z.pipe(
  z.string(),
  z.transform((s: string, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(s);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
      ctx.issues.push({ code: 'custom', message: 'must be an http(s) URL like https://api.propexo.com', input: s });
      return s;
    }
    return url.origin + url.pathname.replace(/\/+$/, '');
  }),
);

function secret(min: number) {
  return z.string().check(z.minLength(min, `must be at least ${min} characters`), z.regex(/^\S+$/, 'must not contain whitespace'));
}

/** One schema per env key: each is parsed alone so its issues are reported under its name. */
const ENV_SCHEMAS = {
  PROPEXO_API_TOKEN: z.string().check(z.minLength(1, 'required'), z.regex(/^\S+$/, 'must not contain whitespace')),
  PROPEXO_BASE_URL: baseUrl,
  PORT: intString(1, 65535),
  HOST: z.string().check(z.regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address')),
  TRUSTED_IP_HEADER: z.pipe(
    z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name like x-forwarded-for')),
    z.transform((s: string) => s.toLowerCase()),
  ),
  UPSTREAM_TIMEOUT_MS: intString(100, 120_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  WIDGET_DIR: z.string().check(z.minLength(1, 'must not be empty')),
  DATA_DIR: z.string().check(z.minLength(1, 'must not be empty')),
  RETENTION_DAYS: intString(1, 3650),
  MAX_LEAD_AGE_HOURS: intString(1, 720),
  UPSTREAM_RATE_PER_MINUTE: intString(1, 100_000),
  IN_DOUBT_GRACE_MINUTES: intString(1, 1440),
  REDIS_URL: z.string().check(z.regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')),
  ADMIN_TOKEN: secret(16),
  PROPEXO_WEBHOOK_SECRET: secret(8),
} as const;

type EnvKey = keyof typeof ENV_SCHEMAS;

function rateRule() {
  return z.strictObject({
    max: z.int().check(z.gte(1, 'must be at least 1'), z.lte(1_000_000, 'must be at most 1000000')),
    window_seconds: z.int().check(z.gte(1, 'must be at least 1'), z.lte(86_400, 'must be at most 86400 (a day)')),
  });
}

function siteSchema(port: number) {
  const id = z.string().check(z.trim(), z.minLength(1, 'required'), z.maxLength(200, 'too long'), z.regex(/^\S+$/, 'must not contain spaces'));
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
    allowed_origins: z.array(origin).check(z.minLength(1, 'must list at least one origin')),
    limits: z.optional(
      z.strictObject({ per_site: z.optional(rateRule()), per_ip: z.optional(rateRule()), per_ip_lookups: z.optional(rateRule()) }),
    ),
    form: z.optional(formSchema()),
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
  const nonEmpty = (max: number) => z.string().check(z.trim(), z.minLength(1, 'required'), z.maxLength(max, `must be at most ${max} characters`));
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
                if (problem) ctx.issues.push({ code: 'custom', message: `key ${JSON.stringify(key.slice(0, 70))} ${problem}`, input: key, path: [] });
              }
            }),
          ),
          z.record(z.string(), z.string().check(z.maxLength(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`))),
        ),
      ),
      consent: z.optional(z.strictObject({ text: nonEmpty(MAX_CONSENT_LENGTH), version: nonEmpty(64) })),
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
  const entries = Object.entries(data);
  if (entries.length === 0) throw new ConfigError([`${key}: must configure at least one site`]);

  const schema = siteSchema(port);
  const issues: string[] = [];
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
      allowed_origins: [...new Set(site.allowed_origins)],
      limits: {
        per_site: site.limits?.per_site ?? { ...DEFAULT_LIMITS.per_site },
        per_ip: site.limits?.per_ip ?? { ...DEFAULT_LIMITS.per_ip },
        per_ip_lookups: site.limits?.per_ip_lookups ?? { ...DEFAULT_LIMITS.per_ip_lookups },
      },
      ...(site.form === undefined ? {} : { form: site.form }),
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return sites;
}

const DEFAULTS: Partial<Record<EnvKey, string>> = {
  PROPEXO_BASE_URL: 'https://api.propexo.com',
  PORT: '8787',
  HOST: '0.0.0.0',
  UPSTREAM_TIMEOUT_MS: '10000',
  LOG_LEVEL: 'info',
  WIDGET_DIR: 'dist/widget',
  DATA_DIR: './data',
  RETENTION_DAYS: '30',
  MAX_LEAD_AGE_HOURS: '72',
  UPSTREAM_RATE_PER_MINUTE: '120',
  IN_DOUBT_GRACE_MINUTES: '30',
};

/**
 * DELIVERY_POLICY: a JSON object overriding any of the deliverer's timings in milliseconds (see
 * relay/delivery/policy.ts). For tests and benchmarks that need minutes to pass in seconds; an
 * operator has the named keys above.
 */
function parseDeliveryPolicy(text: string | undefined, issues: string[]): Partial<DeliveryPolicy> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    issues.push('DELIVERY_POLICY: must be a JSON object');
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push('DELIVERY_POLICY: must be a JSON object');
    return {};
  }
  const policy: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!Object.hasOwn(DEFAULT_POLICY, key)) issues.push(`DELIVERY_POLICY.${key}: unknown setting`);
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) issues.push(`DELIVERY_POLICY.${key}: must be a number >= 0`);
    else policy[key] = v;
  }
  return policy as Partial<DeliveryPolicy>;
}

/** Parses the whole configuration; throws ConfigError listing every bad key. */
export function parseConfig(env: Env, options: ParseConfigOptions = {}): RelayConfig {
  const issues: string[] = [];
  // An empty variable (`PORT=`) means "not set", as most shells and .env files intend.
  const raw = (key: string): string | undefined => {
    const v = env[key];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const parsed: Partial<Record<EnvKey, unknown>> = {};
  for (const key of Object.keys(ENV_SCHEMAS) as EnvKey[]) {
    const value = raw(key) ?? DEFAULTS[key];
    if (value === undefined) {
      if (key === 'PROPEXO_API_TOKEN') issues.push(`${key}: required`);
      continue;
    }
    const result = ENV_SCHEMAS[key].safeParse(value);
    if (result.success) parsed[key] = result.data;
    else issues.push(`${key}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  }

  let sites: Map<string, SiteConfig> | undefined;
  const sitesFile = raw('SITES_FILE');
  const sitesJson = raw('SITES_JSON');
  if (sitesFile !== undefined && sitesJson !== undefined) {
    issues.push('SITES_FILE, SITES_JSON: set exactly one of them, not both');
  } else if (sitesFile === undefined && sitesJson === undefined) {
    issues.push('SITES_JSON: required (or SITES_FILE, the path of a JSON file)');
  } else {
    // With a bad PORT the sites are still checked (against the default) so every problem shows at once.
    const port = typeof parsed.PORT === 'number' ? parsed.PORT : Number(DEFAULTS.PORT);
    try {
      if (sitesJson !== undefined) sites = parseSites(sitesJson, port, 'SITES_JSON');
      else sites = parseSites(readSitesFile(sitesFile!, options), port, 'SITES_FILE');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }

  const policy = parseDeliveryPolicy(raw('DELIVERY_POLICY'), issues);
  if (issues.length > 0 || !sites) throw new ConfigError(issues);
  const trusted = parsed.TRUSTED_IP_HEADER as string | undefined;
  const optional = <K extends string>(key: K, value: unknown) => (value === undefined ? {} : ({ [key]: value } as Record<K, string>));
  return {
    propexo: {
      token: parsed.PROPEXO_API_TOKEN as string,
      baseUrl: parsed.PROPEXO_BASE_URL as string,
      ...optional('webhookSecret', parsed.PROPEXO_WEBHOOK_SECRET),
    },
    ...optional('adminToken', parsed.ADMIN_TOKEN),
    ...optional('redisUrl', parsed.REDIS_URL),
    dataDir: parsed.DATA_DIR as string,
    delivery: {
      maxAgeMs: (parsed.MAX_LEAD_AGE_HOURS as number) * 3_600_000,
      retentionMs: (parsed.RETENTION_DAYS as number) * 86_400_000,
      upstreamPerMinute: parsed.UPSTREAM_RATE_PER_MINUTE as number,
      inDoubtGraceMs: (parsed.IN_DOUBT_GRACE_MINUTES as number) * 60_000,
      ...policy,
    },
    sites,
    port: parsed.PORT as number,
    host: parsed.HOST as string,
    ...(trusted === undefined ? {} : { trustedIpHeader: trusted }),
    upstreamTimeoutMs: parsed.UPSTREAM_TIMEOUT_MS as number,
    logLevel: parsed.LOG_LEVEL as LogLevel,
    widgetDir: parsed.WIDGET_DIR as string,
  };
}

function readSitesFile(path: string, options: ParseConfigOptions): string {
  if (!options.readFile) throw new ConfigError(['SITES_FILE: files cannot be read in this runtime; use SITES_JSON']);
  try {
    return options.readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigError([`SITES_FILE: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`]);
  }
}
