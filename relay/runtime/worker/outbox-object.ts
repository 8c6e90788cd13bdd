/**
 * The outbox at the edge: one Durable Object ("outbox") holds every lead in its SQLite storage and
 * runs the same deliverer as Node, woken by its alarm.
 *
 * Why Durable Object alarms rather than a Queue: the outbox must answer "is this Idempotency-Key or
 * this prospect already here?" atomically before the 202, which a queue cannot, and the deliverer
 * needs the lead's whole history (in doubt, job id, checks) to never send twice, which lives in the
 * same storage. One object also means one place to pace Propexo's budget and no cross-location
 * ordering to reconcile. Its limits are one object's throughput (thousands of leads a minute, far
 * beyond what 150 Propexo requests a minute can carry) and one location's latency for the accept.
 */
import { DurableObject, type DurableObjectNamespace, type DurableObjectState } from 'cloudflare:workers';
import type { SiteConfig } from '../../config/sites.js';
import type { Alerts } from '../../alerts/alerts.js';
import { createOutboxWatch, type OutboxWatch } from '../../alerts/watch.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { READINESS_CACHE_MS, cachedFor, readinessCheck, type NotReadyReason, type Readiness } from '../../lib/readiness.js';
import { realSleep } from '../../outbox/delivery/budget.js';
import { createDeliverer, type Deliverer } from '../../outbox/delivery/deliverer.js';
import { createDurableLeadStore } from '../../outbox/store/durable.js';
import type {
  AcceptWindows,
  LeadEvent,
  LeadListFilter,
  LeadPatch,
  LeadRecord,
  LeadStatus,
  LeadStore,
  TourAccept,
} from '../../outbox/store/types.js';
import { createPropexoClient } from '../../propexo/client.js';
import { createSiteChecks, type SiteChecks } from '../../sites/monitor.js';
import { pacedDirectory } from '../../sites/paced.js';
import type { SiteChecksSource } from '../../sites/types.js';
import { DEFAULT_POLICY } from '../../outbox/delivery/policy.js';
import { edgeSetup, type EdgeSetup } from './config.js';
import type { EdgeEnv, OutboxRpc } from './env.js';
import { durableObjectLimiter } from './limiter-object.js';

/** How long one alarm keeps delivering before it hands over to the next (alarms have a wall limit). */
const ALARM_SLICE_MS = 25_000;
/** After an error in an alarm, the next look comes no sooner than this. */
const AFTER_ERROR_MS = 1_000;

/** The readiness probe's key in the object's key-value storage (the platform's _cf_KV table, beside the leads). */
const READINESS_PROBE_KEY = 'readiness_probe';

/** A wait for the upstream budget that would end past the alarm's slice: the next alarm takes over. */
class SliceOver extends Error {
  constructor(readonly resumeAt: number) {
    super('alarm slice over');
  }
}

export class OutboxObject extends DurableObject<EdgeEnv> implements OutboxRpc {
  private readonly store: LeadStore;
  /** Refreshed in place before every delivery round: sites added to KV reach the deliverer too. */
  private readonly sites = new Map<string, SiteConfig>();
  /** The isolate's one source of sites (config.ts), shared with the Worker's routes when they run here. */
  private source!: EdgeSetup['sites'];
  private logger: Logger = createLogger();
  private deliverer!: Deliverer;
  private readinessOfObject!: Readiness;
  /** Backlog and held bursts, looked at in the alarm (relay/alerts/watch.ts); the isolate's alerts. */
  private watch!: OutboxWatch;
  private alerts!: Alerts;
  private checkEveryMs = 60_000;
  /** The sites checked against Propexo, here where the deliverer runs: it holds the leads they find wrong. */
  private checks!: SiteChecks;
  /** Sites whose problems went away since the last look: their waiting leads are released. */
  private readonly released = new Set<string>();
  private sliceEnds = Number.POSITIVE_INFINITY;

  constructor(ctx: DurableObjectState, env: EdgeEnv) {
    super(ctx, env);
    this.store = createDurableLeadStore(ctx.storage);
    // Nothing reaches the object before its configuration is read (sites may come from KV).
    void ctx.blockConcurrencyWhile(async () => {
      const { config, logger, sites, alerts } = await edgeSetup(env);
      this.source = sites;
      this.copySites();
      this.logger = logger;
      this.alerts = alerts;
      this.checkEveryMs = config.alerts.policy.checkEveryMs;
      this.watch = createOutboxWatch({ store: this.store, clock: Date, logger, policy: config.alerts.policy });
      const http = {
        baseUrl: config.propexo.baseUrl,
        token: config.propexo.token,
        fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
        timeoutMs: config.upstreamTimeoutMs,
      };
      this.deliverer = createDeliverer({
        store: this.store,
        client: createPropexoClient(http),
        gate: { holding: (slug, ids) => this.checks.holding(slug, ids), refused: (...args) => this.checks.refused(...args) },
        // One LimiterObject for the budget: one Propexo budget across every location.
        limiter: durableObjectLimiter(env.LIMITER),
        sites: this.sites,
        clock: Date,
        logger: this.logger,
        policy: config.delivery,
        sleep: (ms, signal) => (Date.now() + ms > this.sliceEnds ? Promise.reject(new SliceOver(Date.now() + ms)) : realSleep(ms, signal)),
      });
      const policy = { ...DEFAULT_POLICY, ...config.delivery };
      this.checks = createSiteChecks({
        sites: () => this.sites,
        // Out of the deliverer's budget: in an alarm, a wait past its slice ends the check (the next alarm checks again).
        directory: pacedDirectory(http, this.deliverer.budget),
        clock: Date,
        logger: this.logger,
        everyMs: policy.siteCheckEveryMs,
        retryMs: policy.siteCheckRetryMs,
        onRelease: (slug) => void this.released.add(slug),
      });
      // Not ready while this storage cannot write or Propexo refuses the token (relay/lib/readiness.ts).
      this.readinessOfObject = readinessCheck({
        clock: Date,
        logger: this.logger,
        probeWrite: () => ctx.storage.put(READINESS_PROBE_KEY, Date.now()),
        tokenRefused: () => this.deliverer.tokenRefused,
      });
      // Woken by whatever reaches it first (a receipt, an admin list): delivery never stays asleep.
      if ((await ctx.storage.getAlarm()) === null) await this.arm();
    });
  }

  /** The deliverer's map, updated in place to the sites as the source has them now. */
  private copySites(): void {
    this.sites.clear();
    for (const [slug, site] of this.source.current()) this.sites.set(slug, site);
  }

  /** Re-reads the sites when due (a failed read keeps the last good ones; it never throws), then copies them. */
  private async refreshSites(): Promise<void> {
    await this.source.refreshIfStale();
    this.copySites();
  }

  // The store, over RPC, for the Worker's routes.
  async accept(record: LeadRecord, windows: AcceptWindows, tour?: TourAccept) {
    const outcome = await this.store.accept(record, windows, tour);
    if (outcome.created) await this.arm();
    // A held lead is never due, but a burst of them is for the watch to see within a look.
    if (outcome.created && outcome.record.status === 'held') await this.armBy(Date.now() + this.checkEveryMs);
    return outcome;
  }
  get(id: string) {
    return this.store.get(id);
  }
  tourBookings(site: string, from: number, to: number) {
    return this.store.tourBookings(site, from, to);
  }
  tourOf(leadId: string) {
    return this.store.tourOf(leadId);
  }
  async releaseTour(tourId: string, capacity: number, patch: LeadPatch, event: LeadEvent) {
    const outcome = await this.store.releaseTour(tourId, capacity, patch, event);
    // Queued now: due at once.
    if (outcome && 'released' in outcome) await this.arm();
    return outcome;
  }
  findByIdempotencyKey(site: string, key: string, since: number) {
    return this.store.findByIdempotencyKey(site, key, since);
  }
  findByJobId(jobId: string) {
    return this.store.findByJobId(jobId);
  }
  async update(id: string, patch: LeadPatch, options?: { ifStatus?: LeadStatus }, event?: LeadEvent) {
    const updated = await this.store.update(id, patch, options, event);
    if (updated) await this.arm();
    return updated;
  }
  list(filter?: LeadListFilter) {
    return this.store.list(filter);
  }
  appendEvent(id: string, event: LeadEvent) {
    return this.store.appendEvent(id, event);
  }
  history(id: string) {
    return this.store.history(id);
  }
  activity(since: number) {
    return this.store.activity(since);
  }
  counts() {
    return this.store.counts();
  }
  readiness() {
    return this.readinessOfObject();
  }
  async propexoState() {
    // The constructor's setup finishes before any call reaches the object; null only should it not have.
    return this.deliverer ? this.deliverer.propexoState() : null;
  }
  siteChecks() {
    return this.checks.report();
  }
  /** An operator's check of every site now (`POST /admin/sites/check`). */
  async checkSitesNow() {
    await this.refreshSites();
    const report = await this.checks.checkNow();
    await this.releaseWaiting();
    await this.arm();
    return report;
  }

  /** The leads of sites fixed since the last look go now. */
  private async releaseWaiting(): Promise<void> {
    for (const slug of [...this.released]) {
      this.released.delete(slug);
      await this.deliverer.release(slug);
    }
  }

  /**
   * When the site checks next need the alarm: when a check is due, and, while a site is misconfigured,
   * at every re-read of the sites from KV, so a fix there is checked (and its leads go) within the interval.
   */
  private checksDueAt(): number {
    const due = this.checks.nextDueAt();
    const every = this.source.intervalMs;
    return this.checks.anyMisconfigured() && every !== undefined ? Math.min(due, Date.now() + every) : due;
  }

  /** Sets the alarm for the earliest due lead (or site check), unless one is already set earlier. */
  private async arm(): Promise<void> {
    const next = Math.min((await this.store.nextDueAt()) ?? Number.POSITIVE_INFINITY, this.checksDueAt());
    if (next !== Number.POSITIVE_INFINITY) await this.armBy(next);
  }

  /** The alarm at `at` at the latest. */
  private async armBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    const when = Math.max(Date.now(), at);
    if (current === null || when < current) await this.ctx.storage.setAlarm(when);
  }

  /** Delivers what is due for one slice, then sets the next alarm. */
  async alarm(): Promise<void> {
    this.sliceEnds = Date.now() + ALARM_SLICE_MS;
    let next: number | null;
    try {
      await this.refreshSites();
      await this.checks.checkDue();
      await this.releaseWaiting();
      while (Date.now() < this.sliceEnds && (await this.deliverer.runOnce()) > 0) {
        // keep going while there is due work
      }
      const due = await this.store.nextDueAt();
      next = due === null ? null : Math.max(Date.now() + 10, due, this.deliverer.pausedUntil);
      const checkAt = this.checksDueAt();
      if (checkAt !== Number.POSITIVE_INFINITY) next = Math.min(next ?? checkAt, Math.max(Date.now() + 10, checkAt));
    } catch (err) {
      if (err instanceof SliceOver) next = err.resumeAt;
      else {
        this.logger.error('deliverer.error', { error: err });
        next = Date.now() + AFTER_ERROR_MS;
      }
    } finally {
      this.sliceEnds = Number.POSITIVE_INFINITY;
    }
    // The watch raises or clears its alerts, then summaries whose window ended go out. The sends run
    // behind the alarm (an object is not cut off when its handler returns; waitUntil says so anyway).
    await this.watch.check({ ifDue: true });
    this.alerts.tick();
    this.ctx.waitUntil(this.alerts.settled());
    // Retention: even with nothing due, look again within the hour; sooner while the watch or a summary asks.
    const wanted = [next ?? Date.now() + 3_600_000, this.watch.wantsCheckAt(), this.alerts.nextTickAt()].filter((t) => t !== null);
    await this.ctx.storage.setAlarm(Math.max(Date.now() + 10, Math.min(...wanted)));
  }
}

/** The site checks as the Worker's routes reach them: in the outbox object, where the deliverer runs. */
export function remoteSiteChecks(namespace: DurableObjectNamespace<OutboxRpc>): SiteChecksSource {
  const outbox = () => namespace.get(namespace.idFromName('outbox'));
  return { report: () => outbox().siteChecks(), checkNow: () => outbox().checkSitesNow() };
}

/** The store the Worker's routes use: every call goes to the one outbox object. */
export function remoteLeadStore(namespace: DurableObjectNamespace<OutboxRpc>): LeadStore {
  const outbox = () => namespace.get(namespace.idFromName('outbox'));
  const workerSide = (name: string) => () => Promise.reject(new Error(`${name} runs inside the outbox object`));
  return {
    accept: (record, windows, tour) => outbox().accept(record, windows, tour),
    tourBookings: (site, from, to) => outbox().tourBookings(site, from, to),
    tourOf: (leadId) => outbox().tourOf(leadId),
    releaseTour: (tourId, capacity, patch, event) => outbox().releaseTour(tourId, capacity, patch, event),
    get: (id) => outbox().get(id),
    findByIdempotencyKey: (site, key, since) => outbox().findByIdempotencyKey(site, key, since),
    findByJobId: (jobId) => outbox().findByJobId(jobId),
    update: (id, patch, options, event) => outbox().update(id, patch, options, event),
    list: (filter) => outbox().list(filter),
    appendEvent: (id, event) => outbox().appendEvent(id, event),
    history: (id) => outbox().history(id),
    activity: (since) => outbox().activity(since),
    counts: () => outbox().counts(),
    due: workerSide('due'),
    nextDueAt: workerSide('nextDueAt'),
    purgeConfirmed: workerSide('purgeConfirmed'),
    openCreates: workerSide('openCreates'),
    heldRecordIds: workerSide('heldRecordIds'),
    backlog: workerSide('backlog'),
    heldSince: workerSide('heldSince'),
    close: async () => {},
  };
}

/**
 * The Worker's readiness: the outbox object's, asked at most once per READINESS_CACHE_MS by each
 * isolate (so /readyz cannot load the one object every lead goes through); an object that does not
 * answer is an outbox that cannot write.
 */
export function remoteReadiness(namespace: DurableObjectNamespace<OutboxRpc>, logger: Logger): Readiness {
  return cachedFor(READINESS_CACHE_MS, Date, () =>
    namespace
      .get(namespace.idFromName('outbox'))
      .readiness()
      .catch((error: unknown): NotReadyReason[] => {
        logger.warn('readiness.outbox_unreachable', { error });
        return ['store_unwritable'];
      }),
  );
}
