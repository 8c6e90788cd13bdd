/**
 * Issue 3: a same-PID restart while delivering. A relay's process dies (SIGKILL) in the middle of
 * delivering a backlog and comes back as the same process id on the same DATA_DIR, as a container
 * restarted on its volume does: both relays run as process 1 of a PID namespace of their own
 * (support/spawn-relay.ts), and what the lock-file relay of old left behind, `outbox.lock` naming
 * that pid, is in DATA_DIR. The new process must not be mistaken for the old one, nor wait for a
 * lock that names its own pid: it resumes delivery at once. The dead process's delivery lease (its
 * owner random per process, never the pid) still runs, but the OS lock beside the outbox that the
 * dead process held was dropped by the kernel with it, so the new one, getting that lock, knows the
 * holder gone and takes the lease over (relay/runtime/node/outbox-lock.ts). Every lead goes to the
 * sandbox once.
 *
 * The lease lasts 5 s here (15 s in production), renewed every 500 ms: the new process is up while
 * the dead one's lease still runs, and takes it well before it lapses. Kill, restart and the checks
 * of every crash run are support/crash-run.ts's, in both read-back modes.
 *
 * Needs PID namespaces (Linux, root or unprivileged user namespaces); without them it fails and
 * says why, it is never skipped.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, expectExactlyOnce } from './support/crash-checks.js';
import { crashRun, startBench, stopBench, type CrashBench, type LeaseTiming } from './support/crash-run.js';
import { READ_BACK_MODES } from './support/fault-cases.js';
import { pidNamespaces } from './support/spawn-relay.js';

const BURST = 150;
const LEASE: LeaseTiming = { ttlMs: 5_000, renewEveryMs: 500, pollMs: 100 };
/**
 * "At once", with room for a busy 2-core machine: the lease taken within this of the new process
 * listening, before the dead lease lapses, and the first create soon after (after a round's listing
 * and the in-doubt lead's look in the write logs: 0.2 to 1.4 s measured on a loaded machine). A relay
 * that waited on a lock naming its own pid would never deliver; one waiting out the dead lease would
 * take it only after it lapsed.
 */
const TAKEN_MS = 1_500;
const FIRST_CREATE_MS = 3_000;

let bench: CrashBench | undefined;
beforeAll(async () => {
  const namespaces = pidNamespaces();
  if (!namespaces.ok) throw new Error(`a same-PID restart needs a PID namespace per relay (unshare --pid): ${namespaces.why}`);
  bench = await startBench({ postgres: false });
}, 60_000);
afterAll(() => stopBench(bench), 30_000);

describe.each(READ_BACK_MODES)('same-PID restart while delivering, %s read-back', (mode) => {
  it('the relay back with the same pid on the same DATA_DIR takes the dead lease over at once; every lead goes once', {
    timeout: 60_000,
  }, async () => {
    const result = await crashRun(bench!, {
      store: 'SQLite',
      mode,
      burst: BURST,
      samePid: true,
      lease: LEASE,
      killWhen: async ({ burstDone }) => {
        await burstDone;
        await expect
          .poll(() => bench!.sandboxes[mode].leads().length, { timeout: 20_000, interval: 10, message: 'the deliverer a third through' })
          .toBeGreaterThanOrEqual(BURST / 3);
      },
      // The lock file a relay of the lock-file era would have left for this very pid.
      beforeRestart: ({ dataDir, first }) => writeFile(join(dataDir, 'outbox.lock'), `${first.pid}\n`),
    });
    const { first, second, deadLease, killedAt, sandbox, sandboxAtKill } = result;

    // The same pid, two processes: the dead one really died, a new one came back.
    expect(first.pid).toBe(1);
    expect(second.pid).toBe(first.pid);
    expect(second.hostPid).not.toBe(first.hostPid);
    expect(result.answers.filter((a) => a.kind !== 'accepted')).toEqual([]);
    expect(sandboxAtKill).toBeLessThan(BURST - BURST / 6); // a backlog was left to deliver

    // The dead process left its lease with time on it; the new one, same pid or not, is another owner.
    const firstLog = events(first.output());
    const secondLog = events(second.output());
    const deadOwner = firstLog.find((e) => e.event === 'outbox.lease_acquired')?.owner;
    expect(deadLease?.owner).toBe(deadOwner);
    const listening = Date.parse(secondLog.find((e) => e.event === 'listening')!.time);
    expect(deadLease!.expires_at, 'the new process came up while the dead one’s lease still ran').toBeGreaterThan(listening);
    const acquired = secondLog.filter((e) => e.event === 'outbox.lease_acquired');
    expect(acquired).toHaveLength(1);
    expect(acquired[0]!.owner).not.toBe(deadOwner);
    expect(secondLog.find((e) => e.event === 'outbox.lease_taken_over')).toMatchObject({ from: deadOwner, reason: 'holder_gone' });

    // It took the lease at once, before the dead one's lapsed, and delivered from then on, not before.
    const lapsedAt = deadLease!.expires_at;
    const acquiredAt = Date.parse(acquired[0]!.time);
    expect(acquiredAt, 'taken before the dead lease lapsed').toBeLessThan(lapsedAt);
    expect(acquiredAt - listening, 'ms from listening to the lease taken').toBeLessThan(TAKEN_MS);
    const creates = sandbox
      .leads()
      .map((l) => Date.parse(l.received_at))
      .filter((t) => t > killedAt);
    expect(Math.min(...creates)).toBeGreaterThanOrEqual(acquiredAt);
    expect(Math.min(...creates) - acquiredAt, 'ms from the lease taken to the first create').toBeLessThan(FIRST_CREATE_MS);

    expectExactlyOnce(result);
  });
});
