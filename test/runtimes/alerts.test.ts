/**
 * Alerts reaching a person, on both runtimes, over real HTTP on loopback: a webhook receiver in
 * place of Slack, Teams or Discord, the Propexo sandbox behind a door that can refuse the token, and
 * the relay on Node and in workerd. A dead letter, a refused token and its clearing, a backlog, a
 * burst of held leads; retried sends; a receiver that hangs without slowing delivery; and no token
 * or full contact in any alert. E-mail (Node only) is in test/relay/alerts-email.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import {
  type PropexoDoor,
  type ReceivedAlert,
  type WebhookReceiver,
  startPropexoDoor,
  startWebhookReceiver,
} from '../support/alert-doubles.js';
import { checkedSink, findViolations, registerSecret } from '../support/hygiene.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { ADMIN_TOKEN, ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_alerts_suite_token_5678';
registerSecret(TOKEN);
const PUBLIC_URL = 'https://relay.example.com';
// Sites the relay knows but Propexo refuses (an unknown property): each lead there is a dead letter.
const refused = (name: string) => ({
  name,
  ...SANDBOX_IDS,
  property_id: 'prop_unknown',
  form_token: 'optional',
  allowed_origins: [ORIGIN],
});
const SITES = {
  'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, form_token: 'optional', allowed_origins: [ORIGIN] },
  broken: refused('Broken'),
  'broken-too': refused('Broken too'),
  'broken-three': refused('Broken three'),
  // The default form_token "required": a lead posted without one is held as spam.
  spammed: { name: 'Spammed', ...SANDBOX_IDS, allowed_origins: [ORIGIN] },
};
const ALERT_POLICY = { heldBurst: 3, backlogMs: 1_500, checkEveryMs: 100, retryBaseMs: 50, timeoutMs: 5_000 };

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('alerts on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let door: PropexoDoor;
  let receiver: WebhookReceiver;
  let relay: RelayTarget;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    door = await startPropexoDoor(sandbox.url);
    receiver = await startWebhookReceiver();
    relay = await start({
      ...relayVars(door.url, TOKEN, SITES),
      ALERT_WEBHOOK_URL: receiver.url,
      PUBLIC_URL,
      ALERT_POLICY: JSON.stringify(ALERT_POLICY),
    });
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await receiver?.close();
    await door?.close();
    await sandbox?.close();
  });

  let n = 0;
  const post = async (site: string) => {
    n += 1;
    const res = await fetch(`${relay.url}/v1/sites/${site}/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...VALID_LEAD,
        first_name: `Ana${'abcdefghij'[n % 10]}`,
        email_1: `ana.${n}@gmail.com`,
        phone_1: `(512) 555-${String(1000 + n)}`,
      }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const leadOf = async (id: string) => {
    const res = await fetch(`${relay.url}/admin/leads?limit=1000`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.json()) as { leads: { id: string; status: string }[] }).leads.find((l) => l.id === id);
  };
  const statusBecomes = (id: string, status: string, timeout = 10_000) =>
    expect.poll(async () => (await leadOf(id))?.status, { timeout, interval: 50, message: `lead ${id} ${status}` }).toBe(status);
  const alertsOf = (event: string, key: string | undefined, count: number, timeout = 10_000) =>
    expect.poll(() => receiver.of(event, key).length, { timeout, interval: 50, message: `${count} × ${event} ${key ?? ''}` }).toBe(count);
  /** No token, no full email or phone, no Bearer credential in what the receiver got. */
  const clean = (alerts: ReceivedAlert[]) => {
    for (const alert of alerts) {
      expect(alert.raw).not.toContain(TOKEN);
      expect(findViolations(alert.raw)).toEqual([]);
    }
  };

  it('a dead letter: one alert with the site, reason, masked contact and the console link; a second in the window sends nothing more', async () => {
    const first = await post('broken');
    await statusBecomes(first, 'failed');
    await alertsOf('lead.dead_letter', 'broken', 1);
    const [alert] = receiver.of('lead.dead_letter', 'broken');
    expect(alert!.body).toMatchObject({
      kind: 'alert',
      severity: 'error',
      site: 'broken',
      reason: 'propexo_rejected',
      lead_id: first,
      contact: `a***@gmail.com, ******${String(1000 + n)}`,
      link: `${PUBLIC_URL}/admin/#/leads/${first}`,
      allowed_mentions: { parse: [] },
    });
    expect(alert!.body.text).toContain(`${PUBLIC_URL}/admin/#/leads/${first}`);
    expect(alert!.body.text).toContain('a***@gmail.com');
    expect(alert!.body.content).toBe(alert!.body.text);

    const second = await post('broken');
    await statusBecomes(second, 'failed');
    await new Promise((r) => setTimeout(r, 500)); // time enough for a send, were there one
    expect(receiver.of('lead.dead_letter', 'broken')).toHaveLength(1);
    clean(receiver.taken);
  });

  it('a burst of held leads on one site: one alert naming the site and the reasons', async () => {
    for (let i = 0; i < 4; i++) await post('spammed');
    await alertsOf('leads.held_burst', 'spammed', 1);
    const [alert] = receiver.of('leads.held_burst', 'spammed');
    expect(alert!.body).toMatchObject({ severity: 'warning', site: 'spammed' });
    expect(alert!.body.text).toMatch(/^\[alert\] [34] leads for spammed held in the last 10 minutes .*spam:form_token_missing [34]\./);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.of('leads.held_burst', 'spammed')).toHaveLength(1);
  });

  it('Propexo refusing the token: one alert, the backlog alert while leads wait, then a notice for each when it clears', async () => {
    door.refuse(true);
    const waiting = await post('oak-grove');
    await alertsOf('propexo.unauthorized', 'relay', 1);
    expect(receiver.of('propexo.unauthorized')[0]!.body).toMatchObject({ kind: 'alert', severity: 'critical' });
    expect(receiver.of('propexo.unauthorized')[0]!.body.text).toContain('HTTP 401');
    // The lead waits past ALERT_POLICY.backlogMs (1.5 s).
    await alertsOf('outbox.backlog', 'relay', 1);
    expect(receiver.of('outbox.backlog')[0]!.body).toMatchObject({ lead_id: waiting, link: `${PUBLIC_URL}/admin/#/leads/${waiting}` });

    door.refuse(false);
    await statusBecomes(waiting, 'confirmed');
    await alertsOf('propexo.authorized_again', 'relay', 1);
    await alertsOf('outbox.backlog_cleared', 'relay', 1);
    expect(receiver.of('propexo.authorized_again')[0]!.body).toMatchObject({
      kind: 'cleared',
      condition: 'propexo.unauthorized',
      severity: 'info',
    });
    expect(receiver.of('propexo.unauthorized')).toHaveLength(1);
    clean(receiver.taken);
  });

  it('a receiver that fails twice, then answers, gets the alert: sends are retried', async () => {
    const before = receiver.requests;
    receiver.failNext(2);
    await post('broken-too');
    await alertsOf('lead.dead_letter', 'broken-too', 1);
    expect(receiver.requests - before).toBe(3);
  });

  it('a receiver that never answers does not slow delivery: a lead is confirmed while the alert hangs', async () => {
    receiver.hang(true);
    await post('broken-three');
    await expect.poll(() => receiver.hanging, { timeout: 10_000, interval: 20, message: 'the alert is held by the receiver' }).toBe(1);
    const started = performance.now();
    const lead = await post('oak-grove');
    await statusBecomes(lead, 'confirmed', 5_000);
    const ms = performance.now() - started;
    // Still hanging: the send is in the background, and the lead went through meanwhile.
    expect(receiver.hanging).toBe(1);
    expect(ms).toBeLessThan(3_000);
    receiver.hang(false);
  });
});
