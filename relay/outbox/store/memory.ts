/**
 * An in-memory LeadStore: for tests, and for a relay run without a DATA_DIR. It forgets everything
 * on restart, so it is no outbox for production: use relay/outbox/store/sqlite.ts there.
 *
 * It is also the reference for the store's semantics: relay/outbox/store/sqlite.ts follows it exactly (one
 * behaviour suite runs against both), and the input checks both use live here, in a module with no
 * dependencies, so that importing them never loads SQLite.
 */
import {
  LEAD_STATUSES,
  type AcceptOutcome,
  type AcceptWindows,
  type LeadListFilter,
  type LeadPatch,
  type LeadRecord,
  type LeadStatus,
  type LeadStore,
} from './types.js';

export interface MemoryLeadStore extends LeadStore {
  /** Every record, oldest first (copies): for tests and the demo. Still works after close(). */
  all(): LeadRecord[];
}

// ---- Shared with relay/outbox/store/sqlite.ts: field lists, input checks, limits -------------------------

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
} as const satisfies Record<keyof LeadPatch, { kind: Kind | 'object'; optional: boolean }>;

export type PatchField = keyof typeof PATCH_FIELDS;
export const PATCH_FIELD_NAMES = Object.keys(PATCH_FIELDS) as PatchField[];

/** The optional fields of a record: stored as NULL, returned absent. */
export const OPTIONAL_FIELDS = ['idempotency_key', 'lead_source_id', ...PATCH_FIELD_NAMES.filter((f) => PATCH_FIELDS[f].optional)] as const;
/** Optional fields set once, when the lead is accepted. */
export const INSERT_ONLY_FIELDS = ['idempotency_key', 'lead_source_id'] as const;

const isStatus = (v: unknown): v is LeadStatus => (LEAD_STATUSES as readonly unknown[]).includes(v);
const isPlainObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkValue(field: string, kind: Kind | 'object', value: unknown): void {
  const ok =
    field === 'status'
      ? isStatus(value)
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
  for (const field of INSERT_ONLY_FIELDS) if (record[field] != null) checkValue(field, 'string', record[field]);
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

// ---- The memory store -----------------------------------------------------------------------------

/**
 * What is kept for a lead: the record's own fields only, optional ones absent when unset, and the
 * submission as JSON text, exactly as SQLite keeps it. Reading parses it again, so every record
 * handed out is a deep copy and round-trips through JSON the same way the SQLite store's do.
 */
type Stored = Omit<LeadRecord, 'submission'> & { submission: string };

function toStored(record: LeadRecord): Stored {
  const stored = {
    id: record.id,
    site: record.site,
    fingerprints: [...record.fingerprints],
    created_at: record.created_at,
  } as Stored;
  for (const field of INSERT_ONLY_FIELDS) if (record[field] != null) stored[field] = record[field];
  for (const field of PATCH_FIELD_NAMES) {
    const value = record[field];
    if (value == null) continue;
    (stored as unknown as Record<string, unknown>)[field] = field === 'submission' ? JSON.stringify(value) : value;
  }
  return stored;
}

function toRecord(stored: Stored): LeadRecord {
  return { ...stored, fingerprints: [...stored.fingerprints], submission: JSON.parse(stored.submission) };
}

/** Oldest first: created_at, then id (the same order SQLite's `ORDER BY created_at, id` gives). */
const oldestFirst = (a: Stored, b: Stored): number =>
  a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Reads no clock: every time it keeps or compares comes from the caller's record, patch or windows, as in SQLite. */
export function createMemoryLeadStore(): MemoryLeadStore {
  const byId = new Map<string, Stored>();
  // The ids of each site's leads by idempotency key and by fingerprint (as SQLite's indexes), so an
  // accept looks at the few leads sharing them instead of every lead kept. A lead's site, key,
  // fingerprints and created_at never change (LeadPatch has none of them): only accept adds to these
  // and only purgeConfirmed takes away.
  const keyIndex = new Map<string, Map<string, Set<string>>>();
  const fingerprintIndex = new Map<string, Map<string, Set<string>>>();
  let closed = false;

  const indexAdd = (index: typeof keyIndex, site: string, value: string, id: string) => {
    let forSite = index.get(site);
    if (!forSite) index.set(site, (forSite = new Map()));
    let ids = forSite.get(value);
    if (!ids) forSite.set(value, (ids = new Set()));
    ids.add(id);
  };
  const indexRemove = (index: typeof keyIndex, site: string, value: string, id: string) => {
    const forSite = index.get(site);
    const ids = forSite?.get(value);
    if (!forSite || !ids) return;
    ids.delete(id);
    if (ids.size === 0) forSite.delete(value);
    if (forSite.size === 0) index.delete(site);
  };
  /** The oldest of the leads `ids` names created at or after `since`. */
  const oldestSince = (ids: Iterable<string>, since: number): Stored | undefined => {
    let best: Stored | undefined;
    for (const id of ids) {
      const r = byId.get(id);
      if (r && r.created_at >= since && (best === undefined || oldestFirst(r, best) < 0)) best = r;
    }
    return best;
  };

  // Like the SQLite store after close(): every method refuses.
  const open = () => {
    if (closed) throw new Error('lead store is closed');
  };
  const byKey = (site: string, key: string, since: number) => oldestSince(keyIndex.get(site)?.get(key) ?? [], since);
  const byFingerprint = (site: string, fingerprints: readonly string[], since: number) => {
    const forSite = fingerprintIndex.get(site);
    if (!forSite) return undefined;
    const ids = new Set<string>();
    for (const f of fingerprints) for (const id of forSite.get(f) ?? []) ids.add(id);
    return oldestSince(ids, since);
  };

  return {
    all: () => [...byId.values()].sort(oldestFirst).map(toRecord),

    async accept(record: LeadRecord, windows: AcceptWindows): Promise<AcceptOutcome> {
      open();
      assertLeadRecord(record);
      assertWindows(windows);
      // Nothing awaits between the checks and the write: one step for every caller in this process.
      // Windows include their start: a lead created at or after `since` (= now - window) matches.
      if (record.idempotency_key != null) {
        const match = byKey(record.site, record.idempotency_key, windows.now - windows.keyWindowMs);
        if (match) return { record: toRecord(match), created: false };
      }
      if (record.fingerprints.length > 0) {
        const match = byFingerprint(record.site, record.fingerprints, windows.now - windows.dedupeWindowMs);
        if (match) return { record: toRecord(match), created: false };
      }
      if (byId.has(record.id)) throw new Error('lead store: a lead with this id already exists');
      const stored = toStored(record);
      byId.set(stored.id, stored);
      if (stored.idempotency_key != null) indexAdd(keyIndex, stored.site, stored.idempotency_key, stored.id);
      for (const f of stored.fingerprints) indexAdd(fingerprintIndex, stored.site, f, stored.id);
      return { record: toRecord(stored), created: true };
    },

    async get(id: string): Promise<LeadRecord | null> {
      open();
      const r = byId.get(id);
      return r ? toRecord(r) : null;
    },

    async findByIdempotencyKey(site: string, key: string, since: number): Promise<LeadRecord | null> {
      open();
      const r = byKey(site, key, since);
      return r ? toRecord(r) : null;
    },

    async findByJobId(jobId: string): Promise<LeadRecord | null> {
      open();
      // Should a job id ever be on two leads, the newest wins (as in SQLite).
      const matches = [...byId.values()].filter((r) => r.job_id === jobId).sort(oldestFirst);
      const r = matches[matches.length - 1];
      return r ? toRecord(r) : null;
    },

    async due(now: number, limit: number): Promise<LeadRecord[]> {
      open();
      return [...byId.values()]
        .filter((r) => (r.status === 'queued' || r.status === 'sent') && r.next_attempt_at <= now)
        // A stable sort over the map's insertion order: ties go in the order leads were accepted.
        .sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at)
        .slice(0, rowLimit(limit))
        .map(toRecord);
    },

    async nextDueAt(): Promise<number | null> {
      open();
      let min: number | null = null;
      for (const r of byId.values()) {
        if ((r.status === 'queued' || r.status === 'sent') && (min === null || r.next_attempt_at < min)) min = r.next_attempt_at;
      }
      return min;
    },

    async update(id: string, patch: LeadPatch, options: { ifStatus?: LeadStatus } = {}): Promise<LeadRecord | null> {
      open();
      assertLeadPatch(patch);
      const r = byId.get(id);
      if (!r) return null;
      if (options.ifStatus !== undefined && r.status !== options.ifStatus) return null;
      const next: Stored = { ...r };
      const target = next as unknown as Record<string, unknown>;
      for (const field of PATCH_FIELD_NAMES) {
        if (!(field in patch)) continue;
        const value = patch[field];
        // undefined (or null) clears an optional field; on a required one it changes nothing.
        if (value == null) {
          if (PATCH_FIELDS[field].optional) delete target[field];
        } else {
          target[field] = field === 'submission' ? JSON.stringify(value) : value;
        }
      }
      byId.set(id, next);
      return toRecord(next);
    },

    async list(filter: LeadListFilter = {}): Promise<LeadRecord[]> {
      open();
      return [...byId.values()]
        .filter((r) => (filter.status === undefined || r.status === filter.status) && (filter.site === undefined || r.site === filter.site))
        .sort((a, b) => oldestFirst(b, a))
        .slice(0, listLimit(filter))
        .map(toRecord);
    },

    async counts(): Promise<Record<LeadStatus, number>> {
      open();
      const counts = emptyCounts();
      for (const r of byId.values()) counts[r.status] += 1;
      return counts;
    },

    async purgeConfirmed(before: number): Promise<number> {
      open();
      let removed = 0;
      for (const [id, r] of byId) {
        if (r.status === 'confirmed' && r.confirmed_at !== undefined && r.confirmed_at < before) {
          byId.delete(id);
          if (r.idempotency_key != null) indexRemove(keyIndex, r.site, r.idempotency_key, id);
          for (const f of r.fingerprints) indexRemove(fingerprintIndex, r.site, f, id);
          removed += 1;
        }
      }
      return removed;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
