/**
 * The upstream client: Create Lead: ResMan (`POST /v1/leads/resman/`), the write job behind it
 * (`write-status`, `retry-write`), the lead search the outbox uses before it ever sends again, the
 * lead listing its confirmation rounds read (`GET /v1/leads/` newest first), the floor-plan and
 * unit lists the form offers (`/v1/floor-plans/`, `/v1/units/`), and a tour's appointment with the
 * property's booked ones (`/v1/events/appointments/leads/resman/`, `/v1/appointments/`).
 *
 * It never throws: every outcome is a value the caller must handle, and none of them (nor any log
 * line built from them) contains the token. It sends only the documented fields and never
 * `ignore_unknown_fields`, so a field Propexo does not know is a loud 400, not a silent loss.
 */
import { FIELD_NAMES } from '../../contract/fields.js';
import type { Submission } from '../../contract/submission.js';
import { createPropexoRequest, type PropexoHttpOptions, type UpstreamFailure, type UpstreamRateInfo } from './http.js';
import type * as z from 'zod/mini';
import * as S from './schemas.js';
import { LIST_PAGE_SIZE, type ListResult, listAll, rateOf, readItems, metaOf, unreadable } from './answers.js';

export type { UpstreamFailure, UpstreamFailureKind, UpstreamRateInfo } from './http.js';
export { LIST_PAGE_SIZE, MAX_LIST_PAGES, type ListResult } from './answers.js';

/**
 * Every body field of Create Lead: ResMan: the four ids from the site's configuration, then the
 * prospect fields, which are exactly the contract's (docs/propexo.md lists the same).
 */
export const RESMAN_LEAD_FIELDS = ['integration_id', 'property_id', 'employee_id', 'lead_source_id', ...FIELD_NAMES] as const;

export interface SiteIds {
  integration_id: string;
  property_id: string;
  employee_id: string;
  lead_source_id: string;
}

/** The wire body: the site's four ids plus the prospect's normalised fields. */
export type ResmanLeadBody = SiteIds & Submission;

/** A write Propexo queued (its job id) or why not; a create's, an event's or an update's. */
export type CreateLeadResult = ({ ok: true; jobId: string; status: number } & UpstreamRateInfo) | UpstreamFailure;
export type WriteResult = CreateLeadResult;

/** `POST /v1/events/leads/resman/`: an inquiry recorded on a lead ResMan already has. */
export type LeadEventBody = z.infer<typeof S.LeadEventResmanBody>;
/** `POST /v1/events/appointments/leads/resman/`: a tour on a lead ResMan has. */
export type AppointmentBody = z.infer<typeof S.AppointmentResmanBody>;
/** An appointment as `GET /v1/appointments/` gives it: when (ISO, null if Propexo has none) and whose. */
export type Appointment = z.infer<typeof S.Appointment>;
/** `PUT /v1/leads/resman/{lead_id}`: the fields to change (never `notes`; those go in an event). */
export type LeadUpdateBody = z.infer<typeof S.UpdateLeadResmanBody>;

export const WRITE_STATUSES = S.WRITE_STATUSES;
export type WriteStatus = (typeof WRITE_STATUSES)[number];

export type WriteStatusResult =
  | ({ ok: true; writeStatus: WriteStatus; errors: string[]; createdRecordId: string | null } & UpstreamRateInfo)
  | UpstreamFailure;

/**
 * `jobId` is the **new** job of the retried write (spec `_v1_admin_retry-write_{root_job_id}_post_output`),
 * null when Propexo did not send one: its outcome is then followed on the old job.
 */
export type RetryWriteResult = ({ ok: true; success: boolean; jobId: string | null } & UpstreamRateInfo) | UpstreamFailure;

/** `GET /v1/leads/{id}`: the lead, or null when Propexo has no lead with this id (a 400 or 404). */
export type GetLeadResult = ({ ok: true; lead: FoundLead | null } & UpstreamRateInfo) | UpstreamFailure;

/** One write log (`GET /v1/admin/logs/writes/`): the latest record of one write job. */
export interface WriteLogEntry {
  job_id: string;
  status: 'SUCCESS' | 'FAILURE';
  created_at: string;
  /** The write's parameters: for a lead create, the body that was sent. */
  parameters: unknown;
  error: string | null;
}

export interface WriteLogQuery {
  integration_id: string;
  /** `leads` (creates and updates) or `events` (lead events). */
  category: 'leads' | 'events';
  time_range: (typeof S.TIME_RANGES)[number];
  status?: 'SUCCESS' | 'FAILURE';
}

/** One page of the lead write logs (100 at most); `more` when a full page says there may be another. */
export type WriteLogsResult = ({ ok: true; logs: WriteLogEntry[]; more: boolean } & UpstreamRateInfo) | UpstreamFailure;
/** Write logs on one page: the spec's largest `limit`. */
export const WRITE_LOGS_PAGE = S.WRITE_LOGS_MAX_LIMIT;

/** What the outbox needs of a lead found in Propexo. */
export interface FoundLead {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email_1: string | null;
  phone_1: string | null;
  /** ISO time, when Propexo gives one. */
  created_at: string | null;
}

export interface LeadQuery {
  integration_id: string;
  property_id: string;
  /** One of the two: Propexo filters on either (phone as 10 digits). */
  email_1?: string;
  phone_1?: string;
}

export type FindLeadsResult = ({ ok: true; leads: FoundLead[] } & UpstreamRateInfo) | UpstreamFailure;

/**
 * One page of a property's leads, newest first. `hasMore` is Propexo's `meta.hasMore`, or null when
 * it does not say (the spec makes it optional and nullable): then the page is not known to be the last.
 */
export type LeadPageResult = ({ ok: true; leads: FoundLead[]; hasMore: boolean | null } & UpstreamRateInfo) | UpstreamFailure;

/** A floor plan's useful fields (docs/propexo.md), null where Propexo has no usable value. */
export interface FloorPlan {
  id: string;
  name: string | null;
  marketing_name: string | null;
  bedrooms: number | null;
  bathrooms: number | null;
  rent_minimum_in_cents: number | null;
  rent_maximum_in_cents: number | null;
}

/** A unit's useful fields. */
export interface Unit {
  id: string;
  number: string | null;
  floor_plan_id: string | null;
  bedrooms: number | null;
  bathrooms: number | null;
  /** Only `true` counts as available. */
  is_available: boolean;
  rent_amount_market_in_cents: number | null;
  square_feet: number | null;
}

/** Which property's lists: the site's integration and property. */
export interface PropertyQuery {
  integration_id: string;
  property_id: string;
}

export interface PropexoClient {
  createLead(body: ResmanLeadBody): Promise<CreateLeadResult>;
  createLeadEvent(body: LeadEventBody): Promise<WriteResult>;
  updateLead(leadId: string, body: LeadUpdateBody): Promise<WriteResult>;
  /** Books a tour on a lead: a write job like the others. */
  createAppointment(body: AppointmentBody): Promise<WriteResult>;
  /**
   * `GET /v1/appointments/` of one property, latest appointment first, up to MAX_LIST_PAGES pages:
   * what the tour calendar subtracts (it needs the coming ones, which come first). With `lead_id`,
   * that lead's only: where a tour in doubt looks for itself.
   */
  listAppointments(query: PropertyQuery & { lead_id?: string }): Promise<ListResult<Appointment>>;
  writeStatus(jobId: string): Promise<WriteStatusResult>;
  retryWrite(jobId: string): Promise<RetryWriteResult>;
  findLeads(query: LeadQuery): Promise<FindLeadsResult>;
  /**
   * `GET /v1/leads/` for one property, newest first (`order-by=created_at:desc`), one page of
   * `limit` (at most 250) from `offset`: what confirmation rounds match sent leads against.
   */
  listLeads(query: PropertyQuery, page: { offset: number; limit: number }): Promise<LeadPageResult>;
  /** `GET /v1/floor-plans/` for one property, every page. */
  listFloorPlans(query: PropertyQuery): Promise<ListResult<FloorPlan>>;
  /** `GET /v1/units/` for one property, every page (Propexo filters neither plan nor availability). */
  listUnits(query: PropertyQuery): Promise<ListResult<Unit>>;
  /** `GET /v1/leads/{id}`: confirms a write's `created_record_id` is this lead. */
  getLead(id: string): Promise<GetLeadResult>;
  /**
   * `GET /v1/admin/logs/writes/` of one write category: Propexo's own record of each write job, one
   * page (a request, so a share of the budget) at `offset`.
   */
  writeLogs(query: WriteLogQuery, offset: number): Promise<WriteLogsResult>;
}

/** The lists the form's and the tours' routes read (floor plans, units, appointments): a client, or a double in tests. */
export type PropexoListClient = Pick<PropexoClient, 'listFloorPlans' | 'listUnits' | 'listAppointments'>;

export type PropexoClientOptions = PropexoHttpOptions;

const FIELD_SET: ReadonlySet<string> = new Set(RESMAN_LEAD_FIELDS);

/** Keeps only documented fields with a value. */
export function documentedBody(body: ResmanLeadBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (FIELD_SET.has(key) && value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

const foundLead = (l: S.LeadItem): FoundLead => ({
  id: l.id,
  first_name: l.first_name,
  last_name: l.last_name,
  email_1: l.email_1,
  phone_1: l.phone_1,
  created_at: l.created_at,
});

export function createPropexoClient(options: PropexoClientOptions): PropexoClient {
  const request = createPropexoRequest(options);
  const job = (jobId: string) => encodeURIComponent(jobId);

  async function readLeadList(params: URLSearchParams) {
    const res = await request('GET', `/v1/leads/?${params}`);
    if (!res.ok) return res;
    const leads = readItems(res.json, S.Lead);
    if (!leads) return unreadable(res.status, rateOf(res), false);
    return { ok: true as const, leads: leads.map(foundLead), hasMore: metaOf(res.json).hasMore ?? null, ...rateOf(res) };
  }

  /** A write's answer: its job id; a 2xx without one may still have queued the write. */
  async function queuedWrite(method: 'POST' | 'PUT', path: string, body: Record<string, unknown>): Promise<WriteResult> {
    const res = await request(method, path, body);
    if (!res.ok) return res;
    const answer = S.WriteAnswer.safeParse(res.json);
    const jobId = answer.success ? S.jobIdOf(answer.data) : undefined;
    return jobId === undefined ? unreadable(res.status, rateOf(res), true) : { ok: true, jobId, status: res.status, ...rateOf(res) };
  }

  return {
    createLead(lead) {
      return queuedWrite('POST', '/v1/leads/resman/', documentedBody(lead));
    },

    createLeadEvent(body) {
      return queuedWrite('POST', '/v1/events/leads/resman/', { ...body });
    },

    updateLead(leadId, body) {
      return queuedWrite('PUT', `/v1/leads/resman/${encodeURIComponent(leadId)}`, { ...body });
    },

    createAppointment(body) {
      return queuedWrite('POST', '/v1/events/appointments/leads/resman/', { ...body });
    },

    listAppointments(query) {
      return listAll(request, '/v1/appointments/', { ...query, 'order-by': 'appointment_datetime:desc' }, S.Appointment);
    },

    async writeStatus(jobId) {
      const res = await request('GET', `/v1/admin/write-status/${job(jobId)}`);
      if (!res.ok) return res;
      const answer = S.WriteStatusAnswer.safeParse(res.json);
      if (!answer.success) return unreadable(res.status, rateOf(res), false);
      const { write_status, errors, created_record_id } = answer.data;
      return { ok: true, writeStatus: write_status, errors, createdRecordId: created_record_id, ...rateOf(res) };
    },

    async retryWrite(jobId) {
      // The spec declares a JSON body, an object with no properties.
      const res = await request('POST', `/v1/admin/retry-write/${job(jobId)}`, {});
      if (!res.ok) return res;
      const answer = S.RetryWriteAnswer.safeParse(res.json);
      if (!answer.success) return unreadable(res.status, rateOf(res), true);
      const newJob = answer.data.job_id;
      return { ok: true, success: answer.data.success, jobId: newJob ? newJob : null, ...rateOf(res) };
    },

    async findLeads(query) {
      const params = new URLSearchParams({ integration_id: query.integration_id, property_id: query.property_id });
      if (query.email_1 !== undefined) params.set('email_1', query.email_1);
      if (query.phone_1 !== undefined) params.set('phone_1', query.phone_1);
      params.set('limit', '250');
      params.set('order-by', 'created_at:desc');
      const res = await readLeadList(params);
      if (!res.ok) return res;
      const { hasMore: _, ...found } = res;
      return found;
    },

    listLeads(query, page) {
      return readLeadList(
        new URLSearchParams({
          integration_id: query.integration_id,
          property_id: query.property_id,
          offset: String(Math.max(0, Math.floor(page.offset))),
          limit: String(Math.min(LIST_PAGE_SIZE, Math.max(1, Math.floor(page.limit)))),
          'order-by': 'created_at:desc',
        }),
      );
    },

    listFloorPlans(query) {
      return listAll(request, '/v1/floor-plans/', { ...query }, S.FloorPlan);
    },

    async listUnits(query) {
      const res = await listAll(request, '/v1/units/', { ...query }, S.Unit);
      if (!res.ok) return res;
      return { ...res, items: res.items.map((u) => ({ ...u, is_available: u.is_available === true })) };
    },

    async getLead(leadId) {
      const res = await request('GET', `/v1/leads/${encodeURIComponent(leadId)}`);
      // No lead with this id: the spec documents a 400 for any bad request; a 404 is read the same way.
      if (!res.ok)
        return res.kind === 'rejected' && (res.status === 400 || res.status === 404) ? { ok: true, lead: null, ...rateOf(res) } : res;
      const answer = S.LeadAnswer.safeParse(res.json);
      if (!answer.success) return unreadable(res.status, rateOf(res), false);
      return { ok: true, lead: foundLead(answer.data.results), ...rateOf(res) };
    },

    async writeLogs(query, offset) {
      const params = new URLSearchParams({
        integration_id: query.integration_id,
        write_category: query.category,
        time_range: query.time_range,
        limit: String(WRITE_LOGS_PAGE),
        offset: String(offset),
      });
      if (query.status) params.set('status', query.status);
      const res = await request('GET', `/v1/admin/logs/writes/?${params}`);
      if (!res.ok) return res;
      const rate = rateOf(res);
      const answer = S.WriteLogsAnswer.safeParse(res.json);
      if (!answer.success) return unreadable(res.status, rate, false);
      const logs = answer.data.results.logs.map((l) => ({
        job_id: l.job_id,
        status: l.status,
        created_at: l.created_at,
        parameters: l.parameters,
        error: l.error,
      }));
      return { ok: true, logs, more: logs.length === WRITE_LOGS_PAGE, ...rate };
    },
  };
}
