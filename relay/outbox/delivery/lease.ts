/**
 * Which process delivers from a shared outbox: the holder of a lease row in the outbox's own
 * database (DESIGN.md, convention 12). The owner id is random per process, never a pid, so a
 * container restarted with the same pid on the same volume is a new owner. It waits until the dead
 * one's lease lapses (the TTL), not at all after a clean shutdown (which releases it), and not at all
 * where the runtime can prove the holder gone (`sole`: Node's SQLite outbox, an OS lock).
 *
 * The keeper takes the lease when it is free or lapsed, renews it every `renewEveryMs`, and calls
 * `onLost` as soon as it learns the lease is gone (another process holds it, or its own expiry
 * passed while renewals failed). Every write of the deliverer it guards is fenced with the lease in
 * the same statement (`ifLease`), so a deliverer that lost its lease, however late it learns it,
 * claims no lead and so sends nothing more; the claim itself also names the attempt it expects.
 */
import type { Logger } from '../../lib/log.js';
import type { LeaseFence, LeaseState, OutboxLeases } from '../store/types.js';
import type { Sleep } from './budget.js';

/**
 * Proof from the runtime that no other live process delivers from this outbox (Node with SQLite: an
 * OS lock the kernel drops when its holder dies). With one, a process takes the lease only while it
 * holds the proof, and takes it at once from a holder the proof shows is gone.
 */
export interface SoleDeliverer {
  /** True while this process holds the proof (taken now if free). */
  tryHold(): boolean;
  release(): void;
}

/** The lease the deliverer of an outbox holds. */
export const DELIVERY_LEASE = 'deliverer';
export const DEFAULT_LEASE_TTL_MS = 15_000;

export interface DeliveryLeaseOptions {
  store: OutboxLeases;
  clock: { now(): number };
  sleep: Sleep;
  logger: Logger;
  /** How long a lease lasts without renewal: the longest a crashed holder keeps others waiting. */
  ttlMs?: number;
  /** Default a third of the TTL: two renewals may fail before the lease lapses. */
  renewEveryMs?: number;
  /** How often a waiting process looks again. Default renewEveryMs, at most 1 s. */
  pollMs?: number;
  /** Default a random UUID, new for every process (and every keeper). */
  owner?: string;
  name?: string;
  sole?: SoleDeliverer;
}

export interface LeaseEvents {
  onAcquired(): void;
  /** The lease is gone: stop delivering (resolve once stopped). The keeper then waits to take it again. */
  onLost(): Promise<void> | void;
}

export class DeliveryLease {
  readonly owner: string;
  readonly name: string;
  private readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private readonly pollMs: number;
  /** When the lease held lapses, by this process's clock; -Infinity while not held. */
  private expiresAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: DeliveryLeaseOptions) {
    this.owner = options.owner ?? crypto.randomUUID();
    this.name = options.name ?? DELIVERY_LEASE;
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(this.ttlMs / 3));
    this.pollMs = options.pollMs ?? Math.min(this.renewEveryMs, 1_000);
  }

  /** True while this process holds an unexpired lease, as far as it knows. */
  held(): boolean {
    return this.options.clock.now() < this.expiresAt;
  }

  /** The condition every fenced write carries: this owner, this lease, now. */
  fence(): LeaseFence {
    return { name: this.name, owner: this.owner, now: this.options.clock.now() };
  }

  /**
   * After a fenced write changed nothing: reads the lease, and if another holds it or it has lapsed,
   * this process stops counting itself the holder at once (the keeper's next look confirms it).
   */
  async verify(): Promise<void> {
    if (!this.held()) return;
    try {
      const state = await this.options.store.leaseHolder(this.name);
      if (!state || state.owner !== this.owner || state.expires_at <= this.options.clock.now()) this.expiresAt = Number.NEGATIVE_INFINITY;
    } catch {
      // The keeper decides when the store answers again.
    }
  }

  /** One compare-and-set: takes or renews the lease. Null when the store failed. */
  async tryAcquire(): Promise<{ held: boolean; state: LeaseState | null } | null> {
    const { store, clock, logger } = this.options;
    try {
      const result = await store.acquireLease(this.name, this.owner, clock.now(), this.ttlMs);
      this.expiresAt = result.held && result.state ? result.state.expires_at : Number.NEGATIVE_INFINITY;
      return result;
    } catch (err) {
      logger.error('outbox.lease_error', {
        error: err instanceof Error ? err.name : 'unknown',
        message: String((err as Error)?.message ?? err),
      });
      return null;
    }
  }

  /** Keeps the lease until `signal` aborts, calling `events` as it is won and lost. Never rejects. */
  async keep(signal: AbortSignal, events: LeaseEvents): Promise<void> {
    const { clock, logger, sleep } = this.options;
    let holding = false;
    let told = false;
    const lose = async (why: string) => {
      holding = false;
      this.expiresAt = Number.NEGATIVE_INFINITY;
      logger.warn('outbox.lease_lost', { owner: this.owner, why });
      await events.onLost();
    };
    while (!signal.aborted) {
      const sole = this.options.sole;
      if (sole && !sole.tryHold()) {
        // Another live process on this outbox holds the proof, and so the lease: wait for it.
        if (!told) logger.warn('outbox.locked', { hint: 'another relay process delivers from this outbox; delivery starts when it stops' });
        told = true;
        await sleep(this.pollMs, signal).catch(() => {});
        continue;
      }
      let result = await this.tryAcquire();
      if (signal.aborted) break;
      if (sole && result && !result.held && result.state) result = await this.takeFromGone(result.state);
      if (result?.held) {
        if (!holding) {
          holding = true;
          told = false;
          logger.info('outbox.lease_acquired', { owner: this.owner, ttl_ms: this.ttlMs });
          events.onAcquired();
        }
      } else if (result) {
        if (holding) await lose('taken_over');
        if (!told && result.state) {
          told = true;
          logger.warn('outbox.locked', {
            holder: result.state.owner,
            expires_in_ms: result.state.expires_at - clock.now(),
            hint: 'another relay delivers from this outbox; delivery starts when it stops or its lease lapses',
          });
        }
      } else if (holding && !this.held()) {
        // The store did not answer: the lease is ours until it lapses, then it is not.
        await lose('lapsed');
      }
      await sleep(holding ? this.renewEveryMs : this.pollMs, signal).catch(() => {});
    }
  }

  /**
   * The lease of a holder the runtime's proof shows is gone (it died without releasing it): taken
   * now rather than when it lapses. The store's compare-and-set is asked as at the dead lease's
   * expiry, when it counts as lapsed, to last our TTL from now (or just past the dead one's expiry,
   * if that is later; the next renewal sets our own TTL); a holder that renewed meanwhile wins.
   */
  private async takeFromGone(dead: LeaseState): Promise<{ held: boolean; state: LeaseState | null } | null> {
    const { store, clock, logger } = this.options;
    const now = clock.now();
    const ttl = Math.max(1, now + this.ttlMs - dead.expires_at);
    try {
      const result = await store.acquireLease(this.name, this.owner, dead.expires_at, ttl);
      this.expiresAt = result.held && result.state ? result.state.expires_at : Number.NEGATIVE_INFINITY;
      if (result.held)
        logger.warn('outbox.lease_taken_over', {
          owner: this.owner,
          from: dead.owner,
          reason: 'holder_gone',
          lease_left_ms: dead.expires_at - now,
        });
      return result;
    } catch {
      return this.tryAcquire();
    }
  }

  /** Gives the lease up if held (a clean shutdown), so the next process need not wait for it to lapse. */
  async release(): Promise<void> {
    this.expiresAt = Number.NEGATIVE_INFINITY;
    this.options.sole?.release();
    try {
      await this.options.store.releaseLease(this.name, this.owner);
    } catch {
      // It lapses on its own.
    }
  }
}
