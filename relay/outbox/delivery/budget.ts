/**
 * One upstream budget for every site and every kind of Propexo request (creates, write-status,
 * retry-write, lead search): Propexo counts them all against one account. Taken from the shared
 * limiter (Redis when several relays run), so the budget holds across processes too. It also
 * listens to Propexo: when `x-ratelimit-remaining` runs low it slows down before Propexo does, and
 * after a 429 it waits out the minute.
 */
import type { RateLimiter } from '../../limits/types.js';
import type { UpstreamRateInfo } from '../../propexo/http.js';
import type { DeliveryPolicy } from './policy.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface UpstreamBudget {
  /** Resolves when one more request may go to Propexo; rejects only when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void>;
  /** Feeds back what a response said about Propexo's own budget. */
  observe(result: UpstreamRateInfo & { ok: boolean; kind?: string; retryAfterSeconds?: number }): void;
}

export const UPSTREAM_BUDGET_KEY = 'propexo:upstream';

/**
 * The budget is spent evenly, in short windows: `perMinute` over a minute would let a burst at the
 * end of one window and another at the start of the next land in one of Propexo's minutes (whose
 * boundaries we do not know) and pass its 150. Windows of `k` requests lasting 60 s · k / perMinute
 * hold any 60 seconds to at most perMinute + k.
 */
export function budgetWindow(perMinute: number): { max: number; windowMs: number } {
  const max = Math.max(1, Math.floor(perMinute / 60));
  return { max, windowMs: (60_000 * max) / perMinute };
}

/**
 * Below how many of Propexo's remaining requests the relay pauses: `reserve` of Propexo's limit, but
 * never more than the relay's own pacing leaves free in one of Propexo's minutes. At 140 a minute
 * against 150 the relay alone may spend up to 142 in a minute (see budgetWindow): a pause at 30 left
 * would hold it to 120 however it is configured, so there the pause comes at 8 left, which only
 * another consumer of the account can cause.
 */
export function reserveOf(limit: number, perMinute: number, reserve: number): number {
  const own = perMinute + budgetWindow(perMinute).max;
  return own < limit ? Math.min(limit * reserve, limit - own) : limit * reserve;
}

export function createUpstreamBudget(deps: {
  limiter: RateLimiter;
  clock: { now(): number };
  sleep: Sleep;
  policy: Pick<DeliveryPolicy, 'upstreamPerMinute' | 'upstreamReserve' | 'upstreamLowPauseMs' | 'upstreamRateLimitedPauseMs'>;
}): UpstreamBudget {
  const { limiter, clock, sleep, policy } = deps;
  let holdUntil = 0;
  const { max, windowMs } = budgetWindow(policy.upstreamPerMinute);

  return {
    async take(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const wait = holdUntil - clock.now();
        if (wait > 0) {
          await sleep(wait, signal);
          continue;
        }
        const decision = await limiter.limit({ key: UPSTREAM_BUDGET_KEY, max, windowMs });
        if (decision.success) return;
        await sleep(Math.max(decision.resetMs, 1), signal);
      }
    },

    observe(result) {
      const now = clock.now();
      if (!result.ok && result.kind === 'rate_limited') {
        const pause = result.retryAfterSeconds !== undefined ? result.retryAfterSeconds * 1000 : policy.upstreamRateLimitedPauseMs;
        holdUntil = Math.max(holdUntil, now + pause);
        return;
      }
      // Propexo documents 150 a minute per account when it does not say its limit.
      const { rateLimitRemaining: remaining, rateLimitLimit: limit = 150 } = result;
      if (remaining !== undefined && remaining < reserveOf(limit, policy.upstreamPerMinute, policy.upstreamReserve)) {
        holdUntil = Math.max(holdUntil, now + policy.upstreamLowPauseMs);
      }
    },
  };
}

/** setTimeout as a promise that an AbortSignal cuts short (rejecting with its reason). */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
