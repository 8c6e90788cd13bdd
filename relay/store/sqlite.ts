/**
 * The durable outbox for Node: one SQLite file (better-sqlite3), shared safely by every relay process
 * on the host that opens it.
 *
 * What is in the file: each lead's record (relay/store/types.ts), including the prospect's fields,
 * which are personal data, until the relay purges confirmed leads after the retention period. Never
 * the Propexo token or the site's Propexo ids. Deleted rows can linger in free pages of the file and
 * in the WAL until they are reused or checkpointed: protect DATA_DIR like the data it holds.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is in the WAL before accept() or update()
 * returns, so a process crash (kill -9, OOM) loses nothing committed; only a power loss or OS crash
 * may lose the last few transactions (the WAL is synced at checkpoints, not at every commit). WAL
 * needs a local file system: do not put DATA_DIR on NFS or SMB.
 *
 * Everything inside is synchronous (better-sqlite3), exposed as promises to fit LeadStore. The store
 * never logs; errors are thrown (as rejections) and name fields, never their values.
 */
import Database from 'better-sqlite3';
import {
  OPTIONAL_FIELDS,
  PATCH_FIELD_NAMES,
  assertLeadPatch,
  assertLeadRecord,
  assertWindows,
  emptyCounts,
  listLimit,
  rowLimit,
  type PatchField,
} from './memory.js';
import type {
  AcceptOutcome,
  AcceptWindows,
  LeadListFilter,
  LeadPatch,
  LeadRecord,
  LeadStatus,
  LeadStore,
} from './types.js';

export interface SqliteLeadStoreOptions {
  /** How long a write waits for another process's write before failing with SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
}

/** The schema version this code writes (PRAGMA user_version). */
export const SQLITE_SCHEMA_VERSION = 1;
/** Marks the file as a lead store (PRAGMA application_id): 'RMLF', ResMan lead form. */
export const SQLITE_APPLICATION_ID = 0x524d4c46;

/**
 * Migrations: MIGRATIONS[n] takes the schema from version n to n + 1. Append only; never edit a
 * migration that has shipped (so no values interpolated from code that may change, such as
 * LEAD_STATUSES). Each runs inside the same transaction that sets user_version.
 */
const MIGRATIONS: readonly string[] = [
  // 0 -> 1
  `
  CREATE TABLE leads (
    id                TEXT PRIMARY KEY NOT NULL,
    site              TEXT NOT NULL,
    idempotency_key   TEXT,
    fingerprints      TEXT NOT NULL,            -- JSON array of strings, in the record's order
    status            TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'confirmed', 'failed')),
    submission        TEXT NOT NULL,            -- JSON object: the normalised submission
    created_at        INTEGER NOT NULL,         -- epoch ms, like every time here
    updated_at        INTEGER NOT NULL,
    age_from          INTEGER NOT NULL,
    next_attempt_at   INTEGER NOT NULL,
    attempts          INTEGER NOT NULL,
    in_doubt_since    INTEGER,
    job_id            TEXT,
    checks            INTEGER NOT NULL,
    write_retries     INTEGER NOT NULL,
    created_record_id TEXT,
    confirmed_at      INTEGER,
    error             TEXT,
    error_detail      TEXT
  );
  -- One row per (lead, fingerprint): the duplicate-window lookup. Rows go with their lead.
  CREATE TABLE lead_fingerprints (
    fingerprint TEXT NOT NULL,
    site        TEXT NOT NULL,
    lead_id     TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (lead_id, fingerprint)
  ) WITHOUT ROWID;
  CREATE INDEX lead_fingerprints_lookup ON lead_fingerprints (site, fingerprint, created_at);
  CREATE INDEX leads_site_key ON leads (site, idempotency_key, created_at) WHERE idempotency_key IS NOT NULL;
  -- due() and nextDueAt(): one range per working status, never a scan of confirmed leads.
  CREATE INDEX leads_due ON leads (status, next_attempt_at);
  CREATE INDEX leads_job ON leads (job_id) WHERE job_id IS NOT NULL;
  CREATE INDEX leads_status_confirmed ON leads (status, confirmed_at);
  -- list(), newest first, without a filter or by site (by status it uses leads_status_confirmed).
  CREATE INDEX leads_created ON leads (created_at, id);
  CREATE INDEX leads_site_created ON leads (site, created_at, id);
  `,
];

/** Brings the file to SQLITE_SCHEMA_VERSION, refusing files that are not a lead store. */
function migrate(db: Database.Database, path: string): void {
  // IMMEDIATE: two processes opening a new file at once cannot both create the tables.
  db.transaction(() => {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (appId !== SQLITE_APPLICATION_ID) {
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
      if (appId !== 0 || version !== 0 || tables.length > 0) {
        throw new Error(
          `${path} is a SQLite database of something else, not a lead store ` +
            `(application_id ${appId}, user_version ${version}, tables: ${tables.join(', ') || 'none'}); point DATA_DIR elsewhere`,
        );
      }
      db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
    }
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new Error(`${path} has lead store schema version ${version}, newer than this relay's ${SQLITE_SCHEMA_VERSION}: upgrade the relay`);
    }
    for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (version !== SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  }).immediate();
}

/** A row of `leads` as better-sqlite3 returns it. */
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
}

const COLUMNS = ['id', 'site', 'idempotency_key', 'fingerprints', 'created_at', ...PATCH_FIELD_NAMES] as const;

function toRow(record: LeadRecord): LeadRow {
  const row = {} as Record<string, unknown>;
  for (const column of COLUMNS) {
    const value = record[column];
    row[column] = value == null ? null : column === 'fingerprints' || column === 'submission' ? JSON.stringify(value) : value;
  }
  return row as unknown as LeadRow;
}

/** NULL comes back as an absent field, so a record read equals the record stored. */
function toRecord(row: LeadRow): LeadRecord {
  const record = { ...row, fingerprints: JSON.parse(row.fingerprints), submission: JSON.parse(row.submission) } as Record<string, unknown>;
  for (const field of OPTIONAL_FIELDS) if (record[field] === null) delete record[field];
  return record as unknown as LeadRecord;
}

/**
 * Opens (creating when missing) the lead store at `path`, or `':memory:'` for a private in-memory
 * database (tests). Throws a clear error for a file that is not a lead store or is newer.
 */
export function openSqliteLeadStore(path: string, options: SqliteLeadStoreOptions = {}): LeadStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new Error(`cannot open the lead store at ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    // First, so that even switching to WAL waits for another process instead of failing.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL'); // ':memory:' stays 'memory', which is fine for tests
    db.pragma('synchronous = NORMAL'); // see the top of this file for what this does and does not lose
    db.pragma('foreign_keys = ON'); // lead_fingerprints rows go with their lead
    migrate(db, path);
  } catch (cause) {
    db.close();
    const message = (cause as Error).message;
    if ((cause as { code?: string }).code === 'SQLITE_NOTADB' || /not a database/i.test(message)) {
      throw new Error(`${path} is not a SQLite database (damaged or another kind of file), so it cannot be the lead store`, { cause });
    }
    if (message.startsWith(path)) throw cause;
    throw new Error(`cannot open the lead store at ${path}: ${message}`, { cause });
  }
  return createStore(db);
}

function createStore(db: Database.Database): LeadStore {
  const ORDER_OLDEST = 'ORDER BY l.created_at, l.id';
  const NEWEST = 'ORDER BY created_at DESC, id DESC';
  const stmt = {
    get: db.prepare<[string], LeadRow>('SELECT * FROM leads WHERE id = ?'),
    // Should a job id ever be on two leads, the newest wins.
    byJob: db.prepare<[string], LeadRow>('SELECT * FROM leads WHERE job_id = ? ORDER BY created_at DESC, id DESC LIMIT 1'),
    // Windows include their start: created at or after `since` (= now - window) matches.
    byKey: db.prepare<[string, string, number], LeadRow>(
      `SELECT l.* FROM leads l WHERE l.site = ? AND l.idempotency_key = ? AND l.created_at >= ? ${ORDER_OLDEST} LIMIT 1`,
    ),
    byFingerprint: db.prepare<[string, string, number], LeadRow>(
      `SELECT l.* FROM leads l WHERE l.id IN (
         SELECT f.lead_id FROM lead_fingerprints f
         WHERE f.site = ? AND f.fingerprint IN (SELECT value FROM json_each(?)) AND f.created_at >= ?
       ) ${ORDER_OLDEST} LIMIT 1`,
    ),
    insert: db.prepare<[LeadRow]>(`INSERT INTO leads (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`),
    insertFingerprint: db.prepare<[string, string, string, number]>(
      'INSERT OR IGNORE INTO lead_fingerprints (fingerprint, site, lead_id, created_at) VALUES (?, ?, ?, ?)',
    ),
    // One statement for every patch: `set_<col>` is 1 when the patch has that key (its value,
    // possibly NULL, is written), 0 when it does not (the column keeps its value). With if_status it
    // is a compare-and-set: the row changes only while it is in that status.
    update: db.prepare<[Record<string, unknown>]>(
      `UPDATE leads SET ${PATCH_FIELD_NAMES.map((c) => `${c} = CASE WHEN @set_${c} THEN @${c} ELSE ${c} END`).join(', ')}
       WHERE id = @id AND (@if_status IS NULL OR status = @if_status)`,
    ),
    // Reads only the due rows of the two working statuses (index leads_due), then orders those.
    due: db.prepare<[number, number], LeadRow>(
      `SELECT * FROM leads WHERE status IN ('queued', 'sent') AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at, rowid LIMIT ?`,
    ),
    // One index seek per status (a MIN over an IN list would walk every queued and sent lead).
    nextDueAt: db
      .prepare<[], number | null>(
        `SELECT MIN(m) FROM (SELECT MIN(next_attempt_at) AS m FROM leads WHERE status = 'queued'
                             UNION ALL SELECT MIN(next_attempt_at) FROM leads WHERE status = 'sent')`,
      )
      .pluck(),
    // One statement per filter shape, so each can use its index (an `? IS NULL OR` filter cannot).
    list: {
      all: db.prepare<[number], LeadRow>(`SELECT * FROM leads ${NEWEST} LIMIT ?`),
      status: db.prepare<[string, number], LeadRow>(`SELECT * FROM leads WHERE status = ? ${NEWEST} LIMIT ?`),
      site: db.prepare<[string, number], LeadRow>(`SELECT * FROM leads WHERE site = ? ${NEWEST} LIMIT ?`),
      both: db.prepare<[string, string, number], LeadRow>(`SELECT * FROM leads WHERE status = ? AND site = ? ${NEWEST} LIMIT ?`),
    },
    counts: db.prepare<[], { status: LeadStatus; n: number }>('SELECT status, COUNT(*) AS n FROM leads GROUP BY status'),
    // Fingerprint rows go by ON DELETE CASCADE; `changes` counts only the leads.
    purge: db.prepare<[number]>(`DELETE FROM leads WHERE status = 'confirmed' AND confirmed_at < ?`),
  };

  const accept = db.transaction((record: LeadRecord, windows: AcceptWindows): AcceptOutcome => {
    if (record.idempotency_key != null) {
      const row = stmt.byKey.get(record.site, record.idempotency_key, windows.now - windows.keyWindowMs);
      if (row) return { record: toRecord(row), created: false };
    }
    if (record.fingerprints.length > 0) {
      const row = stmt.byFingerprint.get(record.site, JSON.stringify(record.fingerprints), windows.now - windows.dedupeWindowMs);
      if (row) return { record: toRecord(row), created: false };
    }
    try {
      stmt.insert.run(toRow(record));
    } catch (cause) {
      if ((cause as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new Error('lead store: a lead with this id already exists', { cause });
      }
      throw cause;
    }
    for (const fingerprint of record.fingerprints) stmt.insertFingerprint.run(fingerprint, record.site, record.id, record.created_at);
    return { record: toRecord(stmt.get.get(record.id)!), created: true };
  });

  const update = db.transaction((id: string, patch: LeadPatch, ifStatus: LeadStatus | undefined): LeadRecord | null => {
    const params: Record<string, unknown> = { id, if_status: ifStatus ?? null };
    for (const field of PATCH_FIELD_NAMES) {
      const value = (patch as Record<PatchField, unknown>)[field];
      // undefined (or null) clears an optional field; on a required one it changes nothing.
      const set = field in patch && (value != null || OPTIONAL_FIELDS.includes(field as (typeof OPTIONAL_FIELDS)[number]));
      params[`set_${field}`] = set ? 1 : 0;
      params[field] = value == null ? null : field === 'submission' ? JSON.stringify(value) : value;
    }
    if (stmt.update.run(params).changes === 0) return null;
    // Read back in the same transaction: the record exactly as this update left it.
    return toRecord(stmt.get.get(id)!);
  });

  return {
    // BEGIN IMMEDIATE takes the write lock before the look-ups, so the check and the insert are one
    // step for every process on this file; others wait (busy_timeout) rather than interleave.
    async accept(record, windows) {
      assertLeadRecord(record);
      assertWindows(windows);
      return accept.immediate(record, windows);
    },

    async get(id) {
      const row = stmt.get.get(id);
      return row ? toRecord(row) : null;
    },

    async findByIdempotencyKey(site, key, since) {
      const row = stmt.byKey.get(site, key, since);
      return row ? toRecord(row) : null;
    },

    async findByJobId(jobId) {
      const row = stmt.byJob.get(jobId);
      return row ? toRecord(row) : null;
    },

    async due(now, limit) {
      return stmt.due.all(now, rowLimit(limit)).map(toRecord);
    },

    async nextDueAt() {
      return stmt.nextDueAt.get() ?? null;
    },

    async update(id, patch, options = {}) {
      assertLeadPatch(patch);
      return update.immediate(id, patch, options.ifStatus);
    },

    async list(filter: LeadListFilter = {}) {
      const limit = listLimit(filter);
      const { status, site } = filter;
      const rows =
        status !== undefined && site !== undefined
          ? stmt.list.both.all(status, site, limit)
          : status !== undefined
            ? stmt.list.status.all(status, limit)
            : site !== undefined
              ? stmt.list.site.all(site, limit)
              : stmt.list.all.all(limit);
      return rows.map(toRecord);
    },

    async counts() {
      const counts = emptyCounts();
      for (const { status, n } of stmt.counts.all()) counts[status] = n;
      return counts;
    },

    async purgeConfirmed(before) {
      return stmt.purge.run(before).changes;
    },

    async close() {
      if (db.open) db.close();
    },
  };
}
