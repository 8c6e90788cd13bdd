/**
 * What the sandbox tells of the writes it received, in process (`sandbox.leads()`, `.jobs()`, …) and
 * on `/__sandbox/…`: each write with its job's state, the jobs, and their write logs. The shapes
 * only; store.ts keeps the writes and settles their jobs.
 */
import type { CreateAppointmentBody, MoveAppointmentBody } from './appointments.js';
import type { CreateLeadBody } from './create-lead.js';
import type { LeadEventBody, UpdateLeadBody } from './lead-writes.js';

export type WriteStatus = 'PENDING' | 'SUCCESS' | 'PARTIAL_SUCCESS' | 'FAILURE';

/** The writes the sandbox serves, as a job names them. */
export type WriteKind = 'create_lead' | 'update_lead' | 'lead_event' | 'create_appointment' | 'update_appointment';

/** A write's `write_category` in `GET /v1/admin/logs/writes/` (spec enum): lead creates and updates are `leads`, the rest `events`. */
export type WriteCategory = 'leads' | 'events';

export const UNKNOWN_LEAD_SOURCE_ERROR = 'Transaction Source could not be found';

export interface SandboxJob {
  job_id: string;
  kind: WriteKind;
  write_category: WriteCategory;
  /** When the job was (last) queued, ISO 8601 on the sandbox clock. */
  queued_at: string;
  write_status: WriteStatus;
  errors: string[];
  /** The created lead's id; the event's id (a tour's too); for an update, the updated lead's id; for a move, the tour's. */
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
  /** The body as accepted; for an update or a move, with the id of its path. */
  parameters:
    | CreateLeadBody
    | LeadEventBody
    | (UpdateLeadBody & { lead_id: string })
    | CreateAppointmentBody
    | (MoveAppointmentBody & { event_id: string });
  error: string | null;
  name: string;
  vendor: 'RESMAN';
}

/** What every accepted write shows of its job. */
export interface Received {
  job_id: string;
  received_at: string;
  write_status: WriteStatus;
  errors: string[];
}

export interface SandboxLead extends Received {
  /** The new lead's id, once its job succeeded. */
  created_record_id: string | null;
  /** The create-lead body as accepted (after validation, unknown fields dropped, date trimmed). */
  body: CreateLeadBody;
}

export interface SandboxEvent extends Received {
  /** The new event's id (its job's `created_record_id`), once its job succeeded. */
  event_id: string | null;
  body: LeadEventBody;
}

export interface SandboxUpdate extends Received {
  /** The lead it updates (the path's `lead_id`). */
  lead_id: string;
  /** Only the fields sent. */
  body: UpdateLeadBody;
}

/** A tour booking, with its job's state. */
export interface SandboxTourBooking extends Received {
  action: 'create';
  lead_id: string;
  /** The new tour's id, once its job succeeded. */
  event_id: string | null;
  body: CreateAppointmentBody;
}

/** A move of a tour, with its job's state. */
export interface SandboxTourMove extends Received {
  action: 'move';
  /** The tour's lead when the move came in. */
  lead_id: string | null;
  event_id: string;
  body: MoveAppointmentBody;
}

export type SandboxAppointment = SandboxTourBooking | SandboxTourMove;
