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
  /** 1 for the first run, +1 per retry-write. */
  attempts: number;
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
  ) {}

  /** Keeps an accepted body and queues its write job. */
  receiveLead(body: CreateLeadBody): SandboxLead {
    const now = this.now();
    const job: Job = { id: crypto.randomUUID(), body, queuedAt: now, status: 'PENDING', errors: [], createdRecordId: null, attempts: 1 };
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

  /** Re-queues a failed job. Undefined when there is no such job, false when it had not failed. */
  retry(jobId: string): boolean | undefined {
    this.settle();
    const job = this.jobsById.get(jobId);
    if (!job) return undefined;
    if (job.status !== 'FAILURE') return false;
    Object.assign(job, { status: 'PENDING', errors: [], queuedAt: this.now(), attempts: job.attempts + 1 });
    return true;
  }

  leads(): SandboxLead[] {
    this.settle();
    return this.received.map((r) => this.toLead(r));
  }

  jobs(): SandboxJob[] {
    this.settle();
    return [...this.jobsById.values()].map(toJob);
  }

  /** The lead search's view: leads already in ResMan, then those the sandbox's jobs created. */
  leadRecords(): LeadRecord[] {
    this.settle();
    return [...this.data.leads, ...this.createdLeads];
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
        Object.assign(job, { status: 'FAILURE', errors: [UNKNOWN_LEAD_SOURCE_ERROR] });
        continue;
      }
      const lead = leadRecordFrom(job.body, iso(job.queuedAt + this.writeDelayMs));
      this.createdLeads.push(lead);
      Object.assign(job, { status: 'SUCCESS', errors: [], createdRecordId: lead.id });
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
