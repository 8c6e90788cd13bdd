/**
 * The tours Propexo already lists for a property (`GET /v1/appointments/`): booked by the office in
 * ResMan, or by another channel. The slots route takes them off what it offers. One copy per
 * integration and property through the form cache (form-cache.ts), refreshed every minute behind the
 * answer: a tour booked a minute ago in ResMan may still be offered, and the office sees the double
 * booking on the guest card; the relay's own bookings are counted from its store, exactly.
 */
import type { SiteConfig } from '../config/sites.js';
import type { Logger } from '../lib/log.js';
import type { PropexoClient } from '../propexo/client.js';
import { createFormCache } from '../propexo/form-cache.js';
import type { AppointmentClock } from './settings.js';
import { zonedWallTimeToInstant } from './zoned-time.js';

/** Propexo's appointments change with every booking: a copy serves a minute. */
export const BOOKED_TOURS_TTL_MS = 60_000;

/** An appointment Propexo lists: its id, and when it starts (epoch ms) in the site's appointment clock. */
export interface ListedTour {
  id: string;
  start: number;
}

export interface BookedTours {
  /** The property's listed appointments; null when there has never been a copy (Propexo unreachable since the start). */
  listed(site: SiteConfig, waitUntil?: (work: Promise<unknown>) => void): Promise<ListedTour[] | null>;
}

/**
 * An appointment's `appointment_datetime` as an instant. ResMan reads a booking's date and time in
 * one clock (the site's `appointment_clock`) and Propexo gives them back as an ISO time: in UTC it
 * is the instant; in property time its wall clock is the property's, whatever offset it carries.
 */
export function appointmentInstant(iso: string, clock: AppointmentClock, timeZone: string): number | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  if (clock === 'utc') return ms;
  const wall = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return wall ? zonedWallTimeToInstant(wall[1]!, wall[2]!, timeZone) : null;
}

export function createBookedTours(
  client: Pick<PropexoClient, 'listAppointments'>,
  options: { clock: { now(): number }; logger: Logger },
): BookedTours {
  const cache = createFormCache({ ...options, ttlMs: BOOKED_TOURS_TTL_MS, retryMs: 30_000 });
  return {
    async listed(site, waitUntil) {
      const tours = site.tours;
      if (!tours) return [];
      const key = `appointments:${JSON.stringify([site.integration_id, site.property_id])}`;
      const read = await cache.get(
        key,
        async () => {
          const res = await client.listAppointments({ integration_id: site.integration_id, property_id: site.property_id });
          if (!res.ok) return { ok: false, log: { site: site.slug, list: 'appointments', kind: res.kind, reason: res.reason } };
          if (!res.complete) options.logger.warn('tours.appointments_truncated', { site: site.slug, kept: res.items.length });
          return { ok: true, value: res.items.flatMap((a) => (a.appointment_datetime ? [{ id: a.id, at: a.appointment_datetime }] : [])) };
        },
        waitUntil,
      );
      if (!read) return null;
      return read.value.flatMap(({ id, at }) => {
        const start = appointmentInstant(at, tours.appointment_clock, site.time_zone);
        return start === null ? [] : [{ id, start }];
      });
    },
  };
}
