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

/** A v4 UUID. crypto.randomUUID exists only on secure origins; property sites are not all on https. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
