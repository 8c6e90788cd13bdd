/**
 * The sandbox's writes onto an existing lead: Create Lead Event: Resman (`POST /v1/events/leads/resman/`)
 * and Update Lead: ResMan (`PUT /v1/leads/resman/{lead_id}`), their jobs, and the write logs by category.
 */
import { describe, expect, it } from 'vitest';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { issuesOf, paths, setup } from './sandbox-helpers.js';

const EVENT_TIME = '2026-01-15T09:30:00Z';
const anEvent = (lead_id: string, extra: Record<string, unknown> = {}) => ({
  integration_id: SANDBOX_IDS.integration_id,
  lead_id,
  event_name: 'EmailFromProspect',
  event_datetime: EVENT_TIME,
  ...extra,
});

type Status = { write_status: string; errors: string[]; created_record_id: string | null };
type Answer = { meta: { job_id: string }; result: Record<string, unknown> };

describe('POST /v1/events/leads/resman/', () => {
  it('answers 200 { meta.job_id, result }, and the job goes PENDING then SUCCESS with the event id', async () => {
    const { postEvent, get, clock, sandbox, createdLead } = setup({ writeDelayMs: 1000 });
    const leadId = await createdLead();
    const res = await postEvent(anEvent(leadId, { notes: 'Asked about 2-bedroom availability', lead_source_id: 'lsrc_oakgrove_zillow' }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Answer;
    expect(body.result).toEqual({
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: leadId,
      event_name: 'EmailFromProspect',
      event_datetime: EVENT_TIME,
      lead_source_id: 'lsrc_oakgrove_zillow',
      unit_id: null,
      notes: 'Asked about 2-bedroom availability',
      reasons_for_event: null,
    });
    const status = async () => (await (await get(`/v1/admin/write-status/${body.meta.job_id}`)).json()) as Status;
    expect(await status()).toEqual({ write_status: 'PENDING', errors: [], created_record_id: null });
    expect(sandbox.events()).toMatchObject([{ job_id: body.meta.job_id, write_status: 'PENDING', event_id: null }]);
    clock.advance(999);
    expect((await status()).write_status).toBe('PENDING');
    clock.advance(1);
    const done = await status();
    expect(done).toMatchObject({ write_status: 'SUCCESS', errors: [] });
    expect(done.created_record_id).toMatch(/^evt_/);
    const events = sandbox.events();
    expect(events).toEqual([
      expect.objectContaining({ job_id: body.meta.job_id, write_status: 'SUCCESS', event_id: done.created_record_id, errors: [] }),
    ]);
    expect(events[0]!.body).toMatchObject({ lead_id: leadId, event_name: 'EmailFromProspect' });
    expect(await (await sandbox.app.request('/__sandbox/events')).json()).toEqual(events);
    expect(sandbox.jobs().map((j) => [j.kind, j.write_category])).toEqual([
      ['create_lead', 'leads'],
      ['lead_event', 'events'],
    ]);
    // An event is not a lead: the lead search still shows one lead for this prospect.
    expect(((await (await get('/v1/leads/?email_1=dana.whitfield@mail.test')).json()) as { results: unknown[] }).results).toHaveLength(1);
  });

  it('takes an event on a lead ResMan had before, with any documented event name and an offset or local date-time', async () => {
    const { postEvent, sandbox } = setup();
    for (const [event_name, event_datetime] of [
      ['WalkIn', '2026-01-15T09:30:00.250+02:00'],
      ['TextFromProspect', '2026-01-15T09:30'],
      ['Application', '2026-01-15T09:30:00Z'],
    ]) {
      expect((await postEvent(anEvent('lead_oakgrove_0001', { event_name, event_datetime }))).status).toBe(200);
    }
    expect(sandbox.events().map((e) => e.body.event_name)).toEqual(['WalkIn', 'TextFromProspect', 'Application']);
  });

  it('refuses unknown fields (unless ignore_unknown_fields=true), a bad event name or date-time, missing fields, non-JSON', async () => {
    const { postEvent, post, sandbox } = setup();
    const lead = 'lead_oakgrove_0001';
    expect(paths(await issuesOf(await postEvent({ ...anEvent(lead), employee_id: SANDBOX_IDS.employee_id })))).toEqual(['']);
    const lenient = await postEvent({ ...anEvent(lead), employee_id: SANDBOX_IDS.employee_id }, '?ignore_unknown_fields=true');
    expect(lenient.status).toBe(200);
    expect((await lenient.json()) as Answer).not.toHaveProperty('result.employee_id');
    expect(paths(await issuesOf(await postEvent(anEvent(lead, { event_name: 'Tour' }))))).toEqual(['event_name']);
    expect(paths(await issuesOf(await postEvent(anEvent(lead, { event_name: 'email' }))))).toEqual(['event_name']);
    for (const event_datetime of ['tomorrow', '2026-02-30T10:00:00Z', '2026-01-15', '', 1768469400000]) {
      expect(paths(await issuesOf(await postEvent(anEvent(lead, { event_datetime }))))).toEqual(['event_datetime']);
    }
    expect(paths(await issuesOf(await postEvent({ integration_id: SANDBOX_IDS.integration_id })))).toEqual([
      'lead_id',
      'event_name',
      'event_datetime',
    ]);
    const notJson = await sandbox.app.request('/v1/events/leads/resman/', {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox-test-token', 'content-type': 'application/json' },
      body: '{"lead_id":',
    });
    expect(paths(await issuesOf(notJson))).toEqual(['']);
    expect((await post('/v1/events/leads/resman', anEvent(lead))).status).toBe(200); // without the trailing slash too
    expect(sandbox.events()).toHaveLength(2);
  });

  it("refuses an unknown lead, a lead of another integration, an unknown integration, a create's job id", async () => {
    const { postEvent, postLead, clock, sandbox } = setup({ writeDelayMs: 1000 });
    const notFound = async (body: unknown, path: string) => {
      const issues = await issuesOf(await postEvent(body));
      expect(issues).toEqual([{ code: 'custom', path: [path], message: expect.stringMatching(/not found/) }]);
    };
    await notFound(anEvent('lead_nope'), 'lead_id');
    await notFound(anEvent('lead_oakgrove_0001', { integration_id: 'int_nope' }), 'integration_id');
    sandbox.data.integrations.push({ ...sandbox.data.integrations[0]!, id: 'int_other_resman' });
    await notFound(anEvent('lead_oakgrove_0001', { integration_id: 'int_other_resman' }), 'lead_id');
    // Until its job succeeds a create has made no lead; one that fails in ResMan never does.
    const pending = (await (await postLead({ ...SANDBOX_IDS, first_name: 'A', last_name: 'B' })).json()) as Answer;
    await notFound(anEvent(pending.meta.job_id), 'lead_id');
    await postLead({ ...SANDBOX_IDS, lead_source_id: 'lsrc_nope', first_name: 'C', last_name: 'D' });
    clock.advance(1000);
    expect(sandbox.leads().map((l) => l.write_status)).toEqual(['SUCCESS', 'FAILURE']);
    await notFound(anEvent(sandbox.leads()[1]!.job_id), 'lead_id');
    expect(sandbox.events()).toEqual([]);
  });

  it('fails the job in "ResMan" for a lead source the property does not have; retry-write runs it as a new job', async () => {
    const { postEvent, get, post, clock, sandbox } = setup({ writeDelayMs: 1000 });
    // Vista del Sol's source, on an Oak Grove lead.
    const { meta } = (await (
      await postEvent(anEvent('lead_oakgrove_0001', { lead_source_id: 'lsrc_vistadelsol_facebook' }))
    ).json()) as Answer;
    clock.advance(1000);
    const statusOf = async (jobId: string) => (await (await get(`/v1/admin/write-status/${jobId}`)).json()) as Status;
    expect(await statusOf(meta.job_id)).toEqual({
      write_status: 'FAILURE',
      errors: ['Transaction Source could not be found'],
      created_record_id: null,
    });
    expect(sandbox.events()[0]).toMatchObject({ write_status: 'FAILURE', event_id: null });
    // The office adds that source to Oak Grove in ResMan; the retry goes through, as a new job.
    sandbox.data.leadSources.push({ ...sandbox.data.leadSources[0]!, id: 'lsrc_vistadelsol_facebook', name: 'Facebook' });
    const retried = (await (await post(`/v1/admin/retry-write/${meta.job_id}`, {})).json()) as { success: boolean; job_id: string };
    expect(retried.success).toBe(true);
    expect(retried.job_id).not.toBe(meta.job_id);
    clock.advance(1000);
    const done = await statusOf(retried.job_id);
    expect(done.write_status).toBe('SUCCESS');
    expect(sandbox.events()).toEqual([expect.objectContaining({ job_id: retried.job_id, event_id: done.created_record_id })]);
    expect((await statusOf(meta.job_id)).write_status).toBe('FAILURE');
  });
});

describe('PUT /v1/leads/resman/{lead_id}', () => {
  it('answers 200 { meta.job_id, result }; on SUCCESS the lead reads back with the new values', async () => {
    const { putLead, get, clock, sandbox, createdLead } = setup({ writeDelayMs: 1000 });
    const leadId = await createdLead({ phone_1: undefined });
    const res = await putLead(leadId, {
      email_1: 'dana.w@newmail.test',
      phone_1: '5125550123',
      desired_num_bedrooms: 2,
      target_move_in_date: '2026-04-01T00:00:00Z',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Answer;
    // Every field of the update's model, null where not sent; the time part of the date stripped, as for a create.
    expect(body.result).toMatchObject({
      email_1: 'dana.w@newmail.test',
      phone_1: '5125550123',
      target_move_in_date: '2026-04-01',
      first_name: null,
    });
    expect(body.result).not.toHaveProperty('notes');
    const status = async () => (await (await get(`/v1/admin/write-status/${body.meta.job_id}`)).json()) as Status;
    const lead = async () => ((await (await get(`/v1/leads/${leadId}`)).json()) as { results: Record<string, unknown> }).results;
    expect((await status()).write_status).toBe('PENDING');
    expect(await lead()).toMatchObject({ email_1: 'dana.whitfield@mail.test', phone_1: null });
    clock.advance(1000);
    expect(await status()).toEqual({ write_status: 'SUCCESS', errors: [], created_record_id: leadId });
    expect(await lead()).toMatchObject({
      id: leadId,
      first_name: 'Dana',
      email_1: 'dana.w@newmail.test',
      phone_1: '5125550123',
      phone_1_type: 'HOME', // the documented default, as for a create
      desired_num_bedrooms: 2,
      target_move_in_date: '2026-04-01',
      last_seen: new Date(clock.now()).toISOString(),
    });
    const search = (await (await get('/v1/leads/?phone_1=5125550123')).json()) as { results: { id: string }[] };
    expect(search.results.map((r) => r.id)).toEqual([leadId]);
    expect(sandbox.updates()).toEqual([
      expect.objectContaining({
        job_id: body.meta.job_id,
        lead_id: leadId,
        write_status: 'SUCCESS',
        body: expect.objectContaining({ desired_num_bedrooms: 2 }),
      }),
    ]);
    expect(await (await sandbox.app.request('/__sandbox/updates')).json()).toEqual(sandbox.updates());
    expect(sandbox.jobs().at(-1)).toMatchObject({ kind: 'update_lead', write_category: 'leads', created_record_id: leadId });
  });

  it('updates a lead ResMan had before; the update reads back only after readBackDelayMs', async () => {
    const { putLead, get, clock } = setup({ writeDelayMs: 1000, readBackDelayMs: 60_000 });
    const { meta } = (await (await putLead('lead_oakgrove_0002', { last_name: 'Bell-Ortiz', phone_2: '7375550111' })).json()) as Answer;
    clock.advance(1000);
    const status = (await (await get(`/v1/admin/write-status/${meta.job_id}`)).json()) as Status;
    expect(status).toMatchObject({ write_status: 'SUCCESS', created_record_id: 'lead_oakgrove_0002' });
    const lead = async () => ((await (await get('/v1/leads/lead_oakgrove_0002')).json()) as { results: Record<string, unknown> }).results;
    expect(await lead()).toMatchObject({ last_name: 'Bell', phone_2: null });
    clock.advance(59_999);
    expect((await lead()).last_name).toBe('Bell');
    clock.advance(1);
    expect(await lead()).toMatchObject({
      first_name: 'Marcus',
      last_name: 'Bell-Ortiz',
      phone_2: '7375550111',
      phone_2_type: 'MOBILE',
      notes: 'Has a small dog.',
    });
  });

  it('refuses notes, unknown fields (unless ignore_unknown_fields=true), bad types and an unknown lead', async () => {
    const { putLead, sandbox } = setup();
    const lead = 'lead_oakgrove_0001';
    expect(paths(await issuesOf(await putLead(lead, { notes: 'Returning prospect' })))).toEqual(['']);
    expect(paths(await issuesOf(await putLead(lead, { first_name: 'Priya', property_id: SANDBOX_IDS.property_id })))).toEqual(['']);
    expect(paths(await issuesOf(await putLead(lead, { phone_1_type: 'CELL', desired_num_bedrooms: -1 })))).toEqual([
      'phone_1_type',
      'desired_num_bedrooms',
    ]);
    expect(paths(await issuesOf(await putLead(lead, { target_move_in_date: '2026-02-30' })))).toEqual(['target_move_in_date']);
    expect(await issuesOf(await putLead('lead_nope', { first_name: 'X' }))).toEqual([
      { code: 'custom', path: ['lead_id'], message: 'Lead not found' },
    ]);
    expect(sandbox.updates()).toEqual([]);
    const lenient = await putLead(lead, { notes: 'dropped', first_name: 'Priya' }, '?ignore_unknown_fields=true');
    expect(lenient.status).toBe(200);
    expect(sandbox.updates()[0]!.body).toEqual({ first_name: 'Priya' });
    // Every field is optional: an empty update is a write like any other.
    expect((await putLead(lead, {})).status).toBe(200);
  });

  it('fails the job for a lead source the property does not have, leaving the lead as it was', async () => {
    const { putLead, get, clock, sandbox } = setup({ writeDelayMs: 1000 });
    const { meta } = (await (
      await putLead('lead_oakgrove_0001', { lead_source_id: 'lsrc_oakgrove_billboard', first_name: 'Pri' })
    ).json()) as Answer;
    clock.advance(1000);
    expect(await (await get(`/v1/admin/write-status/${meta.job_id}`)).json()).toEqual({
      write_status: 'FAILURE',
      errors: ['Transaction Source could not be found'],
      created_record_id: null,
    });
    expect(sandbox.updates()[0]!.write_status).toBe('FAILURE');
    expect(((await (await get('/v1/leads/lead_oakgrove_0001')).json()) as { results: { first_name: string } }).results.first_name).toBe(
      'Priya',
    );
  });
});

describe('write logs by write_category', () => {
  it('lists lead creates and updates under leads, lead events under events, everything without a category', async () => {
    const { postLead, putLead, postEvent, get, clock, createdLead } = setup({ writeDelayMs: 1000 });
    const leadId = await createdLead();
    await putLead(leadId, { desired_num_bedrooms: 3 });
    clock.advance(1000);
    await postEvent(anEvent(leadId, { event_name: 'CallFromProspect', notes: 'Called back' }));
    clock.advance(1000);
    await postLead({ ...SANDBOX_IDS, lead_source_id: 'lsrc_nope', first_name: 'Eve', last_name: 'Nope' });
    clock.advance(1000);
    type Log = { job_id: string; name: string; status: string; integration_id: string; parameters: Record<string, unknown> };
    const logs = async (query: string) =>
      ((await (await get(`/v1/admin/logs/writes/?${query}`)).json()) as { results: { logs: Log[] } }).results.logs;

    const leads = await logs('write_category=leads');
    expect(leads.map((l) => [l.name, l.status])).toEqual([
      ['resman-create-lead', 'FAILURE'],
      ['resman-update-lead', 'SUCCESS'],
      ['resman-create-lead', 'SUCCESS'],
    ]);
    expect(leads[1]!.parameters).toEqual({ lead_id: leadId, desired_num_bedrooms: 3 });
    expect(leads[1]!.integration_id).toBe(SANDBOX_IDS.integration_id);

    const events = await logs('write_category=events&status=SUCCESS');
    expect(events.map((l) => l.name)).toEqual(['resman-create-lead-event']);
    expect(events[0]!.parameters).toEqual(anEvent(leadId, { event_name: 'CallFromProspect', notes: 'Called back' }));
    expect(events[0]!.integration_id).toBe(SANDBOX_IDS.integration_id);

    expect(await logs('')).toHaveLength(4);
    expect(await logs(`write_category=events&integration_id=int_other`)).toEqual([]);
    // A category of the spec the sandbox writes nothing of; one that is not the spec's.
    expect(await logs('write_category=residents')).toEqual([]);
    expect(paths(await issuesOf(await get('/v1/admin/logs/writes/?write_category=lead')))).toEqual(['write_category']);
  });
});

describe('the page at /', () => {
  it("shows each lead's events and updates on its row, and those on leads ResMan had before; masked, escaped, no free text", async () => {
    const { postEvent, putLead, clock, sandbox, createdLead } = setup({ writeDelayMs: 1000 });
    const leadId = await createdLead();
    await postEvent(anEvent(leadId, { notes: 'Reach me at dana.private@mail.test or 5125550777' }));
    await putLead(leadId, { email_1: 'dana.private@mail.test' });
    await postEvent(anEvent('lead_oakgrove_0001', { event_name: 'WalkIn', lead_source_id: '<img src=x onerror=alert(1)>' }));
    clock.advance(1000);
    const html = await (await sandbox.app.request('/')).text();
    const rowOf = (text: string) => html.split('<tr>').find((r) => r.includes(text)) ?? '';
    const row = rowOf(leadId);
    expect(row).toContain('EmailFromProspect');
    expect(row).toContain(sandbox.events()[0]!.event_id!);
    expect(row).toContain('Update of email_1');
    expect(row).toContain('(notes: 48 characters)');
    expect(html).not.toContain('dana.private');
    expect(html).not.toContain('5125550777');
    // The returning prospect who was in ResMan before: named, contact masked.
    expect(html).toContain('Events and updates on leads ResMan already had');
    const other = rowOf('lead_oakgrove_0001');
    expect(other).toContain('Priya Natarajan');
    expect(other).toContain('p***@mail.test');
    expect(other).toContain('WalkIn');
    expect(other).toContain('FAILURE'); // an unknown lead source
    expect(html).not.toContain('priya.natarajan');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('1 lead, newest first; 2 events and 1 update on existing leads');
  });
});

describe('reset()', () => {
  it('forgets events and updates, and the updates made to leads', async () => {
    const { putLead, postEvent, get, clock, sandbox } = setup({ writeDelayMs: 0 });
    await putLead('lead_oakgrove_0001', { first_name: 'Pri' });
    await postEvent(anEvent('lead_oakgrove_0001'));
    clock.advance(1);
    expect([sandbox.events().length, sandbox.updates().length]).toEqual([1, 1]);
    await sandbox.app.request('/__sandbox/reset', { method: 'POST' });
    expect([sandbox.events(), sandbox.updates(), sandbox.jobs()]).toEqual([[], [], []]);
    expect(await (await sandbox.app.request('/__sandbox/events')).json()).toEqual([]);
    expect(((await (await get('/v1/leads/lead_oakgrove_0001')).json()) as { results: { first_name: string } }).results.first_name).toBe(
      'Priya',
    );
  });
});
