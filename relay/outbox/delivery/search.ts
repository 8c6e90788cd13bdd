/**
 * The in-doubt search: after a POST that may have landed, the prospect is looked for in Propexo
 * (by email, then by phone, as Propexo filters) before the lead is ever sent again.
 */
import type { SiteConfig } from '../../config/sites.js';
import { WRITE_LOGS_PAGE, type FoundLead, type UpstreamFailure, type WriteLogEntry, type WriteLogQuery } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import type { StepContext } from './context.js';
import { createdSince, earliestCreation, sameNames, samePerson } from './matching.js';

/** The lead's record; 'ambiguous' for an operator; null when Propexo has none; or the failure. */
export type SearchResult = FoundLead | 'ambiguous' | null | UpstreamFailure;

/**
 * A record with the lead's names, created no earlier than its POST less the clock skew (a bare
 * date counts as its whole day). Propexo filtered by the contact, so the names are what is checked
 * here. A candidate without a usable creation time could be an older lead of the same person:
 * that is 'ambiguous', never taken as this lead.
 */
export async function searchInPropexo(
  ctx: Pick<StepContext, 'client' | 'line' | 'policy'>,
  lead: LeadRecord,
  site: SiteConfig,
): Promise<SearchResult> {
  const { email_1, phone_1 } = lead.submission;
  const since = earliestCreation(lead.in_doubt_since || lead.created_at, ctx.policy.clockSkewMs);
  let undated = false;
  for (const contact of [email_1 && { email_1 }, phone_1 && { phone_1 }]) {
    if (!contact) continue;
    const result = (await ctx.line.request(() =>
      ctx.client.findLeads({ integration_id: site.integration_id, property_id: site.property_id, ...contact }),
    ))!; // never called off: no `ready`
    if (!result.ok) return result;
    const candidates = result.leads.filter((record) => sameNames(lead, record));
    const match = candidates.find((record) => createdSince(record.created_at, since, 'whole_day') === 'yes');
    if (match) return match;
    undated ||= candidates.some((record) => createdSince(record.created_at, since, 'whole_day') === 'unknown');
  }
  return undated ? 'ambiguous' : null;
}

/** A write job of Propexo's log that is this lead's create. */
export interface OwnWrite {
  job_id: string;
  status: 'SUCCESS' | 'FAILURE';
}

/**
 * The in-doubt POST looked for in Propexo's write logs (`GET /v1/admin/logs/writes/`), which do not
 * wait for a sync: a lead job of the site's integration whose parameters are this lead (the same
 * property, names, and email or phone), finished no earlier than the POST less the clock skew, and
 * held by no other lead of the relay. The earliest such job if several; null when there is none in
 * a complete log; 'incomplete' when the log had more pages than were read. A job still running is
 * not in the log yet: the caller waits out its grace period before it counts an absence.
 */
export async function findInWriteLogs(
  ctx: Pick<StepContext, 'client' | 'line' | 'policy' | 'store' | 'clock'>,
  lead: LeadRecord,
  site: SiteConfig,
  inDoubtSince: number,
): Promise<OwnWrite | null | 'incomplete' | UpstreamFailure> {
  const since = inDoubtSince - ctx.policy.clockSkewMs;
  const read = await readWriteLogs(ctx, site, since, 'leads');
  if (!('logs' in read)) return read;
  const { logs, complete } = read;
  const mine = logs
    .filter((log) => Date.parse(log.created_at) >= since && isThisLead(log.parameters, lead, site))
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  for (const log of mine) {
    const holder = await ctx.store.findByJobId(log.job_id);
    if (holder === null || holder.id === lead.id) return { job_id: log.job_id, status: log.status };
  }
  return complete ? null : 'incomplete';
}

/**
 * A job the relay holds, looked for by its id in the site's write logs since `since` (less the
 * clock skew): its entry; null when a complete log does not have it; 'incomplete' when the log had
 * more pages than were read. For a write-status that no longer knows the job (a 400): the log does
 * not wait for a sync, so it can tell a done write from one Propexo never had.
 */
export async function findJobInWriteLogs(
  ctx: Pick<StepContext, 'client' | 'line' | 'policy' | 'clock'>,
  jobId: string,
  site: SiteConfig,
  since: number,
  category: WriteLogQuery['category'],
): Promise<OwnWrite | null | 'incomplete' | UpstreamFailure> {
  const read = await readWriteLogs(ctx, site, since - ctx.policy.clockSkewMs, category);
  if (!('logs' in read)) return read;
  const entry = read.logs.find((log) => log.job_id === jobId);
  if (entry) return { job_id: entry.job_id, status: entry.status };
  return read.complete ? null : 'incomplete';
}

/** The site's write logs of one category over a range that covers `since`, up to MAX_LOG_PAGES pages (complete: all were read). */
export async function readWriteLogs(
  ctx: Pick<StepContext, 'client' | 'line' | 'clock'>,
  site: SiteConfig,
  since: number,
  category: WriteLogQuery['category'],
): Promise<{ logs: WriteLogEntry[]; complete: boolean } | UpstreamFailure> {
  const span = ctx.clock.now() - since;
  const time_range = span <= HOUR ? 'hour' : span <= 24 * HOUR ? 'day' : span <= 7 * 24 * HOUR ? 'week' : 'month';
  const query: WriteLogQuery = { integration_id: site.integration_id, category, time_range };
  const logs: WriteLogEntry[] = [];
  let complete = false;
  // Each page is a request of its own, and so takes its own share of the upstream budget.
  for (let page = 0; page < MAX_LOG_PAGES && !complete; page++) {
    const result = (await ctx.line.request(() => ctx.client.writeLogs(query, page * WRITE_LOGS_PAGE)))!;
    if (!result.ok) return result;
    logs.push(...result.logs);
    complete = !result.more;
  }
  return { logs, complete };
}

const HOUR = 3_600_000;
/** Pages of write logs read per look at most: past that, an absence proves nothing ('incomplete'). */
const MAX_LOG_PAGES = 10;

/** Whether a write's parameters are this lead's create: the site's property, the lead's names, and its email or phone. */
function isThisLead(parameters: unknown, lead: LeadRecord, site: SiteConfig): boolean {
  if (typeof parameters !== 'object' || parameters === null) return false;
  const p = parameters as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  if (str(p.property_id) !== site.property_id) return false;
  const record = {
    id: '',
    first_name: str(p.first_name),
    last_name: str(p.last_name),
    email_1: str(p.email_1),
    phone_1: str(p.phone_1),
    created_at: null,
  };
  return samePerson(lead, record);
}
