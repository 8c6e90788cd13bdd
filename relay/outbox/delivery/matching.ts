/**
 * Who a Propexo lead record is, and when it was made: the rules by which the deliverer takes a
 * record as one of its own leads. The in-doubt search (search.ts) and the confirmation rounds
 * (ownership.ts) both match with these, so they agree on who is the same prospect and on what a
 * `created_at` proves.
 */
import type { FoundLead } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import { fold } from './fingerprint.js';

/** The last 10 digits of a phone, or null with fewer (Propexo may add a country code or punctuation). */
export function phoneDigits(phone: string | null): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= 10 ? digits.slice(-10) : null;
}

/** First and last name, folded: what records and leads are grouped and compared by. */
export const nameKey = (first: string | null, last: string | null): string => `${fold(first ?? '')}\n${fold(last ?? '')}`;

/** The lead's own name key. */
export const leadNameKey = (lead: LeadRecord): string => nameKey(lead.submission.first_name, lead.submission.last_name);

/** The same folded first and last names. */
export const sameNames = (lead: LeadRecord, record: FoundLead): boolean =>
  nameKey(record.first_name, record.last_name) === leadNameKey(lead);

/** The same email (folded) or the same 10-digit phone (the lead's is stored as 10 digits). */
export function sameContact(lead: LeadRecord, record: FoundLead): boolean {
  const { email_1, phone_1 } = lead.submission;
  return (
    (!!email_1 && !!record.email_1 && fold(record.email_1) === fold(email_1)) || (!!phone_1 && phoneDigits(record.phone_1) === phone_1)
  );
}

/** The same prospect: same folded names, and the same email or phone. */
export const samePerson = (lead: LeadRecord, record: FoundLead): boolean => sameNames(lead, record) && sameContact(lead, record);

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Propexo's `created_at` as epoch ms, or NaN when it gives none, a bare date, or an unreadable one. */
export const exactTime = (createdAt: string | null): number =>
  createdAt && !BARE_DATE.test(createdAt) ? Date.parse(createdAt) : Number.NaN;

/** What a `created_at` says about "created no earlier than": yes, no, or unknown (no usable time). */
export type Evidence = 'yes' | 'no' | 'unknown';

/**
 * Whether a record was created at or after `since`. Only an exact time is evidence, unless
 * `bareDate` is 'whole_day': then a bare date answers for its whole (UTC) day. The in-doubt search
 * takes that, since a record of today may be the lead it is about to send again; a round never
 * does, since taking a record is its only way to be wrong.
 */
export function createdSince(createdAt: string | null, since: number, bareDate: 'no_evidence' | 'whole_day' = 'no_evidence'): Evidence {
  if (bareDate === 'whole_day' && createdAt && BARE_DATE.test(createdAt)) {
    return createdAt >= new Date(since).toISOString().slice(0, 10) ? 'yes' : 'no';
  }
  const t = exactTime(createdAt);
  return Number.isNaN(t) ? 'unknown' : t >= since ? 'yes' : 'no';
}

/**
 * The earliest `created_at` a record made by a create sent at `sentAt` (the relay's clock) can
 * carry: Propexo's clock may trail the relay's by up to `clockSkewMs`.
 */
export const earliestCreation = (sentAt: number, clockSkewMs: number): number => sentAt - clockSkewMs;
