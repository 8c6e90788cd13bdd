/**
 * What the console and /metrics show of Propexo, as this process's deliverer saw it: requests in
 * the last minute against the budget, requests by outcome since start, the last 429, whether the
 * token is refused. Counted in UpstreamLine, where every request passes; kept per process (on
 * Workers, in the outbox object, which makes every request).
 */
import type { UpstreamFailureKind } from '../../propexo/http.js';

export const UPSTREAM_OUTCOMES = ['ok', 'rejected', 'unauthorized', 'rate_limited', 'unavailable'] as const;
export type UpstreamOutcome = (typeof UPSTREAM_OUTCOMES)[number];

export interface PropexoState {
  requests_last_minute: number;
  budget_per_minute: number;
  /** Counters since this process started. */
  requests_by_outcome: Record<UpstreamOutcome, number>;
  /** Epoch ms of the last 429, null when none since start. */
  last_rate_limited_at: number | null;
  token_refused: boolean;
  /** Delivery waits until then after a refused token (epoch ms), null when not paused. */
  paused_until: number | null;
}

export class UpstreamStats {
  /** Answer times of the last minute, oldest first: a few hundred at most, as the budget allows. */
  private recent: number[] = [];
  private readonly byOutcome = Object.fromEntries(UPSTREAM_OUTCOMES.map((o) => [o, 0])) as Record<UpstreamOutcome, number>;
  private lastRateLimitedAt: number | null = null;

  constructor(private readonly clock: { now(): number }) {}

  record(answer: { ok: true } | { ok: false; kind: UpstreamFailureKind }): void {
    const now = this.clock.now();
    this.recent.push(now);
    this.trim(now);
    const outcome: UpstreamOutcome = answer.ok ? 'ok' : answer.kind;
    this.byOutcome[outcome] += 1;
    if (outcome === 'rate_limited') this.lastRateLimitedAt = now;
  }

  private trim(now: number): void {
    const from = now - 60_000;
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]! <= from) drop += 1;
    if (drop > 0) this.recent = this.recent.slice(drop);
  }

  snapshot(extra: Pick<PropexoState, 'budget_per_minute' | 'token_refused' | 'paused_until'>): PropexoState {
    this.trim(this.clock.now());
    return {
      requests_last_minute: this.recent.length,
      requests_by_outcome: { ...this.byOutcome },
      last_rate_limited_at: this.lastRateLimitedAt,
      ...extra,
    };
  }
}
