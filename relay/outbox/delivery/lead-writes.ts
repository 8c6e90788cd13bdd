/**
 * The outcomes a delivery step writes to a lead, each with its log line and its timeline event (in
 * the same store write): confirmed, a dead letter, a transient failure. Every step's decision is written before its next upstream request, so a
 * crash at any point leaves a lead the next run handles without losing it or sending it twice.
 */
import { type Logger, maskEmail, maskPhone } from '../../lib/log.js';
import type { UpstreamFailure } from '../../propexo/client.js';
import type { LeadEvent, LeadPatch, LeadRecord, LeadStore } from '../store/types.js';

/** The fields every log line about a lead carries. */
export const logOf = (lead: LeadRecord) => ({ lead_id: lead.id, site: lead.site });

/** The prospect's email and phone as the log shows them (`j***@gmail.com, ******0142`): enough to find the lead in ResMan. */
export function maskedContact(lead: LeadRecord): string | undefined {
  const { email_1: email, phone_1: phone } = lead.submission;
  const parts = [email ? maskEmail(email) : undefined, phone ? maskPhone(phone) : undefined].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export class LeadWrites {
  constructor(
    private readonly store: LeadStore,
    private readonly clock: { now(): number },
    private readonly logger: Logger,
  ) {}

  /** Applies `patch`, stamping updated_at; `event` (its time this clock's now) goes on the timeline. */
  save(lead: LeadRecord, patch: LeadPatch, event?: Omit<LeadEvent, 'at'>): Promise<LeadRecord | null> {
    const now = this.clock.now();
    return this.store.update(lead.id, { ...patch, updated_at: now }, {}, event && { ...event, at: now });
  }

  async deadLetter(lead: LeadRecord, reason: string, detail?: unknown, patch: LeadPatch = {}): Promise<void> {
    // Propexo's details may quote the prospect: the timeline keeps the reason and status only.
    const status = (detail as { status?: unknown } | undefined)?.status;
    await this.save(
      lead,
      {
        ...patch,
        status: 'failed',
        error: reason,
        error_detail: detail === undefined ? undefined : JSON.stringify(detail),
        next_attempt_at: this.clock.now(),
      },
      { type: 'dead_lettered', detail: { reason, ...(typeof status === 'number' ? { status } : {}) } },
    );
    // An alert: a person must act on it (and it is sent to them, relay/alerts/), with the contact masked.
    this.logger.alert('lead.dead_letter', { ...logOf(lead), reason, attempts: lead.attempts, contact: maskedContact(lead), detail });
  }

  /**
   * Writes the lead confirmed with Propexo's record id (`partial`: the errors of a PARTIAL_SUCCESS);
   * with `ifSent`, only while it is still sent. False when nothing was written.
   */
  async confirmed(lead: LeadRecord, createdRecordId: string | null, how: string, partial?: string[], ifSent = false): Promise<boolean> {
    const now = this.clock.now();
    const patch: LeadPatch = {
      status: 'confirmed',
      created_record_id: createdRecordId ?? undefined,
      confirmed_at: now,
      in_doubt_since: undefined,
      error: partial ? 'partial_success' : undefined,
      error_detail: partial ? JSON.stringify(partial) : undefined,
      updated_at: now,
    };
    const event: LeadEvent = { at: now, type: 'confirmed', detail: { how, partial: partial !== undefined, record_id: createdRecordId } };
    if (!(await this.store.update(lead.id, patch, ifSent ? { ifStatus: 'sent' } : {}, event))) return false;
    const fields = { ...logOf(lead), how, created_record_id: createdRecordId, ms_since_accepted: now - lead.created_at };
    if (partial) this.logger.warn('lead.confirmed_partially', { ...fields, errors: partial });
    else this.logger.info('lead.confirmed', fields);
    if (lead.tour_start === undefined) await this.wakeTourOf(lead, now);
    return true;
  }

  /** A tour waiting for this lead's guest card goes now rather than at its next backoff. */
  private async wakeTourOf(lead: LeadRecord, now: number): Promise<void> {
    const tour = await this.store.tourOf(lead.id);
    if (tour?.status !== 'queued' || tour.next_attempt_at <= now) return;
    await this.store.update(tour.id, { next_attempt_at: now }, { ifStatus: 'queued', ifAttempts: tour.attempts });
  }

  /**
   * The lead follows write job `jobId` (its POST answered, or the job found in the write logs): sent,
   * no longer in doubt, counters reset, next checked at `checkAt`.
   */
  following(lead: LeadRecord, jobId: string, checkAt: number, patch: LeadPatch = {}): Promise<LeadRecord | null> {
    return this.save(
      lead,
      {
        ...patch,
        status: 'sent',
        job_id: jobId,
        in_doubt_since: undefined,
        checks: 0,
        write_retries: 0,
        error: undefined,
        next_attempt_at: checkAt,
      },
      { type: 'attempt', detail: { outcome: 'write_job', write: lead.write_kind ?? 'create', job_id: jobId } },
    );
  }

  /** A failure worth trying again: the reason kept as the lead's error, the lead due in `retryInMs`. */
  async transient(lead: LeadRecord, failure: UpstreamFailure, retryInMs: number, patch: LeadPatch = {}): Promise<void> {
    await this.save(
      lead,
      { ...patch, error: `${failure.kind}:${failure.reason}`, next_attempt_at: this.clock.now() + retryInMs },
      { type: 'attempt', detail: { outcome: failure.kind, reason: failure.reason, status: failure.status ?? null } },
    );
    this.logger.warn(`propexo.${failure.kind}`, { ...logOf(lead), reason: failure.reason, status: failure.status, retry_in_ms: retryInMs });
  }
}
