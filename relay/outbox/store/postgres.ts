/**
 * The outbox on PostgreSQL (DATABASE_URL): one outbox shared by every Node relay, however many
 * machines they run on. Same contract as the SQLite and Durable Object stores (one behaviour suite
 * runs over all of them), same shape of rows:
 *
 * - accept() is one transaction that first takes a transaction-scoped advisory lock on the lead's
 *   site, then looks up the key and the fingerprints and inserts: every instance's accepts of one
 *   site are one step at a time, so a widget retry that reaches another instance finds the lead the
 *   first one stored (the lock's read comes after the other's commit, READ COMMITTED). Ids and
 *   (lead, fingerprint) pairs are primary keys.
 * - update() is one statement: a compare-and-set on the conditions given. A claim (ifAttempts) locks
 *   its row with FOR UPDATE SKIP LOCKED: a row another transaction is claiming is skipped (the claim
 *   loses) rather than waited for; with ifLease the lease row is checked in the same statement.
 * - leases: the outbox_lease row, read then swapped naming what was read (as in sql.ts).
 *
 * Text columns are COLLATE "C" so ids order bytewise as in SQLite whatever the database's locale;
 * numbers are double precision (exact for epoch milliseconds and counters; returned as JS numbers);
 * fingerprints and the submission are JSON text, so a record reads back exactly as stored.
 * The store never logs; errors name fields, never their values.
 */
import pg from 'pg';
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
} from './checks.js';
import { acceptEvents, activityOf, assertLeadEvent, detailText, eventOf } from './history.js';
import { describeDatabaseUrl, migrate } from './postgres-schema.js';
import type {
  AcceptOutcome,
  LeadEvent,
  LeadPatch,
  LeadRecord,
  LeadStatus,
  LeaseState,
  LeasedLeadStore,
  TourBooking,
  TourRelease,
  UpdateCondition,
} from './types.js';
import { TAKES_PLACE_SQL } from './types.js';

const COLUMNS = ['id', 'site', ...INSERT_ONLY_FIELDS, 'fingerprints', 'created_at', ...PATCH_FIELD_NAMES] as const;
const SELECT = COLUMNS.join(', ');
const NEWEST = 'ORDER BY created_at DESC, id DESC';

type Row = Record<string, unknown>;
type Value = string | number | null | readonly string[];

function toRecord(row: Row): LeadRecord {
  const record: Row = { ...row, fingerprints: JSON.parse(row.fingerprints as string), submission: JSON.parse(row.submission as string) };
  for (const field of OPTIONAL_FIELDS) if (record[field] === null) delete record[field];
  return record as unknown as LeadRecord;
}

function toParams(record: LeadRecord): Value[] {
  return COLUMNS.map((column) => {
    const value = record[column];
    return value == null ? null : column === 'fingerprints' || column === 'submission' ? JSON.stringify(value) : (value as string | number);
  });
}

const SQL = {
  get: `SELECT ${SELECT} FROM leads WHERE id = $1`,
  byJob: `SELECT ${SELECT} FROM leads WHERE job_id = $1 ${NEWEST} LIMIT 1`,
  byKey: `SELECT ${SELECT} FROM leads WHERE site = $1 AND idempotency_key = $2 AND created_at >= $3 ORDER BY created_at, id LIMIT 1`,
  // The oldest match that makes a repeat a replay (the same content hash, or none on either side),
  // else the oldest match, which it then follows (as in sql.ts).
  byFingerprint: `SELECT ${SELECT} FROM leads WHERE id IN (
       SELECT lead_id FROM lead_fingerprints WHERE site = $1 AND fingerprint = ANY($2::text[]) AND created_at >= $3
     ) AND ($5::text = 'held' OR status <> 'held') ORDER BY CASE WHEN $4::text IS NULL OR content_hash IS NULL OR content_hash = $4::text THEN 0 ELSE 1 END, created_at, id LIMIT 1`,
  exists: 'SELECT 1 FROM leads WHERE id = $1',
  siteOf: 'SELECT site FROM leads WHERE id = $1',
  // A site's accepts and tour releases, one at a time across every instance (until the transaction ends).
  lockSite: `SELECT pg_advisory_xact_lock(hashtextextended('resman-lead-form:accept:' || $1, 0))`,
  // As sql.ts's: a slot's places taken, the tour stored with a lead, a site's slots in a range.
  tours: {
    taken: `SELECT COUNT(*)::double precision AS n FROM leads WHERE site = $1 AND tour_start = $2 AND ${TAKES_PLACE_SQL}`,
    of: `SELECT ${SELECT} FROM leads WHERE follows = $1 AND tour_start IS NOT NULL ORDER BY created_at, id LIMIT 1`,
    booked: `SELECT tour_start AS start, COUNT(*)::double precision AS count,
         COALESCE(array_agg(created_record_id ORDER BY created_record_id) FILTER (WHERE created_record_id IS NOT NULL), '{}') AS ids
       FROM leads WHERE site = $1 AND tour_start >= $2 AND tour_start < $3 AND ${TAKES_PLACE_SQL} GROUP BY tour_start ORDER BY tour_start`,
  },
  insert: `INSERT INTO leads (${SELECT}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
  insertFingerprints: `INSERT INTO lead_fingerprints (fingerprint, site, lead_id, created_at)
     SELECT DISTINCT f, $2, $3, $4::double precision FROM unnest($1::text[]) AS f ON CONFLICT DO NOTHING`,
  due: `SELECT ${SELECT} FROM leads WHERE status IN ('queued', 'sent') AND next_attempt_at <= $1 ORDER BY next_attempt_at, created_at, seq LIMIT $2`,
  nextDueAt: `SELECT MIN(next_attempt_at) AS m FROM leads WHERE status IN ('queued', 'sent')`,
  openCreates: `SELECT ${SELECT} FROM leads WHERE site = ANY($1::text[]) AND (status = 'sent' OR (status = 'queued' AND in_doubt_since IS NOT NULL)) ${NEWEST}`,
  heldRecordIds: 'SELECT DISTINCT created_record_id AS id FROM leads WHERE created_record_id = ANY($1::text[])',
  counts: 'SELECT status, COUNT(*)::double precision AS n FROM leads GROUP BY status',
  backlog: {
    oldest: `SELECT id, site, age_from FROM leads WHERE status = 'queued' ORDER BY age_from, id LIMIT 1`,
    waiting: `SELECT COUNT(*)::double precision AS n FROM leads WHERE status = 'queued' AND age_from < $1`,
  },
  heldSince: `SELECT site, COALESCE(error, '') AS reason, COUNT(*)::double precision AS count FROM leads
     WHERE status = 'held' AND created_at >= $1 GROUP BY site, reason ORDER BY site, reason`,
  // Fingerprint and event rows go by ON DELETE CASCADE.
  purge: `DELETE FROM leads WHERE (status = 'confirmed' AND confirmed_at < $1) OR (status = 'held' AND error = 'marked_spam' AND updated_at < $1)`,
  event: {
    // Nothing is inserted for a lead that does not exist.
    insert: `INSERT INTO lead_events (lead_id, at, type, detail) SELECT id, $2::double precision, $3::text, $4::text FROM leads WHERE id = $1`,
    list: 'SELECT at, type, detail FROM lead_events WHERE lead_id = $1 ORDER BY seq',
  },
  activity: `SELECT id, site, status, created_at, confirmed_at, attempts, error, tour_start FROM leads
     WHERE created_at >= $1 OR status IN ('queued', 'sent', 'held', 'failed') ORDER BY created_at, id`,
  lease: {
    get: 'SELECT owner, expires_at FROM outbox_lease WHERE name = $1',
    insert: 'INSERT INTO outbox_lease (name, owner, expires_at, acquired_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING',
    swap: `UPDATE outbox_lease SET owner = $1, expires_at = $2, acquired_at = CASE WHEN owner = $1 THEN acquired_at ELSE $3 END
       WHERE name = $4 AND owner = $5 AND expires_at = $6`,
    release: 'DELETE FROM outbox_lease WHERE name = $1 AND owner = $2',
  },
} as const;

/**
 * update()'s one statement and its parameters: a compare-and-set on the conditions given, the
 * event's row written by the same statement only when the lead changed.
 */
function updateStatement(id: string, patch: LeadPatch, condition: UpdateCondition, event?: LeadEvent): [string, Value[]] {
  const params: Value[] = [id];
  const sets: string[] = [];
  for (const field of PATCH_FIELD_NAMES) {
    if (!(field in patch)) continue;
    const value = (patch as Record<string, unknown>)[field];
    // undefined (or null) clears an optional field; on a required one it changes nothing.
    if (value == null && !(OPTIONAL_FIELDS as readonly string[]).includes(field)) continue;
    params.push(value == null ? null : field === 'submission' ? JSON.stringify(value) : (value as string | number));
    sets.push(`${field} = $${params.length}`);
  }
  const where = ['id = $1'];
  if (condition.ifStatus !== undefined) {
    params.push(condition.ifStatus);
    where.push(`status = $${params.length}`);
  }
  if (condition.ifAttempts !== undefined) {
    params.push(condition.ifAttempts);
    where.push(`attempts = $${params.length}`);
  }
  const fence: string[] = [];
  if (condition.ifLease !== undefined) {
    const { name, owner, now } = condition.ifLease;
    params.push(name, owner, now);
    const n = params.length;
    fence.push(`EXISTS (SELECT 1 FROM outbox_lease WHERE name = $${n - 2} AND owner = $${n - 1} AND expires_at > $${n})`);
  }
  // A claim skips a row another transaction is changing: it loses, as it would a moment later.
  const lock = condition.ifAttempts !== undefined ? 'FOR UPDATE SKIP LOCKED' : 'FOR UPDATE';
  const changed = `UPDATE leads SET ${sets.length ? sets.join(', ') : 'id = leads.id'} FROM target
    WHERE leads.id = target.id${fence.length ? ` AND ${fence.join(' AND ')}` : ''}
    RETURNING ${COLUMNS.map((c) => `leads.${c}`).join(', ')}`;
  // With an event, its row is written by the same statement, only when the lead changed.
  let logged = '';
  if (event !== undefined) {
    params.push(event.at, event.type, detailText(event));
    const n = params.length;
    logged = `, logged AS (INSERT INTO lead_events (lead_id, at, type, detail) SELECT id, $${n - 2}::double precision, $${n - 1}::text, $${n}::text FROM changed)`;
  }
  const sql = `WITH target AS (SELECT id FROM leads WHERE ${where.join(' AND ')} ${lock}),
    changed AS (${changed})${logged} SELECT * FROM changed`;
  return [sql, params];
}

export interface PostgresLeadStoreOptions {
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
  /** Tests only: runs between acquireLease's read and its compare-and-set (to widen the race). */
  beforeLeaseWrite?: () => Promise<void> | void;
}

/**
 * Connects to `url`, brings its database to the current schema (or refuses one of something else,
 * or a newer one), and returns the store. close() ends the pool.
 */
export async function openPostgresLeadStore(url: string, options: PostgresLeadStoreOptions = {}): Promise<LeasedLeadStore> {
  const label = describeDatabaseUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle connection that fails (the server restarted) must not crash the process: the next query reconnects.
  pool.on('error', () => {});
  try {
    await migrate(pool, label);
  } catch (cause) {
    await pool.end().catch(() => {});
    const message = (cause as Error).message;
    if (message.startsWith(label)) throw cause;
    throw new Error(`cannot open the lead store at ${label}: ${message}`, { cause });
  }
  let closed = false;
  const open = () => {
    if (closed) throw new Error('lead store is closed');
  };
  const query = async (sql: string, params: readonly Value[] = []): Promise<Row[]> =>
    (await pool.query(sql, params as unknown[])).rows as Row[];
  const one = async (sql: string, params: readonly Value[]): Promise<LeadRecord | null> => {
    const row = (await query(sql, params))[0];
    return row ? toRecord(row) : null;
  };
  const many = async (sql: string, params: readonly Value[]): Promise<LeadRecord[]> => (await query(sql, params)).map(toRecord);
  const eventParams = (id: string, event: LeadEvent): Value[] => [id, event.at, event.type, detailText(event)];
  const leaseOf = async (name: string): Promise<LeaseState | null> => {
    const row = (await query(SQL.lease.get, [name]))[0];
    return row ? { owner: row.owner as string, expires_at: row.expires_at as number } : null;
  };

  return {
    async accept(record, windows, tour) {
      open();
      assertLeadRecord(record);
      assertWindows(windows);
      if (tour) assertTour(record, tour);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Every instance's accepts for this site, one at a time: the checks (the slot's places too) and the inserts are one step.
        await client.query(SQL.lockSite, [record.site]);
        const first = async (sql: string, params: readonly Value[]) => {
          const row = (await client.query(sql, params as unknown[])).rows[0] as Row | undefined;
          return row ? toRecord(row) : null;
        };
        const done = async (outcome: AcceptOutcome) => {
          await client.query('COMMIT');
          return outcome;
        };
        let replay: LeadRecord | null = null;
        let follows: string | undefined;
        if (record.idempotency_key != null) {
          replay = await first(SQL.byKey, [record.site, record.idempotency_key, windows.now - windows.keyWindowMs]);
        }
        if (!replay && record.fingerprints.length > 0) {
          const since = windows.now - windows.dedupeWindowMs;
          const match = await first(SQL.byFingerprint, [
            record.site,
            record.fingerprints,
            since,
            record.content_hash ?? null,
            record.status,
          ]);
          // A match that is no replay has other words: this lead follows it up.
          if (match && isReplayOf(record, match)) replay = match;
          else follows = match?.id;
        }
        if (replay) {
          const booked = tour ? await first(SQL.tours.of, [replay.id]) : null;
          return await done({ record: replay, created: false, ...(booked ? { tour: booked } : {}) });
        }
        for (const id of tour ? [record.id, tour.record.id] : [record.id]) {
          if ((await client.query(SQL.exists, [id])).rowCount) throw new Error('lead store: a lead with this id already exists');
        }
        if (tour && tour.record.status !== 'held') {
          const taken = Number((await client.query(SQL.tours.taken, [record.site, tour.record.tour_start!])).rows[0].n);
          if (taken >= tour.capacity) return await done({ record, created: false, slot_taken: true });
        }
        const insert = async (r: LeadRecord) => {
          await client.query(SQL.insert, toParams(r));
          if (r.fingerprints.length > 0) await client.query(SQL.insertFingerprints, [r.fingerprints, r.site, r.id, r.created_at]);
          for (const event of acceptEvents(r)) await client.query(SQL.event.insert, eventParams(r.id, event));
        };
        await insert(withFollows(record, follows));
        if (tour) await insert(withFollows(tour.record, record.id));
        const stored = (await first(SQL.get, [record.id]))!;
        const booked = tour ? ((await first(SQL.get, [tour.record.id])) ?? undefined) : undefined;
        return await done({ record: stored, created: true, ...(booked ? { tour: booked } : {}) });
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if ((error as { code?: string }).code === '23505' && /leads_pkey/.test(String((error as { constraint?: string }).constraint))) {
          throw new Error('lead store: a lead with this id already exists');
        }
        throw error;
      } finally {
        client.release();
      }
    },

    async tourBookings(site, from, to): Promise<TourBooking[]> {
      open();
      return (await query(SQL.tours.booked, [site, from, to])).map((row) => ({
        start: Number(row.start),
        count: Number(row.count),
        appointment_ids: row.ids as string[],
      }));
    },

    async tourOf(leadId) {
      open();
      return one(SQL.tours.of, [leadId]);
    },

    async releaseTour(tourId, capacity, patch, event) {
      open();
      assertReleaseCapacity(capacity);
      assertLeadPatch(patch);
      assertLeadEvent(event);
      // A tour's site never changes: read it first, to take the lock accept takes for that site.
      const site = (await query(SQL.siteOf, [tourId]))[0]?.site as string | undefined;
      if (site === undefined) return null;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Under the site's lock, the count and the release are one step against every accept and release of the site.
        await client.query(SQL.lockSite, [site]);
        const result = await (async (): Promise<TourRelease | null> => {
          const row = (await client.query(SQL.get, [tourId])).rows[0] as Row | undefined;
          const tour = row ? toRecord(row) : null;
          if (tour?.status !== 'held' || tour.tour_start === undefined) return null;
          const taken = Number((await client.query(SQL.tours.taken, [site, tour.tour_start])).rows[0].n);
          if (taken >= capacity) return { full: true };
          const changed = (await client.query(...updateStatement(tourId, { ...patch, status: 'queued' }, { ifStatus: 'held' }, event)))
            .rows[0];
          return changed ? { released: toRecord(changed as Row) } : null;
        })();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
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
      const n = rowLimit(limit);
      if (n === 0) return [];
      return many(SQL.due, [now, n]);
    },

    async nextDueAt() {
      open();
      return ((await query(SQL.nextDueAt))[0]?.m as number | null | undefined) ?? null;
    },

    async update(id, patch, condition = {}, event) {
      open();
      assertLeadPatch(patch);
      assertCondition(condition);
      if (event !== undefined) assertLeadEvent(event);
      const row = (await query(...updateStatement(id, patch, condition, event)))[0];
      return row ? toRecord(row) : null;
    },

    async appendEvent(id, event) {
      open();
      assertLeadEvent(event);
      return ((await pool.query(SQL.event.insert, eventParams(id, event) as unknown[])).rowCount ?? 0) === 1;
    },

    async history(id) {
      open();
      return (await query(SQL.event.list, [id])).map((row) => eventOf(row as { at: number; type: string; detail: string | null }));
    },

    async activity(since) {
      open();
      return (await query(SQL.activity, [since])).map((row) => activityOf(toRecord({ ...row, fingerprints: '[]', submission: '{}' })));
    },

    async list(filter = {}) {
      open();
      const limit = listLimit(filter);
      const params: Value[] = [];
      const where: string[] = [];
      if (filter.status !== undefined) {
        params.push(filter.status);
        where.push(`status = $${params.length}`);
      }
      if (filter.site !== undefined) {
        params.push(filter.site);
        where.push(`site = $${params.length}`);
      }
      if (filter.createdFrom !== undefined) {
        params.push(filter.createdFrom);
        where.push(`created_at >= $${params.length}`);
      }
      if (filter.createdBefore !== undefined) {
        params.push(filter.createdBefore);
        where.push(`created_at < $${params.length}`);
      }
      if (filter.email !== undefined) {
        params.push(filter.email);
        where.push(`lower(submission::json->>'email_1') = lower($${params.length})`);
      }
      if (filter.phone !== undefined) {
        params.push(filter.phone);
        where.push(`(submission::json->>'phone_1' = $${params.length} OR submission::json->>'phone_2' = $${params.length})`);
      }
      params.push(limit);
      return many(
        `SELECT ${SELECT} FROM leads ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${NEWEST} LIMIT $${params.length}`,
        params,
      );
    },

    async openCreates(sites) {
      open();
      return many(SQL.openCreates, [[...sites]]);
    },

    async heldRecordIds(recordIds) {
      open();
      if (recordIds.length === 0) return [];
      return (await query(SQL.heldRecordIds, [[...recordIds]])).map((row) => row.id as string);
    },

    async counts() {
      open();
      const counts = emptyCounts();
      for (const row of await query(SQL.counts)) counts[row.status as LeadStatus] = row.n as number;
      return counts;
    },

    async backlog(before) {
      open();
      const [oldest] = await query(SQL.backlog.oldest);
      const [waiting] = await query(SQL.backlog.waiting, [before]);
      return {
        oldest: oldest ? { id: oldest.id as string, site: oldest.site as string, waiting_since: oldest.age_from as number } : null,
        waiting: (waiting?.n as number | undefined) ?? 0,
      };
    },

    async heldSince(since) {
      open();
      return (await query(SQL.heldSince, [since])).map((row) => ({
        site: row.site as string,
        reason: row.reason as string,
        count: row.count as number,
      }));
    },

    async purgeConfirmed(before) {
      open();
      return (await pool.query(SQL.purge, [before])).rowCount ?? 0;
    },

    async acquireLease(name, owner, now, ttlMs) {
      open();
      assertLeaseArgs(name, owner, now, ttlMs);
      const current = await leaseOf(name);
      if (current && current.owner !== owner && current.expires_at > now) return { held: false, state: current };
      await options.beforeLeaseWrite?.();
      const expires = now + ttlMs;
      const changed = current
        ? (await pool.query(SQL.lease.swap, [owner, expires, now, name, current.owner, current.expires_at])).rowCount
        : (await pool.query(SQL.lease.insert, [name, owner, expires, now])).rowCount;
      const state = await leaseOf(name);
      return { held: changed === 1 && state?.owner === owner, state };
    },

    async releaseLease(name, owner) {
      open();
      return (await pool.query(SQL.lease.release, [name, owner])).rowCount === 1;
    },

    async leaseHolder(name) {
      open();
      return leaseOf(name);
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
