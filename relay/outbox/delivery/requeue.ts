import type { LeadEvent, LeadRecord, LeadStore } from '../store/types.js';

/**
 * Dead letters whose write job is over without a lead to show for it: it failed, or Propexo no
 * longer knows it (and the lead was not found). Checking the job again would change nothing.
 */
const JOB_OVER = new Set(['write_failed', 'write_retry_refused', 'job_not_found']);

/**
 * Puts a dead letter back to work with a fresh age limit: the operator's retry, from
 * `POST /admin/leads/:id/retry` or `npm run outbox retry`; also releases a held lead. Returns null
 * when the lead is neither failed nor held. `by` names who acted on the timeline (a session, "token", "cli").
 *
 * Never a blind second create:
 * - a lead whose write job may still land (it was never confirmed in time) goes back to `sent`,
 *   and its job is checked again;
 * - a lead that failed after a POST (a failed or unknown write job, or an answer never read) is
 *   looked for once more before it is sent again (`in_doubt_since: 0`: one search, no further grace, since the
 *   dead letter already waited);
 * - a lead Propexo never took (refused with a 400) or that the operator has checked by hand
 *   (`in_doubt_unresolved`) is simply queued;
 * - an inquiry whose event onto an existing lead was refused (that lead gone or merged in ResMan,
 *   say) forgets that lead: the prospect is looked up afresh, and created if no longer found.
 */
export async function requeueDeadLetter(store: LeadStore, lead: LeadRecord, now: number, by = 'cli'): Promise<LeadRecord | null> {
  const fresh = { age_from: now, next_attempt_at: now, updated_at: now, error: undefined, error_detail: undefined, checks: 0 };
  // The timeline says who acted and what the lead was; written with the change, or not at all.
  const event = (type: 'retried' | 'released'): LeadEvent => ({ at: now, type, detail: { by, previous_error: lead.error ?? null } });
  // A held lead (suspected spam) the operator judged real: it was never sent, so it is simply queued.
  if (lead.status === 'held') return store.update(lead.id, { ...fresh, status: 'queued' }, { ifStatus: 'held' }, event('released'));
  if (lead.job_id !== undefined && !JOB_OVER.has(lead.error ?? '')) {
    return store.update(lead.id, { ...fresh, status: 'sent' }, { ifStatus: 'failed' }, event('retried'));
  }
  const posted = lead.job_id !== undefined || lead.in_doubt_since !== undefined;
  const lookAgain = lead.target_lead_id !== undefined && lead.write_kind !== 'update' && lead.error === 'propexo_rejected';
  return store.update(
    lead.id,
    {
      ...fresh,
      ...(lookAgain ? { target_lead_id: undefined, write_kind: undefined } : {}),
      status: 'queued',
      job_id: undefined,
      write_retries: 0,
      in_doubt_since: posted && lead.error !== 'in_doubt_unresolved' ? 0 : undefined,
    },
    { ifStatus: 'failed' },
    event('retried'),
  );
}
