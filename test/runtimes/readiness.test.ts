/**
 * Readiness on both runtimes when Propexo refuses the token: the relay still takes the lead (it is
 * safe in the outbox) and `/healthz` answers 200, but `/readyz` answers 503 `propexo_token_refused`
 * once delivery has met the refusal. In workerd the answer comes from the outbox object, whose
 * deliverer hears Propexo, and each isolate asks it at most every 5 s: the poll allows for that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_suite_token_1234';
const WRONG_TOKEN = 'ptx_wrong_token_abcdef123'; // registered in test/support/hygiene.ts
const SITES = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional' } };

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('readiness on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
    relay = await start(relayVars(sandbox.url, WRONG_TOKEN, SITES));
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${relay.url}${path}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('503 propexo_token_refused once Propexo refused the token; the lead is taken, /healthz 200', async () => {
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
    const res = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_LEAD),
    });
    expect(res.status).toBe(202);
    await expect.poll(async () => (await get('/readyz')).status, { timeout: 20_000, interval: 250 }).toBe(503);
    expect(await get('/readyz')).toEqual({ status: 503, body: { ok: false, reasons: ['propexo_token_refused'] } });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    expect(sandbox.leads()).toHaveLength(0);
  }, 40_000);
});
