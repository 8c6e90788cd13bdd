/**
 * The upstream client: Create Lead: ResMan (`POST /v1/leads/resman/`), the write job behind it
 * (`write-status`, `retry-write`), the lead search the outbox uses before it ever sends again, the
 * lead listing its confirmation rounds read (`GET /v1/leads/` newest first), and the floor-plan and
 * unit lists the form offers (`/v1/floor-plans/`, `/v1/units/`).
 *
 * It never throws: every outcome is a value the caller must handle, and none of them (nor any log
 * line built from them) contains the token. It sends only the documented fields and never
 * `ignore_unknown_fields`, so a field Propexo does not know is a loud 400, not a silent loss.
 */
import { FIELD_NAMES } from '../../contract/fields.js';
import type { Submission } from '../../contract/submission.js';
import { createPropexoRequest, type PropexoHttpOptions, type UpstreamFailure, type UpstreamRateInfo } from './http.js';

export type { UpstreamFailure, UpstreamFailureKind, UpstreamRateInfo } from './http.js';

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

export type CreateLeadResult = ({ ok: true; jobId: string; status: number } & UpstreamRateInfo) | UpstreamFailure;

export const WRITE_STATUSES = ['PENDING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILURE'] as const;
export type WriteStatus = (typeof WRITE_STATUSES)[number];

export type WriteStatusResult =
  | ({ ok: true; writeStatus: WriteStatus; errors: string[]; createdRecordId: string | null } & UpstreamRateInfo)
  | UpstreamFailure;

export type RetryWriteResult = ({ ok: true; success: boolean } & UpstreamRateInfo) | UpstreamFailure;

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

/**
 * A whole list (every page, up to `MAX_LIST_PAGES`). `complete` is false when pages were left
 * (a property larger than the pages followed), so the caller can say so.
 */
export type ListResult<T> = ({ ok: true; items: T[]; complete: boolean } & UpstreamRateInfo) | UpstreamFailure;

/** Largest page Propexo serves. */
export const LIST_PAGE_SIZE = 250;
/** Pages followed per list: 1000 floor plans or units, far beyond one community's. */
export const MAX_LIST_PAGES = 4;

export interface PropexoClient {
  createLead(body: ResmanLeadBody): Promise<CreateLeadResult>;
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
}

/** The lists the form's routes read (floor plans, units): a client, or a double in tests. */
export type PropexoListClient = Pick<PropexoClient, 'listFloorPlans' | 'listUnits'>;

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

/** `meta.job_id` (ResMan page) or `job_id` (generic OpenAPI), whichever Propexo sends. */
function readJobId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { meta, job_id } = body as { meta?: { job_id?: unknown }; job_id?: unknown };
  const id = (typeof meta === 'object' && meta !== null ? meta.job_id : undefined) ?? job_id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Ids arrive as strings; a number is accepted and read as its decimal string. */
const idOf = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readFloorPlan(r: Record<string, unknown>, id: string): FloorPlan {
  return {
    id,
    name: str(r.name),
    marketing_name: str(r.marketing_name),
    bedrooms: num(r.bedrooms),
    bathrooms: num(r.bathrooms),
    rent_minimum_in_cents: num(r.rent_minimum_in_cents),
    rent_maximum_in_cents: num(r.rent_maximum_in_cents),
  };
}

function readUnit(r: Record<string, unknown>, id: string): Unit {
  return {
    id,
    number: typeof r.number === 'number' ? String(r.number) : str(r.number),
    floor_plan_id: idOf(r.floor_plan_id),
    bedrooms: num(r.bedrooms),
    bathrooms: num(r.bathrooms),
    is_available: r.is_available === true,
    rent_amount_market_in_cents: num(r.rent_amount_market_in_cents),
    square_feet: num(r.square_feet),
  };
}

/** The leads of a `GET /v1/leads/` answer (those with a string id), or null when it has no results array. */
function readLeads(body: unknown): FoundLead[] | null {
  const results = isObject(body) ? body.results : undefined;
  if (!Array.isArray(results)) return null;
  return results
    .filter((r): r is Record<string, unknown> => isObject(r) && typeof r.id === 'string')
    .map((r) => ({
      id: r.id as string,
      first_name: str(r.first_name),
      last_name: str(r.last_name),
      email_1: str(r.email_1),
      phone_1: str(r.phone_1),
      created_at: str(r.created_at),
    }));
}

/** A 2xx whose body is not what Propexo documents: for a create, the write may well be queued. */
const unreadable = (status: number, rate: UpstreamRateInfo, maybeDelivered: boolean): UpstreamFailure => ({
  ok: false,
  kind: 'unavailable',
  reason: 'unreadable_body',
  status,
  maybeDelivered,
  ...rate,
});

const rateOf = (r: UpstreamRateInfo): UpstreamRateInfo => {
  const info: UpstreamRateInfo = {};
  if (r.rateLimitRemaining !== undefined) info.rateLimitRemaining = r.rateLimitRemaining;
  if (r.rateLimitLimit !== undefined) info.rateLimitLimit = r.rateLimitLimit;
  return info;
};

export function createPropexoClient(options: PropexoClientOptions): PropexoClient {
  const request = createPropexoRequest(options);
  const job = (jobId: string) => encodeURIComponent(jobId);

  /**
   * Follows `offset`/`limit` while `meta.hasMore` says so, at most MAX_LIST_PAGES pages. Any failed
   * or unreadable page fails the whole list: half a list cached for 12 hours is worse than none.
   */
  async function listAll<T>(
    path: string,
    query: PropertyQuery,
    read: (r: Record<string, unknown>, id: string) => T,
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let offset = 0;
    let rate: UpstreamRateInfo = {};
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const params = new URLSearchParams({
        integration_id: query.integration_id,
        property_id: query.property_id,
        offset: String(offset),
        limit: String(LIST_PAGE_SIZE),
      });
      const res = await request('GET', `${path}?${params}`);
      if (!res.ok) return res;
      rate = rateOf(res);
      const body = res.json as { meta?: unknown; results?: unknown } | undefined;
      if (!isObject(body) || !Array.isArray(body.results)) return unreadable(res.status, rate, false);
      for (const r of body.results) {
        const id = isObject(r) ? idOf(r.id) : null;
        if (id !== null) items.push(read(r as Record<string, unknown>, id));
      }
      const hasMore = isObject(body.meta) && body.meta.hasMore === true;
      // An empty page that claims more would loop for ever; it ends the list.
      if (!hasMore || body.results.length === 0) return { ok: true, items, complete: true, ...rate };
      offset += body.results.length;
    }
    return { ok: true, items, complete: false, ...rate };
  }

  return {
    async createLead(lead) {
      const res = await request('POST', '/v1/leads/resman/', documentedBody(lead));
      if (!res.ok) return res;
      const jobId = readJobId(res.json);
      return jobId === undefined ? unreadable(res.status, rateOf(res), true) : { ok: true, jobId, status: res.status, ...rateOf(res) };
    },

    async writeStatus(jobId) {
      const res = await request('GET', `/v1/admin/write-status/${job(jobId)}`);
      if (!res.ok) return res;
      const body = (res.json ?? {}) as { write_status?: unknown; errors?: unknown; created_record_id?: unknown };
      const writeStatus = WRITE_STATUSES.find((s) => s === body.write_status);
      if (!writeStatus) return unreadable(res.status, rateOf(res), false);
      const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
      return { ok: true, writeStatus, errors, createdRecordId: str(body.created_record_id), ...rateOf(res) };
    },

    async retryWrite(jobId) {
      const res = await request('POST', `/v1/admin/retry-write/${job(jobId)}`);
      if (!res.ok) return res;
      const success = (res.json as { success?: unknown } | undefined)?.success;
      return typeof success === 'boolean' ? { ok: true, success, ...rateOf(res) } : unreadable(res.status, rateOf(res), true);
    },

    async findLeads(query) {
      const params = new URLSearchParams({ integration_id: query.integration_id, property_id: query.property_id });
      if (query.email_1 !== undefined) params.set('email_1', query.email_1);
      if (query.phone_1 !== undefined) params.set('phone_1', query.phone_1);
      params.set('limit', '250');
      params.set('order-by', 'created_at:desc');
      const res = await request('GET', `/v1/leads/?${params}`);
      if (!res.ok) return res;
      const leads = readLeads(res.json);
      if (!leads) return unreadable(res.status, rateOf(res), false);
      return { ok: true, leads, ...rateOf(res) };
    },

    async listLeads(query, page) {
      const params = new URLSearchParams({
        integration_id: query.integration_id,
        property_id: query.property_id,
        offset: String(Math.max(0, Math.floor(page.offset))),
        limit: String(Math.min(LIST_PAGE_SIZE, Math.max(1, Math.floor(page.limit)))),
        'order-by': 'created_at:desc',
      });
      const res = await request('GET', `/v1/leads/?${params}`);
      if (!res.ok) return res;
      const leads = readLeads(res.json);
      if (!leads) return unreadable(res.status, rateOf(res), false);
      const meta = (res.json as { meta?: unknown }).meta;
      const hasMore = isObject(meta) && typeof meta.hasMore === 'boolean' ? meta.hasMore : null;
      return { ok: true, leads, hasMore, ...rateOf(res) };
    },

    listFloorPlans(query) {
      return listAll('/v1/floor-plans/', query, readFloorPlan);
    },

    listUnits(query) {
      return listAll('/v1/units/', query, readUnit);
    },
  };
}
