/**
 * An inquiry written onto the prospect's existing lead (`target_lead_id`, found by returning.ts):
 * first a lead event carrying its notes and attribution (`POST /v1/events/leads/resman/`), then
 * the fields the prospect newly gave (`PUT /v1/leads/resman/{id}`), each a write job followed like
 * a create's (confirm.ts). As with creates, a write is marked in doubt before it leaves; an event in
 * doubt is looked for in the write logs before it is ever sent again. An update is sent again
 * freely: the same fields twice leave the lead as once.
 */
import { FIELD_NAMES, type FieldName } from '../../../contract/fields.js';
import type { Submission } from '../../../contract/submission.js';
import type { SiteConfig } from '../../config/sites.js';
import type { LeadEventBody, LeadUpdateBody, WriteResult } from '../../propexo/client.js';
import type { LeadRecord, WriteKind } from '../store/types.js';
import type { StepContext } from './context.js';
import { logOf } from './lead-writes.js';
import { retryDelay } from './policy.js';
import { readWriteLogs, type OwnWrite } from './search.js';
import { relayLine } from '../relay-lines.js';
import { postFailed } from './post-failed.js';
import { siteIds } from './site-ids.js';

/** ResMan's event type for an inquiry through the website form. */
export const INQUIRY_EVENT = 'Contact';

/**
 * Who the guest card is: never changed by an update (a spouse sharing an address must not rename
 * it). A different contact given is in the event's notes for the agent to read.
 */
const IDENTITY: ReadonlySet<FieldName> = new Set(['first_name', 'last_name', 'email_1', 'phone_1', 'phone_1_type', 'notes']);
const UPDATABLE = FIELD_NAMES.filter((name) => !IDENTITY.has(name));

export async function sendOntoLead(ctx: StepContext, lead: LeadRecord, site: SiteConfig): Promise<void> {
  const kind: WriteKind = lead.write_kind ?? 'event';
  if (kind === 'event' && lead.in_doubt_since !== undefined && !(await mayResendEvent(ctx, lead, site, lead.in_doubt_since))) return;
  const target = lead.target_lead_id!;
  let write: () => Promise<WriteResult>;
  if (kind === 'event') {
    const body = eventBody(lead, site);
    write = () => ctx.client.createLeadEvent(body);
  } else {
    const body = await updateBody(ctx, lead);
    if (body === null) return void (await ctx.writes.confirmed(lead, target, 'event'));
    write = () => ctx.client.updateLead(target, body);
  }
  let claimed = null as LeadRecord | null;
  const result = await ctx.line.request(write, async () => {
    const now = ctx.clock.now();
    claimed = await ctx.store.update(
      lead.id,
      { in_doubt_since: now, written_at: now, attempts: lead.attempts + 1, updated_at: now, write_kind: kind },
      { ifStatus: 'queued', ifAttempts: lead.attempts },
    );
    return claimed !== null;
  });
  if (!claimed || !result) return;
  if (!result.ok) return postFailed(ctx, claimed, site, result);
  await ctx.writes.following(claimed, result.jobId, ctx.clock.now() + ctx.policy.confirmFirstDelayMs);
  ctx.logger.info(`lead.${kind}_sent`, { ...logOf(lead), target_lead_id: target, job_id: result.jobId });
}

/**
 * A write onto the lead finished (write-status SUCCESS): after the event, the update when the
 * prospect gave anything new; after the update, the lead is confirmed, its record the existing lead.
 * A tour's appointment is confirmed with its own record, the appointment (`createdRecordId`, when
 * the finished write says it): the tour calendar knows the tour in Propexo's listing by it.
 */
export async function writtenOntoLead(
  ctx: StepContext,
  lead: LeadRecord,
  partial?: string[],
  createdRecordId?: string | null,
): Promise<void> {
  if (lead.write_kind === 'appointment') {
    await ctx.writes.confirmed(lead, createdRecordId ?? null, 'appointment', partial, true);
    return;
  }
  const target = lead.target_lead_id!;
  if (lead.write_kind !== 'update' && (await updateBody(ctx, lead)) !== null) {
    await ctx.writes.save(lead, {
      status: 'queued',
      write_kind: 'update',
      job_id: undefined,
      checks: 0,
      write_retries: 0,
      error: partial ? 'partial_success' : undefined,
      error_detail: partial ? JSON.stringify(partial) : undefined,
      next_attempt_at: ctx.clock.now(),
    });
    ctx.logger.info('lead.event_written', { ...logOf(lead), target_lead_id: target });
    return;
  }
  await ctx.writes.confirmed(lead, target, lead.write_kind === 'update' ? 'event_and_update' : 'event', partial, true);
}

/** The event's time: when the prospect asked. One per lead, so it also finds the event in the write logs. */
const eventTime = (lead: LeadRecord) => new Date(lead.created_at).toISOString();

function eventBody(lead: LeadRecord, site: SiteConfig): LeadEventBody {
  const s = lead.submission;
  const contact = [`${s.first_name} ${s.last_name}`, s.email_1, s.phone_1].filter(Boolean).join(', ');
  const notes = [s.notes, relayLine(`Asked again through ${site.name}'s website as: ${contact}`)].filter(Boolean).join('\n\n');
  return {
    integration_id: site.integration_id,
    lead_id: lead.target_lead_id!,
    event_name: INQUIRY_EVENT,
    event_datetime: eventTime(lead),
    lead_source_id: siteIds(lead, site).lead_source_id,
    ...(s.unit_id === undefined ? {} : { unit_id: s.unit_id }),
    notes: notes.slice(0, 4000),
  };
}

/**
 * The fields to update: those the prospect gave with a value, other than who they are, and, for a
 * repeat of an inquiry the relay still holds, only those that differ from it. Null when none.
 * Never a blank: a field left out of the form is left as ResMan has it.
 */
async function updateBody(ctx: StepContext, lead: LeadRecord): Promise<LeadUpdateBody | null> {
  const first = lead.follows === undefined ? null : await ctx.store.get(lead.follows);
  // The first inquiry's fields are on the card only when this repeat is written onto that same card.
  const sameCard = first !== null && (first.target_lead_id ?? first.created_record_id) === lead.target_lead_id;
  const before: Partial<Submission> = sameCard ? first.submission : {};
  const body: Record<string, unknown> = {};
  for (const name of UPDATABLE) {
    const value = lead.submission[name];
    if (value !== undefined && value !== null && value !== '' && value !== before[name]) body[name] = value;
  }
  return Object.keys(body).length === 0 ? null : (body as LeadUpdateBody);
}

/**
 * An event whose POST may have landed: its job is looked for in the event write logs (the target
 * lead, this lead's event time). Found, the lead follows that job; sent again (true) only when a
 * complete log lacks it past the grace period, or when the logs cannot be read past it (a second
 * event on the guest card is the worst that can come of it, never a second guest card).
 */
async function mayResendEvent(ctx: StepContext, lead: LeadRecord, site: SiteConfig, inDoubtSince: number): Promise<boolean> {
  const found = await findEventInWriteLogs(ctx, lead, site, inDoubtSince);
  const checks = lead.checks + 1;
  const graceOver = ctx.clock.now() - inDoubtSince >= ctx.policy.inDoubtGraceMs;
  if (found !== null && typeof found === 'object' && 'ok' in found && found.kind !== 'rejected') {
    await ctx.writes.transient(lead, found, retryDelay(ctx.policy, checks, ctx.random), { checks });
    return false;
  }
  if (found !== null && typeof found === 'object' && 'job_id' in found) {
    await ctx.writes.following(lead, found.job_id, ctx.clock.now(), { written_at: inDoubtSince || lead.created_at });
    ctx.logger.info('lead.found_in_write_logs', { ...logOf(lead), job_id: found.job_id, write_status: found.status, write_kind: 'event' });
    return false;
  }
  if (graceOver && found !== 'incomplete') {
    ctx.logger.warn('lead.resending_event', {
      ...logOf(lead),
      in_doubt_ms: ctx.clock.now() - inDoubtSince,
      write_logs: found === null ? 'complete' : 'unreadable',
    });
    return true;
  }
  await ctx.writes.save(lead, { checks, next_attempt_at: ctx.clock.now() + retryDelay(ctx.policy, checks, ctx.random) });
  return false;
}

async function findEventInWriteLogs(ctx: StepContext, lead: LeadRecord, site: SiteConfig, inDoubtSince: number) {
  const read = await readWriteLogs(ctx, site, inDoubtSince - ctx.policy.clockSkewMs, 'events');
  if (!('logs' in read)) return read;
  const time = eventTime(lead);
  for (const log of read.logs) {
    const p = log.parameters as Partial<LeadEventBody> | null;
    if (p?.lead_id !== lead.target_lead_id || p?.event_datetime !== time) continue;
    const holder = await ctx.store.findByJobId(log.job_id);
    if (holder === null || holder.id === lead.id) return { job_id: log.job_id, status: log.status } satisfies OwnWrite;
  }
  return read.complete ? null : 'incomplete';
}
