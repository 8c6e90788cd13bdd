/**
 * An in-memory LeadStore: for tests, and for a relay run without a DATA_DIR. It forgets everything
 * on restart, so it is no outbox for production: use relay/outbox/store/sqlite.ts there.
 *
 * It is also the reference for the store's semantics: relay/outbox/store/sqlite.ts follows it
 * exactly (one behaviour suite runs against both), with the same input checks (checks.ts).
 */
import {
  INSERT_ONLY_FIELDS,
  PATCH_FIELDS,
  PATCH_FIELD_NAMES,
  assertCondition,
  assertLeadPatch,
  assertLeadRecord,
  assertLeaseArgs,
  assertReleaseCapacity,
  assertTour,
  assertWindows,
  emptyCounts,
  isReplayOf,
  listLimit,
  rowLimit,
  withFollows,
} from './checks.js';
import { acceptEvents, activityOf, assertLeadEvent, matchesSearch } from './history.js';
import {
  MARKED_SPAM,
  takesPlace,
  type LeadActivity,
  type LeadEvent,
  type AcceptOutcome,
  type AcceptWindows,
  type Backlog,
  type HeldCount,
  type LeadListFilter,
  type LeadPatch,
  type LeadRecord,
  type LeadStatus,
  type LeaseState,
  type LeasedLeadStore,
  type TourAccept,
  type TourBooking,
  type TourRelease,
  type UpdateCondition,
} from './types.js';

export interface MemoryLeadStore extends LeasedLeadStore {
  /** Every record, oldest first (copies): for tests and the demo. Still works after close(). */
  all(): LeadRecord[];
}

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
  for (const field of INSERT_ONLY_FIELDS) if (record[field] != null) (stored as unknown as Record<string, unknown>)[field] = record[field];
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
/** Bytewise, as SQLite and the C collation of the PostgreSQL store order text. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const oldestFirst = (a: Stored, b: Stored): number => a.created_at - b.created_at || cmp(a.id, b.id);

/** Reads no clock: every time it keeps or compares comes from the caller's record, patch or windows, as in SQLite. */
export function createMemoryLeadStore(options: { beforeLeaseWrite?: () => Promise<void> | void } = {}): MemoryLeadStore {
  const byId = new Map<string, Stored>();
  const leases = new Map<string, LeaseState>();
  // Each lead's timeline, kept as JSON text so what is read back is a copy, as from SQL.
  const events = new Map<string, string[]>();
  const addEvent = (id: string, event: LeadEvent) => {
    let list = events.get(id);
    if (!list) events.set(id, (list = []));
    list.push(JSON.stringify(event));
  };
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

  // Tours are few (one per booking): a scan, where SQL has the index leads_tours.
  /** The tour stored with lead `id`, if any. */
  const tourOf = (id: string): Stored | undefined => {
    for (const r of byId.values()) if (r.follows === id && r.tour_start !== undefined) return r;
    return undefined;
  };
  /** Tours of `site` at `start` that take a place: every one not held. */
  const placesTaken = (site: string, start: number): number => {
    let n = 0;
    for (const r of byId.values()) if (r.site === site && r.tour_start === start && takesPlace(r)) n++;
    return n;
  };

  // Like the SQLite store after close(): every method refuses.
  const open = () => {
    if (closed) throw new Error('lead store is closed');
  };
  const byKey = (site: string, key: string, since: number) => oldestSince(keyIndex.get(site)?.get(key) ?? [], since);
  /** The oldest lead sharing a fingerprint with `record` since `since` that makes it a replay, else the oldest such lead. */
  const byFingerprint = (record: LeadRecord, since: number): Stored | undefined => {
    const forSite = fingerprintIndex.get(record.site);
    if (!forSite) return undefined;
    const ids = new Set<string>();
    for (const f of record.fingerprints) for (const id of forSite.get(f) ?? []) ids.add(id);
    const matches = [...ids]
      .map((id) => byId.get(id)!)
      // A held lead (suspected spam) never absorbs a clean one: the clean one is stored and sent.
      .filter((r) => r.created_at >= since && (record.status === 'held' || r.status !== 'held'))
      .sort(oldestFirst);
    return matches.find((r) => isReplayOf(record, r)) ?? matches[0];
  };

  /** update's compare-and-set, synchronous: the caller has checked its arguments. */
  const applyUpdate = (id: string, patch: LeadPatch, options: UpdateCondition, event?: LeadEvent): LeadRecord | null => {
    const r = byId.get(id);
    if (!r) return null;
    if (options.ifStatus !== undefined && r.status !== options.ifStatus) return null;
    if (options.ifAttempts !== undefined && r.attempts !== options.ifAttempts) return null;
    if (options.ifLease !== undefined) {
      const lease = leases.get(options.ifLease.name);
      if (!lease || lease.owner !== options.ifLease.owner || lease.expires_at <= options.ifLease.now) return null;
    }
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
    if (event !== undefined) addEvent(id, event);
    return toRecord(next);
  };

  return {
    all: () => [...byId.values()].sort(oldestFirst).map(toRecord),

    async accept(record: LeadRecord, windows: AcceptWindows, tour?: TourAccept): Promise<AcceptOutcome> {
      open();
      assertLeadRecord(record);
      assertWindows(windows);
      if (tour) assertTour(record, tour);
      // Nothing awaits between the checks and the write: one step for every caller in this process.
      // Windows include their start: a lead created at or after `since` (= now - window) matches.
      const replay = (match: Stored): AcceptOutcome => {
        const booked = tour ? tourOf(match.id) : undefined;
        return { record: toRecord(match), created: false, ...(booked ? { tour: toRecord(booked) } : {}) };
      };
      if (record.idempotency_key != null) {
        const match = byKey(record.site, record.idempotency_key, windows.now - windows.keyWindowMs);
        if (match) return replay(match);
      }
      const match = record.fingerprints.length > 0 ? byFingerprint(record, windows.now - windows.dedupeWindowMs) : undefined;
      if (match && isReplayOf(record, match)) return replay(match);
      if (byId.has(record.id) || (tour && byId.has(tour.record.id))) throw new Error('lead store: a lead with this id already exists');
      if (tour && tour.record.status !== 'held' && placesTaken(record.site, tour.record.tour_start!) >= tour.capacity) {
        return { record, created: false, slot_taken: true };
      }
      // A match left here has other words: this lead follows it up.
      const stored = toStored(withFollows(record, match?.id));
      byId.set(stored.id, stored);
      for (const event of acceptEvents(record)) addEvent(stored.id, event);
      if (stored.idempotency_key != null) indexAdd(keyIndex, stored.site, stored.idempotency_key, stored.id);
      for (const f of stored.fingerprints) indexAdd(fingerprintIndex, stored.site, f, stored.id);
      if (!tour) return { record: toRecord(stored), created: true };
      const booked = toStored(withFollows(tour.record, stored.id));
      byId.set(booked.id, booked);
      for (const event of acceptEvents(tour.record)) addEvent(booked.id, event);
      return { record: toRecord(stored), created: true, tour: toRecord(booked) };
    },

    async tourBookings(site: string, from: number, to: number): Promise<TourBooking[]> {
      open();
      const byStart = new Map<number, TourBooking>();
      for (const r of byId.values()) {
        if (r.site !== site || r.tour_start === undefined || !takesPlace(r) || r.tour_start < from || r.tour_start >= to) continue;
        let booking = byStart.get(r.tour_start);
        if (!booking) byStart.set(r.tour_start, (booking = { start: r.tour_start, count: 0, appointment_ids: [] }));
        booking.count += 1;
        if (r.created_record_id !== undefined) booking.appointment_ids.push(r.created_record_id);
      }
      return [...byStart.values()].map((b) => ({ ...b, appointment_ids: b.appointment_ids.sort(cmp) })).sort((a, b) => a.start - b.start);
    },

    async tourOf(leadId: string): Promise<LeadRecord | null> {
      open();
      const r = tourOf(leadId);
      return r ? toRecord(r) : null;
    },

    async releaseTour(tourId: string, capacity: number, patch: LeadPatch, event: LeadEvent): Promise<TourRelease | null> {
      open();
      assertReleaseCapacity(capacity);
      assertLeadPatch(patch);
      assertLeadEvent(event);
      // Synchronous from the look to the write, as accept: one step for every caller in this process.
      const r = byId.get(tourId);
      if (r?.status !== 'held' || r.tour_start === undefined) return null;
      // Held, it is not among the places counted.
      if (placesTaken(r.site, r.tour_start) >= capacity) return { full: true };
      const released = applyUpdate(tourId, { ...patch, status: 'queued' }, { ifStatus: 'held' }, event);
      return released ? { released } : null;
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
      return (
        [...byId.values()]
          .filter((r) => (r.status === 'queued' || r.status === 'sent') && r.next_attempt_at <= now)
          // A stable sort over the map's insertion order: ties go in the order leads were accepted.
          .sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at)
          .slice(0, rowLimit(limit))
          .map(toRecord)
      );
    },

    async nextDueAt(): Promise<number | null> {
      open();
      let min: number | null = null;
      for (const r of byId.values()) {
        if ((r.status === 'queued' || r.status === 'sent') && (min === null || r.next_attempt_at < min)) min = r.next_attempt_at;
      }
      return min;
    },

    async update(id: string, patch: LeadPatch, options: UpdateCondition = {}, event?: LeadEvent): Promise<LeadRecord | null> {
      open();
      assertLeadPatch(patch);
      assertCondition(options);
      if (event !== undefined) assertLeadEvent(event);
      return applyUpdate(id, patch, options, event);
    },

    async appendEvent(id: string, event: LeadEvent): Promise<boolean> {
      open();
      assertLeadEvent(event);
      if (!byId.has(id)) return false;
      addEvent(id, event);
      return true;
    },

    async history(id: string): Promise<LeadEvent[]> {
      open();
      return (events.get(id) ?? []).map((text) => JSON.parse(text) as LeadEvent);
    },

    async activity(since: number): Promise<LeadActivity[]> {
      open();
      return [...byId.values()]
        .filter((r) => r.created_at >= since || r.status !== 'confirmed')
        .sort(oldestFirst)
        .map(activityOf);
    },

    async list(filter: LeadListFilter = {}): Promise<LeadRecord[]> {
      open();
      return [...byId.values()]
        .filter((r) => (filter.status === undefined || r.status === filter.status) && (filter.site === undefined || r.site === filter.site))
        .filter((r) => matchesSearch(r, filter))
        .sort((a, b) => oldestFirst(b, a))
        .slice(0, listLimit(filter))
        .map(toRecord);
    },

    async openCreates(sites: readonly string[]): Promise<LeadRecord[]> {
      open();
      const wanted = new Set(sites);
      return [...byId.values()]
        .filter((r) => wanted.has(r.site) && (r.status === 'sent' || (r.status === 'queued' && r.in_doubt_since !== undefined)))
        .sort((a, b) => oldestFirst(b, a))
        .map(toRecord);
    },

    async heldRecordIds(recordIds: readonly string[]): Promise<string[]> {
      open();
      const wanted = new Set(recordIds);
      const held = new Set<string>();
      for (const r of byId.values())
        if (r.created_record_id !== undefined && wanted.has(r.created_record_id)) held.add(r.created_record_id);
      return [...held];
    },

    async counts(): Promise<Record<LeadStatus, number>> {
      open();
      const counts = emptyCounts();
      for (const r of byId.values()) counts[r.status] += 1;
      return counts;
    },

    async backlog(before: number): Promise<Backlog> {
      open();
      let oldest: Stored | undefined;
      let waiting = 0;
      for (const r of byId.values()) {
        if (r.status !== 'queued') continue;
        if (r.age_from < before) waiting += 1;
        if (!oldest || r.age_from < oldest.age_from || (r.age_from === oldest.age_from && r.id < oldest.id)) oldest = r;
      }
      return { oldest: oldest ? { id: oldest.id, site: oldest.site, waiting_since: oldest.age_from } : null, waiting };
    },

    async heldSince(since: number): Promise<HeldCount[]> {
      open();
      const counts = new Map<string, HeldCount>();
      for (const r of byId.values()) {
        if (r.status !== 'held' || r.created_at < since) continue;
        const reason = r.error ?? '';
        const key = JSON.stringify([r.site, reason]);
        const row = counts.get(key) ?? { site: r.site, reason, count: 0 };
        row.count += 1;
        counts.set(key, row);
      }
      return [...counts.values()].sort((a, b) => (a.site === b.site ? cmp(a.reason, b.reason) : cmp(a.site, b.site)));
    },

    async purgeConfirmed(before: number): Promise<number> {
      open();
      let removed = 0;
      for (const [id, r] of byId) {
        const spam = r.status === 'held' && r.error === MARKED_SPAM && r.updated_at < before;
        if (spam || (r.status === 'confirmed' && r.confirmed_at !== undefined && r.confirmed_at < before)) {
          byId.delete(id);
          events.delete(id);
          if (r.idempotency_key != null) indexRemove(keyIndex, r.site, r.idempotency_key, id);
          for (const f of r.fingerprints) indexRemove(fingerprintIndex, r.site, f, id);
          removed += 1;
        }
      }
      return removed;
    },

    async acquireLease(name, owner, now, ttlMs) {
      open();
      assertLeaseArgs(name, owner, now, ttlMs);
      const current = leases.get(name);
      if (current && current.owner !== owner && current.expires_at > now) return { held: false, state: { ...current } };
      await options.beforeLeaseWrite?.();
      // Compare-and-set: only if the lease is still what was read before the await.
      const still = leases.get(name);
      if (still?.owner !== current?.owner || still?.expires_at !== current?.expires_at) {
        return { held: false, state: still ? { ...still } : null };
      }
      const state = { owner, expires_at: now + ttlMs };
      leases.set(name, state);
      return { held: true, state: { ...state } };
    },

    async releaseLease(name, owner) {
      open();
      if (leases.get(name)?.owner !== owner) return false;
      leases.delete(name);
      return true;
    },

    async leaseHolder(name) {
      open();
      const state = leases.get(name);
      return state ? { ...state } : null;
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
