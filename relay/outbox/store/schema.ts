/**
 * The lead store's schema and what it runs on: the small synchronous driver both SQLite stores
 * implement (better-sqlite3 in sqlite.ts, Durable Object storage in durable.ts), the marks that
 * identify a database as a lead store, and the migrations that bring one to this code's version.
 * The queries over it are sql.ts's.
 */

/** A value bound to a `?`. */
export type SqlValue = string | number | null;

/** The two marks that identify a database as a lead store and say which schema it has. */
export type StoreMark = 'application_id' | 'user_version';

/**
 * What the store needs from a SQLite connection, all synchronous. Both SQLite drivers return
 * INTEGER and REAL columns as numbers and TEXT as strings, which is all the schema holds.
 */
export interface SqlDriver {
  /** Every row of a query, as objects keyed by column name. */
  all<T>(sql: string, params?: readonly SqlValue[]): T[];
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): T | undefined;
  /**
   * Runs an INSERT, UPDATE or DELETE. `changes` counts the rows the statement itself changed
   * (sqlite3_changes: not index entries, not rows deleted by ON DELETE CASCADE).
   */
  run(sql: string, params?: readonly SqlValue[]): { changes: number };
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): void;
  /**
   * Runs `fn` as one transaction: committed when it returns, rolled back when it throws. It must
   * hold the write lock from its start (BEGIN IMMEDIATE on a shared file), so that a check inside
   * it and the write that follows are one step for every writer.
   */
  transaction<T>(fn: () => T): T;
  /** The mark's value, 0 when never set (PRAGMA application_id / user_version, or a stand-in). */
  getMark(name: StoreMark): number;
  /** Sets a mark; called only inside `transaction`. */
  setMark(name: StoreMark, value: number): void;
  /** Tables that belong to the driver or the platform rather than to some other application. */
  isInternalTable?(name: string): boolean;
  close(): void;
}

/** The schema version this code writes (the user_version mark). */
export const LEAD_STORE_SCHEMA_VERSION = 8;
/** Marks a database as a lead store (the application_id mark): 'RMLF', ResMan lead form. */
export const LEAD_STORE_APPLICATION_ID = 0x524d4c46;

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
  // 1 -> 2: the lead source a site's lead_source_map chose for this lead
  `
  ALTER TABLE leads ADD COLUMN lead_source_id TEXT;
  `,
  // 2 -> 3: status 'held' (suspected spam, kept apart). SQLite cannot alter a CHECK, so the table is
  // rebuilt: fingerprints set aside first (dropping leads would cascade to them), rowids kept (they
  // order ties in due()), every index made again.
  `
  CREATE TABLE lead_fingerprints_keep AS SELECT fingerprint, site, lead_id, created_at FROM lead_fingerprints;
  DROP TABLE lead_fingerprints;
  CREATE TABLE leads_v3 (
    id                TEXT PRIMARY KEY NOT NULL,
    site              TEXT NOT NULL,
    idempotency_key   TEXT,
    fingerprints      TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'confirmed', 'failed', 'held')),
    submission        TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
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
    error_detail      TEXT,
    lead_source_id    TEXT
  );
  INSERT INTO leads_v3 (rowid, COLS) SELECT rowid, COLS FROM leads;
  DROP TABLE leads;
  ALTER TABLE leads_v3 RENAME TO leads;
  CREATE TABLE lead_fingerprints (
    fingerprint TEXT NOT NULL,
    site        TEXT NOT NULL,
    lead_id     TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (lead_id, fingerprint)
  ) WITHOUT ROWID;
  INSERT INTO lead_fingerprints (fingerprint, site, lead_id, created_at) SELECT fingerprint, site, lead_id, created_at FROM lead_fingerprints_keep;
  DROP TABLE lead_fingerprints_keep;
  CREATE INDEX lead_fingerprints_lookup ON lead_fingerprints (site, fingerprint, created_at);
  CREATE INDEX leads_site_key ON leads (site, idempotency_key, created_at) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX leads_due ON leads (status, next_attempt_at);
  CREATE INDEX leads_job ON leads (job_id) WHERE job_id IS NOT NULL;
  CREATE INDEX leads_status_confirmed ON leads (status, confirmed_at);
  CREATE INDEX leads_created ON leads (created_at, id);
  CREATE INDEX leads_site_created ON leads (site, created_at, id);
  `.replaceAll(
    'COLS',
    'id, site, idempotency_key, fingerprints, status, submission, created_at, updated_at, age_from, next_attempt_at, attempts, in_doubt_since, job_id, checks, write_retries, created_record_id, confirmed_at, error, error_detail, lead_source_id',
  ),
  // 3 -> 4: leases (which process delivers), in the outbox itself rather than in a PID file beside it
  `
  CREATE TABLE outbox_lease (
    name        TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,              -- random per process, never a pid
    expires_at  INTEGER NOT NULL,           -- epoch ms of the holder's clock
    acquired_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4 -> 5: a lead's campaign (its lead source is chosen when it is sent, no longer at accept; older
  // rows keep the lead_source_id they were given) and the ids its last create carried
  `
  ALTER TABLE leads ADD COLUMN campaign TEXT;
  ALTER TABLE leads ADD COLUMN sent_ids TEXT;
  `,
  // 5 -> 6: returning prospects. A repeat's content hash and the lead it follows up (both set at
  // accept; older rows have neither, and a repeat of one is a replay), and the write onto an existing
  // Propexo lead, and when the current write job's request left. write_kind has no CHECK (checks.ts refuses other values): a new kind then needs no
  // table rebuild, as 'held' did.
  `
  ALTER TABLE leads ADD COLUMN content_hash TEXT;
  ALTER TABLE leads ADD COLUMN follows TEXT;
  ALTER TABLE leads ADD COLUMN target_lead_id TEXT;
  ALTER TABLE leads ADD COLUMN write_kind TEXT;
  ALTER TABLE leads ADD COLUMN written_at INTEGER;
  `,
  // 6 -> 7: each lead's timeline (history.ts), append only, in insertion order (rowid); it goes
  // with its lead. type has no CHECK, as write_kind: the store checks it, and a new type needs no rebuild.
  `
  CREATE TABLE lead_events (
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    type    TEXT NOT NULL,
    detail  TEXT                               -- JSON object of short scalars, or NULL
  );
  CREATE INDEX lead_events_lead ON lead_events (lead_id);
  `,
  // 7 -> 8: tours. A tour's record has its start (set at accept, never changed): its slot's places
  // are counted by (site, start), and a replay finds the tour stored with its lead.
  `
  ALTER TABLE leads ADD COLUMN tour_start INTEGER;
  CREATE INDEX leads_tours ON leads (site, tour_start) WHERE tour_start IS NOT NULL;
  CREATE INDEX leads_tour_of ON leads (follows) WHERE tour_start IS NOT NULL;
  `,
];

export interface MigrateOptions {
  /** Names the database in errors: a file path, or "Durable Object storage". */
  label: string;
  /** Appended to the error for a database of another application: what to do instead. */
  foreignHint?: string;
}

/**
 * Brings the database to LEAD_STORE_SCHEMA_VERSION, refusing one that is not a lead store or is
 * newer. One transaction holding the write lock: two processes opening a new file at once cannot
 * both create the tables.
 */
export function migrateLeadStore(driver: SqlDriver, options: MigrateOptions): void {
  const { label } = options;
  driver.transaction(() => {
    const appId = driver.getMark('application_id');
    const version = driver.getMark('user_version');
    if (appId !== LEAD_STORE_APPLICATION_ID) {
      const tables = driver
        .all<{ name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
        .map((row) => row.name)
        .filter((name) => !driver.isInternalTable?.(name));
      if (appId !== 0 || version !== 0 || tables.length > 0) {
        throw new Error(
          `${label} is a SQLite database of something else, not a lead store ` +
            `(application_id ${appId}, user_version ${version}, tables: ${tables.join(', ') || 'none'})` +
            (options.foreignHint ? `; ${options.foreignHint}` : ''),
        );
      }
      driver.setMark('application_id', LEAD_STORE_APPLICATION_ID);
    }
    if (version > LEAD_STORE_SCHEMA_VERSION) {
      throw new Error(
        `${label} has lead store schema version ${version}, newer than this relay's ${LEAD_STORE_SCHEMA_VERSION}: upgrade the relay`,
      );
    }
    for (let v = version; v < LEAD_STORE_SCHEMA_VERSION; v++) driver.exec(MIGRATIONS[v]!);
    if (version !== LEAD_STORE_SCHEMA_VERSION) driver.setMark('user_version', LEAD_STORE_SCHEMA_VERSION);
  });
}
