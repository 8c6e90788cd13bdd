/**
 * Confirmation rounds: one `GET /v1/leads/` of a property (newest first) confirms every sent lead it
 * shows, instead of one `GET /v1/admin/write-status/{job_id}` per lead. Propexo documents no batch
 * write-status, so under a burst that halves the requests a lead costs: a create, and a share of a
 * listing.
 *
 * A record is taken as a lead's only on exact evidence, else the lead is left to write-status:
 * - the same prospect (matching.ts), with a full creation time no earlier than the create was
 *   answered less `clockSkewMs` (a bare date or no date is no evidence here);
 * - exactly one such record for the lead, on pages that cover everything created since then
 *   (listing.ts);
 * - no other lead of the relay could own that record (ownership.ts), as the store says after the
 *   listing was read.
 *
 * A lead the rounds miss `listingRounds` times (its write is slow, or failed: a FAILURE never shows
 * in a listing) goes back to its own write-status checks, which retry a failed write.
 *
 * Without Propexo's read-back (docs/propexo.md, known gap 10) a listing shows no recent lead: after
 * listings in a row that showed none of their leads, a property's rounds rest for an hour and more
 * (schedule.ts `listed`) and its sent leads go straight to write-status, so a lead costs at most
 * its share of those few listings on top of its own checks.
 *
 * While a sent lead waits for rounds its `updated_at` stays the time its create was answered (the
 * rounds write only `checks` and `next_attempt_at`): that is the "no earlier than" above. Anything
 * else that touches the lead only moves it later, which can only make a round miss it.
 */
import type { SiteConfig } from '../../config/sites.js';
import type { Logger } from '../../lib/log.js';
import { LIST_PAGE_SIZE, type FoundLead, type LeadPageResult, type PropexoClient, type PropertyQuery } from '../../propexo/client.js';
import type { LeadRecord, LeadStore } from '../store/types.js';
import { Listing, readListing } from './listing.js';
import { earliestCreation } from './matching.js';
import { Claims } from './ownership.js';
import { checkDelay, type DeliveryPolicy } from './policy.js';
import { RoundSchedule, type PropertyRound } from './schedule.js';

export interface RoundDeps {
  store: LeadStore;
  client: PropexoClient;
  sites: ReadonlyMap<string, SiteConfig>;
  clock: { now(): number };
  logger: Logger;
  policy: DeliveryPolicy;
  random: () => number;
  /** One request out of the shared upstream budget (null: called off). */
  upstream(call: () => Promise<LeadPageResult>): Promise<LeadPageResult | null>;
  /** Writes a lead confirmed, only while it is still sent; false when it no longer was. */
  confirm(lead: LeadRecord, createdRecordId: string): Promise<boolean>;
  /** Leads a task is working on: never a candidate. */
  busy(id: string): boolean;
}

/** The sites that deliver to one Propexo property. */
interface Property {
  key: string;
  query: PropertyQuery;
  slugs: string[];
}

const HOUR = 3_600_000;
const propertyKey = (site: SiteConfig) => `${site.integration_id}\n${site.property_id}`;

/** Leads whose write could make a record: not those written onto an existing lead. */
const creatingLeads = (leads: LeadRecord[]) => leads.filter((lead) => lead.target_lead_id === undefined);

/**
 * A sent lead still waiting for rounds: its first write, not retried, not yet missed too often,
 * and not woken on purpose. A lead is due after its last change (next_attempt_at > updated_at)
 * except when something woke it: a failure webhook or an operator's retry set both to now. That
 * one gets its own write-status at once, which sees a FAILURE and retries the write.
 */
export function waitsForRound(lead: LeadRecord, policy: Pick<DeliveryPolicy, 'listingRounds'>): boolean {
  return (
    lead.status === 'sent' &&
    lead.job_id !== undefined &&
    // A write onto an existing lead makes no lead a listing could show: write-status alone tells.
    lead.target_lead_id === undefined &&
    lead.write_retries === 0 &&
    lead.checks < policy.listingRounds &&
    lead.next_attempt_at > lead.updated_at
  );
}

export class ConfirmationRounds {
  private readonly schedule: RoundSchedule;

  constructor(private readonly deps: RoundDeps) {
    this.schedule = new RoundSchedule(deps.policy);
  }

  /**
   * Runs the rounds that are due. With creates waiting (`backlog`), every property's round comes
   * on its own schedule; otherwise a round comes for the due leads in `due`, and right after a
   * backlog for the leads it made wait. Returns how many leads the rounds changed.
   */
  async run(due: LeadRecord[], backlog: boolean): Promise<number> {
    if (this.deps.policy.listingMinLeads <= 0) return 0;
    const now = this.deps.clock.now();
    const wanted = new Set<string>();
    for (const lead of due) {
      const site = this.deps.sites.get(lead.site);
      if (site && waitsForRound(lead, this.deps.policy)) wanted.add(propertyKey(site));
    }
    let changed = 0;
    for (const property of this.properties()) {
      if (now < this.schedule.nextAt(property.key, backlog)) continue;
      if (!backlog && !wanted.has(property.key) && !this.schedule.owesBacklog(property.key)) continue;
      changed += await this.round(property, backlog);
    }
    return changed;
  }

  /** Whether a round is due while creates are waiting (cheap: no store, no request). */
  due(): boolean {
    if (this.deps.policy.listingMinLeads <= 0) return false;
    const now = this.deps.clock.now();
    return this.properties().some((property) => now >= this.schedule.nextAt(property.key, true));
  }

  /** When a due sent lead should wait for its property's next round: that time, else null. */
  waitUntil(lead: LeadRecord, backlog: boolean): number | null {
    const site = this.deps.sites.get(lead.site);
    if (!site || !waitsForRound(lead, this.deps.policy)) return null;
    return this.schedule.waitUntil(propertyKey(site), this.deps.clock.now(), backlog);
  }

  /** The configured sites, by the property they deliver to. */
  private properties(): Property[] {
    const out = new Map<string, Property>();
    for (const [slug, site] of this.deps.sites) {
      const key = propertyKey(site);
      const property = out.get(key) ?? { key, query: { integration_id: site.integration_id, property_id: site.property_id }, slugs: [] };
      property.slugs.push(slug);
      out.set(key, property);
    }
    return [...out.values()];
  }

  /** One round for one property: returns how many leads it confirmed or moved on. */
  private async round(property: Property, backlog: boolean): Promise<number> {
    const { policy, logger } = this.deps;
    const now = this.deps.clock.now();
    const round = this.schedule.start(property.key, now, backlog);
    const candidates = await this.candidates(property, round, now);
    // Too few for a round: they are checked one by one, and the store is looked at again soon.
    if (candidates.length < Math.max(1, policy.listingMinLeads)) return this.release(candidates, now);
    round.active = true;

    const sinceOf = (lead: LeadRecord) => earliestCreation(lead.updated_at, policy.clockSkewMs);
    const listing = await this.list(property, round, Math.min(...candidates.map(sinceOf)));
    const matches = new Map<string, FoundLead>();
    if (listing instanceof Listing) {
      for (const lead of candidates) {
        const record = listing.onlyRecordOf(lead, sinceOf(lead));
        if (record) matches.set(lead.id, record);
      }
    }
    // Who else could own a record: read after the listing (see ownership.ts).
    const [open, held] = await Promise.all([
      this.deps.store.openCreates(property.slugs).then(creatingLeads),
      this.deps.store.heldRecordIds([...new Set([...matches.values()].map((record) => record.id))]),
    ]);
    const claims = new Claims(open, held, policy.clockSkewMs);
    // A listing that showed none of its leads, again: the rounds rest, and their leads go to write-status now.
    const rest = listing instanceof Listing ? this.schedule.listed(property.key, matches.size > 0) : 0;
    if (rest > 0) {
      round.restUntil = round.at + rest;
      round.active = false;
      logger.warn('leads.rounds_resting', { property_id: property.query.property_id, candidates: candidates.length, rest_ms: rest });
    }
    const settled = await this.settle(candidates, matches, open, claims, { now, gap: this.schedule.gap(backlog), resting: rest > 0 });
    logger.info('leads.round', {
      property_id: property.query.property_id,
      candidates: candidates.length,
      records: listing instanceof Listing ? listing.count : 0,
      ...settled,
      ...(listing instanceof Listing ? {} : { failed: listing }),
    });
    return settled.confirmed + settled.missed;
  }

  /** The property's sent leads a round may confirm: waiting, in no task's hands, sent long enough ago to show. */
  private async candidates(property: Property, round: PropertyRound, now: number): Promise<LeadRecord[]> {
    const { policy, busy } = this.deps;
    const waiting = (await this.deps.store.openCreates(property.slugs)).filter((lead) => waitsForRound(lead, policy));
    // A waiting lead in a task's hands may be parked by it for the round this one replaces, at the
    // backlog's pace: the next round then comes as soon as no creates wait, not a whole gap later.
    round.backlog ||= waiting.some((lead) => busy(lead.id));
    // Sent at least confirmFirstDelayMs ago: a write needs a moment before it can show.
    return waiting.filter((lead) => !busy(lead.id) && lead.updated_at <= now - policy.confirmFirstDelayMs);
  }

  /** Leads parked for a round that will not list: due now, for write-status. */
  private async release(candidates: LeadRecord[], now: number): Promise<number> {
    let released = 0;
    for (const lead of candidates) {
      if (lead.next_attempt_at > now && (await this.deps.store.update(lead.id, { next_attempt_at: now }, { ifStatus: 'sent' })))
        released += 1;
    }
    return released;
  }

  /** The property's listing since `since`, or why there is none (a refused one rests the rounds for an hour). */
  private async list(property: Property, round: PropertyRound, since: number): Promise<Listing | string> {
    const { client, policy, logger } = this.deps;
    const page = (offset: number) => this.deps.upstream(() => client.listLeads(property.query, { offset, limit: LIST_PAGE_SIZE }));
    const listing = await readListing(page, since, policy.listingMaxPages);
    if (listing instanceof Listing) return listing;
    if (listing?.kind === 'rejected') {
      // Propexo refuses the listing as asked: rounds for this property rest, leads go one by one.
      round.restUntil = round.at + HOUR;
      round.active = false;
      logger.warn('propexo.listing_refused', {
        status: listing.status,
        reason: listing.reason,
        details: listing.details,
        retry_in_ms: HOUR,
      });
    }
    return listing ? `${listing.kind}:${listing.reason}` : 'called_off';
  }

  /**
   * Each candidate still as it was: confirmed with its matched record unless another lead could own
   * it, else a miss: the next round (`gap` after this one began, at `now`), or after enough misses
   * its own write-status, with growing gaps.
   */
  private async settle(
    candidates: LeadRecord[],
    matches: Map<string, FoundLead>,
    open: LeadRecord[],
    claims: Claims,
    { now, gap, resting }: { now: number; gap: number; resting: boolean },
  ) {
    const { store, policy, random, busy } = this.deps;
    const fresh = new Map(open.filter((lead) => lead.status === 'sent').map((lead) => [lead.id, lead]));
    let confirmed = 0;
    let missed = 0;
    for (const old of candidates) {
      const lead = fresh.get(old.id);
      // Changed meanwhile (confirmed by a webhook's check, re-sent, retried): not this round's.
      if (!lead || lead.job_id !== old.job_id || lead.updated_at !== old.updated_at || !waitsForRound(lead, policy) || busy(lead.id))
        continue;
      const record = matches.get(lead.id);
      if (record && !claims.claimedByOther(lead, record) && (await this.deps.confirm(lead, record.id))) {
        claims.hold(record.id);
        confirmed += 1;
        continue;
      }
      const checks = lead.checks + 1;
      // Resting rounds: its own write-status at once (the round is inactive, so it waits for none).
      const next_attempt_at = resting ? now : Math.max(lead.next_attempt_at, now + Math.max(gap, checkDelay(policy, checks, random)));
      if (await store.update(lead.id, { checks, next_attempt_at }, { ifStatus: 'sent' })) missed += 1;
    }
    return { confirmed, missed };
  }
}
