import type { SiteLookup } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';
import { tourTerms } from '../../tours/settings.js';
import { SLOT_TAKEN_AT_RELEASE, type LeadEvent, type LeadPatch, type LeadRecord, type LeadStore } from '../store/types.js';
import { logOf, maskedContact } from './lead-writes.js';

/**
 * Dead letters whose write job is over without a lead to show for it: it failed, or Propexo no
 * longer knows it (and the lead was not found). Checking the job again would change nothing.
 */
const JOB_OVER = new Set(['write_failed', 'write_retry_refused', 'job_not_found']);

/**
 * Puts a dead letter back to work with a fresh age limit: the operator's retry, from
 * `POST /admin/leads/:id/retry` or `npm run outbox retry`; also releases a held lead (releaseHeld,
 * its tour with it). Returns null when the lead is neither failed nor held. `by` names who acted on
 * the timeline (a session, "token", "cli").
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
export async function requeueDeadLetter(
  store: LeadStore,
  lead: LeadRecord,
  now: number,
  by: string,
  tours: HeldTours,
): Promise<LeadRecord | null> {
  if (lead.status === 'held') return (await releaseHeld(store, lead, now, by, tours))?.lead ?? null;
  const fresh = freshStart(now);
  const event = operatorEvent('retried', lead, now, by);
  if (lead.job_id !== undefined && !JOB_OVER.has(lead.error ?? '')) {
    return store.update(lead.id, { ...fresh, status: 'sent' }, { ifStatus: 'failed' }, event);
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
    event,
  );
}

/** A lead put back to work: due now, with a fresh age limit and no reason left. */
const freshStart = (now: number) =>
  ({ age_from: now, next_attempt_at: now, updated_at: now, error: undefined, error_detail: undefined, checks: 0 }) satisfies LeadPatch;

/** The timeline says who acted and what the lead was; written with the change, or not at all. */
const operatorEvent = (type: 'retried' | 'released', lead: LeadRecord, now: number, by: string): LeadEvent => ({
  at: now,
  type,
  detail: { by, previous_error: lead.error ?? null },
});

/** What became of a released lead's tour: released with it, a dead letter for a slot taken meanwhile, or none held. */
export type TourAtRelease = 'released' | 'slot_taken' | null;

/** What a release needs for a held tour. */
export interface HeldTours {
  /**
   * How many tours the tour's slot takes now, the tour itself not counted among them. The routes
   * pass the site's per_slot (configuredTourCapacity); once Propexo's listing is at hand there, the
   * per_slot less the tours Propexo lists in that slot.
   */
  capacity(tour: LeadRecord): Promise<number>;
  /** For the dead letter's alert (`lead.dead_letter`, as a delivery's dead letter raises it). */
  logger: Pick<Logger, 'alert'>;
}

/** The site's `tours.per_slot` from its configuration (the default for a site that no longer offers tours). */
export function configuredTourCapacity(sites: SiteLookup): HeldTours['capacity'] {
  return async (tour) => tourTerms(sites.get(tour.site)?.tours).per_slot;
}

/**
 * An operator's release of a held lead (judged no spam): queued, and its held tour with it while
 * the tour's slot has a place (LeadStore.releaseTour). A slot taken meanwhile does not keep the lead:
 * it goes to ResMan as an inquiry, and its tour becomes a dead letter (SLOT_TAKEN_AT_RELEASE, with
 * an alert) so the office calls the prospect for another time. A tour record released on its own
 * (its lead no longer held; the routes refuse one whose lead is) takes the same look at its slot.
 * Null when the lead is not held (any more).
 */
export async function releaseHeld(
  store: LeadStore,
  lead: LeadRecord,
  now: number,
  by: string,
  tours: HeldTours,
): Promise<{ lead: LeadRecord; tour: TourAtRelease } | null> {
  if (lead.tour_start !== undefined) {
    const own = await releaseTourOf(store, lead, now, by, tours);
    return own && { lead: own.record, tour: own.tour };
  }
  // The lead first: should it have changed meanwhile, its tour stays held with it.
  const released = await store.update(
    lead.id,
    { ...freshStart(now), status: 'queued' },
    { ifStatus: 'held' },
    operatorEvent('released', lead, now, by),
  );
  if (!released) return null;
  const tour = await store.tourOf(lead.id);
  if (tour?.status !== 'held') return { lead: released, tour: null };
  return { lead: released, tour: (await releaseTourOf(store, tour, now, by, tours))?.tour ?? null };
}

/** A held tour queued into its slot, or a dead letter when the slot is full; null when it is not held (any more). */
async function releaseTourOf(
  store: LeadStore,
  tour: LeadRecord,
  now: number,
  by: string,
  tours: HeldTours,
): Promise<{ record: LeadRecord; tour: Exclude<TourAtRelease, null> } | null> {
  const capacity = await tours.capacity(tour);
  const outcome = await store.releaseTour(tour.id, capacity, freshStart(now), operatorEvent('released', tour, now, by));
  if (!outcome) return null;
  if ('released' in outcome) return { record: outcome.released, tour: 'released' };
  // Shaped as a delivery's dead letter (LeadWrites.deadLetter), which the store layer cannot call.
  const reason = SLOT_TAKEN_AT_RELEASE;
  const failed = await store.update(
    tour.id,
    { status: 'failed', error: reason, error_detail: undefined, next_attempt_at: now, updated_at: now },
    { ifStatus: 'held' },
    { at: now, type: 'dead_lettered', detail: { reason } },
  );
  if (!failed) return null;
  tours.logger.alert('lead.dead_letter', {
    ...logOf(tour),
    reason,
    follows: tour.follows ?? null,
    attempts: tour.attempts,
    contact: maskedContact(tour),
  });
  return { record: failed, tour: 'slot_taken' };
}

/**
 * Why an operator may not act on this tour record alone, in words for them; null when they may (or
 * it is no tour). A tour of a held lead goes with its lead (its release or spam carries the tour).
 * A tour whose slot was full at its lead's release, or whose time passed unsent, cannot be kept by
 * sending it again: the office books the prospect another time.
 */
export async function tourStaysPut(store: LeadStore, record: LeadRecord): Promise<string | null> {
  const lead = await heldLeadOfTour(store, record);
  if (lead) return `This is the tour of held lead ${lead.id}: release or mark its lead.`;
  if (record.tour_start !== undefined && record.status === 'failed' && UNKEPT_TOURS.has(record.error ?? ''))
    return `This tour cannot be kept (${record.error}): call the prospect and book another time in ResMan.`;
  return null;
}

const UNKEPT_TOURS = new Set([SLOT_TAKEN_AT_RELEASE, 'tour_time_passed']);

/**
 * The held lead a tour record follows, when there is one: an operator acts on that lead (its
 * release or spam carries the tour), never on its tour alone.
 */
export async function heldLeadOfTour(store: LeadStore, record: LeadRecord): Promise<LeadRecord | null> {
  if (record.tour_start === undefined || record.follows === undefined) return null;
  const lead = await store.get(record.follows);
  return lead?.status === 'held' ? lead : null;
}
