/**
 * The lead store's contract (relay/outbox/store/types.ts): one behaviour suite run against the memory store,
 * the SQLite store (Node), the Durable Object store running in workerd (Miniflare) and the
 * PostgreSQL store (a private server, support/postgres.ts, a fresh database per test), claims and
 * leases included, then what only the memory store and only the Durable Object store have. What only
 * SQLite has (a file that survives reopening, two processes on one file, schema versioning, refusing
 * files that are not a lead store) is in store-sqlite.test.ts, what only Postgres has (several
 * instances on one database) in store-postgres.test.ts; the records all use are in
 * support/store-fixtures.ts, the four stores in support/store-harness.ts. Accept's rule for a repeat
 * with new words (a follow-up, not a replay) and the fields of returning prospects are in
 * store-followups.test.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { LEAD_STORE_APPLICATION_ID, LEAD_STORE_SCHEMA_VERSION } from '../../relay/outbox/store/schema.js';
import type { LeadRecord, LeadStatus, LeadStore, LeasedLeadStore } from '../../relay/outbox/store/types.js';
import { DEDUPE_WINDOW, HOUR, KEY_WINDOW, T0, at, fullRecord, ids, lead } from './support/store-fixtures.js';
import { STORE_HARNESSES, durableStore, startStoreWorker, stopStoreServers, storeWorkerBundle } from './support/store-harness.js';

afterAll(stopStoreServers);

describe.each(STORE_HARNESSES)('%s lead store', (_name, harness) => {
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

  /** Stores a lead that must be new, and returns it. */
  async function put(extra: Partial<LeadRecord> = {}, now = T0): Promise<LeadRecord> {
    const record = lead(extra);
    const outcome = await store.accept(record, at(now));
    expect(outcome.created).toBe(true);
    return outcome.record;
  }

  describe('round trip', () => {
    it('returns a full record exactly as stored, from accept and from get', async () => {
      const record = fullRecord();
      const outcome = await store.accept(record, at(T0));
      expect(outcome).toStrictEqual({ record: fullRecord(), created: true });
      expect(await store.get('ld_full')).toStrictEqual(fullRecord());
    });

    it('returns a minimal record with its optional fields absent, not null or undefined', async () => {
      const record = lead({ fingerprints: [] });
      await store.accept(record, at(T0));
      const got = await store.get(record.id);
      expect(got).toStrictEqual(record);
      expect(Object.keys(got!).sort()).toEqual(Object.keys(record).sort());
      for (const key of [
        'idempotency_key',
        'lead_source_id',
        'campaign',
        'sent_ids',
        'in_doubt_since',
        'job_id',
        'created_record_id',
        'confirmed_at',
        'error',
        'error_detail',
        'content_hash',
        'follows',
        'target_lead_id',
        'write_kind',
        'written_at',
      ]) {
        expect(key in got!).toBe(false);
      }
    });

    it("keeps a lead's campaign, and the lead_source_id of a lead accepted before campaigns, as given; no patch changes them", async () => {
      const old = await put({ lead_source_id: 'lsrc_google', fingerprints: ['fp-old'] });
      const fresh = await put({ campaign: 'google', fingerprints: ['fp-new'] });
      expect((await store.get(old.id))!.lead_source_id).toBe('lsrc_google');
      expect('campaign' in (await store.get(old.id))!).toBe(false);
      expect((await store.get(fresh.id))!.campaign).toBe('google');
      expect('lead_source_id' in (await store.get(fresh.id))!).toBe(false);
      await store.update(fresh.id, { campaign: 'bing', lead_source_id: 'lsrc_x' } as never);
      expect(await store.get(fresh.id)).toStrictEqual(fresh);
    });

    it('keeps the ids of the last create (sent_ids) as patched, and clears them', async () => {
      const stored = await put();
      const sentIds = '{"integration_id":"i","property_id":"p","employee_id":"e","lead_source_id":"l"}';
      expect((await store.update(stored.id, { sent_ids: sentIds }))!.sent_ids).toBe(sentIds);
      expect((await store.get(stored.id))!.sent_ids).toBe(sentIds);
      await expect(store.update(stored.id, { sent_ids: 5 as never })).rejects.toThrow(/sent_ids/);
      const cleared = await store.update(stored.id, { sent_ids: undefined });
      expect('sent_ids' in cleared!).toBe(false);
    });

    it('keeps fractional times and counters as given', async () => {
      const record = lead({ next_attempt_at: T0 + 1234.5 });
      await store.accept(record, at(T0));
      expect((await store.get(record.id))!.next_attempt_at).toBe(T0 + 1234.5);
    });

    it('returns null for an unknown id', async () => {
      expect(await store.get('ld_nope')).toBeNull();
      expect(await store.findByJobId('job_nope')).toBeNull();
    });

    it('refuses a second lead with the same id', async () => {
      const first = await put({ fingerprints: [] });
      await expect(store.accept({ ...lead({ fingerprints: [] }), id: first.id }, at(T0))).rejects.toThrow(/already exists/);
      expect((await store.counts()).queued).toBe(1);
    });

    it('refuses a record or patch with a bad status or a missing required field, writing nothing', async () => {
      await expect(store.accept(lead({ status: 'received' as LeadStatus }), at(T0))).rejects.toThrow(/status/);
      const { attempts: _omitted, ...noAttempts } = lead();
      await expect(store.accept(noAttempts as LeadRecord, at(T0))).rejects.toThrow(/attempts/);
      expect(await store.list()).toEqual([]);
      const stored = await put();
      await expect(store.update(stored.id, { status: 'done' as LeadStatus })).rejects.toThrow(/status/);
      expect(await store.get(stored.id)).toStrictEqual(stored);
    });
  });

  describe('accept by idempotency key', () => {
    it('returns the first lead and stores nothing while the key window lasts', async () => {
      const first = await put({ idempotency_key: 'k1' });
      for (const now of [T0, T0 + HOUR, T0 + KEY_WINDOW]) {
        // Different id and content: only the key matches.
        const again = await store.accept(lead({ idempotency_key: 'k1', created_at: now }), at(now));
        expect(again).toStrictEqual({ record: first, created: false });
      }
      expect(ids(await store.list())).toEqual([first.id]);
    });

    it('stores a new lead once the window has passed, which then owns the key', async () => {
      const first = await put({ idempotency_key: 'k1' });
      const late = lead({ idempotency_key: 'k1', created_at: T0 + KEY_WINDOW + 1 });
      const outcome = await store.accept(late, at(T0 + KEY_WINDOW + 1));
      expect(outcome).toStrictEqual({ record: late, created: true });
      const repeat = await store.accept(lead({ idempotency_key: 'k1' }), at(T0 + KEY_WINDOW + HOUR));
      expect(repeat).toStrictEqual({ record: late, created: false });
      expect(ids(await store.list())).toEqual([late.id, first.id]);
    });

    it('scopes a key to its site', async () => {
      const oak = await put({ idempotency_key: 'k1' });
      const pine = lead({ idempotency_key: 'k1', site: 'pine-ridge' });
      expect(await store.accept(pine, at(T0))).toStrictEqual({ record: pine, created: true });
      expect((await store.accept(lead({ idempotency_key: 'k1', site: 'pine-ridge' }), at(T0))).record.id).toBe(pine.id);
      expect((await store.accept(lead({ idempotency_key: 'k1' }), at(T0))).record.id).toBe(oak.id);
    });

    it('prefers the key match over a fingerprint match', async () => {
      const byKey = await put({ idempotency_key: 'k1', fingerprints: ['fp-a'] });
      const byContent = await put({ fingerprints: ['fp-b'] });
      const outcome = await store.accept(lead({ idempotency_key: 'k1', fingerprints: ['fp-b'] }), at(T0));
      expect(outcome.record.id).toBe(byKey.id);
      expect(outcome.record.id).not.toBe(byContent.id);
      // An unknown key does not stop the content check.
      const unknownKey = await store.accept(lead({ idempotency_key: 'k2', fingerprints: ['fp-b'] }), at(T0));
      expect(unknownKey).toStrictEqual({ record: byContent, created: false });
    });

    it('stores one lead when many callers send the same key at once, and answers them all with it', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.accept(lead({ idempotency_key: 'k-burst', fingerprints: [`fp-burst-${i}`] }), at(T0))),
      );
      expect(outcomes.filter((o) => o.created)).toHaveLength(1);
      expect(new Set(outcomes.map((o) => o.record.id)).size).toBe(1);
      expect((await store.counts()).queued).toBe(1);
    });
  });

  describe('accept by fingerprint', () => {
    it('matches on each fingerprint within the dedupe window', async () => {
      const first = await put({ fingerprints: ['email-x', 'phone-y'] });
      for (const fingerprints of [['email-x'], ['phone-y'], ['other', 'phone-y'], ['phone-y', 'email-x']]) {
        const outcome = await store.accept(lead({ fingerprints, created_at: T0 + DEDUPE_WINDOW }), at(T0 + DEDUPE_WINDOW));
        expect(outcome).toStrictEqual({ record: first, created: false });
      }
      expect((await store.counts()).queued).toBe(1);
    });

    it('stores a new lead once the dedupe window has passed', async () => {
      await put({ fingerprints: ['email-x', 'phone-y'] });
      const later = lead({ fingerprints: ['phone-y'], created_at: T0 + DEDUPE_WINDOW + 1 });
      expect(await store.accept(later, at(T0 + DEDUPE_WINDOW + 1))).toStrictEqual({ record: later, created: true });
      // The window counts from created_at, not from the last repeat.
      const again = await store.accept(lead({ fingerprints: ['email-x'] }), at(T0 + DEDUPE_WINDOW + 2));
      expect(again.created).toBe(true);
      expect((await store.counts()).queued).toBe(3);
    });

    it('scopes fingerprints to their site', async () => {
      await put({ fingerprints: ['email-x'] });
      const pine = lead({ fingerprints: ['email-x'], site: 'pine-ridge' });
      expect(await store.accept(pine, at(T0))).toStrictEqual({ record: pine, created: true });
    });

    it('stores two leads that share no fingerprint', async () => {
      await put({ fingerprints: ['email-x', 'phone-y'] });
      await put({ fingerprints: ['email-z', 'phone-w'] });
      await put({ fingerprints: [] });
      await put({ fingerprints: [] });
      expect((await store.counts()).queued).toBe(4);
    });

    it('returns the oldest lead when the fingerprints match several', async () => {
      const older = await put({ fingerprints: ['email-x'], created_at: T0 + 2 });
      await put({ fingerprints: ['phone-y'], created_at: T0 + 3 });
      const outcome = await store.accept(lead({ fingerprints: ['phone-y', 'email-x'] }), at(T0 + 4));
      expect(outcome.record.id).toBe(older.id);
    });
  });

  describe('due and nextDueAt', () => {
    it('never hands out a held lead (suspected spam): it is kept and counted apart', async () => {
      const held = await put({ status: 'held', error: 'spam:honeypot', fingerprints: ['fh'] });
      const queued = await put({ fingerprints: ['fq'] });
      expect(ids(await store.due(T0 + 1, 10))).toEqual([queued.id]);
      expect(await store.get(held.id)).toMatchObject({ status: 'held', error: 'spam:honeypot' });
      expect((await store.counts()).held).toBe(1);
      expect(ids(await store.list({ status: 'held' }))).toEqual([held.id]);
    });

    it('breaks ties in the order leads were accepted, not by id (a burst shares milliseconds)', async () => {
      const first = await put({ id: 'ld_zzz', fingerprints: ['fz'] });
      const second = await put({ id: 'ld_mmm', fingerprints: ['fm'] });
      const third = await put({ id: 'ld_aaa', fingerprints: ['fa'] });
      expect(ids(await store.due(T0 + 1, 10))).toEqual([first.id, second.id, third.id]);
    });

    it('lists queued and sent leads due by now, earliest due first, then oldest; never confirmed or failed', async () => {
      expect(await store.due(T0, 10)).toEqual([]);
      expect(await store.nextDueAt()).toBeNull();
      const a = await put({ next_attempt_at: T0 + 30, created_at: T0 + 2 });
      const b = await put({ next_attempt_at: T0 + 10, status: 'sent', job_id: 'job_b' });
      const c = await put({ next_attempt_at: T0 + 30, created_at: T0 + 1 });
      await put({ next_attempt_at: T0 + 5, status: 'confirmed', confirmed_at: T0 });
      await put({ next_attempt_at: T0 + 5, status: 'failed', error: 'bad_request' });
      const future = await put({ next_attempt_at: T0 + 1000 });

      expect(ids(await store.due(T0 + 30, 10))).toEqual([b.id, c.id, a.id]);
      expect(ids(await store.due(T0 + 30, 2))).toEqual([b.id, c.id]);
      expect(ids(await store.due(T0 + 29, 10))).toEqual([b.id]);
      expect(await store.due(T0 + 30, 0)).toEqual([]);
      expect(await store.due(T0 + 30, -1)).toEqual([]); // SQLite would read a negative LIMIT as none
      expect(ids(await store.due(T0 + 30, 1.9))).toEqual([b.id]);
      expect(ids(await store.due(T0 + 30, Infinity))).toEqual([b.id, c.id, a.id]);
      expect(ids(await store.due(T0 + 5000, 10))).toEqual([b.id, c.id, a.id, future.id]);
      expect(await store.nextDueAt()).toBe(T0 + 10);
    });

    it('nextDueAt follows the work as leads move, and is null when none is queued or sent', async () => {
      const a = await put({ next_attempt_at: T0 + 50 });
      const b = await put({ next_attempt_at: T0 + 20 });
      await put({ next_attempt_at: T0 + 1, status: 'failed' });
      expect(await store.nextDueAt()).toBe(T0 + 20);
      await store.update(b.id, { status: 'confirmed', confirmed_at: T0 + 30 });
      expect(await store.nextDueAt()).toBe(T0 + 50);
      await store.update(a.id, { status: 'sent', next_attempt_at: T0 + 70 });
      expect(await store.nextDueAt()).toBe(T0 + 70);
      await store.update(a.id, { status: 'failed' });
      expect(await store.nextDueAt()).toBeNull();
    });
  });

  describe('update', () => {
    it('applies a patch, leaves every other field alone, and returns what get() returns', async () => {
      const stored = (await store.accept(fullRecord(), at(T0))).record;
      const updated = await store.update(stored.id, {
        status: 'confirmed',
        updated_at: T0 + 9,
        checks: 4,
        submission: { first_name: 'A', last_name: 'B', phone_1: '5125550100' },
      });
      expect(updated).toStrictEqual({
        ...fullRecord(),
        status: 'confirmed',
        updated_at: T0 + 9,
        checks: 4,
        submission: { first_name: 'A', last_name: 'B', phone_1: '5125550100' },
      });
      expect(await store.get(stored.id)).toStrictEqual(updated);
    });

    it('clears optional fields patched with undefined; required ones patched with undefined keep their value', async () => {
      await store.accept(fullRecord(), at(T0));
      const cleared = await store.update('ld_full', {
        in_doubt_since: undefined,
        job_id: undefined,
        created_record_id: undefined,
        confirmed_at: undefined,
        error: undefined,
        error_detail: undefined,
        sent_ids: undefined,
        target_lead_id: undefined,
        write_kind: undefined,
        written_at: undefined,
        status: undefined,
        attempts: undefined,
      });
      const {
        in_doubt_since,
        job_id,
        created_record_id,
        confirmed_at,
        error,
        error_detail,
        sent_ids,
        target_lead_id,
        write_kind,
        written_at,
        ...rest
      } = fullRecord();
      void [in_doubt_since, job_id, created_record_id, confirmed_at, error, error_detail, sent_ids, target_lead_id, write_kind, written_at];
      expect(cleared).toStrictEqual(rest);
      expect(await store.get('ld_full')).toStrictEqual(rest);
      expect('job_id' in cleared!).toBe(false);
      expect(await store.findByJobId('job_123')).toBeNull();
    });

    it('with ifStatus, changes the lead only while it is in that status', async () => {
      const stored = await put();
      expect(await store.update(stored.id, { status: 'sent', job_id: 'j1' }, { ifStatus: 'sent' })).toBeNull();
      expect(await store.get(stored.id)).toStrictEqual(stored);
      const sent = await store.update(stored.id, { status: 'sent', job_id: 'j1' }, { ifStatus: 'queued' });
      expect(sent).toStrictEqual({ ...stored, status: 'sent', job_id: 'j1' });
      // A second writer holding the same stale view loses.
      expect(await store.update(stored.id, { status: 'sent', job_id: 'j2' }, { ifStatus: 'queued' })).toBeNull();
      expect((await store.get(stored.id))!.job_id).toBe('j1');
    });

    it('lets exactly one of two concurrent compare-and-sets win', async () => {
      const stored = await put();
      const results = await Promise.all(
        ['j1', 'j2', 'j3'].map((job_id) => store.update(stored.id, { status: 'sent', job_id }, { ifStatus: 'queued' })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('returns null for an unknown lead and creates nothing', async () => {
      expect(await store.update('ld_nope', { status: 'sent' })).toBeNull();
      expect(await store.list()).toEqual([]);
    });

    it('an empty patch changes nothing and returns the lead', async () => {
      const stored = await put();
      expect(await store.update(stored.id, {})).toStrictEqual(stored);
      expect(await store.update(stored.id, {}, { ifStatus: 'failed' })).toBeNull();
    });
  });

  describe('claims naming the attempt they expect', () => {
    it('with ifAttempts, changes the lead only while it has made that many attempts', async () => {
      const stored = await put({ attempts: 2 });
      const claim = { in_doubt_since: T0 + 1, attempts: 3 };
      expect(await store.update(stored.id, claim, { ifStatus: 'queued', ifAttempts: 1 })).toBeNull();
      expect(await store.update(stored.id, claim, { ifStatus: 'sent', ifAttempts: 2 })).toBeNull();
      expect(await store.get(stored.id)).toStrictEqual(stored);
      expect(await store.update(stored.id, claim, { ifStatus: 'queued', ifAttempts: 2 })).toStrictEqual({ ...stored, ...claim });
      // The same claim again (a second deliverer that read attempt 2) loses: still queued, but attempt 3 now.
      expect(await store.update(stored.id, { ...claim, in_doubt_since: T0 + 2 }, { ifStatus: 'queued', ifAttempts: 2 })).toBeNull();
      expect((await store.get(stored.id))!.in_doubt_since).toBe(T0 + 1);
    });

    it('lets exactly one of concurrent claims of the same attempt win', async () => {
      const stored = await put();
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) => store.update(stored.id, { in_doubt_since: T0 + n, attempts: 1 }, { ifStatus: 'queued', ifAttempts: 0 })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await store.get(stored.id))!.attempts).toBe(1);
    });

    it('refuses an attempt count that is not a whole number', async () => {
      const stored = await put();
      await expect(store.update(stored.id, {}, { ifAttempts: 1.5 })).rejects.toThrow(TypeError);
      await expect(store.update(stored.id, {}, { ifAttempts: 'x' as unknown as number })).rejects.toThrow(TypeError);
    });
  });

  describe('leases', () => {
    const TTL = 10_000;
    it('takes a free lease, refuses it to another owner until it lapses, then hands it over', async () => {
      const leased = store as LeasedLeadStore;
      expect(await leased.leaseHolder('deliverer')).toBeNull();
      expect(await leased.acquireLease('deliverer', 'a', T0, TTL)).toEqual({ held: true, state: { owner: 'a', expires_at: T0 + TTL } });
      expect(await leased.acquireLease('deliverer', 'b', T0 + TTL - 1, TTL)).toEqual({
        held: false,
        state: { owner: 'a', expires_at: T0 + TTL },
      });
      // Another lease name is another lease.
      expect((await leased.acquireLease('other', 'b', T0, TTL)).held).toBe(true);
      // Renewal by the holder extends it.
      expect(await leased.acquireLease('deliverer', 'a', T0 + 5_000, TTL)).toEqual({
        held: true,
        state: { owner: 'a', expires_at: T0 + 15_000 },
      });
      expect((await leased.acquireLease('deliverer', 'b', T0 + 14_999, TTL)).held).toBe(false);
      // Lapsed (expiry included): the next owner takes it, and the old one's renewal then fails.
      expect(await leased.acquireLease('deliverer', 'b', T0 + 15_000, TTL)).toEqual({
        held: true,
        state: { owner: 'b', expires_at: T0 + 25_000 },
      });
      expect((await leased.acquireLease('deliverer', 'a', T0 + 15_001, TTL)).held).toBe(false);
      expect(await leased.leaseHolder('deliverer')).toEqual({ owner: 'b', expires_at: T0 + 25_000 });
    });

    it('release frees the lease at once, and only for its holder', async () => {
      const leased = store as LeasedLeadStore;
      await leased.acquireLease('deliverer', 'a', T0, TTL);
      expect(await leased.releaseLease('deliverer', 'b')).toBe(false);
      expect(await leased.releaseLease('deliverer', 'a')).toBe(true);
      expect(await leased.leaseHolder('deliverer')).toBeNull();
      expect((await leased.acquireLease('deliverer', 'b', T0 + 1, TTL)).held).toBe(true);
    });

    it('of owners racing for a lapsed lease, exactly one wins', async () => {
      const leased = store as LeasedLeadStore;
      await leased.acquireLease('deliverer', 'dead', T0, TTL);
      const results = await Promise.all(['a', 'b', 'c'].map((owner) => leased.acquireLease('deliverer', owner, T0 + TTL, TTL)));
      const winners = results.filter((r) => r.held);
      expect(winners).toHaveLength(1);
      expect((await leased.leaseHolder('deliverer'))!.owner).toBe(winners[0]!.state!.owner);
    });

    it('a write fenced with a lease goes through only while its owner holds it unexpired', async () => {
      const leased = store as LeasedLeadStore;
      const stored = await put();
      const fence = (owner: string, now: number) => ({ ifLease: { name: 'deliverer', owner, now } });
      expect(await store.update(stored.id, { checks: 1 }, fence('a', T0))).toBeNull(); // nobody holds it
      await leased.acquireLease('deliverer', 'a', T0, TTL);
      expect(await store.update(stored.id, { checks: 1 }, fence('b', T0))).toBeNull();
      expect((await store.update(stored.id, { checks: 1 }, { ...fence('a', T0 + 1), ifStatus: 'queued', ifAttempts: 0 }))!.checks).toBe(1);
      expect(await store.update(stored.id, { checks: 2 }, fence('a', T0 + TTL))).toBeNull(); // lapsed
      await leased.acquireLease('deliverer', 'b', T0 + TTL, TTL);
      expect(await store.update(stored.id, { checks: 2 }, fence('a', T0 + 1))).toBeNull(); // taken over
      expect((await store.get(stored.id))!.checks).toBe(1);
      await expect(leased.acquireLease('', 'a', T0, TTL)).rejects.toThrow(TypeError);
      await expect(store.update(stored.id, {}, { ifLease: { name: 'deliverer', owner: '', now: T0 } })).rejects.toThrow(TypeError);
    });
  });

  it('findByIdempotencyKey finds the lead of that site with that key created at or after since', async () => {
    const first = await put({ idempotency_key: 'k1', created_at: T0 });
    await put({ idempotency_key: 'k1', site: 'pine-ridge', created_at: T0 + 5 });
    expect(await store.findByIdempotencyKey('oak-grove', 'k1', T0 - HOUR)).toStrictEqual(first);
    expect(await store.findByIdempotencyKey('oak-grove', 'k1', T0)).toStrictEqual(first);
    expect(await store.findByIdempotencyKey('oak-grove', 'k1', T0 + 1)).toBeNull();
    expect(await store.findByIdempotencyKey('oak-grove', 'k2', T0 - HOUR)).toBeNull();
    expect((await store.findByIdempotencyKey('pine-ridge', 'k1', T0))!.site).toBe('pine-ridge');
    // Once the window has moved on, a later lead owns the key.
    const later = await put({ idempotency_key: 'k1', created_at: T0 + KEY_WINDOW + 1 }, T0 + KEY_WINDOW + 1);
    expect(await store.findByIdempotencyKey('oak-grove', 'k1', T0 + 1)).toStrictEqual(later);
  });

  it('findByJobId finds the lead with that job', async () => {
    await put({ status: 'sent', job_id: 'job_a' });
    const b = await put({ status: 'sent', job_id: 'job_b' });
    expect(await store.findByJobId('job_b')).toStrictEqual(b);
    expect(await store.findByJobId('job_c')).toBeNull();
  });

  describe('list and counts', () => {
    it('lists newest first, filtered by status and site, with a limit', async () => {
      const a = await put({ created_at: T0 + 1 });
      const b = await put({ created_at: T0 + 3, status: 'failed', site: 'pine-ridge' });
      const c = await put({ created_at: T0 + 2, status: 'failed' });
      const d = await put({ created_at: T0 + 3 }); // same time as b: higher id first
      expect(ids(await store.list())).toEqual([d.id, b.id, c.id, a.id]);
      expect(ids(await store.list({ status: 'failed' }))).toEqual([b.id, c.id]);
      expect(ids(await store.list({ site: 'oak-grove' }))).toEqual([d.id, c.id, a.id]);
      expect(ids(await store.list({ site: 'oak-grove', status: 'failed' }))).toEqual([c.id]);
      expect(ids(await store.list({ status: 'confirmed' }))).toEqual([]);
      expect(ids(await store.list({ limit: 2 }))).toEqual([d.id, b.id]);
      expect(await store.list({ limit: 0 })).toEqual([]);
      expect(await store.list({ limit: -3 })).toEqual([]);
    });

    it('lists at most 100 by default and at most 1000 when asked for more', async () => {
      for (let i = 0; i < 1005; i++) await store.accept(lead({ fingerprints: [], created_at: T0 + i }), at(T0 + i));
      const page = await store.list();
      expect(page).toHaveLength(100);
      expect(page[0]!.created_at).toBe(T0 + 1004);
      expect(await store.list({ limit: 5000 })).toHaveLength(1000);
      expect(await store.list({ limit: 1000 })).toHaveLength(1000);
    });

    it('counts every status, zero included', async () => {
      expect(await store.counts()).toStrictEqual({ queued: 0, sent: 0, confirmed: 0, failed: 0, held: 0 });
      await put();
      await put();
      await put({ status: 'failed' });
      expect(await store.counts()).toStrictEqual({ queued: 2, sent: 0, confirmed: 0, failed: 1, held: 0 });
    });
  });

  describe('purgeConfirmed', () => {
    it('removes only confirmed leads confirmed before the cutoff', async () => {
      const old = await put({ status: 'confirmed', confirmed_at: T0 + 10, idempotency_key: 'k-old', fingerprints: ['fp-old'] });
      const atCutoff = await put({ status: 'confirmed', confirmed_at: T0 + 100 });
      const recent = await put({ status: 'confirmed', confirmed_at: T0 + 200 });
      const noDate = await put({ status: 'confirmed' });
      const failed = await put({ status: 'failed', confirmed_at: T0 + 1 });
      const queued = await put({ created_at: T0 - HOUR });
      const sent = await put({ status: 'sent', job_id: 'j' });

      expect(await store.purgeConfirmed(T0 + 100)).toBe(1);
      expect(await store.get(old.id)).toBeNull();
      expect(ids(await store.list()).sort()).toEqual([atCutoff, recent, noDate, failed, queued, sent].map((r) => r.id).sort());
      expect(await store.purgeConfirmed(T0 + 100)).toBe(0);
      expect(await store.counts()).toStrictEqual({ queued: 1, sent: 1, confirmed: 3, failed: 1, held: 0 });

      // Its key and fingerprints went with it: the same content is a new lead again.
      const again = await store.accept(lead({ idempotency_key: 'k-old', fingerprints: ['fp-old'] }), at(T0 + 300));
      expect(again.created).toBe(true);
    });
  });

  describe('copies', () => {
    it('a caller mutating a returned record, or the one it passed in, does not change the store', async () => {
      const input = fullRecord();
      const { record } = await store.accept(input, at(T0));
      input.status = 'failed';
      input.submission.first_name = 'Input';
      input.fingerprints.push('fp-input');
      record.status = 'failed';
      record.submission.first_name = 'Returned';
      record.fingerprints.push('fp-returned');

      for (const got of [
        await store.get('ld_full'),
        (await store.list())[0],
        (await store.due(T0 + HOUR, 1))[0],
        await store.findByJobId('job_123'),
      ]) {
        expect(got).toStrictEqual(fullRecord());
        got!.submission.last_name = 'Mutated';
        got!.fingerprints.length = 0;
      }
      const updated = await store.update('ld_full', { attempts: 3 });
      updated!.submission.city = 'Mutated';
      const patch = { submission: { first_name: 'P', last_name: 'Q', email_1: 'p@q.org' } };
      await store.update('ld_full', patch);
      patch.submission.first_name = 'Mutated';
      expect(await store.get('ld_full')).toStrictEqual({
        ...fullRecord(),
        attempts: 3,
        submission: { first_name: 'P', last_name: 'Q', email_1: 'p@q.org' },
      });
      expect((await store.accept(lead({ fingerprints: ['fp-input'] }), at(T0))).created).toBe(true);
    });
  });

  it('refuses every call once closed', async () => {
    const stored = await put();
    await store.close();
    await expect(store.get(stored.id)).rejects.toThrow();
    await expect(store.accept(lead(), at(T0))).rejects.toThrow();
    await expect(store.update(stored.id, { attempts: 1 })).rejects.toThrow();
    await store.close(); // twice is harmless
  });
});

describe('memory lead store', () => {
  it('all() returns copies, oldest first', async () => {
    const store = createMemoryLeadStore();
    await store.accept(lead({ id: 'ld_b', created_at: T0 + 1 }), at(T0));
    await store.accept(lead({ id: 'ld_a', created_at: T0 + 2 }), at(T0));
    const all = store.all();
    expect(ids(all)).toEqual(['ld_b', 'ld_a']);
    all[0]!.submission.first_name = 'Mutated';
    expect(store.all()[0]!.submission.first_name).toBe('Jane');
  });
});

describe('durable object lead store in workerd', () => {
  beforeAll(startStoreWorker);

  const tables = async (store: ReturnType<typeof durableStore>) =>
    (
      (await store.call({ method: '$sql', args: [`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`] })) as {
        name: string;
      }[]
    ).map((row) => row.name);

  it('is bundled for workerd without better-sqlite3 or the Node store', () => {
    const { inputs } = storeWorkerBundle();
    expect(inputs).toEqual(expect.arrayContaining(['relay/outbox/store/durable.ts', 'relay/outbox/store/sql.ts']));
    expect(inputs.filter((input) => /better-sqlite3|relay\/store\/sqlite\.ts|^node:/.test(input))).toEqual([]);
  });

  it("marks its storage in lead_store_meta, has the SQLite file's tables, and purges fingerprints and events with their lead", async () => {
    const store = durableStore();
    await store.accept(lead({ status: 'confirmed', confirmed_at: T0, fingerprints: ['a', 'b'] }), at(T0));
    expect(await store.call({ method: '$sql', args: ['SELECT name, value FROM lead_store_meta ORDER BY name'] })).toEqual([
      { name: 'application_id', value: LEAD_STORE_APPLICATION_ID },
      { name: 'user_version', value: LEAD_STORE_SCHEMA_VERSION },
    ]);
    expect(await tables(store)).toEqual(['lead_events', 'lead_fingerprints', 'lead_store_meta', 'leads', 'outbox_lease']);
    const rows = async (table: string) =>
      (await store.call({ method: '$sql', args: [`SELECT COUNT(*) AS n FROM ${table}`] })) as [{ n: number }];
    expect([await rows('lead_fingerprints'), await rows('lead_events')]).toEqual([[{ n: 2 }], [{ n: 1 }]]);
    expect(await store.purgeConfirmed(T0 + 1)).toBe(1);
    // Foreign keys are on in Durable Object storage: the lead's rows go with it.
    expect([await rows('lead_fingerprints'), await rows('lead_events')]).toEqual([[{ n: 0 }], [{ n: 0 }]]);
  });

  it('keeps every lead when the store is created again on the same storage', async () => {
    const store = durableStore();
    await store.accept(fullRecord(), at(T0));
    const other = lead({ idempotency_key: 'k1', fingerprints: ['fp-x'] });
    await store.accept(other, at(T0));
    await store.call({ method: '$reopen', args: [] });
    expect(await store.get('ld_full')).toStrictEqual(fullRecord());
    expect(await store.accept(lead({ idempotency_key: 'k1' }), at(T0 + HOUR))).toStrictEqual({ record: other, created: false });
    expect(await store.counts()).toStrictEqual({ queued: 1, sent: 1, confirmed: 0, failed: 0, held: 0 });
  });

  it("takes storage that holds only the platform's own tables (the key-value API's _cf_KV)", async () => {
    const store = durableStore();
    await store.call({ method: '$kvPut', args: ['unrelated', 1] });
    expect(await tables(store)).toContain('_cf_KV');
    expect(await store.counts()).toStrictEqual({ queued: 0, sent: 0, confirmed: 0, failed: 0, held: 0 });
  });

  it("refuses storage holding another application's tables, and leaves it as it was", async () => {
    const store = durableStore();
    await store.call({ method: '$sql', args: ['CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)'] });
    await expect(store.counts()).rejects.toThrow(/is a SQLite database of something else, not a lead store .*tables: users/);
    expect(await tables(store)).toEqual(['users']);
  });

  it('refuses a newer schema', async () => {
    const store = durableStore();
    await store.counts();
    await store.call({
      method: '$sql',
      args: [`UPDATE lead_store_meta SET value = ? WHERE name = 'user_version'`, LEAD_STORE_SCHEMA_VERSION + 1],
    });
    await expect(store.call({ method: '$reopen', args: [] })).rejects.toThrow(
      new RegExp(`schema version ${LEAD_STORE_SCHEMA_VERSION + 1}, newer than this relay's ${LEAD_STORE_SCHEMA_VERSION}`),
    );
  });

  it('rolls back the whole accept when a write inside it fails', async () => {
    const store = durableStore();
    await store.counts();
    await store.call({
      method: '$sql',
      args: [
        `CREATE TRIGGER fail_fingerprint BEFORE INSERT ON lead_fingerprints WHEN NEW.fingerprint = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
      ],
    });
    const record = lead({ fingerprints: ['fine', 'boom'] });
    await expect(store.accept(record, at(T0))).rejects.toThrow(/injected failure/);
    expect(await store.get(record.id)).toBeNull();
    expect(await store.call({ method: '$sql', args: ['SELECT COUNT(*) AS n FROM lead_fingerprints'] })).toEqual([{ n: 0 }]);
    expect((await store.accept(lead({ fingerprints: ['fine'] }), at(T0))).created).toBe(true);
  });
});
