/**
 * One of two processes racing for the delivery lease of one SQLite outbox (store-lease-race in
 * node-lease.test.ts). Between reading the lapsed lease and writing its compare-and-set it prints
 * `READ` and waits for `GO` on stdin, so the parent can hold both processes inside the race at once.
 * Then, holder or not, it tries to claim the lead LEAD_ID under the lease (as a deliverer about to
 * POST would) and prints `RESULT {"held":…,"claimed":…}`.
 * Run: node --import tsx test/relay/support/lease-race-child.ts <file> <owner> <lead id> <now>
 */
import { createInterface } from 'node:readline';
import { DELIVERY_LEASE } from '../../../relay/outbox/delivery/lease.js';
import { openSqliteLeadStore } from '../../../relay/outbox/store/sqlite.js';

const [file, owner, leadId, nowText] = process.argv.slice(2) as [string, string, string, string];
const now = Number(nowText);
const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.on('line', (line) => line.trim() === 'GO' && resolve()));

const store = openSqliteLeadStore(file, {
  beforeLeaseWrite: async () => {
    process.stdout.write('READ\n');
    await go;
  },
});
const { held } = await store.acquireLease(DELIVERY_LEASE, owner, now, 60_000);
const lead = (await store.get(leadId))!;
const claimed = await store.update(
  leadId,
  { in_doubt_since: now, attempts: lead.attempts + 1, updated_at: now },
  { ifStatus: 'queued', ifAttempts: lead.attempts, ifLease: { name: DELIVERY_LEASE, owner, now } },
);
process.stdout.write(`RESULT ${JSON.stringify({ held, claimed: claimed !== null })}\n`);
await store.close();
lines.close();
