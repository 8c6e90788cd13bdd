/**
 * A site's tour settings (its optional `tours` key): the hours a property shows apartments, in its
 * own wall time, and how its calendar is cut into slots. Propexo has no availability endpoint for
 * ResMan, so the relay keeps each property's tour calendar from these.
 */
import * as z from 'zod/mini';
import { isCalendarDate } from '../../contract/submission.js';
import { wallMinutes } from './zoned-time.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * How ResMan reads an appointment's date and time: `utc`, as Propexo's documentation page says, or
 * `property`, the property's local wall time, as one of its field descriptions says.
 */
export const APPOINTMENT_CLOCKS = ['utc', 'property'] as const;
export type AppointmentClock = (typeof APPOINTMENT_CLOCKS)[number];

/** `["09:00", "17:00"]`: open and close, property-local wall time; `24:00` closes at the end of the day. */
export type TourInterval = readonly [open: string, close: string];

export interface TourSettings {
  /** Every weekday, its intervals sorted; an empty list is a closed day. */
  hours: Readonly<Record<Weekday, readonly TourInterval[]>>;
  /** A tour's length and the step between slot starts. */
  slot_minutes: number;
  /** No slot starts sooner than this after now. */
  min_notice_minutes: number;
  /** How many property-local dates are offered, today included. */
  days_ahead: number;
  /** Property-local dates without tours (sorted, each once). */
  closed_dates: readonly string[];
  /** How many tours one slot takes. */
  per_slot: number;
  appointment_clock: AppointmentClock;
  /** The property's street address, for the prospect's confirmation and calendar file. */
  address?: string;
}

export const TOUR_DEFAULTS = {
  slot_minutes: 30,
  min_notice_minutes: 120,
  days_ahead: 14,
  per_slot: 1,
  appointment_clock: 'utc',
} as const satisfies Partial<TourSettings>;

/**
 * The terms a booked tour goes by: its site's, or the defaults once the site no longer offers tours
 * (a tour booked before that still goes, and still takes its length and clock from somewhere).
 */
export function tourTerms(tours: TourSettings | undefined): Pick<TourSettings, 'slot_minutes' | 'per_slot' | 'appointment_clock'> {
  return tours ?? TOUR_DEFAULTS;
}

export const TOUR_LIMITS = {
  slot_minutes: [10, 240],
  min_notice_minutes: [0, 10_080],
  days_ahead: [1, 60],
  per_slot: [1, 20],
  closed_dates: 500,
  address: 300,
} as const;

const DATE_MESSAGE = 'must be a date YYYY-MM-DD like "2027-12-25"';
const INTERVAL_MESSAGE = 'must be an interval [open, close] like ["09:00", "17:00"]';
const WALL_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

function bounded(key: 'slot_minutes' | 'min_notice_minutes' | 'days_ahead' | 'per_slot') {
  const [min, max] = TOUR_LIMITS[key];
  return z.optional(
    z.int({ error: 'must be a whole number' }).check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
  );
}

/** Two times, `HH:MM`, the close after the open: what intervalSchema lets through. */
function isInterval(interval: string[]): interval is [open: string, close: string] {
  const [open = '', close = ''] = interval;
  return (
    interval.length === 2 && WALL_TIME.test(open) && WALL_TIME.test(close) && open !== '24:00' && wallMinutes(open) < wallMinutes(close)
  );
}

function intervalSchema() {
  const time = z.string().check(z.regex(WALL_TIME, 'must be a time HH:MM like "09:00" (24-hour; "24:00" may close)'));
  // An array checked to hold two, not z.tuple: zod's tuple would add 1.7 KB minified to the Worker.
  return z.array(time, { error: INTERVAL_MESSAGE }).check(
    z.superRefine((interval, ctx) => {
      const [open = '', close = ''] = interval;
      if (interval.length !== 2) ctx.issues.push({ code: 'custom', message: INTERVAL_MESSAGE, input: interval });
      if (interval.length !== 2 || !WALL_TIME.test(open) || !WALL_TIME.test(close)) return; // refused already
      if (open === '24:00') ctx.issues.push({ code: 'custom', message: '"24:00" may only close an interval', input: open, path: [0] });
      else if (wallMinutes(open) >= wallMinutes(close))
        ctx.issues.push({ code: 'custom', message: `must close after it opens (${open} to ${close})`, input: close, path: [1] });
    }),
  );
}

function daySchema() {
  return z.array(intervalSchema()).check(
    z.superRefine((intervals, ctx) => {
      if (!intervals.every(isInterval)) return; // already refused, each interval by itself
      const sorted = intervals.map((interval, index) => ({ interval, index })).sort((a, b) => a.interval[0].localeCompare(b.interval[0]));
      for (let i = 1; i < sorted.length; i++) {
        const [previous, current] = [sorted[i - 1]!, sorted[i]!];
        // Touching is fine (["09:00","12:00"], ["12:00","17:00"]); sharing any minute is not.
        if (wallMinutes(current.interval[0]) < wallMinutes(previous.interval[1]))
          ctx.issues.push({
            code: 'custom',
            message: `overlaps ${JSON.stringify(previous.interval)}`,
            input: current.interval,
            path: [current.index],
          });
      }
    }),
  );
}

/** The `tours` key of a site (sites.ts); sites-schema.ts generates its JSON Schema from this too. */
export function tourSettingsSchema() {
  const day = z.optional(daySchema());
  return z.strictObject({
    hours: z
      .strictObject({ mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day })
      .check(
        z.refine(
          (hours) => Object.values(hours).some((intervals) => intervals !== undefined && intervals.length > 0),
          'must open on at least one weekday, like { "mon": [["09:00", "17:00"]] }',
        ),
      ),
    slot_minutes: bounded('slot_minutes'),
    min_notice_minutes: bounded('min_notice_minutes'),
    days_ahead: bounded('days_ahead'),
    closed_dates: z.optional(
      z
        // The pattern also reaches sites.schema.json, for editors; the refine refuses 2027-02-30.
        .array(
          z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, { error: DATE_MESSAGE, abort: true }), z.refine(isCalendarDate, DATE_MESSAGE)),
        )
        .check(z.maxLength(TOUR_LIMITS.closed_dates, `must list at most ${TOUR_LIMITS.closed_dates} dates`)),
    ),
    per_slot: bounded('per_slot'),
    appointment_clock: z.optional(z.enum(APPOINTMENT_CLOCKS, { error: 'must be "utc" or "property"' })),
    address: z.optional(
      z.string().check(z.trim(), z.minLength(1, 'required'), z.maxLength(TOUR_LIMITS.address, `too long (at most ${TOUR_LIMITS.address})`)),
    ),
  });
}

export type TourSettingsInput = z.infer<ReturnType<typeof tourSettingsSchema>>;

/** The parsed `tours`, its defaults filled in. */
export function withTourDefaults(input: TourSettingsInput): TourSettings {
  const hours = Object.fromEntries(
    WEEKDAYS.map((day) => [day, (input.hours[day] ?? []).filter(isInterval).sort((a, b) => a[0].localeCompare(b[0]))]),
  ) as unknown as Record<Weekday, TourInterval[]>;
  return {
    hours,
    slot_minutes: input.slot_minutes ?? TOUR_DEFAULTS.slot_minutes,
    min_notice_minutes: input.min_notice_minutes ?? TOUR_DEFAULTS.min_notice_minutes,
    days_ahead: input.days_ahead ?? TOUR_DEFAULTS.days_ahead,
    closed_dates: [...new Set(input.closed_dates ?? [])].sort(),
    per_slot: input.per_slot ?? TOUR_DEFAULTS.per_slot,
    appointment_clock: input.appointment_clock ?? TOUR_DEFAULTS.appointment_clock,
    ...(input.address === undefined ? {} : { address: input.address }),
  };
}
