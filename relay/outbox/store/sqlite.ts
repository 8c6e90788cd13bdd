/**
 * The durable outbox for Node: one SQLite file (better-sqlite3). Any number of relay processes may
 * accept leads into it at once (each batch of accepts is one transaction); one at a time delivers
 * from it, the holder of the delivery lease kept in the file itself (outbox_lease,
 * relay/outbox/delivery/lease.ts). The schema and migrations (schema.ts) and the queries
 * (sql.ts) are the same ones the Workers store runs on Durable Object storage; this file is the
 * better-sqlite3 driver for them.
 *
 * What is in the file: each lead's record (types.ts), including the prospect's fields,
 * which are personal data, until the relay purges confirmed leads after the retention period. Never
 * the Propexo token or the site's Propexo ids. Deleted rows can linger in free pages of the file and
 * in the WAL until they are reused or checkpointed: protect DATA_DIR like the data it holds.
 *
 * Durability: WAL with synchronous=FULL. A commit is synced to the WAL before accept() or update()
 * settles, so a lead answered 202 survives a process crash and a power loss alike; a lost lead costs
 * a prospect. WAL needs a local file system: do not put DATA_DIR on NFS or SMB.
 *
 * Group commit: the accepts of one event-loop turn are written together (groupCommit below), one
 * transaction and so one sync for all of them, and each accept's promise settles only after that
 * commit. Under load this is most of the outbox's cost saved: the sync, not the rows, is what a
 * commit costs. Each accept keeps its own check and its own outcome inside the batch (a savepoint
 * each); a commit that fails fails every accept of the batch, so none of them is answered 202.
 *
 * Everything inside is synchronous (better-sqlite3), exposed as promises to fit LeadStore. The store
 * never logs; errors are thrown (as rejections) and name fields, never their values.
 */
import Database from 'better-sqlite3';
import { LEAD_STORE_APPLICATION_ID, LEAD_STORE_SCHEMA_VERSION, type SqlDriver, type SqlValue, type StoreMark } from './schema.js';
import { createSqlLeadStore } from './sql.js';
import type { LeasedLeadStore } from './types.js';

export interface SqliteLeadStoreOptions {
  /** How long a write waits for another process's write before failing with SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
  /** Tests only: runs between acquireLease's read and its compare-and-set (to widen the race). */
  beforeLeaseWrite?: () => Promise<void> | void;
}

/** The schema version this code writes (PRAGMA user_version). */
/** The outbox's file name in DATA_DIR (the Node relay and `npm run outbox` both open it). */
export const OUTBOX_FILE = 'outbox.sqlite';

export const SQLITE_SCHEMA_VERSION = LEAD_STORE_SCHEMA_VERSION;
/** Marks the file as a lead store (PRAGMA application_id): 'RMLF', ResMan lead form. */
export const SQLITE_APPLICATION_ID = LEAD_STORE_APPLICATION_ID;

/**
 * The SqlDriver over one better-sqlite3 connection: statements prepared once and cached by their
 * text, transactions BEGIN IMMEDIATE (the write lock before the first read, so a check and the
 * write after it are one step for every process on the file), marks in the file header's PRAGMAs.
 */
export function betterSqliteDriver(db: Database.Database): SqlDriver {
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  return {
    all: <T>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).all(...params) as T[],
    get: <T>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).get(...params) as T | undefined,
    run: (sql, params = []) => ({ changes: prepare(sql).run(...params).changes }),
    exec: (sql) => void db.exec(sql),
    transaction: <T>(fn: () => T) => inTransaction.immediate(fn) as T,
    getMark: (name: StoreMark) => db.pragma(name, { simple: true }) as number,
    setMark: (name: StoreMark, value: number) => void db.pragma(`${name} = ${Math.trunc(value)}`),
    close: () => {
      if (db.open) db.close();
    },
  };
}

/**
 * Group commit: run(step) queues `step` (an accept's check and insert, relay/outbox/store/sql.ts) and
 * settles with what it returned or threw once the transaction it ran in has committed. The steps
 * queued in one event-loop turn run at the next `schedule` (setImmediate: after the I/O callbacks of
 * this turn, so requests whose body, form token or fingerprints completed together are written
 * together) as one BEGIN IMMEDIATE ... COMMIT, in the order they were queued:
 *
 * - the transaction takes the write lock before the first check, as a single accept's did, so the
 *   checks and inserts of a batch are one step for every process on the file;
 * - each step runs in a savepoint of its own: a step that throws (a duplicate id, a failed insert)
 *   is rolled back to its savepoint and rejects alone, the others go on; a later step sees what the
 *   earlier ones wrote, so a batch answers exactly as the same accepts one after another would;
 * - when BEGIN or COMMIT fails, or SQLite rolls the whole transaction back on its own (a disk full
 *   or I/O error inside a step), every step of the batch rejects with that error: nothing of it was
 *   stored, so nothing of it may be answered 202.
 *
 * flush() writes what is queued at once (close() calls it, so an accept under way is not lost).
 */
export interface GroupCommit {
  run<T>(step: () => T): Promise<T>;
  flush(): void;
}

type StepResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export function groupCommit(db: Database.Database, schedule: (flush: () => void) => void = setImmediate): GroupCommit {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT accept_step');
  const release = db.prepare('RELEASE accept_step');
  const rollbackTo = db.prepare('ROLLBACK TO accept_step');
  let queue: { step: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;

  /** One transaction for `steps`: each step's result, or throws when the transaction was not committed. */
  const write = (steps: (() => unknown)[]): StepResult[] => {
    begin.run();
    try {
      const results = steps.map((step): StepResult => {
        savepoint.run();
        try {
          const value = step();
          release.run();
          return { ok: true, value };
        } catch (error) {
          // SQLite rolls back the whole transaction itself on some errors (SQLITE_FULL, SQLITE_IOERR,
          // ...): the steps before this one are gone too, so the batch fails as one.
          if (!db.inTransaction) throw error;
          rollbackTo.run();
          release.run();
          return { ok: false, error };
        }
      });
      commit.run();
      return results;
    } catch (error) {
      // A failed COMMIT (a deferred constraint, SQLITE_BUSY, an I/O error) may leave the transaction open.
      if (db.inTransaction) rollback.run();
      throw error;
    }
  };

  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let results: StepResult[];
    try {
      results = write(batch.map((waiting) => waiting.step));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, i) => {
      const result = results[i]!;
      if (result.ok) waiting.resolve(result.value);
      else waiting.reject(result.error);
    });
  };

  return {
    run: <T>(step: () => T) =>
      new Promise<T>((resolve, reject) => {
        queue.push({ step, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(flush);
        }
      }),
    flush,
  };
}

/**
 * Runs `fn` again while it fails with SQLITE_BUSY, for up to `ms`. Switching a new file to WAL needs
 * an exclusive lock, and SQLite does not wait for that one through busy_timeout: two processes
 * opening a new DATA_DIR at the same moment (two relays, or a relay and `npm run outbox`) had one of
 * them fail to start with "database is locked". Opening is synchronous, so the wait between tries is
 * a synchronous 5 ms sleep.
 */
function whileBusy<T>(fn: () => T, ms: number): T {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return fn();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= end) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/**
 * Opens (creating when missing) the lead store at `path`, or `':memory:'` for a private in-memory
 * database (tests). Throws a clear error for a file that is not a lead store or is newer.
 */
export function openSqliteLeadStore(path: string, options: SqliteLeadStoreOptions = {}): LeasedLeadStore {
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
    // ':memory:' stays 'memory', which is fine for tests. Retried: see whileBusy.
    whileBusy(() => db.pragma('journal_mode = WAL'), busyTimeoutMs);
    db.pragma('synchronous = FULL'); // see the top of this file: a 202 must survive a power loss
    db.pragma('foreign_keys = ON'); // lead_fingerprints rows go with their lead
    const driver = betterSqliteDriver(db);
    const group = groupCommit(db);
    // Migrates (IMMEDIATE: two processes opening a new file at once cannot both create the tables).
    return createSqlLeadStore(
      {
        ...driver,
        // Accepts still queued are written before the connection goes.
        close: () => {
          if (db.open) group.flush();
          driver.close();
        },
      },
      {
        label: path,
        foreignHint: 'point DATA_DIR elsewhere',
        runAccept: group.run,
        ...(options.beforeLeaseWrite ? { beforeLeaseWrite: options.beforeLeaseWrite } : {}),
      },
    );
  } catch (cause) {
    db.close();
    const message = (cause as Error).message;
    if ((cause as { code?: string }).code === 'SQLITE_NOTADB' || /not a database/i.test(message)) {
      throw new Error(`${path} is not a SQLite database (damaged or another kind of file), so it cannot be the lead store`, { cause });
    }
    if (message.startsWith(path)) throw cause;
    throw new Error(`cannot open the lead store at ${path}: ${message}`, { cause });
  }
}
