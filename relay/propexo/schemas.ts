/**
 * Every request the relay sends to Propexo and every answer it reads, as zod/mini schemas written
 * from Propexo's published OpenAPI spec (public repository `propexo/documentation`, file
 * `fern/openapi/openapi.yml`; schema names cited per schema) and, for the ResMan vendor paths the
 * spec does not hold, from Propexo's docs site (docs/propexo.md lists both).
 *
 * Answers are read tolerantly: a key the spec marks required but the relay does not need may be
 * missing, a nullable key may be null or absent, extra keys are kept out of the way, and the numbers
 * the spec types as strings (`FloorPlan.bathrooms`, a unit's `bedrooms` and `bathrooms`, e.g.
 * `"2.00"`) are read as numbers. The sandbox answers in these shapes, and a test checks it does.
 */
import * as z from 'zod/mini';

/** A string the spec types as `string | null`, read as null when absent. */
const text = () =>
  z.pipe(
    z.optional(z.nullable(z.string())),
    z.transform((v) => v ?? null),
  );

/** A finite number, or a numeric string such as `"2.00"`; anything else reads as null. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}
/** A number the spec types as `number | null` or as a numeric string: tolerant of either. */
const numberish = () => z.pipe(z.optional(z.unknown()), z.transform(toNumber));

/** Ids arrive as strings; a safe integer is accepted and read as its decimal string. */
const id = () =>
  z.pipe(
    z.union([z.string().check(z.minLength(1)), z.number().check(z.int())]),
    z.transform((v) => String(v)),
  );
const optionalId = () =>
  z.pipe(
    z.optional(z.nullable(z.union([z.string(), z.number()]))),
    z.transform((v) => (v === null || v === undefined || v === '' ? null : String(v))),
  );

// ---------------------------------------------------------------- shared

/** spec `ResponseMeta`: only `orderBy` is required; `hasMore` is `boolean | null`. Read tolerantly. */
export const ResponseMeta = z.object({
  offset: z.optional(z.nullable(z.number())),
  limit: z.optional(z.nullable(z.number())),
  orderBy: z.optional(z.array(z.unknown())),
  hasMore: z.optional(z.nullable(z.boolean())),
  total: z.optional(z.nullable(z.number())),
});

/** A list answer: `{ meta, results: [...] }` (spec `_v1_*__get_output`, both required). */
export const listOf = <T extends z.core.SomeType>(item: T) => z.object({ meta: z.optional(ResponseMeta), results: z.array(item) });

/**
 * spec `errorResponse` (every operation's 400): `error.code` required; `message` and `details` (an
 * object, in the spec's example a Zod error) optional.
 */
export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.optional(z.string()),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});

// ---------------------------------------------------------------- writes

export const PHONE_TYPES = ['FAX', 'HOME', 'MOBILE', 'WORK'] as const;
const phoneType = () => z.optional(z.enum(PHONE_TYPES));
const nonNegative = () => z.optional(z.number().check(z.gte(0)));

/** The prospect fields shared by Create Lead: ResMan and Update Lead: ResMan (docs site). */
const PROSPECT_FIELDS = {
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
  target_move_in_date: z.optional(z.string()),
};

/** `POST /v1/leads/resman/` body (docs: Create Lead: ResMan; not in the spec). Unknown keys are a 400. */
export const CreateLeadResmanBody = z.strictObject({
  integration_id: z.string(),
  property_id: z.string(),
  employee_id: z.string(),
  lead_source_id: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  notes: z.optional(z.string()),
  ...PROSPECT_FIELDS,
});

/**
 * Its 200: the ResMan page documents `{ meta: { job_id }, result }`, the spec's generic create
 * (`_v1_leads__post_output`) `{ job_id, data }`. Either job id is read.
 */
export const CreateLeadAnswer = z.object({
  meta: z.optional(z.nullable(z.object({ job_id: z.optional(z.nullable(z.union([z.string(), z.number()]))) }))),
  job_id: z.optional(z.nullable(z.union([z.string(), z.number()]))),
  result: z.optional(z.unknown()),
  data: z.optional(z.unknown()),
});
export function jobIdOf(answer: z.infer<typeof CreateLeadAnswer>): string | undefined {
  const v = answer.meta?.job_id ?? answer.job_id;
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined;
}

/** `PUT /v1/leads/resman/{lead_id}` body (docs: Update Lead: ResMan): every field optional, no `notes`. */
export const UpdateLeadResmanBody = z.strictObject({
  lead_source_id: z.optional(z.string()),
  first_name: z.optional(z.string()),
  last_name: z.optional(z.string()),
  ...PROSPECT_FIELDS,
});

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

/** `POST /v1/events/leads/resman/` body (docs: Create Lead Event: Resman). */
export const LeadEventResmanBody = z.strictObject({
  integration_id: z.string(),
  lead_id: z.string(),
  event_name: z.enum(LEAD_EVENT_NAMES),
  event_datetime: z.string(),
  lead_source_id: z.optional(z.string()),
  unit_id: z.optional(z.string()),
  notes: z.optional(z.string()),
  reasons_for_event: z.optional(z.string()),
});

/**
 * `POST /v1/events/appointments/leads/resman/` body (docs: Create Lead Appointment: Resman). The
 * date and time are in whichever clock the site's tours say ResMan reads (docs/propexo.md).
 */
export const AppointmentResmanBody = z.strictObject({
  integration_id: z.string(),
  lead_id: z.string(),
  lead_source_id: z.string(),
  appointment_date: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  appointment_time: z.string().check(z.regex(/^\d{2}:\d{2}:\d{2}$/)),
  unit_id: z.optional(z.string()),
  notes: z.optional(z.string()),
});

/** The answer of the ResMan writes above: a queued job, read like the create's. */
export const WriteAnswer = CreateLeadAnswer;

export const WRITE_STATUSES = ['PENDING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILURE'] as const;

/** spec `_v1_admin_write-status_{root_job_id}_get_output`: every key required. */
export const WriteStatusAnswer = z.object({
  write_status: z.enum(WRITE_STATUSES),
  errors: z.pipe(
    z.optional(z.nullable(z.array(z.unknown()))),
    z.transform((e) => (e ?? []).map(String)),
  ),
  created_record_id: optionalId(),
});

/** spec `_v1_admin_retry-write_{root_job_id}_post_input`: an object with no properties. */
export const RetryWriteBody = z.strictObject({});

/** spec `_v1_admin_retry-write_{root_job_id}_post_output`: `job_id` is the **new** job. */
export const RetryWriteAnswer = z.object({ success: z.boolean(), job_id: z.optional(z.nullable(z.string())) });

export const WRITE_LOG_STATUSES = ['SUCCESS', 'FAILURE'] as const;
export const TIME_RANGES = ['hour', 'day', 'week', 'month'] as const;
/** Largest `limit` of `GET /v1/admin/logs/writes/`. */
export const WRITE_LOGS_MAX_LIMIT = 100;

/** One write log (spec `_v1_admin_logs_writes__get_output`, `results.logs[]`): the latest record of a job. */
export const WriteLog = z.object({
  id: z.optional(z.string()),
  created_at: z.string(),
  job_id: z.string(),
  job_log_id: z.optional(z.string()),
  status: z.enum(WRITE_LOG_STATUSES),
  integration_id: z.optional(z.string()),
  job_type: z.optional(z.string()),
  /** The write's parameters: for a lead create, the body sent. */
  parameters: z.optional(z.unknown()),
  error: text(),
  name: z.optional(z.string()),
  vendor: z.optional(z.string()),
});
export const WriteLogsAnswer = z.object({ results: z.object({ logs: z.array(WriteLog) }) });

// ---------------------------------------------------------------- records

/** spec `Lead` (items of `_v1_leads__get_output`, `results` of `_v1_leads_{id}_get_output`): the keys the relay reads. */
export const Lead = z.object({
  id: id(),
  created_at: text(),
  x_created_at: text(),
  property_id: text(),
  integration_id: text(),
  first_name: text(),
  last_name: text(),
  email_1: text(),
  phone_1: text(),
  lead_source_id: text(),
  notes: text(),
});
export const LeadsAnswer = listOf(Lead);
export const LeadAnswer = z.object({ meta: z.optional(z.unknown()), results: Lead });

/** spec `FloorPlan`. `bathrooms` is a string in the spec (`"2.00"`). */
export const FloorPlan = z.object({
  id: id(),
  property_id: text(),
  name: text(),
  marketing_name: text(),
  bedrooms: numberish(),
  bathrooms: numberish(),
  rent_minimum_in_cents: numberish(),
  rent_maximum_in_cents: numberish(),
});
export const FloorPlansAnswer = listOf(FloorPlan);

/** spec `_v1_units__get_output` items. `bedrooms` and `bathrooms` are strings in the spec. */
export const Unit = z.object({
  id: id(),
  property_id: text(),
  number: z.pipe(
    z.optional(z.nullable(z.union([z.string(), z.number()]))),
    z.transform((v) => (v === null || v === undefined ? null : String(v))),
  ),
  floor_plan_id: optionalId(),
  bedrooms: numberish(),
  bathrooms: numberish(),
  is_available: z.optional(z.nullable(z.boolean())),
  rent_amount_market_in_cents: numberish(),
  square_feet: numberish(),
});
export const UnitsAnswer = listOf(Unit);

/** spec `Event` (the items of `GET /v1/appointments/`): what the tour calendar reads of one. */
export const Appointment = z.object({
  id: id(),
  property_id: text(),
  appointment_datetime: text(),
  associated_lead_ids: z.pipe(
    z.optional(z.nullable(z.array(z.unknown()))),
    z.transform((ids) => (ids ?? []).filter((v): v is string => typeof v === 'string')),
  ),
});

/** spec `LeadSource`: no activity flag (the spec has none; ResMan refuses an inactive source when it writes). */
export const LeadSource = z.object({ id: id(), integration_id: text(), property_id: text(), name: text() });
export const LeadSourcesAnswer = listOf(LeadSource);

/** spec `Employee`. */
export const Employee = z.object({
  id: id(),
  integration_id: text(),
  property_id: text(),
  name: text(),
  email: text(),
  is_active: z.optional(z.nullable(z.boolean())),
});
export const EmployeesAnswer = listOf(Employee);

/** spec `Property`. */
export const Property = z.object({
  id: id(),
  integration_id: text(),
  name: text(),
  address_1: text(),
  city: text(),
  state: text(),
  zip: text(),
  is_active: z.optional(z.nullable(z.boolean())),
});
export const PropertiesAnswer = listOf(Property);

export type LeadItem = z.infer<typeof Lead>;
export type WriteLogItem = z.infer<typeof WriteLog>;
