/**
 * One kill -9 of a relay child mid-burst, and its restart on the same outbox (test/relay/crash.test.ts
 * and test/relay/same-pid-restart.test.ts): the relay runs as a real child process (spawn-relay.ts)
 * in front of the sandbox in this process, on SQLite in a tmp DATA_DIR or on a real PostgreSQL
 * (DATABASE_URL, a new database per run, the same for the restart). A burst of leads goes in, the
 * child is killed with SIGKILL while the deliverer is working, and a new child is started on the
 * same DATA_DIR (or database) and port.
 *
 * Creates are slowed (a `slow` fault on each) so a backlog builds and the kill lands mid-delivery.
 * The moment of the kill is chosen so the worst case is certain to happen: a `timeout_after_receive`
 * fault is queued for the next create, and the child is killed as soon as the sandbox has stored
 * that lead and is holding its answer back. That lead reached Propexo but the relay never learnt it;
 * the new process must find it instead of sending it again.
 *
 * The children hold the delivery lease for LEASE.ttlMs (not the production 15 s): after a kill -9 the
 * new process waits until the dead one's lease lapses, and a short one keeps each run to seconds.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DeliveryPolicy } from '../../../relay/outbox/delivery/policy.js';
import { SANDBOX_IDS, type RunningSandbox } from '../../../sandbox/index.js';
import { freePort } from '../../support/free-port.js';
import { checkText } from '../../support/hygiene.js';
import { REALTIME_POLICY, ROOMY_LIMITS, TOKEN } from '../fixtures.js';
import { startReadBackSandboxes, type ReadBack } from './fault-cases.js';
import { postgresReader, sqliteReader, type OutboxRow } from './outbox-rows.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { killRelay, spawnRelay, stopAllChildren, stopRelay, type RelayChild } from './spawn-relay.js';

export const SITE = 'crash-court';
export const ORIGIN = 'https://www.crashcourt.example';
export const CONCURRENCY = 20;
const CREATE_PATH = '/v1/leads/resman';
/** Every create waits this long in the sandbox, so a burst takes seconds to deliver. */
const SLOW_CREATE_MS = 25;
/**
 * The production policy in milliseconds: a lead in doubt is searched for ~1 s before it is re-sent,
 * and a property's confirmation rounds come every 100 ms while creates wait (a minute in production).
 * A sent lead a task parks for the next round while that round is listing waits out the whole gap if
 * the round then finds the read-back off and rests (seen without read-back on PostgreSQL): a minute
 * would outlast a run, 100 ms does not.
 */
const POLICY: Partial<DeliveryPolicy> = { ...REALTIME_POLICY, inDoubtGraceMs: 1_000, upstreamPerMinute: 1_000_000, listingEveryMs: 100 };
/** The children's delivery lease: renewed five times per TTL, looked at every 100 ms while another holds it. */
export interface LeaseTiming {
  ttlMs: number;
  renewEveryMs: number;
  pollMs: number;
}
export const LEASE: LeaseTiming = { ttlMs: 2_000, renewEveryMs: 400, pollMs: 100 };

export type CrashStore = 'SQLite' | 'PostgreSQL';

/** The sandboxes (one per read-back mode), the PostgreSQL server if asked for, and what to clean up. */
export interface CrashBench {
  sandboxes: Record<ReadBack, RunningSandbox>;
  postgres?: TestPostgres;
  tmpDirs: string[];
}

export async function startBench(options: { postgres: boolean }): Promise<CrashBench> {
  const sandboxes = await startReadBackSandboxes();
  return { sandboxes, tmpDirs: [], ...(options.postgres ? { postgres: await startPostgres() } : {}) };
}

export async function stopBench(bench: CrashBench | undefined): Promise<void> {
  await stopAllChildren();
  if (!bench) return;
  await Promise.all(Object.values(bench.sandboxes).map((s) => s.close()));
  await bench.postgres?.stop();
  await Promise.all(bench.tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
}

/** The i-th prospect of a run: its own email (a third also with a phone), so nothing is deduplicated. */
function lead(run: string, i: number) {
  const email = `crash.${i}.${run}@gmail.com`;
  const base = { first_name: 'Casey', last_name: 'Crashtest', email_1: email, notes: `crash lead ${i}` };
  return i % 3 === 0 ? { ...base, phone_1: `646555${String(1000 + i).padStart(4, '0')}` } : base;
}

export type Answer =
  | { kind: 'accepted'; id: string }
  | { kind: 'refused'; status: number }
  | { kind: 'lost'; error: string }
  | { kind: 'not_sent' };

export interface RunSpec {
  store: CrashStore;
  mode: ReadBack;
  burst: number;
  /** Both children as process 1 of a PID namespace of their own: the same pid (spawn-relay.ts). */
  samePid?: boolean;
  lease?: LeaseTiming;
  /** Runs between the kill and the restart, e.g. to leave in DATA_DIR what an older relay would have. */
  beforeRestart?(dead: { dataDir: string; first: RelayChild }): Promise<void>;
  /** Resolves when the child should be killed; gets the live tallies of the burst. */
  killWhen(progress: { accepted: () => number; answered: () => number; burstDone: Promise<void> }): Promise<void>;
}

export interface RunResult {
  spec: RunSpec;
  sandbox: RunningSandbox;
  answers: Answer[];
  acceptedAtKill: number;
  sandboxAtKill: number;
  /** Epoch ms: the first child was dead, and the second was listening. */
  killedAt: number;
  restartedAt: number;
  /** The lease the dead child left in the outbox. */
  deadLease: { owner: string; expires_at: number } | null;
  first: RelayChild;
  second: RelayChild;
  /** The outbox once the second child had nothing left to deliver. */
  outbox: OutboxRow[];
}

export async function crashRun(bench: CrashBench, spec: RunSpec): Promise<RunResult> {
  const run = randomUUID().slice(0, 8);
  const sandbox = bench.sandboxes[spec.mode];
  sandbox.reset();
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-crash-'));
  bench.tmpDirs.push(dataDir);
  const databaseUrl = spec.store === 'PostgreSQL' ? await bench.postgres!.createDatabase() : undefined;
  const env = {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: JSON.stringify({
      [SITE]: { name: 'Crash Court', ...SANDBOX_IDS, allowed_origins: [ORIGIN], limits: ROOMY_LIMITS, form_token: 'optional' },
    }),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    WIDGET_DIR: dataDir,
    LOG_LEVEL: 'info',
    UPSTREAM_TIMEOUT_MS: '2000',
    DELIVERY_POLICY: JSON.stringify(POLICY),
    RELAY_CHILD_LEASE: JSON.stringify(spec.lease ?? LEASE),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const outboxReader = databaseUrl ? postgresReader(databaseUrl) : sqliteReader(dataDir);
  try {
    const first = await spawnRelay(env, { samePid: spec.samePid });
    sandbox.injectFault({ kind: 'slow', ms: SLOW_CREATE_MS, times: 100_000, path: CREATE_PATH, method: 'POST' });

    // The burst: CONCURRENCY at a time; nothing new is sent once the child is dead.
    const answers: Answer[] = Array.from({ length: spec.burst }, () => ({ kind: 'not_sent' }));
    let killed = false;
    let accepted = 0;
    let answered = 0;
    let next = 0;
    const burstDone = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < spec.burst && !killed) {
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
              res.status === 202 && typeof body.id === 'string'
                ? { kind: 'accepted', id: body.id }
                : { kind: 'refused', status: res.status };
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
    await killRelay(first);
    const killedAt = Date.now();
    // Killed, not exited: the child's own status says so, or under `unshare` (which reports its
    // child's death by a signal as exit 1 in util-linux 2.38) the relay's process is simply gone.
    if (spec.samePid) expect(existsSync(`/proc/${first.hostPid}`)).toBe(false);
    else expect(first.child.signalCode).toBe('SIGKILL');
    await burstDone;
    const deadLease = await outboxReader.lease();
    await spec.beforeRestart?.({ dataDir, first });

    // Same DATA_DIR (or database), same port; Propexo behaves now.
    sandbox.clearFaults();
    const second = await spawnRelay(env, { samePid: spec.samePid });
    const restartedAt = Date.now();
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
    let outbox: OutboxRow[] = [];
    await expect
      .poll(
        async () => {
          outbox = await outboxReader.rows();
          return outbox.every((r) => r.status !== 'queued' && r.status !== 'sent');
        },
        { timeout: 15_000, interval: 10, message: 'the outbox has nothing left to deliver' },
      )
      .toBe(true);
    await stopRelay(second, 'SIGTERM');
    // The children's log lines go through the suite's hygiene check (no token, no full email or phone).
    checkText(first.output());
    checkText(second.output());
    return {
      spec,
      sandbox,
      answers,
      acceptedAtKill,
      sandboxAtKill,
      killedAt,
      restartedAt,
      deadLease,
      first,
      second,
      outbox,
    };
  } finally {
    await outboxReader.close();
  }
}
