/**
 * The relay's configuration, parsed once at start from an env-like record. A bad value throws a
 * ConfigError whose message names the key (and the path inside SITES_JSON / SITES_FILE), so the
 * process stops with something an operator can act on. Runtime-neutral: reading SITES_FILE is
 * delegated to an injected `readFile`.
 *
 * No message ever echoes a value: the token is one of them.
 */
import '../../contract/jitless.js';
import * as z from 'zod/mini';
import { DEFAULT_POLICY, type DeliveryPolicy } from '../outbox/delivery/policy.js';
import type { AlertConfig } from '../alerts/policy.js';
import { LOG_LEVELS, type LogLevel } from '../lib/log.js';
import { ConfigError } from './config-error.js';
import { type AlertEmailParser, alertSecretsOf, parseAlertConfig } from './alert-env.js';
import { parsePolicyJson } from './policy-json.js';
import { parseSites, type SiteConfig } from './sites.js';
import { TURNSTILE_VERIFY_URL } from '../spam/turnstile.js';

export interface RelayConfig {
  propexo: {
    token: string;
    baseUrl: string;
    /** Verifies Propexo's webhooks (HMAC-SHA256); unset, the webhook route refuses everything. */
    webhookSecret?: string;
  };
  /** Bearer token of the /admin routes; unset, they refuse everything. */
  adminToken?: string;
  /** Requests a minute one client may make to the admin routes, refused ones included. */
  adminRatePerMinute: number;
  /** Signs the console's session cookies; unset, a key derived from adminToken does (relay/http/session.ts). */
  sessionSecret?: string;
  /** How long a console session lasts from sign-in. */
  adminSessionMs: number;
  /** Bearer token of `GET /metrics`; unset, it refuses everything. */
  metricsToken?: string;
  /** Requests a minute one client (a Propexo sender) may make to the webhook route. */
  webhookRatePerMinute: number;
  /**
   * Cloudflare Turnstile's server side: present when TURNSTILE_SECRET is set (required once a site
   * configures `turnstile`). `verifyUrl` is Cloudflare's siteverify unless a test points it elsewhere.
   */
  turnstile?: { secret: string; verifyUrl: string };
  /** Where the Node relay keeps its outbox (SQLite). */
  dataDir: string;
  /** Shared limits across relay processes; unset, limits are per process. */
  redisUrl?: string;
  /** How long a limit decision waits for Redis before the process decides alone. */
  redisCommandTimeoutMs: number;
  /** A PostgreSQL outbox shared by every relay process (instead of SQLite in dataDir). */
  databaseUrl?: string;
  /** The outbox's patience: from the keys above, and any DELIVERY_POLICY overrides. */
  delivery: Partial<DeliveryPolicy> & { maxAgeMs: number; retentionMs: number; upstreamPerMinute: number; inDoubtGraceMs: number };
  /** A Map, not a plain object, so a slug like `constructor` can never reach Object.prototype. */
  sites: ReadonlyMap<string, SiteConfig>;
  port: number;
  host: string;
  /** Lower-cased header name the client IP is read from; unset means the socket's address. */
  trustedIpHeader?: string;
  /** The prefix length an IPv6 client is limited by: one host owns its whole /64. */
  ipv6BucketBits: number;
  upstreamTimeoutMs: number;
  logLevel: LogLevel;
  widgetDir: string;
  /** Where alerts go (a chat webhook, e-mail on Node) and how they are paced (relay/alerts/). */
  alerts: AlertConfig;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface ParseConfigOptions {
  /** Reads SITES_FILE; the Node entry passes fs, a Worker passes nothing and uses SITES_JSON. */
  readFile?: (path: string) => string;
  /** Reads the e-mail alert keys; the Node entry passes parseAlertEmail, a Worker nothing (they are refused there). */
  alertEmail?: AlertEmailParser;
}

const intString = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.pipe(
    z.string().check(z.regex(/^\d{1,10}$/, message)),
    z.pipe(
      z.transform((s: string) => Number(s)),
      z.number().check(z.gte(min, message), z.lte(max, message)),
    ),
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

/** A whole http(s) URL, path included (TURNSTILE_VERIFY_URL); no credentials, query or fragment. */
const endpointUrl = (example: string) =>
  z.string().check(
    z.refine((s: string) => {
      try {
        const url = new URL(s);
        return /^https?:$/.test(url.protocol) && !url.username && !url.password && !url.search && !url.hash;
      } catch {
        return false;
      }
    }, `must be an http(s) URL like ${example}`),
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
  IPV6_BUCKET_BITS: intString(32, 128),
  UPSTREAM_TIMEOUT_MS: intString(100, 120_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  WIDGET_DIR: z.string().check(z.minLength(1, 'must not be empty')),
  DATA_DIR: z.string().check(z.minLength(1, 'must not be empty')),
  RETENTION_DAYS: intString(1, 3650),
  MAX_LEAD_AGE_HOURS: intString(1, 720),
  UPSTREAM_RATE_PER_MINUTE: intString(1, 100_000),
  IN_DOUBT_GRACE_MINUTES: intString(1, 1440),
  REDIS_URL: z.string().check(z.regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')),
  REDIS_COMMAND_TIMEOUT_MS: intString(50, 60_000),
  DATABASE_URL: z.string().check(z.regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')),
  ADMIN_TOKEN: secret(16),
  ADMIN_RATE_PER_MINUTE: intString(1, 100_000),
  SESSION_SECRET: secret(16),
  ADMIN_SESSION_HOURS: intString(1, 168),
  METRICS_TOKEN: secret(16),
  WEBHOOK_RATE_PER_MINUTE: intString(1, 100_000),
  PROPEXO_WEBHOOK_SECRET: secret(8),
  TURNSTILE_SECRET: secret(8),
  TURNSTILE_VERIFY_URL: endpointUrl(TURNSTILE_VERIFY_URL),
} as const;

type EnvKey = keyof typeof ENV_SCHEMAS;

const DEFAULTS: Partial<Record<EnvKey, string>> = {
  PROPEXO_BASE_URL: 'https://api.propexo.com',
  PORT: '8787',
  HOST: '0.0.0.0',
  IPV6_BUCKET_BITS: '64',
  UPSTREAM_TIMEOUT_MS: '10000',
  REDIS_COMMAND_TIMEOUT_MS: '500',
  LOG_LEVEL: 'info',
  WIDGET_DIR: 'dist/widget',
  DATA_DIR: './data',
  RETENTION_DAYS: '30',
  MAX_LEAD_AGE_HOURS: '72',
  UPSTREAM_RATE_PER_MINUTE: '120',
  IN_DOUBT_GRACE_MINUTES: '30',
  // An open console tab makes up to ~40 requests a minute (a poll every 5 s, two loads per change), and
  // an office may keep a few open behind one address; guessing a token of 16+ random characters at 300 a minute
  // is hopeless. The webhook's: Propexo's failures follow the writes (UPSTREAM_RATE_PER_MINUTE, 120).
  ADMIN_RATE_PER_MINUTE: '300',
  ADMIN_SESSION_HOURS: '8',
  WEBHOOK_RATE_PER_MINUTE: '300',
  TURNSTILE_VERIFY_URL,
};

// An empty variable (`PORT=`) means "not set", as most shells and .env files intend.
const rawOf =
  (env: Env) =>
  (key: string): string | undefined => {
    const v = env[key];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

/** `keys` parsed, each alone with its default, every problem pushed to `issues`. */
function parseKeys(env: Env, keys: readonly EnvKey[], issues: string[]): Partial<Record<EnvKey, unknown>> {
  const raw = rawOf(env);
  const parsed: Partial<Record<EnvKey, unknown>> = {};
  for (const key of keys) {
    const value = raw(key) ?? DEFAULTS[key];
    if (value === undefined) {
      if (key === 'PROPEXO_API_TOKEN') issues.push(`${key}: required`);
      continue;
    }
    const result = ENV_SCHEMAS[key].safeParse(value);
    if (result.success) parsed[key] = result.data;
    else issues.push(`${key}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed;
}

/** What a script that only reads from Propexo needs (npm run sites -- discover): the same keys and checks as the relay's. */
export interface PropexoEnv {
  token: string;
  baseUrl: string;
  timeoutMs: number;
  upstreamPerMinute: number;
  redisUrl?: string;
  redisCommandTimeoutMs: number;
}

export function parsePropexoEnv(env: Env): PropexoEnv {
  const issues: string[] = [];
  const keys = [
    'PROPEXO_API_TOKEN',
    'PROPEXO_BASE_URL',
    'UPSTREAM_TIMEOUT_MS',
    'UPSTREAM_RATE_PER_MINUTE',
    'REDIS_URL',
    'REDIS_COMMAND_TIMEOUT_MS',
  ] as const;
  const parsed = parseKeys(env, keys, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    token: parsed.PROPEXO_API_TOKEN as string,
    baseUrl: parsed.PROPEXO_BASE_URL as string,
    timeoutMs: parsed.UPSTREAM_TIMEOUT_MS as number,
    upstreamPerMinute: parsed.UPSTREAM_RATE_PER_MINUTE as number,
    ...(parsed.REDIS_URL === undefined ? {} : { redisUrl: parsed.REDIS_URL as string }),
    redisCommandTimeoutMs: parsed.REDIS_COMMAND_TIMEOUT_MS as number,
  };
}

/** Parses the whole configuration; throws ConfigError listing every bad key. */
export function parseConfig(env: Env, options: ParseConfigOptions = {}): RelayConfig {
  const issues: string[] = [];
  const raw = rawOf(env);
  const parsed = parseKeys(env, Object.keys(ENV_SCHEMAS) as EnvKey[], issues);

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

  // A site that asks for Turnstile cannot verify a single response without the secret: refuse to start.
  if (sites && parsed.TURNSTILE_SECRET === undefined && !issues.some((i) => i.startsWith('TURNSTILE_SECRET:'))) {
    const asking = [...sites.values()].filter((s) => s.turnstile).map((s) => s.slug);
    if (asking.length > 0)
      issues.push(`TURNSTILE_SECRET: required, since ${asking.join(', ')} set${asking.length === 1 ? 's' : ''} turnstile`);
  }
  // DELIVERY_POLICY: the deliverer's timings in milliseconds (relay/outbox/delivery/policy.ts), for tests
  // and benchmarks that need minutes to pass in seconds; an operator has the named keys above.
  const policy = parsePolicyJson('DELIVERY_POLICY', raw('DELIVERY_POLICY'), DEFAULT_POLICY, issues);
  const alerts = parseAlertConfig(raw, issues, options.alertEmail);
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
    adminRatePerMinute: parsed.ADMIN_RATE_PER_MINUTE as number,
    ...optional('sessionSecret', parsed.SESSION_SECRET),
    adminSessionMs: (parsed.ADMIN_SESSION_HOURS as number) * 3_600_000,
    ...optional('metricsToken', parsed.METRICS_TOKEN),
    webhookRatePerMinute: parsed.WEBHOOK_RATE_PER_MINUTE as number,
    ...(parsed.TURNSTILE_SECRET === undefined
      ? {}
      : { turnstile: { secret: parsed.TURNSTILE_SECRET as string, verifyUrl: parsed.TURNSTILE_VERIFY_URL as string } }),
    ...optional('redisUrl', parsed.REDIS_URL),
    redisCommandTimeoutMs: parsed.REDIS_COMMAND_TIMEOUT_MS as number,
    ...optional('databaseUrl', parsed.DATABASE_URL),
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
    ipv6BucketBits: parsed.IPV6_BUCKET_BITS as number,
    upstreamTimeoutMs: parsed.UPSTREAM_TIMEOUT_MS as number,
    logLevel: parsed.LOG_LEVEL as LogLevel,
    widgetDir: parsed.WIDGET_DIR as string,
    alerts,
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

/** Every secret in the configuration, for the logger to redact (belt and braces: none is logged). */
export function secretsOf(config: RelayConfig): string[] {
  const redisPassword = config.redisUrl ? decodeURIComponent(new URL(config.redisUrl).password) : undefined;
  const databasePassword = config.databaseUrl ? decodeURIComponent(new URL(config.databaseUrl).password) : undefined;
  return [
    ...alertSecretsOf(config.alerts),
    config.propexo.token,
    config.adminToken,
    config.sessionSecret,
    config.metricsToken,
    config.propexo.webhookSecret,
    config.turnstile?.secret,
    redisPassword,
    databasePassword,
  ].filter((s): s is string => !!s);
}
