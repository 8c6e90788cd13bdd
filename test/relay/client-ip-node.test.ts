/**
 * Client addresses as networks, on the Node relay over loopback behind a trusted header: every
 * spelling of one address, and every address of one IPv6 /64, is one per-IP bucket; a header value
 * that is not an address counts as the socket's address (logged once).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { TOKEN } from './fixtures.js';
import { IPV4_SPELLINGS, IPV6_SPELLINGS, NOT_ADDRESSES, ONE_SLASH_64 } from './support/ip-spellings.js';

const PER_IP = 10;
let relay: RunningRelay;
let dataDir: string;
let origin: string;
const lines: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  dataDir = await mkdtemp(join(tmpdir(), 'relay-client-ip-'));
  const sites = {
    'oak-grove': {
      name: 'Oak Grove',
      ...SANDBOX_IDS,
      allowed_origins: ['http://localhost:{PORT}'],
      limits: { per_ip: { max: PER_IP, window_seconds: 600 }, per_site: { max: 100_000, window_seconds: 60 } },
    },
  };
  relay = await startRelay(
    {
      PROPEXO_API_TOKEN: TOKEN,
      // Nothing here reaches delivery: every body is refused.
      PROPEXO_BASE_URL: 'http://127.0.0.1:9',
      SITES_JSON: JSON.stringify(sites),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRUSTED_IP_HEADER: 'x-forwarded-for',
    },
    { logger: createLogger({ secrets: [TOKEN], sink: checkedSink(lines) }) },
  );
});
afterAll(async () => {
  await relay?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** One refused submission (400) that still counts against the client: its status. */
const post = async (forwardedFor: string) => {
  const res = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: '{"first_name":"x"}',
  });
  await res.arrayBuffer();
  return res.status;
};
const sendAll = async (values: readonly string[]) => {
  const statuses: number[] = [];
  for (const value of values) statuses.push(await post(value));
  return statuses;
};
const oneBucket = (n: number) => [...Array(PER_IP).fill(400), ...Array(n - PER_IP).fill(429)];

describe('the per-IP limit behind TRUSTED_IP_HEADER sees addresses, not spellings', () => {
  it('one IPv4 address in 20 spellings (mapped, leading zeros, with a port) is one bucket', async () => {
    expect(await sendAll(IPV4_SPELLINGS)).toEqual(oneBucket(IPV4_SPELLINGS.length));
  });

  it('one IPv6 address in 20 spellings is one bucket', async () => {
    expect(await sendAll(IPV6_SPELLINGS)).toEqual(oneBucket(IPV6_SPELLINGS.length));
  });

  it('20 addresses of one IPv6 /64 are one bucket', async () => {
    expect(await sendAll(ONE_SLASH_64)).toEqual(oneBucket(ONE_SLASH_64.length));
  });

  it('values that are not addresses count as the socket address, logged once', async () => {
    expect(await sendAll(NOT_ADDRESSES)).toEqual(oneBucket(NOT_ADDRESSES.length));
    // The socket's own bucket is the one they filled.
    expect(await post('127.0.0.1')).toBe(429);
    const logged = lines.map((l) => JSON.parse(l) as { event: string; reason?: string });
    expect(logged.filter((l) => l.event === 'client_ip.header_unusable' && l.reason === 'not_an_address')).toHaveLength(1);
  });
});
