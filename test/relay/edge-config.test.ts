/** The Worker's configuration reader, in Node: sites from KV, re-read once its minute is up. */
import { describe, expect, it } from 'vitest';
import { CONFIG_TTL_MS, edgeConfig } from '../../relay/edge/config.js';
import type { EdgeEnv } from '../../relay/edge/env.js';
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
});
