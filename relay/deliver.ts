/**
 * Delivery of one stored lead to Propexo, and the record's status after it.
 *
 * For now the relay delivers inline and answers with the outcome. The durable outbox of the next
 * issue will call this from a background deliverer instead (paced, with write-status confirmation),
 * and the route will answer 202 `received` as soon as the lead is stored: the change stays here.
 */
import type { SiteConfig } from './config.js';
import type { Logger } from './log.js';
import type { CreateLeadFailureKind, PropexoClient } from './propexo/client.js';
import type { LeadRecord, LeadStore } from './store/types.js';

export type DeliveryOutcome =
  | { ok: true; record: LeadRecord }
  | { ok: false; kind: CreateLeadFailureKind; retryAfterSeconds: number; record: LeadRecord };

export interface DelivererDeps {
  client: PropexoClient;
  store: LeadStore;
  logger: Logger;
  clock: { now(): number };
}

export type Deliver = (record: LeadRecord, site: SiteConfig) => Promise<DeliveryOutcome>;

// Propexo documents no Retry-After; its rate window is a minute, other faults are usually brief.
const RETRY_AFTER_RATE_LIMITED = 60;
const RETRY_AFTER_UNAVAILABLE = 15;

export function createDeliverer({ client, store, logger, clock }: DelivererDeps): Deliver {
  return async function deliver(record, site) {
    const log = { lead_id: record.id, site: site.slug, attempt: record.attempts };
    let result;
    try {
      result = await client.createLead({
        integration_id: site.integration_id,
        property_id: site.property_id,
        employee_id: site.employee_id,
        lead_source_id: site.lead_source_id,
        ...record.submission,
      });
    } catch (err) {
      // The client never throws; if it ever does, do not leave the lead stuck in `received`.
      await store.update(record.id, { status: 'failed', error: 'internal_error', updated_at: clock.now() }).catch(() => null);
      throw err;
    }

    if (result.ok) {
      const updated = await store.update(record.id, { status: 'sent', job_id: result.jobId, error: undefined, updated_at: clock.now() });
      logger.info('lead.sent', { ...log, job_id: result.jobId, upstream_remaining: result.rateLimitRemaining });
      return { ok: true, record: updated ?? { ...record, status: 'sent', job_id: result.jobId } };
    }

    const error = `${result.kind}:${result.reason}`;
    const failed = await store.update(record.id, { status: 'failed', error, updated_at: clock.now() });
    const fields = { ...log, status: result.status, reason: result.reason, maybe_delivered: result.maybeDelivered };
    switch (result.kind) {
      case 'rejected':
        // Our request was wrong, not the prospect: the operator needs Propexo's details (masked by the logger).
        logger.error('propexo.rejected', { ...fields, details: result.details });
        break;
      case 'unauthorized':
        logger.alert('propexo.unauthorized', { ...fields, hint: 'Propexo refused the token: check PROPEXO_API_TOKEN and its access to this integration' });
        break;
      default:
        logger.warn(`propexo.${result.kind}`, { ...fields, upstream_remaining: result.rateLimitRemaining });
    }
    const retryAfterSeconds =
      result.retryAfterSeconds ?? (result.kind === 'rate_limited' ? RETRY_AFTER_RATE_LIMITED : RETRY_AFTER_UNAVAILABLE);
    return { ok: false, kind: result.kind, retryAfterSeconds, record: failed ?? { ...record, status: 'failed', error } };
  };
}
