/**
 * Group commit in the SQLite lead store (relay/outbox/store/sqlite.ts): the accepts of one event-loop turn
 * are one transaction, so one sync, and each settles only after that commit. On real files:
 *
 * - commits are counted in the WAL itself (its commit frames: each is one synced commit with
 *   synchronous=FULL), not through a hook of the store's;
 * - every lead is readable by another connection the moment its accept resolves, none before;
 * - a batch answers exactly as the same accepts one after another (keys, fingerprints, windows,
 *   a duplicate id), compared with the SQLite store run sequentially and with the memory store;
 * - one failing lead (a failed insert, a duplicate id) fails alone, rolled back to its savepoint;
 * - a failing COMMIT (a deferred foreign key violated by one lead) or BEGIN (the write lock held
 *   elsewhere) rejects every accept of the batch and stores none of them, and through the relay
 *   every 202 is on disk and every other answer is 503 unavailable;
 * - close() writes what is still queued.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createRelay } from '../../relay/app.js';
import { parseConfig } from '../../relay/config/env.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import type { AcceptWindows, LeadRecord, LeadStore } from '../../relay/outbox/store/types.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, ROOMY_LIMITS, SITES, VALID_LEAD, errorOf, manualClock, testEnv } from './fixtures.js';
import { MIN, T0, at, lead } from './support/store-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lead-store-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `leads-${++n}.sqlite`);

/**
 * Commits in the WAL: frames whose "database size after commit" is set, counted along the chain of
 * frames carrying the header's salt (frames after a reset of the WAL carry an older salt).
 */
function walCommits(path: string): number {
  let wal: Buffer;
  try {
    wal = readFileSync(`${path}-wal`);
  } catch {
    return 0;
  }
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const [salt1, salt2] = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits += 1;
  }
  return commits;
}

/** Ids of leads another connection sees in the file right now. */
function idsOnDisk(path: string): Set<string> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return new Set(db.prepare('SELECT id FROM leads').pluck().all() as string[]);
  } finally {
    db.close();
  }
}

type Settled = { ok: true; created: boolean; id: string } | { ok: false; message: string };
const settle = (p: Promise<{ created: boolean; record: LeadRecord }>): Promise<Settled> =>
  p.then(
    ({ created, record }) => ({ ok: true, created, id: record.id }),
    (error: Error) => ({ ok: false, message: error.message }),
  );

describe('sqlite lead store: group commit', () => {
  it('accepts made in one turn are one commit; accepts awaited one by one are one commit each', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    try {
      const before = walCommits(path);
      const first = await Promise.all(Array.from({ length: 50 }, () => store.accept(lead(), at(T0))));
      expect(first.every((o) => o.created)).toBe(true);
      expect(walCommits(path) - before).toBe(1);

      const second = await Promise.all(Array.from({ length: 30 }, () => store.accept(lead(), at(T0))));
      expect(second.every((o) => o.created)).toBe(true);
      expect(walCommits(path) - before).toBe(2);

      for (let i = 0; i < 5; i++) expect((await store.accept(lead(), at(T0))).created).toBe(true);
      expect(walCommits(path) - before).toBe(7);
      expect(idsOnDisk(path).size).toBe(85);
    } finally {
      await store.close();
    }
  });

  it('a lead is on disk, for another connection, when its accept resolves, and not before', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    try {
      const records = Array.from({ length: 40 }, () => lead({ idempotency_key: crypto.randomUUID() }));
      const seenAtResolve: Set<string>[] = [];
      const pending = records.map((record) =>
        store.accept(record, at(T0)).then((outcome) => {
          // Right away, in another connection: the lead must be there already.
          seenAtResolve.push(idsOnDisk(path));
          return outcome;
        }),
      );
      // Queued, not yet written: another connection sees none of them.
      expect(idsOnDisk(path).size).toBe(0);
      const outcomes = await Promise.all(pending);
      expect(outcomes.map((o) => o.record)).toStrictEqual(records);
      expect(seenAtResolve).toHaveLength(records.length);
      // One commit for all of them: the first to resolve already sees every lead of the batch.
      for (const seen of seenAtResolve) expect(seen).toStrictEqual(new Set(records.map((r) => r.id)));
    } finally {
      await store.close();
    }
  });

  it('a batch answers exactly as the same accepts one after another', async () => {
    // Duplicates of every kind inside one batch, in an order where each depends on those before it.
    const script: [LeadRecord, AcceptWindows][] = [
      [lead({ id: 'ld_a', idempotency_key: 'k1', fingerprints: ['f1'] }), at(T0)],
      [lead({ id: 'ld_b', idempotency_key: 'k1', fingerprints: ['f-b'] }), at(T0)], // key of a
      [lead({ id: 'ld_c', fingerprints: ['f2', 'f1'] }), at(T0)], // fingerprint of a
      [lead({ id: 'ld_d', idempotency_key: 'k2', fingerprints: ['f3'] }), at(T0)],
      [lead({ id: 'ld_d', idempotency_key: 'k-new', fingerprints: ['f-new'] }), at(T0)], // id of d: an error
      [lead({ id: 'ld_e', idempotency_key: 'k2', fingerprints: ['f-e'] }), at(T0)], // key of d
      [lead({ id: 'ld_f', site: 'pine-ridge', idempotency_key: 'k1', fingerprints: ['f1'] }), at(T0)], // other site: new
      [lead({ id: 'ld_g', fingerprints: ['f3'], created_at: T0 + 11 * MIN }), at(T0 + 11 * MIN)], // d's fingerprint, window over
      [lead({ id: 'ld_h', fingerprints: ['f3'] }), at(T0 + 11 * MIN)], // g's fingerprint now
      [lead({ id: 'ld_i', idempotency_key: 'k1', fingerprints: ['f-i'], created_at: T0 + 25 * 60 * MIN }), at(T0 + 25 * 60 * MIN)], // a's key, expired
      [lead({ id: 'ld_j', idempotency_key: 'k1', fingerprints: [], created_at: T0 + 25 * 60 * MIN }), at(T0 + 25 * 60 * MIN)], // i's key
      [lead({ id: 'ld_k', fingerprints: [] }), at(T0)],
      [lead({ id: 'ld_l', fingerprints: [] }), at(T0)], // no key, no fingerprint: new again
    ];

    const batchedPath = file();
    const batched = openSqliteLeadStore(batchedPath);
    const sequential = openSqliteLeadStore(file());
    const memory = createMemoryLeadStore();
    const oneByOne = async (store: LeadStore) => {
      const out: Settled[] = [];
      for (const [record, windows] of script) out.push(await settle(store.accept(record, windows)));
      return out;
    };
    try {
      const commitsBefore = walCommits(batchedPath);
      const inBatch = await Promise.all(script.map(([record, windows]) => settle(batched.accept(record, windows))));
      expect(walCommits(batchedPath) - commitsBefore).toBe(1);

      const expected = await oneByOne(sequential);
      expect(inBatch).toStrictEqual(expected);
      expect(inBatch).toStrictEqual(await oneByOne(memory));
      expect(inBatch).toStrictEqual([
        { ok: true, created: true, id: 'ld_a' },
        { ok: true, created: false, id: 'ld_a' },
        { ok: true, created: false, id: 'ld_a' },
        { ok: true, created: true, id: 'ld_d' },
        { ok: false, message: 'lead store: a lead with this id already exists' },
        { ok: true, created: false, id: 'ld_d' },
        { ok: true, created: true, id: 'ld_f' },
        { ok: true, created: true, id: 'ld_g' },
        { ok: true, created: false, id: 'ld_g' },
        { ok: true, created: true, id: 'ld_i' },
        { ok: true, created: false, id: 'ld_i' },
        { ok: true, created: true, id: 'ld_k' },
        { ok: true, created: true, id: 'ld_l' },
      ]);
      // The same leads stored, field for field.
      expect(await batched.list({ limit: 1000 })).toStrictEqual(await sequential.list({ limit: 1000 }));
      expect(await batched.findByJobId('none')).toBeNull();
      expect((await batched.get('ld_d'))!.idempotency_key).toBe('k2');
    } finally {
      await Promise.all([batched.close(), sequential.close(), memory.close()]);
    }
  });

  it('one lead that fails in a batch fails alone: the others are stored, its partial writes are not', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    const db = new Database(path);
    try {
      // Fails the lead's second fingerprint row, after its lead row and first fingerprint were written.
      db.exec(
        `CREATE TRIGGER fail_fingerprint BEFORE INSERT ON lead_fingerprints WHEN NEW.fingerprint = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
      );
      const good1 = lead({ idempotency_key: 'g1' });
      const bad = lead({ idempotency_key: 'bad-key', fingerprints: ['shared', 'boom'] });
      const sameId = lead({ id: good1.id, fingerprints: ['other'] });
      const invalid = { ...lead(), status: 'lost' } as unknown as LeadRecord;
      // Would match the failed lead by key and by fingerprint, had anything of it remained.
      const afterBadByKey = lead({ idempotency_key: 'bad-key', fingerprints: ['own-1'] });
      const afterBadByFingerprint = lead({ fingerprints: ['shared'] });
      const good2 = lead();

      const commitsBefore = walCommits(path);
      const results = await Promise.all(
        [good1, bad, sameId, invalid, afterBadByKey, afterBadByFingerprint, good2].map((r) => settle(store.accept(r, at(T0)))),
      );
      expect(results).toStrictEqual([
        { ok: true, created: true, id: good1.id },
        { ok: false, message: 'injected failure' },
        { ok: false, message: 'lead store: a lead with this id already exists' },
        { ok: false, message: 'lead store: invalid status' },
        { ok: true, created: true, id: afterBadByKey.id },
        { ok: true, created: true, id: afterBadByFingerprint.id },
        { ok: true, created: true, id: good2.id },
      ]);
      expect(walCommits(path) - commitsBefore).toBe(1);
      expect(idsOnDisk(path)).toStrictEqual(new Set([good1.id, afterBadByKey.id, afterBadByFingerprint.id, good2.id]));
      expect(db.prepare(`SELECT COUNT(*) FROM lead_fingerprints WHERE lead_id = ?`).pluck().get(bad.id)).toBe(0);
      expect(db.prepare(`SELECT lead_id FROM lead_fingerprints WHERE fingerprint = 'shared'`).pluck().all()).toEqual([
        afterBadByFingerprint.id,
      ]);
      expect(await store.get(good1.id)).toStrictEqual(good1);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('a commit that fails rejects every accept of its batch and stores none of them', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    const db = new Database(path);
    try {
      // A deferred foreign key that one lead violates: SQLite finds it only at COMMIT, which fails.
      db.exec(`CREATE TABLE trap (lead_id TEXT REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED);
               CREATE TRIGGER spring_trap AFTER INSERT ON leads WHEN NEW.id = 'ld_trap' BEGIN INSERT INTO trap VALUES ('ld_nowhere'); END`);
      const innocent = Array.from({ length: 6 }, (_, i) => lead({ idempotency_key: `innocent-${i}` }));
      const batch = [...innocent.slice(0, 3), lead({ id: 'ld_trap' }), ...innocent.slice(3)];
      const commitsBefore = walCommits(path);
      const results = await Promise.all(batch.map((r) => settle(store.accept(r, at(T0)))));
      expect(results).toStrictEqual(batch.map(() => ({ ok: false, message: 'FOREIGN KEY constraint failed' })));
      expect(walCommits(path)).toBe(commitsBefore);
      expect(idsOnDisk(path).size).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM trap').pluck().get()).toBe(0);

      // Nothing of them remained, not even for the duplicate checks, and the store goes on.
      const again = await Promise.all(innocent.map((r) => store.accept(r, at(T0))));
      expect(again.map((o) => [o.created, o.record.id])).toStrictEqual(innocent.map((r) => [true, r.id]));
      expect(idsOnDisk(path)).toStrictEqual(new Set(innocent.map((r) => r.id)));
    } finally {
      db.close();
      await store.close();
    }
  });

  it('a batch that cannot take the write lock rejects every accept of it', async () => {
    const path = file();
    const store = openSqliteLeadStore(path, { busyTimeoutMs: 50 });
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      const batch = Array.from({ length: 4 }, () => lead());
      const results = await Promise.all(batch.map((r) => settle(store.accept(r, at(T0)))));
      expect(results).toStrictEqual(batch.map(() => ({ ok: false, message: 'database is locked' })));
      other.exec('ROLLBACK');
      expect((await Promise.all(batch.map((r) => store.accept(r, at(T0))))).every((o) => o.created)).toBe(true);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('close() writes the accepts still queued, and they resolve', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    const records = Array.from({ length: 3 }, () => lead());
    const pending = records.map((r) => store.accept(r, at(T0)));
    await store.close();
    expect((await Promise.all(pending)).map((o) => o.created)).toEqual([true, true, true]);
    expect(idsOnDisk(path)).toStrictEqual(new Set(records.map((r) => r.id)));
    await expect(store.accept(lead(), at(T0))).rejects.toThrow(/closed/);
  });

  it('through the relay: a 202 only for a lead on disk; a failed commit answers 503 to its whole batch', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    const db = new Database(path);
    const sites = { ...SITES, 'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS } };
    let ip = 0;
    const app = createRelay({
      config: parseConfig(testEnv({ SITES_JSON: JSON.stringify(sites) })),
      clock: manualClock(),
      limiter: createMemoryLimiter(),
      store,
      logger: createLogger({ sink: checkedSink() }),
      getClientIp: () => `198.51.100.${++ip}`,
    });
    const post = (i: number, notes: string) =>
      app.request('/v1/sites/oak-grove/leads', {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ ...VALID_LEAD, email_1: `prospect${i}@gmail.com`, phone_1: `512555${String(1000 + i)}`, notes }),
      });
    try {
      db.exec(`CREATE TABLE trap (lead_id TEXT REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED);
               CREATE TRIGGER spring_trap AFTER INSERT ON leads WHEN json_extract(NEW.submission, '$.notes') = 'trap'
               BEGIN INSERT INTO trap VALUES ('ld_nowhere'); END`);
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => post(i, i === 11 ? 'trap' : `lead ${i}`)));
      const accepted = new Set<string>();
      let unavailable = 0;
      for (const res of answers) {
        if (res.status === 202) accepted.add(((await res.json()) as { id: string }).id);
        else {
          expect(res.status).toBe(503);
          expect((await errorOf(res)).code).toBe('unavailable');
          unavailable += 1;
        }
      }
      expect(answers[11]!.status).toBe(503);
      expect(accepted.size + unavailable).toBe(24);
      // Every 202 is a lead on disk, and nothing is on disk that was not answered 202.
      expect(idsOnDisk(path)).toStrictEqual(accepted);
    } finally {
      db.close();
      await store.close();
    }
  });
});
