/**
 * The slot engine: which tour starts a property offers, from its settings, its time zone and now.
 * Pure (no I/O, no clock): the caller passes `now` and how many tours each start already has.
 *
 * Each interval's open and close wall times become instants (zoned-time.ts: a time in a
 * spring-forward gap is the first instant after it; in a fall-back overlap the open is the earlier
 * instant and the close the later, so the real time open is covered), and slots step through real
 * minutes between them. So on a DST day no instant appears twice, none is an hour off, and the
 * number of slots is the real time open divided by `slot_minutes`.
 */
import { isCalendarDate } from '../../contract/submission.js';
import { propertyToday } from '../config/time-zone.js';
import { WEEKDAYS, type TourSettings, type Weekday } from './settings.js';
import {
  addDays,
  clockLabel,
  daysBetween,
  dayOfWeek,
  instantAtOffset,
  instantInZone,
  isoOf,
  type LocalDate,
  type ZonedParts,
  zonedWallTimeToInstant,
} from './zoned-time.js';

const MINUTE = 60_000;

export interface TourSlot {
  /** The start with the property's offset: `2027-03-15T09:00:00-05:00`. */
  start: string;
  /** The start as epoch milliseconds. */
  start_ms: number;
  /** The property-local date, YYYY-MM-DD. */
  date: LocalDate;
  /** The property-local wall time, HH:MM (24-hour). */
  time: string;
  /** For people: `9:00 AM`; `1:00 AM CDT` when that wall time happens twice on the date (fall back). */
  label: string;
  /** The zone's abbreviation at the start, as Intl names it in English: CDT, MST, GMT+5:30. */
  abbreviation: string;
}

export interface TourDay {
  date: LocalDate;
  weekday: Weekday;
  /** The slots still open, in order; empty for a closed day or one fully taken. */
  slots: TourSlot[];
}

/** The property-local dates tours may be booked on at `now`: today and the `days_ahead - 1` after it. */
export interface BookingWindow {
  first: LocalDate;
  last: LocalDate;
}

export interface SlotQuery {
  settings: TourSettings;
  /** The site's IANA time zone. */
  timeZone: string;
  /** Epoch milliseconds. */
  now: number;
  /** How many tours a start (epoch ms) already has; absent, none. */
  taken?: (startMs: number) => number;
}

export interface OpenSlotsQuery extends SlotQuery {
  /** The first date wanted (YYYY-MM-DD); absent or not a date, today. Clamped into the window. */
  from?: string;
  /** How many dates from `from`; absent, the whole window. Clamped to 1…what is left of it. */
  days?: number;
}

export type SlotRefusal = 'not_a_slot' | 'too_soon' | 'too_far' | 'closed' | 'full';
export type SlotCheck = { ok: true; slot: TourSlot } | { ok: false; reason: SlotRefusal };

export function bookingWindow(settings: TourSettings, timeZone: string, now: number): BookingWindow {
  const first = propertyToday(timeZone, now);
  return { first, last: addDays(first, settings.days_ahead - 1) };
}

/** True when the property shows no apartments on `date`: a closed date, or a weekday without hours. */
export function isClosedDate(settings: TourSettings, date: LocalDate): boolean {
  return settings.closed_dates.includes(date) || settings.hours[WEEKDAYS[dayOfWeek(date)]!].length === 0;
}

/**
 * Every slot the hours give `date`, whatever now, the window, closed dates or bookings say: each
 * interval's open and close as instants, stepped in real minutes, a slot ending by its close.
 */
export function slotsOfDate(settings: TourSettings, timeZone: string, date: LocalDate): TourSlot[] {
  const slots: TourSlot[] = [];
  const step = settings.slot_minutes * MINUTE;
  let previousClose = Number.NEGATIVE_INFINITY;
  for (const [open, close] of settings.hours[WEEKDAYS[dayOfWeek(date)]!]) {
    // Touching intervals in an overlap (a close at 01:30 CST, an open at 01:30 CDT) must not repeat an hour.
    const earliest = zonedWallTimeToInstant(date, open, timeZone, 'earlier');
    const openMs = Math.max(earliest, previousClose);
    const closeMs = zonedWallTimeToInstant(date, close, timeZone, 'later');
    previousClose = Math.max(previousClose, closeMs);
    if (openMs + step > closeMs) continue;
    // One offset at the (earlier) open and the (later) close: no change between (a zone changes at
    // most once a day), so arithmetic will do and no wall time of it happens twice. Otherwise Intl.
    const offsets = [instantInZone(earliest, timeZone).offsetMinutes, instantInZone(closeMs, timeZone).offsetMinutes];
    const steady = offsets[0] === offsets[1];
    const opening = instantInZone(openMs, timeZone);
    for (let start = openMs; start + step <= closeMs; start += step) {
      const parts = steady ? instantAtOffset(start, opening.offsetMinutes, opening.abbreviation) : instantInZone(start, timeZone);
      slots.push(slotOf(start, parts, date, !steady && happensTwice(start, parts, offsets, date, timeZone)));
    }
  }
  return slots;
}

/** True when the wall time of `ms` also happens at another instant of `date` (the fall-back hour). */
function happensTwice(ms: number, parts: ZonedParts, offsets: number[], date: LocalDate, timeZone: string): boolean {
  return offsets.some((other) => {
    if (other === parts.offsetMinutes) return false;
    const twin = instantInZone(ms + (parts.offsetMinutes - other) * MINUTE, timeZone);
    return twin.date === date && twin.time === parts.time;
  });
}

/** A slot for people: `9:00 AM`, or `1:00 AM CDT` where that wall time happens twice on the date. */
function slotOf(ms: number, parts: ZonedParts, date: LocalDate, twice: boolean): TourSlot {
  const { time, abbreviation } = parts;
  const label = twice ? `${clockLabel(time)} ${abbreviation}` : clockLabel(time);
  return { start: isoOf(parts), start_ms: ms, date, time, label, abbreviation };
}

/**
 * The slots still open, per property-local date from `from` for `days` dates (both clamped into the
 * booking window): not sooner than `min_notice_minutes` after now, not on a closed date, and with
 * fewer than `per_slot` tours taken.
 */
export function openSlots(query: OpenSlotsQuery): TourDay[] {
  const { settings, timeZone, now, taken } = query;
  const window = bookingWindow(settings, timeZone, now);
  let from = query.from !== undefined && isCalendarDate(query.from) ? query.from : window.first;
  if (from < window.first) from = window.first;
  if (from > window.last) from = window.last;
  const left = daysBetween(from, window.last) + 1;
  const days = Math.min(Math.max(Math.floor(query.days ?? left), 1), left);
  const earliest = now + settings.min_notice_minutes * MINUTE;
  const result: TourDay[] = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(from, i);
    const weekday = WEEKDAYS[dayOfWeek(date)]!;
    if (isClosedDate(settings, date)) {
      result.push({ date, weekday, slots: [] });
      continue;
    }
    const slots = slotsOfDate(settings, timeZone, date).filter(
      (slot) => slot.start_ms >= earliest && (taken === undefined || taken(slot.start_ms) < settings.per_slot),
    );
    result.push({ date, weekday, slots });
  }
  return result;
}

/** An instant with its offset or Z, as a client sends a slot's `start` back. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Whether `start` (an ISO 8601 instant from a client) is a slot offered at `now`: the server's own
 * check of a booking. Any offset naming the same instant will do. `full` only with `taken`.
 */
export function checkSlotStart(query: SlotQuery & { start: string }): SlotCheck {
  const { settings, timeZone, now, taken, start } = query;
  const ms = ISO_INSTANT.test(start) ? Date.parse(start) : Number.NaN;
  if (Number.isNaN(ms)) return { ok: false, reason: 'not_a_slot' };
  if (ms < now + settings.min_notice_minutes * MINUTE) return { ok: false, reason: 'too_soon' };
  const { date } = instantInZone(ms, timeZone);
  if (date > bookingWindow(settings, timeZone, now).last) return { ok: false, reason: 'too_far' };
  if (isClosedDate(settings, date)) return { ok: false, reason: 'closed' };
  const slot = slotsOfDate(settings, timeZone, date).find((s) => s.start_ms === ms);
  if (!slot) return { ok: false, reason: 'not_a_slot' };
  if (taken !== undefined && taken(ms) >= settings.per_slot) return { ok: false, reason: 'full' };
  return { ok: true, slot };
}
