/**
 * Wall time in an IANA zone and instants, both ways, on Intl alone (no date library: the Worker's
 * bundle has a size goal, and Node 20 has no Temporal).
 *
 * A wall time that does not exist (the spring-forward gap: 02:30 on 2027-03-14 in America/Chicago)
 * maps forward to the first instant after the gap (03:00 CDT). One that happens twice (the
 * fall-back overlap: 01:30 on 2027-11-07) is the earlier instant unless the caller asks for the later.
 */

import { isCalendarDate } from '../../contract/submission.js';

/** A property-local date, YYYY-MM-DD. */
export type LocalDate = string;

export interface ZonedParts {
  /** YYYY-MM-DD at the zone. */
  date: LocalDate;
  /** HH:MM (24-hour) at the zone. */
  time: string;
  /** Seconds past the minute, 0–59. */
  second: number;
  /** Local minus UTC, in minutes: -300 for CDT, 330 for Asia/Kolkata. */
  offsetMinutes: number;
  /** What Intl calls the zone at that instant in en-US: CDT, CST, MST, HST, or GMT+5:30 where it knows no name. */
  abbreviation: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const WALL_TIME = /^(\d{2}):(\d{2})$/;

/** One formatter per zone: building one costs far more than using it. */
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** The wall date and time, offset and abbreviation of the instant `ms` in `timeZone`. */
export function instantInZone(ms: number, timeZone: string): ZonedParts {
  const fields: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatFor(timeZone).formatToParts(ms)) fields[part.type] = part.value;
  const [year, month, day] = [Number(fields.year), Number(fields.month), Number(fields.day)];
  const [hour, minute, second] = [Number(fields.hour), Number(fields.minute), Number(fields.second)];
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return {
    date: `${fields.year}-${fields.month}-${fields.day}`,
    time: `${fields.hour}:${fields.minute}`,
    second,
    offsetMinutes: Math.round((wallAsUtc - wholeSecond) / MINUTE),
    abbreviation: fields.timeZoneName ?? '',
  };
}

/** `date` plus `days` calendar days (negative goes back). */
export function addDays(date: LocalDate, days: number): LocalDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** Whole calendar days from `a` to `b` (positive when b is later). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
}

/** 0 for Sunday … 6 for Saturday, as Date.getUTCDay. */
export function dayOfWeek(date: LocalDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Minutes past midnight of `HH:MM`; `24:00` is 1440. */
export function wallMinutes(time: string): number {
  const match = WALL_TIME.exec(time);
  if (!match) throw new RangeError(`not a wall time HH:MM: ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

const offsetAt = (ms: number, timeZone: string) => instantInZone(ms, timeZone).offsetMinutes;

/**
 * The instant at which the wall clock of `timeZone` reads `time` (HH:MM, or 24:00: the first
 * instant of the next date) on `date`. In a gap: the first instant after it. In an overlap: the
 * earlier instant, or the later with `overlap: 'later'` (a close, so the real time open is covered).
 */
export function zonedWallTimeToInstant(date: LocalDate, time: string, timeZone: string, overlap: 'earlier' | 'later' = 'earlier'): number {
  if (!isCalendarDate(date)) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
  const minutes = wallMinutes(time);
  if (minutes > 24 * 60) throw new RangeError(`not a wall time HH:MM: ${time}`);
  // 24:00 ends the day: the start of the next date, whatever `overlap` says.
  if (minutes === 24 * 60) return zonedWallTimeToInstant(addDays(date, 1), '00:00', timeZone, 'earlier');
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * MINUTE;
  // The offsets a day either side: a zone changes its offset at most once in that span.
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const candidates = [...new Set([wall - before * MINUTE, wall - after * MINUTE])]
    .filter((ms) => ms + offsetAt(ms, timeZone) * MINUTE === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return overlap === 'later' ? candidates[candidates.length - 1]! : candidates[0]!;
  // A gap: the transition lies between the wall time read with the new offset and with the old.
  let low = wall - Math.max(before, after) * MINUTE; // still the old offset
  let high = wall - Math.min(before, after) * MINUTE; // already the new one
  while (high - low > MINUTE) {
    const mid = low + Math.floor((high - low) / MINUTE / 2) * MINUTE;
    if (offsetAt(mid, timeZone) === before) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * What instantInZone says, from an offset already known to hold at `ms` (the rest of a day whose
 * offset does not change): arithmetic instead of Intl, many times cheaper.
 */
export function instantAtOffset(ms: number, offsetMinutes: number, abbreviation: string): ZonedParts {
  const wall = new Date(ms + offsetMinutes * MINUTE).toISOString();
  return { date: wall.slice(0, 10), time: wall.slice(11, 16), second: Number(wall.slice(17, 19)), offsetMinutes, abbreviation };
}

/** `2027-03-15T09:00:00-05:00`: the instant written with its offset in the zone. */
export function isoInZone(ms: number, timeZone: string): string {
  return isoOf(instantInZone(ms, timeZone));
}

/** `2027-03-15T09:00:00-05:00` from an instant's parts in its zone. */
export function isoOf({ date, time, second, offsetMinutes }: ZonedParts): string {
  return `${date}T${time}:${pad(second)}${formatOffset(offsetMinutes)}`;
}

/** -300 → `-05:00`, 330 → `+05:30`, 0 → `+00:00`. */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `09:00` → `9:00 AM`, `13:30` → `1:30 PM`, `00:15` → `12:15 AM`. */
export function clockLabel(time: string): string {
  const minutes = wallMinutes(time);
  const hour = Math.floor(minutes / 60);
  return `${hour % 12 || 12}:${pad(minutes % 60)} ${hour < 12 ? 'AM' : 'PM'}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
