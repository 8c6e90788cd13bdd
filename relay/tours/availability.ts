/**
 * What is taken in a site's tour slots, the one count the slots answer and a booking share: the
 * relay's own bookings (its store, tours not held) and the appointments Propexo lists for the
 * property, but for those that are the relay's own tours already delivered (counted once, from the
 * store, by their appointment id).
 */
import type { ToursAnswer } from '../../contract/tours.js';
import type { SiteConfig } from '../config/sites.js';
import type { LeadStore } from '../outbox/store/types.js';
import type { BookedTours } from './booked.js';
import type { TourSettings } from './settings.js';
import { openSlots } from './slots.js';

const DAY = 86_400_000;
const MINUTE = 60_000;

export interface SlotsTaken {
  /** The relay's bookings starting at this instant. */
  relay(start: number): number;
  /** Propexo's other appointments in the slot starting at this instant (on the grid or not). */
  listed(start: number): number;
}

export interface AvailabilityDeps {
  store: Pick<LeadStore, 'tourBookings'>;
  booked: BookedTours;
}

/** Every booking that could fall in the site's window at `now`: from now to a day past its last date. */
export async function slotsTaken(
  deps: AvailabilityDeps,
  site: SiteConfig & { tours: TourSettings },
  now: number,
  waitUntil?: (p: Promise<unknown>) => void,
): Promise<SlotsTaken> {
  const [relay, listed] = await Promise.all([
    deps.store.tourBookings(site.slug, now, now + (site.tours.days_ahead + 1) * DAY),
    deps.booked.listed(site, waitUntil),
  ]);
  const relayTaken = new Map(relay.map((b) => [b.start, b.count]));
  const ours = new Set(relay.flatMap((b) => b.appointment_ids));
  const others = (listed ?? []).filter((t) => !ours.has(t.id)).map((t) => t.start);
  const span = site.tours.slot_minutes * MINUTE;
  return {
    relay: (start) => relayTaken.get(start) ?? 0,
    listed: (start) => others.filter((t) => t >= start && t < start + span).length,
  };
}

/** The slots answer (`GET …/tours`, and a 409 slot_taken's `tours`) from what is taken. */
export function toursAnswer(
  site: SiteConfig & { tours: TourSettings },
  now: number,
  taken: SlotsTaken,
  range: { from?: string; days?: number } = {},
): ToursAnswer {
  const days = openSlots({
    settings: site.tours,
    timeZone: site.time_zone,
    now,
    ...range,
    taken: (start) => taken.relay(start) + taken.listed(start),
  });
  return {
    site: site.slug,
    time_zone: site.time_zone,
    slot_minutes: site.tours.slot_minutes,
    address: site.tours.address ?? null,
    days: days.map((d) => ({ date: d.date, weekday: d.weekday, slots: d.slots.map((s) => ({ start: s.start, label: s.label })) })),
  };
}
