/**
 * When each property's confirmation rounds come: the timing rule, written once. While creates wait
 * (the backlog) a property's rounds come at most every listingEveryMs, so creates get the budget;
 * once none wait, they follow the leads as they come due (confirmFirstDelayMs apart).
 */
import type { DeliveryPolicy } from './policy.js';

/** A property's last round. */
export interface PropertyRound {
  /** When it looked at the store. */
  at: number;
  /** It found enough leads and listed: sent leads wait for the next round. */
  active: boolean;
  /** Leads were made to wait for the next round at the backlog's pace: once no creates wait, it comes at once. */
  backlog: boolean;
  /** No round before this (after Propexo refused the listing). */
  restUntil: number;
}

/** The first rest after listings that showed none of their leads; each one in a row after it doubles, up to REST_MAX_MS. */
export const REST_FIRST_MS = 3_600_000;
export const REST_MAX_MS = 24 * 3_600_000;

export class RoundSchedule {
  private readonly last = new Map<string, PropertyRound>();
  /** Per property: listings in a row that showed none of their leads, and rests in a row since one did. */
  private readonly misses = new Map<string, { empty: number; rests: number }>();

  constructor(private readonly policy: Pick<DeliveryPolicy, 'listingEveryMs' | 'confirmFirstDelayMs' | 'listingEmptyRounds'>) {}

  /** The gap between a property's rounds: long while creates wait, short once none do. */
  gap(backlog: boolean): number {
    return backlog ? this.policy.listingEveryMs : this.policy.confirmFirstDelayMs;
  }

  /**
   * When the property's next round may start: -Infinity before its first. A round that found too
   * few leads to list looks again soon; one that listed waits its gap.
   */
  nextAt(property: string, backlog: boolean): number {
    const round = this.last.get(property);
    if (!round) return Number.NEGATIVE_INFINITY;
    return Math.max(round.restUntil, round.at + (round.active ? this.gap(backlog) : this.policy.confirmFirstDelayMs));
  }

  /** A round of the property starts now: its record, for the round to fill in. */
  start(property: string, now: number, backlog: boolean): PropertyRound {
    const round: PropertyRound = { at: now, active: false, backlog, restUntil: 0 };
    this.last.set(property, round);
    return round;
  }

  /**
   * A round of the property listed: whether the listing showed any of its leads. Without Propexo's
   * read-back a recent lead shows only after a sync (hours): listings then keep showing none, and
   * after listingEmptyRounds of them in a row the property's rounds rest (their leads go to
   * their own write-status), an hour at first, twice as long each time the next listing after a
   * rest shows none either. Returns that rest in ms, else 0.
   */
  listed(property: string, showedAny: boolean): number {
    if (this.policy.listingEmptyRounds <= 0) return 0;
    const misses = this.misses.get(property) ?? { empty: 0, rests: 0 };
    this.misses.set(property, misses);
    if (showedAny) {
      misses.empty = 0;
      misses.rests = 0;
      return 0;
    }
    misses.empty += 1;
    // After a rest, one more empty listing is enough: the read-back is still off.
    if (misses.empty < (misses.rests > 0 ? 1 : this.policy.listingEmptyRounds)) return 0;
    misses.empty = 0;
    misses.rests += 1;
    return Math.min(REST_MAX_MS, REST_FIRST_MS * 2 ** (misses.rests - 1));
  }

  /** Whether the property's last round listed and left leads waiting at the backlog's pace. */
  owesBacklog(property: string): boolean {
    const round = this.last.get(property);
    return !!round?.active && round.backlog;
  }

  /**
   * Until when a due lead of the property waits for its next round (null: it should not wait).
   * A lead made to wait at the backlog's pace makes the round owe it (owesBacklog).
   */
  waitUntil(property: string, now: number, backlog: boolean): number | null {
    const round = this.last.get(property);
    if (!round?.active) return null;
    const next = this.nextAt(property, backlog);
    if (next <= now) return null;
    round.backlog ||= backlog;
    return next;
  }
}
