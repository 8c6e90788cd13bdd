/**
 * Returning prospects in the lead store (relay/outbox/store/types.ts), on all four stores
 * (support/store-harness.ts): the fields they add to a lead (content_hash and follows, set at
 * accept; target_lead_id and write_kind, patched by delivery), and accept's rule for a repeat within
 * the dedupe window: the same words (or a lead without a content hash) are a replay, other words a
 * follow-up stored with `follows`. The rest of the store's contract is in store.test.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LEAD_STORE_SCHEMA_VERSION } from '../../relay/outbox/store/schema.js';
import type { LeadRecord, LeadStore, WriteKind } from '../../relay/outbox/store/types.js';
import { DEDUPE_WINDOW, T0, at, fullRecord, lead } from './support/store-fixtures.js';
import { STORE_HARNESSES, durableStore, startStoreWorker, stopStoreServers } from './support/store-harness.js';

afterAll(stopStoreServers);

describe.each(STORE_HARNESSES)('%s lead store: returning prospects', (_name, harness) => {
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

  describe('their fields', () => {
    it('keeps content_hash as accepted; no patch changes it or follows', async () => {
      const record = lead({ content_hash: 'ch-1' });
      expect((await store.accept(record, at(T0))).record).toStrictEqual(record);
      await store.update(record.id, { content_hash: 'ch-2', follows: 'ld_other' } as never);
      expect(await store.get(record.id)).toStrictEqual(record);
    });

    it('sets, changes and clears target_lead_id and write_kind through update', async () => {
      const stored = (await store.accept(lead(), at(T0))).record;
      const written = await store.update(stored.id, { target_lead_id: 'rec_42', write_kind: 'event' });
      expect(written).toStrictEqual({ ...stored, target_lead_id: 'rec_42', write_kind: 'event' });
      expect(await store.get(stored.id)).toStrictEqual(written);
      expect((await store.update(stored.id, { write_kind: 'update' }))!.write_kind).toBe('update');
      const cleared = await store.update(stored.id, { target_lead_id: undefined, write_kind: undefined });
      expect(cleared).toStrictEqual(stored);
      expect(await store.get(stored.id)).toStrictEqual(stored);
    });

    it('refuses a write_kind that is not one of WRITE_KINDS, and fields of the wrong type', async () => {
      const stored = (await store.accept(lead(), at(T0))).record;
      await expect(store.update(stored.id, { write_kind: 'create' as WriteKind })).rejects.toThrow(/write_kind/);
      await expect(store.update(stored.id, { target_lead_id: 7 as never })).rejects.toThrow(/target_lead_id/);
      await expect(store.accept(lead({ content_hash: 7 as never }), at(T0))).rejects.toThrow(/content_hash/);
      await expect(store.accept(lead({ write_kind: 'create' as WriteKind }), at(T0))).rejects.toThrow(/write_kind/);
      expect(await store.get(stored.id)).toStrictEqual(stored);
    });

    it('stores a full record with them, a record accepted with them round-trips', async () => {
      const full = fullRecord();
      expect(full).toMatchObject({ content_hash: expect.any(String), target_lead_id: expect.any(String), write_kind: 'event' });
      expect((await store.accept(full, at(T0))).record).toStrictEqual(fullRecord());
      expect(await store.get(full.id)).toStrictEqual(fullRecord());
    });
  });

  describe('accept: a repeat within the dedupe window', () => {
    /** Stores a lead that must be new, and returns it as stored. */
    async function put(extra: Partial<LeadRecord>, now = extra.created_at ?? T0): Promise<LeadRecord> {
      const outcome = await store.accept(lead(extra), at(now));
      expect(outcome.created).toBe(true);
      return outcome.record;
    }
    const repeat = (extra: Partial<LeadRecord>, now: number) => store.accept(lead({ created_at: now, ...extra }), at(now));

    it('with the same content_hash is a replay of the oldest lead with that content, not of an older one with other words', async () => {
      const other = await put({ fingerprints: ['phone-y'], content_hash: 'h0', created_at: T0 - 1 });
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1', created_at: T0 });
      const b = await put({ fingerprints: ['phone-y'], content_hash: 'h1', created_at: T0 + 1 });
      expect(b.follows).toBe(other.id);
      expect(await repeat({ fingerprints: ['phone-y', 'email-x'], content_hash: 'h1' }, T0 + 2)).toStrictEqual({
        record: a,
        created: false,
      });
      expect(await repeat({ fingerprints: ['phone-y'], content_hash: 'h1' }, T0 + 2)).toStrictEqual({ record: b, created: false });
      expect((await store.counts()).queued).toBe(3);
    });

    it('with another content_hash is stored, following the oldest of the leads it repeats', async () => {
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1', created_at: T0 });
      await put({ fingerprints: ['phone-y'], content_hash: 'h2', created_at: T0 + 1 });
      const record = lead({ fingerprints: ['phone-y', 'email-x'], content_hash: 'h3', created_at: T0 + 2 });
      const outcome = await store.accept(record, at(T0 + 2));
      expect(outcome).toStrictEqual({ record: { ...record, follows: a.id }, created: true });
      expect(await store.get(record.id)).toStrictEqual({ ...record, follows: a.id });
    });

    it('a held lead never absorbs a clean one: the clean one is stored on its own; a held repeat of a held lead is its replay', async () => {
      const held = await put({ fingerprints: ['email-x'], content_hash: 'h1', status: 'held', error: 'spam:honeypot', created_at: T0 });
      // The same words, clean: a lead of its own, following nothing, sent with all it carries.
      const clean = lead({ fingerprints: ['email-x'], content_hash: 'h1', created_at: T0 + 1 });
      expect(await store.accept(clean, at(T0 + 1))).toStrictEqual({ record: clean, created: true });
      // Other words, clean: still not a follow-up of the held one, but of the clean one.
      const more = await put({ fingerprints: ['email-x'], content_hash: 'h2', created_at: T0 + 2 });
      expect(more.follows).toBe(clean.id);
      // A bot posting again: the held lead's replay, nothing new.
      const again = await store.accept(
        lead({ fingerprints: ['email-x'], content_hash: 'h1', status: 'held', created_at: T0 + 3 }),
        at(T0 + 3),
      );
      expect(again.created).toBe(false);
      expect([held.id, clean.id]).toContain(again.record.id);
      expect((await store.counts()).held).toBe(1);
    });

    it('a third record with the words of the second is a replay of the second, not another follow-up', async () => {
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1', created_at: T0 });
      const b = await put({ fingerprints: ['email-x'], content_hash: 'h2', created_at: T0 + 1 });
      expect(b.follows).toBe(a.id);
      expect(await repeat({ fingerprints: ['email-x'], content_hash: 'h2' }, T0 + 2)).toStrictEqual({ record: b, created: false });
      expect(await repeat({ fingerprints: ['email-x'], content_hash: 'h1' }, T0 + 3)).toStrictEqual({ record: a, created: false });
      expect((await store.counts()).queued).toBe(2);
    });

    it('a match without content_hash (a lead from before schema 6) is a replay, even beside an older lead of other words', async () => {
      const older = await put({ fingerprints: ['email-x'], content_hash: 'h0', created_at: T0 - 1 });
      const unhashed = await put({ fingerprints: ['phone-y'], created_at: T0 });
      expect('follows' in unhashed).toBe(false);
      const outcome = await repeat({ fingerprints: ['email-x', 'phone-y'], content_hash: 'h2' }, T0 + 1);
      expect(outcome).toStrictEqual({ record: unhashed, created: false });
      expect(outcome.record.id).not.toBe(older.id);
    });

    it('a record without content_hash is a replay of the oldest lead it shares a fingerprint with, as before', async () => {
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1', created_at: T0 });
      await put({ fingerprints: ['email-x'], content_hash: 'h2', created_at: T0 + 1 });
      expect(await repeat({ fingerprints: ['email-x'] }, T0 + 2)).toStrictEqual({ record: a, created: false });
    });

    it('outside the dedupe window is stored without follows; at its very start it still follows', async () => {
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1', created_at: T0 });
      const atStart = await repeat({ fingerprints: ['email-x'], content_hash: 'h2' }, T0 + DEDUPE_WINDOW);
      expect(atStart.created).toBe(true);
      expect(atStart.record.follows).toBe(a.id);
      const later = lead({ fingerprints: ['email-x'], content_hash: 'h3', created_at: T0 + 2 * DEDUPE_WINDOW + 1 });
      const outcome = await store.accept(later, at(T0 + 2 * DEDUPE_WINDOW + 1));
      expect(outcome).toStrictEqual({ record: later, created: true });
      expect('follows' in (await store.get(later.id))!).toBe(false);
    });

    it('keeps only the follows accept decides, never one the record brings', async () => {
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1' });
      const alone = await put({ fingerprints: ['phone-z'], content_hash: 'h1', follows: 'ld_made_up' });
      expect('follows' in alone).toBe(false);
      const repeated = await put({ fingerprints: ['email-x'], content_hash: 'h2', follows: 'ld_made_up' });
      expect(repeated.follows).toBe(a.id);
      expect((await store.get(repeated.id))!.follows).toBe(a.id);
    });

    it('an idempotency key match is a replay whatever the words; another site is no repeat', async () => {
      const a = await put({ idempotency_key: 'k1', fingerprints: ['fp-a'], content_hash: 'h1' });
      expect(await repeat({ idempotency_key: 'k1', fingerprints: ['fp-b'], content_hash: 'h2' }, T0)).toStrictEqual({
        record: a,
        created: false,
      });
      const pine = lead({ site: 'pine-ridge', fingerprints: ['fp-a'], content_hash: 'h2' });
      expect(await store.accept(pine, at(T0))).toStrictEqual({ record: pine, created: true });
    });

    it('of many callers sending the same new words at once, one stores the follow-up and the others replay it', async () => {
      const a = await put({ fingerprints: ['email-x'], content_hash: 'h1' });
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.accept(lead({ fingerprints: ['email-x', `fp-${i}`], content_hash: 'h2' }), at(T0 + 1))),
      );
      const created = outcomes.filter((o) => o.created);
      expect(created).toHaveLength(1);
      expect(created[0]!.record.follows).toBe(a.id);
      expect(new Set(outcomes.map((o) => o.record.id))).toEqual(new Set([created[0]!.record.id]));
      expect((await store.counts()).queued).toBe(2);
    });
  });
});

describe('durable object lead store: schema 5 to 6', () => {
  beforeAll(startStoreWorker);

  it('keeps the leads of a schema 5 storage, which then have none of the new fields', async () => {
    const store = durableStore();
    const old = lead({ campaign: 'google' });
    await store.accept(old, at(T0));
    // What a relay of schema version 5 left behind (schema 7's timeline and schema 8's tours too).
    for (const sql of [
      'DROP INDEX leads_tour_of',
      'DROP INDEX leads_tours',
      'ALTER TABLE leads DROP COLUMN tour_start',
      'DROP TABLE lead_events',
    ]) {
      await store.call({ method: '$sql', args: [sql] });
    }
    for (const column of ['content_hash', 'follows', 'target_lead_id', 'write_kind', 'written_at']) {
      await store.call({ method: '$sql', args: [`ALTER TABLE leads DROP COLUMN ${column}`] });
    }
    await store.call({ method: '$sql', args: [`UPDATE lead_store_meta SET value = 5 WHERE name = 'user_version'`] });
    await store.call({ method: '$reopen', args: [] });
    expect(LEAD_STORE_SCHEMA_VERSION).toBe(8);
    expect(await store.call({ method: '$sql', args: [`SELECT value FROM lead_store_meta WHERE name = 'user_version'`] })).toEqual([
      { value: 8 },
    ]);
    expect(await store.get(old.id)).toStrictEqual(old);
    const written = await store.update(old.id, { target_lead_id: 'rec_1', write_kind: 'update' });
    expect(written).toStrictEqual({ ...old, target_lead_id: 'rec_1', write_kind: 'update' });
  });
});
