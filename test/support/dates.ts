/**
 * Dates for fixtures that must stay valid as time passes. A lead's target_move_in_date must fall
 * from the property's today to two years after it, so a fixed date expires: fixtures take theirs
 * from the real today instead, and the relay tests' manual clock starts on that day too.
 */

const DAY_MS = 86_400_000;

/** The date `daysAhead` days after `now`, as YYYY-MM-DD (UTC). */
export function isoDateAhead(daysAhead: number, now = Date.now()): string {
  return new Date(now + daysAhead * DAY_MS).toISOString().slice(0, 10);
}

/**
 * A move-in date valid on any clock the tests run on: two months ahead leaves room for a property
 * a day behind UTC and for a manual clock that runs a few weeks on.
 */
export const moveInDate = (now = Date.now()): string => isoDateAhead(60, now);

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A YYYY-MM-DD date as the widget's English thank-you writes it: "April 15, 2027". */
export function longDateEn(iso: string): string {
  const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
  return `${MONTHS[month - 1]} ${day}, ${year}`;
}

/** Noon UTC of the real today: a fixed time of day, on a date that keeps moveInDate() valid. */
export function todayNoonUtc(now = Date.now()): number {
  return Math.floor(now / DAY_MS) * DAY_MS + DAY_MS / 2;
}
