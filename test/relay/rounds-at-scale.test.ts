/**
 * Confirmation rounds with a full outbox: the check that no other lead of the relay could own a
 * Propexo record must see every lead, not only the newest 1,000 of each status.
 *
 * Ana asked twice. Her other lead's record shows in the listing, created within the clock skew of
 * her second lead's create; her second lead's own record does not show yet. The round must leave
 * the second lead to write-status, however many leads stand between the other one and the newest.
 */
import { describe, expect, it } from 'vitest';
import { newLeadRecord, type LeadRecord } from '../../relay/outbox/store/types.js';
import { todayNoonUtc } from '../support/dates.js';
import { buildRelay, okResponse, SITE_IDS, type UpstreamHandler } from './fixtures.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ana = { first_name: 'Ana', last_name: 'Doe', email_1: 'ana@gmail.com' };

/** Propexo: the listing shows `listed`; write-status says SUCCESS with `rec_<job>`, readable by id. */
function propexo(listed: () => object[]): UpstreamHandler {
  return (call) => {
    const url = new URL(call.url);
    if (call.method === 'POST') return okResponse('job_unexpected');
    if (url.pathname.startsWith('/v1/admin/write-status/')) {
      const job = url.pathname.split('/').pop()!;
      return Response.json({ write_status: 'SUCCESS', errors: [], created_record_id: `rec_${job}` });
    }
    if (url.pathname === '/v1/leads/') return Response.json({ meta: { hasMore: false }, results: listed() });
    // A created record read back: Ana's second lead's is Ana (not yet in the listing).
    if (url.pathname === '/v1/leads/rec_job_ana_second') return Response.json({ meta: {}, results: { id: 'rec_job_ana_second', ...ana } });
    return new Response('not found', { status: 404 });
  };
}

type Rival = 'confirmed' | 'queued_in_doubt' | 'sent';

describe('a round with more than 1,000 leads of a status', () => {
  it.each<[string, Rival]>([
    ['already confirmed with the record', 'confirmed'],
    ['queued, with a POST in doubt', 'queued_in_doubt'],
    ['sent, its write retried', 'sent'],
  ])('never takes a record another lead could own when that lead is older than the newest 1,000 (%s)', async (_, rival) => {
    const t0 = todayNoonUtc(); // where the manual clock starts
    const otherRecordAt = t0 - 70_000;
    const listed = () => [
      ...Array.from({ length: 9 }, (_, i) => ({
        id: `rec_job_o${i}`,
        first_name: `Other${i}`,
        last_name: 'Doe',
        email_1: `o${i}@gmail.com`,
        phone_1: null,
        created_at: new Date(t0 - 15_000).toISOString(),
      })),
      { id: 'rec_ana_other', ...ana, phone_1: null, created_at: new Date(otherRecordAt).toISOString() },
    ];
    const relay = buildRelay({ handler: propexo(listed) });
    expect(relay.clock.now()).toBe(t0);
    const windows = { now: t0, keyWindowMs: 0, dedupeWindowMs: 0 };
    const put = (id: string, createdAt: number, fields: Partial<LeadRecord>, submission: LeadRecord['submission']) =>
      relay.store.accept({ ...newLeadRecord({ id, site: 'oak-grove', fingerprints: [], submission }, createdAt), ...fields }, windows);
    const later = t0 + 24 * HOUR; // never due within the test

    // Ana's other lead, accepted long ago, older than 1,000 leads of the same status.
    const other: Record<Rival, Partial<LeadRecord>> = {
      confirmed: {
        status: 'confirmed',
        job_id: 'job_ana_other',
        attempts: 1,
        created_record_id: 'rec_ana_other',
        confirmed_at: otherRecordAt + 20_000,
      },
      queued_in_doubt: { status: 'queued', attempts: 1, in_doubt_since: otherRecordAt - 5_000, next_attempt_at: later },
      sent: {
        status: 'sent',
        job_id: 'job_ana_other',
        attempts: 1,
        write_retries: 1,
        updated_at: otherRecordAt - 5_000,
        next_attempt_at: later,
      },
    };
    await put('ld_ana_other', t0 - 3 * HOUR, other[rival], ana);
    for (let i = 0; i < 1_000; i++) {
      const filler = {
        ...other[rival],
        job_id: rival === 'queued_in_doubt' ? undefined : `job_f${i}`,
        created_record_id: rival === 'confirmed' ? `rec_f${i}` : undefined,
      };
      await put(`ld_f${i}`, t0 - 2 * HOUR + i * 1_000, filler, { first_name: `Filler${i}`, last_name: 'Doe', email_1: `f${i}@gmail.com` });
    }

    // A round's worth of sent leads: Ana's second lead and nine others, sent 20 s ago.
    const sent = (job: string): Partial<LeadRecord> => ({
      status: 'sent',
      job_id: job,
      attempts: 1,
      updated_at: t0 - 20_000,
      next_attempt_at: t0 + 10,
    });
    await put('ld_ana_second', t0 - 30_000, sent('job_ana_second'), ana);
    for (let i = 0; i < 9; i++)
      await put(`ld_o${i}`, t0 - 30_000, sent(`job_o${i}`), { first_name: `Other${i}`, last_name: 'Doe', email_1: `o${i}@gmail.com` });

    await relay.deliver(10 * MINUTE);

    const rounds = relay.logs().filter((l) => l.event === 'leads.round');
    expect(rounds[0]).toMatchObject({ property_id: SITE_IDS.property_id, candidates: 10, confirmed: 9, missed: 1 });
    // Ana's second lead is confirmed by its own write-status, never with the other lead's record.
    expect(await relay.store.get('ld_ana_second')).toMatchObject({ status: 'confirmed', created_record_id: 'rec_job_ana_second' });
    const how = relay.logs().find((l) => l.event === 'lead.confirmed' && l.lead_id === 'ld_ana_second');
    expect(how).toMatchObject({ how: 'write_status' });
  });
});
