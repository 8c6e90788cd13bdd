/**
 * The two questions the alerts' outbox watch asks the lead store (relay/alerts/watch.ts): the
 * backlog (the queued lead that has waited longest, and how many have waited past a time) and the
 * held leads since a time, by site and reason. The same answers from memory, SQLite (whose queries
 * the Durable Object runs too) and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { openPostgresLeadStore } from '../../relay/outbox/store/postgres.js';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import type { LeadRecord, LeadStore } from '../../relay/outbox/store/types.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';
import { MIN, T0, at, lead } from './support/store-fixtures.js';

let postgres: TestPostgres | undefined;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

describe.each([
  ['memory', async () => createMemoryLeadStore()],
  ['sqlite', async () => openSqliteLeadStore(':memory:')],
  ['postgres', async () => openPostgresLeadStore(await postgres!.createDatabase(), { poolSize: 2 })],
] as [string, () => Promise<LeadStore>][])('%s lead store', (_name, open) => {
  const put = (store: LeadStore, extra: Partial<LeadRecord>) => store.accept(lead(extra), at(T0));

  it('backlog: the queued lead waiting longest (by age_from: a retry starts it afresh) and how many waited past a time', async () => {
    const store = await open();
    expect(await store.backlog(T0)).toEqual({ oldest: null, waiting: 0 });
    await put(store, { status: 'sent', age_from: T0 - 60 * MIN }); // sent: Propexo has it, not a backlog
    await put(store, { status: 'failed', age_from: T0 - 60 * MIN });
    await put(store, { status: 'held', age_from: T0 - 60 * MIN });
    const retried = (await put(store, { status: 'queued', created_at: T0 - 90 * MIN, age_from: T0 - 12 * MIN })).record;
    await put(store, { status: 'queued', site: 'pine-ridge', age_from: T0 - 11 * MIN });
    await put(store, { status: 'queued', age_from: T0 - MIN });
    expect(await store.backlog(T0 - 10 * MIN)).toEqual({
      oldest: { id: retried.id, site: 'oak-grove', waiting_since: T0 - 12 * MIN },
      waiting: 2,
    });
    expect((await store.backlog(T0 - 30 * MIN)).waiting).toBe(0);
    await store.close();
  });

  it('heldSince: held leads created since a time, counted by site and reason; released or older ones are not', async () => {
    const store = await open();
    expect(await store.heldSince(T0)).toEqual([]);
    for (let i = 0; i < 3; i++) await put(store, { status: 'held', error: 'spam:honeypot', created_at: T0 + i });
    await put(store, { status: 'held', error: 'over_site_limit', created_at: T0 + 5 });
    await put(store, { status: 'held', error: 'spam:honeypot', site: 'pine-ridge', created_at: T0 + 6 });
    await put(store, { status: 'held', error: 'spam:honeypot', created_at: T0 - 1 }); // before the window
    await put(store, { status: 'queued', created_at: T0 + 7 }); // a released lead is queued, not held
    expect(await store.heldSince(T0)).toEqual([
      { site: 'oak-grove', reason: 'over_site_limit', count: 1 },
      { site: 'oak-grove', reason: 'spam:honeypot', count: 3 },
      { site: 'pine-ridge', reason: 'spam:honeypot', count: 1 },
    ]);
    await store.close();
  });
});
