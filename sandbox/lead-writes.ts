/**
 * The two ResMan writes onto a lead ResMan already has, as Propexo documents them (docs/propexo.md,
 * "Other ResMan writes"):
 *
 * - Create Lead Event: Resman, `POST /v1/events/leads/resman/`;
 * - Update Lead: ResMan, `PUT /v1/leads/resman/{lead_id}`.
 *
 * Both are read like the create (strict bodies: an unknown key is a 400 unless
 * `?ignore_unknown_fields=true`), answered like it (200 `{ meta: { job_id }, result }`, every field of
 * the model, null where not given) and queued as asynchronous write jobs like it. Mounted under /v1.
 */
import { Hono } from 'hono';
import * as z from 'zod/mini';
import { PROSPECT_SHAPE, invalidRequest, parseJsonBody, type InvalidRequestBody, type Issue } from './create-lead.js';
import type { LeadRecord, SandboxData } from './data.js';

export const LEAD_EVENT_NAMES = [
  'EmailToProspect',
  'EmailFromILS',
  'EmailFromProspect',
  'Email',
  'CallToProspect',
  'CallFromProspect',
  'Phone',
  'Show',
  'WalkIn',
  'Contact',
  'Other',
  'Cancel',
  'ReActivate',
  'TextToProspect',
  'TextFromProspect',
  'Application',
] as const;

/** Update Lead: ResMan: every field optional; the create's prospect fields, without `notes`. */
const UPDATE_LEAD_SHAPE = {
  lead_source_id: z.optional(z.string()),
  first_name: z.optional(z.string()),
  last_name: z.optional(z.string()),
  ...PROSPECT_SHAPE,
};

/** Create Lead Event: Resman. `event_datetime` is documented as `format: "date-time"`. */
const LEAD_EVENT_SHAPE = {
  integration_id: z.string(),
  lead_id: z.string(),
  event_name: z.enum(LEAD_EVENT_NAMES),
  event_datetime: z.iso.datetime({ offset: true, local: true, error: 'Invalid date-time: expected ISO 8601, e.g. 2026-01-15T10:00:00Z' }),
  lead_source_id: z.optional(z.string()),
  unit_id: z.optional(z.string()),
  notes: z.optional(z.string()),
  reasons_for_event: z.optional(z.string()),
};

// z.object drops unknown keys, which is what ignore_unknown_fields=true does.
const UPDATE_LEAD = { strict: z.strictObject(UPDATE_LEAD_SHAPE), lenient: z.object(UPDATE_LEAD_SHAPE) };
const LEAD_EVENT = { strict: z.strictObject(LEAD_EVENT_SHAPE), lenient: z.object(LEAD_EVENT_SHAPE) };

export type UpdateLeadBody = z.infer<typeof UPDATE_LEAD.strict>;
export type LeadEventBody = z.infer<typeof LEAD_EVENT.strict>;
export const UPDATE_LEAD_FIELDS = Object.keys(UPDATE_LEAD_SHAPE) as (keyof UpdateLeadBody)[];
export const LEAD_EVENT_FIELDS = Object.keys(LEAD_EVENT_SHAPE) as (keyof LeadEventBody)[];

/** What the routes need of the store: store.ts implements it (and imports this file's types, not the reverse). */
export interface LeadWriteStore {
  /** A lead ResMan has: one it had before the sandbox started, or one a create job made (readable or not yet). */
  heldLead(id: string): LeadRecord | undefined;
  receiveUpdate(lead: LeadRecord, body: UpdateLeadBody): { job_id: string };
  receiveEvent(lead: LeadRecord, body: LeadEventBody): { job_id: string };
}

type Parse<T> = { ok: true; body: T } | { ok: false; error: InvalidRequestBody };

function parseBody<T>(schemas: { strict: z.ZodMiniType<T>; lenient: z.ZodMiniType<T> }, raw: unknown, ignoreUnknown: boolean): Parse<T> {
  const parsed = (ignoreUnknown ? schemas.lenient : schemas.strict).safeParse(raw);
  if (parsed.success) return { ok: true, body: parsed.data };
  const issues = parsed.error.issues.map((issue) => ({ ...issue }) as Issue);
  return { ok: false, error: invalidRequest('Invalid request body', issues) };
}

const notFound = (field: string, what: string): InvalidRequestBody =>
  invalidRequest('Invalid request body', [{ code: 'custom', path: [field], message: `${what} not found` }]);

/** Propexo echoes the whole model, null where a field was not given. */
const echo = <T extends object>(fields: (keyof T)[], body: T) => Object.fromEntries(fields.map((f) => [f, body[f] ?? null]));

/**
 * The two routes. The lead source is not checked here: as for the create, an unknown one is accepted
 * and its write job fails in "ResMan".
 */
export function leadWriteRoutes(data: SandboxData, store: LeadWriteStore, log?: (line: string) => void): Hono {
  const routes = new Hono();

  routes.post('/events/leads/resman', async (c) => {
    const json = parseJsonBody(await c.req.text());
    if (!json.ok) return c.json(json.error, 400);
    const parsed = parseBody(LEAD_EVENT, json.raw, c.req.query('ignore_unknown_fields') === 'true');
    if (!parsed.ok) return c.json(parsed.error, 400);
    const body = parsed.body;
    if (!data.integrations.some((i) => i.id === body.integration_id)) return c.json(notFound('integration_id', 'Integration'), 400);
    const lead = store.heldLead(body.lead_id);
    if (!lead || lead.integration_id !== body.integration_id) return c.json(notFound('lead_id', 'Lead'), 400);
    const { job_id } = store.receiveEvent(lead, body);
    // Nothing of the prospect: the event's notes and reasons are free text and stay out of the log.
    log?.(JSON.stringify({ sandbox: 'lead_event_received', job_id, lead_id: lead.id, event_name: body.event_name }));
    return c.json({ meta: { job_id }, result: echo(LEAD_EVENT_FIELDS, body) }, 200);
  });

  routes.put('/leads/resman/:lead_id', async (c) => {
    const json = parseJsonBody(await c.req.text());
    if (!json.ok) return c.json(json.error, 400);
    const parsed = parseBody(UPDATE_LEAD, json.raw, c.req.query('ignore_unknown_fields') === 'true');
    if (!parsed.ok) return c.json(parsed.error, 400);
    const lead = store.heldLead(c.req.param('lead_id'));
    if (!lead) return c.json(notFound('lead_id', 'Lead'), 400);
    const { job_id } = store.receiveUpdate(lead, parsed.body);
    // Which fields changed, never their values.
    log?.(JSON.stringify({ sandbox: 'lead_update_received', job_id, lead_id: lead.id, fields: Object.keys(parsed.body) }));
    return c.json({ meta: { job_id }, result: echo(UPDATE_LEAD_FIELDS, parsed.body) }, 200);
  });

  return routes;
}
