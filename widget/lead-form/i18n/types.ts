import type { FieldErrorCode } from '../../../contract/errors.js';
import type { FieldName } from '../../../contract/fields.js';

/** Every user-visible string of the form, one dictionary per language. */
export interface Strings {
  labels: Record<FieldName, string>;
  hints: Partial<Record<FieldName, string>>;
  /** Labels of fixed choices, keyed `group.value` as in the field catalogue. */
  choices: Record<string, string>;
  errors: Record<FieldErrorCode, string>;
  /** A field's own wording for a code, where the generic one would be vague. */
  fieldErrors: Partial<Record<FieldName, Partial<Record<FieldErrorCode, string>>>>;
  requiredNote: string;
  chooseOne: string;
  submit: string;
  submitting: string;
  retry: string;
  fixFields: (count: number) => string;
  successTitle: string;
  successBody: string;
  errorNetwork: string;
  errorRateLimited: string;
  errorUnavailable: string;
  errorGeneric: string;
}

/** Labels of numeric choices, keyed `group.value` like the catalogue's. */
export const counted = (group: string, values: number[], label: (n: number) => string): Record<string, string> =>
  Object.fromEntries(values.map((n) => [`${group}.${n}`, label(n)]));
