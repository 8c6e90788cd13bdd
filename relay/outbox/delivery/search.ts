/**
 * The in-doubt search: after a POST that may have landed, the prospect is looked for in Propexo
 * (by email, then by phone, as Propexo filters) before the lead is ever sent again.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { FoundLead, UpstreamFailure } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { createdSince, earliestCreation, sameNames } from './matching.js';

/** The lead's record; 'ambiguous' for an operator; null when Propexo has none; or the failure. */
export type SearchResult = FoundLead | 'ambiguous' | null | UpstreamFailure;

/**
 * A record with the lead's names, created no earlier than its POST less the clock skew (a bare
 * date counts as its whole day). Propexo filtered by the contact, so the names are what is checked
 * here. A candidate without a usable creation time could be an older lead of the same person:
 * that is 'ambiguous', never taken as this lead.
 */
export async function searchInPropexo(
  ctx: Pick<StepContext, 'client' | 'line' | 'policy'>,
  lead: LeadRecord,
  site: SiteConfig,
): Promise<SearchResult> {
  const { email_1, phone_1 } = lead.submission;
  const since = earliestCreation(lead.in_doubt_since || lead.created_at, ctx.policy.clockSkewMs);
  let undated = false;
  for (const contact of [email_1 && { email_1 }, phone_1 && { phone_1 }]) {
    if (!contact) continue;
    const result = (await ctx.line.request(() =>
      ctx.client.findLeads({ integration_id: site.integration_id, property_id: site.property_id, ...contact }),
    ))!; // never called off: no `ready`
    if (!result.ok) return result;
    const candidates = result.leads.filter((record) => sameNames(lead, record));
    const match = candidates.find((record) => createdSince(record.created_at, since, 'whole_day') === 'yes');
    if (match) return match;
    undated ||= candidates.some((record) => createdSince(record.created_at, since, 'whole_day') === 'unknown');
  }
  return undated ? 'ambiguous' : null;
}
