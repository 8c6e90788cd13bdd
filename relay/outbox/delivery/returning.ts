/**
 * Returning prospects: before a lead is created, is this person already a lead of the property?
 * A repeat within the dedupe window (`follows`) takes the record of its first inquiry once that
 * has one; anyone else is looked up in Propexo for the site's property, by email, then by phone.
 * Found, the inquiry is written onto that lead (onto-lead.ts) and no second guest card is made.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { FoundLead, UpstreamFailure } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { exactTime, phoneDigits, sameNames } from './matching.js';
import { fold } from './fingerprint.js';
import { retryDelay } from './policy.js';

/** Propexo's id of the prospect's lead and how it was found; null: none, create one; 'handled': the lead waits (written here). */
export type ExistingLead = { id: string; how: 'first_inquiry' | 'propexo' } | null | 'handled';

export async function existingLead(ctx: StepContext, lead: LeadRecord, site: SiteConfig): Promise<ExistingLead> {
  const first = lead.follows === undefined ? null : await ctx.store.get(lead.follows);
  // The first inquiry's guest card: the lead it created, or the one it was itself written onto.
  const recordOfFirst = first?.target_lead_id ?? (first?.status === 'confirmed' ? first.created_record_id : undefined);
  if (recordOfFirst !== undefined) return { id: recordOfFirst, how: 'first_inquiry' };
  if (first && (first.status === 'queued' || first.status === 'sent')) return waitFor(ctx, lead, first, 'waiting_for_first_inquiry');

  const found = await lookUp(ctx, lead, site);
  if (found !== null && 'ok' in found) {
    // Refused (a token that may not list leads, say): the lookup only spares a second guest card,
    // so the lead is created as it was before there was one.
    if (found.kind === 'rejected') {
      ctx.logger.warn('propexo.lookup_refused', { ...logOf(lead), status: found.status });
      return null;
    }
    // A refused token pauses every site (health.ts); the lead waits it out, as a create would.
    if (found.kind === 'unauthorized') {
      await ctx.writes.save(lead, { error: 'unauthorized', next_attempt_at: ctx.clock.now() + ctx.policy.authPauseMs });
      return 'handled';
    }
    const checks = lead.checks + 1;
    await ctx.writes.transient(lead, found, retryDelay(ctx.policy, checks, ctx.random), { checks });
    return 'handled';
  }
  if (found) return { id: found.id, how: 'propexo' };
  // The first inquiry went in, but Propexo has not read its lead back yet (no record id, not
  // found): wait for the sync, up to followUpWaitMs, rather than make a second guest card.
  const since = first?.confirmed_at;
  if (first?.status === 'confirmed' && since !== undefined && ctx.clock.now() - since < ctx.policy.followUpWaitMs) {
    return waitFor(ctx, lead, first, 'waiting_for_first_inquiry_record');
  }
  return null;
}

/** The lead waits for its first inquiry; logged once per reason, not at every look. */
async function waitFor(ctx: StepContext, lead: LeadRecord, first: LeadRecord, reason: string): Promise<'handled'> {
  const checks = lead.checks + 1;
  const at = ctx.clock.now() + retryDelay(ctx.policy, checks, ctx.random);
  await ctx.writes.save(lead, { checks, error: reason, next_attempt_at: Math.max(at, first.next_attempt_at) });
  if (lead.error !== reason) ctx.logger.info(`lead.${reason}`, { ...logOf(lead), first_lead_id: first.id, first_status: first.status });
  return 'handled';
}

/**
 * The prospect's lead at the site's property: by email (the address identifies the person); for a
 * lead without one, by phone with the same names (a phone is often a household's). One request per
 * lead: the budget is shared by every create. The newest record when there are several.
 */
async function lookUp(ctx: StepContext, lead: LeadRecord, site: SiteConfig): Promise<FoundLead | null | UpstreamFailure> {
  const { email_1, phone_1 } = lead.submission;
  const property = { integration_id: site.integration_id, property_id: site.property_id };
  // The contract requires an email or a phone.
  const [contact, matches]: [Record<string, string>, (record: FoundLead) => boolean] = email_1
    ? [{ email_1 }, (r) => !!r.email_1 && fold(r.email_1) === fold(email_1)]
    : [{ phone_1: phone_1! }, (r) => phoneDigits(r.phone_1) === phone_1 && sameNames(lead, r)];
  const result = (await ctx.line.request(() => ctx.client.findLeads({ ...property, ...contact })))!;
  if (!result.ok) return result;
  const newest = result.leads.filter(matches).sort((a, b) => (exactTime(b.created_at) || 0) - (exactTime(a.created_at) || 0));
  return newest[0] ?? null;
}
