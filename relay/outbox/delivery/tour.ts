/**
 * A booked tour (a record with `tour_start`, stored with its lead and `follows` it): written onto
 * the lead's guest card as a ResMan appointment (`POST /v1/events/appointments/leads/resman/`) once
 * that card is known, never as a create or an inquiry event. The card is the lead's own record, or
 * the existing lead it was written onto; while the lead is still on its way the tour waits for it.
 *
 * The same guarantees as a create: the tour is claimed (in doubt, one more attempt) right before its
 * POST leaves, and a tour in doubt is looked for in Propexo's `events` write logs (its lead, date and
 * time) and then among the lead's appointments before it is ever sent again; the job is followed
 * with write-status (confirm.ts), and its `created_record_id` is the appointment's id, which the
 * tour calendar recognises in Propexo's listing (routes/tours.ts).
 */
import type { SiteConfig } from '../../config/sites.js';
import type { AppointmentBody } from '../../propexo/client.js';
import { appointmentFields, tourNote } from '../../tours/appointment-time.js';
import { TOUR_DEFAULTS } from '../../tours/settings.js';
import { appointmentInstant } from '../../tours/booked.js';
import { relayLine } from '../relay-lines.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { retryDelay } from './policy.js';
import { postFailed } from './post-failed.js';
import { existingLead } from './returning.js';
import { readWriteLogs, type OwnWrite } from './search.js';
import { siteIds } from './site-ids.js';

export async function sendTour(ctx: StepContext, tour: LeadRecord, site: SiteConfig): Promise<void> {
  // A tour whose time came before it was ever sent: no use booking the past; the office calls the prospect.
  if (tour.in_doubt_since === undefined && ctx.clock.now() >= tour.tour_start!) {
    return ctx.writes.deadLetter(tour, 'tour_time_passed', { tour_start: new Date(tour.tour_start!).toISOString() });
  }
  let booking = tour;
  if (booking.target_lead_id === undefined) {
    const card = await guestCardOf(ctx, tour, site);
    if (card === 'handled') return;
    // The decision is written before the POST: a crash after it resumes with the same card.
    const decided = await ctx.store.update(
      tour.id,
      { target_lead_id: card, write_kind: 'appointment', updated_at: ctx.clock.now() },
      { ifStatus: 'queued', ifAttempts: tour.attempts },
    );
    if (!decided) return;
    booking = decided;
  }
  const body = appointmentBody(booking, site);
  if (booking.in_doubt_since !== undefined && !(await mayResend(ctx, booking, site, body, booking.in_doubt_since))) return;

  let claimed = null as LeadRecord | null;
  const result = await ctx.line.request(
    () => ctx.client.createAppointment(body),
    async () => {
      const now = ctx.clock.now();
      claimed = await ctx.store.update(
        booking.id,
        { in_doubt_since: now, written_at: now, attempts: booking.attempts + 1, updated_at: now, write_kind: 'appointment' },
        { ifStatus: 'queued', ifAttempts: booking.attempts },
      );
      return claimed !== null;
    },
  );
  if (!claimed || !result) return;
  if (!result.ok) return postFailed(ctx, claimed, site, result);
  await ctx.writes.following(claimed, result.jobId, ctx.clock.now() + ctx.policy.confirmFirstDelayMs);
  ctx.logger.info('tour.sent', { ...logOf(tour), target_lead_id: booking.target_lead_id, job_id: result.jobId });
}

/**
 * The guest card the tour goes onto: its lead's record (created, or the existing lead the lead was
 * written onto); for a lead confirmed without a readable record id, the id its create's write-status
 * gives, else the prospect's lead found in Propexo (returning.ts). 'handled': the tour waits (or became a dead letter), written here.
 */
async function guestCardOf(ctx: StepContext, tour: LeadRecord, site: SiteConfig): Promise<string | 'handled'> {
  const lead = tour.follows === undefined ? null : await ctx.store.get(tour.follows);
  // The lead is a dead letter or held: the tour waits for an operator's retry or release of it,
  // without a request of its own.
  if (lead && (lead.status === 'failed' || lead.status === 'held')) {
    const checks = tour.checks + 1;
    await ctx.writes.save(tour, {
      checks,
      error: `waiting_for_lead_${lead.status}`,
      next_attempt_at: ctx.clock.now() + retryDelay(ctx.policy, checks, ctx.random),
    });
    return 'handled';
  }
  const fromJob = lead ? await recordOfCreateJob(ctx, lead) : null;
  if (fromJob !== null) return fromJob;
  const existing = await existingLead(ctx, tour, site);
  if (existing === 'handled') return 'handled';
  if (existing !== null) return existing.id;
  // Confirmed, and still not found in Propexo a day on (or gone from the outbox): a person must book it.
  await ctx.writes.deadLetter(tour, 'tour_lead_not_found', { lead_id: tour.follows ?? null, lead_status: lead?.status ?? null });
  return 'handled';
}

/**
 * A lead confirmed without its record id (Propexo could not read the new lead back to prove it is
 * this prospect: without read-back it shows only after the next sync, hours on): the id its create's
 * write-status gives. Propexo documents it as the created record's, and ResMan has the lead at once;
 * were it not a lead, ResMan refuses the appointment (a dead letter), it never lands elsewhere.
 */
async function recordOfCreateJob(ctx: StepContext, lead: LeadRecord): Promise<string | null> {
  if (lead.status !== 'confirmed' || lead.target_lead_id !== undefined || lead.created_record_id !== undefined || lead.job_id === undefined)
    return null;
  const status = (await ctx.line.request(() => ctx.client.writeStatus(lead.job_id!)))!;
  if (!status.ok || (status.writeStatus !== 'SUCCESS' && status.writeStatus !== 'PARTIAL_SUCCESS')) return null;
  return status.createdRecordId;
}

function appointmentBody(tour: LeadRecord, site: SiteConfig): AppointmentBody {
  const clock = site.tours?.appointment_clock ?? TOUR_DEFAULTS.appointment_clock;
  const minutes = site.tours?.slot_minutes ?? TOUR_DEFAULTS.slot_minutes;
  const start = tour.tour_start!;
  const notes = [tourNote(start, site.time_zone, minutes), relayLine(`Booked through ${site.name}'s website`)].join('\n\n');
  return {
    integration_id: site.integration_id,
    lead_id: tour.target_lead_id!,
    lead_source_id: siteIds(tour, site).lead_source_id,
    ...appointmentFields(start, clock, site.time_zone),
    ...(tour.submission.unit_id ? { unit_id: tour.submission.unit_id } : {}),
    notes,
  };
}

/**
 * A tour whose POST may have landed: its job looked for in the `events` write logs (this lead, this
 * date and time); found, the tour follows it. Then, once the grace period is over, among the lead's
 * appointments in Propexo (they show after a sync): found, the tour is confirmed with its id. Sent
 * again (true) only past the grace period with neither showing it and a complete log; a log that
 * cannot be read (refused) leaves the appointments alone to say.
 */
async function mayResend(
  ctx: StepContext,
  tour: LeadRecord,
  site: SiteConfig,
  body: AppointmentBody,
  inDoubtSince: number,
): Promise<boolean> {
  const checks = tour.checks + 1;
  const retryIn = retryDelay(ctx.policy, checks, ctx.random);
  const logged = await findInEventLogs(ctx, tour, site, body, inDoubtSince);
  if (logged !== null && typeof logged === 'object' && 'ok' in logged && logged.kind !== 'rejected') {
    await ctx.writes.transient(tour, logged, retryIn, { checks });
    return false;
  }
  if (logged !== null && typeof logged === 'object' && 'job_id' in logged) {
    await ctx.writes.following(tour, logged.job_id, ctx.clock.now(), { written_at: inDoubtSince || tour.created_at });
    ctx.logger.info('lead.found_in_write_logs', {
      ...logOf(tour),
      job_id: logged.job_id,
      write_status: logged.status,
      write_kind: 'appointment',
    });
    return false;
  }
  // Within the grace period the job may still be running; past it, a log not read to its end proves nothing.
  if (ctx.clock.now() - inDoubtSince < ctx.policy.inDoubtGraceMs || logged === 'incomplete') {
    await ctx.writes.save(tour, { checks, next_attempt_at: ctx.clock.now() + retryIn });
    return false;
  }
  const query = { integration_id: site.integration_id, property_id: site.property_id, lead_id: body.lead_id };
  const listed = (await ctx.line.request(() => ctx.client.listAppointments(query)))!;
  if (!listed.ok) {
    await ctx.writes.transient(tour, listed, retryIn, { checks });
    return false;
  }
  const clock = site.tours?.appointment_clock ?? TOUR_DEFAULTS.appointment_clock;
  const mine = listed.items.find(
    (a) =>
      a.associated_lead_ids.includes(body.lead_id) &&
      a.appointment_datetime !== null &&
      appointmentInstant(a.appointment_datetime, clock, site.time_zone) === tour.tour_start,
  );
  if (mine) {
    await ctx.writes.confirmed(tour, mine.id, 'found_after_doubt');
    return false;
  }
  ctx.logger.warn('lead.resending_appointment', {
    ...logOf(tour),
    ...(inDoubtSince > 0 ? { in_doubt_ms: ctx.clock.now() - inDoubtSince } : { after: 'operator_retry' }),
    write_logs: logged === null ? 'complete' : 'refused',
  });
  return true;
}

/** The tour's job in the site's `events` write logs: same lead, date and time, held by no other record of the relay. */
async function findInEventLogs(ctx: StepContext, tour: LeadRecord, site: SiteConfig, body: AppointmentBody, inDoubtSince: number) {
  const read = await readWriteLogs(ctx, site, inDoubtSince - ctx.policy.clockSkewMs, 'events');
  if (!('logs' in read)) return read;
  for (const log of read.logs) {
    const p = log.parameters as Partial<AppointmentBody> | null;
    if (p?.lead_id !== body.lead_id || p?.appointment_date !== body.appointment_date || p?.appointment_time !== body.appointment_time)
      continue;
    const holder = await ctx.store.findByJobId(log.job_id);
    if (holder === null || holder.id === tour.id) return { job_id: log.job_id, status: log.status } satisfies OwnWrite;
  }
  return read.complete ? null : 'incomplete';
}
