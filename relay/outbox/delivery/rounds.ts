/**
 * Confirmation rounds: one `GET /v1/leads/` of a property (newest first) confirms every sent lead it
 * shows, instead of one `GET /v1/admin/write-status/{job_id}` per lead. Propexo documents no batch
 * write-status, so under a burst that halves the requests a lead costs: a create, and a share of a
 * listing.
 *
 * A record is taken as a lead's only on exact evidence, else the lead is left to write-status:
 * - the same folded names and the same email or phone (the in-doubt search's rule), with a full
 *   creation time no earlier than the create was answered less `clockSkewMs` (a bare date or no
 *   date is no evidence here);
 * - exactly one such record for the lead, on pages that cover everything created since then;
 * - no other lead of the relay could own that record: not a lead already confirmed with it, not
 *   another sent lead, not a queued lead whose POST may have landed. That store read comes after
 *   the listing, so any lead whose POST made a record in it is already marked in doubt, sent or
 *   confirmed.
 *
 * A lead the rounds miss `listingRounds` times (its write is slow, or failed: a FAILURE never shows
 * in a listing) goes back to its own write-status checks, which retry a failed write.
 *
 * While a sent lead waits for rounds its `updated_at` stays the time its create was answered (the
 * rounds write only `checks` and `next_attempt_at`): that is the "no earlier than" above. Anything
 * else that touches the lead only moves it later, which can only make a round miss it.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';
import { LIST_PAGE_SIZE, type FoundLead, type LeadPageResult, type PropexoClient, type PropertyQuery, type UpstreamFailure } from '../../propexo/client.js';
import type { LeadRecord, LeadStore } from '../store/types.js';
import { fold } from './fingerprint.js';
import { backoff, type DeliveryPolicy } from './policy.js';

export interface RoundDeps {
  store: LeadStore;
  client: PropexoClient;
  sites: ReadonlyMap<string, SiteConfig>;
  clock: { now(): number };
  logger: Logger;
  policy: DeliveryPolicy;
  random: () => number;
  /** One request out of the shared upstream budget (the steps' own). */
  upstream(call: () => Promise<LeadPageResult>): Promise<LeadPageResult | null>;
  /** Writes a lead confirmed, only while it is still sent; false when it no longer was. */
  confirm(lead: LeadRecord, createdRecordId: string): Promise<boolean>;
  /** Leads a request in flight is working on: never a candidate. */
  busy(id: string): boolean;
}

interface PropertyState {
  /** The last look at the store for a round. */
  at: number;
  /** It found enough leads and listed: sent leads wait for the next round. */
  active: boolean;
  /** Leads were made to wait for a round at the backlog's pace: once no creates wait, it comes at once. */
  backlog: boolean;
  /** No round before this (after Propexo refused the listing). */
  restUntil: number;
}

interface Listing {
  /** The records read, by folded first and last name. */
  byName: Map<string, FoundLead[]>;
  count: number;
  /** Every record created at or after this time was read (when Propexo sorts as asked). */
  coveredFrom: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HOUR = 3_600_000;

/** Propexo's `created_at` as epoch ms, or NaN when it gives none, a bare date, or an unreadable one. */
export const exactTime = (createdAt: string | null): number => (createdAt && !DATE_ONLY.test(createdAt) ? Date.parse(createdAt) : Number.NaN);

const digits10 = (phone: string | null): string | null => {
  const d = (phone ?? '').replace(/\D/g, '');
  return d.length >= 10 ? d.slice(-10) : null;
};

const nameKey = (first: string | null, last: string | null) => `${fold(first ?? '')}\n${fold(last ?? '')}`;

/** The same email (folded) or the same 10-digit phone. */
const sameContact = (lead: LeadRecord, r: FoundLead): boolean =>
  (!!lead.submission.email_1 && !!r.email_1 && fold(r.email_1) === fold(lead.submission.email_1)) ||
  (!!lead.submission.phone_1 && digits10(r.phone_1) === lead.submission.phone_1);

/** Same folded names, and the same email (folded) or the same 10-digit phone. */
export function samePerson(lead: LeadRecord, r: FoundLead): boolean {
  return nameKey(r.first_name, r.last_name) === nameKey(lead.submission.first_name, lead.submission.last_name) && sameContact(lead, r);
}

function byNameOf<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

const propertyKey = (site: SiteConfig) => `${site.integration_id}\n${site.property_id}`;

export function createRounds(deps: RoundDeps) {
  const { store, client, sites, clock, logger, policy } = deps;
  const states = new Map<string, PropertyState>();

  /**
   * A sent lead still waiting for rounds: its first write, not retried, not yet missed too often,
   * and not woken on purpose. A lead is due after its last change (next_attempt_at > updated_at)
   * except when something woke it: a failure webhook or an operator's retry set both to now. That
   * one gets its own write-status at once, which sees a FAILURE and retries the write.
   */
  const waiting = (lead: LeadRecord) =>
    lead.status === 'sent' &&
    lead.job_id !== undefined &&
    lead.write_retries === 0 &&
    lead.checks < policy.listingRounds &&
    lead.next_attempt_at > lead.updated_at;

  /** The configured sites, by the property they deliver to. */
  function properties(): Map<string, { query: PropertyQuery; slugs: string[] }> {
    const out = new Map<string, { query: PropertyQuery; slugs: string[] }>();
    for (const [slug, site] of sites) {
      const key = propertyKey(site);
      const entry = out.get(key) ?? { query: { integration_id: site.integration_id, property_id: site.property_id }, slugs: [] };
      entry.slugs.push(slug);
      out.set(key, entry);
    }
    return out;
  }

  /**
   * Pages newest first until every record created since `since` is read, or listingMaxPages. A
   * failed first page is the failure; a failed later page ends the listing with what it covered.
   */
  async function read(query: PropertyQuery, since: number): Promise<Listing | UpstreamFailure | null> {
    const records = new Map<string, FoundLead>();
    let coveredFrom = Number.POSITIVE_INFINITY;
    let sorted = true;
    let previous = Number.POSITIVE_INFINITY;
    let offset = 0;
    const listing = (covered: number): Listing => ({
      byName: byNameOf(records.values(), (r) => nameKey(r.first_name, r.last_name)),
      count: records.size,
      // Not in the order asked for: only a listing read to its end covers anything.
      coveredFrom: sorted || covered === Number.NEGATIVE_INFINITY ? covered : Number.POSITIVE_INFINITY,
    });
    for (let page = 0; page < Math.max(1, policy.listingMaxPages); page++) {
      const result: LeadPageResult | null = await deps.upstream(() => client.listLeads(query, { offset, limit: LIST_PAGE_SIZE }));
      if (!result || !result.ok) return page === 0 ? result : listing(coveredFrom);
      let oldest = Number.POSITIVE_INFINITY;
      for (const r of result.leads) {
        // New records arrive on top and push older ones down a page: those show twice, order holds.
        if (records.has(r.id)) continue;
        records.set(r.id, r);
        const t = exactTime(r.created_at);
        if (Number.isNaN(t)) continue;
        if (t > previous) sorted = false;
        previous = t;
        oldest = Math.min(oldest, t);
      }
      if (!result.hasMore || result.leads.length === 0) return listing(Number.NEGATIVE_INFINITY);
      offset += result.leads.length;
      if (oldest !== Number.POSITIVE_INFINITY) coveredFrom = oldest + 1;
      if (sorted && coveredFrom <= since) break;
    }
    return listing(coveredFrom);
  }

  /** Time between a property's rounds: long while creates are waiting, short once they are not. */
  const gapOf = (backlog: boolean) => (backlog ? policy.listingEveryMs : policy.confirmFirstDelayMs);

  /** One round for one property: returns how many leads it confirmed or moved on. */
  async function round(key: string, query: PropertyQuery, slugs: string[], backlog: boolean): Promise<number> {
    const now = clock.now();
    const state: PropertyState = { at: now, active: false, backlog, restUntil: 0 };
    states.set(key, state);
    const nextAt = now + gapOf(backlog);
    // Sent at least confirmFirstDelayMs ago: a write needs a moment before it can show.
    const sentBefore = (await store.openCreates(slugs)).filter((l) => l.status === 'sent');
    const candidates = sentBefore.filter((l) => waiting(l) && !deps.busy(l.id) && l.updated_at <= now - policy.confirmFirstDelayMs);
    // A waiting lead in a task's hands may be parked by it for the round this one replaces, at the
    // backlog's pace: the next round then comes as soon as no creates wait, not a whole gap later.
    state.backlog ||= sentBefore.some((l) => waiting(l) && deps.busy(l.id));
    // Too few for a round: they are checked one by one (those parked for a round, from now), and
    // the store is looked at again soon.
    if (candidates.length < Math.max(1, policy.listingMinLeads)) {
      let released = 0;
      for (const lead of candidates) {
        if (lead.next_attempt_at > now && (await store.update(lead.id, { next_attempt_at: now }, { ifStatus: 'sent' }))) released += 1;
      }
      return released;
    }
    state.active = true;

    const sinceOf = (l: LeadRecord) => l.updated_at - policy.clockSkewMs;
    const listing = await read(query, Math.min(...candidates.map(sinceOf)));
    let failed: string | undefined;
    if (!listing || 'ok' in listing) {
      failed = listing ? `${listing.kind}:${listing.reason}` : 'called_off';
      if (listing?.kind === 'rejected') {
        // Propexo refuses the listing as asked: rounds for this property rest, leads go one by one.
        state.restUntil = now + HOUR;
        state.active = false;
        logger.warn('propexo.listing_refused', { status: listing.status, reason: listing.reason, details: listing.details, retry_in_ms: HOUR });
      }
    }

    // Who else could own a record: read after the listing (see the top of this file).
    const listed = listing && !('ok' in listing) ? [...listing.byName.values()].flat().map((r) => r.id) : [];
    const [open, held] = await Promise.all([store.openCreates(slugs), store.heldRecordIds(listed)]);
    const owned = new Set<string>(held);
    const claimants = byNameOf(open, (l) => nameKey(l.submission.first_name, l.submission.last_name));
    const fresh = new Map(open.filter((l) => l.status === 'sent').map((l) => [l.id, l]));

    let confirmedCount = 0;
    let missed = 0;
    for (const old of candidates) {
      const lead = fresh.get(old.id);
      // Changed meanwhile (confirmed by a webhook's check, re-sent, retried): not this round's.
      if (!lead || lead.job_id !== old.job_id || lead.updated_at !== old.updated_at || !waiting(lead) || deps.busy(lead.id)) continue;
      const record = listing && !('ok' in listing) ? ownRecord(lead, listing, claimants, owned) : null;
      if (record && (await deps.confirm(lead, record.id))) {
        owned.add(record.id);
        confirmedCount += 1;
        continue;
      }
      // A miss: the next round, or after enough misses its own write-status, with growing gaps.
      const checks = lead.checks + 1;
      const wait = Math.max(nextAt - now, backoff(checks, policy.confirmFirstDelayMs, policy.confirmMaxDelayMs, deps.random));
      const next_attempt_at = Math.max(lead.next_attempt_at, now + wait);
      if (await store.update(lead.id, { checks, next_attempt_at }, { ifStatus: 'sent' })) missed += 1;
    }
    logger.info('leads.round', {
      property_id: query.property_id,
      candidates: candidates.length,
      records: listing && !('ok' in listing) ? listing.count : 0,
      confirmed: confirmedCount,
      missed,
      ...(failed ? { failed } : {}),
    });
    return confirmedCount + missed;
  }

  /** The one record of the listing that is this lead's, or null when the listing does not say for sure. */
  function ownRecord(lead: LeadRecord, listing: Listing, claimants: Map<string, LeadRecord[]>, owned: Set<string>): FoundLead | null {
    const since = lead.updated_at - policy.clockSkewMs;
    if (since < listing.coveredFrom) return null;
    const name = nameKey(lead.submission.first_name, lead.submission.last_name);
    const people = (listing.byName.get(name) ?? []).filter((r) => sameContact(lead, r));
    // An undated record of this prospect could be this lead's: not for a round to decide.
    if (people.some((r) => Number.isNaN(exactTime(r.created_at)))) return null;
    const matches = people.filter((r) => exactTime(r.created_at) >= since);
    if (matches.length !== 1) return null;
    const record = matches[0]!;
    if (owned.has(record.id)) return null;
    // Another lead whose create could have made this record: a sent lead (since it was accepted) or
    // a queued one whose POST may have landed (since that POST).
    const t = exactTime(record.created_at);
    const rival = (claimants.get(name) ?? []).some(
      (c) => c.id !== lead.id && sameContact(c, record) && t >= (c.status === 'queued' ? c.in_doubt_since! : c.created_at) - policy.clockSkewMs,
    );
    return rival ? null : record;
  }

  return {
    /** Whether a sent lead is one the rounds may confirm (else it is checked on its own). */
    waiting,

    /**
     * Runs the rounds that are due. With creates waiting (`backlog`), every property's round comes
     * on its own schedule, at most every listingEveryMs; otherwise a round comes for the due leads
     * in `due`, and right after a backlog for the leads it made wait. Returns how many leads the
     * rounds changed.
     */
    async run(due: LeadRecord[], backlog: boolean): Promise<number> {
      if (policy.listingMinLeads <= 0) return 0;
      const now = clock.now();
      const wanted = new Set<string>();
      for (const lead of due) {
        const site = sites.get(lead.site);
        if (site && waiting(lead)) wanted.add(propertyKey(site));
      }
      let changed = 0;
      for (const [key, { query, slugs }] of properties()) {
        const state = states.get(key);
        if (state && (now < state.restUntil || now < state.at + (state.active ? gapOf(backlog) : policy.confirmFirstDelayMs))) continue;
        if (!backlog && !wanted.has(key) && !(state?.active && state.backlog)) continue;
        changed += await round(key, query, slugs, backlog);
      }
      return changed;
    },

    /** Whether a round is due while creates are waiting (cheap: no store, no request). */
    due(): boolean {
      if (policy.listingMinLeads <= 0) return false;
      const now = clock.now();
      for (const key of properties().keys()) {
        const state = states.get(key);
        if (!state) return true;
        if (now >= state.restUntil && now >= state.at + (state.active ? gapOf(true) : policy.confirmFirstDelayMs)) return true;
      }
      return false;
    },

    /** When a due sent lead should wait for its property's next round: that time, else null. */
    waitUntil(lead: LeadRecord, backlog: boolean): number | null {
      const site = sites.get(lead.site);
      if (!site || !waiting(lead)) return null;
      const state = states.get(propertyKey(site));
      if (!state?.active) return null;
      const next = state.at + gapOf(backlog);
      if (next <= clock.now()) return null;
      state.backlog ||= backlog;
      return next;
    },

  };
}
