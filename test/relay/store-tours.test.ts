/**
 * Tours in the lead store, on all four stores (support/store-harness.ts): a lead accepted with its
 * tour stores both in one step, the tour following the lead; a slot takes `capacity` tours that are
 * not held, and the next booking stores nothing and says slot_taken; a replay is answered with its
 * tour whatever the slot holds now; tourBookings counts the places taken. Then the race the issue
 * names: prospects booking the last place at once, through two stores on one SQLite file and two
 * PostgreSQL pools, as two relay instances would: exactly one booking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresLeadStore } from '../../relay/outbox/store/postgres.js';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import type { LeadRecord, LeadStore, TourAccept } from '../../relay/outbox/store/types.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { T0, at, lead } from './support/store-fixtures.js';
import { STORE_HARNESSES, stopStoreServers } from './support/store-harness.js';

afterAll(stopStoreServers);

const SLOT = Date.UTC(2027, 2, 15, 15, 0);
const HALF_HOUR = 30 * 60_000;

/** A lead and its tour at `start`, as the route builds them: the tour has no key or fingerprints of its own. */
function booking(start = SLOT, capacity = 1, extra: Partial<LeadRecord> = {}): { record: LeadRecord; tour: TourAccept } {
  const record = lead(extra);
  const tourRecord = lead({ ...extra, idempotency_key: undefined, fingerprints: [], tour_start: start });
  delete tourRecord.idempotency_key;
  return { record, tour: { record: tourRecord, capacity } };
}

describe.each(STORE_HARNESSES)('%s lead store: tours', (_name, harness) => {
  let store: LeadStore;
  beforeAll(async () => {
    await harness.setup?.();
  });
  beforeEach(async () => {
    store = await harness.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('stores a lead with its tour in one step: the tour follows the lead, keeps its start, and has a timeline', async () => {
    const { record, tour } = booking();
    const outcome = await store.accept(record, at(T0), tour);
    expect(outcome.created).toBe(true);
    expect(outcome.record).toStrictEqual(record);
    expect(outcome.tour).toStrictEqual({ ...tour.record, follows: record.id });
    expect(await store.get(tour.record.id)).toStrictEqual(outcome.tour);
    expect((await store.history(tour.record.id)).map((e) => e.type)).toEqual(['accepted']);
    // tour_start is set once: no patch changes it.
    await store.update(tour.record.id, { tour_start: SLOT + HALF_HOUR } as never);
    expect((await store.get(tour.record.id))?.tour_start).toBe(SLOT);
  });

  it('takes `capacity` tours in a slot; the next stores nothing and says slot_taken; other slots and sites are apart', async () => {
    for (let i = 0; i < 2; i++) expect((await store.accept(...args(booking(SLOT, 2)))).created).toBe(true);
    const third = booking(SLOT, 2);
    expect(await store.accept(third.record, at(T0), third.tour)).toStrictEqual({ record: third.record, created: false, slot_taken: true });
    expect(await store.get(third.record.id)).toBeNull();
    expect(await store.get(third.tour.record.id)).toBeNull();
    // The next slot, and the same slot at another site, have their own places.
    expect((await store.accept(...args(booking(SLOT + HALF_HOUR, 2)))).created).toBe(true);
    expect((await store.accept(...args(booking(SLOT, 1, { site: 'pine-ridge' })))).created).toBe(true);
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 2 * HALF_HOUR)).toEqual([
      { start: SLOT, count: 2, appointment_ids: [] },
      { start: SLOT + HALF_HOUR, count: 1, appointment_ids: [] },
    ]);
    // The range is [from, to).
    expect(await store.tourBookings('oak-grove', SLOT + 1, SLOT + HALF_HOUR)).toEqual([]);
    expect(await store.tourBookings('pine-ridge', 0, Number.MAX_SAFE_INTEGER)).toEqual([{ start: SLOT, count: 1, appointment_ids: [] }]);
  });

  it("names the appointments its tours already are in Propexo, so Propexo's listing of them is not counted again", async () => {
    const first = booking(SLOT, 3);
    const second = booking(SLOT, 3);
    const third = booking(SLOT, 3);
    for (const b of [first, second, third]) await store.accept(...args(b));
    await store.update(second.tour.record.id, { status: 'confirmed', created_record_id: 'evt_b', confirmed_at: T0 });
    await store.update(first.tour.record.id, { status: 'confirmed', created_record_id: 'evt_a', confirmed_at: T0 });
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: 3, appointment_ids: ['evt_a', 'evt_b'] }]);
  });

  it("holds a held lead's tour apart: stored held even in a full slot, taking no place", async () => {
    expect((await store.accept(...args(booking(SLOT, 1)))).created).toBe(true);
    const held = booking(SLOT, 1, { status: 'held', error: 'spam:honeypot' });
    const outcome = await store.accept(held.record, at(T0), {
      ...held.tour,
      record: { ...held.tour.record, status: 'held', error: 'spam:honeypot' },
    });
    expect(outcome.created).toBe(true);
    expect(outcome.tour?.status).toBe('held');
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: 1, appointment_ids: [] }]);
  });

  it('answers a replay with its lead and tour, whatever the slot holds now', async () => {
    const first = booking(SLOT, 1, { idempotency_key: 'key-tour-1' });
    const stored = await store.accept(first.record, at(T0), first.tour);
    // The same request again (the browser's retry): the slot is full, by this very booking.
    const again = booking(SLOT, 1, { idempotency_key: 'key-tour-1' });
    const replay = await store.accept(again.record, at(T0 + 1_000), again.tour);
    expect(replay).toStrictEqual({ record: stored.record, created: false, tour: stored.tour });
    // A replay by content (no key) likewise.
    const byContent = booking(SLOT + HALF_HOUR, 1, { fingerprints: ['fp-content'], content_hash: 'same' });
    const storedByContent = await store.accept(byContent.record, at(T0), byContent.tour);
    const repeat = booking(SLOT + HALF_HOUR, 1, { fingerprints: ['fp-content'], content_hash: 'same' });
    expect(await store.accept(repeat.record, at(T0 + 1_000), repeat.tour)).toStrictEqual({
      record: storedByContent.record,
      created: false,
      tour: storedByContent.tour,
    });
  });

  it('finds the tour stored with a lead: none for a lead without one, for the tour itself, or for an unknown id', async () => {
    const { record, tour } = booking();
    const { tour: stored } = await store.accept(record, at(T0), tour);
    expect(await store.tourOf(record.id)).toStrictEqual(stored);
    const alone = lead();
    await store.accept(alone, at(T0));
    expect(await store.tourOf(alone.id)).toBeNull();
    expect(await store.tourOf(tour.record.id)).toBeNull();
    expect(await store.tourOf('ld_unknown')).toBeNull();
  });

  it('releases a held tour into its slot while a place is left: queued, the patch and the event written', async () => {
    const held = await heldBooking(store, SLOT);
    const released = await store.releaseTour(held.id, 2, RELEASE_PATCH, RELEASE_EVENT);
    // The patch cleared the held reason: the record has no error key at all, as stored.
    const { error: _reason, ...rest } = held;
    const { error: _cleared, ...set } = RELEASE_PATCH;
    const expected = { ...rest, ...set, status: 'queued' };
    expect(released).toStrictEqual({ released: expected });
    expect(await store.get(held.id)).toStrictEqual(expected);
    expect((await store.history(held.id)).map((e) => e.type)).toEqual(['accepted', 'held', 'released']);
    expect((await store.history(held.id))[2]).toEqual(RELEASE_EVENT);
    // It takes its place now, as any tour not held.
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: 1, appointment_ids: [] }]);
  });

  it('changes nothing when the slot is full: {full: true}, the tour still held, no event', async () => {
    await store.accept(...args(booking(SLOT, 2)));
    await store.accept(...args(booking(SLOT, 2)));
    const held = await heldBooking(store, SLOT);
    expect(await store.releaseTour(held.id, 2, RELEASE_PATCH, RELEASE_EVENT)).toStrictEqual({ full: true });
    // A capacity of 0 or less (per_slot less what Propexo lists) is a full slot too.
    expect(await store.releaseTour(held.id, 0, RELEASE_PATCH, RELEASE_EVENT)).toStrictEqual({ full: true });
    expect(await store.releaseTour(held.id, -1, RELEASE_PATCH, RELEASE_EVENT)).toStrictEqual({ full: true });
    expect(await store.get(held.id)).toStrictEqual(held);
    expect((await store.history(held.id)).map((e) => e.type)).toEqual(['accepted', 'held']);
    // Other slots and sites do not count.
    const elsewhere = await heldBooking(store, SLOT + HALF_HOUR);
    expect(await store.releaseTour(elsewhere.id, 1, RELEASE_PATCH, RELEASE_EVENT)).toHaveProperty('released');
  });

  it('answers null for a tour not held, a held lead that is no tour, and an unknown id; refuses a capacity not whole', async () => {
    const { tour } = booking();
    await store.accept(...args({ record: booking().record, tour }));
    expect(await store.releaseTour(tour.record.id, 5, RELEASE_PATCH, RELEASE_EVENT)).toBeNull();
    const heldLead = lead({ status: 'held', error: 'spam:honeypot' });
    await store.accept(heldLead, at(T0));
    expect(await store.releaseTour(heldLead.id, 5, RELEASE_PATCH, RELEASE_EVENT)).toBeNull();
    expect(await store.get(heldLead.id)).toMatchObject({ status: 'held' });
    expect(await store.releaseTour('ld_unknown', 5, RELEASE_PATCH, RELEASE_EVENT)).toBeNull();
    const held = await heldBooking(store, SLOT + HALF_HOUR);
    await expect(store.releaseTour(held.id, 1.5, RELEASE_PATCH, RELEASE_EVENT)).rejects.toThrow(/^lead store: invalid capacity/);
    expect(await store.get(held.id)).toStrictEqual(held);
  });

  it('gives the last place to one of two releases at once', async () => {
    const [a, b] = [await heldBooking(store, SLOT), await heldBooking(store, SLOT)];
    const outcomes = await Promise.all([a, b].map((t) => store.releaseTour(t.id, 1, RELEASE_PATCH, RELEASE_EVENT)));
    expect(outcomes.filter((o) => o && 'released' in o)).toHaveLength(1);
    expect(outcomes.filter((o) => o && 'full' in o)).toHaveLength(1);
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: 1, appointment_ids: [] }]);
  });

  it("marks a tour's row of the overview's activity as a tour, and not its lead's", async () => {
    const { record, tour } = booking();
    await store.accept(record, at(T0), tour);
    const rows = await store.activity(T0 - 1);
    expect(rows.find((r) => r.id === record.id)?.tour).toBeUndefined();
    expect(rows.find((r) => r.id === tour.record.id)?.tour).toBe(true);
  });

  it('a tour whose slot could not keep it at its release (slot_taken_at_release) takes no place; any other dead letter does', async () => {
    const first = booking();
    const { tour } = await store.accept(first.record, at(T0), first.tour);
    await store.update(tour!.id, { status: 'failed', error: 'slot_taken_at_release', updated_at: T0 + 1 });
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([]);
    const second = booking(SLOT, 1, { fingerprints: ['fp-second'] });
    expect(await store.accept(second.record, at(T0 + 2), second.tour)).toMatchObject({ created: true });
    await store.update(second.tour.record.id, { status: 'failed', error: 'propexo_rejected', updated_at: T0 + 3 });
    expect(await store.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: 1, appointment_ids: [] }]);
  });

  it("takes a capacity of 0 (Propexo's own appointments fill the slot) as a full slot, storing nothing", async () => {
    const { record, tour } = booking();
    expect(await store.accept(record, at(T0), { ...tour, capacity: 0 })).toMatchObject({ created: false, slot_taken: true });
    expect(await store.get(record.id)).toBeNull();
    expect(await store.get(tour.record.id)).toBeNull();
  });

  it('refuses a tour that cannot go with its lead, storing nothing', async () => {
    const { record, tour } = booking();
    const refusals: [string, TourAccept][] = [
      ['no start', { ...tour, record: { ...tour.record, tour_start: undefined } }],
      ['another site', { ...tour, record: { ...tour.record, site: 'pine-ridge' } }],
      ['fingerprints', { ...tour, record: { ...tour.record, fingerprints: ['fp-x'] } }],
      ['a capacity of 1.5', { ...tour, capacity: 1.5 }],
      ['a capacity below 0', { ...tour, capacity: -1 }],
    ];
    for (const [, bad] of refusals) await expect(store.accept(record, at(T0), bad)).rejects.toThrow(/^lead store: invalid/);
    expect(await store.get(record.id)).toBeNull();
  });
});

const RELEASE_PATCH = { age_from: T0 + 5_000, next_attempt_at: T0 + 5_000, updated_at: T0 + 5_000, error: undefined, checks: 0 };
const RELEASE_EVENT = { at: T0 + 5_000, type: 'released' as const, detail: { by: 'token', previous_error: 'spam:honeypot' } };

/** A held lead booked with its tour at `start` (held too, so it takes no place): the tour record as stored. */
async function heldBooking(store: LeadStore, start: number): Promise<LeadRecord> {
  const spam = { status: 'held' as const, error: 'spam:honeypot' };
  const { record, tour } = booking(start, 1, spam);
  const outcome = await store.accept(record, at(T0), { ...tour, record: { ...tour.record, ...spam } });
  return outcome.tour!;
}

function args({ record, tour }: { record: LeadRecord; tour: TourAccept }): [LeadRecord, ReturnType<typeof at>, TourAccept] {
  return [record, at(T0), tour];
}

/** Ten prospects at once for the last place, over `stores` in turn: how many were booked. */
async function race(stores: LeadStore[]): Promise<number> {
  const bookings = Array.from({ length: 10 }, () => booking(SLOT, 1));
  const outcomes = await Promise.all(bookings.map((b, i) => stores[i % stores.length]!.accept(b.record, at(T0), b.tour)));
  const booked = outcomes.filter((o) => o.created).length;
  expect(outcomes.filter((o) => o.slot_taken).length).toBe(10 - booked);
  expect(await stores[0]!.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: booked, appointment_ids: [] }]);
  return booked;
}

/** Two operators releasing held tours and four prospects booking, all at once, for the last place: how many got it. */
async function releaseRace(stores: LeadStore[]): Promise<number> {
  const held = [await heldBooking(stores[0]!, SLOT), await heldBooking(stores[1]!, SLOT)];
  const bookings = Array.from({ length: 4 }, () => booking(SLOT, 1));
  const [released, booked] = await Promise.all([
    Promise.all(held.map((t, i) => stores[i % 2]!.releaseTour(t.id, 1, RELEASE_PATCH, RELEASE_EVENT))),
    Promise.all(bookings.map((b, i) => stores[i % 2]!.accept(b.record, at(T0), b.tour))),
  ]);
  const taken = released.filter((o) => o && 'released' in o).length + booked.filter((o) => o.created).length;
  expect(await stores[0]!.tourBookings('oak-grove', SLOT, SLOT + 1)).toEqual([{ start: SLOT, count: taken, appointment_ids: [] }]);
  return taken;
}

describe('the last place, raced by two relay instances', () => {
  let postgres: TestPostgres;
  const scratch = mkdtempSync(join(tmpdir(), 'store-tours-'));
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('SQLite: two stores on one file book it once', async () => {
    const file = join(scratch, 'outbox.sqlite');
    const stores = [openSqliteLeadStore(file), openSqliteLeadStore(file)];
    try {
      expect(await race(stores)).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('SQLite: two stores on one file release two held tours into it once, while bookings race for it too', async () => {
    const file = join(scratch, 'outbox-release.sqlite');
    const stores = [openSqliteLeadStore(file), openSqliteLeadStore(file)];
    try {
      expect(await releaseRace(stores)).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('PostgreSQL: two pools on one database book it once', async () => {
    const url = await postgres.createDatabase();
    const stores = [await openPostgresLeadStore(url, { poolSize: 5 }), await openPostgresLeadStore(url, { poolSize: 5 })];
    try {
      expect(await race(stores)).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('PostgreSQL: two pools release two held tours into it once, while bookings race for it too', async () => {
    const url = await postgres.createDatabase();
    const stores = [await openPostgresLeadStore(url, { poolSize: 5 }), await openPostgresLeadStore(url, { poolSize: 5 })];
    try {
      expect(await releaseRace(stores)).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
