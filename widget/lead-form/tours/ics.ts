/**
 * A booked tour as an iCalendar file (RFC 5545), built in the browser for the confirmation's "Add to
 * calendar" link: one VEVENT, times in UTC so that every calendar shows the tour at the right instant
 * whatever its own zone, lines ending CRLF and folded at 75 octets, text escaped.
 */

export interface CalendarTour {
  /** The lead's receipt id: with `host`, the event's UID, the same each time the file is made. */
  id: string;
  /** The relay's host, which made the id. */
  host: string;
  /** Instants, as the tours answer or the receipt gives them (any offset). */
  start: string;
  end: string;
  summary: string;
  location: string | null;
  description: string;
  /** When the file is made (DTSTAMP). */
  now: Date;
}

/** An instant in iCalendar's UTC form: 20270315T193000Z. */
export const utcStamp = (instant: string | Date): string => new Date(instant).toISOString().replace(/[-:]|\.\d{3}/g, '');

/** TEXT escaping (RFC 5545 §3.3.11): backslash first, then ; , and line breaks. */
export const escapeText = (text: string): string => text.replace(/[\\;,]/g, '\\$&').replace(/\r?\n/g, '\\n');

const encoder = new TextEncoder();

/** Folds a content line after 75 octets (§3.1), never inside a character: CRLF and one space before each continuation. */
export function fold(line: string): string {
  let out = '';
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    if (octets + size > 75) {
      out += '\r\n ';
      octets = 1;
    }
    out += char;
    octets += size;
  }
  return out;
}

export function tourCalendar(tour: CalendarTour): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//resman-lead-form//Tour//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${tour.id}@${tour.host}`,
    `DTSTAMP:${utcStamp(tour.now)}`,
    `DTSTART:${utcStamp(tour.start)}`,
    `DTEND:${utcStamp(tour.end)}`,
    `SUMMARY:${escapeText(tour.summary)}`,
    tour.location && `LOCATION:${escapeText(tour.location)}`,
    `DESCRIPTION:${escapeText(tour.description)}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines
    .filter(Boolean)
    .map((line) => fold(line!))
    .join('\r\n')}\r\n`;
}
