/** The Worker's configuration: sites from a KV namespace instead of SITES_JSON, and a bad one refused. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { startWorker, type Workerd } from '../relay/support/workerd.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { ORIGIN, PUBLIC_HOST } from './targets.js';

const ROOT = join(import.meta.dirname, '../..');
const ADMIN = 'adm_edge_config_0123456789';
const DOS = { OUTBOX: { className: 'OutboxObject', useSQLite: true }, LIMITER: { className: 'LimiterObject', useSQLite: true } };
const running: Workerd[] = [];
afterAll(() => Promise.all(running.map((w) => w.dispose())));

async function worker(bindings: Record<string, string>, kv = false, persist?: string) {
  const w = await startWorker(join(ROOT, 'relay/runtime/worker/worker.ts'), {
    durableObjects: DOS,
    bindings: { PROPEXO_API_TOKEN: 'ptx_edge_config_token', PROPEXO_BASE_URL: 'http://127.0.0.1:9', ...bindings },
    miniflare: {
      serviceBindings: { ASSETS: () => new Response('', { status: 404 }) },
      ...(kv ? { kvNamespaces: ['SITES'] } : {}),
      ...(persist ? { durableObjectsPersist: persist } : {}),
    },
  });
  running.push(w);
  return w;
}

describe('limits in Durable Objects', () => {
  it('hold per client IP (CF-Connecting-IP) and survive a restart of the runtime mid-window', async () => {
    const persist = await mkdtemp(join(tmpdir(), 'do-persist-'));
    const sites = JSON.stringify({
      'oak-grove': {
        name: 'Oak Grove',
        ...SANDBOX_IDS,
        allowed_origins: [ORIGIN],
        form_token: 'optional',
        limits: { per_ip: { max: 2, window_seconds: 600 }, per_site: { max: 3, window_seconds: 600 } },
      },
    });
    // On a host Cloudflare routes: the header is Cloudflare's there.
    const send = (w: Workerd, ip: string, n: number) =>
      w
        .fetch(`${PUBLIC_HOST}/v1/sites/oak-grove/leads`, {
          method: 'POST',
          headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': ip },
          body: JSON.stringify({ ...VALID_LEAD, first_name: `Ip${n}`, email_1: `ip${n}@gmail.com` }),
        })
        .then((r) => r.status);
    const bindings = { SITES_JSON: sites, ADMIN_TOKEN: ADMIN };
    const first = await worker(bindings, false, persist);
    expect([await send(first, '198.51.100.1', 1), await send(first, '198.51.100.1', 2), await send(first, '198.51.100.1', 3)]).toEqual([
      202, 202, 429,
    ]);
    expect(await send(first, '198.51.100.2', 4)).toBe(202); // another visitor; the site's third
    await first.dispose();
    // A new runtime on the same storage: the site's window (3 of 3) and the first IP's (2 of 2) are still spent.
    const second = await worker(bindings, false, persist);
    expect(await send(second, '198.51.100.1', 5)).toBe(429);
    // Past the site's limit a lead is not refused: it is accepted and held.
    expect(await send(second, '198.51.100.3', 6)).toBe(202);
    const held = await second.fetch(`${PUBLIC_HOST}/admin/leads?status=held`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await held.json()) as { leads: { error: string; submission: { first_name: string } }[] }).leads).toMatchObject([
      { error: 'over_site_limit', submission: { first_name: 'Ip6' } },
    ]);
    await second.dispose();
    await rm(persist, { recursive: true, force: true });
  });

  it('a local runtime (a loopback host) ignores a client-sent CF-Connecting-IP: every local client is one', async () => {
    const sites = JSON.stringify({
      'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], limits: { per_ip: { max: 2, window_seconds: 600 } } },
    });
    const w = await worker({ SITES_JSON: sites });
    const statuses: number[] = [];
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '2001:db8::1']) {
      const res = await fetch(new URL('/v1/sites/oak-grove/leads', w.url), {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': ip },
        body: '{"first_name":"x"}',
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([400, 400, 429, 429]);
  });
});

describe('Worker configuration', () => {
  it('reads the sites from the SITES KV namespace when SITES_JSON is unset', async () => {
    const w = await worker({}, true);
    const sites = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional' } };
    const kv = (await w.mf.getKVNamespace('SITES')) as unknown as { put(key: string, value: string): Promise<void> };
    await kv.put('sites', JSON.stringify(sites));
    const res = await fetch(new URL('/v1/sites/oak-grove/leads', w.url), {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_LEAD),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('queued');
  });

  it('sites added to or removed from KV are served within SITES_REFRESH_SECONDS, without a restart', async () => {
    const w = await worker({ SITES_REFRESH_SECONDS: '1', ADMIN_TOKEN: 'adm_edge_config_0123' }, true);
    const kv = (await w.mf.getKVNamespace('SITES')) as unknown as { put(key: string, value: string): Promise<void> };
    const site = (slug: string) => ({ [slug]: { name: slug, ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional' } });
    await kv.put('sites', JSON.stringify(site('oak-grove')));
    const form = (slug: string) => fetch(new URL(`/v1/sites/${slug}/form`, w.url), { headers: { origin: ORIGIN } }).then((r) => r.status);
    /** Asks until the answer is `status` (each request past the interval starts a re-read beside it). */
    async function until(slug: string, status: number): Promise<void> {
      const end = Date.now() + 15_000;
      let last = await form(slug);
      while (last !== status && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        last = await form(slug);
      }
      expect(last, `${slug}'s form`).toBe(status);
    }
    expect([await form('oak-grove'), await form('pine-ridge')]).toEqual([200, 404]);

    await kv.put('sites', JSON.stringify({ ...site('oak-grove'), ...site('pine-ridge') }));
    await until('pine-ridge', 200);
    const lead = await fetch(new URL('/v1/sites/pine-ridge/leads', w.url), {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_LEAD),
    });
    expect(lead.status).toBe(202);
    const { id } = (await lead.json()) as { id: string; status: string };
    // The outbox object reads the same KV: it sends the lead (to a closed port here) instead of waiting for its site.
    let error: string | undefined;
    for (const end = Date.now() + 15_000; !error?.startsWith('unavailable:') && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 200));
      const list = await fetch(new URL('/admin/leads', w.url), { headers: { authorization: 'Bearer adm_edge_config_0123' } });
      error = ((await list.json()) as { leads: { id: string; error?: string }[] }).leads.find((l) => l.id === id)?.error;
    }
    expect(error).toMatch(/^unavailable:/);

    await kv.put('sites', JSON.stringify(site('pine-ridge')));
    await until('oak-grove', 404);
    expect(await form('pine-ridge')).toBe(200);

    // A bad value keeps the last good sites.
    await kv.put('sites', '{"pine-ridge": ');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await form('pine-ridge')).toBe(200);
    }
  });

  it('without any sites, every request is a 500 envelope that says the relay is not configured', async () => {
    const w = await worker({});
    const res = await fetch(new URL('/healthz', w.url));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal_error', message: 'The relay is not configured.', fields: [] } });
  });
});
