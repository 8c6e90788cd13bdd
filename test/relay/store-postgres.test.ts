/**
 * What only the PostgreSQL lead store has: several instances (each its own pool) on one database.
 * Accepts of the same key or content from many instances at once store one lead (and new words one
 * follow-up); two instances held between reading a lapsed lease and writing it get it once; a claim
 * skips a row another transaction holds (FOR UPDATE SKIP LOCKED) instead of waiting; older schemas
 * are brought up to date, keeping their leads; a database of something else, or of a newer schema,
 * is refused. The behaviour every store shares is in store.test.ts and store-followups.test.ts.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresLeadStore } from '../../relay/outbox/store/postgres.js';
import { POSTGRES_SCHEMA_VERSION } from '../../relay/outbox/store/postgres-schema.js';
import type { LeasedLeadStore } from '../../relay/outbox/store/types.js';
import { T0, at, lead } from './support/store-fixtures.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/** Takes a database back to schema 2: the columns migration 2 -> 3 adds (an ALTER TABLE's actions). */
// Schema 5's tour_start goes with them (and its indexes with it): each older schema is made by dropping what came after.
const DROP_V3_COLUMNS = ['tour_start', 'content_hash', 'follows', 'target_lead_id', 'write_kind', 'written_at']
  .map((c) => `DROP COLUMN ${c}`)
  .join(', ');

let postgres: TestPostgres;
const opened: LeasedLeadStore[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await postgres?.stop();
});

async function instances(n: number, options: Parameters<typeof openPostgresLeadStore>[1][] = []) {
  const url = await postgres.createDatabase();
  const stores: LeasedLeadStore[] = [];
  for (let i = 0; i < n; i++) stores.push(await openPostgresLeadStore(url, { poolSize: 4, ...options[i] }));
  opened.push(...stores);
  return { url, stores };
}

describe('postgres lead store, several instances on one database', () => {
  it('the same Idempotency-Key or the same prospect accepted by three instances at once is one lead', async () => {
    const { stores } = await instances(3);
    const byKey = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 3]!.accept(lead({ idempotency_key: 'fill-same' }), at(T0 + i))),
    );
    expect(byKey.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(byKey.map((o) => o.record.id)).size).toBe(1);
    const byContent = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 3]!.accept(lead({ fingerprints: ['fp-same-person', `fp-${i}`] }), at(T0 + i))),
    );
    expect(byContent.filter((o) => o.created)).toHaveLength(1);
    expect((await stores[0]!.counts()).queued).toBe(2);
  });

  it('new words from the same prospect accepted by three instances at once are one follow-up, replayed to the rest', async () => {
    const { stores } = await instances(3);
    const first = (await stores[0]!.accept(lead({ fingerprints: ['fp-returning'], content_hash: 'h1' }), at(T0))).record;
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % 3]!.accept(lead({ fingerprints: ['fp-returning', `fp-${i}`], content_hash: 'h2' }), at(T0 + 1 + i)),
      ),
    );
    const created = outcomes.filter((o) => o.created);
    expect(created).toHaveLength(1);
    expect(created[0]!.record.follows).toBe(first.id);
    expect(new Set(outcomes.map((o) => o.record.id))).toEqual(new Set([created[0]!.record.id]));
  });

  it('two instances held between reading a lapsed lease and writing it: one gets it', async () => {
    // Each race holds both instances between their read and their write until both have read.
    let gate = Promise.resolve();
    let readers = 0;
    const hold = async () => {
      readers += 1;
      await gate;
    };
    const race = async (owners: [string, string], now: number) => {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      readers = 0;
      const racing = owners.map((owner, i) => stores[i]!.acquireLease('deliverer', owner, now, 60_000));
      await expect.poll(() => readers).toBe(2);
      release();
      return Promise.all(racing);
    };
    const { stores } = await instances(2, [{ beforeLeaseWrite: hold }, { beforeLeaseWrite: hold }]);
    // A free lease first (the insert)...
    expect((await race(['a', 'b'], T0)).filter((r) => r.held)).toHaveLength(1);
    // ...then a lapsed one (the compare-and-set on the row both read).
    expect((await race(['c', 'd'], T0 + 120_000)).filter((r) => r.held)).toHaveLength(1);
    const holder = (await stores[0]!.leaseHolder('deliverer'))!.owner;
    expect(['c', 'd']).toContain(holder);
  });

  it('a claim skips a lead another transaction holds, at once, instead of waiting for it', async () => {
    const { url, stores } = await instances(1);
    const store = stores[0]!;
    const stored = (await store.accept(lead(), at(T0))).record;
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM leads WHERE id = $1 FOR UPDATE', [stored.id]);
      const started = Date.now();
      expect(await store.update(stored.id, { attempts: 1, in_doubt_since: T0 }, { ifStatus: 'queued', ifAttempts: 0 })).toBeNull();
      expect(Date.now() - started).toBeLessThan(1_000);
      await other.query('ROLLBACK');
      expect((await store.update(stored.id, { attempts: 1, in_doubt_since: T0 }, { ifStatus: 'queued', ifAttempts: 0 }))!.attempts).toBe(1);
    } finally {
      await other.end();
    }
  });

  it('brings a schema 1 database up to date: a lead it holds keeps the lead_source_id chosen at accept, and has no campaign', async () => {
    const url = await postgres.createDatabase();
    const first = await openPostgresLeadStore(url);
    const old = lead({ lead_source_id: 'lsrc_google' });
    await first.accept(old, at(T0));
    await first.close();
    // What a relay of schema version 1 left behind: no campaign, no sent_ids.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP TABLE lead_events; ALTER TABLE leads DROP COLUMN campaign, DROP COLUMN sent_ids, ${DROP_V3_COLUMNS}`);
    await client.query(`UPDATE lead_store_meta SET value = 1 WHERE name = 'user_version'`);
    const upgraded = await openPostgresLeadStore(url);
    opened.push(upgraded);
    expect(await upgraded.get(old.id)).toStrictEqual(old);
    const fresh = lead({ campaign: 'google', fingerprints: ['fp-fresh'] });
    await upgraded.accept(fresh, at(T0));
    expect((await upgraded.get(fresh.id))!.campaign).toBe('google');
    expect((await client.query(`SELECT value FROM lead_store_meta WHERE name = 'user_version'`)).rows[0].value).toBe(
      POSTGRES_SCHEMA_VERSION,
    );
    await client.end();
  });

  it('brings a schema 2 database up to date, keeping its leads: a repeat of one is a replay (it has no content hash)', async () => {
    const url = await postgres.createDatabase();
    const first = await openPostgresLeadStore(url);
    const old = lead({ campaign: 'google', fingerprints: ['fp-v2'] });
    await first.accept(old, at(T0));
    const sent = lead({ status: 'sent', job_id: 'job_v2', fingerprints: [] });
    await first.accept(sent, at(T0));
    await first.close();
    // What a relay of schema version 2 left behind.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP TABLE lead_events; ALTER TABLE leads ${DROP_V3_COLUMNS}`);
    await client.query(`UPDATE lead_store_meta SET value = 2 WHERE name = 'user_version'`);
    const upgraded = await openPostgresLeadStore(url);
    opened.push(upgraded);
    expect(POSTGRES_SCHEMA_VERSION).toBe(5);
    expect((await client.query(`SELECT value FROM lead_store_meta WHERE name = 'user_version'`)).rows[0].value).toBe(5);
    await client.end();
    expect(await upgraded.get(old.id)).toStrictEqual(old);
    expect(await upgraded.findByJobId('job_v2')).toStrictEqual(sent);
    const repeat = lead({ fingerprints: ['fp-v2'], content_hash: 'ch-new-words' });
    expect(await upgraded.accept(repeat, at(T0 + 60_000))).toStrictEqual({ record: old, created: false });
    const patched = await upgraded.update(sent.id, { target_lead_id: 'rec_1', write_kind: 'event' });
    expect(patched).toStrictEqual({ ...sent, target_lead_id: 'rec_1', write_kind: 'event' });
  });

  it("refuses a database holding another application's tables, and a newer schema", async () => {
    const url = await postgres.createDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE invoices (id int)');
    await expect(openPostgresLeadStore(url)).rejects.toThrow(/not a lead store.*invoices/);
    await client.query('DROP TABLE invoices');
    const store = await openPostgresLeadStore(url);
    await store.close();
    await client.query(`UPDATE lead_store_meta SET value = 99 WHERE name = 'user_version'`);
    await client.end();
    await expect(openPostgresLeadStore(url)).rejects.toThrow(/schema version 99, newer than this relay's/);
    // The password of the URL never shows in the error.
    await expect(openPostgresLeadStore(`postgres://postgres:hunter2-secret@127.0.0.1:${postgres.port}/nope`)).rejects.toThrow(
      /^(?!.*hunter2-secret).*cannot open the lead store at postgres:\/\/postgres:\*\*\*@/s,
    );
  });
});
