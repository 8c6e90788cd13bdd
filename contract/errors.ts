/**
 * The error envelope every failure is answered with, by the relay and inside the widget:
 * `{ error: { code, message, fields: [{ field, code, message }] } }`.
 * Both code lists are closed: clients may switch on them, and new codes are a contract change.
 */

/** Request-level codes: what went wrong with the request as a whole. */
export const ERROR_CODES = [
  'invalid_fields', // the submission broke the contract; `fields` says where
  'invalid_json', // the body is not JSON, or not a JSON object
  'unsupported_media_type', // not application/json
  'payload_too_large', // body over the relay's limit
  'invalid_idempotency_key', // Idempotency-Key header present but malformed
  'unauthorized', // admin or webhook credentials missing or wrong
  'site_not_found', // no such site configured
  'origin_not_allowed', // Origin missing or not in the site's allowed_origins
  'rate_limited', // a per-site or per-client limit was reached; see Retry-After
  'not_found', // no such route
  'method_not_allowed',
  'conflict', // the resource is not in a state that allows this (e.g. retrying a lead that is not failed)
  'slot_taken', // the tour's slot filled meanwhile: nothing was stored; the answer carries the slots open now
  'unavailable', // the relay cannot store the lead right now; retry later with the same Idempotency-Key
  'internal_error',
  'network_error', // widget only: the relay could not be reached
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Field-level codes, one per broken rule. */
export const FIELD_ERROR_CODES = [
  'required',
  'invalid_type',
  'too_long',
  'invalid_characters',
  'invalid_email',
  'invalid_phone',
  'placeholder', // none@none.com, 0000000000 and the like: refused because it overwrites real records
  'invalid_date',
  'date_out_of_range', // a move-in date before the property's today, or over two years after it
  'invalid_choice',
  'invalid_state',
  'invalid_zip',
  'not_integer',
  'out_of_range',
  'contact_required', // neither email_1 nor phone_1 was given
  'unknown_field',
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

/** Where a submission broke the contract, before it is worded for anyone. */
export interface FieldIssue {
  field: string;
  code: FieldErrorCode;
}

export interface FieldError extends FieldIssue {
  message: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  fields: FieldError[];
}

export interface ErrorEnvelope {
  error: ErrorBody;
}

/** English messages for field codes: the relay's answer; the widget shows its own dictionary's. */
export const FIELD_ERROR_MESSAGES: Record<FieldErrorCode, string> = {
  required: 'This field is required.',
  invalid_type: 'This value has the wrong type.',
  too_long: 'This value is too long.',
  invalid_characters: 'This value contains characters that are not allowed.',
  invalid_email: 'Enter a valid email address.',
  invalid_phone: 'Enter a 10-digit US phone number.',
  placeholder: 'Enter real contact details, not a placeholder.',
  invalid_date: 'Enter a real date as YYYY-MM-DD.',
  date_out_of_range: 'Choose a date from today to two years ahead.',
  invalid_choice: 'Choose one of the offered options.',
  invalid_state: 'Enter a two-letter US state code.',
  invalid_zip: 'Enter a 5-digit ZIP code.',
  not_integer: 'Enter a whole number.',
  out_of_range: 'This number is out of range.',
  contact_required: 'Enter an email address or a phone number.',
  unknown_field: 'This field is not accepted.',
};

export function errorEnvelope(code: ErrorCode, message: string, fields: readonly FieldIssue[] = []): ErrorEnvelope {
  return { error: { code, message, fields: fields.map((f) => ({ ...f, message: FIELD_ERROR_MESSAGES[f.code] })) } };
}

/**
 * True when `value` has the envelope's shape: for clients reading a response. Codes are not checked
 * against the lists, so an older widget still reads a newer relay's answers (and treats an unknown
 * code as a generic failure).
 */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  const error = (value as { error?: Partial<ErrorBody> } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string' && Array.isArray(error.fields);
}
