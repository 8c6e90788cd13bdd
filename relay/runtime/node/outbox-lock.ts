/**
 * An OS lock on a file beside the SQLite outbox, held for as long as this process may deliver from
 * it. The kernel drops it the moment the process dies, whatever its pid or PID namespace, so a relay
 * that gets it knows that every process that held the delivery lease before is gone: a container
 * restarted after a crash (same pid, same volume) resumes at once instead of waiting out the dead
 * process's lease. SQLite's own exclusive lock is the OS lock (fcntl), so no native code is needed.
 */
import Database from 'better-sqlite3';
import type { SoleDeliverer } from '../../outbox/delivery/lease.js';

/** Beside the outbox, under its name: DATA_DIR's mode check counts it as the outbox's own. */
export const deliveryLockPath = (outboxPath: string) => `${outboxPath}-deliverer`;

export function createOutboxLock(path: string): SoleDeliverer {
  let held: Database.Database | null = null;
  return {
    tryHold() {
      if (held) return true;
      const db = new Database(path, { timeout: 0 });
      try {
        db.pragma('locking_mode = EXCLUSIVE');
        // Never committed: the lock lasts until release() or the process's end.
        db.exec('BEGIN EXCLUSIVE');
        held = db;
        return true;
      } catch {
        db.close();
        return false;
      }
    },
    release() {
      held?.close();
      held = null;
    },
  };
}
