/**
 * The outbox watch: what no single request or delivery step sees, read from the store at each look
 * (every `checkEveryMs`, on Node by a timer in the process that delivers, on Workers in the outbox
 * object's alarm). Two conditions, each logged once when it starts and once when it ends, which the
 * alerting logger (tap.ts) turns into an alert and its notice:
 *
 * - `outbox.backlog`: the oldest queued lead has waited longer than `backlogMs`;
 * - `leads.held_burst`: `heldBurst` or more leads of one site held within `heldWindowMs`.
 */
import type { Logger } from '../lib/log.js';
import type { LeadStore } from '../outbox/store/types.js';
import type { AlertPolicy } from './policy.js';

export interface OutboxWatch {
  /**
   * One look: raises or clears the two conditions. Never rejects (a store error is logged). With
   * `ifDue`, only when `checkEveryMs` has passed since the last (an alarm may come far more often).
   */
  check(options?: { ifDue?: boolean }): Promise<void>;
  /** When the next look is wanted: soon while anything could change without a new lead, else null. */
  wantsCheckAt(): number | null;
}

export function createOutboxWatch(deps: {
  store: Pick<LeadStore, 'backlog' | 'heldSince'>;
  clock: { now(): number };
  /** The alerting logger: its alert lines are the alerts. */
  logger: Logger;
  policy: Pick<AlertPolicy, 'backlogMs' | 'heldBurst' | 'heldWindowMs' | 'checkEveryMs'>;
}): OutboxWatch {
  const { store, clock, logger, policy } = deps;
  let backlogged = false;
  const bursting = new Set<string>();
  let lastCheck = Number.NEGATIVE_INFINITY;
  let watching = false;

  async function lookAtBacklog(now: number): Promise<boolean> {
    const backlog = await store.backlog(now - policy.backlogMs);
    const waitingMs = backlog.oldest ? now - backlog.oldest.waiting_since : 0;
    const fields = { threshold_ms: policy.backlogMs, waiting: backlog.waiting };
    if (backlog.oldest && waitingMs > policy.backlogMs) {
      if (!backlogged) {
        // The oldest lead's site as oldest_site: the backlog is the relay's, not one site's (tap.ts keys by `site`).
        const oldest = { lead_id: backlog.oldest.id, oldest_site: backlog.oldest.site, waiting_ms: waitingMs };
        logger.alert('outbox.backlog', { ...oldest, ...fields });
      }
      backlogged = true;
    } else if (backlogged) {
      backlogged = false;
      logger.info('outbox.backlog_cleared', { ...fields, oldest_waiting_ms: waitingMs });
    }
    return backlog.oldest !== null;
  }

  async function lookAtHeld(now: number): Promise<boolean> {
    const rows = await store.heldSince(now - policy.heldWindowMs);
    const bySite = new Map<string, { held: number; reasons: Record<string, number> }>();
    for (const row of rows) {
      const site = bySite.get(row.site) ?? { held: 0, reasons: {} };
      site.held += row.count;
      site.reasons[row.reason || 'unknown'] = row.count;
      bySite.set(row.site, site);
    }
    const fields = { window_ms: policy.heldWindowMs, threshold: policy.heldBurst };
    for (const [site, { held, reasons }] of bySite) {
      if (held < policy.heldBurst || bursting.has(site)) continue;
      bursting.add(site);
      logger.alert('leads.held_burst', { site, held, reasons, ...fields });
    }
    for (const site of bursting) {
      const held = bySite.get(site)?.held ?? 0;
      if (held >= policy.heldBurst) continue;
      bursting.delete(site);
      logger.info('leads.held_burst_over', { site, held, ...fields });
    }
    return rows.length > 0;
  }

  return {
    async check({ ifDue = false } = {}) {
      const now = clock.now();
      if (ifDue && now < lastCheck + policy.checkEveryMs) return;
      lastCheck = now;
      try {
        const queued = await lookAtBacklog(now);
        const held = await lookAtHeld(now);
        watching = queued || held || backlogged || bursting.size > 0;
      } catch (error) {
        watching = true;
        logger.warn('outbox_watch.failed', { error });
      }
    },
    wantsCheckAt: () => (lastCheck === Number.NEGATIVE_INFINITY ? clock.now() : watching ? lastCheck + policy.checkEveryMs : null),
  };
}
