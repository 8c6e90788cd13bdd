/**
 * A booked tour's start as ResMan's appointment fields, and as a line of the appointment's notes.
 *
 * Propexo's docs disagree on the clock of `appointment_date`/`appointment_time`: its page says
 * ResMan reads them as UTC, a field description says the property's local time. A site picks one
 * (`tours.appointment_clock`), and the note carries the property-local time in words, with its zone,
 * so whatever ResMan shows, a person reading the appointment knows when the tour is.
 */
import type { AppointmentClock } from './settings.js';
import { clockLabel, dayOfWeek, instantInZone } from './zoned-time.js';

export interface AppointmentFields {
  /** YYYY-MM-DD */
  appointment_date: string;
  /** HH:MM:SS (24-hour) */
  appointment_time: string;
}

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** The start's date and time in UTC (`utc`) or on the property's wall clock (`property`). */
export function appointmentFields(startMs: number, clock: AppointmentClock, timeZone: string): AppointmentFields {
  if (clock === 'utc') {
    const iso = new Date(startMs).toISOString();
    return { appointment_date: iso.slice(0, 10), appointment_time: iso.slice(11, 19) };
  }
  const { date, time, second } = instantInZone(startMs, timeZone);
  return { appointment_date: date, appointment_time: `${time}:${String(second).padStart(2, '0')}` };
}

/** `Tour: Mon, Mar 15, 2027, 9:00 AM CDT (America/Chicago), 30 min` */
export function tourNote(startMs: number, timeZone: string, slotMinutes: number): string {
  const { date, time, abbreviation } = instantInZone(startMs, timeZone);
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const when = `${WEEKDAY_NAMES[dayOfWeek(date)]}, ${MONTH_NAMES[month - 1]} ${day}, ${year}`;
  return `Tour: ${when}, ${clockLabel(time)} ${abbreviation} (${timeZone}), ${slotMinutes} min`;
}
