/**
 * ResMan's tour appointments, as Propexo documents them (docs/propexo.md, "Tour appointments"):
 *
 * - Create Lead Appointment: Resman, `POST /v1/events/appointments/leads/resman/`;
 * - Update Lead Appointment: Resman, `PUT /v1/events/appointments/leads/resman/{event_id}`;
 * - Cancel Appointment (leads): ResMan - Not Supported, `POST /v1/events/appointments/leads/cancel/resman`: always 405;
 * - Get all appointments, `GET /v1/appointments/`.
 *
 * The two writes are read, answered and queued like the lead event (lead-writes.ts). There is no
 * availability endpoint for ResMan. Mounted under /v1.
 */
import { Hono } from 'hono';
import * as z from 'zod/mini';
import { invalidRequest, isCalendarDate, parseJsonBody, type InvalidRequestBody, type Issue } from './create-lead.js';
import type { AppointmentRecord, LeadRecord, SandboxData } from './data.js';
import { byField, listPage, type Filter } from './lists.js';
import { specEvent } from './shapes.js';

const DATE_TIME = z.iso.datetime({ offset: true, local: true });

/**
 * The spec types `appointment_date` as a date-time or `^\d{4}-\d{2}-\d{2}$`, and the ResMan page's own
 * example sends `2024-07-20T14:00:00Z`: both are taken; a date-time counts by its date part.
 */
const isAppointmentDate = (v: string) => isCalendarDate(v) && (v.length === 10 || DATE_TIME.safeParse(v).success);
const appointmentDate = () =>
  z.string().check(z.refine(isAppointmentDate, 'Invalid date: expected YYYY-MM-DD (or an ISO 8601 date-time, whose date part is used)'));
// The spec's pattern, anchored: 24-hour HH:MM:SS.
const appointmentTime = () => z.string().check(z.regex(/^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, 'Invalid time: expected HH:MM:SS, 24-hour'));

/** Create Lead Appointment: Resman. */
const CREATE_SHAPE = {
  integration_id: z.string(),
  lead_id: z.string(),
  lead_source_id: z.string(),
  unit_id: z.optional(z.string()),
  appointment_date: appointmentDate(),
  appointment_time: appointmentTime(),
  notes: z.optional(z.string()),
};

/** Update Lead Appointment: Resman. */
const MOVE_SHAPE = {
  appointment_date: appointmentDate(),
  appointment_time: appointmentTime(),
  unit_id: z.optional(z.string()),
  notes: z.optional(z.string()),
};

// z.object drops unknown keys, which is what ignore_unknown_fields=true does.
const CREATE = { strict: z.strictObject(CREATE_SHAPE), lenient: z.object(CREATE_SHAPE) };
const MOVE = { strict: z.strictObject(MOVE_SHAPE), lenient: z.object(MOVE_SHAPE) };

export type CreateAppointmentBody = z.infer<typeof CREATE.strict>;
export type MoveAppointmentBody = z.infer<typeof MOVE.strict>;
export const CREATE_APPOINTMENT_FIELDS = Object.keys(CREATE_SHAPE) as (keyof CreateAppointmentBody)[];
export const MOVE_APPOINTMENT_FIELDS = Object.keys(MOVE_SHAPE) as (keyof MoveAppointmentBody)[];

/** The spec's `integration_vendor` enum (`Enum1`). */
const VENDORS = [
  'SAMPLE2',
  'BUILDIUM',
  'ENTRATA',
  'MRI',
  'PROPERTYWARE',
  'PROPERTYWARE_REST',
  'REALPAGE',
  'REALPAGE_RPX',
  'RENTMANAGER',
  'RENTVINE',
  'RESMAN',
  'SAMPLE1',
];

export const CANCEL_NOT_SUPPORTED =
  'Cancelling an appointment (leads) is not supported for ResMan integrations: ResMan offers no way to do it through its API';

/** What the routes need of the store: store.ts implements it. */
export interface AppointmentStore {
  heldLead(id: string): LeadRecord | undefined;
  /** A tour ResMan has: seeded, or booked by a job that succeeded (readable or not yet). */
  heldAppointment(id: string): AppointmentRecord | undefined;
  receiveAppointment(lead: LeadRecord, body: CreateAppointmentBody): { job_id: string };
  receiveMove(tour: AppointmentRecord, body: MoveAppointmentBody): { job_id: string };
  /** What `GET /v1/appointments/` reads (booked tours and moves after `readBackDelayMs`). */
  appointmentRecords(): AppointmentRecord[];
}

type Parse<T> = { ok: true; body: T } | { ok: false; error: InvalidRequestBody };

function parseBody<T>(schemas: { strict: z.ZodMiniType<T>; lenient: z.ZodMiniType<T> }, raw: unknown, ignoreUnknown: boolean): Parse<T> {
  const parsed = (ignoreUnknown ? schemas.lenient : schemas.strict).safeParse(raw);
  if (parsed.success) return { ok: true, body: parsed.data };
  return {
    ok: false,
    error: invalidRequest(
      'Invalid request body',
      parsed.error.issues.map((issue) => ({ ...issue }) as Issue),
    ),
  };
}

const notFound = (field: string, what: string): InvalidRequestBody =>
  invalidRequest('Invalid request body', [{ code: 'custom', path: [field], message: `${what} not found` }]);

/** Propexo echoes the whole model, null where a field was not given. */
const echo = <T extends object>(fields: (keyof T)[], body: T) => Object.fromEntries(fields.map((f) => [f, body[f] ?? null]));

/** The sandbox's assumption: a `unit_id` must be a unit of the tour's property, checked when received like the create's ids. */
const isUnitOf = (data: SandboxData, unitId: string | undefined, propertyId: string) =>
  unitId === undefined || data.units.some((u) => u.id === unitId && u.property_id === propertyId);

/** A filter on a key the sandbox's tours never have (ResMan's are lead tours, not Rent Manager's): nothing matches. */
const never: Filter<AppointmentRecord> = () => false;

export function appointmentRoutes(data: SandboxData, store: AppointmentStore, log?: (line: string) => void): Hono {
  const routes = new Hono();

  // The lead source is checked when the job runs, as for the lead event: an unknown one fails in "ResMan".
  routes.post('/events/appointments/leads/resman', async (c) => {
    const json = parseJsonBody(await c.req.text());
    if (!json.ok) return c.json(json.error, 400);
    const parsed = parseBody(CREATE, json.raw, c.req.query('ignore_unknown_fields') === 'true');
    if (!parsed.ok) return c.json(parsed.error, 400);
    const body = parsed.body;
    if (!data.integrations.some((i) => i.id === body.integration_id)) return c.json(notFound('integration_id', 'Integration'), 400);
    const lead = store.heldLead(body.lead_id);
    if (!lead || lead.integration_id !== body.integration_id) return c.json(notFound('lead_id', 'Lead'), 400);
    if (!isUnitOf(data, body.unit_id, lead.property_id)) return c.json(notFound('unit_id', 'Unit'), 400);
    const { job_id } = store.receiveAppointment(lead, body);
    // The notes are free text and stay out of the log.
    log?.(
      JSON.stringify({
        sandbox: 'appointment_received',
        job_id,
        lead_id: lead.id,
        date: body.appointment_date,
        time: body.appointment_time,
      }),
    );
    return c.json({ meta: { job_id }, result: echo(CREATE_APPOINTMENT_FIELDS, body) }, 200);
  });

  routes.put('/events/appointments/leads/resman/:event_id', async (c) => {
    const json = parseJsonBody(await c.req.text());
    if (!json.ok) return c.json(json.error, 400);
    const parsed = parseBody(MOVE, json.raw, c.req.query('ignore_unknown_fields') === 'true');
    if (!parsed.ok) return c.json(parsed.error, 400);
    const tour = store.heldAppointment(c.req.param('event_id'));
    if (!tour) return c.json(notFound('event_id', 'Event'), 400);
    if (!isUnitOf(data, parsed.body.unit_id, tour.property_id)) return c.json(notFound('unit_id', 'Unit'), 400);
    const { job_id } = store.receiveMove(tour, parsed.body);
    log?.(JSON.stringify({ sandbox: 'appointment_move_received', job_id, event_id: tour.id, date: parsed.body.appointment_date }));
    return c.json({ meta: { job_id }, result: echo(MOVE_APPOINTMENT_FIELDS, parsed.body) }, 200);
  });

  // "This endpoint will always return a 405": whatever the body, nothing is queued. Hono adds no Allow header.
  routes.post('/events/appointments/leads/cancel/resman', (c) =>
    c.json({ error: { code: 'method_not_allowed', message: CANCEL_NOT_SUPPORTED } }, 405),
  );

  const xPropertyId = (id: string) => data.properties.find((p) => p.id === id)?.x_id ?? null;
  routes.get('/appointments', (c) => {
    const result = listPage(store.appointmentRecords(), new URL(c.req.url).searchParams, {
      filters: {
        integration_id: byField('integration_id'),
        property_id: byField('property_id'),
        lead_id: (r, v) => r.associated_lead_ids.includes(v),
        x_id: byField('x_id'),
        x_property_id: (r, v) => xPropertyId(r.property_id) === v,
        integration_vendor: (_, v) => v === 'RESMAN',
        x_type_id: never,
        location_id: never,
        applicant_id: never,
        resident_id: never,
      },
      checks: { integration_vendor: (v) => (VENDORS.includes(v) ? undefined : `integration_vendor must be one of ${VENDORS.join(', ')}`) },
    });
    if (!result.ok) return c.json(result.error, 400);
    return c.json({ ...result.page, results: result.page.results.map((r) => specEvent(r, xPropertyId(r.property_id))) });
  });

  return routes;
}
