/**
 * The form settings never wait on a slow Propexo, on both runtimes: with no copy of the property's
 * floor plans yet and Propexo holding its answer, the form is answered without plans (before Propexo
 * answers, so from no copy), and the plans are there once Propexo has answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_form_wait_5151';
const SITES = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN] } };
/** How long Propexo holds the floor plans: well past the relay's first-load wait, within its own timeout. */
const PROPEXO_HOLDS_MS = 6_000;

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('form settings on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    // The client's own timeout is longer than Propexo's hold: only the first-load wait can answer first.
    relay = await start({ ...relayVars(sandbox.url, TOKEN, SITES), UPSTREAM_TIMEOUT_MS: '15000' });
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  const plans = async () => {
    const res = await fetch(`${relay.url}/v1/sites/oak-grove/form`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { floor_plans: unknown[] }).floor_plans;
  };

  it('answers without floor plans while Propexo holds them, and with them once it has answered', async () => {
    sandbox.injectFault({ kind: 'slow', path: '/v1/floor-plans', ms: PROPEXO_HOLDS_MS, times: 1 });
    // Had the relay waited for Propexo (its client's timeout is longer than the hold), the plans would be here.
    expect(await plans()).toEqual([]);
    await expect.poll(plans, { timeout: PROPEXO_HOLDS_MS + 10_000, interval: 500 }).not.toEqual([]);
  }, 30_000);
});
