/** The Worker's configuration reader, in Node: sites from KV, re-read once its minute is up. */
import { describe, expect, it } from 'vitest';
import { secretsOf } from '../../relay/config/env.js';
import { CONFIG_TTL_MS, edgeConfig } from '../../relay/runtime/worker/config.js';
import type { EdgeEnv } from '../../relay/runtime/worker/env.js';
import { SITE_IDS, TOKEN } from './fixtures.js';

const site = (slug: string) => ({ [slug]: { name: slug, ...SITE_IDS, allowed_origins: ['https://a.example'] } });

describe('edgeConfig', () => {
  it('reads sites from KV and sees a site added there within CONFIG_TTL_MS', async () => {
    let sites = JSON.stringify(site('oak'));
    const env = { PROPEXO_API_TOKEN: TOKEN, SITES: { get: async () => sites } } as unknown as EdgeEnv;
    const t0 = 1_000_000_000_000 + Math.floor(Math.random() * 1e9); // no other test shares this isolate's cache window
    expect([...(await edgeConfig(env, t0)).sites.keys()]).toEqual(['oak']);
    sites = JSON.stringify({ ...site('oak'), ...site('pine') });
    expect([...(await edgeConfig(env, t0 + 1_000)).sites.keys()]).toEqual(['oak']); // still the cached minute
    expect([...(await edgeConfig(env, t0 + CONFIG_TTL_MS)).sites.keys()]).toEqual(['oak', 'pine']);
  });

  it('a bad value is not cached: fixing it takes effect on the next call', async () => {
    let sites: string | null = null;
    const env = { PROPEXO_API_TOKEN: TOKEN, SITES: { get: async () => sites } } as unknown as EdgeEnv;
    const t0 = 2_000_000_000_000;
    await expect(edgeConfig(env, t0)).rejects.toThrow(/SITES_JSON: required/);
    sites = JSON.stringify(site('oak'));
    expect([...(await edgeConfig(env, t0 + 1)).sites.keys()]).toEqual(['oak']);
  });

  it("reads TURNSTILE_SECRET and TURNSTILE_VERIFY_URL from the Worker's env, as Node reads them", async () => {
    const sites = JSON.stringify({
      oak: { name: 'oak', ...SITE_IDS, allowed_origins: ['https://a.example'], turnstile: { site_key: '0x4AAAAAAAoak' } },
    });
    const env = {
      PROPEXO_API_TOKEN: TOKEN,
      SITES_JSON: sites,
      TURNSTILE_SECRET: '0x4AAAAAAA_edge_secret',
      TURNSTILE_VERIFY_URL: 'http://127.0.0.1:9/siteverify',
    };
    const t0 = 3_000_000_000_000 + Math.floor(Math.random() * 1e9);
    const config = await edgeConfig(env as unknown as EdgeEnv, t0);
    expect(config.turnstile).toEqual({ secret: '0x4AAAAAAA_edge_secret', verifyUrl: 'http://127.0.0.1:9/siteverify' });
    expect(secretsOf(config)).toContain('0x4AAAAAAA_edge_secret');
    const { TURNSTILE_SECRET: _, ...without } = env;
    await expect(edgeConfig(without as unknown as EdgeEnv, t0 + CONFIG_TTL_MS)).rejects.toThrow(
      /^TURNSTILE_SECRET: required, since oak sets turnstile$/,
    );
  });
});
