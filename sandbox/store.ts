/**
 * What the sandbox remembers between requests: every write it accepted (lead creates, lead updates,
 * lead events, tour bookings and moves), the write job each one started, and what those jobs did in
 * "ResMan": the leads they created, the updates they made to leads, the tours they booked or moved
 * (kept in appointment-book.ts).
 *
 * Jobs settle lazily against the injected clock: whoever looks at a job after `writeDelayMs` sees
 * it finished, so tests move time with the clock instead of waiting.
 */
import { AppointmentBook } from './appointment-book.js';
import type { AppointmentStore, CreateAppointmentBody, MoveAppointmentBody } from './appointments.js';
import { isKnownLeadSource, type CreateLeadBody } from './create-lead.js';
import type { AppointmentRecord, LeadRecord, SandboxData } from './data.js';
import type { LeadEventBody, LeadWriteStore, UpdateLeadBody } from './lead-writes.js';
import {
  UNKNOWN_LEAD_SOURCE_ERROR,
  type WriteStatus,
  type WriteKind,
  type WriteCategory,
  type SandboxJob,
  type SandboxWriteLog,
  type SandboxLead,
  type SandboxEvent,
  type SandboxUpdate,
  type SandboxAppointment,
  type Received,
} from './received.js';

/** A write as queued: the body, and for writes onto a lead or a tour, its integration and property. */
type Write =
  | { kind: 'create_lead'; body: CreateLeadBody }
  | { kind: 'update_lead'; leadId: string; integrationId: string; propertyId: string; body: UpdateLeadBody }
  | { kind: 'lead_event'; integrationId: string; propertyId: string; body: LeadEventBody }
  | { kind: 'create_appointment'; integrationId: string; propertyId: string; body: CreateAppointmentBody }
  | {
      kind: 'update_appointment';
      eventId: string;
      leadId: string | null;
      integrationId: string;
      propertyId: string;
      body: MoveAppointmentBody;
    };

interface Job {
  id: string;
  write: Write;
  queuedAt: number;
  /** When it finished, on the clock. */
  settledAt: number | null;
  retryOf: string | null;
  status: WriteStatus;
  errors: string[];
  createdRecordId: string | null;
  attempts: number;
}

/** An accepted write: its current job (a retry moves it on) and when it came in. */
interface Accepted {
  jobId: string;
  receivedAt: number;
  write: Write;
}

/** An update a job made, applied on top of the lead whenever the lead is read. */
interface AppliedUpdate {
  leadId: string;
  at: number;
  body: UpdateLeadBody;
}

const CATEGORY: Record<WriteKind, WriteCategory> = {
  create_lead: 'leads',
  update_lead: 'leads',
  lead_event: 'events',
  create_appointment: 'events',
  update_appointment: 'events',
};
const LOG_NAME: Record<WriteKind, string> = {
  create_lead: 'resman-create-lead',
  update_lead: 'resman-update-lead',
  lead_event: 'resman-create-lead-event',
  create_appointment: 'resman-create-appointment',
  update_appointment: 'resman-update-appointment',
};

const iso = (ms: number) => new Date(ms).toISOString();
const opaqueId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;

export class SandboxStore implements LeadWriteStore, AppointmentStore {
  private accepted: Accepted[] = [];
  private jobsById = new Map<string, Job>();
  private createdLeads: LeadRecord[] = [];
  private appliedUpdates: AppliedUpdate[] = [];
  private readonly tours: AppointmentBook;

  constructor(
    private readonly data: SandboxData,
    private readonly now: () => number,
    private readonly writeDelayMs: number,
    /**
     * How long after its write a created lead, or an update, becomes readable through `GET /v1/leads`
     * (0: at once, Propexo's immediate read-back; else the next sync). Write-status and write logs are immediate.
     */
    private readonly readBackDelayMs = 0,
  ) {
    this.tours = new AppointmentBook(data);
  }

  /** Keeps an accepted create-lead body and queues its write job. */
  receiveLead(body: CreateLeadBody): SandboxLead {
    return this.toLead(this.accept({ kind: 'create_lead', body }));
  }

  receiveUpdate(lead: LeadRecord, body: UpdateLeadBody): SandboxUpdate {
    const write: Write = { kind: 'update_lead', leadId: lead.id, integrationId: lead.integration_id, propertyId: lead.property_id, body };
    return this.toUpdate(this.accept(write));
  }

  receiveEvent(lead: LeadRecord, body: LeadEventBody): SandboxEvent {
    return this.toEvent(this.accept({ kind: 'lead_event', integrationId: lead.integration_id, propertyId: lead.property_id, body }));
  }

  receiveAppointment(lead: LeadRecord, body: CreateAppointmentBody): SandboxAppointment {
    return this.toAppointment(
      this.accept({ kind: 'create_appointment', integrationId: lead.integration_id, propertyId: lead.property_id, body }),
    );
  }

  receiveMove(tour: AppointmentRecord, body: MoveAppointmentBody): SandboxAppointment {
    const leadId = tour.associated_lead_ids[0] ?? null;
    const write: Write = {
      kind: 'update_appointment',
      eventId: tour.id,
      leadId,
      integrationId: tour.integration_id,
      propertyId: tour.property_id,
      body,
    };
    return this.toAppointment(this.accept(write));
  }

  heldAppointment(id: string): AppointmentRecord | undefined {
    this.settle();
    return this.tours.held(id);
  }

  /** The tours a read sees: seeded ones, booked ones and moves once a sync has read them back. */
  appointmentRecords(): AppointmentRecord[] {
    this.settle();
    const now = this.now();
    return this.tours.records((at) => now - at >= this.readBackDelayMs);
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
    const retried = this.newJob(job.write, this.now(), job.id, job.attempts + 1);
    const accepted = this.accepted.find((a) => a.jobId === job.id);
    if (accepted) accepted.jobId = retried.id;
    return retried.id;
  }

  /** The lead with this id, once it is readable, with the updates readable by now. */
  leadById(id: string): LeadRecord | undefined {
    return this.leadRecords().find((l) => l.id === id);
  }

  /** A lead ResMan has, readable or not yet: one it had before, or one a create job made; with every update made. */
  heldLead(id: string): LeadRecord | undefined {
    this.settle();
    const lead = this.data.leads.find((l) => l.id === id) ?? this.createdLeads.find((l) => l.id === id);
    return lead && this.withUpdates(lead, () => true);
  }

  /** The finished write jobs, newest first (the most recent record per job, as Propexo's log); one category, or all. */
  writeLogs(category: WriteCategory | null = null): SandboxWriteLog[] {
    this.settle();
    return [...this.jobsById.values()]
      .filter((j): j is Job & { settledAt: number } => j.settledAt !== null && (j.status === 'SUCCESS' || j.status === 'FAILURE'))
      .filter((j) => category === null || CATEGORY[j.write.kind] === category)
      .sort((a, b) => b.settledAt - a.settledAt)
      .map((j) => ({
        id: `wl_${j.id}`,
        created_at: iso(j.settledAt),
        job_id: j.id,
        job_log_id: `jl_${j.id}`,
        status: j.status as 'SUCCESS' | 'FAILURE',
        integration_id: j.write.kind === 'create_lead' ? j.write.body.integration_id : j.write.integrationId,
        job_type: 'WRITE',
        parameters: parametersOf(j.write),
        error: j.errors.length > 0 ? j.errors.join('; ') : null,
        name: LOG_NAME[j.write.kind],
        vendor: 'RESMAN',
      }));
  }

  leads(): SandboxLead[] {
    this.settle();
    return this.accepted.filter((a) => a.write.kind === 'create_lead').map((a) => this.toLead(a));
  }

  events(): SandboxEvent[] {
    this.settle();
    return this.accepted.filter((a) => a.write.kind === 'lead_event').map((a) => this.toEvent(a));
  }

  updates(): SandboxUpdate[] {
    this.settle();
    return this.accepted.filter((a) => a.write.kind === 'update_lead').map((a) => this.toUpdate(a));
  }

  /** Tour bookings and moves, in the order received. */
  appointments(): SandboxAppointment[] {
    this.settle();
    return this.accepted
      .filter((a) => a.write.kind === 'create_appointment' || a.write.kind === 'update_appointment')
      .map((a) => this.toAppointment(a));
  }

  jobs(): SandboxJob[] {
    this.settle();
    return [...this.jobsById.values()].map(toJob);
  }

  /**
   * The lead search's view: leads already in ResMan, then those the sandbox's jobs created, each once
   * a sync has read it back, with the updates a sync has read back.
   */
  leadRecords(): LeadRecord[] {
    this.settle();
    const now = this.now();
    const readable = (at: number) => now - at >= this.readBackDelayMs;
    return [...this.data.leads, ...this.createdLeads.filter((l) => readable(Date.parse(l.created_at)))].map((l) =>
      this.withUpdates(l, readable),
    );
  }

  reset(): void {
    this.accepted = [];
    this.jobsById.clear();
    this.createdLeads = [];
    this.appliedUpdates = [];
    this.tours.reset();
  }

  private accept(write: Write): Accepted {
    const now = this.now();
    const job = this.newJob(write, now, null, 1);
    const accepted: Accepted = { jobId: job.id, receivedAt: now, write };
    this.accepted.push(accepted);
    return accepted;
  }

  private newJob(write: Write, now: number, retryOf: string | null, attempts: number): Job {
    const job: Job = {
      id: crypto.randomUUID(),
      write,
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

  /** Finishes every pending job whose delay has passed on the clock, as ResMan would have. */
  private settle(): void {
    const now = this.now();
    for (const job of this.jobsById.values()) {
      if (job.status !== 'PENDING' || now - job.queuedAt < this.writeDelayMs) continue;
      const at = job.queuedAt + this.writeDelayMs;
      const w = job.write;
      // The lead source is looked up when the job runs, so a test can add it and retry-write.
      const source = 'lead_source_id' in w.body ? w.body.lead_source_id : undefined;
      const propertyId = w.kind === 'create_lead' ? w.body.property_id : w.propertyId;
      if (source !== undefined && !isKnownLeadSource(this.data, { lead_source_id: source, property_id: propertyId })) {
        Object.assign(job, { status: 'FAILURE', errors: [UNKNOWN_LEAD_SOURCE_ERROR], settledAt: at });
        continue;
      }
      let recordId: string;
      if (w.kind === 'create_lead') {
        const lead = leadRecordFrom(w.body, iso(at));
        this.createdLeads.push(lead);
        recordId = lead.id;
      } else if (w.kind === 'update_lead') {
        this.appliedUpdates.push({ leadId: w.leadId, at, body: w.body });
        recordId = w.leadId;
      } else if (w.kind === 'create_appointment') {
        recordId = this.tours.book(w.body, w.integrationId, w.propertyId, at);
      } else if (w.kind === 'update_appointment') {
        this.tours.move(w.eventId, w.body, at);
        recordId = w.eventId;
      } else {
        recordId = opaqueId('evt');
      }
      Object.assign(job, { status: 'SUCCESS', errors: [], createdRecordId: recordId, settledAt: at });
    }
  }

  /** A copy of `lead` with the updates made to it that `visible` lets through, oldest first. */
  private withUpdates(lead: LeadRecord, visible: (at: number) => boolean): LeadRecord {
    const updates = this.appliedUpdates.filter((u) => u.leadId === lead.id && visible(u.at)).sort((a, b) => a.at - b.at);
    return updates.reduce((record, u) => applyUpdate(record, u.body, iso(u.at)), lead);
  }

  private received(a: Accepted): Received {
    const job = this.jobsById.get(a.jobId);
    return { job_id: a.jobId, received_at: iso(a.receivedAt), write_status: job?.status ?? 'PENDING', errors: [...(job?.errors ?? [])] };
  }

  private recordIdOf(a: Accepted): string | null {
    return this.jobsById.get(a.jobId)?.createdRecordId ?? null;
  }

  private toLead(a: Accepted): SandboxLead {
    return { ...this.received(a), created_record_id: this.recordIdOf(a), body: { ...(a.write.body as CreateLeadBody) } };
  }

  private toEvent(a: Accepted): SandboxEvent {
    return { ...this.received(a), event_id: this.recordIdOf(a), body: { ...(a.write.body as LeadEventBody) } };
  }

  private toAppointment(a: Accepted): SandboxAppointment {
    const w = a.write;
    if (w.kind === 'create_appointment') {
      return { ...this.received(a), action: 'create', lead_id: w.body.lead_id, event_id: this.recordIdOf(a), body: { ...w.body } };
    }
    const move = w as Extract<Write, { kind: 'update_appointment' }>;
    return { ...this.received(a), action: 'move', lead_id: move.leadId, event_id: move.eventId, body: { ...move.body } };
  }

  private toUpdate(a: Accepted): SandboxUpdate {
    const w = a.write as Extract<Write, { kind: 'update_lead' }>;
    return { ...this.received(a), lead_id: w.leadId, body: { ...w.body } };
  }
}

/** A write log's `parameters`: the body, with the path's id for an update or a move. */
function parametersOf(w: Write): SandboxWriteLog['parameters'] {
  if (w.kind === 'update_lead') return { lead_id: w.leadId, ...w.body };
  if (w.kind === 'update_appointment') return { event_id: w.eventId, ...w.body };
  return { ...w.body };
}

function toJob(job: Job): SandboxJob {
  return {
    job_id: job.id,
    kind: job.write.kind,
    write_category: CATEGORY[job.write.kind],
    queued_at: iso(job.queuedAt),
    write_status: job.status,
    errors: [...job.errors],
    created_record_id: job.createdRecordId,
    attempts: job.attempts,
    retry_of: job.retryOf,
  };
}

/** The lead with the fields an update sent; phone types default as in the create when a phone is set without one. */
function applyUpdate(lead: LeadRecord, body: UpdateLeadBody, at: string): LeadRecord {
  const { phone_1_type, phone_2_type, ...fields } = body;
  const next: LeadRecord = { ...lead, ...fields, updated_at: at };
  if (phone_1_type !== undefined) next.phone_1_type = phone_1_type;
  else if (body.phone_1 !== undefined && next.phone_1_type === null) next.phone_1_type = 'HOME';
  if (phone_2_type !== undefined) next.phone_2_type = phone_2_type;
  else if (body.phone_2 !== undefined && next.phone_2_type === null) next.phone_2_type = 'MOBILE';
  return next;
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
