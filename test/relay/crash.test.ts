/**
 * Issue 3's Crash test: the relay runs as a real child process (test/relay/support/relay-child.ts,
 * SQLite outbox in a tmp DATA_DIR) in front of the sandbox in this process. A burst of leads goes in,
 * the child is killed with SIGKILL in the middle of it while the deliverer is working, and a new
 * child is started on the same DATA_DIR and port. Every lead that got a 202 must then be confirmed
 * and be in the sandbox exactly once; no prospect is ever in the sandbox twice.
 *
 * Creates are slowed (a `slow` fault on each) so a backlog builds and the kill lands mid-delivery.
 * The moment of the kill is chosen so the worst case is certain to happen: a
 * `timeout_after_receive` fault is queued for the next create, and the child is killed as soon as
 * the sandbox has stored that lead and is holding its answer back. That lead reached Propexo but the
 * relay never learnt it; the new process must find it instead of sending it again.
 *
 * Twice: once while the burst is still being accepted, once when every lead has been accepted and
 * the relay is only delivering.
 */
import { spawnRelay, stopAllChildren, stopChild, type RelayChild } from './support/spawn-relay.js';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../../relay/outbox/delivery/policy.js';
import { OUTBOX_FILE } from '../../relay/outbox/store/sqlite.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox, type SandboxLead } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink, checkText } from '../support/hygiene.js';
import { REALTIME_POLICY, ROOMY_LIMITS, TOKEN } from './fixtures.js';

const SITE = 'crash-court';
const ORIGIN = 'https://www.crashcourt.example';
const BURST = 300;
const CONCURRENCY = 20;
const CREATE_PATH = '/v1/leads/resman';
/** Every create waits this long in the sandbox, so 300 leads take seconds to deliver. */
const SLOW_CREATE_MS = 25;

/** The production policy in milliseconds: a lead in doubt is searched for ~1 s before it is re-sent. */
const POLICY: Partial<DeliveryPolicy> = { ...REALTIME_POLICY, inDoubtGraceMs: 1_000, upstreamPerMinute: 1_000_000 };

let sandbox: RunningSandbox;
const tmpDirs: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 1_000_000, log: checkedSink() });
});
afterAll(async () => {
  await stopAllChildren();
  await sandbox?.close();
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
}, 15_000);

/** The i-th prospect of a run: its own email (a third also with a phone), so nothing is deduplicated. */
function lead(run: string, i: number) {
  const email = `crash.${i}.${run}@gmail.com`;
  const base = { first_name: 'Casey', last_name: 'Crashtest', email_1: email, notes: `crash lead ${i}` };
  return i % 3 === 0 ? { ...base, phone_1: `646555${String(1000 + i).padStart(4, '0')}` } : base;
}
const emailOf = (body: { email_1?: unknown }) => String(body.email_1);

type Answer =
  | { kind: 'accepted'; id: string }
  | { kind: 'refused'; status: number }
  | { kind: 'lost'; error: string }
  | { kind: 'not_sent' };

interface Run {
  /** Resolves when the child should be killed; gets the live tallies of the burst. */
  killWhen(progress: { accepted: () => number; answered: () => number; burstDone: Promise<void> }): Promise<void>;
}

interface RunResult {
  answers: Answer[];
  acceptedAtKill: number;
  sandboxAtKill: number;
  first: RelayChild;
  second: RelayChild;
  dataDir: string;
  run: string;
}

async function crashRun(spec: Run): Promise<RunResult> {
  const run = randomUUID().slice(0, 8);
  sandbox.reset();
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-crash-'));
  tmpDirs.push(dataDir);
  const env = {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: JSON.stringify({
      [SITE]: {
        name: 'Crash Court',
        ...SANDBOX_IDS,
        allowed_origins: [ORIGIN],
        limits: ROOMY_LIMITS,
      },
    }),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    WIDGET_DIR: dataDir,
    LOG_LEVEL: 'info',
    UPSTREAM_TIMEOUT_MS: '2000',
    DELIVERY_POLICY: JSON.stringify(POLICY),
  };
  const first = await spawnRelay(env);
  sandbox.injectFault({ kind: 'slow', ms: SLOW_CREATE_MS, times: 100_000, path: CREATE_PATH, method: 'POST' });

  // The burst: CONCURRENCY at a time; nothing new is sent once the child is dead.
  const answers: Answer[] = Array.from({ length: BURST }, () => ({ kind: 'not_sent' }));
  let killed = false;
  let accepted = 0;
  let answered = 0;
  let next = 0;
  const burstDone = Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < BURST && !killed) {
        const i = next++;
        const headers: Record<string, string> = { origin: ORIGIN, 'content-type': 'application/json' };
        if (i % 2 === 0) headers['idempotency-key'] = `crash-${run}-${i}`;
        try {
          const res = await fetch(`${first.url}/v1/sites/${SITE}/leads`, {
            method: 'POST',
            headers,
            body: JSON.stringify(lead(run, i)),
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as { id?: string };
          answers[i] =
            res.status === 202 && typeof body.id === 'string' ? { kind: 'accepted', id: body.id } : { kind: 'refused', status: res.status };
          if (answers[i]!.kind === 'accepted') accepted += 1;
        } catch (err) {
          answers[i] = { kind: 'lost', error: String((err as Error)?.cause ?? err) };
        }
        answered += 1;
      }
    }),
  ).then(() => undefined);

  await spec.killWhen({ accepted: () => accepted, answered: () => answered, burstDone });

  // Kill while a create Propexo has stored is waiting for its answer: the worst moment there is.
  sandbox.clearFaults();
  const storedBefore = sandbox.leads().length;
  sandbox.injectFault({ kind: 'timeout_after_receive', ms: 10_000, times: 1, path: CREATE_PATH, method: 'POST' });
  await expect
    .poll(
      async () => {
        const queued = (await (await sandbox.app.request('/__sandbox/faults')).json()) as unknown[];
        return queued.length === 0 && sandbox.leads().length > storedBefore;
      },
      { timeout: 10_000, interval: 10, message: 'the deliverer sent a create into the held answer' },
    )
    .toBe(true);
  const acceptedAtKill = accepted;
  const sandboxAtKill = sandbox.leads().length;
  killed = true;
  await stopChild(first.child, 'SIGKILL');
  expect(first.child.signalCode).toBe('SIGKILL');
  await burstDone;

  // Same DATA_DIR, same port; Propexo behaves now.
  sandbox.clearFaults();
  const second = await spawnRelay(env);
  const acceptedIds = answers.flatMap((a) => (a.kind === 'accepted' ? [a.id] : []));
  const statusOf = async (id: string) => {
    const res = await fetch(`${second.url}/v1/sites/${SITE}/leads/${id}`, {
      headers: { origin: ORIGIN },
      signal: AbortSignal.timeout(5_000),
    });
    return ((await res.json()) as { status?: string }).status;
  };
  let pending = acceptedIds;
  await expect
    .poll(
      async () => {
        const statuses = await Promise.all(pending.map(async (id) => [id, await statusOf(id)] as const));
        pending = statuses.filter(([, s]) => s !== 'confirmed').map(([id]) => id);
        return pending.length;
      },
      { timeout: 30_000, interval: 10, message: 'every 202 lead confirmed after the restart' },
    )
    .toBe(0)
    .catch((err: Error) => {
      throw new Error(
        `${err.message}: ${pending.length} not confirmed, e.g. ${pending.slice(0, 5).join(', ')}\n${second.output().slice(-3000)}`,
      );
    });
  // Leads stored whose 202 was lost in the kill are delivered too: wait until nothing is left to do.
  await expect
    .poll(() => outboxIdle(dataDir), { timeout: 15_000, interval: 10, message: 'the outbox has nothing left to deliver' })
    .toBe(true);
  await stopChild(second.child, 'SIGTERM');
  // The children's log lines go through the suite's hygiene check (no token, no full email or phone).
  checkText(first.output());
  checkText(second.output());
  return { answers, acceptedAtKill, sandboxAtKill, first, second, dataDir, run };
}

interface OutboxRow {
  id: string;
  status: string;
  submission: string;
  created_record_id: string | null;
  attempts: number;
  in_doubt_since: number | null;
}

function readOutbox(dataDir: string): OutboxRow[] {
  const db = new Database(join(dataDir, OUTBOX_FILE), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, status, submission, created_record_id, attempts, in_doubt_since FROM leads').all() as OutboxRow[];
  } finally {
    db.close();
  }
}
const outboxIdle = (dataDir: string) => readOutbox(dataDir).every((r) => r.status !== 'queued' && r.status !== 'sent');

const events = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string; how?: string; lead_id?: string });

/** What every crash run must show, whatever the moment of the kill. */
function expectExactlyOnce(result: RunResult): void {
  const { answers, dataDir, second } = result;
  const acceptedIds = answers.flatMap((a) => (a.kind === 'accepted' ? [a.id] : []));
  expect(answers.filter((a) => a.kind === 'refused')).toEqual([]);

  // No prospect is in the sandbox twice: not those that got a 202, not those whose answer was lost.
  const stored = sandbox.leads();
  const byEmail = new Map<string, SandboxLead[]>();
  for (const l of stored) byEmail.set(emailOf(l.body), [...(byEmail.get(emailOf(l.body)) ?? []), l]);
  const doubled = [...byEmail]
    .filter(([, ls]) => ls.length > 1)
    .map(([e, ls]) => `${e} x${ls.length} (jobs ${ls.map((l) => l.job_id).join(', ')})`);
  expect(doubled, 'prospects created more than once').toEqual([]);

  // Every lead the relay stored (each 202, and any whose 202 the kill swallowed) is confirmed and is
  // the one lead the sandbox has for its email, with the same created_record_id.
  const outbox = readOutbox(dataDir);
  const outboxIds = new Set(outbox.map((r) => r.id));
  expect(
    acceptedIds.filter((id) => !outboxIds.has(id)),
    '202 leads missing from the outbox',
  ).toEqual([]);
  const wrong = outbox
    .map((r) => ({ ...r, email: emailOf(JSON.parse(r.submission) as { email_1?: string }) }))
    .filter(
      (r) =>
        r.status !== 'confirmed' ||
        byEmail.get(r.email)?.length !== 1 ||
        byEmail.get(r.email)![0]!.created_record_id !== r.created_record_id,
    )
    .map(
      (r) =>
        `${r.id} ${r.status} attempts=${r.attempts} relay=${r.created_record_id} sandbox=${byEmail
          .get(r.email)
          ?.map((l) => l.created_record_id)
          .join('|')}`,
    );
  expect(wrong, 'outbox leads not confirmed exactly once').toEqual([]);
  // And the sandbox has nothing the relay does not know of.
  const outboxEmails = new Set(outbox.map((r) => emailOf(JSON.parse(r.submission) as { email_1?: string })));
  expect([...byEmail.keys()].filter((e) => !outboxEmails.has(e))).toEqual([]);
  expect(stored).toHaveLength(outbox.length);
  expect(stored.every((l) => l.write_status === 'SUCCESS')).toBe(true);

  // The kill really caught a create in flight: the new process found that lead instead of re-sending it.
  const afterRestart = events(second.output());
  expect(
    afterRestart.filter((e) => (e.event === 'lead.confirmed' && e.how === 'found_after_doubt') || e.event === 'lead.found_in_write_logs')
      .length,
  ).toBeGreaterThanOrEqual(1);
  expect(afterRestart.filter((e) => e.event === 'lead.dead_letter' || e.event === 'deliverer.error')).toEqual([]);
}

describe('kill -9 during a burst, restart on the same DATA_DIR', () => {
  it('while leads are still being accepted: every 202 lead is delivered exactly once', { timeout: 60_000 }, async () => {
    const result = await crashRun({
      killWhen: ({ accepted }) =>
        expect
          .poll(accepted, { timeout: 15_000, interval: 10, message: 'a quarter of the burst accepted' })
          .toBeGreaterThanOrEqual(BURST / 4),
    });
    const { answers, acceptedAtKill, sandboxAtKill } = result;
    // The kill cut the burst: some requests were never answered or never sent.
    expect(answers.filter((a) => a.kind !== 'accepted').length).toBeGreaterThan(0);
    // And the deliverer was behind: leads accepted but not yet in Propexo when it died.
    expect(sandboxAtKill).toBeLessThan(acceptedAtKill);
    expectExactlyOnce(result);
  });

  it('while only delivering: every 202 lead is delivered exactly once', { timeout: 60_000 }, async () => {
    const result = await crashRun({
      killWhen: async ({ burstDone }) => {
        await burstDone;
        await expect
          .poll(() => sandbox.leads().length, { timeout: 20_000, interval: 10, message: 'the deliverer a third through the backlog' })
          .toBeGreaterThanOrEqual(BURST / 3);
      },
    });
    const { answers, sandboxAtKill } = result;
    expect(answers.filter((a) => a.kind !== 'accepted')).toEqual([]);
    // A good part of the backlog was still undelivered when the process died.
    expect(sandboxAtKill).toBeLessThan(BURST - 50);
    expectExactlyOnce(result);
  });
});
