/**
 * The deliverer: the one loop that moves stored leads to Propexo, paced by the upstream budget,
 * and follows each write until it is confirmed or a dead letter. It runs behind the requests: a
 * lead is answered 202 once stored, whatever Propexo is doing.
 *
 * Each lead is in the hands of one task at a time; up to `concurrency` tasks have a request in
 * flight (they take the budget in turn, so creates leave in the order of the outbox). Sent leads are
 * confirmed in rounds (rounds.ts: one lead listing for many) once enough of them wait, else one by
 * one; while creates are waiting, rounds come at most every listingEveryMs, and a lead the rounds
 * keep missing is checked on its own: creates go first, confirmations still come.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';
import type { PropexoClient } from '../../propexo/client.js';
import type { LeadRecord, LeadStore } from '../store/types.js';
import { createUpstreamBudget, realSleep, type Sleep, type UpstreamBudget } from './budget.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from './policy.js';
import { createRounds } from './rounds.js';
import { createSteps } from './steps.js';
import type { RateLimiter } from '../../limits/types.js';

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
  readonly budget: UpstreamBudget;
}

/** Batches one runOnce goes through before it returns (and waits for its last requests). */
const PASSES = 50;

export function createDeliverer(deps: DelivererDeps): Deliverer {
  const { store, sites, clock, logger } = deps;
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...deps.policy };
  const sleep = deps.sleep ?? realSleep;
  const budget = createUpstreamBudget({ limiter: deps.limiter, clock, sleep, policy });
  let pausedUntil = 0;
  let alerted = false;
  let lastPurge = Number.NEGATIVE_INFINITY;
  let running: AbortController | null = null;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  /** Leads a task is working on: never handed to a second one. */
  const inFlight = new Set<string>();
  /** Until Propexo answers, and after any failure, one request at a time. */
  let healthy = false;

  const steps = createSteps({
    store,
    client: deps.client,
    budget,
    clock,
    logger,
    policy,
    random: deps.random ?? Math.random,
    signal: () => running?.signal,
    onUnauthorized(failure) {
      pausedUntil = clock.now() + policy.authPauseMs;
      // One alert per outage, not one per lead: the operator has one thing to fix.
      if (!alerted) {
        alerted = true;
        logger.alert('propexo.unauthorized', {
          status: failure.status,
          paused_ms: policy.authPauseMs,
          hint: 'Propexo refused the token: check PROPEXO_API_TOKEN and its access to the integrations. Delivery is paused for every site; leads stay queued.',
        });
      }
    },
    onAuthorized() {
      if (alerted) logger.info('propexo.authorized_again', {});
      alerted = false;
    },
    onAnswer(result) {
      // A refused request (400, 404) says nothing about Propexo's health; anything else failing does.
      healthy = result.ok || result.kind === 'rejected';
    },
  });

  const rounds = createRounds({
    store,
    client: deps.client,
    sites,
    clock,
    logger,
    policy,
    random: deps.random ?? Math.random,
    upstream: (call) => steps.upstream(call),
    confirm: (lead, createdRecordId) => steps.confirmed(lead, createdRecordId, 'listing', undefined, true),
    busy: (id) => inFlight.has(id),
  });

  async function handle(lead: LeadRecord, backlog: boolean): Promise<void> {
    const site = sites.get(lead.site);
    if (clock.now() - lead.age_from > policy.maxAgeMs) {
      return steps.deadLetter(lead, lead.status === 'sent' ? 'write_not_confirmed_in_time' : 'not_delivered_in_time', {
        error: lead.error,
      });
    }
    // A site this process does not know (yet): another one accepted the lead with newer sites, or
    // the site was removed. The lead waits; the age limit makes it a dead letter if it never returns.
    if (!site) return steps.waitForSite(lead);
    if (lead.status === 'queued') return steps.send(lead, site);
    // Its property's next round is near: no request of its own (only next_attempt_at is written).
    const until = rounds.waitUntil(lead, backlog);
    if (until !== null) return void (await store.update(lead.id, { next_attempt_at: until }, { ifStatus: 'sent' }));
    return steps.confirm(lead, site);
  }

  async function purge(): Promise<void> {
    const now = clock.now();
    if (now - lastPurge < policy.purgeEveryMs) return;
    lastPurge = now;
    const purged = await store.purgeConfirmed(now - policy.retentionMs);
    if (purged > 0) logger.info('leads.purged', { count: purged, retention_ms: policy.retentionMs });
  }

  /**
   * Everything due now: rounds first, then each due lead to a task, at most `concurrency` at once,
   * looking at the store again as tasks finish (up to PASSES batches, then the next pass). Resolves
   * once every task it started has ended, with how many leads it handled; rethrows the first error.
   */
  async function runOnce(): Promise<number> {
    await purge();
    if (clock.now() < pausedUntil) return 0;
    const tasks = new Set<Promise<void>>();
    let failure: { error: unknown } | null = null;
    let handled = 0;
    const stopped = () => failure !== null || !!running?.signal.aborted || clock.now() < pausedUntil;
    try {
      passes: while (handled < policy.batch * PASSES && !stopped()) {
        let due = (await store.due(clock.now(), policy.batch + inFlight.size)).filter((l) => !inFlight.has(l.id));
        // Creates waiting: rounds come at most every listingEveryMs, the rest of the budget is theirs.
        const backlog = due.some((l) => l.status === 'queued');
        const changed = await rounds.run(due, backlog);
        handled += changed;
        if (changed > 0) due = (await store.due(clock.now(), policy.batch + inFlight.size)).filter((l) => !inFlight.has(l.id));
        if (due.length === 0) break;
        for (const lead of due) {
          while (tasks.size >= (healthy ? Math.max(1, policy.concurrency) : 1)) await Promise.race(tasks);
          if (stopped()) break passes;
          // A round is due: it goes before the rest of this batch (the store is read again after it).
          if (backlog && rounds.due()) continue passes;
          inFlight.add(lead.id);
          handled += 1;
          const task: Promise<void> = handle(lead, backlog)
            .catch((error: unknown) => {
              failure ??= { error };
            })
            .finally(() => {
              inFlight.delete(lead.id);
              tasks.delete(task);
            });
          tasks.add(task);
        }
      }
    } finally {
      await Promise.all(tasks);
    }
    if (failure) throw (failure as { error: unknown }).error;
    return handled;
  }

  /** Sleeps up to `ms`, less if woken or stopped. */
  async function rest(ms: number, signal: AbortSignal): Promise<void> {
    const nap = new AbortController();
    const end = () => nap.abort();
    signal.addEventListener('abort', end, { once: true });
    wakeUp = end;
    try {
      await sleep(ms, nap.signal).catch(() => {});
    } finally {
      wakeUp = null;
      signal.removeEventListener('abort', end);
    }
  }

  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if ((await runOnce()) > 0) continue;
        const next = await store.nextDueAt();
        const until = Math.max(pausedUntil, next ?? Number.POSITIVE_INFINITY);
        await rest(Math.max(1, Math.min(policy.idleMs, until - clock.now())), signal);
      } catch (err) {
        if (signal.aborted) break; // stopped while waiting for the upstream budget
        // A store or programming error must not end delivery: log it, breathe, go on.
        logger.error('deliverer.error', { error: err instanceof Error ? err.name : 'unknown', message: err instanceof Error ? err.message : String(err) });
        await rest(1_000, signal);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = new AbortController();
      loop = run(running.signal);
    },
    async stop() {
      running?.abort();
      wakeUp?.();
      await loop;
      running = null;
      loop = null;
    },
    wake() {
      wakeUp?.();
    },
    runOnce,
    get pausedUntil() {
      return pausedUntil;
    },
    budget,
  };
}
