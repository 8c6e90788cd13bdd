/**
 * What the sandbox remembers between requests: every create-lead body it accepted, the write job
 * each one started, and the leads those jobs created in "ResMan".
 *
 * Jobs settle lazily against the injected clock: whoever looks at a job after `writeDelayMs` sees
 * it finished, so tests move time with the clock instead of waiting.
 */
import { isKnownLeadSource, type CreateLeadBody } from './create-lead.js';
import type { LeadRecord, SandboxData } from './data.js';

export type WriteStatus = 'PENDING' | 'SUCCESS' | 'PARTIAL_SUCCESS' | 'FAILURE';

export const UNKNOWN_LEAD_SOURCE_ERROR = 'Transaction Source could not be found';

export interface SandboxJob {
  job_id: string;
  kind: 'create_lead';
  /** When the job was (last) queued, ISO 8601 on the sandbox clock. */
  queued_at: string;
  write_status: WriteStatus;
  errors: string[];
  created_record_id: string | null;
  /** 1 for the first run, +1 per retry-write (each retry is a job of its own). */
  attempts: number;
  /** The failed job this one retries, if it is a retry. */
  retry_of: string | null;
}

/** One record of `GET /v1/admin/logs/writes/` (spec `_v1_admin_logs_writes__get_output`): a finished job. */
export interface SandboxWriteLog {
  id: string;
  created_at: string;
  job_id: string;
  job_log_id: string;
  status: 'SUCCESS' | 'FAILURE';
  integration_id: string;
  job_type: string;
  parameters: CreateLeadBody;
  error: string | null;
  name: string;
  vendor: 'RESMAN';
}

export interface SandboxLead {
  job_id: string;
  received_at: string;
  write_status: WriteStatus;
  errors: string[];
  created_record_id: string | null;
  /** The create-lead body as accepted (after validation, unknown fields dropped, date trimmed). */
  body: CreateLeadBody;
}

interface Job {
  id: string;
  body: CreateLeadBody;
  queuedAt: number;
  /** When it finished, on the clock. */
  settledAt: number | null;
  retryOf: string | null;
  status: WriteStatus;
  errors: string[];
  createdRecordId: string | null;
  attempts: number;
}

interface Received {
  jobId: string;
  receivedAt: number;
  body: CreateLeadBody;
}

const iso = (ms: number) => new Date(ms).toISOString();
const opaqueId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;

export class SandboxStore {
  private received: Received[] = [];
  private jobsById = new Map<string, Job>();
  private createdLeads: LeadRecord[] = [];

  constructor(
    private readonly data: SandboxData,
    private readonly now: () => number,
    private readonly writeDelayMs: number,
    /**
     * How long after its write a created lead becomes readable through `GET /v1/leads` (0: at once,
     * Propexo's immediate read-back; else the next sync). Write-status and write logs are immediate.
     */
    private readonly readBackDelayMs = 0,
  ) {}

  /** Keeps an accepted body and queues its write job. */
  receiveLead(body: CreateLeadBody): SandboxLead {
    const now = this.now();
    const job = this.newJob(body, now, null, 1);
    this.jobsById.set(job.id, job);
    const received: Received = { jobId: job.id, receivedAt: now, body };
    this.received.push(received);
    return this.toLead(received);
  }

  job(jobId: string): SandboxJob | undefined {
    this.settle();
    const job = this.jobsById.get(jobId);
    return job && toJob(job);
  }

  /**
   * Retries a failed job as a NEW job, whose id is returned; the old job keeps its FAILURE (spec:
   * retry-write answers "the new job ID"). Undefined when there is no such job, null when it had not failed.
   */
  retry(jobId: string): string | null | undefined {
    this.settle();
    const job = this.jobsById.get(jobId);
    if (!job) return undefined;
    if (job.status !== 'FAILURE') return null;
    const retried = this.newJob(job.body, this.now(), job.id, job.attempts + 1);
    const received = this.received.find((r) => r.jobId === job.id);
    if (received) received.jobId = retried.id;
    return retried.id;
  }

  /** The created lead with this id, once it is readable. */
  leadById(id: string): LeadRecord | undefined {
    return this.leadRecords().find((l) => l.id === id);
  }

  /** The finished lead write jobs, newest first (the most recent record per job, as Propexo's log). */
  writeLogs(): SandboxWriteLog[] {
    this.settle();
    return [...this.jobsById.values()]
      .filter((j): j is Job & { settledAt: number } => j.settledAt !== null && (j.status === 'SUCCESS' || j.status === 'FAILURE'))
      .sort((a, b) => b.settledAt - a.settledAt)
      .map((j) => ({
        id: `wl_${j.id}`,
        created_at: iso(j.settledAt),
        job_id: j.id,
        job_log_id: `jl_${j.id}`,
        status: j.status as 'SUCCESS' | 'FAILURE',
        integration_id: j.body.integration_id,
        job_type: 'WRITE',
        parameters: { ...j.body },
        error: j.errors.length > 0 ? j.errors.join('; ') : null,
        name: 'resman-create-lead',
        vendor: 'RESMAN',
      }));
  }

  private newJob(body: CreateLeadBody, now: number, retryOf: string | null, attempts: number): Job {
    const job: Job = {
      id: crypto.randomUUID(),
      body,
      queuedAt: now,
      settledAt: null,
      retryOf,
      status: 'PENDING',
      errors: [],
      createdRecordId: null,
      attempts,
    };
    this.jobsById.set(job.id, job);
    return job;
  }

  leads(): SandboxLead[] {
    this.settle();
    return this.received.map((r) => this.toLead(r));
  }

  jobs(): SandboxJob[] {
    this.settle();
    return [...this.jobsById.values()].map(toJob);
  }

  /** The lead search's view: leads already in ResMan, then those the sandbox's jobs created and a sync has read back. */
  leadRecords(): LeadRecord[] {
    this.settle();
    const now = this.now();
    return [...this.data.leads, ...this.createdLeads.filter((l) => now - Date.parse(l.created_at) >= this.readBackDelayMs)];
  }

  reset(): void {
    this.received = [];
    this.jobsById.clear();
    this.createdLeads = [];
  }

  /** Finishes every pending job whose delay has passed on the clock, as ResMan would have. */
  private settle(): void {
    const now = this.now();
    for (const job of this.jobsById.values()) {
      if (job.status !== 'PENDING' || now - job.queuedAt < this.writeDelayMs) continue;
      // The lead source is looked up when the job runs, so a test can add it and retry-write.
      if (!isKnownLeadSource(this.data, job.body)) {
        Object.assign(job, { status: 'FAILURE', errors: [UNKNOWN_LEAD_SOURCE_ERROR], settledAt: job.queuedAt + this.writeDelayMs });
        continue;
      }
      const lead = leadRecordFrom(job.body, iso(job.queuedAt + this.writeDelayMs));
      this.createdLeads.push(lead);
      Object.assign(job, { status: 'SUCCESS', errors: [], createdRecordId: lead.id, settledAt: job.queuedAt + this.writeDelayMs });
    }
  }

  private toLead(r: Received): SandboxLead {
    const job = this.jobsById.get(r.jobId);
    return {
      job_id: r.jobId,
      received_at: iso(r.receivedAt),
      write_status: job?.status ?? 'PENDING',
      errors: [...(job?.errors ?? [])],
      created_record_id: job?.createdRecordId ?? null,
      body: { ...r.body },
    };
  }
}

function toJob(job: Job): SandboxJob {
  return {
    job_id: job.id,
    kind: 'create_lead',
    queued_at: iso(job.queuedAt),
    write_status: job.status,
    errors: [...job.errors],
    created_record_id: job.createdRecordId,
    attempts: job.attempts,
    retry_of: job.retryOf,
  };
}

function leadRecordFrom(body: CreateLeadBody, at: string): LeadRecord {
  return {
    id: opaqueId('lead'),
    x_id: String(900_000 + Math.floor(Math.random() * 99_999)),
    integration_id: body.integration_id,
    integration_vendor: 'RESMAN',
    property_id: body.property_id,
    created_at: at,
    updated_at: at,
    employee_id: body.employee_id,
    lead_source_id: body.lead_source_id,
    unit_id: body.unit_id ?? null,
    floor_plan_id: body.floor_plan_id ?? null,
    first_name: body.first_name,
    last_name: body.last_name,
    email_1: body.email_1 ?? null,
    phone_1: body.phone_1 ?? null,
    phone_1_type: body.phone_1 === undefined ? null : (body.phone_1_type ?? 'HOME'),
    phone_2: body.phone_2 ?? null,
    phone_2_type: body.phone_2 === undefined ? null : (body.phone_2_type ?? 'MOBILE'),
    address_1: body.address_1 ?? null,
    address_2: body.address_2 ?? null,
    city: body.city ?? null,
    state: body.state ?? null,
    zip: body.zip ?? null,
    notes: body.notes ?? null,
    desired_num_bedrooms: body.desired_num_bedrooms ?? null,
    desired_num_bathrooms: body.desired_num_bathrooms ?? null,
    desired_max_rent_in_cents: body.desired_max_rent_in_cents ?? null,
    desired_lease_term_in_months: body.desired_lease_term_in_months ?? null,
    target_move_in_date: body.target_move_in_date ?? null,
  };
}
