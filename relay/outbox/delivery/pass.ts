/**
 * One pass of the deliverer over what is due now (runOnce): rounds first, then each due lead to a
 * task, at most `concurrency` at once (one at a time after a failure), looking at the store again
 * as tasks finish. Each lead is in the hands of one task at a time; while creates wait, a round
 * that comes due goes before the rest of the batch.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import type { UpstreamHealth } from './health.js';
import type { ConfirmationRounds } from './rounds.js';
import { takeStep } from './steps.js';

/** Batches one runOnce goes through before it returns (and waits for its last requests). */
const PASSES = 50;

/** The tasks one runOnce started, how many leads it handled, and the first error. */
class Tasks {
  private readonly running = new Set<Promise<void>>();
  handled = 0;
  failure: { error: unknown } | null = null;

  constructor(private readonly inFlight: Set<string>) {}

  /** Resolves once fewer than `limit` tasks run. */
  async room(limit: number): Promise<void> {
    while (this.running.size >= limit) await Promise.race(this.running);
  }

  start(lead: LeadRecord, work: () => Promise<void>): void {
    this.inFlight.add(lead.id);
    this.handled += 1;
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.inFlight.delete(lead.id);
        this.running.delete(task);
      });
    this.running.add(task);
  }

  async settled(): Promise<void> {
    await Promise.all(this.running);
  }
}

export interface DispatcherDeps {
  ctx: StepContext;
  rounds: ConfirmationRounds;
  health: UpstreamHealth;
  sites: ReadonlyMap<string, SiteConfig>;
  /** Leads a task is working on: never handed to a second one (the rounds skip them too). */
  inFlight: Set<string>;
  /** True once the deliverer is stopping. */
  stopping(): boolean;
}

export class Dispatcher {
  private lastPurge = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Everything due now; resolves once every task it started has ended, with how many leads it handled; rethrows the first error. */
  async runOnce(): Promise<number> {
    await this.purge();
    if (this.deps.health.paused()) return 0;
    const tasks = new Tasks(this.deps.inFlight);
    try {
      while (tasks.handled < this.deps.ctx.policy.batch * PASSES && !this.stopped(tasks)) {
        if (!(await this.pass(tasks))) break;
      }
    } finally {
      await tasks.settled();
    }
    if (tasks.failure) throw tasks.failure.error;
    return tasks.handled;
  }

  /** One look at the store: the due rounds, then the due leads to tasks. False when there is no more to do now. */
  private async pass(tasks: Tasks): Promise<boolean> {
    const { rounds, health, ctx, sites } = this.deps;
    let due = await this.dueNow();
    // Creates waiting: rounds come at most every listingEveryMs, the rest of the budget is theirs.
    const backlog = due.some((lead) => lead.status === 'queued');
    const changed = await rounds.run(due, backlog);
    tasks.handled += changed;
    if (changed > 0) due = await this.dueNow();
    if (due.length === 0) return false;
    for (const lead of due) {
      await tasks.room(health.concurrency());
      if (this.stopped(tasks)) return false;
      // A round is due: it goes before the rest of this batch (the store is read again after it).
      if (backlog && rounds.due()) return true;
      tasks.start(lead, () => takeStep(ctx, rounds, sites, lead, backlog));
    }
    return true;
  }

  private stopped(tasks: Tasks): boolean {
    return tasks.failure !== null || this.deps.stopping() || this.deps.health.paused();
  }

  /**
   * Due leads no task holds, nor held while the store was read: a task that ends during the read
   * (a round trip on Postgres) wrote its lead after the row was read, and that old copy must not go
   * to a second task.
   */
  private async dueNow(): Promise<LeadRecord[]> {
    const { store, clock, policy } = this.deps.ctx;
    const { inFlight } = this.deps;
    const heldBefore = new Set(inFlight);
    const due = await store.due(clock.now(), policy.batch + inFlight.size);
    return due.filter((lead) => !inFlight.has(lead.id) && !heldBefore.has(lead.id));
  }

  /** Confirmed leads past the retention period go (they hold personal data), at most every purgeEveryMs. */
  private async purge(): Promise<void> {
    const { store, clock, policy, logger } = this.deps.ctx;
    const now = clock.now();
    if (now - this.lastPurge < policy.purgeEveryMs) return;
    this.lastPurge = now;
    const purged = await store.purgeConfirmed(now - policy.retentionMs);
    if (purged > 0) logger.info('leads.purged', { count: purged, retention_ms: policy.retentionMs });
  }
}
