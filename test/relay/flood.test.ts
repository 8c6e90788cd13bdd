/**
 * Issue 12's flood test, over loopback with the relay behind a proxy (TRUSTED_IP_HEADER): junk
 * cannot lock real prospects out, and a flood of valid leads past the site's limit is accepted and
 * held, never refused and never sent beyond the limit.
 *
 * 1. 1,000 junk requests from 100 addresses (50 IPv4, 50 IPv6 networks), each address spelled
 *    several ways: every one refused (400 or the sender's own 429), none stored; then a real lead
 *    from a new address: 202, delivered once.
 * 2. The same flood of valid leads, each from an address of its own, past the site's limit: every
 *    one 202, the excess held (`over_site_limit`), and Propexo receives exactly the limit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY, TOKEN, VALID_LEAD } from './fixtures.js';

const ORIGIN = 'https://www.floodcourt.example';
const SITE = 'flood-court';
const ADMIN = 'adm_flood_0123456789abcdef';
const PER_SITE = 60;
const PER_IP = 5;

let sandbox: RunningSandbox;
let relay: RunningRelay;
let dataDir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
  dataDir = await mkdtemp(join(tmpdir(), 'relay-flood-'));
  const sites = {
    [SITE]: {
      name: 'Flood Court',
      ...SANDBOX_IDS,
      allowed_origins: [ORIGIN],
      form_token: 'optional',
      returning: 'new_lead',
      limits: {
        per_site: { max: PER_SITE, window_seconds: 600 },
        per_ip: { max: PER_IP, window_seconds: 600 },
        per_ip_lookups: { max: 100_000, window_seconds: 60 },
      },
    },
  };
  relay = await startRelay(
    {
      PROPEXO_API_TOKEN: TOKEN,
      PROPEXO_BASE_URL: sandbox.url,
      SITES_JSON: JSON.stringify(sites),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_TOKEN: ADMIN,
      TRUSTED_IP_HEADER: 'x-forwarded-for',
      UPSTREAM_RATE_PER_MINUTE: '100000',
    },
    { logger: createLogger({ level: 'warn', secrets: [TOKEN], sink: checkedSink() }), policy: REALTIME_POLICY },
  );
}, 30_000);
afterAll(async () => {
  await relay?.close();
  await sandbox?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Address n (0-99) spelled `k` ways: IPv4 for the first 50 (mapped, zero-padded, with a port), IPv6 /64s for the rest (other hosts of the network). */
function spelling(n: number, k: number): string {
  if (n < 50) {
    const forms = [`198.51.100.${n}`, `::ffff:198.51.100.${n}`, `198.051.100.${String(n).padStart(3, '0')}`, `198.51.100.${n}:4433`];
    return forms[k % forms.length]!;
  }
  const net = (n - 50).toString(16);
  const forms = [`2001:db8:${net}::1`, `2001:DB8:${net}:0::${k + 2}`, `[2001:db8:${net}::abcd]:8443`, `2001:0db8:${net}:0:ffff::${k}`];
  return forms[k % forms.length]!;
}

async function post(body: unknown, ip: string): Promise<Response> {
  return fetch(`${relay.url}/v1/sites/${SITE}/leads`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify(body),
  });
}

/** `count` requests, `width` at a time. */
async function inWaves<T>(count: number, width: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += width) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, j) => one(start + j)))));
  }
  return out;
}

const admin = async () =>
  (await (await fetch(`${relay.url}/admin/leads?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
    counts: Record<string, number>;
    leads: { status: string; error?: string }[];
  };

describe('a flood', () => {
  it('1,000 junk requests from 100 addresses in many spellings close nothing: a real lead from a new address is accepted and delivered once', async () => {
    const junk = [{ not: 'a lead' }, { first_name: '' }, 'not json', { ...VALID_LEAD, email_1: 'nope' }];
    const statuses = await inWaves(1000, 50, async (i) => {
      const res = await post(junk[i % junk.length], spelling(i % 100, Math.floor(i / 100)));
      return res.status;
    });
    expect(statuses.filter((s) => s === 202)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([400, 429]));
    // Each address, however spelled, had PER_IP requests before its own 429: the spellings were one sender.
    expect(statuses.filter((s) => s === 400)).toHaveLength(100 * PER_IP);
    expect((await admin()).leads).toEqual([]);

    const real = await post({ ...VALID_LEAD, email_1: 'real.prospect@gmail.com' }, '203.0.113.77');
    expect(real.status).toBe(202);
    const { id } = (await real.json()) as { id: string };
    await expect
      .poll(() => sandbox.leads().filter((l) => l.body.email_1 === 'real.prospect@gmail.com').length, { timeout: 15_000 })
      .toBe(1);
    const receipt = await fetch(`${relay.url}/v1/sites/${SITE}/leads/${id}`, {
      headers: { origin: ORIGIN, 'x-forwarded-for': '203.0.113.77' },
    });
    expect(await receipt.json()).toMatchObject({ id, status: expect.stringMatching(/^(sent|confirmed)$/) });
  });

  it('valid leads past the site’s limit, each from its own address: every one accepted, the excess held, Propexo gets the limit', async () => {
    const statuses = await inWaves(300, 50, async (i) => {
      const res = await post({ ...VALID_LEAD, first_name: `Flood${i}`, email_1: `flood.${i}@gmail.com` }, `2001:db8:f${i.toString(16)}::1`);
      return res.status;
    });
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const { counts, leads } = await admin();
    // The real lead of the first case took one place in the site's window.
    expect(counts.held).toBe(300 - (PER_SITE - 1));
    expect(new Set(leads.filter((l) => l.status === 'held').map((l) => l.error))).toEqual(new Set(['over_site_limit']));
    await expect.poll(() => sandbox.leads().length, { timeout: 20_000 }).toBe(PER_SITE);
    // And no more go after a while: the held ones wait for an operator.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sandbox.leads()).toHaveLength(PER_SITE);
  });
});
