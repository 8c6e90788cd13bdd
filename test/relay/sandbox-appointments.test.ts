/**
 * The sandbox's ResMan tour appointments: Create Lead Appointment: Resman, Update Lead Appointment:
 * Resman, Cancel Appointment (leads): ResMan - Not Supported (405), and `GET /v1/appointments/` with
 * the tours seeded from the clock. Answers are checked against the spec's shapes (`Event`, written out
 * below from its schema; the list envelope, write answers and errors with the relay's schemas).
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import * as S from '../../relay/propexo/schemas.js';
import { CANCEL_NOT_SUPPORTED, SANDBOX_IDS, SANDBOX_IDS_VISTA, createSandbox, type SandboxOptions } from '../../sandbox/index.js';
import { EVENT_DEFAULTS } from '../../sandbox/spec-defaults.js';
import { AUTH, START, TOKEN, issuesOf, paths, setup } from './sandbox-helpers.js';

const str = z.string();
const nstr = z.nullable(z.string());
const ids = z.nullable(z.array(z.string()));
/** spec `Event`, the items of `_v1_appointments__get_output`: every key required, with these types. */
const SpecEvent = z.strictObject({
  id: str,
  created_at: str,
  updated_at: str,
  last_seen: nstr,
  x_id: str,
  x_property_id: str,
  x_leasing_agent_id: nstr,
  x_type_id: nstr,
  x_location_id: nstr,
  event_name: nstr,
  event_datetime: nstr,
  appointment_datetime: nstr,
  type_raw: nstr,
  notes: nstr,
  agent_name: nstr,
  reasons_for_event: nstr,
  associated_lead_ids: ids,
  associated_applicant_ids: ids,
  associated_resident_ids: ids,
  integration_id: str,
  integration_vendor: z.literal('RESMAN'),
  property_id: str,
});
type SpecEvent = Record<string, unknown> & { id: string; appointment_datetime: string; associated_lead_ids: string[] };
type Answer = { meta: { job_id: string }; result: Record<string, unknown> };
type Status = { write_status: string; errors: string[]; created_record_id: string | null };

const aTour = (lead_id: string, extra: Record<string, unknown> = {}) => ({
  integration_id: SANDBOX_IDS.integration_id,
  lead_id,
  lead_source_id: SANDBOX_IDS.lead_source_id,
  appointment_date: '2026-01-20',
  appointment_time: '15:00:00',
  ...extra,
});
const BOOK = '/v1/events/appointments/leads/resman/';

function tours(options: Partial<SandboxOptions> = {}) {
  const t = setup({ writeDelayMs: 1000, ...options });
  const status = async (jobId: string) => (await (await t.get(`/v1/admin/write-status/${jobId}`)).json()) as Status;
  const list = async (query = '') => {
    const res = await t.get(`/v1/appointments/?${query}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(S.listOf(z.unknown()).safeParse(body).success).toBe(true);
    const results = body.results as SpecEvent[];
    for (const r of results) {
      expect(SpecEvent.safeParse(r).success, JSON.stringify(r)).toBe(true);
      expect(Object.keys(r).sort()).toEqual(Object.keys(EVENT_DEFAULTS).sort());
    }
    return { meta: body.meta as { offset: number; limit: number; hasMore: boolean; total: number }, results };
  };
  const book = async (body: unknown, query = '') => t.post(`${BOOK}${query}`, body);
  const move = async (eventId: string, body: unknown, query = '') => t.put(`${BOOK}${eventId}${query}`, body);
  return { ...t, status, list, book, move };
}

describe('POST /v1/events/appointments/leads/resman/', () => {
  it('queues a job; on SUCCESS the tour is in GET /v1/appointments/ at the date and time read as UTC', async () => {
    const { book, status, list, clock, sandbox, createdLead } = tours();
    const leadId = await createdLead();
    const res = await book(aTour(leadId, { notes: 'Prefers the afternoon', unit_id: 'unit_oakgrove_201' }));
    const body = (await res.json()) as Answer;
    expect(res.status).toBe(200);
    expect(S.WriteAnswer.safeParse(body).success).toBe(true);
    // Every field of the model, echoed; null where not sent.
    expect(body.result).toEqual({ ...aTour(leadId), unit_id: 'unit_oakgrove_201', notes: 'Prefers the afternoon' });
    expect(await status(body.meta.job_id)).toEqual({ write_status: 'PENDING', errors: [], created_record_id: null });
    expect(sandbox.appointments()).toMatchObject([{ action: 'create', lead_id: leadId, write_status: 'PENDING', event_id: null }]);
    expect((await list(`lead_id=${leadId}`)).results).toEqual([]);
    clock.advance(1000);
    const done = await status(body.meta.job_id);
    expect(done).toMatchObject({ write_status: 'SUCCESS', errors: [] });
    expect(done.created_record_id).toMatch(/^evt_/);
    const [tour, ...more] = (await list(`lead_id=${leadId}`)).results;
    expect(more).toEqual([]);
    expect(tour).toMatchObject({
      id: done.created_record_id,
      appointment_datetime: '2026-01-20T15:00:00.000Z', // 15:00 UTC, not 15:00 in Austin
      associated_lead_ids: [leadId],
      property_id: SANDBOX_IDS.property_id,
      integration_id: SANDBOX_IDS.integration_id,
      type_raw: 'Appointment',
      notes: 'Prefers the afternoon',
      created_at: new Date(clock.now()).toISOString(),
      associated_applicant_ids: [],
      event_name: null,
    });
    expect(sandbox.appointments()).toEqual([expect.objectContaining({ write_status: 'SUCCESS', event_id: done.created_record_id })]);
    expect(await (await sandbox.app.request('/__sandbox/appointments')).json()).toEqual(sandbox.appointments());
    expect(sandbox.jobs().at(-1)).toMatchObject({ kind: 'create_appointment', write_category: 'events' });
  });

  it('takes a lead ResMan had, a date-time date (its date part), the day boundaries, no unit', async () => {
    const { book, list, clock } = tours();
    for (const [appointment_date, appointment_time] of [
      ['2026-01-21T09:00:00Z', '00:00:00'],
      ['2028-02-29', '23:59:59'],
    ]) {
      expect((await book(aTour('lead_oakgrove_0002', { appointment_date, appointment_time }))).status).toBe(200);
    }
    clock.advance(1000);
    const booked = (await list('lead_id=lead_oakgrove_0002&order-by=appointment_datetime:desc')).results.map((r) => r.appointment_datetime);
    expect(booked.slice(0, 2)).toEqual(['2028-02-29T23:59:59.000Z', '2026-01-21T00:00:00.000Z']);
  });

  it('refuses unknown fields (unless ignore_unknown_fields=true), bad dates and times, missing fields, non-JSON', async () => {
    const { book, sandbox } = tours();
    const lead = 'lead_oakgrove_0001';
    expect(paths(await issuesOf(await book({ ...aTour(lead), employee_id: SANDBOX_IDS.employee_id })))).toEqual(['']);
    const lenient = await book({ ...aTour(lead), appointment_duration_minutes: 30 }, '?ignore_unknown_fields=true');
    expect(lenient.status).toBe(200);
    expect(((await lenient.json()) as Answer).result).not.toHaveProperty('appointment_duration_minutes');
    for (const appointment_date of [
      '2026-02-30',
      '2026-1-20',
      '20-01-2026',
      'tomorrow',
      '',
      '2026-01-20 10:00',
      '2026-13-01T10:00:00Z',
      20260120,
    ]) {
      expect(paths(await issuesOf(await book(aTour(lead, { appointment_date }))))).toEqual(['appointment_date']);
    }
    for (const appointment_time of ['24:00:00', '10:60:00', '10:00', '9:00:00', '10:00:00Z', 'x10:00:00', '3 pm', 900]) {
      expect(paths(await issuesOf(await book(aTour(lead, { appointment_time }))))).toEqual(['appointment_time']);
    }
    expect(paths(await issuesOf(await book({ integration_id: SANDBOX_IDS.integration_id, notes: 1 })))).toEqual([
      'lead_id',
      'lead_source_id',
      'appointment_date',
      'appointment_time',
      'notes',
    ]);
    const notJson = await sandbox.app.request(BOOK, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{',
    });
    expect(paths(await issuesOf(notJson))).toEqual(['']);
    expect(sandbox.appointments()).toHaveLength(1);
  });

  it('refuses an unknown lead or integration, a lead of another integration, a pending create, a unit not of the property', async () => {
    const { book, postLead, sandbox } = tours();
    const notFound = async (body: unknown, path: string) =>
      expect(await issuesOf(await book(body))).toEqual([{ code: 'custom', path: [path], message: expect.stringMatching(/not found/) }]);
    await notFound(aTour('lead_nope'), 'lead_id');
    await notFound(aTour('lead_oakgrove_0001', { integration_id: 'int_nope' }), 'integration_id');
    sandbox.data.integrations.push({ ...sandbox.data.integrations[0]!, id: 'int_other_resman' });
    await notFound(aTour('lead_oakgrove_0001', { integration_id: 'int_other_resman' }), 'lead_id');
    const pending = (await (await postLead({ ...SANDBOX_IDS, first_name: 'A', last_name: 'B' })).json()) as Answer;
    await notFound(aTour(pending.meta.job_id), 'lead_id');
    await notFound(aTour('lead_oakgrove_0001', { unit_id: 'unit_vistadelsol_1101' }), 'unit_id');
    await notFound(aTour('lead_oakgrove_0001', { unit_id: 'unit_nope' }), 'unit_id');
    expect(sandbox.appointments()).toEqual([]);
  });

  it('fails the job in "ResMan" for a lead source the property does not have; retry-write books it as a new job', async () => {
    const { book, status, list, post, clock, sandbox } = tours();
    const { meta } = (await (await book(aTour('lead_oakgrove_0001', { lead_source_id: 'lsrc_oakgrove_craigslist' }))).json()) as Answer;
    clock.advance(1000);
    expect(await status(meta.job_id)).toEqual({
      write_status: 'FAILURE',
      errors: ['Transaction Source could not be found'],
      created_record_id: null,
    });
    expect(sandbox.appointments()[0]).toMatchObject({ write_status: 'FAILURE', event_id: null });
    expect((await list()).meta.total).toBe(4); // the seeded tours only
    // The office reactivates the source in ResMan; the retry goes through.
    sandbox.data.leadSources.find((s) => s.id === 'lsrc_oakgrove_craigslist')!.active = true;
    const retried = (await (await post(`/v1/admin/retry-write/${meta.job_id}`, {})).json()) as { success: boolean; job_id: string };
    expect(retried.success).toBe(true);
    clock.advance(1000);
    expect((await status(retried.job_id)).write_status).toBe('SUCCESS');
    expect((await list()).meta.total).toBe(5);
  });
});

describe('PUT /v1/events/appointments/leads/resman/{event_id}', () => {
  it('moves a tour: a job; on SUCCESS the tour reads back at the new time, notes replaced, the same id', async () => {
    const { book, move, status, list, clock, sandbox } = tours();
    const booked = (await (await book(aTour('lead_oakgrove_0001', { notes: 'First' }))).json()) as Answer;
    clock.advance(1000);
    const eventId = (await status(booked.meta.job_id)).created_record_id!;
    const res = await move(eventId, { appointment_date: '2026-01-22', appointment_time: '17:30:00', notes: 'Moved by phone' });
    const body = (await res.json()) as Answer;
    expect(res.status).toBe(200);
    expect(body.result).toEqual({ appointment_date: '2026-01-22', appointment_time: '17:30:00', unit_id: null, notes: 'Moved by phone' });
    expect((await status(body.meta.job_id)).write_status).toBe('PENDING');
    const tour = async () => (await list(`lead_id=lead_oakgrove_0001`)).results.find((r) => r.id === eventId)!;
    expect((await tour()).appointment_datetime).toBe('2026-01-20T15:00:00.000Z');
    clock.advance(1000);
    expect(await status(body.meta.job_id)).toEqual({ write_status: 'SUCCESS', errors: [], created_record_id: eventId });
    expect(await tour()).toMatchObject({
      appointment_datetime: '2026-01-22T17:30:00.000Z',
      notes: 'Moved by phone',
      updated_at: new Date(clock.now()).toISOString(),
      associated_lead_ids: ['lead_oakgrove_0001'],
    });
    expect(sandbox.appointments().map((a) => [a.action, a.event_id, a.lead_id])).toEqual([
      ['create', eventId, 'lead_oakgrove_0001'],
      ['move', eventId, 'lead_oakgrove_0001'],
    ]);
    expect(sandbox.jobs().at(-1)).toMatchObject({ kind: 'update_appointment', write_category: 'events', created_record_id: eventId });
  });

  it('refuses an unknown or not yet booked tour at event_id, bad bodies, a unit of another property', async () => {
    const { book, move, sandbox } = tours();
    const when = { appointment_date: '2026-01-22', appointment_time: '10:00:00' };
    expect(await issuesOf(await move('evt_nope', when))).toEqual([{ code: 'custom', path: ['event_id'], message: 'Event not found' }]);
    const pending = (await (await book(aTour('lead_oakgrove_0001'))).json()) as Answer;
    expect(paths(await issuesOf(await move(pending.meta.job_id, when)))).toEqual(['event_id']);
    const seeded = sandbox.data.appointments[0]!.id;
    expect(paths(await issuesOf(await move(seeded, {})))).toEqual(['appointment_date', 'appointment_time']);
    expect(paths(await issuesOf(await move(seeded, { ...when, lead_source_id: SANDBOX_IDS.lead_source_id })))).toEqual(['']);
    expect(paths(await issuesOf(await move(seeded, { ...when, appointment_time: '7:00' })))).toEqual(['appointment_time']);
    expect(paths(await issuesOf(await move(seeded, { ...when, unit_id: 'unit_vistadelsol_1101' })))).toEqual(['unit_id']);
    expect((await move(seeded, { ...when, title: 'x' }, '?ignore_unknown_fields=true')).status).toBe(200);
    expect(sandbox.appointments().map((a) => a.action)).toEqual(['create', 'move']);
  });
});

describe('POST /v1/events/appointments/leads/cancel/resman', () => {
  it('always answers 405 in the error envelope, without Allow, and queues nothing; auth and faults still apply', async () => {
    const { post, sandbox } = tours();
    for (const body of [{ integration_id: SANDBOX_IDS.integration_id, event_id: sandbox.data.appointments[0]!.id }, {}, 'x']) {
      const res = await post('/v1/events/appointments/leads/cancel/resman', body);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBeNull();
      expect(res.headers.get('x-ratelimit-remaining')).not.toBeNull();
      const answer = await res.json();
      expect(S.ErrorResponse.safeParse(answer).success).toBe(true);
      expect(answer).toEqual({ error: { code: 'method_not_allowed', message: CANCEL_NOT_SUPPORTED } });
    }
    expect((await sandbox.app.request('/v1/events/appointments/leads/cancel/resman/', { method: 'POST' })).status).toBe(401);
    sandbox.injectFault({ kind: '503', path: '/v1/events/appointments' });
    expect((await post('/v1/events/appointments/leads/cancel/resman', {})).status).toBe(503);
    expect(sandbox.jobs()).toEqual([]);
  });
});

describe('GET /v1/appointments/', () => {
  it("serves Oak Grove's seeded tours: the coming days at 10:00 and 14:00 Austin time, ahead of the clock", async () => {
    const { list } = tours();
    const { results, meta } = await list(
      `integration_id=${SANDBOX_IDS.integration_id}&property_id=${SANDBOX_IDS.property_id}&order-by=appointment_datetime:asc`,
    );
    // START is 2026-01-15T10:00Z, 04:00 in Austin (UTC-6 in January).
    expect(results.map((r) => r.appointment_datetime)).toEqual([
      '2026-01-16T16:00:00.000Z',
      '2026-01-16T20:00:00.000Z',
      '2026-01-17T16:00:00.000Z',
      '2026-01-18T20:00:00.000Z',
    ]);
    expect(meta).toMatchObject({ offset: 0, limit: 100, total: 4, hasMore: false });
    expect(results[0]).toMatchObject({
      type_raw: 'Appointment',
      associated_lead_ids: ['lead_oakgrove_0001'],
      x_property_id: expect.any(String),
    });
    expect((await list(`property_id=${SANDBOX_IDS_VISTA.property_id}`)).results).toEqual([]);
  });

  it("seeds from the property's own day and its offset on that day (late evening, the start of daylight saving time)", () => {
    const seeded = (iso: string) =>
      createSandbox({ token: TOKEN, clock: { now: () => Date.parse(iso) } }).data.appointments.map((a) =>
        a.appointment_datetime.slice(0, 16),
      );
    // 23:30 in Austin on the 15th: the next day is still the 16th.
    expect(seeded('2026-01-16T05:30:00Z')).toEqual(['2026-01-16T16:00', '2026-01-16T20:00', '2026-01-17T16:00', '2026-01-18T20:00']);
    // Clocks go forward on 2026-03-08: UTC-5 from that day on.
    expect(seeded('2026-03-07T18:00:00Z')).toEqual(['2026-03-08T15:00', '2026-03-08T19:00', '2026-03-09T15:00', '2026-03-10T19:00']);
    expect(seeded(new Date(START).toISOString())).toEqual(seeded(new Date(START).toISOString()));
  });

  it('filters by the spec parameters, pages, orders, and refuses a bad query', async () => {
    const { list, get } = tours();
    const page = await list('limit=3&order-by=appointment_datetime:asc');
    expect(page.meta).toMatchObject({ offset: 0, limit: 3, total: 4, hasMore: true });
    const rest = await list('limit=3&offset=3&order-by=appointment_datetime:asc');
    expect(rest.meta).toMatchObject({ offset: 3, total: 4, hasMore: false });
    expect(rest.results.map((r) => r.id)).not.toContain(page.results[0]!.id);
    expect((await list('lead_id=lead_oakgrove_0002')).results.map((r) => r.associated_lead_ids)).toEqual([
      ['lead_oakgrove_0002'],
      ['lead_oakgrove_0002'],
    ]);
    const x = (await list()).results[0]!;
    expect((await list(`x_id=${x.x_id}`)).results.map((r) => r.id)).toEqual([x.id]);
    expect((await list(`x_property_id=${x.x_property_id}`)).meta.total).toBe(4);
    expect((await list('integration_vendor=RESMAN')).meta.total).toBe(4);
    for (const q of [
      'integration_vendor=ENTRATA',
      'integration_id=int_nope',
      'applicant_id=a',
      'resident_id=r',
      'location_id=l',
      'x_type_id=t',
    ]) {
      expect((await list(q)).results).toEqual([]);
    }
    expect(paths(await issuesOf(await get('/v1/appointments/?integration_vendor=resman')))).toEqual(['integration_vendor']);
    expect(paths(await issuesOf(await get('/v1/appointments/?limit=251')))).toEqual(['limit']);
    expect(paths(await issuesOf(await get('/v1/appointments/?offset=-1')))).toEqual(['offset']);
    const res = await get('/v1/appointments');
    expect(res.headers.get('x-ratelimit-limit')).toBe('150');
  });

  it('shows a booked tour and a move only after readBackDelayMs; the tour can be moved before', async () => {
    const { book, move, status, list, clock } = tours({ readBackDelayMs: 60_000 });
    const { meta } = (await (await book(aTour('lead_oakgrove_0001'))).json()) as Answer;
    clock.advance(1000);
    const eventId = (await status(meta.job_id)).created_record_id!;
    expect((await list()).meta.total).toBe(4);
    const moved = (await (await move(eventId, { appointment_date: '2026-01-23', appointment_time: '16:00:00' })).json()) as Answer;
    clock.advance(1000);
    expect((await status(moved.meta.job_id)).write_status).toBe('SUCCESS');
    // Booked at +1 s, moved at +2 s: readable at +61 s and +62 s.
    clock.advance(59_000);
    const tour = async () => (await list()).results.find((r) => r.id === eventId);
    expect((await tour())?.appointment_datetime).toBe('2026-01-20T15:00:00.000Z');
    clock.advance(1000);
    expect((await tour())?.appointment_datetime).toBe('2026-01-23T16:00:00.000Z');
  });
});

describe('write logs, the page, reset', () => {
  it('logs bookings and moves under write_category=events, with their names and parameters', async () => {
    const { book, move, get, clock, sandbox } = tours();
    await book(aTour('lead_oakgrove_0001', { notes: 'Gate code needed' }));
    clock.advance(1000);
    const seeded = sandbox.data.appointments[1]!.id;
    await move(seeded, { appointment_date: '2026-01-19', appointment_time: '20:00:00' });
    clock.advance(1000);
    const res = await get('/v1/admin/logs/writes/?write_category=events&time_range=hour');
    const body = await res.json();
    expect(S.WriteLogsAnswer.safeParse(body).success).toBe(true);
    const logs = (body as { results: { logs: { name: string; status: string; parameters: unknown }[] } }).results.logs;
    expect(logs.map((l) => [l.name, l.status])).toEqual([
      ['resman-update-appointment', 'SUCCESS'],
      ['resman-create-appointment', 'SUCCESS'],
    ]);
    expect(logs[0]!.parameters).toEqual({ event_id: seeded, appointment_date: '2026-01-19', appointment_time: '20:00:00' });
    expect(logs[1]!.parameters).toEqual(aTour('lead_oakgrove_0001', { notes: 'Gate code needed' }));
    expect(((await (await get('/v1/admin/logs/writes/?write_category=leads')).json()) as { results: { logs: [] } }).results.logs).toEqual(
      [],
    );
  });

  it('shows tours on their lead on the page, notes left out', async () => {
    const { book, clock, sandbox, createdLead } = tours();
    const leadId = await createdLead();
    await book(aTour(leadId, { notes: 'Call me at 5125550777' }));
    await book(aTour('lead_oakgrove_0002', { appointment_time: '19:00:00' }));
    clock.advance(1000);
    const html = await (await sandbox.app.request('/')).text();
    const rowOf = (text: string) => html.split('<tr>').find((r) => r.includes(text)) ?? '';
    expect(rowOf(leadId)).toContain('Tour booked for 2026-01-20 15:00:00 UTC');
    expect(rowOf(leadId)).toContain(sandbox.appointments()[0]!.event_id!);
    expect(rowOf('lead_oakgrove_0002')).toContain('2026-01-20 19:00:00 UTC');
    expect(html).not.toContain('5125550777');
    expect(html).toContain('tours booked or moved: 2');
  });

  it('reset() forgets bookings, moves and what their jobs did; the seeded tours stay', async () => {
    const { book, move, list, clock, sandbox } = tours({ writeDelayMs: 0 });
    const seeded = sandbox.data.appointments[0]!;
    await book(aTour('lead_oakgrove_0001'));
    await move(seeded.id, { appointment_date: '2026-01-30', appointment_time: '12:00:00' });
    clock.advance(1);
    expect((await list()).meta.total).toBe(5);
    expect((await list(`x_id=${seeded.x_id}`)).results[0]!.appointment_datetime).toBe('2026-01-30T12:00:00.000Z');
    await sandbox.app.request('/__sandbox/reset', { method: 'POST' });
    expect(sandbox.appointments()).toEqual([]);
    expect(await (await sandbox.app.request('/__sandbox/appointments')).json()).toEqual([]);
    const after = await list();
    expect(after.meta.total).toBe(4);
    expect(after.results.find((r) => r.id === seeded.id)!.appointment_datetime).toBe(seeded.appointment_datetime);
  });
});
