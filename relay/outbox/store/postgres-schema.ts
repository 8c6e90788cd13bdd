/**
 * The PostgreSQL outbox's schema: its migrations (its own list, not SQLite's), the marks that say
 * whose tables these are and at which version, and the step that brings a database up to date,
 * one instance at a time (an advisory lock), refusing a database of something else or a newer one.
 */
import type pg from 'pg';
import { LEAD_STORE_APPLICATION_ID } from './schema.js';

/** The schema version of this store's own migrations (Postgres has its own list, not SQLite's). */
export const POSTGRES_SCHEMA_VERSION = 5;

const MIGRATIONS: readonly string[] = [
  // 0 -> 1
  `
  CREATE TABLE leads (
    seq               BIGSERIAL NOT NULL UNIQUE,    -- insertion order, for ties in due() (SQLite's rowid)
    id                TEXT COLLATE "C" PRIMARY KEY,
    site              TEXT COLLATE "C" NOT NULL,
    idempotency_key   TEXT COLLATE "C",
    lead_source_id    TEXT COLLATE "C",
    fingerprints      TEXT NOT NULL,
    status            TEXT COLLATE "C" NOT NULL CHECK (status IN ('queued', 'sent', 'confirmed', 'failed', 'held')),
    submission        TEXT NOT NULL,
    created_at        DOUBLE PRECISION NOT NULL,
    updated_at        DOUBLE PRECISION NOT NULL,
    age_from          DOUBLE PRECISION NOT NULL,
    next_attempt_at   DOUBLE PRECISION NOT NULL,
    attempts          DOUBLE PRECISION NOT NULL,
    in_doubt_since    DOUBLE PRECISION,
    job_id            TEXT COLLATE "C",
    checks            DOUBLE PRECISION NOT NULL,
    write_retries     DOUBLE PRECISION NOT NULL,
    created_record_id TEXT COLLATE "C",
    confirmed_at      DOUBLE PRECISION,
    error             TEXT,
    error_detail      TEXT
  );
  CREATE TABLE lead_fingerprints (
    fingerprint TEXT COLLATE "C" NOT NULL,
    site        TEXT COLLATE "C" NOT NULL,
    lead_id     TEXT COLLATE "C" NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    created_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (lead_id, fingerprint)
  );
  CREATE INDEX lead_fingerprints_lookup ON lead_fingerprints (site, fingerprint, created_at);
  CREATE INDEX leads_site_key ON leads (site, idempotency_key, created_at) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX leads_due ON leads (status, next_attempt_at);
  CREATE INDEX leads_job ON leads (job_id) WHERE job_id IS NOT NULL;
  CREATE INDEX leads_status_confirmed ON leads (status, confirmed_at);
  CREATE INDEX leads_created ON leads (created_at, id);
  CREATE INDEX leads_site_created ON leads (site, created_at, id);
  CREATE INDEX leads_record ON leads (created_record_id) WHERE created_record_id IS NOT NULL;
  CREATE TABLE outbox_lease (
    name        TEXT COLLATE "C" PRIMARY KEY,
    owner       TEXT COLLATE "C" NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    acquired_at DOUBLE PRECISION NOT NULL
  );
  `,
  // 1 -> 2: a lead's campaign (its lead source is chosen when it is sent, no longer at accept; older
  // rows keep the lead_source_id they were given) and the ids its last create carried
  `
  ALTER TABLE leads ADD COLUMN campaign TEXT COLLATE "C";
  ALTER TABLE leads ADD COLUMN sent_ids TEXT;
  `,
  // 2 -> 3: returning prospects, as SQLite's 5 -> 6 (schema.ts): content hash and follows set at
  // accept (absent on older rows), the Propexo lead written onto, the kind of that write and when it left
  `
  ALTER TABLE leads ADD COLUMN content_hash TEXT COLLATE "C",
    ADD COLUMN follows TEXT COLLATE "C",
    ADD COLUMN target_lead_id TEXT COLLATE "C",
    ADD COLUMN write_kind TEXT COLLATE "C",
    ADD COLUMN written_at DOUBLE PRECISION;
  `,
  // 3 -> 4: each lead's timeline, as SQLite's 6 -> 7: append only, in insertion order (seq), gone with its lead
  `
  CREATE TABLE lead_events (
    seq     BIGSERIAL PRIMARY KEY,
    lead_id TEXT COLLATE "C" NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    at      DOUBLE PRECISION NOT NULL,
    type    TEXT COLLATE "C" NOT NULL,
    detail  TEXT
  );
  CREATE INDEX lead_events_lead ON lead_events (lead_id, seq);
  `,
  // 4 -> 5: tours, as SQLite's 7 -> 8: a tour's start, its slot's places counted by (site, start)
  `
  ALTER TABLE leads ADD COLUMN tour_start DOUBLE PRECISION;
  CREATE INDEX leads_tours ON leads (site, tour_start) WHERE tour_start IS NOT NULL;
  CREATE INDEX leads_tour_of ON leads (follows) WHERE tour_start IS NOT NULL;
  `,
];

/** Where the marks live (SQLite keeps them in PRAGMAs). */
const META = 'lead_store_meta';
/** Key of the advisory lock that serialises migrations between instances starting together. */
const MIGRATE_LOCK = 0x524d4c46;

/** The connection string without its password, for logs and errors. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable)';
  }
}

/** Brings the database to POSTGRES_SCHEMA_VERSION, one instance at a time, or refuses it. */
export async function migrate(pool: pg.Pool, label: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${META} (name TEXT PRIMARY KEY, value DOUBLE PRECISION NOT NULL)`);
    const marks = new Map(
      (await client.query<{ name: string; value: number }>(`SELECT name, value FROM ${META}`)).rows.map((r) => [r.name, r.value]),
    );
    const appId = marks.get('application_id') ?? 0;
    const version = marks.get('user_version') ?? 0;
    if (appId !== LEAD_STORE_APPLICATION_ID) {
      const tables = (
        await client.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> $1 ORDER BY 1`,
          [META],
        )
      ).rows.map((r) => r.name);
      if (appId !== 0 || version !== 0 || tables.length > 0) {
        throw new Error(
          `${label} holds tables of something else, not a lead store (tables: ${tables.join(', ')}); point DATABASE_URL at a database or schema of its own`,
        );
      }
    }
    if (version > POSTGRES_SCHEMA_VERSION) {
      throw new Error(
        `${label} has lead store schema version ${version}, newer than this relay's ${POSTGRES_SCHEMA_VERSION}: upgrade the relay`,
      );
    }
    for (let v = version; v < POSTGRES_SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!);
    const set = `INSERT INTO ${META} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`;
    await client.query(set, ['application_id', LEAD_STORE_APPLICATION_ID]);
    await client.query(set, ['user_version', POSTGRES_SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
