/**
 * The sandbox answers in the shapes the relay reads Propexo's answers with (relay/propexo/schemas.ts,
 * written from Propexo's spec and docs): every endpoint it serves, success and error answers alike.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import * as S from '../../relay/propexo/schemas.js';
import { LEAD_EVENT_NAMES, SANDBOX_IDS } from '../../sandbox/index.js';
import { LEAD_EVENT_FIELDS, UPDATE_LEAD_FIELDS } from '../../sandbox/lead-writes.js';
import {
  EMPLOYEE_DEFAULTS,
  FLOOR_PLAN_DEFAULTS,
  LEAD_DEFAULTS,
  LEAD_SOURCE_DEFAULTS,
  PROPERTY_DEFAULTS,
  UNIT_DEFAULTS,
} from '../../sandbox/spec-defaults.js';
import { aLead, setup } from './sandbox-helpers.js';

type Schema = { safeParse(v: unknown): { success: boolean; error?: unknown } };

async function answer(res: Response, status: number, schema: Schema): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  const parsed = schema.safeParse(body);
  expect(parsed.success, JSON.stringify(parsed.error)).toBe(true);
  return body;
}

/** A list answer: the envelope, then each item on its own (the client skips unreadable items), with the spec's required keys. */
async function listAnswer(res: Response, item: Schema, required: Record<string, unknown>) {
  const body = await answer(res, 200, S.listOf(z.unknown()));
  const results = body.results as Record<string, unknown>[];
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    expect(item.safeParse(r).success, JSON.stringify(r)).toBe(true);
    expect(Object.keys(r).sort()).toEqual(Object.keys(required).sort());
  }
  expect(S.ResponseMeta.safeParse(body.meta).success).toBe(true);
  return results;
}

const q = new URLSearchParams({ integration_id: SANDBOX_IDS.integration_id, property_id: SANDBOX_IDS.property_id });

describe('the sandbox answers in the shapes of Propexo spec', () => {
  it('lists: properties, floor plans, units, lead sources, employees, leads', async () => {
    const { get } = setup();
    await listAnswer(await get(`/v1/properties/?integration_id=${SANDBOX_IDS.integration_id}`), S.Property, PROPERTY_DEFAULTS);
    const plans = await listAnswer(await get(`/v1/floor-plans/?${q}`), S.FloorPlan, FLOOR_PLAN_DEFAULTS);
    // The spec types these as strings ("2.00"), and the sandbox serves them so.
    expect(typeof plans[0]!.bathrooms).toBe('string');
    const units = await listAnswer(await get(`/v1/units/?${q}`), S.Unit, UNIT_DEFAULTS);
    expect([typeof units[0]!.bedrooms, typeof units[0]!.bathrooms]).toEqual(['string', 'string']);
    await listAnswer(await get(`/v1/lead-sources/?${q}`), S.LeadSource, LEAD_SOURCE_DEFAULTS);
    await listAnswer(await get(`/v1/employees/?${q}`), S.Employee, EMPLOYEE_DEFAULTS);
    const leads = await listAnswer(await get(`/v1/leads/?${q}`), S.Lead, LEAD_DEFAULTS);
    // Default order: created_at:desc.
    const times = leads.map((l) => l.created_at as string);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('create lead, write-status, retry-write, write logs, lead by id', async () => {
    const { get, post, postLead, clock, sandbox } = setup({ writeDelayMs: 1000 });
    expect(S.CreateLeadResmanBody.safeParse(aLead()).success).toBe(true);
    const created = await answer(await postLead(aLead()), 200, S.CreateLeadAnswer);
    const jobId = S.jobIdOf(S.CreateLeadAnswer.parse(created))!;
    await answer(await get(`/v1/admin/write-status/${jobId}`), 200, S.WriteStatusAnswer);
    clock.advance(1000);
    const done = S.WriteStatusAnswer.parse(await answer(await get(`/v1/admin/write-status/${jobId}`), 200, S.WriteStatusAnswer));
    expect(done.write_status).toBe('SUCCESS');
    const lead = await answer(await get(`/v1/leads/${done.created_record_id}`), 200, S.LeadAnswer);
    expect(Object.keys(lead.results as object).sort()).toEqual(Object.keys(LEAD_DEFAULTS).sort());
    expect(S.LeadAnswer.parse(lead).results).toMatchObject({
      id: done.created_record_id,
      first_name: 'Dana',
      email_1: 'dana.whitfield@mail.test',
    });

    // A failed write, retried.
    const failing = S.jobIdOf(
      S.CreateLeadAnswer.parse(await answer(await postLead(aLead({ lead_source_id: 'lsrc_nope' })), 200, S.CreateLeadAnswer)),
    )!;
    clock.advance(1000);
    expect(S.RetryWriteBody.safeParse({}).success).toBe(true);
    const retried = S.RetryWriteAnswer.parse(await answer(await post(`/v1/admin/retry-write/${failing}`, {}), 200, S.RetryWriteAnswer));
    expect(retried.job_id).not.toBe(failing);
    clock.advance(1000);

    const logs = S.WriteLogsAnswer.parse(
      await answer(
        await get(`/v1/admin/logs/writes/?integration_id=${SANDBOX_IDS.integration_id}&write_category=leads&time_range=day&limit=100`),
        200,
        S.WriteLogsAnswer,
      ),
    ).results.logs;
    expect(logs.map((l) => [l.job_id, l.status])).toEqual([
      [retried.job_id, 'FAILURE'],
      [failing, 'FAILURE'],
      [jobId, 'SUCCESS'],
    ]);
    expect(logs[2]!.parameters).toEqual(sandbox.leads()[0]!.body);
    const successes = S.WriteLogsAnswer.parse(await (await get('/v1/admin/logs/writes/?status=SUCCESS')).json()).results.logs;
    expect(successes.map((l) => l.job_id)).toEqual([jobId]);
  });

  it('lead event and lead update: the bodies the relay sends, their answers, write-status, write logs by category', async () => {
    const { get, post, postEvent, putLead, clock, createdLead } = setup({ writeDelayMs: 1000 });
    // The sandbox takes exactly the fields the relay's schemas allow, and the same event names.
    expect([...LEAD_EVENT_NAMES]).toEqual([...S.LEAD_EVENT_NAMES]);
    expect([...LEAD_EVENT_FIELDS].sort()).toEqual(Object.keys(S.LeadEventResmanBody.shape).sort());
    expect([...UPDATE_LEAD_FIELDS].sort()).toEqual(Object.keys(S.UpdateLeadResmanBody.shape).sort());

    const leadId = await createdLead();
    const event = {
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: leadId,
      event_name: 'EmailFromProspect',
      event_datetime: '2026-01-15T09:30:00Z',
      notes: 'Back again',
    };
    const update = { email_1: 'dana.w@newmail.test', phone_1_type: 'MOBILE', desired_num_bedrooms: 2 };
    expect(S.LeadEventResmanBody.safeParse(event).success).toBe(true);
    expect(S.UpdateLeadResmanBody.safeParse(update).success).toBe(true);
    const eventJob = S.jobIdOf(S.WriteAnswer.parse(await answer(await postEvent(event), 200, S.WriteAnswer)))!;
    const updateJob = S.jobIdOf(S.WriteAnswer.parse(await answer(await putLead(leadId, update), 200, S.WriteAnswer)))!;
    expect(
      S.WriteStatusAnswer.parse(await answer(await get(`/v1/admin/write-status/${eventJob}`), 200, S.WriteStatusAnswer)).write_status,
    ).toBe('PENDING');
    clock.advance(1000);
    const eventDone = S.WriteStatusAnswer.parse(await answer(await get(`/v1/admin/write-status/${eventJob}`), 200, S.WriteStatusAnswer));
    const updateDone = S.WriteStatusAnswer.parse(await answer(await get(`/v1/admin/write-status/${updateJob}`), 200, S.WriteStatusAnswer));
    expect([eventDone.write_status, updateDone.write_status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(eventDone.created_record_id).toMatch(/^evt_/);
    expect(updateDone.created_record_id).toBe(leadId);
    const lead = S.LeadAnswer.parse(await answer(await get(`/v1/leads/${leadId}`), 200, S.LeadAnswer)).results;
    expect(lead).toMatchObject({ id: leadId, first_name: 'Dana', email_1: 'dana.w@newmail.test' });

    const logsOf = async (category: string) =>
      S.WriteLogsAnswer.parse(
        await answer(await get(`/v1/admin/logs/writes/?write_category=${category}&time_range=hour`), 200, S.WriteLogsAnswer),
      ).results.logs;
    const events = await logsOf('events');
    expect(events.map((l) => [l.job_id, l.status])).toEqual([[eventJob, 'SUCCESS']]);
    expect(events[0]!.parameters).toEqual(event);
    expect((await logsOf('leads')).map((l) => l.job_id)).toEqual([updateJob, expect.any(String)]);

    // Their 400s: the spec's errorResponse.
    for (const res of [
      await postEvent({ ...event, event_name: 'Tour' }),
      await postEvent({ ...event, lead_id: 'lead_nope' }),
      await putLead(leadId, { notes: 'not a field of the update' }),
      await putLead('lead_nope', update),
      await get('/v1/admin/logs/writes/?write_category=lead'),
    ]) {
      const body = await answer(res, 400, S.ErrorResponse);
      expect((body.error as { details: { details: unknown } }).details.details).toMatchObject({ name: 'ZodError' });
    }
    expect(S.UpdateLeadResmanBody.safeParse({ notes: 'x' }).success).toBe(false);
    expect((await post(`/v1/admin/retry-write/${eventJob}`, {})).status).toBe(200);
  });

  it('errors: 400 errorResponse for a bad body, an unknown job, an unknown lead, a bad query', async () => {
    const { get, post, postLead } = setup();
    const bad = [
      await postLead({ ...aLead(), unknown_field: 1 }),
      await get('/v1/admin/write-status/no-such-job'),
      await post('/v1/admin/retry-write/no-such-job', {}),
      await get('/v1/leads/lead_nope'),
      await get('/v1/units/?limit=0'),
      await get('/v1/admin/logs/writes/?limit=101'),
      await get('/v1/admin/logs/writes/?time_range=year'),
    ];
    // A wrong token: not documented, but served in the same envelope.
    await answer(await get('/v1/units/', { headers: { authorization: 'Bearer wrong' } }), 401, S.ErrorResponse);
    for (const res of bad) {
      const body = await answer(res, 400, S.ErrorResponse);
      // The spec's example: details.details is the Zod error.
      expect((body.error as { details: { details: { name: string; issues: unknown[] } } }).details.details).toMatchObject({
        name: 'ZodError',
      });
    }
  });
});
