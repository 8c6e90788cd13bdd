/**
 * A sent lead checked on its own: its write job is followed with write-status until Propexo says it
 * is done, and a failed write is retried a few times. (Confirmation rounds, rounds.ts, confirm most
 * sent leads for less; what they miss comes here.)
 */
import type { SiteConfig } from '../../config/sites.js';
import type { UpstreamFailure } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { samePerson } from './matching.js';
import { checkDelay } from './policy.js';
import { writtenOntoLead } from './onto-lead.js';
import { findJobInWriteLogs, searchInPropexo } from './search.js';
import { heldAfterRefusal, refusedInErrors } from './site-wait.js';

export async function confirm(ctx: StepContext, lead: LeadRecord, site: SiteConfig): Promise<void> {
  const { writes } = ctx;
  const status = (await ctx.line.request(() => ctx.client.writeStatus(lead.job_id!)))!;
  if (!status.ok) return statusFailed(ctx, lead, site, status);
  switch (status.writeStatus) {
    case 'SUCCESS':
    case 'PARTIAL_SUCCESS': {
      const partial = status.writeStatus === 'PARTIAL_SUCCESS' ? status.errors : undefined;
      // An event or update onto an existing lead: its created_record_id is the event's, not a lead.
      if (lead.target_lead_id !== undefined) return writtenOntoLead(ctx, lead, partial, status.createdRecordId);
      const recordId = await recordOf(ctx, lead, status.createdRecordId);
      if (recordId === undefined) return checkLater(ctx, lead);
      return void (await writes.confirmed(lead, recordId, 'write_status', partial, true));
    }
    case 'PENDING':
      return checkLater(ctx, lead);
    case 'FAILURE':
      return writeFailed(ctx, lead, site, status.errors);
  }
}

/** write-status checks after which a created record that cannot be read leaves the lead confirmed without its id. */
const RECORD_READ_TRIES = 3;

/**
 * The lead's Propexo id from a finished write's `created_record_id`, which "could be related to a
 * different model than expected" (spec): taken only once `GET /v1/leads/{id}` shows this prospect.
 * Null when it is not (or not yet readable: the write is done all the same, only the id is unknown);
 * undefined when Propexo could not be asked, so the check comes again.
 */
async function recordOf(ctx: StepContext, lead: LeadRecord, createdRecordId: string | null): Promise<string | null | undefined> {
  if (createdRecordId === null) return null;
  const read = (await ctx.line.request(() => ctx.client.getLead(createdRecordId)))!;
  // The write is done whatever this read says: an answer that cannot tell, or one that keeps
  // failing, costs only the id, never the confirmation.
  if (!read.ok) return read.kind === 'rejected' || read.reason === 'unreadable_body' || lead.checks >= RECORD_READ_TRIES ? null : undefined;
  if (read.lead && samePerson(lead, read.lead)) return read.lead.id;
  ctx.logger.warn('lead.created_record_not_this_lead', {
    ...logOf(lead),
    job_id: lead.job_id,
    created_record_id: createdRecordId,
    readable: read.lead !== null,
  });
  return null;
}

/** The next check, at a growing gap. */
async function checkLater(ctx: StepContext, lead: LeadRecord): Promise<void> {
  const checks = lead.checks + 1;
  await ctx.writes.save(lead, { checks, next_attempt_at: ctx.clock.now() + checkDelay(ctx.policy, checks, ctx.random) });
}

async function statusFailed(ctx: StepContext, lead: LeadRecord, site: SiteConfig, failure: UpstreamFailure): Promise<void> {
  // The spec documents 200 and 400 only: a 400 (or a 404) for a job id Propexo gave is a job it no longer knows.
  if (failure.kind === 'rejected' && (failure.status === 400 || failure.status === 404)) return jobUnknown(ctx, lead, site);
  if (failure.kind === 'unauthorized')
    return void (await ctx.writes.save(lead, { error: 'unauthorized', next_attempt_at: ctx.clock.now() }));
  const checks = lead.checks + 1;
  return ctx.writes.transient(lead, failure, checkDelay(ctx.policy, checks, ctx.random), { checks });
}

/** When the job's request left; leads stored before schema 6 know only when they came in. */
const writtenAt = (lead: LeadRecord) => lead.written_at ?? lead.created_at;

/**
 * Propexo's write-status no longer knows the job (a 400). Its write logs, which do not wait for a
 * sync, are asked first by the job's id: SUCCESS confirms the lead, FAILURE is a failed write. Then
 * the lead itself is looked for (without Propexo's read-back it shows only after a sync). Only a
 * complete write log without the job, once the grace period since the job's request left has
 * passed (time for Propexo to have logged it), makes it a dead letter; before that it is checked again.
 * Write logs refused (a token without the admin scope): the search alone decides, as before.
 */
async function jobUnknown(ctx: StepContext, lead: LeadRecord, site: SiteConfig): Promise<void> {
  const { writes, policy, clock } = ctx;
  const checks = lead.checks + 1;
  // Events and appointments are both `events` in the write logs; creates and updates `leads`.
  const category = lead.write_kind === 'event' || lead.write_kind === 'appointment' ? 'events' : 'leads';
  let logged: Awaited<ReturnType<typeof findJobInWriteLogs>> | 'refused' = await findJobInWriteLogs(
    ctx,
    lead.job_id!,
    site,
    writtenAt(lead),
    category,
  );
  if (logged !== null && typeof logged === 'object' && 'ok' in logged) {
    if (logged.kind !== 'rejected') return writes.transient(lead, logged, checkDelay(policy, checks, ctx.random), { checks });
    ctx.logger.warn('propexo.write_logs_refused', { ...logOf(lead), status: logged.status });
    logged = 'refused';
  }
  if (logged !== null && typeof logged === 'object') {
    if (logged.status === 'FAILURE') return writeFailed(ctx, lead, site, ['write logs: FAILURE']);
    if (lead.target_lead_id !== undefined) return writtenOntoLead(ctx, lead);
    return void (await writes.confirmed(lead, null, 'write_logs_after_unknown_job', undefined, true));
  }
  if (lead.target_lead_id !== undefined) return ontoLeadJobUnknown(ctx, lead, logged);
  const found = await searchInPropexo(ctx, lead, site);
  if (found === 'ambiguous') return writes.deadLetter(lead, 'job_not_found', { job_id: lead.job_id, ambiguous: true });
  if (found !== null && 'ok' in found) return writes.transient(lead, found, checkDelay(policy, checks, ctx.random), { checks });
  if (found !== null) return void (await writes.confirmed(lead, found.id, 'found_after_unknown_job', undefined, true));
  // Not found: a dead letter only when the write logs could say so (or were refused).
  if (logged === 'refused' || (logged === null && clock.now() - writtenAt(lead) >= policy.inDoubtGraceMs))
    return writes.deadLetter(lead, 'job_not_found', { job_id: lead.job_id });
  return checkLater(ctx, lead);
}

/**
 * A write onto an existing lead whose job Propexo no longer knows and its log does not show: no
 * search can find an event, so once the log is complete past the grace period (or cannot be read),
 * the write is sent again; a second event is the worst that can come of it, never a second guest card.
 */
async function ontoLeadJobUnknown(ctx: StepContext, lead: LeadRecord, logged: null | 'incomplete' | 'refused'): Promise<void> {
  if (logged === 'incomplete' || ctx.clock.now() - writtenAt(lead) < ctx.policy.inDoubtGraceMs) return checkLater(ctx, lead);
  // A tour goes back in doubt: its send looks for it once more (tour.ts), a second appointment being
  // a double booking, not a second note on the card.
  const doubt = lead.write_kind === 'appointment' ? { in_doubt_since: writtenAt(lead) } : {};
  await ctx.writes.save(lead, {
    ...doubt,
    status: 'queued',
    job_id: undefined,
    checks: 0,
    write_retries: 0,
    next_attempt_at: ctx.clock.now(),
  });
  ctx.logger.warn('lead.write_not_found_resending', { ...logOf(lead), job_id: lead.job_id, write_kind: lead.write_kind });
}

/**
 * FAILURE: retry-write a few times, then a dead letter. A write refused for a site id (ResMan does
 * not know its lead source, or the check found an id it was sent with wrong) is not retried as it
 * was: the lead is queued again, waits for the site's fix, and is written anew with the fixed ids.
 */
async function writeFailed(ctx: StepContext, lead: LeadRecord, site: SiteConfig, errors: string[]): Promise<void> {
  const { writes, policy } = ctx;
  // Right after a retry-write, FAILURE may still be the old answer: only one that outlasts a few
  // checks (and a webhook about the old failure) counts as the retry failing too.
  if (lead.write_retries > 0 && lead.checks < policy.failureChecksAfterRetry) return checkLater(ctx, lead);
  // FAILURE is Propexo's word that the write did not happen: written anew, it cannot make a second lead.
  const requeued = { status: 'queued', job_id: undefined, in_doubt_since: undefined, write_retries: 0, checks: 0 } as const;
  if (await heldAfterRefusal(ctx, lead, site, refusedInErrors(errors), requeued)) return;
  if (lead.write_retries >= policy.maxWriteRetries) return writes.deadLetter(lead, 'write_failed', { errors });
  const retried = (await ctx.line.request(() => ctx.client.retryWrite(lead.job_id!)))!;
  // Every call counts, answered or not: a retry-write that keeps failing must not repeat forever.
  const write_retries = lead.write_retries + 1;
  if (!retried.ok) return writes.transient(lead, retried, checkDelay(policy, lead.checks + 1, ctx.random), { checks: 0, write_retries });
  if (!retried.success) return writes.deadLetter(lead, 'write_retry_refused', { errors });
  // The retried write is a NEW job (spec): it is the one followed from now on. Without a new id,
  // the old one is.
  const job_id = retried.jobId ?? lead.job_id;
  await writes.save(
    lead,
    {
      job_id,
      written_at: ctx.clock.now(),
      write_retries,
      checks: 0,
      next_attempt_at: ctx.clock.now() + policy.confirmFirstDelayMs,
    },
    { type: 'write_status', detail: { result: 'FAILURE', retried: write_retries } },
  );
  ctx.logger.warn('lead.write_retried', { ...logOf(lead), job_id, failed_job_id: lead.job_id, retry: write_retries, errors });
}
