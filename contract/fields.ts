/**
 * The field catalogue: every prospect field of Propexo's Create Lead: ResMan, with what a form needs
 * to render it (control, input type, autocomplete token) and the limits the schema enforces.
 * Plain data with no zod, so the widget can render from it before validation has loaded.
 */

export const PHONE_TYPES = ['MOBILE', 'HOME', 'WORK', 'FAX'] as const;
export type PhoneType = (typeof PHONE_TYPES)[number];

export type FieldName =
  | 'first_name'
  | 'last_name'
  | 'email_1'
  | 'phone_1'
  | 'phone_1_type'
  | 'phone_2'
  | 'phone_2_type'
  | 'address_1'
  | 'address_2'
  | 'city'
  | 'state'
  | 'zip'
  | 'target_move_in_date'
  | 'desired_num_bedrooms'
  | 'desired_num_bathrooms'
  | 'desired_max_rent_in_cents'
  | 'desired_lease_term_in_months'
  | 'floor_plan_id'
  | 'unit_id'
  | 'notes';

/** What the widget shows when the page does not choose (`fields` attribute). */
export const DEFAULT_FIELDS: readonly FieldName[] = [
  'first_name',
  'last_name',
  'email_1',
  'phone_1',
  'target_move_in_date',
  'desired_num_bedrooms',
  'notes',
];

export type Control = 'input' | 'select' | 'textarea';

export interface Choice {
  /** The option's value; fields marked `number` are sent as numbers. */
  value: string;
  /** A dictionary key for the label, or the label itself for data-driven choices. */
  label: string;
}

export interface FieldSpec {
  /** Default `input`. */
  control?: Control;
  /** `type` of an input; default `text`. */
  type?: 'email' | 'tel' | 'date';
  /** The HTML autocomplete token, default `off`; a shadow root hides fields from some autofill unless it is exact. */
  autocomplete?: string;
  inputmode?: 'text' | 'email' | 'tel' | 'numeric' | 'decimal';
  maxLength?: number;
  /** Fixed options of a select; data-driven selects (floor plans, units) get theirs at run time. */
  choices?: readonly Choice[];
  /** Sent as a JSON number. */
  number?: boolean;
  /** Entered in dollars, sent in cents. */
  dollars?: boolean;
}

/** Limits shared by the schema and the form. */
export const LIMITS = {
  name: 50,
  email: 254,
  address: 100,
  city: 50,
  id: 64,
  notes: 2000,
  bedrooms: 10,
  bathrooms: 10,
  /** $50,000 a month, in cents. */
  rentCents: 5_000_000,
  leaseMonths: 60,
} as const;

const choices = (values: readonly (string | number)[], prefix: string): Choice[] =>
  values.map((v) => ({ value: String(v), label: `${prefix}${v}` }));

export const FIELDS: Record<FieldName, FieldSpec> = {
  first_name: { autocomplete: 'given-name', maxLength: LIMITS.name },
  last_name: { autocomplete: 'family-name', maxLength: LIMITS.name },
  email_1: { type: 'email', autocomplete: 'email', inputmode: 'email', maxLength: LIMITS.email },
  phone_1: { type: 'tel', autocomplete: 'tel', inputmode: 'tel', maxLength: 20 },
  phone_1_type: { control: 'select', choices: choices(PHONE_TYPES, 'phone_type.') },
  phone_2: { type: 'tel', autocomplete: 'section-second tel', inputmode: 'tel', maxLength: 20 },
  phone_2_type: { control: 'select', choices: choices(PHONE_TYPES, 'phone_type.') },
  address_1: { autocomplete: 'address-line1', maxLength: LIMITS.address },
  address_2: { autocomplete: 'address-line2', maxLength: LIMITS.address },
  city: { autocomplete: 'address-level2', maxLength: LIMITS.city },
  state: { autocomplete: 'address-level1', maxLength: 2 },
  zip: { autocomplete: 'postal-code', inputmode: 'numeric', maxLength: 10 },
  target_move_in_date: { type: 'date' },
  desired_num_bedrooms: { control: 'select', number: true, choices: choices([0, 1, 2, 3, 4], 'bedrooms.') },
  desired_num_bathrooms: { control: 'select', number: true, choices: choices([1, 1.5, 2, 2.5, 3], 'bathrooms.') },
  // Text, not type=number: a number input silently empties "$1,800", and the prospect would never know.
  desired_max_rent_in_cents: { inputmode: 'decimal', number: true, dollars: true, maxLength: 12 },
  desired_lease_term_in_months: { control: 'select', number: true, choices: choices([3, 6, 9, 12, 18, 24], 'lease.') },
  floor_plan_id: { control: 'select' },
  unit_id: { control: 'select' },
  notes: { control: 'textarea', maxLength: LIMITS.notes },
};

/**
 * The move-in dates a lead may ask for, from the property's `today` (YYYY-MM-DD) to the same day two
 * years later, as strings that compare in date order. From a 29 February that day does not exist: the
 * 28th is the last, as a string comparison has it.
 */
export const moveInRange = (today: string): [first: string, last: string] => [today, `${+today.slice(0, 4) + 2}${today.slice(4)}`];

export const REQUIRED_FIELDS: readonly FieldName[] = ['first_name', 'last_name'];

/** Every prospect field, in the catalogue's order. */
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
export const isFieldName = (name: string): name is FieldName => Object.hasOwn(FIELDS, name);
