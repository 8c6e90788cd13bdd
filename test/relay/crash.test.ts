/**
 * Issue 3's Crash test: a burst of leads goes into a relay child process, the child is killed with
 * SIGKILL in the middle of it while the deliverer is working, and a new child is started on the same
 * outbox and port (support/crash-run.ts). Every lead that got a 202 must then be confirmed and be in
 * the sandbox exactly once; no prospect is ever in the sandbox twice.
 *
 * On both outboxes a Node relay has (SQLite in a tmp DATA_DIR; a real PostgreSQL, the child given
 * DATABASE_URL and restarted on the same database), against a sandbox with Propexo's immediate
 * read-back and one without it (the lead the kill caught in flight is then found in the write logs,
 * as no search shows it). Twice each: once while the burst is still being accepted, once when every
 * lead has been accepted and the relay is only delivering. The Durable Object outbox is not killed
 * here: that would take SIGKILL to workerd itself and a new Miniflare on its persisted storage; it
 * runs the fault matrix only (fault-matrix.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_BACK_MODES, type ReadBack } from './support/fault-cases.js';
import { expectExactlyOnce } from './support/crash-checks.js';
import { crashRun, startBench, stopBench, type CrashBench, type CrashStore } from './support/crash-run.js';

/**
 * Leads per run. What a run costs is mostly the backlog the new process delivers after the restart,
 * one create at a time; without read-back each lead also takes a write-status check of its own (no
 * listing shows it), and PostgreSQL a round trip for every write (about 80 ms a lead here, three times
 * SQLite). So SQLite with read-back keeps the 300 it always had, SQLite without it 150, PostgreSQL 100:
 * still a backlog at both moments of the kill, and about 10 s a run.
 */
const BURSTS: Record<CrashStore, Record<ReadBack, number>> = {
  SQLite: { immediate: 300, delayed: 150 },
  PostgreSQL: { immediate: 100, delayed: 100 },
};

let bench: CrashBench;
beforeAll(async () => {
  bench = await startBench({ postgres: true });
}, 60_000);
afterAll(() => stopBench(bench), 30_000);

describe.each(Object.keys(BURSTS) as CrashStore[])('kill -9 during a burst, restart on the same %s outbox', (store) => {
  describe.each(READ_BACK_MODES)('%s read-back', (mode) => {
    const burst = BURSTS[store][mode];
    it('while leads are still being accepted: every 202 lead is delivered exactly once', { timeout: 60_000 }, async () => {
      const result = await crashRun(bench, {
        store,
        mode,
        burst,
        killWhen: ({ accepted }) =>
          expect
            .poll(accepted, { timeout: 15_000, interval: 10, message: 'a quarter of the burst accepted' })
            .toBeGreaterThanOrEqual(burst / 4),
      });
      const { answers, acceptedAtKill, sandboxAtKill } = result;
      // The kill cut the burst: some requests were never answered or never sent.
      expect(answers.filter((a) => a.kind !== 'accepted').length).toBeGreaterThan(0);
      // And the deliverer was behind: leads accepted but not yet in Propexo when it died.
      expect(sandboxAtKill).toBeLessThan(acceptedAtKill);
      expectExactlyOnce(result);
    });

    it('while only delivering: every 202 lead is delivered exactly once', { timeout: 60_000 }, async () => {
      const result = await crashRun(bench, {
        store,
        mode,
        burst,
        killWhen: async ({ burstDone }) => {
          await burstDone;
          await expect
            .poll(() => bench.sandboxes[mode].leads().length, {
              timeout: 20_000,
              interval: 10,
              message: 'the deliverer a third through the backlog',
            })
            .toBeGreaterThanOrEqual(burst / 3);
        },
      });
      const { answers, sandboxAtKill } = result;
      expect(answers.filter((a) => a.kind !== 'accepted')).toEqual([]);
      // A good part of the backlog was still undelivered when the process died.
      expect(sandboxAtKill).toBeLessThan(burst - burst / 6);
      expectExactlyOnce(result);
    });
  });
});
