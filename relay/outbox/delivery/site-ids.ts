/** The site's four Propexo ids for a lead's writes, taken from its configuration when the lead is sent. */
import type { SiteConfig } from '../../config/sites.js';
import { SITE_ID_KINDS as ID_NAMES, type SiteIds } from '../../sites/types.js';
import type { LeadRecord } from '../store/types.js';

export type { SiteIds };

/**
 * The site's ids for a create, from its configuration as it is now: an operator's fix reaches the
 * dead letters it retries. The lead source is the one the site maps the lead's campaign to, else the
 * site's own; a lead stored before campaigns were kept (schema 4 and older) has no campaign and keeps
 * the source chosen when it was accepted.
 */
export function siteIds(lead: LeadRecord, site: SiteConfig): SiteIds {
  const mapped = lead.campaign === undefined ? lead.lead_source_id : site.lead_source_map?.get(lead.campaign);
  return {
    integration_id: site.integration_id,
    property_id: site.property_id,
    employee_id: site.employee_id,
    lead_source_id: mapped ?? site.lead_source_id,
  };
}

/** The names of the ids that differ from the last create's (none before the first, or if unreadable). */
export function changedIds(last: string | undefined, ids: SiteIds): string[] {
  if (last === undefined) return [];
  let before: Partial<SiteIds>;
  try {
    before = JSON.parse(last) as Partial<SiteIds>;
  } catch {
    return [];
  }
  return ID_NAMES.filter((name) => before[name] !== ids[name]);
}
