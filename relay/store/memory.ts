/**
 * An in-memory LeadStore: for tests and a single Node process. It forgets everything on restart,
 * which is why the next issue replaces it with a durable outbox.
 */
import type { InsertResult, LeadPatch, LeadRecord, LeadStatus, LeadStore } from './types.js';

export interface MemoryLeadStore extends LeadStore {
  /** Every record, oldest first (copies): for tests and the demo. */
  all(): LeadRecord[];
}

// Records are copied in and out so a caller mutating its object cannot change what is stored.
const copy = (r: LeadRecord): LeadRecord => ({ ...r, submission: { ...r.submission } });

export function createMemoryLeadStore(): MemoryLeadStore {
  const byId = new Map<string, LeadRecord>();
  const byKey = new Map<string, string>();
  // Site slugs cannot contain a newline, so this joins without ambiguity.
  const keyOf = (site: string, key: string) => `${site}\n${key}`;

  return {
    all: () => [...byId.values()].map(copy),

    async insert(record: LeadRecord): Promise<InsertResult> {
      if (byId.has(record.id)) throw new Error(`lead ${record.id} already exists`);
      if (record.idempotency_key !== undefined) {
        const k = keyOf(record.site, record.idempotency_key);
        const existingId = byKey.get(k);
        const existing = existingId === undefined ? undefined : byId.get(existingId);
        if (existing) return { inserted: false, existing: copy(existing) };
        byKey.set(k, record.id);
      }
      byId.set(record.id, copy(record));
      return { inserted: true, record: copy(record) };
    },

    async get(id: string): Promise<LeadRecord | null> {
      const r = byId.get(id);
      return r ? copy(r) : null;
    },

    async update(id: string, patch: LeadPatch, options: { ifStatus?: LeadStatus } = {}): Promise<LeadRecord | null> {
      const r = byId.get(id);
      if (!r) return null;
      if (options.ifStatus !== undefined && r.status !== options.ifStatus) return null;
      const next: LeadRecord = { ...r, ...patch };
      // Only optional fields can be cleared; a required one patched with undefined keeps its value.
      for (const key of ['job_id', 'error'] as const) if (key in patch && patch[key] === undefined) delete next[key];
      for (const key of ['status', 'updated_at', 'attempts', 'submission'] as const) if (next[key] === undefined) (next as unknown as Record<string, unknown>)[key] = r[key];
      byId.set(id, next);
      return copy(next);
    },

    async findByIdempotencyKey(site: string, key: string): Promise<LeadRecord | null> {
      const id = byKey.get(keyOf(site, key));
      const r = id === undefined ? undefined : byId.get(id);
      return r ? copy(r) : null;
    },
  };
}
