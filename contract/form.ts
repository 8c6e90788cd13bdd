/**
 * The answer of `GET /v1/sites/:site/form`: what the widget needs from the relay before a visitor
 * fills the form. Types only, shared by the relay that builds it and the widget that reads it.
 */
import type { FieldName } from './fields.js';

/** A floor plan as the browser sees it. */
export interface PublicFloorPlan {
  id: string;
  /** The marketing name when Propexo has one, else the PMS name. */
  name: string;
  bedrooms: number | null;
  bathrooms: number | null;
  rent_min_cents: number | null;
  rent_max_cents: number | null;
}

/** An available unit as the browser sees it. */
export interface PublicUnit {
  id: string;
  number: string | null;
  bedrooms: number | null;
  bathrooms: number | null;
  rent_cents: number | null;
  square_feet: number | null;
}

/**
 * The site's consent box, for calls and texts: unticked, and optional unless `required`. `ask`:
 * `always`, or `with_phone`, shown once a phone number is typed (a text about "the number I gave").
 */
export interface ConsentSettings {
  text: string;
  /** Sent back with the lead (meta.consent.version): which wording the prospect saw. */
  version: string;
  ask: 'always' | 'with_phone';
  required: boolean;
}

export interface FormAnswer {
  site: string;
  language: 'en' | 'es';
  fields: FieldName[];
  required: FieldName[];
  /** Per-site wording: dictionary keys (`submit`, `labels.first_name`), optionally per language (`es.submit`). */
  texts: Record<string, string>;
  consent: ConsentSettings | null;
  floor_plans: PublicFloorPlan[];
  /** The property's date (YYYY-MM-DD, in its time zone): the earliest move-in date, two years on the latest. */
  today: string;
  /** Sent back with the lead (meta.form_token): proves the lead came from this form, and when. */
  form_token: string;
  /** Cloudflare Turnstile's site key when the site uses it; null otherwise. */
  turnstile_site_key: string | null;
}

export interface UnitsAnswer {
  floor_plan_id: string;
  units: PublicUnit[];
}
