/**
 * What every store shares about a lead's timeline (types.ts, LeadEvent): the events an accept
 * writes, the check on an event before it is stored, and the overview's row of a lead.
 */
import { LEAD_EVENT_TYPES, type LeadActivity, type LeadEvent, type LeadListFilter, type LeadRecord } from './types.js';

/** The events a stored lead starts with: accepted, and held with its reason when it is held. */
export function acceptEvents(record: LeadRecord): LeadEvent[] {
  const accepted: LeadEvent = { at: record.created_at, type: 'accepted' };
  if (record.status !== 'held') return [accepted];
  return [accepted, { at: record.created_at, type: 'held', detail: { reason: record.error ?? null } }];
}

/** Detail values are short scalars; a longer text is a sign something personal slipped in. */
const DETAIL_TEXT_MAX = 300;

export function assertLeadEvent(event: LeadEvent): void {
  if (typeof event !== 'object' || event === null) throw new TypeError('lead event: not an object');
  if (!Number.isFinite(event.at)) throw new TypeError('lead event: at must be a finite number');
  if (!(LEAD_EVENT_TYPES as readonly string[]).includes(event.type)) throw new TypeError('lead event: unknown type');
  if (event.detail === undefined) return;
  if (typeof event.detail !== 'object' || event.detail === null || Array.isArray(event.detail)) {
    throw new TypeError('lead event: detail must be an object');
  }
  for (const [key, value] of Object.entries(event.detail)) {
    const ok =
      value === null ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= DETAIL_TEXT_MAX);
    if (!ok) throw new TypeError(`lead event: detail ${key} must be a short scalar`);
  }
}

/** The event as stored: detail as JSON text or null. */
export const detailText = (event: LeadEvent): string | null => (event.detail === undefined ? null : JSON.stringify(event.detail));

/** An event read back from its columns. */
export function eventOf(row: { at: number; type: string; detail: string | null }): LeadEvent {
  const event: LeadEvent = { at: Number(row.at), type: row.type as LeadEvent['type'] };
  if (row.detail !== null) event.detail = JSON.parse(row.detail);
  return event;
}

export function activityOf(
  record: Pick<LeadRecord, 'id' | 'site' | 'status' | 'created_at' | 'confirmed_at' | 'attempts' | 'error' | 'tour_start'>,
): LeadActivity {
  const row: LeadActivity = {
    id: record.id,
    site: record.site,
    status: record.status,
    created_at: record.created_at,
    attempts: record.attempts,
  };
  if (record.confirmed_at != null) row.confirmed_at = record.confirmed_at;
  if (record.error != null) row.error = record.error;
  if (record.tour_start != null) row.tour = true;
  return row;
}

/** The console's date range and search (LeadListFilter), as the SQL stores apply them. */
export function matchesSearch(record: { created_at: number; submission: string }, filter: LeadListFilter): boolean {
  if (filter.createdFrom !== undefined && record.created_at < filter.createdFrom) return false;
  if (filter.createdBefore !== undefined && record.created_at >= filter.createdBefore) return false;
  if (filter.email === undefined && filter.phone === undefined) return true;
  const s = JSON.parse(record.submission) as { email_1?: string; phone_1?: string; phone_2?: string };
  if (filter.email !== undefined && s.email_1?.toLowerCase() !== filter.email.toLowerCase()) return false;
  return filter.phone === undefined || s.phone_1 === filter.phone || s.phone_2 === filter.phone;
}

/** Whether a list asks for more than site and status (the SQL stores then build the statement). */
export const isSearch = (f: LeadListFilter): boolean =>
  f.createdFrom !== undefined || f.createdBefore !== undefined || f.email !== undefined || f.phone !== undefined;
