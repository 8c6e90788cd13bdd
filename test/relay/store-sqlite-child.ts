/**
 * A child process for the two-process test in store-sqlite.test.ts (not a test itself): opens the
 * lead store at argv[2], says "ready", waits for "go" on stdin, then accepts `count` leads by
 * idempotency key and `count` by fingerprint, all meant to collide with the other child's, and
 * prints what each accept returned as one JSON line. With a batch size above 1, that many i's are
 * accepted at once (all their accepts in one event-loop turn, so one group commit), else one at a time.
 *
 * Usage: node --import tsx test/relay/store-sqlite-child.ts <db> <name> <count> [batch]
 */
import { createInterface } from 'node:readline';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import type { LeadRecord } from '../../relay/outbox/store/types.js';

const [path, name, countArg, batchArg] = process.argv.slice(2);
if (!path || !name || !countArg) throw new Error('usage: store-sqlite-child.ts <db> <name> <count> [batch]');
const count = Number(countArg);
const batch = Math.max(1, Number(batchArg ?? 1));
const T0 = Date.UTC(2025, 5, 1, 12);
const windows = { now: T0, keyWindowMs: 24 * 3600_000, dedupeWindowMs: 10 * 60_000 };

const lead = (id: string, extra: Partial<LeadRecord>): LeadRecord => ({
  id,
  site: 'oak-grove',
  fingerprints: [],
  status: 'queued',
  submission: { first_name: name, last_name: 'Child', email_1: `${name}@example.org` },
  created_at: T0,
  updated_at: T0,
  age_from: T0,
  next_attempt_at: T0,
  attempts: 0,
  checks: 0,
  write_retries: 0,
  ...extra,
});

const store = openSqliteLeadStore(path);
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();

const byKey: { id: string; created: boolean }[] = [];
const byFingerprint: { id: string; created: boolean }[] = [];
const one = async (i: number) => {
  // Same key in both children; fingerprints of their own, so only the key can match.
  const k = store.accept(lead(`${name}-k${i}`, { idempotency_key: `key-${i}`, fingerprints: [`${name}-only-${i}`] }), windows);
  // No key; the children share the phone fingerprint only.
  const fingerprints = name === 'a' ? [`email-${i}`, `phone-${i}`] : [`phone-${i}`, `other-email-${i}`];
  const f = batch > 1 ? store.accept(lead(`${name}-f${i}`, { fingerprints }), windows) : undefined;
  const byK = await k;
  const byF = await (f ?? store.accept(lead(`${name}-f${i}`, { fingerprints }), windows));
  byKey[i] = { id: byK.record.id, created: byK.created };
  byFingerprint[i] = { id: byF.record.id, created: byF.created };
};
for (let i = 0; i < count; i += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => one(i + j)));
}
await store.close();
process.stdout.write(`${JSON.stringify({ byKey, byFingerprint })}\n`);
