/**
 * The outbox for Workers: the lead store in a SQLite-backed Durable Object's storage
 * (`ctx.storage.sql`), running the same schema, migrations and queries as the Node store
 * (schema.ts, sql.ts). Nothing here, or in what it imports, loads better-sqlite3 or Node APIs, so a
 * Worker bundle can include it.
 *
 * One Durable Object holds one store, and every call to it runs inside that object, one at a time:
 * accept()'s check and insert are one step for every Worker in every location that reaches it.
 * A Durable Object's writes are durable before its output gate opens, so a Worker that awaits the
 * object's answer before its 202 has the lead stored before the 202.
 *
 * How the Durable Object SQL API differs from a SQLite connection, and what the driver does:
 * - Transactions: BEGIN and SAVEPOINT are refused; `storage.transactionSync(fn)` commits when fn
 *   returns and rolls back when it throws (nesting works). The object runs one call at a time, so
 *   holding "the write lock" is implied.
 * - PRAGMAs: only some are allowed. `foreign_keys` is on (so ON DELETE CASCADE works), but
 *   `application_id`, `user_version` and `journal_mode` fail with SQLITE_AUTH: the two marks live in
 *   a table of the driver's own, lead_store_meta, written in the migration's transaction.
 * - `cursor.rowsWritten` counts index entries and cascaded rows too (an INSERT into a table with a
 *   primary key writes 2), so it is not SQLite's `changes`: the driver asks `SELECT changes()`.
 * - Errors carry no `code` (a constraint failure is a plain Error naming SQLITE_CONSTRAINT in its
 *   message): the store looks for a duplicate id before inserting instead of catching one.
 * - Every JS number is bound as REAL; the INTEGER columns store whole values as integers again, and
 *   LIMIT accepts a whole REAL (the store only ever passes whole limits).
 * - Tables named `_cf_…` belong to the platform (the KV API's `_cf_KV`, for one) and do not make
 *   the storage "something else".
 */
import type { SqlDriver, SqlValue, StoreMark } from './schema.js';
import { createSqlLeadStore } from './sql.js';
import type { LeadStore } from './types.js';

/** The parts of Cloudflare's SqlStorageCursor the driver uses. */
export interface SqlCursorLike {
  toArray(): Record<string, unknown>[];
  one(): Record<string, unknown>;
  readonly rowsWritten: number;
}

/** The parts of Cloudflare's DurableObjectStorage the driver uses (a real one fits). */
export interface DurableObjectStorageLike {
  readonly sql: { exec(query: string, ...bindings: unknown[]): SqlCursorLike };
  transactionSync<T>(fn: () => T): T;
}

/** Where the driver keeps the marks a SQLite file keeps in PRAGMA application_id and user_version. */
export const DURABLE_META_TABLE = 'lead_store_meta';

/** The SqlDriver over a SQLite-backed Durable Object's storage. */
export function durableSqlDriver(storage: DurableObjectStorageLike): SqlDriver {
  const { sql } = storage;
  const rows = (query: string, params: readonly SqlValue[]) => sql.exec(query, ...params).toArray();
  const hasMeta = () => rows(`SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ?`, [DURABLE_META_TABLE]).length > 0;
  return {
    all: <T>(query: string, params: readonly SqlValue[] = []) => rows(query, params) as T[],
    get: <T>(query: string, params: readonly SqlValue[] = []) => rows(query, params)[0] as T | undefined,
    run(query, params = []) {
      sql.exec(query, ...params).toArray();
      return { changes: Number(sql.exec('SELECT changes() AS n').one().n) };
    },
    exec(query) {
      sql.exec(query).toArray();
    },
    transaction: (fn) => storage.transactionSync(fn),
    getMark(name: StoreMark) {
      if (!hasMeta()) return 0;
      const row = rows(`SELECT value FROM ${DURABLE_META_TABLE} WHERE name = ?`, [name])[0];
      return row ? Number(row.value) : 0;
    },
    setMark(name: StoreMark, value: number) {
      sql
        .exec(`CREATE TABLE IF NOT EXISTS ${DURABLE_META_TABLE} (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID`)
        .toArray();
      sql
        .exec(
          `INSERT INTO ${DURABLE_META_TABLE} (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
          name,
          Math.trunc(value),
        )
        .toArray();
    },
    isInternalTable: (name) => name === DURABLE_META_TABLE || name.toLowerCase().startsWith('_cf_'),
    // The storage lives as long as the object; the store refuses calls after close() on its own.
    close() {},
  };
}

/**
 * The lead store in this Durable Object's storage, created or migrated on the spot (call it in the
 * object's constructor; it is synchronous). Throws for storage that holds another application's
 * tables or a newer schema.
 */
export function createDurableLeadStore(storage: DurableObjectStorageLike): LeadStore {
  return createSqlLeadStore(durableSqlDriver(storage), {
    label: 'this Durable Object storage',
    foreignHint: 'give the lead store a Durable Object class of its own',
  });
}
