import { FIELDS, type FieldName } from '../../contract/fields.js';

/**
 * Reads the shown fields into a submission: empty fields are left out, numeric fields become
 * numbers, dollars become cents. A value that is not a number stays a string, so validation
 * names the field instead of the value silently disappearing.
 */
export function readSubmission(form: HTMLFormElement, shown: readonly FieldName[]): Record<string, unknown> {
  const data = new FormData(form);
  const out: Record<string, unknown> = {};
  for (const name of shown) {
    const raw = data.get(name);
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    const spec = FIELDS[name];
    out[name] = spec.dollars ? dollarsToCents(raw) : spec.number ? toNumber(raw) : raw;
  }
  return out;
}

function toNumber(raw: string): number | string {
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

/** "$1,800" or "1800.50" to cents; anything else is returned unchanged. */
export function dollarsToCents(raw: string): number | string {
  const text = raw.trim().replace(/^\$\s*/, '');
  if (!/^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$/.test(text)) return raw;
  return Math.round(Number(text.replace(/,/g, '')) * 100);
}

/**
 * 128 random bits as an Idempotency-Key (`[0-9-]`, 8 to 128 characters as the relay asks). Not
 * crypto.randomUUID: it exists only on secure origins, and property sites are not all on https.
 */
export const newIdempotencyKey = (): string => crypto.getRandomValues(new Uint32Array(4)).join('-');
