/**
 * What only the SQLite lead store has, on real files: every lead survives close and reopen, two
 * processes accepting the same keys and fingerprints at once (one at a time or in group-commit
 * batches) store one lead each, the file carries its schema version (user_version) and application
 * id in WAL mode, and a damaged file, another application's database, a newer schema or a missing
 * directory is refused with a clear error, and an accept that fails halfway leaves nothing.
 * Look-ups by key, fingerprint and job seek their indexes; two processes opening a new file at the
 * same moment both succeed. The behaviour every store shares is in
 * store.test.ts (the Durable Object store's own versions of these checks are there too); group
 * commit itself is in store-sqlite-group.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LEAD_STORE_SQL } from '../../relay/outbox/store/sql.js';
import { SQLITE_APPLICATION_ID, SQLITE_SCHEMA_VERSION, openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import { HOUR, MIN, T0, at, fullRecord, lead } from './support/store-fixtures.js';

/** Takes a file back to schema 5: the columns migration 5 -> 6 adds. */
/** What schema 7 added: each lead's timeline. */
// What schema 8 added (tours); each older schema below is made by dropping what came after it.
const DROP_V8 = 'DROP INDEX leads_tour_of; DROP INDEX leads_tours; ALTER TABLE leads DROP COLUMN tour_start;';
const DROP_V7_TABLE = `${DROP_V8} DROP TABLE lead_events;`;
const DROP_V6_COLUMNS = `${DROP_V7_TABLE} ${['content_hash', 'follows', 'target_lead_id', 'write_kind', 'written_at']
  .map((column) => `ALTER TABLE leads DROP COLUMN ${column};`)
  .join(' ')}`;

describe('sqlite lead store on a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lead-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = () => join(dir, `leads-${++n}.sqlite`);

  it('keeps every lead across close and reopen', async () => {
    const path = file();
    const first = openSqliteLeadStore(path);
    await first.accept(fullRecord(), at(T0));
    const other = lead({ idempotency_key: 'k1', fingerprints: ['fp-x'] });
    await first.accept(other, at(T0));
    await first.update(other.id, { status: 'sent', job_id: 'job_x', in_doubt_since: undefined, attempts: 1 }, { ifStatus: 'queued' });
    await first.close();

    const second = openSqliteLeadStore(path);
    expect(await second.get('ld_full')).toStrictEqual(fullRecord());
    const reopened = { ...other, status: 'sent' as const, job_id: 'job_x', attempts: 1 };
    expect(await second.findByJobId('job_x')).toStrictEqual(reopened);
    expect(await second.accept(lead({ idempotency_key: 'k1' }), at(T0 + HOUR))).toStrictEqual({ record: reopened, created: false });
    expect(await second.accept(lead({ fingerprints: ['fp-x'] }), at(T0 + MIN))).toStrictEqual({ record: reopened, created: false });
    expect(await second.counts()).toStrictEqual({ queued: 0, sent: 2, confirmed: 0, failed: 0, held: 0 });
    await second.close();
  });

  it('brings a version 1 file up to date, keeping its leads', async () => {
    const path = file();
    const first = openSqliteLeadStore(path);
    const kept = lead();
    await first.accept(kept, at(T0));
    await first.close();
    // What a relay of schema version 1 left behind: no lead_source_id column.
    const v1 = new Database(path);
    v1.exec(`${DROP_V7_TABLE} ALTER TABLE leads DROP COLUMN lead_source_id; DROP TABLE outbox_lease`);
    v1.pragma('user_version = 1');
    v1.close();

    const upgraded = openSqliteLeadStore(path);
    expect(await upgraded.get(kept.id)).toEqual(kept);
    const mapped = lead({ lead_source_id: 'lsrc_google' });
    await upgraded.accept(mapped, at(T0));
    expect((await upgraded.get(mapped.id))!.lead_source_id).toBe('lsrc_google');
    await upgraded.close();
    const check = new Database(path);
    expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    check.close();
  });

  it('brings a version 4 file up to date: a lead it holds keeps the lead_source_id chosen at accept, and has no campaign', async () => {
    const path = file();
    const first = openSqliteLeadStore(path);
    const old = lead({ lead_source_id: 'lsrc_google' });
    await first.accept(old, at(T0));
    await first.close();
    // What a relay of schema version 4 left behind: no campaign, no sent_ids.
    const v4 = new Database(path);
    v4.exec(`ALTER TABLE leads DROP COLUMN campaign; ALTER TABLE leads DROP COLUMN sent_ids; ${DROP_V6_COLUMNS}`);
    v4.pragma('user_version = 4');
    v4.close();

    const upgraded = openSqliteLeadStore(path);
    expect(await upgraded.get(old.id)).toStrictEqual(old);
    const fresh = lead({ campaign: 'google', fingerprints: ['fp-fresh'] });
    await upgraded.accept(fresh, at(T0));
    expect((await upgraded.get(fresh.id))!.campaign).toBe('google');
    await upgraded.close();
  });

  it('brings a version 5 file up to date, keeping its leads: a repeat of one is a replay (it has no content hash)', async () => {
    const path = file();
    const first = openSqliteLeadStore(path);
    const old = lead({ campaign: 'google', fingerprints: ['fp-v5'] });
    await first.accept(old, at(T0));
    const sent = lead({ status: 'sent', job_id: 'job_v5', fingerprints: [] });
    await first.accept(sent, at(T0));
    await first.close();
    // What a relay of schema version 5 left behind.
    const v5 = new Database(path);
    v5.exec(DROP_V6_COLUMNS);
    v5.pragma('user_version = 5');
    v5.close();

    const upgraded = openSqliteLeadStore(path);
    expect(await upgraded.get(old.id)).toStrictEqual(old);
    expect(await upgraded.findByJobId('job_v5')).toStrictEqual(sent);
    const repeat = lead({ fingerprints: ['fp-v5'], content_hash: 'ch-new-words' });
    expect(await upgraded.accept(repeat, at(T0 + MIN))).toStrictEqual({ record: old, created: false });
    const patched = await upgraded.update(sent.id, { target_lead_id: 'rec_1', write_kind: 'event' });
    expect(patched).toStrictEqual({ ...sent, target_lead_id: 'rec_1', write_kind: 'event' });
    await upgraded.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    check.close();
  });

  it('brings a version 6 file up to date: its leads keep everything and start with an empty timeline', async () => {
    const path = file();
    const first = openSqliteLeadStore(path);
    const old = lead();
    await first.accept(old, at(T0));
    await first.close();
    const v6 = new Database(path);
    v6.exec(DROP_V7_TABLE);
    v6.pragma('user_version = 6');
    v6.close();

    const upgraded = openSqliteLeadStore(path);
    expect(await upgraded.get(old.id)).toEqual(old);
    expect(await upgraded.history(old.id)).toEqual([]);
    expect(await upgraded.appendEvent(old.id, { at: T0 + 1, type: 'revealed', detail: { by: 'token' } })).toBe(true);
    expect(await upgraded.history(old.id)).toEqual([{ at: T0 + 1, type: 'revealed', detail: { by: 'token' } }]);
    await upgraded.close();
  });

  it('brings a version 7 file up to date: its leads keep everything, and it takes tours', async () => {
    const path = file();
    const first = openSqliteLeadStore(path);
    const old = lead();
    await first.accept(old, at(T0));
    await first.close();
    const v7 = new Database(path);
    v7.exec(DROP_V8);
    v7.pragma('user_version = 7');
    v7.close();

    const upgraded = openSqliteLeadStore(path);
    expect(await upgraded.get(old.id)).toStrictEqual(old);
    const withTour = lead({ fingerprints: ['fp-v7-tour'] });
    const tour = lead({ fingerprints: [], tour_start: T0 + HOUR });
    expect((await upgraded.accept(withTour, at(T0), { record: tour, capacity: 1 })).tour).toStrictEqual({ ...tour, follows: withTour.id });
    expect(await upgraded.tourBookings(withTour.site, T0, T0 + 2 * HOUR)).toEqual([{ start: T0 + HOUR, count: 1, appointment_ids: [] }]);
    await upgraded.close();
  });

  it('marks the file with its schema version and application id, in WAL mode with foreign keys', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    await store.accept(lead({ status: 'confirmed', confirmed_at: T0, fingerprints: ['a', 'b'] }), at(T0));
    const db = new Database(path);
    try {
      expect(SQLITE_SCHEMA_VERSION).toBe(8);
      expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
      expect(db.pragma('application_id', { simple: true })).toBe(SQLITE_APPLICATION_ID);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
      expect(tables).toEqual(['lead_events', 'lead_fingerprints', 'leads', 'outbox_lease']);
      expect(db.prepare('SELECT COUNT(*) FROM lead_fingerprints').pluck().get()).toBe(2);
      // purgeConfirmed takes the fingerprint rows with the lead.
      expect(await store.purgeConfirmed(T0 + 1)).toBe(1);
      expect(db.prepare('SELECT COUNT(*) FROM lead_fingerprints').pluck().get()).toBe(0);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('looks a lead up by key, fingerprint or job through the index for it, not by walking the leads', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => store.accept(lead({ idempotency_key: `key-${i}`, job_id: `job-${i}` }), at(T0 + i))),
    );
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = (sql: string, ...params: unknown[]) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
      // Not leads_site_created: ordered by it, a key that matches nothing walks every lead of the window.
      expect(plan(LEAD_STORE_SQL.byKey, 'oak-grove', 'no-such-key', T0)).toMatch(
        /^SEARCH l USING INDEX leads_site_key \(site=\? AND idempotency_key=\? AND created_at>\?\)/,
      );
      const byContent = plan(LEAD_STORE_SQL.byFingerprint, 'oak-grove', '["fp"]', T0, 'queued', 'content-hash', 'content-hash');
      expect(byContent).toMatch(/USING COVERING INDEX lead_fingerprints_lookup \(site=\? AND fingerprint=\? AND created_at>\?\)/);
      // The few matches (replays and follow-ups alike) by primary key, then sorted: never a walk of the leads.
      expect(byContent).toMatch(/SEARCH l USING INDEX sqlite_autoindex_leads_1 \(id=\?\)/);
      expect(byContent).not.toMatch(/SCAN l\b/);
      expect(plan(LEAD_STORE_SQL.byJob, 'job-1')).toMatch(/^SEARCH leads USING INDEX leads_job \(job_id=\?\)/);
    } finally {
      db.close();
    }
  });

  it('rolls back the whole accept when a write inside it fails', async () => {
    const path = file();
    const store = openSqliteLeadStore(path);
    const db = new Database(path);
    try {
      db.exec(
        `CREATE TRIGGER fail_fingerprint BEFORE INSERT ON lead_fingerprints WHEN NEW.fingerprint = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
      );
      const record = lead({ fingerprints: ['fine', 'boom'] });
      await expect(store.accept(record, at(T0))).rejects.toThrow(/injected failure/);
      expect(await store.get(record.id)).toBeNull();
      expect(db.prepare('SELECT COUNT(*) FROM lead_fingerprints').pluck().get()).toBe(0);
      expect((await store.accept(lead({ fingerprints: ['fine'] }), at(T0))).created).toBe(true);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('refuses a damaged or foreign file with a clear error, and leaves it as it was', async () => {
    const garbage = file();
    writeFileSync(garbage, 'this is not a database '.repeat(200));
    expect(() => openSqliteLeadStore(garbage)).toThrow(/is not a SQLite database \(damaged or another kind of file\)/);

    const foreign = file();
    const other = new Database(foreign);
    other.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)');
    other.close();
    expect(() => openSqliteLeadStore(foreign)).toThrow(/is a SQLite database of something else, not a lead store .*tables: users/);
    const after = new Database(foreign);
    expect(after.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all()).toEqual(['users']);
    expect(after.pragma('application_id', { simple: true })).toBe(0);
    after.close();

    const newer = file();
    await openSqliteLeadStore(newer).close();
    const bump = new Database(newer);
    bump.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    bump.close();
    expect(() => openSqliteLeadStore(newer)).toThrow(
      new RegExp(`schema version ${SQLITE_SCHEMA_VERSION + 1}, newer than this relay's ${SQLITE_SCHEMA_VERSION}`),
    );

    expect(() => openSqliteLeadStore(join(dir, 'missing-dir', 'leads.sqlite'))).toThrow(/cannot open the lead store at/);
  });

  it('two processes racing for a lapsed lease, both stopped between read and write: one wins, one claims', {
    timeout: 60_000,
  }, async () => {
    const child = fileURLToPath(new URL('./support/lease-race-child.ts', import.meta.url));
    const root = fileURLToPath(new URL('../..', import.meta.url));
    for (let round = 0; round < 3; round++) {
      const path = file();
      const seed = openSqliteLeadStore(path);
      const waiting = lead();
      await seed.accept(waiting, at(T0));
      // A holder that died: its lease lapsed at T0 + 1000 (its owner id is random, like every owner's).
      expect((await seed.acquireLease('deliverer', 'dead-owner', T0 - 59_000, 60_000)).held).toBe(true);
      await seed.close();
      const racers = ['a', 'b'].map((owner) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, path, owner, waiting.id, String(T0 + 5_000)], {
          cwd: root,
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        const lines = createInterface({ input: proc.stdout });
        const received: string[] = [];
        const wanted: ((line: string) => void)[] = [];
        lines.on('line', (line) => (wanted.length ? wanted.shift()!(line) : received.push(line)));
        const next = () => new Promise<string>((resolve) => (received.length ? resolve(received.shift()!) : wanted.push(resolve)));
        return { owner, proc, next };
      });
      // Both have read the lapsed lease of the dead owner before either writes.
      expect(await Promise.all(racers.map((r) => r.next()))).toEqual(['READ', 'READ']);
      for (const r of racers) r.proc.stdin.write('GO\n');
      const results = (await Promise.all(racers.map((r) => r.next()))).map(
        (line) => JSON.parse(line.replace(/^RESULT /, '')) as { held: boolean; claimed: boolean },
      );
      for (const r of racers) r.proc.stdin.end();
      expect(results.filter((r) => r.held)).toHaveLength(1);
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      const winner = racers[results.findIndex((r) => r.held)]!;
      expect(results[racers.indexOf(winner)]!.claimed).toBe(true);
      const check = openSqliteLeadStore(path);
      expect(await check.leaseHolder('deliverer')).toEqual({ owner: winner.owner, expires_at: T0 + 65_000 });
      expect((await check.get(waiting.id))!.attempts).toBe(1);
      await check.close();
    }
  });

  it('two processes opening a new file at the same moment both open it', { timeout: 30_000 }, async () => {
    const child = fileURLToPath(new URL('./store-sqlite-open-child.ts', import.meta.url));
    const root = fileURLToPath(new URL('../..', import.meta.url));
    // Six files, two processes each; before the retry most pairs had one fail with "database is locked".
    const files = Array.from({ length: 6 }, () => file());
    const pairs = files.map((path) =>
      [0, 1].map(() => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
        const lines = createInterface({ input: proc.stdout });
        const received: string[] = [];
        const waiting: ((line: string) => void)[] = [];
        lines.on('line', (line) => (waiting.length ? waiting.shift()!(line) : received.push(line)));
        const next = () => new Promise<string>((resolve) => (received.length ? resolve(received.shift()!) : waiting.push(resolve)));
        return { proc, next };
      }),
    );
    expect(await Promise.all(pairs.flat().map((p) => p.next()))).toEqual(pairs.flat().map(() => 'ready'));
    // One pair at a time, so that only its two processes spin and both really run at that moment.
    for (const pair of pairs) {
      const at = Date.now() + 100;
      for (const p of pair) p.proc.stdin.end(`at ${at}\n`);
      expect(await Promise.all(pair.map((p) => p.next()))).toEqual(['opened', 'opened']);
    }
    for (const path of files) {
      const db = new Database(path, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
      db.close();
    }
  });

  // One at a time, and in batches (each child's group commit then writes up to 2 x 10 accepts in one
  // transaction while the other child's batches contend for the same keys and fingerprints).
  it.each([1, 10])(
    'two processes accepting the same keys and fingerprints at once store exactly one lead for each (batch %i)',
    async (batch) => {
      const path = file();
      const count = 150;
      const child = fileURLToPath(new URL('./store-sqlite-child.ts', import.meta.url));
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const run = (name: string) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, path, name, String(count), String(batch)], {
          cwd: root,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stderr = '';
        proc.stderr.on('data', (d) => (stderr += d));
        const lines = createInterface({ input: proc.stdout });
        const received: string[] = [];
        let onLine: (() => void) | undefined;
        lines.on('line', (line) => {
          received.push(line);
          onLine?.();
        });
        const nextLine = () =>
          new Promise<string>((resolve, reject) => {
            const check = () => {
              if (received.length) resolve(received.shift()!);
            };
            onLine = check;
            proc.once('exit', (code) => setTimeout(() => reject(new Error(`child ${name} exited ${code}: ${stderr}`)), 50));
            check();
          });
        return { proc, nextLine };
      };
      const children = [run('a'), run('b')];
      // Both have the file open before either writes, then they start together.
      expect(await Promise.all(children.map((c) => c.nextLine()))).toEqual(['ready', 'ready']);
      for (const c of children) c.proc.stdin.end('go\n');
      type Result = { byKey: { id: string; created: boolean }[]; byFingerprint: { id: string; created: boolean }[] };
      const [a, b] = (await Promise.all(children.map((c) => c.nextLine()))).map((line) => JSON.parse(line) as Result);

      const db = new Database(path, { readonly: true });
      try {
        for (let i = 0; i < count; i++) {
          const keyed = db.prepare('SELECT id FROM leads WHERE idempotency_key = ?').pluck().all(`key-${i}`);
          expect(keyed).toHaveLength(1);
          // Both children were answered with the one stored lead, and exactly one of them created it.
          expect([a!.byKey[i]!.id, b!.byKey[i]!.id]).toEqual([keyed[0], keyed[0]]);
          expect(a!.byKey[i]!.created !== b!.byKey[i]!.created).toBe(true);

          const sharing = db.prepare('SELECT lead_id FROM lead_fingerprints WHERE fingerprint = ?').pluck().all(`phone-${i}`);
          expect(sharing).toHaveLength(1);
          expect([a!.byFingerprint[i]!.id, b!.byFingerprint[i]!.id]).toEqual([sharing[0], sharing[0]]);
          expect(a!.byFingerprint[i]!.created !== b!.byFingerprint[i]!.created).toBe(true);
        }
        expect(db.prepare('SELECT COUNT(*) FROM leads').pluck().get()).toBe(2 * count);
      } finally {
        db.close();
      }
    },
  );
});
