/**
 * Returning prospects in the lead store (relay/outbox/store/types.ts), on all four stores
 * (support/store-harness.ts): the fields they add to a lead (content_hash and follows, set at
 * accept; target_lead_id and write_kind, patched by delivery), and accept's rule for a repeat within
 * the dedupe window: the same words (or a lead without a content hash) are a replay, other words a
 * follow-up stored with `follows`. The rest of the store's contract is in store.test.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LEAD_STORE_SCHEMA_VERSION } from '../../relay/outbox/store/schema.js';
import type { LeadStore, WriteKind } from '../../relay/outbox/store/types.js';
import { T0, at, fullRecord, lead } from './support/store-fixtures.js';
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
});

describe('durable object lead store: schema 5 to 6', () => {
  beforeAll(startStoreWorker);

  it('keeps the leads of a schema 5 storage, which then have none of the new fields', async () => {
    const store = durableStore();
    const old = lead({ campaign: 'google' });
    await store.accept(old, at(T0));
    // What a relay of schema version 5 left behind.
    for (const column of ['content_hash', 'follows', 'target_lead_id', 'write_kind']) {
      await store.call({ method: '$sql', args: [`ALTER TABLE leads DROP COLUMN ${column}`] });
    }
    await store.call({ method: '$sql', args: [`UPDATE lead_store_meta SET value = 5 WHERE name = 'user_version'`] });
    await store.call({ method: '$reopen', args: [] });
    expect(LEAD_STORE_SCHEMA_VERSION).toBe(6);
    expect(await store.call({ method: '$sql', args: [`SELECT value FROM lead_store_meta WHERE name = 'user_version'`] })).toEqual([
      { value: 6 },
    ]);
    expect(await store.get(old.id)).toStrictEqual(old);
    const written = await store.update(old.id, { target_lead_id: 'rec_1', write_kind: 'update' });
    expect(written).toStrictEqual({ ...old, target_lead_id: 'rec_1', write_kind: 'update' });
  });
});
