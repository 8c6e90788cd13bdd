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
import { tourTerms } from '../../tours/settings.js';
import { appointmentInstant } from '../../tours/booked.js';
import { relayLine } from '../relay-lines.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { retryDelay } from './policy.js';
import { postFailed } from './post-failed.js';
import { samePerson } from './matching.js';
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
      // The age limit counts from here: the wait for the lead was bounded by the tour's start.
      { target_lead_id: card, write_kind: 'appointment', age_from: ctx.clock.now(), updated_at: ctx.clock.now() },
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
 * A lead confirmed without its record id: the id its create's write-status gives, unless Propexo
 * shows that record as someone else (confirm.ts refused it for that: the tour must not land on a
 * stranger's card). Propexo documents it as the created record's; when the record cannot be read
 * yet (without read-back it shows only after the next sync, hours on) it is taken, ResMan having the
 * lead at once; were it not a lead, ResMan refuses the appointment (a dead letter).
 */
async function recordOfCreateJob(ctx: StepContext, lead: LeadRecord): Promise<string | null> {
  if (lead.status !== 'confirmed' || lead.target_lead_id !== undefined || lead.created_record_id !== undefined || lead.job_id === undefined)
    return null;
  const status = (await ctx.line.request(() => ctx.client.writeStatus(lead.job_id!)))!;
  if (!status.ok || (status.writeStatus !== 'SUCCESS' && status.writeStatus !== 'PARTIAL_SUCCESS') || !status.createdRecordId) return null;
  const id = status.createdRecordId;
  const read = (await ctx.line.request(() => ctx.client.getLead(id)))!;
  // Propexo down for a moment: asked again at the tour's next look; a read it refuses or garbles
  // cannot tell, as when the record is not readable yet.
  if (!read.ok) return read.kind === 'rejected' || read.reason === 'unreadable_body' ? id : null;
  if (read.lead !== null && !samePerson(lead, read.lead)) return null;
  return id;
}

function appointmentBody(tour: LeadRecord, site: SiteConfig): AppointmentBody {
  const { appointment_clock: clock, slot_minutes: minutes } = tourTerms(site.tours);
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
 * again (true) only past the grace period with neither showing it and a complete log; with the logs
 * refused, a dead letter for a person to check (`in_doubt_unresolved`), never a blind second tour.
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
  const clock = tourTerms(site.tours).appointment_clock;
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
  // Write logs refused (a token without the admin scope): the listing shows an appointment only
  // after a sync, so its silence proves nothing; a second tour on the card is worse than asking.
  if (logged !== null) {
    await ctx.writes.deadLetter(tour, 'in_doubt_unresolved', {
      hint: "Propexo's write logs could not be read: look for this tour on the lead in ResMan, then discard or retry",
    });
    return false;
  }
  // Its time has come meanwhile: a second try would book the past.
  if (ctx.clock.now() >= tour.tour_start!) {
    await ctx.writes.deadLetter(tour, 'tour_time_passed', { tour_start: new Date(tour.tour_start!).toISOString(), in_doubt: true });
    return false;
  }
  ctx.logger.warn('lead.resending_appointment', {
    ...logOf(tour),
    ...(inDoubtSince > 0 ? { in_doubt_ms: ctx.clock.now() - inDoubtSince } : { after: 'operator_retry' }),
    write_logs: 'complete',
  });
  return true;
}

/**
 * The tour's job in the site's `events` write logs: same lead, date and time, finished since its
 * POST (less the clock skew), held by no other record of the relay; the earliest such. Only a
 * SUCCESS counts: a failed job made no appointment (and an earlier one, refused before the site was
 * fixed, must not be taken for this POST), so without a SUCCESS the tour may be sent again.
 */
async function findInEventLogs(ctx: StepContext, tour: LeadRecord, site: SiteConfig, body: AppointmentBody, inDoubtSince: number) {
  const since = inDoubtSince - ctx.policy.clockSkewMs;
  const read = await readWriteLogs(ctx, site, since, 'events');
  if (!('logs' in read)) return read;
  const mine = read.logs
    .filter((log) => {
      const p = log.parameters as Partial<AppointmentBody> | null;
      return (
        log.status === 'SUCCESS' &&
        Date.parse(log.created_at) >= since &&
        p?.lead_id === body.lead_id &&
        p?.appointment_date === body.appointment_date &&
        p?.appointment_time === body.appointment_time
      );
    })
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  for (const log of mine) {
    const holder = await ctx.store.findByJobId(log.job_id);
    if (holder === null || holder.id === tour.id) return { job_id: log.job_id, status: log.status } satisfies OwnWrite;
  }
  return read.complete ? null : 'incomplete';
}
