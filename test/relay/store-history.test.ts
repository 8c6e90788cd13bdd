/**
 * Each lead's timeline (relay/outbox/store/history.ts), on every store (support/store-harness.ts):
 * written by accept in the same step, by an update that carries an event only when the update
 * went through, appended by an operator's action, read back oldest first, refused when malformed,
 * and purged with its lead (a confirmed one past retention, a held one marked as spam). Also the
 * overview's rows (activity), and the console's search (list by date range, email, phone).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LeadRecord, LeadStore } from '../../relay/outbox/store/types.js';
import { HOUR, T0, at, lead } from './support/store-fixtures.js';
import { STORE_HARNESSES, stopStoreServers } from './support/store-harness.js';

afterAll(stopStoreServers);

describe.each(STORE_HARNESSES)('%s lead store: history', (_name, harness) => {
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

  async function put(extra: Partial<LeadRecord> = {}): Promise<LeadRecord> {
    const outcome = await store.accept(lead(extra), at(extra.created_at ?? T0));
    expect(outcome.created).toBe(true);
    return outcome.record;
  }

  it('starts with accepted; a held lead also says why it is held', async () => {
    const clean = await put();
    const held = await put({ status: 'held', error: 'honeypot' });
    expect(await store.history(clean.id)).toStrictEqual([{ at: T0, type: 'accepted' }]);
    expect(await store.history(held.id)).toStrictEqual([
      { at: T0, type: 'accepted' },
      { at: T0, type: 'held', detail: { reason: 'honeypot' } },
    ]);
  });

  it('writes nothing for a replay', async () => {
    const first = await put();
    const again = await store.accept({ ...lead(), fingerprints: first.fingerprints, id: 'ld_replay' }, at(T0 + 1000));
    expect(again.created).toBe(false);
    expect(await store.history('ld_replay')).toStrictEqual([]);
    expect(await store.history(first.id)).toHaveLength(1);
  });

  it('appends an update event only when the update went through, in order, detail as given', async () => {
    const record = await put();
    const attempt = { at: T0 + 10, type: 'attempt' as const, detail: { outcome: 'accepted', status: 201, job: true, note: null } };
    expect(await store.update(record.id, { status: 'sent', job_id: 'j1' }, {}, attempt)).not.toBeNull();
    // A compare-and-set that fails writes no event either.
    expect(await store.update(record.id, { status: 'failed' }, { ifStatus: 'queued' }, { at: T0 + 20, type: 'dead_lettered' })).toBeNull();
    expect(
      await store.update(
        record.id,
        { status: 'confirmed', confirmed_at: T0 + 30 },
        { ifStatus: 'sent' },
        { at: T0 + 30, type: 'confirmed', detail: { how: 'write_status' } },
      ),
    ).not.toBeNull();
    expect(await store.history(record.id)).toStrictEqual([
      { at: T0, type: 'accepted' },
      attempt,
      { at: T0 + 30, type: 'confirmed', detail: { how: 'write_status' } },
    ]);
  });

  it('appends an operator action to an existing lead only', async () => {
    const record = await put();
    expect(await store.appendEvent(record.id, { at: T0 + 5, type: 'revealed', detail: { by: 'token' } })).toBe(true);
    expect(await store.appendEvent('ld_missing', { at: T0 + 5, type: 'revealed' })).toBe(false);
    expect((await store.history(record.id)).at(-1)).toStrictEqual({ at: T0 + 5, type: 'revealed', detail: { by: 'token' } });
    expect(await store.history('ld_missing')).toStrictEqual([]);
  });

  it('refuses a malformed event, writing nothing', async () => {
    const record = await put();
    const bad = [
      { at: Number.NaN, type: 'accepted' },
      { at: T0, type: 'exploded' },
      { at: T0, type: 'revealed', detail: { by: { nested: true } } },
      { at: T0, type: 'revealed', detail: { text: 'x'.repeat(301) } },
    ];
    for (const event of bad) {
      await expect(store.appendEvent(record.id, event as never)).rejects.toThrow(TypeError);
      await expect(store.update(record.id, { attempts: 1 }, {}, event as never)).rejects.toThrow(TypeError);
    }
    expect(await store.history(record.id)).toHaveLength(1);
    expect((await store.get(record.id))!.attempts).toBe(0);
  });

  it('purges the timeline with the lead: confirmed past retention, held marked as spam', async () => {
    const confirmed = await put();
    await store.update(confirmed.id, { status: 'confirmed', confirmed_at: T0 + 1 }, {}, { at: T0 + 1, type: 'confirmed' });
    const spam = await put({ status: 'held', error: 'honeypot' });
    await store.update(spam.id, { error: 'marked_spam', updated_at: T0 + 2 }, { ifStatus: 'held' }, { at: T0 + 2, type: 'marked_spam' });
    const heldOnly = await put({ status: 'held', error: 'honeypot' });
    const before = T0 + HOUR;
    expect(await store.purgeConfirmed(before)).toBe(2);
    expect(await store.get(confirmed.id)).toBeNull();
    expect(await store.get(spam.id)).toBeNull();
    expect(await store.history(confirmed.id)).toStrictEqual([]);
    expect(await store.history(spam.id)).toStrictEqual([]);
    expect(await store.history(heldOnly.id)).toHaveLength(2);
    // A lead stored again under a purged id starts a fresh timeline.
    await store.accept(lead({ id: confirmed.id, created_at: T0 + 2 * HOUR }), at(T0 + 2 * HOUR));
    expect(await store.history(confirmed.id)).toStrictEqual([{ at: T0 + 2 * HOUR, type: 'accepted' }]);
  });

  it('lists activity: leads of the window and every open lead, oldest first, nothing personal', async () => {
    const old = await put({ created_at: T0 - 10 * HOUR });
    await store.update(old.id, { status: 'confirmed', confirmed_at: T0 - 9 * HOUR });
    const oldQueued = await put({ created_at: T0 - 9 * HOUR });
    const recent = await put({ created_at: T0 + 1 });
    await store.update(recent.id, { status: 'confirmed', confirmed_at: T0 + 500, attempts: 1 });
    const held = await put({ created_at: T0 + 2, status: 'held', error: 'honeypot' });
    const rows = await store.activity(T0);
    expect(rows).toStrictEqual([
      { id: oldQueued.id, site: 'oak-grove', status: 'queued', created_at: T0 - 9 * HOUR, attempts: 0 },
      { id: recent.id, site: 'oak-grove', status: 'confirmed', created_at: T0 + 1, confirmed_at: T0 + 500, attempts: 1 },
      { id: held.id, site: 'oak-grove', status: 'held', created_at: T0 + 2, attempts: 0, error: 'honeypot' },
    ]);
  });

  it('lists by date range and by an exact email (any case) or phone (either number), newest first', async () => {
    const a = await put({
      created_at: T0,
      submission: { first_name: 'A', last_name: 'B', email_1: 'Pat@Example.org', phone_1: '5125550142' },
    });
    const b = await put({
      created_at: T0 + HOUR,
      submission: { first_name: 'C', last_name: 'D', phone_1: '5125550199', phone_2: '5125550142' },
    });
    const c = await put({
      created_at: T0 + 2 * HOUR,
      site: 'pine-ridge',
      submission: { first_name: 'E', last_name: 'F', email_1: 'pat@example.org' },
    });
    const ids = async (filter: Parameters<LeadStore['list']>[0]) => (await store.list(filter)).map((r) => r.id);
    expect(await ids({ email: 'PAT@example.org' })).toEqual([c.id, a.id]);
    expect(await ids({ email: 'pat@example.org', site: 'oak-grove' })).toEqual([a.id]);
    expect(await ids({ phone: '5125550142' })).toEqual([b.id, a.id]);
    expect(await ids({ createdFrom: T0 + 1, createdBefore: T0 + 2 * HOUR })).toEqual([b.id]);
    expect(await ids({ createdFrom: T0, status: 'queued', limit: 2 })).toEqual([c.id, b.id]);
    expect(await ids({ email: 'nobody@example.org' })).toEqual([]);
  });
});
