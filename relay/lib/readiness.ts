/**
 * Readiness (`GET /readyz`): whether this relay should be sent traffic. Not ready while the outbox
 * cannot write (a lead would be answered 503) or while Propexo refuses the token (from the refusal
 * until Propexo accepts a request again: delivery is paused for every site). `/healthz` stays a
 * liveness check and looks at none of this.
 *
 * The store is asked with a real write, at most once per `cacheMs` whoever asks and however often:
 * the endpoint is public, and must not become a way to hammer the outbox. A write that takes longer
 * than `timeoutMs` counts as failed (an orchestrator's probe has a timeout of its own).
 */
import type { Logger } from './log.js';
import { withTimeLimit } from './time-limit.js';

export type NotReadyReason = 'store_unwritable' | 'propexo_token_refused';
/** The reasons this relay is not ready now; empty when it is. */
export type Readiness = () => Promise<NotReadyReason[]>;

export const READINESS_CACHE_MS = 5_000;
export const READINESS_TIMEOUT_MS = 2_000;

/** `load()` at most once per `ms`: callers in between share its last promise (one under way included). */
export function cachedFor<T>(ms: number, clock: { now(): number }, load: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = clock.now();
    if (!last || now - last.at >= ms) last = { at: now, value: load() };
    return last.value;
  };
}

export interface ReadinessParts {
  /** One cheap write to the outbox; rejects when the outbox cannot write. */
  probeWrite?: () => Promise<unknown>;
  /** True while Propexo refuses the token (the deliverer's health knows). */
  tokenRefused?: () => boolean;
  clock: { now(): number };
  logger: Logger;
  cacheMs?: number;
  timeoutMs?: number;
}

/** Readiness from its parts; logs each change (not ready, and why; ready again), never each question. */
export function readinessCheck(parts: ReadinessParts): Readiness {
  const { probeWrite, tokenRefused, clock, logger } = parts;
  const timeoutMs = parts.timeoutMs ?? READINESS_TIMEOUT_MS;
  /** The probe's failure, or undefined when the write went through. */
  const probe = async (): Promise<unknown> => {
    try {
      await probeWrite?.();
      return undefined;
    } catch (err) {
      return err ?? new Error('the write failed');
    }
  };
  const storeError = cachedFor(parts.cacheMs ?? READINESS_CACHE_MS, clock, () =>
    withTimeLimit<unknown>(timeoutMs, new Error(`the write took over ${timeoutMs} ms`), probe),
  );
  let reported = '';
  return async () => {
    const error = await storeError();
    const reasons: NotReadyReason[] = [];
    if (error !== undefined) reasons.push('store_unwritable');
    if (tokenRefused?.()) reasons.push('propexo_token_refused');
    const now = reasons.join(',');
    if (now !== reported) {
      if (reasons.length > 0) logger.warn('readiness.not_ready', { reasons, ...(error !== undefined ? { error } : {}) });
      else logger.info('readiness.ready', {});
      reported = now;
    }
    return reasons;
  };
}
