/**
 * An operator's actions carry a held lead's tour (issue 15): the console's release queues the tour
 * into its slot while the slot (the site's tours.per_slot) has a place, and else makes it a dead
 * letter the office must call about, with the alert; marking the lead as spam marks its tour, so
 * both are purged together; the tour of a held lead is never released, retried or marked alone.
 * The same through `POST /admin/leads/:id/retry` and `npm run outbox retry`.
 */
import { describe, expect, it } from 'vitest';
import { runOutboxCommand } from '../../relay/outbox/cli.js';
import { configuredTourCapacity } from '../../relay/outbox/delivery/requeue.js';
import { type LeadRecord, newLeadRecord } from '../../relay/outbox/store/types.js';
import { SITES, buildRelay, errorOf } from './fixtures.js';

const ADMIN = 'adm_tours_console_0123456789';
const SLOT = Date.UTC(2027, 2, 15, 15, 0);
const HOURS = { mon: [['09:00', '17:00']] };

function relayWithTours(perSlot: number) {
  const sites = { ...SITES, 'oak-grove': { ...SITES['oak-grove'], tours: { hours: HOURS, per_slot: perSlot } } };
  // The property's tour listing goes to the fake upstream too: it lists none, so per_slot alone counts.
  return buildRelay({ env: { ADMIN_TOKEN: ADMIN, SITES_JSON: JSON.stringify(sites) }, listsUpstream: true });
}
type Relay = ReturnType<typeof relayWithTours>;

let seq = 0;
/** A lead booked with its tour at SLOT, straight into the store as the leads route stores one: held (spam) or not. */
async function book(relay: Relay, held: boolean): Promise<{ lead: LeadRecord; tour: LeadRecord }> {
  seq += 1;
  const now = relay.clock.now();
  const spam = held ? { status: 'held' as const, error: 'spam:honeypot' } : {};
  const submission = { first_name: 'Jane', last_name: 'Doe', email_1: `jane.tour${seq}@gmail.com` };
  const lead = newLeadRecord({ id: `ld_lead${seq}`, site: 'oak-grove', fingerprints: [`fp-tour-${seq}`], submission, ...spam }, now);
  const record = newLeadRecord({ id: `ld_tour${seq}`, site: 'oak-grove', fingerprints: [], submission, tour_start: SLOT, ...spam }, now);
  const outcome = await relay.store.accept(lead, { now, keyWindowMs: 0, dedupeWindowMs: 0 }, { record, capacity: 5 });
  return { lead: outcome.record, tour: outcome.tour! };
}

const bearer = { authorization: `Bearer ${ADMIN}` };
const act = (relay: Relay, id: string, action: string) =>
  relay.app.request(`/admin/api/leads/${id}/${action}`, { method: 'POST', headers: bearer });
const historyOf = async (relay: Relay, id: string) => (await relay.store.history(id)).map((e) => e.type);

describe("the console's release of a held lead with a tour", () => {
  it('releases the tour with it while its slot has a place: both queued, the tour taking its place', async () => {
    const relay = relayWithTours(2);
    await book(relay, false);
    const { lead, tour } = await book(relay, true);
    const res = await act(relay, lead.id, 'release');
    expect(await res.json()).toEqual({ id: lead.id, status: 'queued', tour: 'released' });
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'queued', next_attempt_at: relay.clock.now() });
    expect((await relay.store.get(tour.id))?.error).toBeUndefined();
    expect(await historyOf(relay, tour.id)).toEqual(['accepted', 'held', 'released']);
    expect(await relay.store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: 2, appointment_ids: [] }]);
    expect(relay.logs().find((l) => l.event === 'lead.released_by_operator')).toMatchObject({ lead_id: lead.id, tour: 'released' });
  });

  it('still releases the lead when the slot filled meanwhile; its tour becomes a dead letter, with the alert', async () => {
    const relay = relayWithTours(1);
    await book(relay, false);
    const { lead, tour } = await book(relay, true);
    const res = await act(relay, lead.id, 'release');
    expect(await res.json()).toEqual({ id: lead.id, status: 'queued', tour: 'slot_taken' });
    expect(await relay.store.get(lead.id)).toMatchObject({ status: 'queued' });
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'failed', error: 'slot_taken_at_release' });
    const history = await relay.store.history(tour.id);
    expect(history.map((e) => e.type)).toEqual(['accepted', 'held', 'dead_lettered']);
    expect(history[2]?.detail).toEqual({ reason: 'slot_taken_at_release' });
    // Sending it again would overbook the slot: the office books another time instead.
    const retry = await act(relay, tour.id, 'retry');
    expect(retry.status).toBe(409);
    expect(await errorOf(retry)).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/cannot be kept \(slot_taken_at_release\)/),
    });
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'failed' });
    expect(relay.logs().find((l) => l.event === 'lead.dead_letter')).toMatchObject({
      alert: true,
      lead_id: tour.id,
      follows: lead.id,
      reason: 'slot_taken_at_release',
      contact: expect.stringMatching(/^j\*+@gmail\.com$/),
    });
  });

  it('says tour: null for a held lead without one', async () => {
    const relay = relayWithTours(1);
    const now = relay.clock.now();
    const lead = newLeadRecord(
      { id: 'ld_alone', site: 'oak-grove', fingerprints: ['fp-alone'], submission: { first_name: 'A', last_name: 'B' }, status: 'held' },
      now,
    );
    await relay.store.accept(lead, { now, keyWindowMs: 0, dedupeWindowMs: 0 });
    expect(await (await act(relay, lead.id, 'release')).json()).toEqual({ id: lead.id, status: 'queued', tour: null });
  });
});

describe('the tour of a held lead, on its own', () => {
  it('is refused a release, a retry and a spam mark (409: release or mark its lead), and nothing changes', async () => {
    const relay = relayWithTours(1);
    const { lead, tour } = await book(relay, true);
    for (const action of ['release', 'spam']) {
      const res = await act(relay, tour.id, action);
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toMatchObject({ code: 'conflict', message: expect.stringMatching(/release or mark its lead/) });
    }
    // A failed tour of a held lead (not a state the relay makes, but a retry must not free it either).
    await relay.store.update(tour.id, { status: 'failed', error: 'write_failed' }, { ifStatus: 'held' });
    expect((await act(relay, tour.id, 'retry')).status).toBe(409);
    const admin = await relay.app.request(`/admin/leads/${tour.id}/retry`, { method: 'POST', headers: bearer });
    expect(admin.status).toBe(409);
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'failed', error: 'write_failed' });
    expect(await relay.store.get(lead.id)).toMatchObject({ status: 'held' });
  });

  it('may be retried as any dead letter once its lead is no longer held', async () => {
    const relay = relayWithTours(2);
    const { lead, tour } = await book(relay, true);
    await act(relay, lead.id, 'release');
    // Its appointment refused (say, the guest card merged in ResMan meanwhile): a dead letter like any.
    await relay.store.update(tour.id, { status: 'failed', error: 'propexo_rejected' });
    const res = await act(relay, tour.id, 'retry');
    expect(await res.json()).toEqual({ id: tour.id, status: 'queued' });
  });
});

describe('marking a held lead with a tour as spam', () => {
  it('marks its tour too, so the retention purges both', async () => {
    const relay = relayWithTours(1);
    const { lead, tour } = await book(relay, true);
    const res = await act(relay, lead.id, 'spam');
    expect(await res.json()).toEqual({ id: lead.id, status: 'held', error: 'marked_spam', tour: 'marked_spam' });
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'held', error: 'marked_spam' });
    expect((await relay.store.history(tour.id)).at(-1)).toMatchObject({
      type: 'marked_spam',
      detail: { by: 'token', held_for: 'spam:honeypot' },
    });
    expect(await relay.store.purgeConfirmed(relay.clock.now() + 1)).toBe(2);
    expect(await relay.store.get(tour.id)).toBeNull();
  });
});

describe('the same release through /admin and the CLI', () => {
  it('POST /admin/leads/:id/retry of a held lead releases its tour and says so', async () => {
    const relay = relayWithTours(1);
    const { lead, tour } = await book(relay, true);
    const res = await relay.app.request(`/admin/leads/${lead.id}/retry`, { method: 'POST', headers: bearer });
    expect(await res.json()).toEqual({ id: lead.id, status: 'queued', tour: 'released' });
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'queued' });
  });

  it('npm run outbox retry: the tour of a held lead is left alone; the lead is released with it, by the slot the sites give', async () => {
    const relay = relayWithTours(1);
    await book(relay, false);
    const { lead, tour } = await book(relay, true);
    const out: string[] = [];
    const alerts: unknown[] = [];
    const tours = { capacity: configuredTourCapacity(relay.config.sites), logger: { alert: (...line: unknown[]) => alerts.push(line) } };
    expect(await runOutboxCommand(relay.store, ['retry', tour.id], (t) => out.push(t), relay.clock.now(), tours)).toBe(1);
    expect(out[0]).toBe(`${tour.id}: This is the tour of held lead ${lead.id}: release or mark its lead.`);
    expect(await runOutboxCommand(relay.store, ['retry', lead.id], (t) => out.push(t), relay.clock.now(), tours)).toBe(0);
    expect(out.slice(1)).toEqual([
      '0 lead(s) queued again',
      `${lead.id}: its tour's slot is taken, the tour is a dead letter: call the prospect`,
      '1 lead(s) queued again',
    ]);
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'failed', error: 'slot_taken_at_release' });
    expect(alerts).toHaveLength(1);
  });
});
