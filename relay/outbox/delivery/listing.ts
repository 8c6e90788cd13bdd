/**
 * One property's lead listing as a confirmation round reads it: `GET /v1/leads/` newest first, a
 * page of 250 at a time, until it covers every record created since the round's oldest lead, or
 * `maxPages` (the policy's bound on what a round costs).
 *
 * What was read is evidence only for the time it covers. A listing cut by the bound or by a failed
 * page covers back to its oldest record read; one whose records came out of order covers nothing;
 * only one read to its end (Propexo says there is no more, or a page comes back empty) covers
 * everything. A page without `hasMore` is not the end: Propexo's meta may leave it out.
 */
import type { FoundLead, LeadPageResult, UpstreamFailure } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import { createdSince, exactTime, leadNameKey, nameKey, sameContact } from './matching.js';

export class Listing {
  constructor(
    /** The records read, by name key. */
    private readonly byName: ReadonlyMap<string, FoundLead[]>,
    /** How many records were read. */
    readonly count: number,
    /** Every record created at or after this time was read: -Infinity for all, +Infinity for none. */
    readonly coveredFrom: number,
  ) {}

  /**
   * The one record the listing shows for this lead, created at or after `since`, or null when the
   * listing does not say for sure: `since` is not covered, no such record or two, or a record of
   * this prospect without an exact time (it could be this lead's).
   */
  onlyRecordOf(lead: LeadRecord, since: number): FoundLead | null {
    if (since < this.coveredFrom) return null;
    const people = (this.byName.get(leadNameKey(lead)) ?? []).filter((record) => sameContact(lead, record));
    const evidence = people.map((record) => createdSince(record.created_at, since));
    if (evidence.includes('unknown')) return null;
    const matches = people.filter((_, i) => evidence[i] === 'yes');
    return matches.length === 1 ? matches[0]! : null;
  }

  /** Every record id read. */
  recordIds(): string[] {
    return [...this.byName.values()].flat().map((record) => record.id);
  }
}

/** The records read so far, and how far back they are known to cover. */
class Pages {
  private readonly records = new Map<string, FoundLead>();
  private sorted = true;
  private previous = Number.POSITIVE_INFINITY;
  private oldest = Number.POSITIVE_INFINITY;

  add(leads: FoundLead[]): void {
    for (const record of leads) {
      // New records arrive on top and push older ones down a page: those show twice, order holds.
      if (this.records.has(record.id)) continue;
      this.records.set(record.id, record);
      const t = exactTime(record.created_at);
      if (Number.isNaN(t)) continue;
      if (t > this.previous) this.sorted = false;
      this.previous = t;
      this.oldest = Math.min(this.oldest, t);
    }
  }

  /** Records created at or after this were all read (pages newest first); +Infinity when unsorted. */
  coveredFrom(): number {
    return this.sorted && this.oldest !== Number.POSITIVE_INFINITY ? this.oldest + 1 : Number.POSITIVE_INFINITY;
  }

  listing(toTheEnd: boolean): Listing {
    const byName = new Map<string, FoundLead[]>();
    for (const record of this.records.values()) {
      const key = nameKey(record.first_name, record.last_name);
      const same = byName.get(key);
      if (same) same.push(record);
      else byName.set(key, [record]);
    }
    return new Listing(byName, this.records.size, toTheEnd ? Number.NEGATIVE_INFINITY : this.coveredFrom());
  }
}

/** Reads one page from `offset` (null: the request was called off). */
export type ReadPage = (offset: number) => Promise<LeadPageResult | null>;

/**
 * Pages newest first until every record created since `since` is read, or `maxPages`. A failed
 * first page is the answer; a failed later page ends the listing with what it covered.
 */
export async function readListing(readPage: ReadPage, since: number, maxPages: number): Promise<Listing | UpstreamFailure | null> {
  const pages = new Pages();
  let offset = 0;
  for (let page = 0; page < Math.max(1, maxPages); page++) {
    const result = await readPage(offset);
    if (!result?.ok) return page === 0 ? result : pages.listing(false);
    pages.add(result.leads);
    if (result.hasMore === false || result.leads.length === 0) return pages.listing(true);
    offset += result.leads.length;
    if (pages.coveredFrom() <= since) break;
  }
  return pages.listing(false);
}
