/**
 * What the lead store tests share (store.test.ts, store-sqlite.test.ts): a fixed clock, the accept
 * windows at a given time, a minimal lead with a fresh id and fingerprint each call, a record with
 * every field set, and the ids of a list of records. Also the wire between a test in Node and a
 * store in workerd (support/store-worker.ts): remoteLeadStore and the codec both ends use.
 *
 * No imports but types: the test worker bundles this file for workerd.
 */
import type { AcceptWindows, LeadRecord, LeasedLeadStore } from '../../../relay/outbox/store/types.js';

export const T0 = Date.UTC(2025, 5, 1, 12);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const KEY_WINDOW = 24 * HOUR;
export const DEDUPE_WINDOW = 10 * MIN;
export const at = (now: number): AcceptWindows => ({ now, keyWindowMs: KEY_WINDOW, dedupeWindowMs: DEDUPE_WINDOW });

let seq = 0;
/** A minimal record: required fields only, no optional key present at all. */
export function lead(extra: Partial<LeadRecord> = {}): LeadRecord {
  seq += 1;
  const created = extra.created_at ?? T0;
  return {
    id: `ld_${String(seq).padStart(6, '0')}`,
    site: 'oak-grove',
    fingerprints: [`fp-${seq}`],
    status: 'queued',
    submission: { first_name: 'Jane', last_name: 'Doe', email_1: `jane${seq}@gmail.com` },
    created_at: created,
    updated_at: created,
    age_from: created,
    next_attempt_at: created,
    attempts: 0,
    checks: 0,
    write_retries: 0,
    ...extra,
  };
}

/** Every field of LeadRecord set, every submission field too; but `follows`, which only accept sets. */
export const fullRecord = (): LeadRecord => ({
  id: 'ld_full',
  site: 'pine-ridge',
  idempotency_key: '0b6f1c9e-4a8e-4d8e-9a57-3c1f0e2d7b11',
  fingerprints: ['fp-email-abc', 'fp-phone-def'],
  status: 'sent',
  submission: {
    first_name: 'José',
    last_name: "O'Brien-Núñez",
    email_1: 'jose@example.org',
    phone_1: '5125550142',
    phone_1_type: 'MOBILE',
    phone_2: '7375550187',
    phone_2_type: 'WORK',
    address_1: '12 Elm St',
    address_2: 'Apt 4',
    city: 'Austin',
    state: 'TX',
    zip: '78748',
    notes: 'Line one\nline "two" 🐈 — ünïcode',
    desired_num_bedrooms: 2,
    desired_num_bathrooms: 1.5,
    desired_max_rent_in_cents: 150000,
    desired_lease_term_in_months: 12,
    target_move_in_date: '2025-07-01',
    floor_plan_id: 'fp_oakgrove_b1',
    unit_id: 'unit_204',
  },
  created_at: T0,
  updated_at: T0 + 5_000,
  age_from: T0 + 1,
  next_attempt_at: T0 + 30_000,
  attempts: 2,
  in_doubt_since: T0 + 4_000,
  job_id: 'job_123',
  checks: 3,
  write_retries: 1,
  created_record_id: 'rec_999',
  confirmed_at: T0 + 6_000,
  error: 'upstream_503',
  error_detail: '{"errors":["ResMan timeout"]}',
  campaign: 'apartments.com',
  sent_ids: '{"integration_id":"int_1","property_id":"prop_1","employee_id":"emp_1","lead_source_id":"lsrc_1"}',
  content_hash: 'ch-full-0f3a',
  target_lead_id: 'rec_prospect_77',
  write_kind: 'event',
  written_at: T0 + 4_000,
});

export const ids = (records: LeadRecord[]) => records.map((r) => r.id);

// ---- A LeadStore in workerd, called from Node -------------------------------------------------------

export const LEAD_STORE_METHODS = [
  'accept',
  'get',
  'findByIdempotencyKey',
  'findByJobId',
  'due',
  'nextDueAt',
  'update',
  'appendEvent',
  'history',
  'activity',
  'tourBookings',
  'tourOf',
  'releaseTour',
  'list',
  'counts',
  'purgeConfirmed',
  'openCreates',
  'heldRecordIds',
  'acquireLease',
  'releaseLease',
  'leaseHolder',
  'close',
] as const satisfies readonly (keyof LeasedLeadStore)[];
export type LeadStoreMethod = (typeof LEAD_STORE_METHODS)[number];

/** One call: a LeadStore method, or a test-only command of the worker (`$…`), with its arguments. */
export interface WireCall {
  method: LeadStoreMethod | `$${string}`;
  args: unknown[];
}
export type WireResult = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string } };

// JSON, except that what JSON would lose survives: a key present with the value undefined (a patch
// clearing a field), undefined itself (close()'s result) and non-finite numbers (due(now, Infinity)).
const UNDEFINED = '$undefined';
const NUMBER = '$number';

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v === undefined ? { [UNDEFINED]: 1 } : typeof v === 'number' && !Number.isFinite(v) ? { [NUMBER]: String(v) } : v,
  );
}

export function decodeWire(text: string): unknown {
  const revive = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) return v.map(revive);
    const keys = Object.keys(v);
    const o = v as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
    if (keys.length === 1 && keys[0] === NUMBER && typeof o[NUMBER] === 'string') return Number(o[NUMBER]);
    for (const key of keys) o[key] = revive(o[key]); // assigning undefined keeps the key
    return o;
  };
  return revive(JSON.parse(text));
}

/** Rebuilds a store error on this side, keeping its name (TypeError for invalid input) and message. */
export function wireError(error: { name: string; message: string }): Error {
  const made = error.name === 'TypeError' ? new TypeError(error.message) : new Error(error.message);
  if (made.name !== error.name) made.name = error.name;
  return made;
}

/** A LeadStore whose every call is `send(encodeWire(call))`, answered with an encoded WireResult. */
export function remoteLeadStore(send: (body: string) => Promise<string>): LeasedLeadStore & { call(call: WireCall): Promise<unknown> } {
  const call = async (wire: WireCall): Promise<unknown> => {
    const result = decodeWire(await send(encodeWire(wire))) as WireResult;
    if (!result.ok) throw wireError(result.error);
    return result.value;
  };
  const store = Object.fromEntries(
    LEAD_STORE_METHODS.map((method) => [method, (...args: unknown[]) => call({ method, args })]),
  ) as unknown as LeasedLeadStore;
  return Object.assign(store, { call });
}
