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
  /**
   * A repeat whose first inquiry was confirmed without a readable record (Propexo reads a new lead
   * back only at its next sync, up to 12 hours) waits this long for the record to show before it
   * is created as a lead of its own.
   */
  followUpWaitMs: number;
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
  /**
   * Upstream requests in flight at once (each lead is still handled by one of them at a time).
   * Past 80% of its minute Propexo delays every answer by about 2 s: one at a time, those delays
   * would cap the relay near 125 a minute whatever its budget, and n at a time at n / 2 s (6 keep
   * up with 150 a minute). Back to one after any failure, until Propexo answers again, so a
   * refused token or an outage costs one probe, not several.
   */
  concurrency: number;
  /**
   * Confirmation rounds: when at least this many sent leads of one property wait for their first
   * confirmation, one lead listing (newest first) confirms all it can instead of one write-status
   * each. Fewer are checked one by one.
   */
  listingMinLeads: number;
  /**
   * While creates are waiting, a property's round comes at most this often (creates go first). A
   * round reads everything created since its oldest lead's create less clockSkewMs (2 pages of 250
   * at 140 a minute), so rarer rounds cost less; once nothing waits to be created, rounds follow
   * the leads as they come due.
   */
  listingEveryMs: number;
  /** Rounds a lead may miss before it is checked on its own (write-status, which sees a FAILURE). */
  listingRounds: number;
  /**
   * Listings in a row that show none of their round's leads (Propexo without read-back: a recent
   * lead shows only after a sync) before the property's rounds rest, an hour at first and twice as
   * long each time after, its sent leads going straight to write-status. 0: rounds never rest.
   */
  listingEmptyRounds: number;
  /**
   * Pages of 250 a round reads at most: a bound on what one round costs (4 pages, the newest 1000
   * leads of the property). A listing cut by it covers only what it read (listing.ts): older leads
   * are missed, never confirmed from it, and go to write-status after listingRounds misses.
   */
  listingMaxPages: number;
  /**
   * The site check (relay/sites/): every site's ids are checked against Propexo's lists at start, when
   * they change, and again this long after a check that passed (or found problems).
   */
  siteCheckEveryMs: number;
  /** After a check that could not complete (an outage, a 429): the next comes this long after, doubling up to siteCheckEveryMs. */
  siteCheckRetryMs: number;
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
  followUpWaitMs: 24 * HOUR,
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
  concurrency: 6,
  listingMinLeads: 10,
  listingEveryMs: 60_000,
  listingRounds: 4,
  listingEmptyRounds: 2,
  listingMaxPages: 4,
  siteCheckEveryMs: HOUR,
  siteCheckRetryMs: MINUTE,
};

/**
 * The wait before attempt `n` (1-based): base * 2^(n-1), capped, then "equal jitter" (between half
 * and all of it) so leads that failed together do not come back together.
 */
export function backoff(n: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(n - 1, 30)));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** The wait before the n-th attempt to send (or search for) a lead. */
export const retryDelay = (policy: DeliveryPolicy, n: number, random: () => number): number =>
  backoff(n, policy.backoffBaseMs, policy.backoffMaxMs, random);

/** The wait before the n-th check of a sent lead's write. */
export const checkDelay = (policy: DeliveryPolicy, n: number, random: () => number): number =>
  backoff(n, policy.confirmFirstDelayMs, policy.confirmMaxDelayMs, random);
