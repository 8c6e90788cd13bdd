/**
 * Turnstile on both runtimes: the Node relay and the Worker in workerd read the same two keys
 * (TURNSTILE_SECRET, TURNSTILE_VERIFY_URL), hand the widget the site key, and verify with the
 * siteverify double on loopback: a refused response is held, an outage lets the lead through.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { startSiteverify, type SiteverifyDouble } from '../relay/support/siteverify.js';
import { ADMIN_TOKEN, ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_turnstile_token_77';
const SECRET = '0x4AAAAAAA_rt_S3CRET_turnstile';
const SITE_KEY = '0x4AAAAAAArtSiteKey';
registerSecret(TOKEN, SECRET, /rt_resp_[A-Za-z0-9_]+/);
const SITES = {
  'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional', turnstile: { site_key: SITE_KEY } },
};

let n = 0;
const person = () => {
  n += 1;
  return {
    ...VALID_LEAD,
    first_name: `Tess${String.fromCharCode(96 + n)}`,
    email_1: `tess${n}@gmail.com`,
    phone_1: `(512) 555-01${String(n).padStart(2, '0')}`,
  };
};

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('Turnstile on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let double: SiteverifyDouble;
  let relay: RelayTarget;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    double = await startSiteverify({ secret: SECRET });
    relay = await start({ ...relayVars(sandbox.url, TOKEN, SITES), TURNSTILE_SECRET: SECRET, TURNSTILE_VERIFY_URL: double.url });
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await double?.close();
    await sandbox?.close();
  });
  afterEach(() => {
    double.mode = 'pass';
    double.calls.length = 0;
  });

  const post = async (turnstile: string) => {
    const res = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ ...person(), meta: { turnstile } }),
    });
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(turnstile);
    return { http: res.status, ...(JSON.parse(text) as { id: string; status: string }) };
  };
  const held = async () => {
    const res = await fetch(`${relay.url}/admin/leads?status=held`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.json()) as { leads: { id: string }[] }).leads.map((l) => l.id);
  };

  it('hands the widget the site key', async () => {
    const res = await fetch(`${relay.url}/v1/sites/oak-grove/form`, { headers: { origin: ORIGIN } });
    expect(await res.json()).toMatchObject({ turnstile_site_key: SITE_KEY });
  });

  it('verifies with the configured secret and URL: a pass is queued, a refusal held, an outage queued', async () => {
    const passed = await post('rt_resp_pass_0001');
    expect(passed).toMatchObject({ http: 202, status: 'queued' });
    expect(double.calls).toHaveLength(1);
    expect(double.calls[0]!.form).toMatchObject({
      secret: SECRET,
      response: 'rt_resp_pass_0001',
      idempotency_key: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    double.mode = 'fail';
    const refused = await post('rt_resp_fail_0001');
    expect(refused).toMatchObject({ http: 202, status: 'queued' });

    double.mode = 'http_503';
    const outage = await post('rt_resp_down_0001');
    expect(outage).toMatchObject({ http: 202, status: 'queued' });

    expect(double.calls).toHaveLength(3);
    const heldIds = await held();
    expect(heldIds).toContain(refused.id);
    expect(heldIds).not.toContain(passed.id);
    expect(heldIds).not.toContain(outage.id);
  });
});
