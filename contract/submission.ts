/**
 * The submission a browser may send to `POST /v1/sites/:site/leads`: exactly the prospect fields of
 * Create Lead: ResMan, normalised the way a ResMan office would want them. The four Propexo ids are
 * not here on purpose: the relay adds them from the site's configuration, and any other key is refused.
 *
 * Every check's message is a FieldErrorCode, so issues map to the error envelope without guessing.
 * Normalisation uses checks that overwrite the value (no pipes or transforms): it keeps this file's
 * share of the widget's lazily loaded validation small.
 *
 * The schemas are zod's core ones, which zod/mini wraps: the wrapper's methods (parse, parseAsync,
 * check, clone, brand…), which nothing here calls, are 440 B brotli of every visitor's download.
 */
import * as z from 'zod/v4/core';
import type { FieldErrorCode, FieldIssue } from './errors.js';
import { LIMITS, PHONE_TYPES, REQUIRED_FIELDS, isFieldName, moveInRange, type FieldName } from './fields.js';

// Strings and numbers are custom type guards with checks, not strings and numbers: those carry
// format and coercion machinery this contract never uses, and every visitor downloads it.
const typeError = (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : 'invalid_type');

/** A value that passes `is` (else `required` or `invalid_type`), then `checks` in order, each worded with a code. */
const guard = <T>(is: (value: unknown) => boolean, checks: z.$ZodCheck<T>[]) =>
  new z.$ZodCustom({ type: 'custom', check: 'custom', abort: true, fn: is, error: typeError, checks }) as z.$ZodCustom<T, unknown>;

/** A check that `test` holds, else `code`. */
const rule = <T>(test: (value: T) => boolean, code: FieldErrorCode) =>
  new z.$ZodCustom({ type: 'custom', check: 'custom', fn: test as (value: unknown) => boolean, error: () => code }) as z.$ZodCheck<T>;

// What no text may hold: controls (Cc), format characters (Cf: invisible or direction-changing;
// ZWJ and ZWNJ stay allowed, since Persian and Indic names and emoji sequences need them), line and
// paragraph separators, private use (Co), noncharacters and lone surrogates. Notes may break lines
// and indent: their tab, CR and LF are taken out before the test. `meta` (meta.ts) uses it too.
export const REFUSED_CHARACTER = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{NChar}\u2028\u2029]/u;
// Links and markup have no business in a name; they are what spam puts there.
const NOT_A_NAME = /[<>{}\\]|:\/\/|www\.|https?:/i;
// A pragmatic address check: one @, no spaces, a dotted domain. ResMan needs no more of RFC 5322.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PLACEHOLDER_LOCAL = /^(none|no-?e?mail|no_email|no-?reply|donotreply|n\/?a|null|nobody|unknown|test)$/;
const PLACEHOLDER_DOMAIN = /^(none|noe?mail|noreply|test|example)\.(com|org|net)$/;

export const isPlaceholderEmail = (email: string): boolean => {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at).toLowerCase();
  return PLACEHOLDER_LOCAL.test(local) || PLACEHOLDER_DOMAIN.test(email.slice(at + 1).toLowerCase()) || /^(.)\1{2,}$/.test(local);
};

/**
 * US numbers to the 10 digits Propexo filters on (`^[2-9]\d{9}$`): formatting and a leading +1 or 1
 * are dropped. Returns null for anything else.
 */
export function normalizeUsPhone(input: string): string | null {
  if (!/^[\d\s().+-]+$/.test(input)) return null;
  const digits = input.replace(/\D/g, '').replace(/^1(?=\d{10}$)/, '');
  return digits.length === 10 ? digits : null;
}

/** One digit ten times, or a run like 1234567890: typed by people who do not want to be called. */
export const isPlaceholderPhone = (digits: string): boolean =>
  /^(\d)\1{9}$/.test(digits) || ['0123456789', '1234567890', '9876543210'].includes(digits);

export const US_STATES =
  'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI'.split(
    ' ',
  );

/** True for a real calendar date written YYYY-MM-DD, in years 2000 to 2099. */
export function isCalendarDate(s: string): boolean {
  const m = /^(20\d\d)-(\d\d)-(\d\d)$/.exec(s);
  if (!m) return false;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return date.toISOString().startsWith(s);
}

type Rule = [test: (s: string) => boolean, code: FieldErrorCode];

const isString = (v: unknown) => typeof v === 'string';

/**
 * A string field's checks: trimmed, free of the characters no text may hold, capped, then normalised
 * and checked. An empty string passes `rules` and means "not given" (parseSubmission drops it).
 */
const textChecks = (max: number, normalize: ((s: string) => string) | null, rules: Rule[]): z.$ZodCheck<string>[] => [
  z._trim(),
  rule((s) => !REFUSED_CHARACTER.test(max === LIMITS.notes ? s.replace(/[\t\n\r]/g, '') : s), 'invalid_characters'),
  rule((s) => s.length <= max, 'too_long'),
  ...(normalize ? [z._overwrite(normalize)] : []),
  ...rules.map(([test, code]) => rule<string>((s) => s === '' || test(s), code)),
];

const text = (max: number, normalize: ((s: string) => string) | null, ...rules: Rule[]) =>
  guard<string>(isString, textChecks(max, normalize, rules));

const name = guard<string>(isString, [
  ...textChecks(LIMITS.name, (s) => s.replace(/\s+/g, ' '), [[(s) => !NOT_A_NAME.test(s) && /\p{L}/u.test(s), 'invalid_characters']]),
  rule((s) => s !== '', 'required'),
]);

const email = text(
  LIMITS.email,
  (s) => s.replace(/@[^@]*$/, (domain) => domain.toLowerCase()),
  [(s) => EMAIL.test(s), 'invalid_email'],
  [(s) => !isPlaceholderEmail(s), 'placeholder'],
);

const phone = text(
  20,
  (s) => normalizeUsPhone(s) ?? s,
  [(s) => !isPlaceholderPhone(s), 'placeholder'],
  [(s) => /^[2-9]\d{9}$/.test(s), 'invalid_phone'],
);

const choice = (values: readonly string[]) => text(10, null, [(s) => values.includes(s), 'invalid_choice']);

const count = (max: number, halves = false) =>
  guard<number>(
    (v) => typeof v === 'number' && Number.isFinite(v),
    [
      rule((n) => Number.isInteger(halves ? n * 2 : n), halves ? 'invalid_choice' : 'not_integer'),
      rule((n) => n >= 0 && n <= max, 'out_of_range'),
    ],
  );

const propexoId = text(LIMITS.id, null, [(s) => /^[\w-]+$/.test(s), 'invalid_characters']);

/**
 * One schema per field. The object around them (unknown keys, what is required, "email or phone")
 * is checked by parseSubmission itself: zod's object schema is a third of the validation bundle
 * every visitor downloads, for what a loop of a few lines does.
 */
export const FIELD_SCHEMAS = {
  first_name: name,
  last_name: name,
  email_1: email,
  phone_1: phone,
  phone_1_type: choice(PHONE_TYPES),
  phone_2: phone,
  phone_2_type: choice(PHONE_TYPES),
  address_1: text(LIMITS.address, null),
  address_2: text(LIMITS.address, null),
  city: text(LIMITS.city, null),
  state: text(2, (s) => s.toUpperCase(), [(s) => US_STATES.includes(s), 'invalid_state']),
  zip: text(10, null, [(s) => /^\d{5}(-\d{4})?$/.test(s), 'invalid_zip']),
  notes: text(LIMITS.notes, null),
  desired_num_bedrooms: count(LIMITS.bedrooms),
  desired_num_bathrooms: count(LIMITS.bathrooms, true),
  desired_max_rent_in_cents: count(LIMITS.rentCents),
  desired_lease_term_in_months: count(LIMITS.leaseMonths),
  target_move_in_date: text(10, null, [isCalendarDate, 'invalid_date']),
  floor_plan_id: propexoId,
  unit_id: propexoId,
} satisfies Record<FieldName, z.$ZodType>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Schemas = typeof FIELD_SCHEMAS;
type Out<K extends FieldName> = z.output<Schemas[K]>;
/** A submission after normalisation: trimmed strings, 10-digit phones, empty values removed. */
export type Submission = { first_name: string; last_name: string } & {
  [K in Exclude<FieldName, 'first_name' | 'last_name'>]?: Out<K>;
};

export type ParseResult = { ok: true; value: Submission } | { ok: false; fields: FieldIssue[] };

/**
 * Validates and normalises a submission: one issue per field (its first broken rule), in the
 * catalogue's order, then unknown keys, then "email or phone". `today` is the property's date
 * (YYYY-MM-DD): a move-in date must fall from it to two years after it. Never throws.
 */
export function parseSubmission(input: unknown, today: string): ParseResult {
  if (!isRecord(input)) return { ok: false, fields: [{ field: '', code: 'invalid_type' }] };
  const fields: FieldIssue[] = [];
  const value: Record<string, unknown> = {};
  const [first, last] = moveInRange(today);
  for (const [field, schema] of Object.entries(FIELD_SCHEMAS)) {
    const raw = Object.hasOwn(input, field) ? input[field] : undefined;
    if (raw === undefined) {
      if ((REQUIRED_FIELDS as string[]).includes(field)) fields.push({ field, code: 'required' });
      continue;
    }
    const result = z.safeParse(schema, raw);
    const data = result.data;
    // Every check here is a guard or a rule, worded with its code: the issue's message is the code.
    if (!result.success) fields.push({ field, code: result.error.issues[0]!.message as FieldErrorCode });
    // A real date first (invalid_date above), then one a move-in can be on: not a rule of the
    // schema, which cannot know the property's today.
    else if (field === 'target_move_in_date' && data !== '' && ((data as string) < first || (data as string) > last))
      fields.push({ field, code: 'date_out_of_range' });
    else if (data !== '') value[field] = data;
  }
  for (const key of Object.keys(input)) if (!isFieldName(key)) fields.push({ field: key, code: 'unknown_field' });
  const given = (field: string) => value[field] !== undefined || fields.some((f) => f.field === field);
  if (!given('email_1') && !given('phone_1'))
    fields.push({ field: 'email_1', code: 'contact_required' }, { field: 'phone_1', code: 'contact_required' });
  return fields.length > 0 ? { ok: false, fields } : { ok: true, value: value as Submission };
}
