/**
 * The submission a browser may send to `POST /v1/sites/:site/leads`: exactly the prospect fields of
 * Create Lead: ResMan, normalised the way a ResMan office would want them. The four Propexo ids are
 * not here on purpose: the relay adds them from the site's configuration, and any other key is refused.
 *
 * Every check's message is a FieldErrorCode, so issues map to the error envelope without guessing.
 * Normalisation uses checks that overwrite the value (no pipes or transforms): it keeps this file's
 * share of the widget's lazily loaded validation small.
 */
import * as z from 'zod/mini';
import type { FieldErrorCode, FieldIssue } from './errors.js';
import { LIMITS, PHONE_TYPES } from './fields.js';

// No code generation: zod's probe for `new Function` is itself a violation under a strict CSP
// (reported even though zod catches it), and Workers forbid it anyway.
z.config({ jitless: true });

const typeError = (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : 'invalid_type');

// Control characters (tab and newlines allowed only in notes), invisible or direction-changing
// format characters, and lone surrogates, which no real text contains. ZWJ and ZWNJ stay allowed:
// Persian and Indic names and emoji sequences use them.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\p{Cs}]/u;
const CONTROL_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\p{Cs}]/u;
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
  'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI'.split(' ');

/** True for a real calendar date written YYYY-MM-DD, in years 2000 to 2099. */
export function isCalendarDate(s: string): boolean {
  const m = /^(20\d\d)-(\d\d)-(\d\d)$/.exec(s);
  if (!m) return false;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return date.toISOString().startsWith(s);
}

type Rule = [test: (s: string) => boolean, code: FieldErrorCode];

/**
 * A string field: trimmed, capped, free of control characters, then normalised and checked.
 * An empty string is allowed here and means "not given" (parseSubmission drops it).
 */
const text = (max: number, normalize: ((s: string) => string) | null, ...rules: Rule[]) =>
  z.string({ error: typeError }).check(
    z.trim(),
    z.maxLength(max, 'too_long'),
    z.refine((s) => !(max === LIMITS.notes ? CONTROL : CONTROL_ONE_LINE).test(s), 'invalid_characters'),
    ...(normalize ? [z.overwrite(normalize)] : []),
    ...rules.map(([test, code]) => z.refine<string>((s) => s === '' || test(s), code)),
  );

const name = text(
  LIMITS.name,
  (s) => s.replace(/\s+/g, ' '),
  [(s) => !NOT_A_NAME.test(s) && /\p{L}/u.test(s), 'invalid_characters'],
).check(
  z.minLength(1, 'required'),
);

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
  z.number({ error: typeError }).check(
    z.refine((n) => Number.isInteger(halves ? n * 2 : n), halves ? 'invalid_choice' : 'not_integer'),
    z.refine((n) => n >= 0 && n <= max, 'out_of_range'),
  );

const propexoId = text(LIMITS.id, null, [(s) => /^[\w-]+$/.test(s), 'invalid_characters']);

const o = z.optional;

export const submissionSchema = z
  .strictObject(
    {
      first_name: name,
      last_name: name,
      email_1: o(email),
      phone_1: o(phone),
      phone_1_type: o(choice(PHONE_TYPES)),
      phone_2: o(phone),
      phone_2_type: o(choice(PHONE_TYPES)),
      address_1: o(text(LIMITS.address, null)),
      address_2: o(text(LIMITS.address, null)),
      city: o(text(LIMITS.city, null)),
      state: o(text(2, (s) => s.toUpperCase(), [(s) => US_STATES.includes(s), 'invalid_state'])),
      zip: o(text(10, null, [(s) => /^\d{5}(-\d{4})?$/.test(s), 'invalid_zip'])),
      notes: o(text(LIMITS.notes, null)),
      desired_num_bedrooms: o(count(LIMITS.bedrooms)),
      desired_num_bathrooms: o(count(LIMITS.bathrooms, true)),
      desired_max_rent_in_cents: o(count(LIMITS.rentCents)),
      desired_lease_term_in_months: o(count(LIMITS.leaseMonths)),
      target_move_in_date: o(text(10, null, [isCalendarDate, 'invalid_date'])),
      floor_plan_id: o(propexoId),
      unit_id: o(propexoId),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid_type') },
  )
  .check(
    // Runs even when other fields failed, so the prospect learns every problem in one round.
    z.refine((v) => !!(v.email_1 || v.phone_1), {
      message: 'contact_required',
      path: ['email_1'],
      when: (payload) => isRecord(payload.value),
    }),
  );

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Parsed = z.output<typeof submissionSchema>;
/** A submission after normalisation: trimmed strings, 10-digit phones, empty values removed. */
export type Submission = { [K in keyof Parsed]: Parsed[K] };

/** One issue per field (the first broken rule), in the order zod found them. */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  const seen = new Map<string, FieldErrorCode>();
  const add = (field: string, code: FieldErrorCode) => seen.has(field) || seen.set(field, code);
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') issue.keys.forEach((key) => add(key, 'unknown_field'));
    else
      add(
        String(issue.path[0] ?? ''),
        // Every check here is worded with a code (snake_case); zod's own messages are sentences.
        /^[a-z_]+$/.test(issue.message)
          ? (issue.message as FieldErrorCode)
          : issue.code === 'too_big' && issue.origin !== 'string'
            ? 'out_of_range'
            : 'invalid_type',
      );
  }
  if (seen.get('email_1') === 'contact_required') add('phone_1', 'contact_required');
  return [...seen].map(([field, code]) => ({ field, code }));
}

export type ParseResult = { ok: true; value: Submission } | { ok: false; fields: FieldIssue[] };

/** Validates and normalises a submission. Never throws. */
export function parseSubmission(input: unknown): ParseResult {
  const result = submissionSchema.safeParse(input);
  if (!result.success) return { ok: false, fields: toFieldIssues(result.error.issues) };
  const value = Object.fromEntries(Object.entries(result.data).filter(([, v]) => v !== '')) as Submission;
  return { ok: true, value };
}
