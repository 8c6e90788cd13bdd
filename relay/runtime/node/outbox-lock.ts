/**
 * One deliverer per outbox. Accepting leads is safe from any number of processes (the store's
 * accept is atomic), but two deliverers on one DATA_DIR would both send every lead. A lock file
 * holding the owner's pid decides who delivers; a lock whose process is gone (kill -9) is taken
 * over. During an overlapping restart the new relay answers requests at once and starts
 * delivering as soon as the old one has let go.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sleep } from '../../outbox/delivery/budget.js';

export const LOCK_FILE = 'outbox.lock';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function ownerOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Resolves with a release function once this process holds the lock; waits (polling) while a live
 * process holds it. Rejects only when `signal` aborts.
 */
export async function acquireOutboxLock(
  dataDir: string,
  options: { sleep: Sleep; signal?: AbortSignal; pollMs?: number; onWait?: (ownerPid: number) => void },
): Promise<() => void> {
  const path = join(dataDir, LOCK_FILE);
  let told = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        if (ownerOf(path) === process.pid) unlinkSync(path);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = ownerOf(path);
    if (owner === null || !alive(owner)) {
      // A crashed owner's lock (or a half-written one): remove it and try again.
      try {
        unlinkSync(path);
      } catch {
        // someone else removed it first
      }
      continue;
    }
    if (!told) options.onWait?.(owner);
    told = true;
    await options.sleep(options.pollMs ?? 1_000, options.signal);
  }
}
