/**
 * The upstream client: Create Lead: ResMan (`POST /v1/leads/resman/`), the write job behind it
 * (`write-status`, `retry-write`) and the lead search the outbox uses before it ever sends again.
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
 * prospect fields, which are exactly the contract's (shared/propexo/README.md lists the same).
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

export interface PropexoClient {
  createLead(body: ResmanLeadBody): Promise<CreateLeadResult>;
  writeStatus(jobId: string): Promise<WriteStatusResult>;
  retryWrite(jobId: string): Promise<RetryWriteResult>;
  findLeads(query: LeadQuery): Promise<FindLeadsResult>;
}

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
      const results = (res.json as { results?: unknown } | undefined)?.results;
      if (!Array.isArray(results)) return unreadable(res.status, rateOf(res), false);
      const leads = results
        .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && typeof r.id === 'string')
        .map((r) => ({
          id: r.id as string,
          first_name: str(r.first_name),
          last_name: str(r.last_name),
          email_1: str(r.email_1),
          phone_1: str(r.phone_1),
          created_at: str(r.created_at),
        }));
      return { ok: true, leads, ...rateOf(res) };
    },
  };
}
