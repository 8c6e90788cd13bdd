/**
 * What checking a site against Propexo finds, as the deliverer, the routes, the CLI and an alerting
 * module see it. Types only, so the deliverer can hold a lead on them without importing the checker.
 */

/** The four ids a lead is sent with. */
export const SITE_ID_KINDS = ['integration_id', 'property_id', 'employee_id', 'lead_source_id'] as const;
export type SiteIdKind = (typeof SITE_ID_KINDS)[number];
export type SiteIds = Record<SiteIdKind, string>;

/**
 * - `not_found`: not in Propexo's list where it must be (the integration's properties, the property's
 *   employees or lead sources);
 * - `inactive`: listed, with `is_active: false` (properties and employees; the spec gives lead sources no such flag);
 * - `refused`: Propexo (a 400 naming it) or ResMan (a failed write, "Transaction Source could not be
 *   found") refused a lead sent with it.
 */
export type SiteProblemKind = 'not_found' | 'inactive' | 'refused';

export interface SiteProblem {
  /** Where in the site's entry: `employee_id`, `lead_source_map.google`. */
  field: string;
  /** Which of a lead's four ids it is. */
  kind: SiteIdKind;
  id: string;
  problem: SiteProblemKind;
  /** For people: what is wrong, in a sentence. */
  detail: string;
  /** Found by the check (Propexo's lists), or learned from delivery (a write refused). */
  source: 'check' | 'delivery';
}

/**
 * - `unchecked`: not checked yet (a new or changed entry, checked at once);
 * - `ok`: the last check passed;
 * - `misconfigured`: an id is wrong (`problems`); its leads wait, queued, until a check of a changed entry passes;
 * - `unknown`: no check of this entry has been completed (Propexo unreachable, 429, token refused): leads go as usual.
 */
export type SiteCheckStatus = 'unchecked' | 'ok' | 'misconfigured' | 'unknown';

export interface SiteCheck {
  site: string;
  name: string;
  status: SiteCheckStatus;
  problems: SiteProblem[];
  /** When the last completed check of this entry ran (epoch ms), or null. */
  checked_at: number | null;
  /** Why the last attempt did not complete (`unavailable:http_503`, `rate_limited:http_429`), if it did not. */
  error?: string;
}

export interface SiteChecksReport {
  /** When the last check run ended (epoch ms), or null before the first. */
  checked_at: number | null;
  sites: SiteCheck[];
}

/**
 * What an alerting module subscribes to (SiteChecks.subscribe): one event per change of a site's
 * verdict, never one per check.
 * - `site.misconfigured`: the site has problems (new ones, or others than before);
 * - `site.fixed`: it had problems and has none now (a check passed, or the entry changed and passed);
 * - `site.check_failed`: a check could not complete for this entry (once per failing spell).
 */
export type SiteCheckEvent =
  | { type: 'site.misconfigured'; site: string; name: string; problems: SiteProblem[]; at: number }
  | { type: 'site.fixed'; site: string; name: string; at: number }
  | { type: 'site.check_failed'; site: string; name: string; error: string; at: number };

/** What the deliverer asks before it sends a lead, and tells after a write is refused. */
export interface SiteGate {
  /** The problems that hold a lead sent with `ids` at this site: none, it goes. */
  holding(slug: string, ids: SiteIds): SiteProblem[];
  /**
   * Propexo or ResMan refused a write made with `id` as `kind`: the site is misconfigured on it until
   * its entry changes (or an operator checks again). False when the site no longer uses that id.
   */
  refused(slug: string, kind: SiteIdKind, id: string, detail: string): boolean;
}

/** The checks as the routes reach them: in this process (Node), or in the outbox object (Workers). */
export interface SiteChecksSource {
  report(): Promise<SiteChecksReport>;
  /** Checks every site now, forgetting what delivery learned; resolves with the new report. */
  checkNow(): Promise<SiteChecksReport>;
}
