/**
 * Propexo's per-account budget: N requests per clock minute shared by every route, reported in
 * `x-ratelimit-limit` / `x-ratelimit-remaining`. Past a fraction of it responses slow down; at 100%
 * requests are refused (429, no Retry-After) until the minute turns.
 */

export const WINDOW_MS = 60_000;

export interface RateLimitDecision {
  allowed: boolean;
  /** True once the request is past the slow-down fraction of the budget. */
  slowDown: boolean;
  limit: number;
  remaining: number;
}

export class FixedWindowRateLimit {
  private window = Number.NaN;
  private used = 0;

  constructor(
    private readonly limit: number,
    private readonly slowDownAt: number,
    private readonly now: () => number,
  ) {}

  /** Counts one request, unless the budget is already spent (refused requests are not counted). */
  hit(): RateLimitDecision {
    this.roll();
    const allowed = this.used < this.limit;
    if (allowed) this.used += 1;
    return {
      allowed,
      slowDown: allowed && this.used > this.limit * this.slowDownAt,
      limit: this.limit,
      remaining: this.limit - this.used,
    };
  }

  reset(): void {
    this.window = Number.NaN;
    this.used = 0;
  }

  // Windows are whole minutes of the clock ("scoped to the current minute" in Propexo's docs).
  private roll(): void {
    const window = Math.floor(this.now() / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
  }
}
