import type { SiteConfig } from '../../config/sites.js';
import type { UpstreamFailure } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { retryDelay } from './policy.js';
import { heldAfterRefusal, refusedInDetails } from './site-wait.js';

/** A failed POST (a create's, or a write onto a lead's): the lead stays in doubt only when Propexo may have taken it anyway. */
export async function postFailed(ctx: StepContext, lead: LeadRecord, site: SiteConfig, failure: UpstreamFailure): Promise<void> {
  const settled = { in_doubt_since: failure.maybeDelivered ? lead.in_doubt_since : undefined };
  switch (failure.kind) {
    case 'rejected':
      // Refused for a site id (Propexo's issues name it, or the check found it wrong): the lead waits for the fix.
      if (await heldAfterRefusal(ctx, lead, site, refusedInDetails(failure.details), settled)) return;
      // Our request was wrong, not the prospect: Propexo's details are for the operator.
      return ctx.writes.deadLetter(lead, 'propexo_rejected', { status: failure.status, details: failure.details }, settled);
    case 'unauthorized':
      // Behind the others: if only this lead's integration is refused, the rest still go after the pause.
      await ctx.writes.save(
        lead,
        { ...settled, error: 'unauthorized', next_attempt_at: ctx.clock.now() + ctx.policy.authPauseMs },
        { type: 'attempt', detail: { outcome: 'unauthorized', reason: failure.reason, status: failure.status ?? null } },
      );
      return;
    default:
      return ctx.writes.transient(lead, failure, retryDelay(ctx.policy, lead.attempts, ctx.random), settled);
  }
}
