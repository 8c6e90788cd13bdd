/**
 * A rate limiter the relay asks before accepting a lead.
 *
 * Cloudflare's Rate Limiting binding is `{ limit({ key }) }` with the rate fixed per binding in
 * wrangler.toml. Ours carries `max` and `windowMs` in each call because every site configures its own
 * limits; a Workers adapter can map (max, windowMs) pairs to bindings or use a Durable Object.
 */
export interface RateLimitRequest {
  key: string;
  max: number;
  windowMs: number;
}

export interface LimitDecision {
  /** False when this request is over the limit; it is then not counted. */
  success: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the current window resets. */
  resetMs: number;
}

export interface RateLimiter {
  limit(req: RateLimitRequest): Promise<LimitDecision>;
}
