/**
 * A property's time zone (a site's `time_zone`): what "today" means for a move-in date. The relay
 * refuses a date before the property's today, and the form's settings tell the widget that date.
 */

/**
 * US Central time, the middle of the continental US (and the demo's Texas properties). A zone east of
 * the property's would refuse a prospect's "today" late in the evening: a site elsewhere sets its own.
 */
export const DEFAULT_TIME_ZONE = 'America/Chicago';

/** One formatter per zone: building one costs far more than using it. */
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, format);
  }
  return format;
}

/** True for a zone name the runtime knows (IANA, like America/Chicago); checked at start, so a lead never meets a bad one. */
export function isTimeZone(name: string): boolean {
  try {
    formatFor(name);
    return true;
  } catch {
    return false;
  }
}

/** The date at the property at `now`, as YYYY-MM-DD. */
export function propertyToday(timeZone: string, now: number): string {
  const parts = formatFor(timeZone).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}
