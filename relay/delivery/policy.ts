/**
 * How patient the outbox is. Every duration is in milliseconds of the injected clock, so tests and
 * benchmarks can run the same policy faster.
 */
export interface DeliveryPolicy {
  /** A lead still not confirmed this long after it was accepted (or re-queued) is a dead letter. */
  maxAgeMs: number;
  /** Backoff between attempts: base doubles per attempt up to max, with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** First write-status check after a create was accepted, then doubling up to confirmMaxDelayMs. */
  confirmFirstDelayMs: number;
  confirmMaxDelayMs: number;
  /**
   * After a POST that may have reached Propexo, the lead is looked for (it appears only once the
   * write succeeded, and Propexo documents no write latency) for at least this long before it is
   * ever sent again. Longer is safer against duplicates; shorter delivers sooner after an outage.
   */
  inDoubtGraceMs: number;
  /** Propexo's created_at may trail or lead the relay's clock by this much. */
  clockSkewMs: number;
  /** retry-write calls for a failed write job before the lead is a dead letter. */
  maxWriteRetries: number;
  /** After a retry-write, FAILURE must persist over this many checks before it counts. */
  failureChecksAfterRetry: number;
  /** Delivery pauses this long for every site after Propexo refuses the token (401/403). */
  authPauseMs: number;
  /** Upstream requests per minute for all sites together (Propexo allows 150 per account). */
  upstreamPerMinute: number;
  /** Below this share of Propexo's remaining budget, the relay slows down before Propexo does. */
  upstreamReserve: number;
  /** The pause between requests while Propexo's remaining budget is low. */
  upstreamLowPauseMs: number;
  /** After a 429 (Propexo documents no Retry-After): wait out its minute. */
  upstreamRateLimitedPauseMs: number;
  /** Confirmed leads are deleted this long after confirmation (they hold personal data). */
  retentionMs: number;
  /** How often expired leads are purged. */
  purgeEveryMs: number;
  /** The longest the deliverer sleeps with nothing due before looking again. */
  idleMs: number;
  /** Leads taken per look at the store. */
  batch: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_POLICY: DeliveryPolicy = {
  maxAgeMs: 72 * HOUR,
  backoffBaseMs: 2_000,
  backoffMaxMs: 15 * MINUTE,
  confirmFirstDelayMs: 2_000,
  confirmMaxDelayMs: 5 * MINUTE,
  inDoubtGraceMs: 30 * MINUTE,
  clockSkewMs: 2 * MINUTE,
  maxWriteRetries: 3,
  failureChecksAfterRetry: 5,
  authPauseMs: 5 * MINUTE,
  upstreamPerMinute: 120,
  upstreamReserve: 0.2,
  upstreamLowPauseMs: 5_000,
  upstreamRateLimitedPauseMs: MINUTE,
  retentionMs: 30 * 24 * HOUR,
  purgeEveryMs: HOUR,
  idleMs: 30_000,
  batch: 20,
};

/**
 * The wait before attempt `n` (1-based): base * 2^(n-1), capped, then "equal jitter" (between half
 * and all of it) so leads that failed together do not come back together.
 */
export function backoff(n: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(n - 1, 30)));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
