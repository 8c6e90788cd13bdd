/**
 * A booking's `tour` (beside the prospect's fields and `meta`): its shape, then whether its `start`
 * is a slot the site offers now. The place itself is taken by the store, with the lead, in one
 * atomic step (`accept` with a tour): this check gives it how many of the relay's tours the slot
 * takes after Propexo's own appointments in it.
 */
import type { FieldIssue } from '../../contract/errors.js';
import type { TourRequest, ToursAnswer } from '../../contract/tours.js';
import type { SiteConfig } from '../config/sites.js';
import { slotsTaken, toursAnswer, type AvailabilityDeps } from './availability.js';
import type { TourSettings } from './settings.js';
import { checkSlotStart } from './slots.js';

/** The longest `start` read: an ISO instant is 25 characters, with milliseconds 29. */
const MAX_START = 40;

type SiteWithTours = SiteConfig & { tours: TourSettings };

/** The shape of `tour`: `{ start }` and nothing else; the issues are named `tour.<key>`. */
export function parseTourRequest(raw: unknown, site: SiteConfig): { ok: true; value: TourRequest } | { ok: false; fields: FieldIssue[] } {
  if (!site.tours) return { ok: false, fields: [{ field: 'tour', code: 'unknown_field' }] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, fields: [{ field: 'tour', code: 'invalid_type' }] };
  const fields: FieldIssue[] = Object.keys(raw)
    .filter((key) => key !== 'start')
    .map((key) => ({ field: `tour.${key}`, code: 'unknown_field' }));
  const { start } = raw as { start?: unknown };
  if (start === undefined) fields.push({ field: 'tour.start', code: 'required' });
  else if (typeof start !== 'string') fields.push({ field: 'tour.start', code: 'invalid_type' });
  else if (start.length > MAX_START) fields.push({ field: 'tour.start', code: 'too_long' });
  return fields.length > 0 ? { ok: false, fields } : { ok: true, value: { start: start as string } };
}

export type BookingCheck =
  | { ok: true; start: number; capacity: number }
  /** Not a start the site ever offers (off the grid, not an instant): the client's mistake. */
  | { ok: false; fields: FieldIssue[] }
  /** A real slot no longer open (taken, or past the notice, or closed meanwhile): the slots open now. */
  | { ok: false; tours: ToursAnswer };

export async function checkBooking(
  deps: AvailabilityDeps,
  site: SiteWithTours,
  tour: TourRequest,
  now: number,
  waitUntil?: (p: Promise<unknown>) => void,
): Promise<BookingCheck> {
  const slot = checkSlotStart({ settings: site.tours, timeZone: site.time_zone, now, start: tour.start });
  if (!slot.ok && slot.reason === 'not_a_slot') return { ok: false, fields: [{ field: 'tour.start', code: 'invalid_choice' }] };
  const taken = await slotsTaken(deps, site, now, waitUntil);
  if (!slot.ok) return { ok: false, tours: toursAnswer(site, now, taken) };
  // A slot the relay's own bookings fill still goes to the store: it answers a replay of the very
  // booking that filled it (a double tap, a retry without its key) before it refuses a new one.
  const start = slot.slot.start_ms;
  return { ok: true, start, capacity: Math.max(0, site.tours.per_slot - taken.listed(start)) };
}

/** The slots open now, for a booking the store refused because the last place went meanwhile. */
export async function freshTours(
  deps: AvailabilityDeps,
  site: SiteWithTours,
  now: number,
  waitUntil?: (p: Promise<unknown>) => void,
): Promise<ToursAnswer> {
  return toursAnswer(site, now, await slotsTaken(deps, site, now, waitUntil));
}
