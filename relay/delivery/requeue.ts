import type { LeadRecord, LeadStore } from '../store/types.js';

/**
 * Puts a dead letter back in the queue with a fresh age limit: the operator's retry, from
 * `POST /admin/leads/:id/retry` or `npm run outbox retry`. Returns null when the lead is not failed.
 *
 * It is sent again from scratch only when Propexo certainly has no such lead; otherwise it is looked
 * for first, since a write that never confirmed, or a POST never answered, may still have landed.
 */
export async function requeueDeadLetter(store: LeadStore, lead: LeadRecord, now: number): Promise<LeadRecord | null> {
  const certainlyAbsent =
    lead.job_id === undefined ? lead.in_doubt_since === undefined : lead.error === 'write_failed' || lead.error === 'write_retry_refused';
  return store.update(
    lead.id,
    {
      status: 'queued',
      age_from: now,
      next_attempt_at: now,
      updated_at: now,
      error: undefined,
      error_detail: undefined,
      checks: 0,
      job_id: undefined,
      write_retries: 0,
      in_doubt_since: certainlyAbsent ? undefined : (lead.in_doubt_since ?? now),
    },
    { ifStatus: 'failed' },
  );
}
