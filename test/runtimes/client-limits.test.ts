/**
 * Limits per client on both runtimes: the Node relay trusting CF-Connecting-IP through
 * TRUSTED_IP_HEADER, the Worker trusting it as Cloudflare sets it. Addresses count as networks;
 * a webhook is acted on once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { IPV4_SPELLINGS, IPV6_SPELLINGS, NOT_ADDRESSES, ONE_SLASH_64 } from '../relay/support/ip-spellings.js';
import { ORIGIN, WEBHOOK_SECRET, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_suite_token_1234';
const PER_IP = 10;
const SITES = {
  'oak-grove': {
    name: 'Oak Grove',
    ...SANDBOX_IDS,
    allowed_origins: [ORIGIN],
    limits: { per_site: { max: 100_000, window_seconds: 60 }, per_ip: { max: PER_IP, window_seconds: 600 } },
  },
};

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('client limits on %s', (_runtime, start) => {
  let relay: RelayTarget;

  beforeAll(async () => {
    // Nothing here is delivered: the leads are refused, so Propexo is a closed port.
    relay = await start({
      ...relayVars('http://127.0.0.1:9', TOKEN, SITES),
      TRUSTED_IP_HEADER: 'cf-connecting-ip',
      ADMIN_RATE_PER_MINUTE: '3',
      WEBHOOK_RATE_PER_MINUTE: '3',
    });
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
  });

  /** A refused submission (400) that still counts against its client. */
  const submit = async (ip: string) => {
    const res = await relay.fetchFromInternet('/v1/sites/oak-grove/leads', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': ip },
      body: '{"first_name":"x"}',
    });
    await res.arrayBuffer();
    return res.status;
  };
  const sendAll = async (ips: readonly string[]) => {
    const statuses: number[] = [];
    for (const ip of ips) statuses.push(await submit(ip));
    return statuses;
  };
  const oneBucket = (n: number) => [...Array(PER_IP).fill(400), ...Array(n - PER_IP).fill(429)];

  it.each([
    ['one IPv4 address in 20 spellings', IPV4_SPELLINGS],
    ['one IPv6 address in 20 spellings', IPV6_SPELLINGS],
    ['20 addresses of one IPv6 /64', ONE_SLASH_64],
    ['20 values that are no address (the socket on Node, the unknown client on Workers)', NOT_ADDRESSES],
  ])('%s: one per-IP bucket', async (_name, ips) => {
    expect(await sendAll(ips)).toEqual(oneBucket(ips.length));
  });

  it('another /64 is another client', async () => {
    expect(await submit('2001:db8:1:3::1')).toBe(400);
  });

  it('a replayed webhook is answered 200 and does nothing', async () => {
    const body = JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: 'job_replayed', errors: ['down'] } });
    const signature = await hmacSha256Hex(WEBHOOK_SECRET, new TextEncoder().encode(body).buffer as ArrayBuffer);
    const send = async () => {
      const res = await relay.fetchFromInternet('/v1/propexo/webhooks', {
        method: 'POST',
        body,
        headers: { 'propexo-signature': signature, 'cf-connecting-ip': '198.51.100.50' },
      });
      return [res.status, await res.json()];
    };
    expect(await send()).toEqual([200, { received: true }]);
    expect(await send()).toEqual([200, { received: true, replayed: true }]);
  });

  it.each([
    ['admin', '/admin/leads', { method: 'GET' }],
    ['webhook', '/v1/propexo/webhooks', { method: 'POST', body: '{}' }],
  ])('%s route: 3 requests a minute per client, refused ones included, then 429', async (_group, path, init) => {
    const status = async (ip: string) => {
      const res = await relay.fetchFromInternet(path, { ...init, headers: { 'cf-connecting-ip': ip } });
      await res.arrayBuffer();
      return [res.status, res.headers.get('retry-after') !== null];
    };
    // Four hosts of one /64: one client.
    const fromOneNetwork = [];
    for (const ip of ['2001:db8:7::1', '2001:db8:7::2', '[2001:db8:7::3]:443', '2001:db8:7:0:ffff::4'])
      fromOneNetwork.push(await status(ip));
    expect(fromOneNetwork).toEqual([
      [401, false],
      [401, false],
      [401, false],
      [429, true],
    ]);
    expect(await status('2001:db8:8::1')).toEqual([401, false]);
  });
});
