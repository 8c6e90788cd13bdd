/**
 * Webhook replays across relay processes: two Node relays sharing one Redis remember a webhook as
 * one, so a copy sent to the other relay is still a replay.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { SITES, TOKEN } from './fixtures.js';
import { hasRedisServer, testRedis, type TestRedis } from './support/redis.js';

const HOOK = 'whsec_test_secret_1';
const available = Boolean(process.env.REDIS_URL) || hasRedisServer();
let redis: TestRedis | null = null;
const relays: RunningRelay[] = [];
const dirs: string[] = [];

async function relay(): Promise<RunningRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-webhook-'));
  dirs.push(dataDir);
  const r = await startRelay(
    {
      PROPEXO_API_TOKEN: TOKEN,
      PROPEXO_BASE_URL: 'http://127.0.0.1:9',
      SITES_JSON: JSON.stringify(SITES),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      REDIS_URL: redis!.url,
      PROPEXO_WEBHOOK_SECRET: HOOK,
    },
    { logger: createLogger({ secrets: [TOKEN, HOOK], sink: checkedSink() }) },
  );
  relays.push(r);
  return r;
}

beforeAll(async () => {
  if (available) redis = await testRedis();
});
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  await redis?.stop();
});

describe.skipIf(!available)('webhook replays with Redis', () => {
  it('a webhook acted on by one relay is a replay to another on the same Redis', async () => {
    const [a, b] = [await relay(), await relay()];
    // A job of its own: CI's Redis outlives the run, and remembers for 72 hours.
    const body = JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: `job_${randomUUID()}`, errors: [] } });
    const signature = await hmacSha256Hex(HOOK, new TextEncoder().encode(body).buffer as ArrayBuffer);
    const send = async (r: RunningRelay) => {
      const res = await fetch(`${r.url}/v1/propexo/webhooks`, { method: 'POST', body, headers: { 'propexo-signature': signature } });
      return [res.status, await res.json()];
    };
    expect(await send(a)).toEqual([200, { received: true }]);
    expect(await send(b)).toEqual([200, { received: true, replayed: true }]);
    expect(await send(a)).toEqual([200, { received: true, replayed: true }]);
  });
});
