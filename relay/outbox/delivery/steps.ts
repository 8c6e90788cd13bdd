/**
 * What the deliverer does with one lead: send it (queued), or follow its write job (sent). Every
 * decision is written to the store before the next upstream request, so a crash at any point
 * leaves a lead that the next run handles without losing it or sending it twice.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';
import type { FoundLead, PropexoClient, UpstreamFailure } from '../../propexo/client.js';
import type { LeadPatch, LeadRecord, LeadStore } from '../store/types.js';
import type { UpstreamBudget } from './budget.js';
import { fold } from './fingerprint.js';
import { backoff, type DeliveryPolicy } from './policy.js';

/**
 * Whether Propexo's `created_at` is at or after `since`: true or false when it says, undefined when
 * it gives none or an unreadable one. A bare date counts as the whole day.
 */
export function createdSince(createdAt: string | null, since: number, sinceDay: string): boolean | undefined {
  if (!createdAt) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(createdAt)) return createdAt >= sinceDay;
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? undefined : t >= since;
}

export interface StepDeps {
  store: LeadStore;
  client: PropexoClient;
  budget: UpstreamBudget;
  clock: { now(): number };
  logger: Logger;
  policy: DeliveryPolicy;
  random: () => number;
  /** Aborts a wait for the upstream budget when the deliverer stops. */
  signal(): AbortSignal | undefined;
  /** Called when Propexo refuses the token: delivery pauses for every site. */
  onUnauthorized(failure: UpstreamFailure): void;
  /** Called after any upstream success: a pause for a refused token is over. */
  onAuthorized(): void;
  /** Every upstream answer, for the deliverer's concurrency (one at a time after a failure). */
  onAnswer?(result: { ok: boolean; kind?: string }): void;
}

/** Resolves when `previous` does, or rejects as soon as `signal` aborts. */
function turn(previous: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return previous;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export function createSteps(deps: StepDeps) {
  const { store, client, budget, clock, logger, policy, random } = deps;

  const logOf = (lead: LeadRecord) => ({ lead_id: lead.id, site: lead.site });
  const retryIn = (n: number) => backoff(n, policy.backoffBaseMs, policy.backoffMaxMs, random);
  const checkIn = (n: number) => backoff(n, policy.confirmFirstDelayMs, policy.confirmMaxDelayMs, random);

  const save = (lead: LeadRecord, patch: LeadPatch) => store.update(lead.id, { ...patch, updated_at: clock.now() });

  /** The turn of the last caller into upstream(): each waits for the one before. */
  let gate: Promise<void> = Promise.resolve();

  /**
   * One Propexo request out of the shared budget. `ready`, when given, runs once the budget is
   * granted and may call the request off: a lead is marked in doubt only when its POST really goes.
   * Callers in flight at once take turns, first come first served, from the budget to the request
   * leaving: requests go out in the order the deliverer handed out their leads.
   */
  async function upstream<T extends { ok: boolean }>(call: () => Promise<T>, ready?: () => Promise<boolean>): Promise<T | null> {
    const signal = deps.signal();
    const previous = gate;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    gate = previous.then(() => mine);
    let pending: Promise<T>;
    try {
      await turn(previous, signal);
      await budget.take(signal);
      if (ready && !(await ready())) return null;
      pending = call();
    } finally {
      done();
    }
    const result = await pending;
    budget.observe(result as T & { ok: boolean });
    deps.onAnswer?.(result as T & { kind?: string });
    if (result.ok) deps.onAuthorized();
    else if ((result as unknown as UpstreamFailure).kind === 'unauthorized') deps.onUnauthorized(result as unknown as UpstreamFailure);
    return result;
  }

  async function deadLetter(lead: LeadRecord, reason: string, detail?: unknown, patch: LeadPatch = {}): Promise<void> {
    await save(lead, {
      ...patch,
      status: 'failed',
      error: reason,
      error_detail: detail === undefined ? undefined : JSON.stringify(detail),
      next_attempt_at: clock.now(),
    });
    logger.error('lead.dead_letter', { ...logOf(lead), reason, attempts: lead.attempts, detail });
  }

  /** Writes the lead confirmed (with `ifSent`, only while it is still sent); false when it was not written. */
  async function confirmed(lead: LeadRecord, createdRecordId: string | null, how: string, partial?: string[], ifSent = false): Promise<boolean> {
    const now = clock.now();
    const patch: LeadPatch = {
      status: 'confirmed',
      created_record_id: createdRecordId ?? undefined,
      confirmed_at: now,
      in_doubt_since: undefined,
      error: partial ? 'partial_success' : undefined,
      error_detail: partial ? JSON.stringify(partial) : undefined,
      updated_at: now,
    };
    if (!(await store.update(lead.id, patch, ifSent ? { ifStatus: 'sent' } : {}))) return false;
    const fields = { ...logOf(lead), how, created_record_id: createdRecordId, ms_since_accepted: now - lead.created_at };
    if (partial) logger.warn('lead.confirmed_partially', { ...fields, errors: partial });
    else logger.info('lead.confirmed', fields);
    return true;
  }

  /**
   * Looks for the prospect in Propexo after a POST that may have landed: same names and contact,
   * created no earlier than that POST (less clock skew). A candidate Propexo gives no usable
   * creation time for could be an older lead of the same person: that is 'ambiguous', for an
   * operator, never taken as this lead.
   */
  async function findInPropexo(lead: LeadRecord, site: SiteConfig): Promise<FoundLead | 'ambiguous' | null | UpstreamFailure> {
    const { email_1, phone_1, first_name, last_name } = lead.submission;
    const since = (lead.in_doubt_since || lead.created_at) - policy.clockSkewMs;
    const sinceDay = new Date(since).toISOString().slice(0, 10);
    let undated = false;
    for (const contact of [email_1 && { email_1 }, phone_1 && { phone_1 }]) {
      if (!contact) continue;
      const result = await upstream(() =>
        client.findLeads({ integration_id: site.integration_id, property_id: site.property_id, ...contact }),
      );
      if (!result!.ok) return result as UpstreamFailure;
      const candidates = result!.leads.filter((l) => fold(l.first_name ?? '') === fold(first_name) && fold(l.last_name ?? '') === fold(last_name));
      const match = candidates.find((l) => createdSince(l.created_at, since, sinceDay) === true);
      if (match) return match;
      undated ||= candidates.some((l) => createdSince(l.created_at, since, sinceDay) === undefined);
    }
    return undated ? 'ambiguous' : null;
  }

  async function transient(lead: LeadRecord, failure: UpstreamFailure, next: number, patch: LeadPatch = {}) {
    await save(lead, { ...patch, error: `${failure.kind}:${failure.reason}`, next_attempt_at: clock.now() + next });
    logger.warn(`propexo.${failure.kind}`, { ...logOf(lead), reason: failure.reason, status: failure.status, retry_in_ms: next });
  }

  /** queued: look for it first if an earlier POST may have landed, then send it once. */
  async function send(lead: LeadRecord, site: SiteConfig): Promise<void> {
    if (lead.in_doubt_since !== undefined) {
      const found = await findInPropexo(lead, site);
      if (found === 'ambiguous') return deadLetter(lead, 'in_doubt_unresolved', { hint: 'Propexo has a lead of this prospect without a creation time: check ResMan, then discard or retry' });
      if (found !== null && 'ok' in found) return transient(lead, found, retryIn(lead.checks + 1), { checks: lead.checks + 1 });
      if (found) return void (await confirmed(lead, found.id, 'found_after_doubt'));
      if (clock.now() - lead.in_doubt_since < policy.inDoubtGraceMs) {
        await save(lead, { checks: lead.checks + 1, next_attempt_at: clock.now() + retryIn(lead.checks + 1) });
        return;
      }
      logger.warn('lead.resending_after_search', { ...logOf(lead), in_doubt_ms: clock.now() - lead.in_doubt_since });
    }

    // Written once the budget is granted, right before the POST: if the relay dies while it is in
    // flight, the next run searches first, and the grace period counts from the real send.
    let claimed = null as LeadRecord | null;
    const result = await upstream(
      () =>
        client.createLead({
          integration_id: site.integration_id,
          property_id: site.property_id,
          employee_id: site.employee_id,
          lead_source_id: lead.lead_source_id ?? site.lead_source_id,
          ...lead.submission,
        }),
      async () => {
        const now = clock.now();
        claimed = await store.update(lead.id, { in_doubt_since: now, attempts: lead.attempts + 1, updated_at: now }, { ifStatus: 'queued' });
        return claimed !== null;
      },
    );
    if (!result || !claimed) return;
    if (result.ok) {
      await save(claimed, {
        status: 'sent',
        job_id: result.jobId,
        in_doubt_since: undefined,
        checks: 0,
        write_retries: 0,
        error: undefined,
        next_attempt_at: clock.now() + policy.confirmFirstDelayMs,
      });
      logger.info('lead.sent', { ...logOf(lead), attempt: claimed.attempts, job_id: result.jobId, upstream_remaining: result.rateLimitRemaining });
      return;
    }
    const settled = { in_doubt_since: result.maybeDelivered ? claimed.in_doubt_since : undefined };
    switch (result.kind) {
      case 'rejected':
        // Our request was wrong, not the prospect: Propexo's details are for the operator.
        return deadLetter(claimed, 'propexo_rejected', { status: result.status, details: result.details }, settled);
      case 'unauthorized':
        // Behind the others: if only this lead's integration is refused, the rest still go after the pause.
        await save(claimed, { ...settled, error: 'unauthorized', next_attempt_at: clock.now() + policy.authPauseMs });
        return;
      default:
        return transient(claimed, result, retryIn(claimed.attempts), settled);
    }
  }

  /** sent: follow the write job until Propexo says it is done, retrying a failed write a few times. */
  async function confirm(lead: LeadRecord, site: SiteConfig): Promise<void> {
    const status = (await upstream(() => client.writeStatus(lead.job_id!)))!;
    if (!status.ok) {
      if (status.kind === 'rejected' && status.status === 404) {
        // Propexo no longer knows the job: the lead itself is the evidence.
        const found = await findInPropexo(lead, site);
        if (found === 'ambiguous') return deadLetter(lead, 'job_not_found', { job_id: lead.job_id, ambiguous: true });
        if (found !== null && 'ok' in found) return transient(lead, found, checkIn(lead.checks + 1), { checks: lead.checks + 1 });
        if (found) return void (await confirmed(lead, found.id, 'found_after_unknown_job'));
        return deadLetter(lead, 'job_not_found', { job_id: lead.job_id });
      }
      if (status.kind === 'unauthorized') return void (await save(lead, { error: 'unauthorized', next_attempt_at: clock.now() }));
      return transient(lead, status, checkIn(lead.checks + 1), { checks: lead.checks + 1 });
    }
    switch (status.writeStatus) {
      case 'SUCCESS':
        return void (await confirmed(lead, status.createdRecordId, 'write_status'));
      case 'PARTIAL_SUCCESS':
        return void (await confirmed(lead, status.createdRecordId, 'write_status', status.errors));
      case 'PENDING':
        await save(lead, { checks: lead.checks + 1, next_attempt_at: clock.now() + checkIn(lead.checks + 1) });
        return;
      case 'FAILURE': {
        // Right after a retry-write, FAILURE may still be the old answer: only one that outlasts a few
        // checks (and a webhook about the old failure) counts as the retry failing too.
        if (lead.write_retries > 0 && lead.checks < policy.failureChecksAfterRetry) {
          await save(lead, { checks: lead.checks + 1, next_attempt_at: clock.now() + checkIn(lead.checks + 1) });
          return;
        }
        if (lead.write_retries >= policy.maxWriteRetries) return deadLetter(lead, 'write_failed', { errors: status.errors });
        const retried = (await upstream(() => client.retryWrite(lead.job_id!)))!;
        // Every call counts, answered or not: a retry-write that keeps failing must not repeat forever.
        const write_retries = lead.write_retries + 1;
        if (!retried.ok) return transient(lead, retried, checkIn(lead.checks + 1), { checks: 0, write_retries });
        if (!retried.success) return deadLetter(lead, 'write_retry_refused', { errors: status.errors });
        await save(lead, { write_retries, checks: 0, next_attempt_at: clock.now() + policy.confirmFirstDelayMs });
        logger.warn('lead.write_retried', { ...logOf(lead), job_id: lead.job_id, retry: lead.write_retries + 1, errors: status.errors });
      }
    }
  }

  async function waitForSite(lead: LeadRecord): Promise<void> {
    await save(lead, { error: 'site_not_configured', checks: lead.checks + 1, next_attempt_at: clock.now() + retryIn(lead.checks + 1) });
    logger.warn('lead.site_not_configured', logOf(lead));
  }

  return { send, confirm, confirmed, deadLetter, waitForSite, upstream };
}
