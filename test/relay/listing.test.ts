/**
 * listing.ts: what a confirmation round's listing covers. Only a listing read to its end covers
 * everything; one cut by the page bound, by a failed page, or read out of order covers less, and a
 * lead outside what it covers is never confirmed from it.
 */
import { describe, expect, it } from 'vitest';
import { type Listing, readListing } from '../../relay/outbox/delivery/listing.js';
import type { FoundLead, LeadPageResult } from '../../relay/propexo/client.js';
import { newLeadRecord, type LeadRecord } from '../../relay/outbox/store/types.js';
import { todayNoonUtc } from '../support/dates.js';
import { buildRelay, okResponse, type UpstreamHandler } from './fixtures.js';

/** Where the relay tests' manual clock starts (fixtures.ts). */
const T0 = todayNoonUtc();
const iso = (ms: number) => new Date(ms).toISOString();
const rec = (id: string, at: number | null, name = id): FoundLead => ({
  id,
  first_name: name,
  last_name: 'Doe',
  email_1: `${name}@mail.test`,
  phone_1: null,
  created_at: at === null ? null : iso(at),
});
const lead = (name: string) =>
  ({ id: `ld_${name}`, submission: { first_name: name, last_name: 'Doe', email_1: `${name}@mail.test` } }) as LeadRecord;

/** Pages of `size` over `records` (newest first as given); `hasMore` as Propexo would say it, or null (left out). */
function pages(records: FoundLead[], size: number, hasMore: 'said' | 'left_out' = 'said') {
  const offsets: number[] = [];
  const read = async (offset: number): Promise<LeadPageResult> => {
    offsets.push(offset);
    const leads = records.slice(offset, offset + size);
    return { ok: true, leads, hasMore: hasMore === 'said' ? offset + size < records.length : null };
  };
  return { read, offsets };
}

describe('readListing', () => {
  // Ten records a second apart, newest first: r9 at T0 + 9 s ... r0 at T0.
  const ten = Array.from({ length: 10 }, (_, i) => rec(`r${9 - i}`, T0 + (9 - i) * 1_000));

  it('read to its end, it covers everything', async () => {
    const p = pages(ten, 4);
    const listing = (await readListing(p.read, Number.NEGATIVE_INFINITY, 10)) as Listing;
    expect(p.offsets).toEqual([0, 4, 8]);
    expect(listing.count).toBe(10);
    expect(listing.coveredFrom).toBe(Number.NEGATIVE_INFINITY);
  });

  it('stops once it covers `since`, and covers back to just after its oldest record read', async () => {
    const p = pages(ten, 4);
    const listing = (await readListing(p.read, T0 + 6_000, 10)) as Listing;
    expect(p.offsets).toEqual([0, 4]);
    expect(listing.coveredFrom).toBe(T0 + 2_000 + 1);
  });

  it('cut by the page bound, it covers only what it read: an older lead gets no record from it', async () => {
    const p = pages(ten, 4);
    const listing = (await readListing(p.read, T0, 2)) as Listing;
    expect(p.offsets).toEqual([0, 4]);
    expect(listing.coveredFrom).toBe(T0 + 2_000 + 1);
    expect(listing.onlyRecordOf(lead('r5'), T0 + 5_000)).toMatchObject({ id: 'r5' });
    expect(listing.onlyRecordOf(lead('r3'), T0)).toBeNull(); // r3 was read, but an older twin may not have been
  });

  it('a page without hasMore is not the end: the next page is read', async () => {
    const p = pages(ten, 4, 'left_out');
    const listing = (await readListing(p.read, Number.NEGATIVE_INFINITY, 10)) as Listing;
    expect(p.offsets).toEqual([0, 4, 8, 10]); // the empty page at 10 ends it
    expect(listing.coveredFrom).toBe(Number.NEGATIVE_INFINITY);
  });

  it('out of order, it covers nothing unless read to its end', async () => {
    const shuffled = [ten[3]!, ten[0]!, ...ten.slice(4), ten[1]!, ten[2]!];
    expect(((await readListing(pages(shuffled, 4).read, T0, 2)) as Listing).coveredFrom).toBe(Number.POSITIVE_INFINITY);
    expect(((await readListing(pages(shuffled, 4).read, T0, 10)) as Listing).coveredFrom).toBe(Number.NEGATIVE_INFINITY);
  });

  it('a failed first page is the failure; a failed later page ends the listing with what it covered', async () => {
    const failure = { ok: false as const, kind: 'unavailable' as const, reason: 'http_503', maybeDelivered: false };
    expect(await readListing(async () => failure, T0, 4)).toBe(failure);
    const listing = (await readListing(
      async (offset) => (offset === 0 ? { ok: true, leads: ten.slice(0, 4), hasMore: true } : failure),
      T0,
      4,
    )) as Listing;
    expect(listing.coveredFrom).toBe(T0 + 6_000 + 1);
  });
});

describe('Listing.onlyRecordOf', () => {
  const listingOf = (records: FoundLead[]) => readListing(pages(records, 250).read, Number.NEGATIVE_INFINITY, 1) as Promise<Listing>;

  it('takes the one record of the prospect created since; none, two, or an undated one: none', async () => {
    const ana = lead('ana');
    expect((await listingOf([rec('a1', T0, 'ana'), rec('old', T0 - 60_000, 'ana')])).onlyRecordOf(ana, T0)).toMatchObject({ id: 'a1' });
    expect((await listingOf([rec('a1', T0, 'ana'), rec('a2', T0 + 1, 'ana')])).onlyRecordOf(ana, T0)).toBeNull();
    expect((await listingOf([rec('a1', T0, 'ana'), rec('undated', null, 'ana')])).onlyRecordOf(ana, T0)).toBeNull();
    expect((await listingOf([rec('old', T0 - 1, 'ana')])).onlyRecordOf(ana, T0)).toBeNull();
  });
});

describe('a round against a Propexo that leaves meta.hasMore out', () => {
  it('reads on past a full page, and leaves a lead with a second record there to write-status', async () => {
    const t0 = T0;
    // Page 1 (250): a newer record of L0's prospect made elsewhere, then 249 others. Page 2: the
    // ten leads' own records. Read as complete after page 1, the twin would be L0's only record.
    const records = [
      rec('rec_twin_L0', t0 - 1_000, 'L0'),
      ...Array.from({ length: 249 }, (_, i) => rec(`rec_other_${i}`, t0 - 2_000 - i, `Other${i}`)),
      ...Array.from({ length: 10 }, (_, i) => rec(`rec_job_L${i}`, t0 - 10_000 - i, `L${i}`)),
    ];
    const handler: UpstreamHandler = (call) => {
      const url = new URL(call.url);
      if (call.method === 'POST') return okResponse('job_unexpected');
      if (url.pathname.startsWith('/v1/admin/write-status/')) {
        return Response.json({ write_status: 'SUCCESS', errors: [], created_record_id: `rec_${url.pathname.split('/').pop()}` });
      }
      const byId = records.find((r) => url.pathname === `/v1/leads/${r.id}`);
      if (byId) return Response.json({ meta: {}, results: byId });
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      return Response.json({ meta: { offset, limit }, results: records.slice(offset, offset + limit) });
    };
    const relay = buildRelay({ handler });
    const windows = { now: t0, keyWindowMs: 0, dedupeWindowMs: 0 };
    for (let i = 0; i < 10; i++) {
      const submission = { first_name: `L${i}`, last_name: 'Doe', email_1: `L${i}@mail.test` };
      const sent: Partial<LeadRecord> = {
        status: 'sent',
        job_id: `job_L${i}`,
        attempts: 1,
        updated_at: t0 - 20_000,
        next_attempt_at: t0 + 10,
      };
      await relay.store.accept(
        { ...newLeadRecord({ id: `ld_L${i}`, site: 'oak-grove', fingerprints: [], submission }, t0 - 30_000), ...sent },
        windows,
      );
    }

    await relay.deliver(10 * 60_000);

    expect(await relay.store.get('ld_L0')).toMatchObject({ status: 'confirmed', created_record_id: 'rec_job_L0' });
    expect(relay.logs().find((l) => l.event === 'lead.confirmed' && l.lead_id === 'ld_L0')).toMatchObject({ how: 'write_status' });
    for (let i = 1; i < 10; i++)
      expect(await relay.store.get(`ld_L${i}`)).toMatchObject({ status: 'confirmed', created_record_id: `rec_job_L${i}` });
  });
});
