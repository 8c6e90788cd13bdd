/**
 * The outbox of a crash run read directly, never through the relay under test: the leads' columns the
 * checks need and the delivery lease, the same in SQLite (the file in DATA_DIR, opened read-only for
 * each look) and in PostgreSQL (one client for the run).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { OUTBOX_FILE } from '../../../relay/outbox/store/sqlite.js';

/** What a run reads of the outbox directly (the same columns in both stores), never through the relay. */
export interface OutboxRow {
  id: string;
  status: string;
  submission: string;
  created_record_id: string | null;
  attempts: number;
  in_doubt_since: number | null;
}
export interface OutboxReader {
  rows(): Promise<OutboxRow[]>;
  /** The delivery lease as the outbox holds it. */
  lease(): Promise<{ owner: string; expires_at: number } | null>;
  close(): Promise<void>;
}
const ROWS = 'SELECT id, status, submission, created_record_id, attempts, in_doubt_since FROM leads';
const LEASE_ROW = `SELECT owner, expires_at FROM outbox_lease WHERE name = 'deliverer'`;

export function sqliteReader(dataDir: string): OutboxReader {
  const read = <T>(sql: string, one: boolean): T => {
    const db = new Database(join(dataDir, OUTBOX_FILE), { readonly: true, fileMustExist: true });
    try {
      return (one ? db.prepare(sql).get() : db.prepare(sql).all()) as T;
    } finally {
      db.close();
    }
  };
  return {
    rows: async () => read<OutboxRow[]>(ROWS, false),
    lease: async () => read<{ owner: string; expires_at: number } | undefined>(LEASE_ROW, true) ?? null,
    close: async () => {},
  };
}

export function postgresReader(url: string): OutboxReader {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  return {
    rows: async () => {
      await connected;
      return (await client.query(ROWS)).rows.map((r) => ({ ...r, attempts: Number(r.attempts) }) as OutboxRow);
    },
    lease: async () => {
      await connected;
      const row = (await client.query(LEASE_ROW)).rows[0] as { owner: string; expires_at: number } | undefined;
      return row ? { owner: row.owner, expires_at: Number(row.expires_at) } : null;
    },
    close: () => client.end(),
  };
}
