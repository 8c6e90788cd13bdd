/**
 * Whether a record a round matched to a lead could be another lead's, from what the store said
 * after the listing was read (so any lead whose POST made a record in it is by then in doubt, sent
 * or confirmed). A record is not the lead's to take when:
 * - a lead already holds it (confirmed with it);
 * - another lead of the same person could have made it: a sent one (since it was accepted) or a
 *   queued one whose POST may have landed (since that POST), less the clock skew.
 */
import type { FoundLead } from '../../propexo/client.js';
import type { LeadRecord } from '../store/types.js';
import { createdSince, earliestCreation, leadNameKey, sameContact } from './matching.js';

/** When a lead that may own a record could have made it, at the earliest. */
const claimFrom = (lead: LeadRecord): number => (lead.status === 'queued' ? lead.in_doubt_since! : lead.created_at);

export class Claims {
  private readonly held: Set<string>;
  /** The store's open creates (sent, or queued in doubt), by name key. */
  private readonly claimants = new Map<string, LeadRecord[]>();

  /** `openCreates` and `heldRecordIds` as the store answered them after the listing. */
  constructor(
    openCreates: LeadRecord[],
    heldRecordIds: string[],
    private readonly clockSkewMs: number,
  ) {
    this.held = new Set(heldRecordIds);
    for (const lead of openCreates) {
      const key = leadNameKey(lead);
      const same = this.claimants.get(key);
      if (same) same.push(lead);
      else this.claimants.set(key, [lead]);
    }
  }

  /** Whether `record`, matched to `lead`, is held by a lead or could have been made by another. */
  claimedByOther(lead: LeadRecord, record: FoundLead): boolean {
    if (this.held.has(record.id)) return true;
    return (this.claimants.get(leadNameKey(lead)) ?? []).some(
      (other) =>
        other.id !== lead.id &&
        sameContact(other, record) &&
        createdSince(record.created_at, earliestCreation(claimFrom(other), this.clockSkewMs)) === 'yes',
    );
  }

  /** A lead was just confirmed with the record: no other lead of the round may take it. */
  hold(recordId: string): void {
    this.held.add(recordId);
  }
}
