/**
 * Returning prospects (issue 11): a person Propexo already has for the property, or one who asks
 * again within the dedupe window with new words, is recorded on the existing lead (a lead event,
 * and an update for fields newly given), never created twice and never silenced. Against the
 * sandbox in this process, on the relay's manual clock (the sandbox reads the same clock).
 */
import { describe, expect, it } from 'vitest';
import { SANDBOX_IDS, createSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, TOKEN, buildRelay, postLead } from './fixtures.js';

const DAY = 24 * 60 * 60_000;
const MINUTE = 60_000;

const sitesJson = (returning?: 'event' | 'new_lead') =>
  JSON.stringify({
    'oak-grove': {
      name: 'Oak Grove',
      ...SANDBOX_IDS,
      allowed_origins: [ORIGIN],
      form_token: 'optional',
      ...(returning ? { returning } : {}),
    },
  });

function relayWithSandbox(options: { returning?: 'event' | 'new_lead'; sandbox?: Partial<SandboxOptions> } = {}) {
  let sandbox: Sandbox | undefined;
  const relay = buildRelay({
    // A grace well past the sandbox's write delay (1.5 s), as 30 minutes is past Propexo's; waits
    // for a first inquiry's record at most every 10 minutes.
    policy: { inDoubtGraceMs: 5 * MINUTE, backoffMaxMs: 10 * MINUTE },
    env: { SITES_JSON: sitesJson(options.returning), PROPEXO_BASE_URL: 'http://sandbox.test', UPSTREAM_TIMEOUT_MS: '1000' },
    handler: (call, init) => sandbox!.app.request(new URL(call.url).pathname + new URL(call.url).search, init),
    // Many clients from one address: the per-IP limit is not what this tests.
    ip: () => `203.0.113.${Math.floor(Math.random() * 250)}`,
  });
  sandbox = createSandbox({ token: TOKEN, clock: relay.clock, slowDownMs: 0, log: checkedSink(), ...options.sandbox });
  const send = async (body: Record<string, unknown>, key?: string) => {
    const res = await postLead(relay.app, body, key === undefined ? {} : { key });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string; status: string };
  };
  const receipt = async (id: string) => {
    const res = await relay.app.request(`/v1/sites/oak-grove/leads/${id}`, { headers: { origin: ORIGIN } });
    return (await res.json()) as Record<string, unknown>;
  };
  return { relay, sandbox, send, receipt };
}

const JANE = { first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com', notes: 'Looking for a 1 bedroom in March.' };

describe('a returning prospect', () => {
  it('a week later, with new notes and a new bedroom count: one event and one update on the existing lead, no second create', async () => {
    const { relay, sandbox, send, receipt } = relayWithSandbox();
    const first = await send(JANE);
    await relay.deliver();
    expect(await receipt(first.id)).toEqual({ id: first.id, status: 'confirmed', recorded_as: 'new_lead' });
    const [created] = sandbox.leads();

    relay.clock.advance(7 * DAY);
    const again = await send({ ...JANE, notes: 'Now we need 2 bedrooms, can we tour Saturday?', desired_num_bedrooms: 2 });
    await relay.deliver();

    expect(sandbox.leads()).toHaveLength(1);
    const events = sandbox.events();
    expect(events).toHaveLength(1);
    expect(events[0]!.body).toMatchObject({
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: created!.created_record_id,
      event_name: 'Contact',
      lead_source_id: SANDBOX_IDS.lead_source_id,
    });
    expect(String(events[0]!.body.notes)).toContain('Now we need 2 bedrooms');
    expect(sandbox.updates().map((u) => u.body)).toEqual([{ desired_num_bedrooms: 2 }]);
    expect(await receipt(again.id)).toEqual({ id: again.id, status: 'confirmed', recorded_as: 'existing_lead' });
    const stored = (await relay.store.get(again.id))!;
    expect(stored).toMatchObject({
      status: 'confirmed',
      target_lead_id: created!.created_record_id,
      created_record_id: created!.created_record_id,
    });
    expect(relay.logs().find((l) => l.event === 'lead.returning_prospect')).toMatchObject({ lead_id: again.id, found_by: 'propexo' });
  });

  it('within the 10-minute window, new words are a follow-up onto the first lead; the same words again are one lead', async () => {
    const { relay, sandbox, send, receipt } = relayWithSandbox();
    const asked = { ...JANE, desired_num_bedrooms: 1 };
    const first = await send(asked);
    relay.clock.advance(2 * MINUTE);
    const followUp = await send({ ...asked, notes: 'Also: do you allow two cats?' });
    expect(followUp.id).not.toBe(first.id);
    // A double tap of the follow-up is the follow-up.
    expect((await send({ ...asked, notes: 'Also: do you allow two cats?' })).id).toBe(followUp.id);
    expect((await send(asked)).id).toBe(first.id);
    expect((await relay.store.get(followUp.id))!.follows).toBe(first.id);

    await relay.deliver();
    expect(sandbox.leads()).toHaveLength(1);
    const [created] = sandbox.leads();
    expect(sandbox.events().map((e) => e.body.lead_id)).toEqual([created!.created_record_id]);
    expect(String(sandbox.events()[0]!.body.notes)).toContain('two cats');
    // The same bedrooms as the first inquiry, already on the card: nothing to update.
    expect(sandbox.updates()).toEqual([]);
    expect(await receipt(followUp.id)).toMatchObject({ status: 'confirmed', recorded_as: 'existing_lead' });
    expect(relay.logs().find((l) => l.event === 'lead.returning_prospect')).toMatchObject({ found_by: 'first_inquiry' });
  });

  it('without read-back, a follow-up waits for the first lead to show, then lands on it: never a second create', async () => {
    const { relay, sandbox, send } = relayWithSandbox({ sandbox: { readBackDelayMs: 3 * 60 * MINUTE } });
    await send(JANE);
    relay.clock.advance(MINUTE);
    const followUp = await send({ ...JANE, notes: 'Is parking included?' });
    await relay.deliver(60 * MINUTE);
    expect(sandbox.leads()).toHaveLength(1);
    expect(sandbox.events()).toHaveLength(0);
    expect((await relay.store.get(followUp.id))!).toMatchObject({ status: 'queued', error: 'waiting_for_first_inquiry_record' });

    await relay.deliver(6 * 60 * MINUTE);
    expect(sandbox.leads()).toHaveLength(1);
    expect(sandbox.events().map((e) => e.body.lead_id)).toEqual([sandbox.leads()[0]!.created_record_id]);
    expect((await relay.store.get(followUp.id))!.status).toBe('confirmed');
  });

  it('by phone when the lead has no email, only with the same names', async () => {
    const { relay, sandbox, send } = relayWithSandbox();
    await send({ first_name: 'Ana', last_name: 'Ruiz', phone_1: '(512) 555-0101' });
    await relay.deliver();
    relay.clock.advance(3 * DAY);
    await send({ first_name: 'Luis', last_name: 'Ruiz', phone_1: '512-555-0101', notes: 'Her brother, also looking' });
    await send({ first_name: 'ana', last_name: 'RUIZ', phone_1: '5125550101', notes: 'Any 2 bedrooms?' });
    await relay.deliver();
    expect(sandbox.leads().map((l) => l.body.first_name)).toEqual(['Ana', 'Luis']);
    expect(sandbox.events()).toHaveLength(1);
    expect(String(sandbox.events()[0]!.body.notes)).toContain('Any 2 bedrooms?');
  });

  it('returning: "new_lead" keeps the old way: a second guest card, no lookup', async () => {
    const { relay, sandbox, send } = relayWithSandbox({ returning: 'new_lead' });
    await send(JANE);
    await relay.deliver();
    relay.clock.advance(7 * DAY);
    await send({ ...JANE, notes: 'Second time' });
    await relay.deliver();
    expect(sandbox.leads()).toHaveLength(2);
    expect(sandbox.events()).toHaveLength(0);
    expect(relay.upstream.calls.filter((c) => new URL(c.url).searchParams.has('email_1'))).toEqual([]);
  });

  it('an event whose answer was lost is found in the write logs, not sent twice', async () => {
    const { relay, sandbox, send } = relayWithSandbox();
    await send(JANE);
    await relay.deliver();
    relay.clock.advance(7 * DAY);
    sandbox.injectFault({ kind: 'timeout_after_receive', method: 'POST', path: '/v1/events/leads/resman', times: 1, ms: 1500 });
    const again = await send({ ...JANE, notes: 'Still interested' });
    await relay.deliver(2 * 60 * MINUTE);
    expect(sandbox.events()).toHaveLength(1);
    expect(sandbox.leads()).toHaveLength(1);
    expect((await relay.store.get(again.id))!.status).toBe('confirmed');
    expect(relay.logs().some((l) => l.event === 'lead.found_in_write_logs' && l.write_kind === 'event')).toBe(true);
  });
});
