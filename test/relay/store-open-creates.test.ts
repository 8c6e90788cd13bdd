/**
 * The two questions confirmation rounds ask the lead store: which leads could own a Propexo record
 * (openCreates) and which record ids a lead already holds (heldRecordIds). Both must be exact at
 * any size: no limit, unlike list(). Memory and SQLite (the Durable Object runs sql.ts too).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { LEAD_STORE_SQL } from '../../relay/outbox/store/sql.js';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import type { LeadRecord, LeadStore } from '../../relay/outbox/store/types.js';
import { T0, at, ids, lead } from './support/store-fixtures.js';

describe.each([
  ['memory', () => createMemoryLeadStore()],
  ['sqlite', () => openSqliteLeadStore(':memory:')],
] as [string, () => LeadStore][])('%s lead store', (_name, open) => {
  let store: LeadStore;
  beforeEach(() => {
    store = open();
  });
  afterEach(async () => {
    await store.close();
  });
  const put = async (extra: Partial<LeadRecord>) => (await store.accept(lead(extra), at(T0))).record;

  it('openCreates: every sent lead and every queued lead in doubt of the sites asked, newest first, past 1,000', async () => {
    const sent = [];
    for (let i = 0; i < 1_005; i++) sent.push(await put({ status: 'sent', job_id: `job-${i}`, created_at: T0 + i }));
    const inDoubt = await put({ status: 'queued', in_doubt_since: 0, created_at: T0 - 1 });
    await put({ status: 'queued', created_at: T0 + 5_000 }); // never posted
    await put({ status: 'confirmed', created_record_id: 'rec_1' });
    await put({ status: 'failed', in_doubt_since: T0 });
    await put({ status: 'held' });
    const pine = await put({ status: 'sent', site: 'pine-ridge', job_id: 'job-pine' });

    const open = await store.openCreates(['oak-grove']);
    expect(ids(open)).toEqual([...ids(sent).reverse(), inDoubt.id]);
    expect(ids(await store.openCreates(['oak-grove', 'pine-ridge']))).toContain(pine.id);
    expect(await store.openCreates([])).toEqual([]);
  });

  it('heldRecordIds: the record ids some lead holds, among those asked, however old the lead', async () => {
    await put({ status: 'confirmed', created_record_id: 'rec_oldest', created_at: T0 - 1_000_000 });
    for (let i = 0; i < 1_005; i++) await put({ status: 'confirmed', created_record_id: `rec_${i}`, created_at: T0 + i });
    await put({ status: 'confirmed', site: 'pine-ridge', created_record_id: 'rec_pine' });
    expect((await store.heldRecordIds(['rec_oldest', 'rec_pine', 'rec_1004', 'rec_nobody'])).sort()).toEqual([
      'rec_1004',
      'rec_oldest',
      'rec_pine',
    ]);
    expect(await store.heldRecordIds([])).toEqual([]);
  });
});

describe('sqlite openCreates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'open-creates-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the two status ranges through an index on status, not every lead of the site', async () => {
    const path = join(dir, 'plan.sqlite');
    const store = openSqliteLeadStore(path);
    await store.accept(lead({ status: 'sent', job_id: 'job-1' }), at(T0));
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${LEAD_STORE_SQL.openCreates}`).all('["oak-grove"]', '["oak-grove"]') as { detail: string }[]
      )
        .map((r) => r.detail)
        .join(' | ');
      expect(plan.match(/SEARCH leads USING INDEX leads_(due|status_confirmed) \(status=\?\)/g)).toHaveLength(2);
      expect(plan).not.toMatch(/leads_site_created/);
    } finally {
      db.close();
    }
  });
});
