/**
 * A queued lead: looked for first if an earlier POST may have landed, then, unless the prospect
 * already has a lead at the property (returning.ts: then the inquiry goes onto it, onto-lead.ts),
 * sent once. The lead is marked in doubt right before its POST leaves and the mark is cleared only
 * by an answer that proves where it stands, so no crash or failure ever leads to a blind second create.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { CreateLeadResult } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { retryDelay } from './policy.js';
import { sendOntoLead } from './onto-lead.js';
import { postFailed } from './post-failed.js';
import { existingLead } from './returning.js';
import { findInWriteLogs, searchInPropexo } from './search.js';
import { changedIds, siteIds } from './site-ids.js';
import { sendTour } from './tour.js';

export async function send(ctx: StepContext, lead: LeadRecord, site: SiteConfig): Promise<void> {
  // A booked tour goes onto its lead's guest card as an appointment, never as a lead or an inquiry.
  if (lead.tour_start !== undefined) return sendTour(ctx, lead, site);
  if (lead.target_lead_id !== undefined) return sendOntoLead(ctx, lead, site);
  if (lead.in_doubt_since !== undefined && !(await mayResend(ctx, lead, site, lead.in_doubt_since))) return;
  if (site.returning === 'event') {
    const existing = await existingLead(ctx, lead, site);
    if (existing === 'handled') return;
    if (existing !== null) {
      // The decision is written before any write onto that lead: a crash after it resumes there.
      const decided = await ctx.store.update(
        lead.id,
        { target_lead_id: existing.id, in_doubt_since: undefined, updated_at: ctx.clock.now() },
        { ifStatus: 'queued', ifAttempts: lead.attempts },
      );
      if (!decided) return;
      ctx.logger.info('lead.returning_prospect', { ...logOf(lead), target_lead_id: existing.id, found_by: existing.how });
      return sendOntoLead(ctx, decided, site);
    }
  }
  const { claimed, result } = await post(ctx, lead, site);
  if (!claimed || !result) return; // another task had it, or the deliverer stopped
  if (result.ok) return sent(ctx, claimed, result);
  return postFailed(ctx, claimed, site, result);
}

/**
 * A lead whose earlier POST may have landed: looked for first in Propexo's write logs (its own job,
 * which they show without waiting for a sync: the lead then follows that job as if the POST had
 * answered), then by a lead search; sent again (true) only once the grace period after that POST has
 * passed with neither showing it, and a complete write log. Anything else is written here.
 */
async function mayResend(ctx: StepContext, lead: LeadRecord, site: SiteConfig, inDoubtSince: number): Promise<boolean> {
  const { writes, clock, policy, random } = ctx;
  const checks = lead.checks + 1;
  let logged = await findInWriteLogs(ctx, lead, site, inDoubtSince);
  if (logged !== null && typeof logged === 'object' && 'ok' in logged) {
    // Refused (a token without the admin scope, say): the search alone decides, as it did before.
    if (logged.kind !== 'rejected') {
      await writes.transient(lead, logged, retryDelay(policy, checks, random), { checks });
      return false;
    }
    ctx.logger.warn('propexo.write_logs_refused', { ...logOf(lead), status: logged.status });
    logged = null;
  }
  if (logged !== null && logged !== 'incomplete') {
    // 0: an operator's retry, whose POST's time is not known.
    await writes.following(lead, logged.job_id, clock.now(), { written_at: inDoubtSince || lead.created_at });
    ctx.logger.info('lead.found_in_write_logs', { ...logOf(lead), job_id: logged.job_id, write_status: logged.status });
    return false;
  }
  const found = await searchInPropexo(ctx, lead, site);
  if (found === 'ambiguous') {
    await writes.deadLetter(lead, 'in_doubt_unresolved', {
      hint: 'Propexo has a lead of this prospect without a creation time: check ResMan, then discard or retry',
    });
  } else if (found !== null && 'ok' in found) {
    await writes.transient(lead, found, retryDelay(policy, checks, random), { checks });
  } else if (found) {
    await writes.confirmed(lead, found.id, 'found_after_doubt');
  } else if (clock.now() - inDoubtSince < policy.inDoubtGraceMs || logged === 'incomplete') {
    // Within the grace period the job may still be running; past it, a log that was not read to
    // its end cannot prove the POST never landed.
    await writes.save(lead, { checks, next_attempt_at: clock.now() + retryDelay(policy, checks, random) });
  } else {
    // 0 is an operator's retry (requeue.ts): that POST's time is not kept, so there is no duration to give.
    const since = inDoubtSince > 0 ? { in_doubt_ms: clock.now() - inDoubtSince } : { after: 'operator_retry' };
    ctx.logger.warn('lead.resending_after_search', { ...logOf(lead), ...since });
    return true;
  }
  return false;
}

/**
 * The POST. The lead is claimed (in doubt, one more attempt) once the budget is granted, right
 * before the request leaves: if the relay dies while it is in flight, the next run searches first,
 * and the grace period counts from the real send.
 */
async function post(
  ctx: StepContext,
  lead: LeadRecord,
  site: SiteConfig,
): Promise<{ claimed: LeadRecord | null; result: CreateLeadResult | null }> {
  let claimed = null as LeadRecord | null;
  const ids = siteIds(lead, site);
  const result = await ctx.line.request(
    () => ctx.client.createLead({ ...ids, ...lead.submission }),
    async () => {
      const now = ctx.clock.now();
      claimed = await ctx.store.update(
        lead.id,
        // The ids go with the claim: the next create of this lead compares its own with them.
        { in_doubt_since: now, written_at: now, attempts: lead.attempts + 1, updated_at: now, sent_ids: JSON.stringify(ids) },
        // A claim names the attempt it read: of two deliverers holding the same lead, one POSTs.
        { ifStatus: 'queued', ifAttempts: lead.attempts },
      );
      const changed = changedIds(lead.sent_ids, ids);
      if (claimed && changed.length > 0) ctx.logger.info('lead.ids_changed', { ...logOf(lead), attempt: lead.attempts + 1, changed });
      return claimed !== null;
    },
  );
  return { claimed, result };
}

async function sent(ctx: StepContext, lead: LeadRecord, result: CreateLeadResult & { ok: true }): Promise<void> {
  await ctx.writes.following(lead, result.jobId, ctx.clock.now() + ctx.policy.confirmFirstDelayMs);
  ctx.logger.info('lead.sent', {
    ...logOf(lead),
    attempt: lead.attempts,
    job_id: result.jobId,
    upstream_remaining: result.rateLimitRemaining,
  });
}
