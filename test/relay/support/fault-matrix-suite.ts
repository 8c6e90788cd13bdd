/** The leads' fault matrix as a suite any file registers for the outboxes it runs (see fault-matrix.test.ts). */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../../sandbox/index.js';
import {
  ANSWER_TIMEOUT_MS,
  CASES,
  CASE_DEADLINE_MS,
  CREATE_PATH,
  READ_BACK_MODES,
  UPSTREAM_TIMEOUT_MS,
  contactOf,
  faultWaves,
  lead,
  pool,
  startReadBackSandboxes,
  wavesFor,
  type FaultCase,
  type ReadBack,
} from './fault-cases.js';
import { ORIGIN, SITE, type MatrixRelay, type MatrixStore } from './matrix-stores.js';

/**
 * Issue 3's Fault matrix on these outboxes (test/relay/fault-matrix.test.ts says what it proves):
 * registers its sandboxes and, per store, a case per fault kind and read-back mode.
 */
export function faultMatrix(stores: MatrixStore[]): void {
  let sandboxes = {} as Record<ReadBack, RunningSandbox>;
  /** Called each time the sandbox has received a lead (its log line): the fault waves are queued from here. */
  let onLeadReceived = () => {};
  let relay: MatrixRelay | undefined;

  beforeAll(async () => {
    sandboxes = await startReadBackSandboxes(() => onLeadReceived());
  });
  afterAll(async () => {
    await Promise.all(Object.values(sandboxes).map((s) => s.close()));
  });

  async function runCase(store: MatrixStore, mode: ReadBack, fc: FaultCase): Promise<void> {
    const sandbox = sandboxes[mode];
    const LEADS = store.leads;
    const waves = wavesFor(LEADS);
    const tag = fc.kind.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'x';
    // Waves of faults on the create path, queued as the sandbox's received count passes each mark.
    const faults = faultWaves(sandbox, fc, waves, CREATE_PATH, () => sandbox.leads().length);
    onLeadReceived = faults.check;
    onLeadReceived(); // the first creates of the burst fail
    relay = await store.start(sandbox.url, fc.holds ? UPSTREAM_TIMEOUT_MS : ANSWER_TIMEOUT_MS);
    const r = relay;

    const leads = Array.from({ length: LEADS }, (_, i) => lead(tag, i));
    const answers = await pool(leads, 25, async (body, i) => {
      const headers: Record<string, string> = { origin: ORIGIN, 'content-type': 'application/json' };
      if (i % 2 === 0) headers['idempotency-key'] = `fault-${tag}-${i}-key`;
      const res = await fetch(`${r.url}/v1/sites/${SITE}/leads`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: (await res.json()) as { id?: string; status?: string } };
    });
    expect(answers.map((a) => a.status)).toEqual(Array(LEADS).fill(202));
    const ids = answers.map((a) => a.body.id!);
    expect(new Set(ids).size).toBe(LEADS);

    await expect
      .poll(
        async () => {
          const c = await r.counts();
          return c.confirmed + c.failed;
        },
        { timeout: CASE_DEADLINE_MS, interval: 50, message: 'every lead confirmed or failed' },
      )
      .toBeGreaterThanOrEqual(LEADS)
      .catch(() => {}); // the counts below say what was left
    const counts = await r.counts();

    // Exactly one lead per prospect in the sandbox: none created twice, none lost.
    const stored = sandbox.leads();
    const byContact = new Map<string, typeof stored>();
    for (const l of stored) byContact.set(contactOf(l.body), [...(byContact.get(contactOf(l.body)) ?? []), l]);
    const doubled = [...byContact].filter(([, ls]) => ls.length > 1).map(([c, ls]) => `${c} x${ls.length}`);
    expect(doubled, 'prospects created more than once').toEqual([]);
    expect(counts, `relay outbox counts after up to ${CASE_DEADLINE_MS / 1000} s`).toEqual({
      queued: 0,
      sent: 0,
      confirmed: LEADS,
      failed: 0,
      held: 0,
    });
    expect(stored).toHaveLength(LEADS);
    expect([...byContact.keys()].sort()).toEqual(leads.map((l) => contactOf(l)).sort());
    expect(stored.every((l) => l.write_status === 'SUCCESS')).toBe(true);

    // The relay kept Propexo's id of the very lead the sandbox created for each prospect; without
    // read-back, no id at all (never another record's).
    const records = await r.list();
    expect(records).toHaveLength(LEADS);
    expect(records.map((x) => x.id).sort()).toEqual([...ids].sort());
    const expectedId = (rec: (typeof records)[number]) =>
      mode === 'immediate' ? byContact.get(contactOf(rec.submission))?.[0]?.created_record_id : undefined;
    const mismatched = records
      .filter((rec) => (mode === 'immediate' && rec.created_record_id === undefined) || rec.created_record_id !== expectedId(rec))
      .map((rec) => `${rec.id} (${rec.status}, relay ${rec.created_record_id}, attempts ${rec.attempts})`);
    expect(mismatched, 'leads whose created_record_id differs from the sandbox').toEqual([]);

    // The faults fired: every wave was queued and used up, and the relay saw each failure.
    expect(faults.queued()).toBe(waves.at.length);
    expect(await (await sandbox.app.request('/__sandbox/faults')).json()).toEqual([]);
    const logs = r.logs();
    const seen = logs.filter((l) => l.event === fc.event && fc.reason.test(l.reason ?? ''));
    expect(seen.length, `${fc.event} ${fc.reason} warnings`).toBeGreaterThanOrEqual(waves.total);
    // And the relay took the path the fault calls for: a create Propexo stored was found (its job in
    // the write logs, or the lead by the search), never sent again; one it never handled was looked
    // for first, then sent again; a 429 is retried as is (Propexo certainly did nothing).
    const count = (event: string, how?: string) => logs.filter((l) => l.event === event && (how === undefined || l.how === how)).length;
    if (fc.outcome === 'found')
      expect(
        count('lead.confirmed', 'found_after_doubt') + count('lead.found_in_write_logs'),
        'leads found after doubt',
      ).toBeGreaterThanOrEqual(waves.total);
    if (fc.outcome === 'resent')
      expect(count('lead.resending_after_search'), 'leads re-sent after a search').toBeGreaterThanOrEqual(waves.total);
    // One confirmation per lead, logged once: a lead confirmed twice was handled by two tasks at once
    // (one of them from a stale read of the outbox), which the claims make harmless only for creates.
    const confirmations = new Map<string, string[]>();
    for (const l of logs.filter((x) => x.event === 'lead.confirmed'))
      confirmations.set(l.lead_id!, [...(confirmations.get(l.lead_id!) ?? []), l.how ?? '?']);
    const twice = [...confirmations].filter(([, hows]) => hows.length > 1).map(([id, hows]) => `${id}: ${hows.join(', ')}`);
    expect(twice, 'leads confirmed more than once').toEqual([]);
    expect(confirmations.size).toBe(LEADS);
    expect(logs.filter((l) => l.event === 'lead.dead_letter' || l.event === 'deliverer.error')).toEqual([]);
  }

  describe.each(stores)('fault matrix on the $name outbox', (store) => {
    beforeAll(() => store.setup(), 60_000);
    afterEach(async () => {
      onLeadReceived = () => {};
      await relay?.close();
      relay = undefined;
      for (const sandbox of Object.values(sandboxes)) sandbox.reset();
    });
    afterAll(() => store.teardown(), 30_000);

    describe.each(READ_BACK_MODES)(`%s read-back: ${store.leads} leads per fault, each confirmed exactly once`, (mode) => {
      it.each(CASES)('$name', { timeout: CASE_DEADLINE_MS + 20_000 }, (fc) => runCase(store, mode, fc));
    });
  });
}
