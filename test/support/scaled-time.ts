import { realSleep, type Sleep } from '../../relay/outbox/delivery/budget.js';

/**
 * Time that runs `factor` times faster than the wall clock, for a clock and a sleep that agree:
 * minutes of Propexo's rate limit and the relay's pacing pass in seconds, and the code under test
 * cannot tell. Only loopback round trips stay real, which is what makes the run honest.
 */
export function scaledTime(factor: number): { clock: { now(): number }; sleep: Sleep } {
  const realStart = Date.now();
  return {
    clock: { now: () => realStart + (Date.now() - realStart) * factor },
    sleep: (ms, signal) => realSleep(ms / factor, signal),
  };
}
