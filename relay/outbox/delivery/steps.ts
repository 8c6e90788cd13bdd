/**
 * Which step a due lead takes: past the age limit, a dead letter; without its site, it waits;
 * queued at a site misconfigured on one of its ids, it waits too (site-wait.ts); queued, it is sent (send.ts); sent, it waits for its property's next round (rounds.ts) or is
 * checked on its own (confirm.ts).
 */
import type { SiteConfig } from '../../config/sites.js';
import type { LeadRecord } from '../store/types.js';
import { confirm } from './confirm.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { retryDelay } from './policy.js';
import type { ConfirmationRounds } from './rounds.js';
import { send } from './send.js';
import { holdingProblems, waitForFix } from './site-wait.js';

/** `backlog`: creates are waiting, so rounds keep their slower pace. */
export async function takeStep(
  ctx: StepContext,
  rounds: ConfirmationRounds,
  sites: ReadonlyMap<string, SiteConfig>,
  lead: LeadRecord,
  backlog: boolean,
): Promise<void> {
  // A tour still waiting for its lead's guest card has its own deadline, its start (tour.ts): a lead
  // an operator retries days on still brings its tour along.
  const waitingTour = lead.tour_start !== undefined && lead.target_lead_id === undefined;
  if (!waitingTour && ctx.clock.now() - lead.age_from > ctx.policy.maxAgeMs) {
    const reason = lead.status === 'sent' ? 'write_not_confirmed_in_time' : 'not_delivered_in_time';
    return ctx.writes.deadLetter(lead, reason, { error: lead.error });
  }
  const site = sites.get(lead.site);
  // A site this process does not know (yet): another one accepted the lead with newer sites, or
  // the site was removed. The lead waits; the age limit makes it a dead letter if it never returns.
  if (!site) return waitForSite(ctx, lead);
  if (lead.status === 'queued') {
    const problems = holdingProblems(ctx, lead, site);
    return problems.length > 0 ? waitForFix(ctx, lead, problems) : send(ctx, lead, site);
  }
  // Its property's next round is near: no request of its own (only next_attempt_at is written).
  const until = rounds.waitUntil(lead, backlog);
  if (until !== null) return void (await ctx.store.update(lead.id, { next_attempt_at: until }, { ifStatus: 'sent' }));
  return confirm(ctx, lead, site);
}

async function waitForSite(ctx: StepContext, lead: LeadRecord): Promise<void> {
  const checks = lead.checks + 1;
  await ctx.writes.save(lead, {
    error: 'site_not_configured',
    checks,
    next_attempt_at: ctx.clock.now() + retryDelay(ctx.policy, checks, ctx.random),
  });
  ctx.logger.warn('lead.site_not_configured', logOf(lead));
}
