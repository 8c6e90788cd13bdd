/**
 * The shapes of the console's API answers (docs/http-api.md, "The console's API"), written out here:
 * the console imports lit and nothing of the relay, so it says what it reads itself.
 */
export type LeadStatus = 'queued' | 'sent' | 'confirmed' | 'failed' | 'held';
export const STATUSES: readonly LeadStatus[] = ['queued', 'sent', 'confirmed', 'failed', 'held'];

export interface Figures {
  accepted: number;
  delivered: number;
  confirmed: number;
  held: number;
  failed: number;
  median_confirm_ms: number | null;
  /** Tours booked (not held); absent from an older relay. */
  tours?: number;
}

export interface SiteRow {
  site: string;
  today: Figures;
  last_7_days: Figures;
  oldest_queued_at: number | null;
}

export interface PropexoState {
  requests_last_minute: number;
  budget_per_minute: number;
  requests_by_outcome: Record<string, number>;
  last_rate_limited_at: number | null;
  token_refused: boolean;
  paused_until: number | null;
  backlog: number;
}

export interface Overview {
  generated_at: number;
  counts: Partial<Record<LeadStatus, number>>;
  sites: SiteRow[];
  propexo: PropexoState | null;
}

export interface MaskedLead {
  id: string;
  site: string;
  status: LeadStatus;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  attempts: number;
  error: string | null;
  /** Why it waits or failed, in words (a site's wrong id, what Propexo or ResMan said), masked. */
  reason: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  target_move_in_date: string | null;
  desired_num_bedrooms: number | null;
  campaign: string | null;
  /** A lead's ResMan record; for a tour, its appointment's. */
  created_record_id: string | null;
  /** A booked tour's record: when it starts (ISO), and the lead it goes onto. */
  tour_start: string | null;
  tour_of: string | null;
}

export interface LeadList {
  leads: MaskedLead[];
  truncated: boolean;
}

export interface TimelineEvent {
  at: number;
  type: string;
  detail?: Record<string, unknown>;
}

export interface LeadDetail {
  lead: MaskedLead;
  history: TimelineEvent[];
}

/** A site's verdict in `GET /admin/api/sites` (as in `GET /admin/sites`); only what the overview shows. */
export interface SiteCheck {
  site: string;
  name?: string;
  status: 'unchecked' | 'ok' | 'misconfigured' | 'unknown';
  problems: { field: string; id?: string; problem: string; detail?: string }[];
  error?: string;
}

export interface SiteChecks {
  checked_at: number | null;
  sites: SiteCheck[];
}
