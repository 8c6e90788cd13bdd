/**
 * The deliverer: the one loop that moves stored leads to Propexo, paced by the upstream budget,
 * and follows each write until it is confirmed or a dead letter. It runs behind the requests: a
 * lead is answered 202 once stored, whatever Propexo is doing.
 */
import type { SiteConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { PropexoClient } from '../propexo/client.js';
import type { LeadRecord, LeadStore } from '../store/types.js';
import { createUpstreamBudget, realSleep, type Sleep, type UpstreamBudget } from './budget.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from './policy.js';
import { createSteps } from './steps.js';
import type { RateLimiter } from '../limits/types.js';

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
  /** Stops after the lead in hand; resolves once the loop has ended. */
  stop(): Promise<void>;
  /** Looks at the store now instead of at the next due time (a new lead, a webhook, a retry). */
  wake(): void;
  /** One pass over the leads due now; resolves with how many it handled. For tests and the CLI. */
  runOnce(): Promise<number>;
  readonly pausedUntil: number;
  readonly budget: UpstreamBudget;
}

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
  });

  async function handle(lead: LeadRecord): Promise<void> {
    const site = sites.get(lead.site);
    if (clock.now() - lead.age_from > policy.maxAgeMs) {
      return steps.deadLetter(lead, lead.status === 'sent' ? 'write_not_confirmed_in_time' : 'not_delivered_in_time', {
        error: lead.error,
      });
    }
    // A site this process does not know (yet): another one accepted the lead with newer sites, or
    // the site was removed. The lead waits; the age limit makes it a dead letter if it never returns.
    if (!site) return steps.waitForSite(lead);
    return lead.status === 'queued' ? steps.send(lead, site) : steps.confirm(lead, site);
  }

  async function purge(): Promise<void> {
    const now = clock.now();
    if (now - lastPurge < policy.purgeEveryMs) return;
    lastPurge = now;
    const purged = await store.purgeConfirmed(now - policy.retentionMs);
    if (purged > 0) logger.info('leads.purged', { count: purged, retention_ms: policy.retentionMs });
  }

  async function runOnce(): Promise<number> {
    await purge();
    if (clock.now() < pausedUntil) return 0;
    const leads = await store.due(clock.now(), policy.batch);
    for (const lead of leads) {
      if (running?.signal.aborted || clock.now() < pausedUntil) break;
      await handle(lead);
    }
    return leads.length;
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
