import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseConfig, secretsOf } from '../../relay/config/env.js';
import { DEFAULT_LIMITS, normalizeOrigin, parseSites } from '../../relay/config/sites.js';
import { SITES, TOKEN, testEnv } from './fixtures.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const site = (overrides: Record<string, unknown> = {}) => ({
  name: 'Oak Grove',
  integration_id: 'int_1',
  property_id: 'prop_1',
  employee_id: 'emp_1',
  lead_source_id: 'src_1',
  allowed_origins: ['https://oakgrove.example'],
  ...overrides,
});

describe('parseConfig', () => {
  it('applies defaults', () => {
    const config = parseConfig({ PROPEXO_API_TOKEN: TOKEN, SITES_JSON: JSON.stringify({ oak: site() }) });
    expect(config).toMatchObject({
      propexo: { token: TOKEN, baseUrl: 'https://api.propexo.com' },
      port: 8787,
      host: '0.0.0.0',
      upstreamTimeoutMs: 10000,
      redisCommandTimeoutMs: 500,
      logLevel: 'info',
      widgetDir: 'dist/widget',
    });
    expect(config.trustedIpHeader).toBeUndefined();
    expect(config.ipv6BucketBits).toBe(64);
    expect(
      parseConfig({ PROPEXO_API_TOKEN: TOKEN, SITES_JSON: JSON.stringify({ oak: site() }), REDIS_COMMAND_TIMEOUT_MS: '2500' })
        .redisCommandTimeoutMs,
    ).toBe(2500);
    expect(
      configError(() =>
        parseConfig({ PROPEXO_API_TOKEN: TOKEN, SITES_JSON: JSON.stringify({ oak: site() }), REDIS_COMMAND_TIMEOUT_MS: '10' }),
      ).issues[0],
    ).toMatch(/^REDIS_COMMAND_TIMEOUT_MS: /);
    expect(config.sites.get('oak')!.limits).toEqual(DEFAULT_LIMITS);
  });

  it('reads every key', () => {
    const config = parseConfig(
      testEnv({
        PROPEXO_BASE_URL: 'http://127.0.0.1:9999/prefix/',
        PORT: '9000',
        HOST: '127.0.0.1',
        TRUSTED_IP_HEADER: 'X-Forwarded-For',
        IPV6_BUCKET_BITS: '56',
        UPSTREAM_TIMEOUT_MS: '2500',
        LOG_LEVEL: 'debug',
        WIDGET_DIR: '/srv/widget',
      }),
    );
    expect(config.propexo.baseUrl).toBe('http://127.0.0.1:9999/prefix');
    expect(config.port).toBe(9000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.trustedIpHeader).toBe('x-forwarded-for');
    expect(config.ipv6BucketBits).toBe(56);
    expect(config.upstreamTimeoutMs).toBe(2500);
    expect(config.logLevel).toBe('debug');
    expect(config.widgetDir).toBe('/srv/widget');
    // {PORT} follows the relay's own port.
    expect(config.sites.get('oak-grove')!.allowed_origins).toEqual(['https://www.oakgrove.example', 'http://localhost:9000']);
    expect(config.sites.get('oak-grove')!.limits.per_ip).toEqual(SITES['oak-grove'].limits.per_ip);
  });

  it('reads DATABASE_URL (a shared PostgreSQL outbox), refuses another scheme, and redacts its password', () => {
    const base = { PROPEXO_API_TOKEN: TOKEN, SITES_JSON: JSON.stringify({ oak: site() }) };
    expect(parseConfig(base).databaseUrl).toBeUndefined();
    const config = parseConfig({ ...base, DATABASE_URL: 'postgres://relay:s3cr%40t-pw@db.internal:5432/outbox' });
    expect(config.databaseUrl).toBe('postgres://relay:s3cr%40t-pw@db.internal:5432/outbox');
    expect(secretsOf(config)).toContain('s3cr@t-pw');
    expect(configError(() => parseConfig({ ...base, DATABASE_URL: 'mysql://db/outbox' })).message).toContain('DATABASE_URL');
  });

  it('strips a trailing slash from the base URL', () => {
    expect(parseConfig(testEnv({ PROPEXO_BASE_URL: 'https://api.propexo.com/' })).propexo.baseUrl).toBe('https://api.propexo.com');
  });

  const bad: [string, Record<string, string | undefined>, RegExp][] = [
    ['PROPEXO_API_TOKEN', { PROPEXO_API_TOKEN: undefined }, /^PROPEXO_API_TOKEN: required$/m],
    ['PROPEXO_API_TOKEN', { PROPEXO_API_TOKEN: 'has a space' }, /^PROPEXO_API_TOKEN: must not contain whitespace$/m],
    ['PROPEXO_BASE_URL', { PROPEXO_BASE_URL: 'ftp://propexo.com' }, /^PROPEXO_BASE_URL: must be an http\(s\) URL/m],
    ['PROPEXO_BASE_URL', { PROPEXO_BASE_URL: 'not a url' }, /^PROPEXO_BASE_URL: /m],
    ['PORT', { PORT: '0' }, /^PORT: must be a whole number from 1 to 65535$/m],
    ['PORT', { PORT: '70000' }, /^PORT: /m],
    ['PORT', { PORT: '80.5' }, /^PORT: /m],
    ['HOST', { HOST: 'a host' }, /^HOST: /m],
    ['TRUSTED_IP_HEADER', { TRUSTED_IP_HEADER: 'x forwarded' }, /^TRUSTED_IP_HEADER: must be a header name/m],
    ['IPV6_BUCKET_BITS', { IPV6_BUCKET_BITS: '16' }, /^IPV6_BUCKET_BITS: must be a whole number from 32 to 128$/m],
    ['ADMIN_RATE_PER_MINUTE', { ADMIN_RATE_PER_MINUTE: '0' }, /^ADMIN_RATE_PER_MINUTE: must be a whole number from 1 to 100000$/m],
    ['WEBHOOK_RATE_PER_MINUTE', { WEBHOOK_RATE_PER_MINUTE: 'lots' }, /^WEBHOOK_RATE_PER_MINUTE: must be a whole number/m],
    ['UPSTREAM_TIMEOUT_MS', { UPSTREAM_TIMEOUT_MS: 'soon' }, /^UPSTREAM_TIMEOUT_MS: must be a whole number/m],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /^LOG_LEVEL: must be one of debug, info, warn, error$/m],
    ['SITES_JSON', { SITES_JSON: undefined }, /^SITES_JSON: required \(or SITES_FILE/m],
    ['SITES_JSON', { SITES_JSON: '{not json' }, /^SITES_JSON: not valid JSON/m],
    ['SITES_JSON', { SITES_JSON: '[]' }, /^SITES_JSON: must be a JSON object keyed by site slug$/m],
    ['SITES_JSON', { SITES_JSON: '{}' }, /^SITES_JSON: must configure at least one site$/m],
    ['SITES_FILE', { SITES_FILE: 'sites.json' }, /^SITES_FILE, SITES_JSON: set exactly one/m],
  ];
  for (const [key, env, message] of bad) {
    it(`names ${key} when it is bad (${JSON.stringify(env)})`, () => {
      const err = configError(() => parseConfig(testEnv(env)));
      expect(err.message).toMatch(message);
    });
  }

  it('never echoes the token in a message', () => {
    const err = configError(() => parseConfig(testEnv({ PROPEXO_API_TOKEN: `${TOKEN} x`, PORT: 'x' })));
    expect(err.message).not.toContain(TOKEN);
  });

  it('reports every bad key at once', () => {
    const err = configError(() => parseConfig({ PORT: 'x', LOG_LEVEL: 'loud', SITES_JSON: JSON.stringify({ oak: site({ name: '' }) }) }));
    expect(err.issues).toEqual([
      'PROPEXO_API_TOKEN: required',
      'PORT: must be a whole number from 1 to 65535',
      'LOG_LEVEL: must be one of debug, info, warn, error',
      'SITES_JSON: oak.name: required',
    ]);
  });

  it('reads SITES_FILE through the injected readFile, naming the key on failure', () => {
    const env = testEnv({ SITES_JSON: undefined, SITES_FILE: '/etc/relay/sites.json' });
    const read: string[] = [];
    const config = parseConfig(env, {
      readFile: (p) => {
        read.push(p);
        return JSON.stringify({ oak: site() });
      },
    });
    expect(read).toEqual(['/etc/relay/sites.json']);
    expect([...config.sites.keys()]).toEqual(['oak']);

    const missing = configError(() =>
      parseConfig(env, {
        readFile: () => {
          throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        },
      }),
    );
    expect(missing.message).toBe('SITES_FILE: cannot read /etc/relay/sites.json (ENOENT)');
    expect(configError(() => parseConfig(env)).message).toMatch(/^SITES_FILE: files cannot be read/);
    const badFile = configError(() => parseConfig(env, { readFile: () => JSON.stringify({ oak: site({ allowed_origins: ['x'] }) }) }));
    expect(badFile.message).toBe('SITES_FILE: oak.allowed_origins[0]: must be an origin like https://example.com');
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig(testEnv({ PORT: '', LOG_LEVEL: ' ' })).port).toBe(8787);
  });
});

describe('parseSites', () => {
  const sitesError = (sites: unknown) => configError(() => parseSites(JSON.stringify(sites), 8787)).message;

  it('names the site and the path of each bad value', () => {
    expect(sitesError({ 'oak-grove': site({ allowed_origins: ['https://ok.example', 'https://x.example/path'] }) })).toBe(
      'SITES_JSON: oak-grove.allowed_origins[1]: must be an origin like https://example.com',
    );
    expect(sitesError({ 'Oak Grove': site() })).toMatch(/^SITES_JSON: "Oak Grove": site slug must match/);
    expect(sitesError({ oak: site({ integration_id: undefined }) })).toBe('SITES_JSON: oak.integration_id: required');
    expect(sitesError({ oak: site({ property_id: 42 }) })).toBe('SITES_JSON: oak.property_id: must be a string');
    expect(sitesError({ oak: site({ allowed_origins: [] }) })).toBe('SITES_JSON: oak.allowed_origins: must list at least one origin');
    expect(sitesError({ oak: site({ allowed_origin: [] }) })).toBe('SITES_JSON: oak: unknown key "allowed_origin"');
    expect(sitesError({ oak: site({ limits: { per_ip: { max: 0, window_seconds: 60 } } }) })).toBe(
      'SITES_JSON: oak.limits.per_ip.max: must be at least 1',
    );
    expect(sitesError({ oak: site({ limits: { per_site: { max: 1.5, window_seconds: 60 } } }) })).toMatch(
      /^SITES_JSON: oak\.limits\.per_site\.max: /,
    );
    expect(sitesError({ oak: 'not an object' })).toBe('SITES_JSON: oak: must be an object');
  });

  it('normalises origins and fills {PORT}', () => {
    const sites = parseSites(
      JSON.stringify({ oak: site({ allowed_origins: ['HTTPS://Oak.Example:443/', 'http://127.0.0.1:{PORT}', 'https://oak.example'] }) }),
      4321,
    );
    expect(sites.get('oak')!.allowed_origins).toEqual(['https://oak.example', 'http://127.0.0.1:4321']);
  });

  it('keeps per-site limits and defaults the rest', () => {
    const sites = parseSites(JSON.stringify({ oak: site({ limits: { per_ip: { max: 9, window_seconds: 30 } } }) }), 1);
    expect(sites.get('oak')!.limits).toEqual({
      per_site: DEFAULT_LIMITS.per_site,
      per_ip: { max: 9, window_seconds: 30 },
      per_ip_lookups: DEFAULT_LIMITS.per_ip_lookups,
    });
  });
});

describe('normalizeOrigin', () => {
  it('accepts bare http(s) origins only', () => {
    expect(normalizeOrigin('https://a.example')).toBe('https://a.example');
    expect(normalizeOrigin('http://localhost:8787/')).toBe('http://localhost:8787');
    for (const bad of [
      '*',
      'null',
      'a.example',
      'ftp://a.example',
      'https://a.example/x',
      'https://u:p@a.example',
      'https://a.example?x',
      'https://a.example#x',
    ]) {
      expect(normalizeOrigin(bad), bad).toBeNull();
    }
  });
});

describe('DELIVERY_POLICY', () => {
  it("overrides the deliverer's timings, and names every bad entry", async () => {
    const { parseConfig: parse } = await import('../../relay/config/env.js');
    const { ConfigError: Err } = await import('../../relay/config/config-error.js');
    const { testEnv: env } = await import('./fixtures.js');
    expect(parse(env({ DELIVERY_POLICY: '{"confirmFirstDelayMs":20,"inDoubtGraceMs":500}' })).delivery).toMatchObject({
      confirmFirstDelayMs: 20,
      inDoubtGraceMs: 500,
    });
    const bad = () => parse(env({ DELIVERY_POLICY: '{"confirmFirstDelayMs":-1,"nope":1}' }));
    expect(bad).toThrow(Err);
    expect(bad).toThrow(/DELIVERY_POLICY\.confirmFirstDelayMs: must be a number >= 0/);
    expect(bad).toThrow(/DELIVERY_POLICY\.nope: unknown setting/);
    expect(() => parse(env({ DELIVERY_POLICY: '[1]' }))).toThrow(/DELIVERY_POLICY: must be a JSON object/);
  });
});

describe('lead_source_map', () => {
  it('maps lower-case utm_source values to lead source ids, and names a bad entry', async () => {
    const { parseSites: parse } = await import('../../relay/config/sites.js');
    const base = {
      name: 'Oak',
      integration_id: 'i',
      property_id: 'p',
      employee_id: 'e',
      lead_source_id: 'l',
      allowed_origins: ['https://a.example'],
    };
    const sites = parse(JSON.stringify({ oak: { ...base, lead_source_map: { google: 'lsrc_g', 'apartments.com': 'lsrc_a' } } }), 1);
    expect([...sites.get('oak')!.lead_source_map!]).toEqual([
      ['google', 'lsrc_g'],
      ['apartments.com', 'lsrc_a'],
    ]);
    expect(() => parse(JSON.stringify({ oak: { ...base, lead_source_map: { Google: 'lsrc_g' } } }), 1)).toThrow(/oak\.lead_source_map/);
    expect(() => parse(JSON.stringify({ oak: { ...base, lead_source_map: { google: 'has space' } } }), 1)).toThrow(
      /oak\.lead_source_map\.google/,
    );
  });
});

describe('form_token', () => {
  it('is required unless a site opts out (a site that posts from its own servers), and names a bad value', () => {
    const sites = parseSites(JSON.stringify({ oak: site({}), pine: site({ form_token: 'optional' }) }), 1);
    expect(sites.get('oak')!.form_token).toBe('required');
    expect(sites.get('pine')!.form_token).toBe('optional');
    expect(() => parseSites(JSON.stringify({ oak: site({ form_token: 'off' }) }), 1)).toThrow(
      /oak\.form_token: must be "required" or "optional"/,
    );
  });
});

describe('Turnstile', () => {
  const SECRET = '0x4AAAAAAA_cfg_turnstile_secret';
  const turnstileSites = (slugs: string[]) =>
    JSON.stringify(
      Object.fromEntries(
        ['oak', 'pine', 'elm'].map((slug) => [slug, site(slugs.includes(slug) ? { turnstile: { site_key: `0x4AAAAAAA${slug}` } } : {})]),
      ),
    );

  it('reads the site key, TURNSTILE_SECRET and TURNSTILE_VERIFY_URL (Cloudflare’s siteverify by default)', () => {
    const config = parseConfig(testEnv({ SITES_JSON: turnstileSites(['oak']), TURNSTILE_SECRET: SECRET }));
    expect(config.sites.get('oak')!.turnstile).toEqual({ site_key: '0x4AAAAAAAoak' });
    expect(config.sites.get('pine')!.turnstile).toBeUndefined();
    expect(config.turnstile).toEqual({ secret: SECRET, verifyUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify' });
    const local = parseConfig(testEnv({ TURNSTILE_SECRET: SECRET, TURNSTILE_VERIFY_URL: 'http://127.0.0.1:9999/turnstile/v0/siteverify' }));
    expect(local.turnstile!.verifyUrl).toBe('http://127.0.0.1:9999/turnstile/v0/siteverify');
    expect(secretsOf(local)).toContain(SECRET);
    expect(parseConfig(testEnv()).turnstile).toBeUndefined();
  });

  it('a site with turnstile and no TURNSTILE_SECRET stops the relay with a message naming the key and the sites', () => {
    const err = configError(() => parseConfig(testEnv({ SITES_JSON: turnstileSites(['oak', 'elm']) })));
    expect(err.issues).toEqual(['TURNSTILE_SECRET: required, since oak, elm set turnstile']);
    expect(configError(() => parseConfig(testEnv({ SITES_JSON: turnstileSites(['pine']), TURNSTILE_SECRET: ' ' }))).message).toBe(
      'TURNSTILE_SECRET: required, since pine sets turnstile',
    );
  });

  it('names a bad TURNSTILE_SECRET, TURNSTILE_VERIFY_URL or site key, never echoing the secret', () => {
    const err = configError(() =>
      parseConfig(
        testEnv({
          SITES_JSON: turnstileSites(['oak']),
          TURNSTILE_SECRET: `${SECRET} x`,
          TURNSTILE_VERIFY_URL: 'ftp://x.example/siteverify',
        }),
      ),
    );
    expect(err.issues).toEqual([
      'TURNSTILE_SECRET: must not contain whitespace',
      'TURNSTILE_VERIFY_URL: must be an http(s) URL like https://challenges.cloudflare.com/turnstile/v0/siteverify',
    ]);
    expect(err.message).not.toContain(SECRET);
    expect(() => parseSites(JSON.stringify({ oak: site({ turnstile: { site_key: 'has space' } }) }), 1)).toThrow(
      /^SITES_JSON: oak\.turnstile\.site_key: must be a Turnstile site key/,
    );
    expect(() => parseSites(JSON.stringify({ oak: site({ turnstile: { site_key: 'k', secret: 'x' } }) }), 1)).toThrow(
      /oak\.turnstile: unknown key "secret"/,
    );
    expect(() => parseSites(JSON.stringify({ oak: site({ turnstile: {} }) }), 1)).toThrow(/oak\.turnstile\.site_key: required/);
  });
});
