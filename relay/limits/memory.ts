/**
 * An exact fixed-window limiter in memory, for one Node process (and for tests).
 * A window starts at a key's first request and lasts `windowMs`; expired keys are swept so memory
 * stays bounded by the keys active within the longest window, and `maxKeys` caps it outright.
 */
import type { LimitDecision, RateLimiter, RateLimitRequest } from './types.js';

export interface MemoryLimiterOptions {
  clock?: { now(): number };
  /** Hard cap on tracked keys; the oldest windows are dropped first when it is reached. */
  maxKeys?: number;
  /** How often expired keys are swept, at most. */
  sweepEveryMs?: number;
}

interface Window {
  start: number;
  windowMs: number;
  count: number;
}

export interface MemoryLimiter extends RateLimiter {
  /** Number of keys currently tracked (for tests and metrics). */
  size(): number;
}

export function createMemoryLimiter(options: MemoryLimiterOptions = {}): MemoryLimiter {
  const clock = options.clock ?? Date;
  const maxKeys = options.maxKeys ?? 100_000;
  const sweepEveryMs = options.sweepEveryMs ?? 10_000;
  // Map keeps insertion order, which is window-start order: the first entries are the oldest.
  const windows = new Map<string, Window>();
  let nextSweep = 0;

  function sweep(now: number): void {
    for (const [key, w] of windows) if (now >= w.start + w.windowMs) windows.delete(key);
    nextSweep = now + sweepEveryMs;
  }

  return {
    size: () => windows.size,
    async limit({ key, max, windowMs }: RateLimitRequest): Promise<LimitDecision> {
      const now = clock.now();
      if (now >= nextSweep) sweep(now);
      let w = windows.get(key);
      if (w && now >= w.start + w.windowMs) {
        windows.delete(key);
        w = undefined;
      }
      if (!w) {
        if (windows.size >= maxKeys) sweep(now);
        while (windows.size >= maxKeys) {
          const oldest = windows.keys().next();
          if (oldest.done) break;
          windows.delete(oldest.value);
        }
        w = { start: now, windowMs, count: 0 };
        windows.set(key, w);
      }
      const resetMs = Math.max(0, w.start + w.windowMs - now);
      if (w.count >= max) return { success: false, limit: max, remaining: 0, resetMs };
      w.count += 1;
      return { success: true, limit: max, remaining: max - w.count, resetMs };
    },
  };
}
