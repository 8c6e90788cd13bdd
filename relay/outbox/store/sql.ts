/**
 * The lead store on SQL: one schema (schema.ts) and one set of queries, run through a small
 * synchronous driver by both the Node store (better-sqlite3, sqlite.ts) and the Workers store
 * (Durable Object SQLite storage, durable.ts). Only the driver differs: how a statement is run,
 * how a transaction is opened, and where the store's identity marks (application_id, user_version)
 * live.
 *
 * This module imports no driver, so a Worker bundle that uses it never pulls in better-sqlite3.
 * Parameters are positional `?` only (the Durable Object API binds nothing else), and every value
 * bound is a string, a number or null.
 *
 * The store never logs; errors are thrown (as rejections) and name fields, never their values.
 */
import {
  INSERT_ONLY_FIELDS,
  OPTIONAL_FIELDS,
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
  type PatchField,
} from './checks.js';
import { acceptEvents, activityOf, assertLeadEvent, detailText, eventOf, isSearch } from './history.js';
import { migrateLeadStore, type MigrateOptions, type SqlDriver, type SqlValue } from './schema.js';
import type {
  AcceptOutcome,
  AcceptWindows,
  HeldCount,
  LeadActivity,
  LeadEvent,
  LeadListFilter,
  LeadPatch,
  LeadRecord,
  LeadStatus,
  LeaseState,
  LeasedLeadStore,
  TourAccept,
  TourRelease,
  UpdateCondition,
  WriteKind,
} from './types.js';
import { TAKES_PLACE_SQL } from './types.js';

export interface SqlLeadStoreOptions extends MigrateOptions {
  /**
   * How accept() runs its check and insert, `step`, which must run inside a transaction that holds
   * the write lock, at most once; the promise settles with what `step` returned or threw. Without
   * it, each accept is a transaction of its own, run at once (driver.transaction): the Durable
   * Object store, whose writes the runtime already coalesces. The Node store passes its group commit
   * (sqlite.ts): the steps of one event-loop turn in one transaction, each in a savepoint
   * of its own, settled only once that transaction has committed.
   */
  runAccept?: (step: () => AcceptOutcome) => Promise<AcceptOutcome>;
  /** Tests only: runs between acquireLease's read and its compare-and-set (to widen the race). */
  beforeLeaseWrite?: () => Promise<void> | void;
}

/** A row of `leads` as the drivers return it. */
interface LeadRow {
  id: string;
  site: string;
  idempotency_key: string | null;
  fingerprints: string;
  status: LeadStatus;
  submission: string;
  created_at: number;
  updated_at: number;
  age_from: number;
  next_attempt_at: number;
  attempts: number;
  in_doubt_since: number | null;
  job_id: string | null;
  checks: number;
  write_retries: number;
  created_record_id: string | null;
  confirmed_at: number | null;
  error: string | null;
  error_detail: string | null;
  lead_source_id: string | null;
  campaign: string | null;
  sent_ids: string | null;
  content_hash: string | null;
  follows: string | null;
  target_lead_id: string | null;
  write_kind: WriteKind | null;
  written_at: number | null;
  tour_start: number | null;
}

const COLUMNS = ['id', 'site', ...INSERT_ONLY_FIELDS, 'fingerprints', 'created_at', ...PATCH_FIELD_NAMES] as const;

/** A record's values in COLUMNS order, JSON for the two structured fields, NULL for absent ones. */
function toParams(record: LeadRecord): SqlValue[] {
  return COLUMNS.map((column) => {
    const value = record[column];
    return value == null ? null : column === 'fingerprints' || column === 'submission' ? JSON.stringify(value) : (value as string | number);
  });
}

/** NULL comes back as an absent field, so a record read equals the record stored. */
function toRecord(row: LeadRow): LeadRecord {
  const record = { ...row, fingerprints: JSON.parse(row.fingerprints), submission: JSON.parse(row.submission) } as Record<string, unknown>;
  for (const field of OPTIONAL_FIELDS) if (record[field] === null) delete record[field];
  return record as unknown as LeadRecord;
}

const NEWEST = 'ORDER BY created_at DESC, id DESC';
/** Bytewise, as the memory store and PostgreSQL's C collation order text. */
const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every statement the store runs; the same text on every driver. Exported for the query-plan tests. */
export const LEAD_STORE_SQL = {
  get: 'SELECT * FROM leads WHERE id = ?',
  exists: 'SELECT 1 AS found FROM leads WHERE id = ?',
  // Should a job id ever be on two leads, the newest wins.
  byJob: `SELECT * FROM leads WHERE job_id = ? ${NEWEST} LIMIT 1`,
  // Windows include their start: created at or after `since` (= now - window) matches.
  // `+l.created_at`: the same order, but no index may provide it, so SQLite seeks leads_site_key by
  // (site, key) instead of walking leads_site_created through every lead of the site in the window
  // for the key's sake (0.5 ms a lookup at 10,000 leads, and twice per lead: the route's replay
  // check and accept's). Those few matches are then sorted.
  byKey: `SELECT l.* FROM leads l WHERE l.site = ? AND l.idempotency_key = ? AND l.created_at >= ? ORDER BY +l.created_at, l.id LIMIT 1`,
  // The lead a repeat is answered with: the oldest that makes it a replay (the same content hash,
  // or none on either side: checks.ts isReplayOf), else the oldest match, which it then follows.
  // One row however many follow-ups the window holds. No index gives that order, so the few ids
  // lead_fingerprints_lookup yields are read by primary key and sorted.
  byFingerprint: `SELECT l.* FROM leads l WHERE l.id IN (
       SELECT f.lead_id FROM lead_fingerprints f
       WHERE f.site = ? AND f.fingerprint IN (SELECT value FROM json_each(?)) AND f.created_at >= ?
     ) AND (? = 'held' OR l.status <> 'held') ORDER BY CASE WHEN ? IS NULL OR l.content_hash IS NULL OR l.content_hash = ? THEN 0 ELSE 1 END, l.created_at, l.id LIMIT 1`,
  // A slot's places taken (index leads_tours), the tour a lead was stored with (leads_tour_of), and
  // the places of a site's slots in a range.
  tours: {
    taken: `SELECT COUNT(*) AS n FROM leads WHERE site = ? AND tour_start = ? AND ${TAKES_PLACE_SQL}`,
    of: 'SELECT * FROM leads WHERE follows = ? AND tour_start IS NOT NULL ORDER BY created_at, id LIMIT 1',
    // The ids as a JSON array, NULLs left out.
    booked: `SELECT tour_start AS start, COUNT(*) AS count, json_group_array(created_record_id) FILTER (WHERE created_record_id IS NOT NULL) AS ids
       FROM leads WHERE site = ? AND tour_start >= ? AND tour_start < ? AND ${TAKES_PLACE_SQL} GROUP BY tour_start ORDER BY tour_start`,
  },
  insert: `INSERT INTO leads (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
  insertFingerprint: 'INSERT OR IGNORE INTO lead_fingerprints (fingerprint, site, lead_id, created_at) VALUES (?, ?, ?, ?)',
  // One statement for every patch: per column a flag, 1 when the patch has that key (its value,
  // possibly NULL, is written) and 0 when it does not (the column keeps its value), then the value.
  // With an if-status it is a compare-and-set: the row changes only while it is in that status.
  // With an if-attempts it is a claim naming the attempt it expects; with a lease fence, only while
  // that owner holds that lease unexpired (the same statement, so no lapse can fall between).
  update: `UPDATE leads SET ${PATCH_FIELD_NAMES.map((c) => `${c} = CASE WHEN ? THEN ? ELSE ${c} END`).join(', ')}
     WHERE id = ? AND (? IS NULL OR status = ?) AND (? IS NULL OR attempts = ?)
       AND (? IS NULL OR EXISTS (SELECT 1 FROM outbox_lease WHERE name = ? AND owner = ? AND expires_at > ?))`,
  lease: {
    get: 'SELECT owner, expires_at FROM outbox_lease WHERE name = ?',
    // A free lease: the first to insert wins.
    insert: 'INSERT INTO outbox_lease (name, owner, expires_at, acquired_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
    // Compare-and-set on exactly the row read: another writer in between changes it, and this one changes nothing.
    swap: `UPDATE outbox_lease SET owner = ?, expires_at = ?, acquired_at = CASE WHEN owner = ? THEN acquired_at ELSE ? END
       WHERE name = ? AND owner = ? AND expires_at = ?`,
    release: 'DELETE FROM outbox_lease WHERE name = ? AND owner = ?',
  },
  // Reads only the due rows of the two working statuses (index leads_due), then orders those;
  // ties in the order leads were inserted (rowid), since a burst shares its milliseconds.
  due: `SELECT * FROM leads WHERE status IN ('queued', 'sent') AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at, rowid LIMIT ?`,
  // One index seek per status (a MIN over an IN list would walk every queued and sent lead).
  nextDueAt: `SELECT MIN(m) AS m FROM (SELECT MIN(next_attempt_at) AS m FROM leads WHERE status = 'queued'
                                       UNION ALL SELECT MIN(next_attempt_at) FROM leads WHERE status = 'sent')`,
  // One statement per filter shape, so each can use its index (an `? IS NULL OR` filter cannot).
  list: {
    all: `SELECT * FROM leads ${NEWEST} LIMIT ?`,
    status: `SELECT * FROM leads WHERE status = ? ${NEWEST} LIMIT ?`,
    site: `SELECT * FROM leads WHERE site = ? ${NEWEST} LIMIT ?`,
    both: `SELECT * FROM leads WHERE status = ? AND site = ? ${NEWEST} LIMIT ?`,
    // The console's search: through leads_created for the range, the contact read from the JSON.
    search: `SELECT * FROM leads WHERE (? IS NULL OR status = ?) AND (? IS NULL OR site = ?)
       AND created_at >= ? AND created_at < ?
       AND (? IS NULL OR lower(json_extract(submission, '$.email_1')) = lower(?))
       AND (? IS NULL OR json_extract(submission, '$.phone_1') = ? OR json_extract(submission, '$.phone_2') = ?)
       ${NEWEST} LIMIT ?`,
  },
  // `+site`: two status ranges through an index on status, not every lead of the site (confirmed
  // ones included) through leads_site_created. The queued range is read whole to find those in doubt.
  openCreates: `SELECT * FROM leads WHERE status = 'sent' AND +site IN (SELECT value FROM json_each(?))
     UNION ALL
     SELECT * FROM leads WHERE status = 'queued' AND in_doubt_since IS NOT NULL AND +site IN (SELECT value FROM json_each(?))
     ${NEWEST}`,
  // No index holds created_record_id (one would take a schema migration): a scan of the table that
  // reads one column, no record parsed. A confirmation round asks once.
  heldRecordIds: `SELECT DISTINCT created_record_id AS id FROM leads WHERE created_record_id IN (SELECT value FROM json_each(?))`,
  counts: 'SELECT status, COUNT(*) AS n FROM leads GROUP BY status',
  // The queued range of leads_due, a few rows in a healthy outbox; ties to the oldest id.
  backlog: {
    oldest: `SELECT id, site, age_from FROM leads WHERE status = 'queued' ORDER BY age_from, id LIMIT 1`,
    waiting: `SELECT COUNT(*) AS n FROM leads WHERE status = 'queued' AND age_from < ?`,
  },
  heldSince: `SELECT site, COALESCE(error, '') AS reason, COUNT(*) AS count FROM leads
     WHERE status = 'held' AND created_at >= ? GROUP BY site, reason ORDER BY site, reason`,
  // Fingerprint and event rows go by ON DELETE CASCADE; `changes` counts only the leads.
  purge: `DELETE FROM leads WHERE status = 'confirmed' AND confirmed_at < ?`,
  purgeSpam: `DELETE FROM leads WHERE status = 'held' AND error = 'marked_spam' AND updated_at < ?`,
  event: {
    insert: 'INSERT INTO lead_events (lead_id, at, type, detail) VALUES (?, ?, ?, ?)',
    list: 'SELECT at, type, detail FROM lead_events WHERE lead_id = ? ORDER BY rowid',
  },
  // The window through leads_created, the open leads through each status's range of leads_due.
  activity: `SELECT id, site, status, created_at, confirmed_at, attempts, error, tour_start FROM leads WHERE created_at >= ?
     UNION SELECT id, site, status, created_at, confirmed_at, attempts, error, tour_start FROM leads WHERE status IN ('queued', 'sent', 'held', 'failed')
     ORDER BY created_at, id`,
} as const;
const SQL = LEAD_STORE_SQL;

/**
 * The LeadStore over `driver`, after bringing its database to the current schema (throws, closing
 * nothing, when the database is not a lead store or is newer). close() closes the driver.
 */
export function createSqlLeadStore(driver: SqlDriver, options: SqlLeadStoreOptions): LeasedLeadStore {
  migrateLeadStore(driver, options);
  let closed = false;

  // Like the memory store after close(): every method refuses.
  const open = () => {
    if (closed) throw new Error('lead store is closed');
  };
  const one = (sql: string, params: readonly SqlValue[]): LeadRecord | null => {
    const row = driver.get<LeadRow>(sql, params);
    return row ? toRecord(row) : null;
  };
  const many = (sql: string, params: readonly SqlValue[]): LeadRecord[] => driver.all<LeadRow>(sql, params).map(toRecord);

  const accept = (record: LeadRecord, windows: AcceptWindows, tour?: TourAccept): AcceptOutcome => {
    const replay = (match: LeadRecord): AcceptOutcome => {
      const booked = tour ? one(SQL.tours.of, [match.id]) : null;
      return { record: match, created: false, ...(booked ? { tour: booked } : {}) };
    };
    if (record.idempotency_key != null) {
      const match = one(SQL.byKey, [record.site, record.idempotency_key, windows.now - windows.keyWindowMs]);
      if (match) return replay(match);
    }
    const hash = record.content_hash ?? null;
    const since = windows.now - windows.dedupeWindowMs;
    const match =
      record.fingerprints.length > 0
        ? one(SQL.byFingerprint, [record.site, JSON.stringify(record.fingerprints), since, record.status, hash, hash])
        : null;
    if (match && isReplayOf(record, match)) return replay(match);
    // Looked for rather than caught: the drivers report a constraint failure differently.
    if (driver.get(SQL.exists, [record.id]) || (tour && driver.get(SQL.exists, [tour.record.id]))) {
      throw new Error('lead store: a lead with this id already exists');
    }
    if (tour && tour.record.status !== 'held') {
      const taken = driver.get<{ n: number }>(SQL.tours.taken, [record.site, tour.record.tour_start!])!.n;
      if (taken >= tour.capacity) return { record, created: false, slot_taken: true };
    }
    // A match left here has other words: this lead follows it up.
    insertLead(withFollows(record, match?.id));
    if (!tour) return { record: one(SQL.get, [record.id])!, created: true };
    insertLead(withFollows(tour.record, record.id));
    return { record: one(SQL.get, [record.id])!, created: true, tour: one(SQL.get, [tour.record.id])! };
  };

  const insertLead = (record: LeadRecord) => {
    driver.run(SQL.insert, toParams(record));
    for (const fingerprint of record.fingerprints)
      driver.run(SQL.insertFingerprint, [fingerprint, record.site, record.id, record.created_at]);
    for (const event of acceptEvents(record)) insertEvent(record.id, event);
  };

  const insertEvent = (id: string, event: LeadEvent) => driver.run(SQL.event.insert, [id, event.at, event.type, detailText(event)]);

  const update = (id: string, patch: LeadPatch, condition: UpdateCondition, event?: LeadEvent): LeadRecord | null => {
    const params: SqlValue[] = [];
    for (const field of PATCH_FIELD_NAMES) {
      const value = (patch as Record<PatchField, unknown>)[field];
      // undefined (or null) clears an optional field; on a required one it changes nothing.
      const set = field in patch && (value != null || OPTIONAL_FIELDS.includes(field as (typeof OPTIONAL_FIELDS)[number]));
      params.push(set ? 1 : 0, value == null ? null : field === 'submission' ? JSON.stringify(value) : (value as string | number));
    }
    const { ifStatus = null, ifAttempts = null, ifLease } = condition;
    params.push(id, ifStatus, ifStatus, ifAttempts, ifAttempts);
    params.push(ifLease ? 1 : null, ifLease?.name ?? null, ifLease?.owner ?? null, ifLease?.now ?? null);
    if (driver.run(SQL.update, params).changes === 0) return null;
    if (event !== undefined) insertEvent(id, event);
    // Read back in the same transaction: the record exactly as this update left it.
    return one(SQL.get, [id]);
  };

  return {
    // The transaction holds the write lock before the look-ups, so the check and the insert are one
    // step for every writer; others wait rather than interleave.
    async accept(record, windows, tour) {
      open();
      assertLeadRecord(record);
      assertWindows(windows);
      if (tour) assertTour(record, tour);
      const step = () => accept(record, windows, tour);
      return options.runAccept ? options.runAccept(step) : driver.transaction(step);
    },

    async tourBookings(site, from, to) {
      open();
      return driver
        .all<{ start: number; count: number; ids: string }>(SQL.tours.booked, [site, from, to])
        .map(({ start, count, ids }) => ({ start, count, appointment_ids: (JSON.parse(ids) as string[]).sort(byBytes) }));
    },

    async tourOf(leadId) {
      open();
      return one(SQL.tours.of, [leadId]);
    },

    // One transaction, as accept's: BEGIN IMMEDIATE holds the file's write lock from the look to the
    // write (on Node; the Durable Object runs one call at a time), so a release and an accept, or two
    // releases, never both take a slot's last place.
    async releaseTour(tourId, capacity, patch, event) {
      open();
      assertReleaseCapacity(capacity);
      assertLeadPatch(patch);
      assertLeadEvent(event);
      return driver.transaction((): TourRelease | null => {
        const tour = one(SQL.get, [tourId]);
        if (tour?.status !== 'held' || tour.tour_start === undefined) return null;
        // Held, it is not among the places counted.
        if (driver.get<{ n: number }>(SQL.tours.taken, [tour.site, tour.tour_start])!.n >= capacity) return { full: true };
        const released = update(tourId, { ...patch, status: 'queued' }, { ifStatus: 'held' }, event);
        return released ? { released } : null;
      });
    },

    async get(id) {
      open();
      return one(SQL.get, [id]);
    },

    async findByIdempotencyKey(site, key, since) {
      open();
      return one(SQL.byKey, [site, key, since]);
    },

    async findByJobId(jobId) {
      open();
      return one(SQL.byJob, [jobId]);
    },

    async due(now, limit) {
      open();
      return many(SQL.due, [now, rowLimit(limit)]);
    },

    async nextDueAt() {
      open();
      return driver.get<{ m: number | null }>(SQL.nextDueAt)?.m ?? null;
    },

    async update(id, patch, options = {}, event) {
      open();
      assertLeadPatch(patch);
      assertCondition(options);
      if (event !== undefined) assertLeadEvent(event);
      return driver.transaction(() => update(id, patch, options, event));
    },

    async appendEvent(id, event) {
      open();
      assertLeadEvent(event);
      return driver.transaction(() => {
        if (!driver.get(SQL.exists, [id])) return false;
        insertEvent(id, event);
        return true;
      });
    },

    async history(id) {
      open();
      return driver.all<{ at: number; type: string; detail: string | null }>(SQL.event.list, [id]).map(eventOf);
    },

    async activity(since): Promise<LeadActivity[]> {
      open();
      return driver
        .all<LeadRow>(SQL.activity, [since])
        .map((row) => activityOf(toRecord({ ...row, fingerprints: '[]', submission: '{}' })));
    },

    async acquireLease(name, owner, now, ttlMs) {
      open();
      assertLeaseArgs(name, owner, now, ttlMs);
      const current = driver.get<LeaseState>(SQL.lease.get, [name]) ?? null;
      if (current && current.owner !== owner && current.expires_at > now) return { held: false, state: current };
      // Between the read and the write another process may act: the write names what was read.
      await options.beforeLeaseWrite?.();
      const expires = now + ttlMs;
      const changed = current
        ? driver.run(SQL.lease.swap, [owner, expires, owner, now, name, current.owner, current.expires_at]).changes
        : driver.run(SQL.lease.insert, [name, owner, expires, now]).changes;
      const state = driver.get<LeaseState>(SQL.lease.get, [name]) ?? null;
      return { held: changed === 1 && state?.owner === owner, state };
    },

    async releaseLease(name, owner) {
      open();
      return driver.run(SQL.lease.release, [name, owner]).changes === 1;
    },

    async leaseHolder(name) {
      open();
      return driver.get<LeaseState>(SQL.lease.get, [name]) ?? null;
    },

    async list(filter: LeadListFilter = {}) {
      open();
      const limit = listLimit(filter);
      const { status = null, site = null } = filter;
      if (isSearch(filter)) {
        const { createdFrom = -Number.MAX_VALUE, createdBefore = Number.MAX_VALUE, email = null, phone = null } = filter;
        return many(SQL.list.search, [status, status, site, site, createdFrom, createdBefore, email, email, phone, phone, phone, limit]);
      }
      return status !== null && site !== null
        ? many(SQL.list.both, [status, site, limit])
        : status !== null
          ? many(SQL.list.status, [status, limit])
          : site !== null
            ? many(SQL.list.site, [site, limit])
            : many(SQL.list.all, [limit]);
    },

    async openCreates(sites) {
      open();
      const json = JSON.stringify(sites);
      return many(SQL.openCreates, [json, json]);
    },

    async heldRecordIds(recordIds) {
      open();
      if (recordIds.length === 0) return [];
      return driver.all<{ id: string }>(SQL.heldRecordIds, [JSON.stringify(recordIds)]).map((row) => row.id);
    },

    async counts() {
      open();
      const counts = emptyCounts();
      for (const { status, n } of driver.all<{ status: LeadStatus; n: number }>(SQL.counts)) counts[status] = n;
      return counts;
    },

    async backlog(before) {
      open();
      const oldest = driver.get<{ id: string; site: string; age_from: number }>(SQL.backlog.oldest);
      const waiting = driver.get<{ n: number }>(SQL.backlog.waiting, [before])?.n ?? 0;
      return { oldest: oldest ? { id: oldest.id, site: oldest.site, waiting_since: oldest.age_from } : null, waiting };
    },

    async heldSince(since) {
      open();
      return driver.all<HeldCount>(SQL.heldSince, [since]).map((row) => ({ ...row, count: Number(row.count) }));
    },

    async purgeConfirmed(before) {
      open();
      return driver.transaction(() => driver.run(SQL.purge, [before]).changes + driver.run(SQL.purgeSpam, [before]).changes);
    },

    async close() {
      if (closed) return;
      closed = true;
      driver.close();
    },
  };
}
