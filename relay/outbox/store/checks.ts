/**
 * What every lead store checks before it writes, shared by the memory store (memory.ts) and the SQL
 * one (sql.ts, under SQLite on Node and in the Worker's Durable Object): the fields a patch may
 * change, which are optional, the input checks, and the row limits. A module with no dependency
 * but the store's types, so importing it never loads SQLite.
 */
import {
  LEAD_STATUSES,
  WRITE_KINDS,
  type AcceptWindows,
  type LeadListFilter,
  type LeadPatch,
  type LeadRecord,
  type LeadStatus,
  type TourAccept,
  type UpdateCondition,
} from './types.js';

type Kind = 'string' | 'number';
/** Fields a patch may change, with their type and whether they are optional (may be cleared). */
export const PATCH_FIELDS = {
  status: { kind: 'string', optional: false },
  submission: { kind: 'object', optional: false },
  updated_at: { kind: 'number', optional: false },
  age_from: { kind: 'number', optional: false },
  next_attempt_at: { kind: 'number', optional: false },
  attempts: { kind: 'number', optional: false },
  in_doubt_since: { kind: 'number', optional: true },
  job_id: { kind: 'string', optional: true },
  checks: { kind: 'number', optional: false },
  write_retries: { kind: 'number', optional: false },
  created_record_id: { kind: 'string', optional: true },
  confirmed_at: { kind: 'number', optional: true },
  error: { kind: 'string', optional: true },
  error_detail: { kind: 'string', optional: true },
  sent_ids: { kind: 'string', optional: true },
  target_lead_id: { kind: 'string', optional: true },
  write_kind: { kind: 'string', optional: true },
  written_at: { kind: 'number', optional: true },
} as const satisfies Record<keyof LeadPatch, { kind: Kind | 'object'; optional: boolean }>;

export type PatchField = keyof typeof PATCH_FIELDS;
export const PATCH_FIELD_NAMES = Object.keys(PATCH_FIELDS) as PatchField[];

/** Optional fields set once, when the lead is accepted (`follows` by the store, whatever the record says). */
export const INSERT_ONLY_FIELDS = ['idempotency_key', 'lead_source_id', 'campaign', 'content_hash', 'follows', 'tour_start'] as const;
/** The optional fields of a record: stored as NULL, returned absent. */
export const OPTIONAL_FIELDS = [...INSERT_ONLY_FIELDS, ...PATCH_FIELD_NAMES.filter((f) => PATCH_FIELDS[f].optional)] as const;

const isStatus = (v: unknown): v is LeadStatus => (LEAD_STATUSES as readonly unknown[]).includes(v);
const isWriteKind = (v: unknown): boolean => (WRITE_KINDS as readonly unknown[]).includes(v);
const isPlainObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkValue(field: string, kind: Kind | 'object', value: unknown): void {
  const ok =
    field === 'status'
      ? isStatus(value)
      : field === 'write_kind'
        ? isWriteKind(value)
        : kind === 'number'
          ? typeof value === 'number' && !Number.isNaN(value)
          : kind === 'string'
            ? typeof value === 'string'
            : isPlainObject(value);
  if (!ok) throw new TypeError(`lead store: invalid ${field}`);
}

/**
 * Refuses a record that does not have the shape of a LeadRecord, before anything is written, so a
 * bug elsewhere cannot store half a lead. The message names the field, never its value.
 */
export function assertLeadRecord(record: LeadRecord): void {
  if (!isPlainObject(record)) throw new TypeError('lead store: a record must be an object');
  for (const field of ['id', 'site'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') throw new TypeError(`lead store: invalid ${field}`);
  }
  for (const field of INSERT_ONLY_FIELDS) {
    if (record[field] != null) checkValue(field, field === 'tour_start' ? 'number' : 'string', record[field]);
  }
  if (!Array.isArray(record.fingerprints) || !record.fingerprints.every((f) => typeof f === 'string')) {
    throw new TypeError('lead store: invalid fingerprints');
  }
  checkValue('created_at', 'number', record.created_at);
  for (const field of PATCH_FIELD_NAMES) {
    const value = record[field];
    const spec = PATCH_FIELDS[field];
    if (value == null && spec.optional) continue;
    checkValue(field, spec.kind, value);
  }
}

/**
 * Whether a lead sharing a fingerprint with `record` within the dedupe window makes it a replay:
 * the same content hash, or none on either side (leads from before schema 6, callers without one).
 * Otherwise `record` is a follow-up of that lead.
 */
export const isReplayOf = (record: LeadRecord, match: Pick<LeadRecord, 'content_hash'>): boolean =>
  record.content_hash == null || match.content_hash == null || match.content_hash === record.content_hash;

/**
 * Refuses a tour that cannot go with `lead`: its record must be a tour (`tour_start`) of the same
 * site, with no key or fingerprints of its own (the lead has them), and a whole capacity: 0 is a slot
 * Propexo's own appointments fill (the booking is refused as full, after a replay is answered).
 */
export function assertTour(lead: LeadRecord, tour: TourAccept): void {
  assertLeadRecord(tour.record);
  const r = tour.record;
  if (r.tour_start == null) throw new TypeError('lead store: invalid tour_start');
  if (r.site !== lead.site || r.id === lead.id) throw new TypeError('lead store: invalid tour');
  if (r.idempotency_key != null || r.fingerprints.length > 0) throw new TypeError('lead store: invalid tour');
  if (!Number.isInteger(tour.capacity) || tour.capacity < 0) throw new TypeError('lead store: invalid capacity');
}

/** releaseTour's capacity: a whole number, where 0 or less is a full slot (per_slot less what Propexo lists may be). */
export function assertReleaseCapacity(capacity: number): void {
  if (!Number.isInteger(capacity)) throw new TypeError('lead store: invalid capacity');
}

/** `record` as accept stores it: with the `follows` accept decided, never one the caller set. */
export function withFollows(record: LeadRecord, follows: string | undefined): LeadRecord {
  const { follows: _given, ...rest } = record;
  return follows === undefined ? rest : { ...rest, follows };
}

/** Refuses a patch value of the wrong type; absent, undefined and null values are not checked. */
export function assertLeadPatch(patch: LeadPatch): void {
  if (!isPlainObject(patch)) throw new TypeError('lead store: a patch must be an object');
  for (const field of PATCH_FIELD_NAMES) {
    const value = patch[field];
    if (value != null) checkValue(field, PATCH_FIELDS[field].kind, value);
  }
}

export function assertWindows(w: AcceptWindows): void {
  for (const field of ['now', 'keyWindowMs', 'dedupeWindowMs'] as const) {
    if (!isPlainObject(w) || typeof w[field] !== 'number' || Number.isNaN(w[field])) {
      throw new TypeError(`lead store: invalid ${field}`);
    }
  }
}

/** A whole number of rows for LIMIT: NaN and negatives give 0, fractions round down. */
export function rowLimit(limit: number): number {
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit <= 0) return 0;
  return Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER);
}

export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 1000;
export const listLimit = (filter: LeadListFilter): number =>
  Math.min(filter.limit === undefined ? LIST_DEFAULT_LIMIT : rowLimit(filter.limit), LIST_MAX_LIMIT);

/** Zero for every status, so a status nobody is in still shows up. */
export const emptyCounts = (): Record<LeadStatus, number> =>
  Object.fromEntries(LEAD_STATUSES.map((s) => [s, 0])) as Record<LeadStatus, number>;

/** Refuses an update condition of the wrong shape (a claim must name a whole attempt count). */
export function assertCondition(condition: UpdateCondition): void {
  if (!isPlainObject(condition)) throw new TypeError('lead store: update options must be an object');
  const { ifStatus, ifAttempts, ifLease } = condition;
  if (ifStatus !== undefined && !isStatus(ifStatus)) throw new TypeError('lead store: invalid ifStatus');
  if (ifAttempts !== undefined && !Number.isInteger(ifAttempts)) throw new TypeError('lead store: invalid ifAttempts');
  if (ifLease !== undefined) assertLeaseArgs(ifLease?.name, ifLease?.owner, ifLease?.now, 0);
}

export function assertLeaseArgs(name: unknown, owner: unknown, now: unknown, ttlMs: unknown): void {
  for (const [field, value] of [
    ['lease name', name],
    ['lease owner', owner],
  ] as const) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`lead store: invalid ${field}`);
  }
  for (const [field, value] of [
    ['lease time', now],
    ['lease ttl', ttlMs],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`lead store: invalid ${field}`);
  }
}
