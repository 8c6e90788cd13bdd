/**
 * The deliverer: the one loop that moves stored leads to Propexo, paced by the upstream budget,
 * and follows each write until it is confirmed or a dead letter. It runs behind the requests: a
 * lead is answered 202 once stored, whatever Propexo is doing.
 *
 * The parts, each in its own module:
 * - pass.ts: one pass over what is due (runOnce), leads handed to tasks, up to `concurrency` at once;
 * - steps.ts: which step a lead takes: send.ts (queued), confirm.ts (sent, on its own), or a round;
 * - rounds.ts: confirmation rounds, one lead listing for many sent leads (schedule.ts, listing.ts,
 *   ownership.ts, with matching.ts's rules, which the in-doubt search in search.ts shares);
 * - upstream.ts, budget.ts, health.ts: every Propexo request in turn, within the budget, and what
 *   the answers say (a refused token pauses delivery);
 * - lead-writes.ts: the outcomes written to a lead.
 * This file builds them from the injected dependencies and runs the loop.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';
import type { RateLimiter } from '../../limits/types.js';
import type { PropexoClient } from '../../propexo/client.js';
import type { SiteGate } from '../../sites/types.js';
import type { LeadStore } from '../store/types.js';
import { createUpstreamBudget, realSleep, type Sleep, type UpstreamBudget } from './budget.js';
import type { StepContext } from './context.js';
import { UpstreamHealth } from './health.js';
import { LeadWrites } from './lead-writes.js';
import { Dispatcher } from './pass.js';
import type { DeliveryLease } from './lease.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from './policy.js';
import { ConfirmationRounds } from './rounds.js';
import { UpstreamLine } from './upstream.js';
import { releaseWaiting } from './site-wait.js';
import { UpstreamStats, type PropexoState } from './upstream-stats.js';

export interface DelivererDeps {
  store: LeadStore;
  client: PropexoClient;
  /** The shared limiter: the upstream budget is one of its keys. */
  limiter: RateLimiter;
  /** Read at every lead, so a caller that refreshes the sites (the edge, from KV) changes this map in place. */
  sites: ReadonlyMap<string, SiteConfig>;
  clock: { now(): number };
  logger: Logger;
  policy?: Partial<DeliveryPolicy>;
  sleep?: Sleep;
  random?: () => number;
  /**
   * The delivery lease this deliverer works under (lease.ts), when the outbox may be drained by more
   * than one process: every lead write is fenced with it, and no lead is handed out while it is not held.
   */
  lease?: Pick<DeliveryLease, 'fence' | 'held' | 'verify'>;
  /** The site check (relay/sites/): leads sent with an id it found wrong wait for the fix (site-wait.ts). */
  gate?: SiteGate;
}

/**
 * The store with every update conditional on the lease (the other methods as they are). A write that
 * changed nothing has the lease looked at, so a lost lease stops the next lead being handed out.
 */
function fencedStore(store: LeadStore, lease: NonNullable<DelivererDeps['lease']>): LeadStore {
  const update: LeadStore['update'] = async (id, patch, condition = {}, event) => {
    const updated = await store.update(id, patch, { ...condition, ifLease: lease.fence() }, event);
    if (updated === null) await lease.verify();
    return updated;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'update') return update;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface Deliverer {
  start(): void;
  /** Stops after the leads in hand; resolves once the loop has ended. */
  stop(): Promise<void>;
  /** Looks at the store now instead of at the next due time (a new lead, a webhook, a retry). */
  wake(): void;
  /** One pass over the leads due now; resolves with how many it handled (once their requests ended). For tests and the CLI. */
  runOnce(): Promise<number>;
  readonly pausedUntil: number;
  /** Propexo refuses the token (health.ts): readiness says so. */
  readonly tokenRefused: boolean;
  /** The site's problems went away: its leads waiting for the fix go now (site-wait.ts). */
  release(slug: string): Promise<void>;
  readonly budget: UpstreamBudget;
  /** What this deliverer has seen of Propexo (the console's overview, /metrics). */
  propexoState(): PropexoState;
}

/** The loop's state: running or not, and a nap to cut short. */
class Loop {
  private running: AbortController | null = null;
  private ended: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(
    /** One pass over what is due: how many leads it handled. */
    private readonly runOnce: () => Promise<number>,
    private readonly deps: Pick<DelivererDeps, 'store' | 'clock' | 'logger'> & {
      sleep: Sleep;
      health: UpstreamHealth;
      idleMs: number;
      /** False while this process may not deliver (its lease is not held): the loop only rests. */
      allowed: () => boolean;
    },
  ) {}

  get signal(): AbortSignal | undefined {
    return this.running?.signal;
  }

  start(): void {
    if (this.running) return;
    this.running = new AbortController();
    this.ended = this.run(this.running.signal);
  }

  async stop(): Promise<void> {
    this.running?.abort();
    this.wakeUp?.();
    await this.ended;
    this.running = null;
    this.ended = null;
  }

  wake(): void {
    this.wakeUp?.();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { store, clock, logger, health, idleMs } = this.deps;
    while (!signal.aborted) {
      try {
        if (!this.deps.allowed()) {
          await this.rest(idleMs, signal);
          continue;
        }
        if ((await this.runOnce()) > 0) continue;
        const until = Math.max(health.pausedUntil, (await store.nextDueAt()) ?? Number.POSITIVE_INFINITY);
        await this.rest(Math.max(1, Math.min(idleMs, until - clock.now())), signal);
      } catch (err) {
        if (signal.aborted) break; // stopped while waiting for the upstream budget
        // A store or programming error must not end delivery: log it, breathe, go on.
        logger.error('deliverer.error', {
          error: err instanceof Error ? err.name : 'unknown',
          message: err instanceof Error ? err.message : String(err),
        });
        await this.rest(1_000, signal);
      }
    }
  }

  /** Sleeps up to `ms`, less if woken or stopped. */
  private async rest(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return; // stopped while the pass or the store had the loop: no 'abort' will come
    const nap = new AbortController();
    const end = () => nap.abort();
    signal.addEventListener('abort', end, { once: true });
    this.wakeUp = end;
    try {
      await this.deps.sleep(ms, nap.signal).catch(() => {});
    } finally {
      this.wakeUp = null;
      signal.removeEventListener('abort', end);
    }
  }
}

export function createDeliverer(deps: DelivererDeps): Deliverer {
  const { client, sites, clock, logger, lease } = deps;
  const store = lease ? fencedStore(deps.store, lease) : deps.store;
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...deps.policy };
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const budget = createUpstreamBudget({ limiter: deps.limiter, clock, sleep, policy });
  const health = new UpstreamHealth(clock, logger, policy);
  const inFlight = new Set<string>();
  const loop = new Loop(() => dispatcher.runOnce(), {
    store,
    clock,
    logger,
    sleep,
    health,
    idleMs: policy.idleMs,
    allowed: () => lease === undefined || lease.held(),
  });
  const stats = new UpstreamStats(clock);
  const line = new UpstreamLine(budget, health, () => loop.signal, stats);
  const ctx: StepContext = {
    store,
    client,
    clock,
    logger,
    policy,
    random,
    line,
    writes: new LeadWrites(store, clock, logger),
    ...(deps.gate ? { gate: deps.gate } : {}),
  };
  const rounds = new ConfirmationRounds({
    store,
    client,
    sites,
    clock,
    logger,
    policy,
    random,
    upstream: (call) => line.request(call),
    confirm: (lead, createdRecordId) => ctx.writes.confirmed(lead, createdRecordId, 'listing', undefined, true),
    busy: (id) => inFlight.has(id),
  });
  const dispatcher = new Dispatcher({
    ctx,
    rounds,
    health,
    sites,
    inFlight,
    stopping: () => !!loop.signal?.aborted || (lease !== undefined && !lease.held()),
  });
  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    wake: () => loop.wake(),
    runOnce: () => dispatcher.runOnce(),
    get pausedUntil() {
      return health.pausedUntil;
    },
    get tokenRefused() {
      return health.tokenRefused;
    },
    async release(slug) {
      if (lease && !lease.held()) return; // the process that delivers releases them
      const released = await releaseWaiting(store, slug, clock.now());
      if (released > 0) logger.info('leads.released', { site: slug, count: released });
      loop.wake();
    },
    budget,
    propexoState: () =>
      stats.snapshot({
        budget_per_minute: policy.upstreamPerMinute,
        token_refused: health.tokenRefused,
        paused_until: health.paused() ? health.pausedUntil : null,
      }),
  };
}
