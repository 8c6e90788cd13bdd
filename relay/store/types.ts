/**
 * What the relay records about a lead. Async throughout so a durable store (the SQLite outbox of the
 * next issue, D1 on Workers) fits behind the same interface.
 */
import type { Submission } from '../../contract/submission.js';

export const LEAD_STATUSES = ['received', 'sent', 'failed'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export interface LeadRecord {
  /** The relay's own id (`ld_…`), the one the browser sees; never Propexo's. */
  id: string;
  site: string;
  idempotency_key?: string;
  status: LeadStatus;
  /** Propexo's write job, once the create was accepted. */
  job_id?: string;
  /** Epoch milliseconds from the injected clock. */
  created_at: number;
  updated_at: number;
  /** Why the last delivery failed: a short machine-readable reason, never upstream text. */
  error?: string;
  /** Delivery attempts so far. */
  attempts: number;
  /** The normalised submission, without the site's Propexo ids (they come from config at send time). */
  submission: Submission;
}

export type LeadPatch = Partial<Pick<LeadRecord, 'status' | 'job_id' | 'error' | 'attempts' | 'updated_at' | 'submission'>>;

export type InsertResult = { inserted: true; record: LeadRecord } | { inserted: false; existing: LeadRecord };

export interface LeadStore {
  /**
   * Stores a new lead. When another lead of the same site already holds its idempotency key, nothing
   * is written and that lead is returned: the check and the write are one step, so two concurrent
   * requests with one key cannot both be sent.
   */
  insert(record: LeadRecord): Promise<InsertResult>;
  get(id: string): Promise<LeadRecord | null>;
  /**
   * Applies `patch`; with `ifStatus`, only when the lead is currently in that status (compare-and-set,
   * so only one retry of a failed lead proceeds). Returns the updated lead, or null when it does not
   * exist or the condition failed. Patching `job_id` or `error` with undefined clears it.
   */
  update(id: string, patch: LeadPatch, options?: { ifStatus?: LeadStatus }): Promise<LeadRecord | null>;
  findByIdempotencyKey(site: string, key: string): Promise<LeadRecord | null>;
}
