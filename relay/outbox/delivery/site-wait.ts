/**
 * Leads of a misconfigured site wait, queued, instead of going to Propexo to be refused: a lead whose
 * site the check (relay/sites/) found wrong on one of the ids it would be sent with is not sent, and
 * a write Propexo or ResMan refuses because of an id (a 400 naming it; a write job failing with
 * "Transaction Source could not be found") marks the site so and queues the lead again instead of
 * making it a dead letter. Once the site is fixed its waiting leads are released (`releaseWaiting`),
 * and go with the ids the site has then. The age limit still applies, as to every waiting lead.
 *
 * The same shape as a refused token's pause (post-failed.ts): the lead keeps its status and gets an
 * `error` and a later `next_attempt_at`, which every store (memory, SQLite, PostgreSQL, Durable
 * Object) already keeps.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { SiteIdKind, SiteIds, SiteProblem } from '../../sites/types.js';
import { SITE_ID_KINDS } from '../../sites/types.js';
import type { LeadPatch, LeadRecord, LeadStore } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { retryDelay } from './policy.js';
import { siteIds } from './site-ids.js';

/** The `error` of a lead waiting for its site to be fixed. */
export const SITE_MISCONFIGURED = 'site_misconfigured';

/** ResMan's word for a lead source it does not have (docs/propexo.md, Errors); the sandbox says the same. */
const UNKNOWN_LEAD_SOURCE = /transaction source could not be found/i;

/** The problems that hold this lead at its site now: none, it goes. */
export function holdingProblems(ctx: StepContext, lead: LeadRecord, site: SiteConfig): SiteProblem[] {
  return ctx.gate?.holding(site.slug, siteIds(lead, site)) ?? [];
}

/** The lead waits for its site: `patch` too (a lead put back to queued), due again on the backoff unless released sooner. */
export async function waitForFix(ctx: StepContext, lead: LeadRecord, problems: SiteProblem[], patch: LeadPatch = {}): Promise<void> {
  const checks = lead.checks + 1;
  const retryInMs = retryDelay(ctx.policy, checks, ctx.random);
  const detail = problems.map(({ field, id, problem }) => ({ field, id, problem }));
  await ctx.writes.save(lead, {
    ...patch,
    error: SITE_MISCONFIGURED,
    error_detail: JSON.stringify(detail),
    checks,
    next_attempt_at: ctx.clock.now() + retryInMs,
  });
  ctx.logger.warn('lead.site_misconfigured', { ...logOf(lead), fields: problems.map((p) => p.field), retry_in_ms: retryInMs });
}

/** The ids a lead's last write went with: a create's as claimed (`sent_ids`), else the site's now. */
function idsSent(lead: LeadRecord, site: SiteConfig): SiteIds {
  if (lead.target_lead_id === undefined && lead.sent_ids !== undefined) {
    try {
      const sent = JSON.parse(lead.sent_ids) as Partial<SiteIds>;
      if (SITE_ID_KINDS.every((k) => typeof sent[k] === 'string')) return sent as SiteIds;
    } catch {
      // read as the site's ids below
    }
  }
  return siteIds(lead, site);
}

/** The ids a 400's Zod issues name (`path[0]`), with their message: `{ details: { issues } }` or one level deeper, as the spec's example nests it. */
export function refusedInDetails(details: unknown): { kind: SiteIdKind; message: string }[] {
  const at = (v: unknown, key: string) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
  const inner = at(details, 'details');
  const issues = at(inner, 'issues') ?? at(at(inner, 'details'), 'issues');
  if (!Array.isArray(issues)) return [];
  return issues.flatMap((issue) => {
    const path = at(issue, 'path');
    const kind = Array.isArray(path) ? path[0] : undefined;
    const message = at(issue, 'message');
    return (SITE_ID_KINDS as readonly unknown[]).includes(kind)
      ? [{ kind: kind as SiteIdKind, message: typeof message === 'string' ? message.slice(0, 200) : 'refused' }]
      : [];
  });
}

/**
 * A write refused: the ids it names are told to the site check, and the lead waits (true) while its
 * site is misconfigured on an id it was sent with; false when nothing holds it (the caller goes on
 * as before: a dead letter, a retry-write).
 */
export async function heldAfterRefusal(
  ctx: StepContext,
  lead: LeadRecord,
  site: SiteConfig,
  refusals: { kind: SiteIdKind; message: string }[],
  patch: LeadPatch,
): Promise<boolean> {
  if (!ctx.gate) return false;
  const ids = idsSent(lead, site);
  for (const { kind, message } of refusals) ctx.gate.refused(site.slug, kind, ids[kind], message);
  const problems = ctx.gate.holding(site.slug, ids);
  if (problems.length === 0) return false;
  await waitForFix(ctx, lead, problems, patch);
  return true;
}

/** A failed write job's errors, read for an id ResMan refused. */
export const refusedInErrors = (errors: readonly string[]): { kind: SiteIdKind; message: string }[] =>
  errors.filter((e) => UNKNOWN_LEAD_SOURCE.test(e)).map((e) => ({ kind: 'lead_source_id', message: `ResMan: ${e.slice(0, 200)}` }));

/** Brings the site's waiting leads forward (up to 1000; any others come on their own backoff): its problems went away. */
export async function releaseWaiting(store: LeadStore, slug: string, now: number): Promise<number> {
  const waiting = (await store.list({ status: 'queued', site: slug, limit: 1000 })).filter((lead) => lead.error === SITE_MISCONFIGURED);
  let released = 0;
  for (const lead of waiting) {
    if (lead.next_attempt_at <= now) continue;
    if (await store.update(lead.id, { next_attempt_at: now }, { ifStatus: 'queued', ifAttempts: lead.attempts })) released++;
  }
  return released;
}
