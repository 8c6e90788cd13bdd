/**
 * The Propexo client's tour calls against the sandbox over loopback: a tour booked on a lead the
 * create made (its job followed to SUCCESS and the appointment's id), the body sent exactly as
 * given, and the property's appointments read back latest first with the lead each one is for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPropexoClient, type PropexoClient, type WriteStatusResult } from '../../relay/propexo/client.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';

const TOKEN = 'ptx_appointments_client_token_0123';
registerSecret(TOKEN);
const PROPERTY = { integration_id: SANDBOX_IDS.integration_id, property_id: SANDBOX_IDS.property_id };

describe('the Propexo client: tour appointments', () => {
  let sandbox: RunningSandbox;
  let client: PropexoClient;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    client = createPropexoClient({ baseUrl: sandbox.url, token: TOKEN, timeoutMs: 5_000, fetch: globalThis.fetch });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  /** Follows a job to its end, as the deliverer does. */
  async function finished(jobId: string): Promise<WriteStatusResult & { ok: true }> {
    for (let i = 0; i < 100; i++) {
      const status = await client.writeStatus(jobId);
      if (!status.ok) throw new Error(`write-status failed: ${status.kind}`);
      if (status.writeStatus !== 'PENDING') return status;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the job never finished');
  }

  it('books a tour on a created lead: a job that ends in the appointment, listed first with its lead', async () => {
    const created = await client.createLead({ ...SANDBOX_IDS, first_name: 'Casey', last_name: 'Nguyen', email_1: 'casey.tour@gmail.com' });
    if (!created.ok) throw new Error(created.kind);
    const leadId = (await finished(created.jobId)).createdRecordId!;
    expect(leadId).toMatch(/^lead_/);

    // Far enough ahead to be the latest appointment of the property, seeded ones included.
    const body = {
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: leadId,
      lead_source_id: SANDBOX_IDS.lead_source_id,
      appointment_date: '2099-04-01',
      appointment_time: '15:30:00',
      notes: 'Tour: Wed, Apr 1, 2099, 10:30 AM CDT (America/Chicago), 30 min',
    };
    const booked = await client.createAppointment(body);
    if (!booked.ok) throw new Error(booked.kind);
    const done = await finished(booked.jobId);
    expect(done.writeStatus).toBe('SUCCESS');
    expect(done.createdRecordId).toMatch(/^evt_/);
    // Exactly what was given: the client adds nothing and drops nothing.
    expect(sandbox.appointments().find((a) => a.lead_id === leadId)?.body).toEqual(body);

    const listed = await client.listAppointments(PROPERTY);
    if (!listed.ok) throw new Error(listed.kind);
    expect(listed.complete).toBe(true);
    expect(listed.items[0]).toEqual({
      id: done.createdRecordId,
      property_id: SANDBOX_IDS.property_id,
      appointment_datetime: '2099-04-01T15:30:00.000Z',
      associated_lead_ids: [leadId],
    });
    // The seeded tours follow, latest first.
    const times = listed.items.map((a) => Date.parse(a.appointment_datetime!));
    expect(times.length).toBeGreaterThan(1);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('says why a tour was refused: an unknown lead is a 400 naming lead_id', async () => {
    const refused = await client.createAppointment({
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: 'lead_nobody',
      lead_source_id: SANDBOX_IDS.lead_source_id,
      appointment_date: '2099-04-02',
      appointment_time: '16:00:00',
    });
    expect(refused).toMatchObject({ ok: false, kind: 'rejected', status: 400 });
    expect(JSON.stringify(refused)).toContain('lead_id');
  });
});
