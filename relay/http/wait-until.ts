import type { Context } from 'hono';
import type { RelayEnv } from '../types.js';

/** A Worker's `waitUntil`, so a list refreshed behind the answer is not cut off; none on Node. */
export function waitUntilOf(c: Context<RelayEnv>): ((work: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work);
  } catch {
    return undefined;
  }
}
