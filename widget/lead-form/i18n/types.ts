import type { FieldErrorCode } from '../../../contract/errors.js';
import type { FieldName } from '../../../contract/fields.js';

/** The strings the form needs to render: in widget.js for English. */
export interface Strings {
  labels: Record<FieldName, string>;
  hints: Partial<Record<FieldName, string>>;
  /** Labels of fixed choices, keyed `group.value` as in the field catalogue. */
  choices: Record<string, string>;
  requiredNote: string;
  /** Follows requiredNote where the site requires neither email nor phone, but one of them. */
  contactNote: string;
  chooseOne: string;
  submit: string;
  retry: string;
  errorNetwork: string;
  /** The hidden field's label: only a bot or a screen reader user who wandered in would read it. */
  trap: string;
}

/**
 * What is said once the visitor interacts: every error, and the outcomes of a send. English loads
 * with the send chunk; other languages carry theirs in one file.
 */
export interface Messages {
  errors: Record<FieldErrorCode, string>;
  /** A field's own wording for a code, where the generic one would be vague. */
  fieldErrors: Partial<Record<FieldName, Partial<Record<FieldErrorCode, string>>>>;
  /** The button and the status line while a lead is being sent: only the send chunk sends. */
  submitting: string;
  fixFields: (count: number) => string;
  /** The thank-you's title; `{name}` is the prospect's first name. */
  successTitle: string;
  /** What happens next, before the summary of what was asked; `{reply}` is how the office will reply, from `reply`. */
  successBody: string;
  /** The ways the office may reply, by the field the prospect gave. */
  reply: { email_1: string; phone_1: string };
  /** `{wait}` is the wait the relay asks for (Retry-After), as "in 2 minutes". */
  errorRateLimited: string;
  errorUnavailable: string;
  errorGeneric: string;
  /** Shown under the consent checkbox when it is required and not ticked. */
  consentRequired: string;
  /** Shown under the consent checkbox when its wording changed while the page was open (the relay refused the old version). */
  consentChanged: string;
}

/** How floor plans and units are described: English loads with the floor-plan chunk. */
export interface PlanStrings {
  /** A floor plan or unit's beds and baths, like "2 bd · 2 ba". */
  rooms: (bedrooms: number, bathrooms: number | null) => string;
  /** A unit's label, like "Apartment 204". */
  unit: (number: string) => string;
  /** Square feet, already written as the region writes numbers: "1,045" becomes "1,045 sq ft". */
  area: (squareFeet: string) => string;
  /** Under a chosen floor plan that has no apartment available. */
  noUnits: string;
}

/** Tour mode's words (`mode="tour"`): English loads with the tour chunk, Spanish with the rest of Spanish. */
export interface TourStrings {
  /** The day picker's label. */
  tourDay: string;
  /** A day the property offers no time on, after its name: "Tuesday, March 16 (no times)". */
  tourDayFull: string;
  /** The times' legend; `{day}` is the day chosen. */
  tourTimes: string;
  /** Under the day picker; `{zone}` is the property's time zone as Intl names it ("Central Time"). */
  tourZone: string;
  /** No time is open on any day offered. */
  tourNone: string;
  /** The slots could not be loaded (the relay is down, the network lost): with a button to try again. */
  tourLoadFailed: string;
  /** No time chosen. */
  tourRequired: string;
  /** The relay answered `slot_taken` (or refused the time): the slots open now are shown. */
  tourTaken: string;
  /** The confirmation's title; `{when}` is the day, time and zone. */
  tourBooked: string;
  /** ResMan cannot cancel a tour through Propexo: changes go through the office. */
  tourOffice: string;
  /** The link to the .ics file. */
  tourCalendar: string;
  /** The calendar event's title, before the property's address. */
  tourSummary: string;
}

/** Every user-visible string of the form in one language. */
export type Dictionary = Strings & Messages & PlanStrings & TourStrings;

/**
 * A dictionary with a site's wording over it. Keys name a string (`submit`) or one entry of a
 * group (`labels.first_name`, `choices.bedrooms.0`); a key prefixed with a language (`es.submit`)
 * applies to that language only, and wins over the plain key.
 */
export function withTexts<T extends Partial<Dictionary>>(base: T, texts: Record<string, string> = {}, language: string): T {
  const out: Record<string, unknown> = { ...base };
  const entries = Object.entries(texts);
  const scoped = entries.flatMap(([k, v]) => (k.startsWith(`${language}.`) ? [[k.slice(language.length + 1), v] as const] : []));
  for (const [key, value] of [...entries.filter(([k]) => !/^(en|es)\./.test(k)), ...scoped]) {
    const dot = key.indexOf('.');
    const group = key.slice(0, dot);
    if (dot < 0) {
      if (typeof out[key] === 'string') out[key] = value;
    } else if (typeof out[group] === 'object' && Object.hasOwn(out, group)) {
      out[group] = { ...(out[group] as object), [key.slice(dot + 1)]: value };
    }
  }
  return out as T;
}

/** Labels of numeric choices, keyed `group.value` like the catalogue's. */
export const counted = (group: string, values: number[], label: (n: number) => string): Record<string, string> =>
  Object.fromEntries(values.map((n) => [`${group}.${n}`, label(n)]));
