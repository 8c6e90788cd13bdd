/**
 * The site checks' own loop, for a runtime with timers (Node): checks what is due, then sleeps until
 * the next is due (a minute at most, so a re-read of the sites is seen), or until woken (the sites
 * changed). Workers have no such loop: the outbox object's alarm calls checkDue.
 */
import type { Sleep } from '../outbox/delivery/budget.js';
import type { SiteChecks } from './monitor.js';

/** The longest nap: a changed sites file is re-read on its own schedule, and wake() cuts this short. */
const MAX_NAP_MS = 60_000;

export interface CheckingLoop {
  /** Looks now: the sites changed. */
  wake(): void;
  /** Resolves once the loop has ended (after `signal` aborted). */
  ended: Promise<void>;
}

export function keepChecking(checks: SiteChecks, deps: { sleep: Sleep; clock: { now(): number }; signal: AbortSignal }): CheckingLoop {
  const { sleep, clock, signal } = deps;
  let nap: AbortController | null = null;
  async function loop(): Promise<void> {
    while (!signal.aborted) {
      await checks.checkDue();
      if (signal.aborted) break;
      nap = new AbortController();
      const end = () => nap?.abort();
      signal.addEventListener('abort', end, { once: true });
      const wait = Math.min(MAX_NAP_MS, Math.max(1_000, checks.nextDueAt() - clock.now()));
      await sleep(wait, nap.signal).catch(() => {});
      signal.removeEventListener('abort', end);
      nap = null;
    }
  }
  return { wake: () => nap?.abort(), ended: loop() };
}
