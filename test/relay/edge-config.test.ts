/** The Worker's configuration, in Node: sites from KV, re-read in the background once their interval is up. */
import { describe, expect, it } from 'vitest';
import { secretsOf } from '../../relay/config/env.js';
import { refreshingSites } from '../../relay/config/refreshing-sites.js';
import type { SiteConfig } from '../../relay/config/sites.js';
import { createLogger } from '../../relay/lib/log.js';
import { SITES_REFRESH_SECONDS, buildEdgeSetup, edgeSetup, readEdgeConfig } from '../../relay/runtime/worker/config.js';
import type { EdgeEnv } from '../../relay/runtime/worker/env.js';
import { checkedSink } from '../support/hygiene.js';
import { SITE_IDS, TOKEN, manualClock } from './fixtures.js';

const site = (slug: string) => ({ [slug]: { name: slug, ...SITE_IDS, allowed_origins: ['https://a.example'] } });

/** A KV namespace holding `sites` (null: no key; an Error: the read fails), counting its reads. */
function kvEnv(vars: Record<string, string> = {}) {
  const kv = { value: JSON.stringify(site('oak')) as string | null | Error, reads: 0 };
  const env = {
    PROPEXO_API_TOKEN: TOKEN,
    ...vars,
    SITES: {
      get: async () => {
        kv.reads++;
        if (kv.value instanceof Error) throw kv.value;
        return kv.value;
      },
    },
  } as unknown as EdgeEnv;
  return { env, kv };
}

async function setup(vars: Record<string, string> = {}) {
  const { env, kv } = kvEnv(vars);
  const clock = manualClock();
  const lines: string[] = [];
  const { sites } = await buildEdgeSetup(env, { clock, sink: checkedSink(lines) });
  const events = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { sites, kv, clock, events, slugs: () => [...sites.current().keys()] };
}

describe('sites from KV', () => {
  it('a site added to KV is served once the interval is up, with one read per interval whatever the traffic', async () => {
    const { sites, kv, clock, slugs, events } = await setup();
    expect(slugs()).toEqual(['oak']);
    kv.value = JSON.stringify({ ...site('oak'), ...site('pine') });
    clock.advance(SITES_REFRESH_SECONDS * 1000 - 1);
    for (let i = 0; i < 100; i++) expect(sites.refreshIfStale()).toBeUndefined();
    expect(kv.reads).toBe(1); // the first read only
    clock.advance(1);
    const refresh = sites.refreshIfStale();
    expect(refresh).toBeDefined();
    expect(sites.refreshIfStale()).toBeUndefined(); // one read per interval
    expect(sites.get('pine')).toBeUndefined(); // requests meanwhile are served from the map in hand
    await refresh;
    expect(slugs()).toEqual(['oak', 'pine']);
    expect(sites.get('pine')?.slug).toBe('pine');
    expect(kv.reads).toBe(2);
    expect(events().find((e) => e.event === 'sites.updated')).toMatchObject({ sites: 2, added: ['pine'], removed: [] });
  });

  it('a request never waits for the read, but in an isolate idle for two intervals', async () => {
    const { sites, kv, clock } = await setup();
    const interval = SITES_REFRESH_SECONDS * 1000;
    const beside: Promise<void>[] = [];
    const background = (read: Promise<void>) => beside.push(read);
    kv.value = JSON.stringify({ ...site('oak'), ...site('pine') });
    clock.advance(interval);
    expect(sites.beforeRequest(background)).toBeUndefined();
    expect(beside).toHaveLength(1); // the read runs beside this request, which is answered from the sites in hand
    expect(sites.get('pine')).toBeUndefined();
    await beside[0];
    expect(sites.get('pine')).toBeDefined();

    kv.value = JSON.stringify(site('elm'));
    clock.advance(2 * interval); // no request for two intervals
    const wait = sites.beforeRequest(background);
    expect(wait).toBeDefined();
    expect(beside).toHaveLength(1);
    await wait;
    expect([...sites.current().keys()]).toEqual(['elm']);
    expect(sites.beforeRequest(background)).toBeUndefined(); // just read: nothing to do
    expect(kv.reads).toBe(3);
  });

  it('a site removed from KV is no longer served after the next read', async () => {
    const { sites, kv, clock, slugs } = await setup();
    kv.value = JSON.stringify(site('pine'));
    clock.advance(SITES_REFRESH_SECONDS * 1000);
    await sites.refreshIfStale();
    expect(slugs()).toEqual(['pine']);
    expect(sites.get('oak')).toBeUndefined();
  });

  it('a failed or invalid read keeps the last good sites, is logged once, and is tried again each interval', async () => {
    const { sites, kv, clock, slugs, events } = await setup({ SITES_REFRESH_SECONDS: '5' });
    const next = async () => {
      clock.advance(5_000);
      await sites.refreshIfStale();
    };
    for (const bad of [
      new Error('kv down'),
      '{"oak": ',
      JSON.stringify({ oak: { name: 'oak' } }),
      null,
      JSON.stringify({ oak: { ...site('oak').oak, turnstile: { site_key: '0x4AAAAAAAoak' } } }), // no TURNSTILE_SECRET
    ]) {
      kv.value = bad;
      await next();
      expect(slugs()).toEqual(['oak']);
    }
    expect(kv.reads).toBe(6);
    const failed = events().filter((e) => e.event === 'sites.refresh_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'error', serving: 'last_good', sites: 1, retry_in_ms: 5_000 });
    kv.value = JSON.stringify({ ...site('oak'), ...site('elm') });
    await next();
    expect(slugs()).toEqual(['oak', 'elm']);
    expect(events().map((e) => e.event)).toEqual(['sites.refresh_failed', 'sites.refresh_recovered', 'sites.updated']);
    // Failing again after a recovery is news again.
    kv.value = new Error('kv down');
    await next();
    expect(events().filter((e) => e.event === 'sites.refresh_failed')).toHaveLength(2);
  });

  it('SITES_REFRESH_SECONDS is checked with the other keys', async () => {
    for (const bad of ['0', '3601', '1.5', 'soon']) {
      await expect(readEdgeConfig(kvEnv({ SITES_REFRESH_SECONDS: bad }).env)).rejects.toThrow(
        /^SITES_REFRESH_SECONDS: must be a whole number from 1 to 3600$/,
      );
    }
    await expect(readEdgeConfig(kvEnv({ SITES_REFRESH_SECONDS: 'x', PORT: '0' }).env)).rejects.toThrow(
      /^PORT: .*\nSITES_REFRESH_SECONDS: /,
    );
    const { sites, kv, clock } = await setup({ SITES_REFRESH_SECONDS: '1' });
    clock.advance(1_000);
    await sites.refreshIfStale();
    expect(kv.reads).toBe(2);
  });

  it('with SITES_JSON the sites are fixed: KV is not read', async () => {
    const { env, kv } = kvEnv({ SITES_JSON: JSON.stringify(site('elm')) });
    const clock = manualClock();
    const { sites } = await buildEdgeSetup(env, { clock });
    clock.advance(3_600_000);
    expect(sites.refreshIfStale()).toBeUndefined();
    expect([...sites.current().keys()]).toEqual(['elm']);
    expect(kv.reads).toBe(0);
  });

  it('a bad value at start is not kept: fixing it takes effect on the next call', async () => {
    const { env, kv } = kvEnv();
    kv.value = null;
    await expect(edgeSetup(env)).rejects.toThrow(/^SITES \(KV key "sites"\): missing; put the sites JSON there, or set SITES_JSON$/);
    kv.value = JSON.stringify({ oak: { name: 'oak' } });
    await expect(edgeSetup(env)).rejects.toThrow(/^SITES \(KV key "sites"\): oak\.integration_id: required$/m);
    kv.value = JSON.stringify(site('oak'));
    expect([...(await edgeSetup(env)).sites.current().keys()]).toEqual(['oak']);
  });
});

describe('refreshingSites', () => {
  it('a load that throws synchronously or rejects never rejects the refresh', async () => {
    const clock = manualClock();
    const lines: string[] = [];
    const initial = new Map<string, SiteConfig>();
    const sites = refreshingSites({
      initial,
      load: () => {
        throw new Error('boom');
      },
      intervalMs: 10,
      clock,
      logger: createLogger({ sink: checkedSink(lines), clock }),
    });
    clock.advance(10);
    await expect(sites.refreshIfStale()).resolves.toBeUndefined();
    expect(sites.current()).toBe(initial);
    expect(lines).toHaveLength(1);
  });

  it('a read that never settles does not stop the next ones, and a late answer never replaces a newer one', async () => {
    const clock = manualClock();
    const reads: { resolve: (sites: Map<string, SiteConfig>) => void }[] = [];
    const sites = refreshingSites({
      initial: new Map(),
      load: () => new Promise((resolve) => reads.push({ resolve })),
      intervalMs: 10,
      clock,
      logger: createLogger({ sink: checkedSink(), clock }),
    });
    const map = (slug: string) => new Map([[slug, { slug } as SiteConfig]]);
    clock.advance(10);
    sites.refreshIfStale(); // hangs, for now
    expect(sites.refreshIfStale()).toBeUndefined();
    clock.advance(10);
    const second = sites.refreshIfStale();
    expect(reads).toHaveLength(2);
    reads[1]!.resolve(map('new'));
    await second;
    reads[0]!.resolve(map('old'));
    await new Promise((r) => setTimeout(r, 0));
    expect([...sites.current().keys()]).toEqual(['new']);
  });
});

describe('readEdgeConfig', () => {
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
    const config = await readEdgeConfig(env as unknown as EdgeEnv);
    expect(config.turnstile).toEqual({ secret: '0x4AAAAAAA_edge_secret', verifyUrl: 'http://127.0.0.1:9/siteverify' });
    expect(secretsOf(config)).toContain('0x4AAAAAAA_edge_secret');
    const { TURNSTILE_SECRET: _, ...without } = env;
    await expect(readEdgeConfig(without as unknown as EdgeEnv)).rejects.toThrow(/^TURNSTILE_SECRET: required, since oak sets turnstile$/);
  });
});
