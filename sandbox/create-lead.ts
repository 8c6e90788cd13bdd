/**
 * Validation of `POST /v1/leads/resman/`, as Propexo documents it: a Zod schema of the ResMan
 * create-lead fields, unknown keys refused unless `?ignore_unknown_fields=true`, and a 400 shaped as
 * the spec's `errorResponse` example: `error.details.details` is the Zod error (`issues[]` with code,
 * path, message; `name: "ZodError"`).
 */
import * as z from 'zod/mini';
import type { SandboxData } from './data.js';

export const PHONE_TYPES = ['FAX', 'HOME', 'MOBILE', 'WORK'] as const;

/** One Zod issue as it appears in a 400 body. Extra Zod keys (expected, keys, values...) are kept. */
export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  [key: string]: unknown;
}

export interface InvalidRequestBody {
  error: { code: 'invalid_request'; message: string; details: { details: { issues: Issue[]; name: 'ZodError' } } };
}

export function invalidRequest(message: string, issues: Issue[]): InvalidRequestBody {
  return { error: { code: 'invalid_request', message, details: { details: { issues, name: 'ZodError' } } } };
}

/** The spec's `errorResponse` for a 400 about a path or query value. */
export const badRequest = (message: string, path: string[]) =>
  Response.json(invalidRequest(message, [{ code: 'custom', path, message }]), { status: 400 });

/** A request body as JSON, or the 400 body every write answers when it is not JSON. */
export function parseJsonBody(text: string): { ok: true; raw: unknown } | { ok: false; error: InvalidRequestBody } {
  try {
    return { ok: true, raw: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      error: invalidRequest('Request body is not valid JSON', [{ code: 'invalid_type', path: [], message: 'Expected a JSON object' }]),
    };
  }
}

// YYYY-MM-DD, optionally followed by a time part, which Propexo drops.
const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/;

/** A real calendar day written YYYY-MM-DD, with or without a time part after it. */
export function isCalendarDate(value: string): boolean {
  const m = DATE_PREFIX.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const nonNegative = () => z.optional(z.number().check(z.gte(0)));
const phoneType = () => z.optional(z.enum(PHONE_TYPES));

/** The prospect fields Create Lead: ResMan and Update Lead: ResMan share (the update has no `notes`). */
export const PROSPECT_SHAPE = {
  unit_id: z.optional(z.string()),
  floor_plan_id: z.optional(z.string()),
  email_1: z.optional(z.string()),
  phone_1: z.optional(z.string()),
  phone_1_type: phoneType(),
  phone_2: z.optional(z.string()),
  phone_2_type: phoneType(),
  address_1: z.optional(z.string()),
  address_2: z.optional(z.string()),
  city: z.optional(z.string()),
  state: z.optional(z.string()),
  zip: z.optional(z.string()),
  desired_num_bedrooms: nonNegative(),
  desired_num_bathrooms: nonNegative(),
  desired_max_rent_in_cents: nonNegative(),
  desired_lease_term_in_months: nonNegative(),
  target_move_in_date: z.optional(
    z.pipe(
      z.string().check(z.refine(isCalendarDate, 'Invalid date: expected YYYY-MM-DD')),
      z.transform((s) => s.slice(0, 10)),
    ),
  ),
};

const CREATE_LEAD_SHAPE = {
  integration_id: z.string(),
  property_id: z.string(),
  employee_id: z.string(),
  lead_source_id: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  ...PROSPECT_SHAPE,
  notes: z.optional(z.string()),
};

const strictCreateLead = z.strictObject(CREATE_LEAD_SHAPE);
// z.object drops unknown keys, which is what ignore_unknown_fields=true does.
const lenientCreateLead = z.object(CREATE_LEAD_SHAPE);

export type CreateLeadBody = z.infer<typeof strictCreateLead>;
export const CREATE_LEAD_FIELDS = Object.keys(CREATE_LEAD_SHAPE) as (keyof CreateLeadBody)[];

export type CreateLeadParse = { ok: true; body: CreateLeadBody } | { ok: false; error: InvalidRequestBody };

/**
 * Parses a raw body the way Propexo does, then checks the ids it can check synchronously.
 * The lead source is deliberately not checked here: Propexo accepts it and the write job fails in
 * ResMan later ("Transaction Source could not be found").
 */
export function parseCreateLead(raw: unknown, data: SandboxData, ignoreUnknownFields: boolean): CreateLeadParse {
  const parsed = (ignoreUnknownFields ? lenientCreateLead : strictCreateLead).safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue }) as Issue);
    return { ok: false, error: invalidRequest('Invalid request body', issues) };
  }
  const body = parsed.data;
  const issues: Issue[] = [];
  const unknown = (field: keyof CreateLeadBody, what: string) =>
    issues.push({ code: 'custom', path: [field], message: `${what} not found` });

  const integration = data.integrations.find((i) => i.id === body.integration_id);
  const property = data.properties.find((p) => p.id === body.property_id && p.integration_id === body.integration_id);
  const employee = data.employees.find((e) => e.id === body.employee_id && e.property_id === body.property_id);
  if (!integration) unknown('integration_id', 'Integration');
  else if (!property) unknown('property_id', 'Property');
  else if (!employee) unknown('employee_id', 'Employee');
  if (issues.length > 0) return { ok: false, error: invalidRequest('Invalid request body', issues) };
  return { ok: true, body };
}

/** A lead source ResMan takes for the property: one of its own, and active (an inactive one fails as an unknown one does). */
export function isKnownLeadSource(data: SandboxData, body: Pick<CreateLeadBody, 'lead_source_id' | 'property_id'>): boolean {
  return data.leadSources.some((s) => s.id === body.lead_source_id && s.property_id === body.property_id && s.active);
}
