/**
 * Issue 3's Fault matrix: for every way Propexo (or the network in front of it) can fail a create,
 * 200 leads go through a real relay (startRelay, loopback HTTP, SQLite outbox in a tmp DATA_DIR) to
 * the sandbox while that fault hits a good share of the creates, spread over the burst. Every lead
 * must end confirmed exactly once: the sandbox holds exactly one lead per prospect, with the
 * created_record_id the relay kept, and nothing is a dead letter.
 *
 * Each case runs twice, against a sandbox with Propexo's immediate read-back (a created lead is in
 * `GET /v1/leads` at once) and one without it (a created lead is readable only after the next sync,
 * hours away: never during the run). Write-status and the write logs are immediate in both: without
 * read-back, a create in doubt is found by its own job in the write logs, and a confirmed lead keeps
 * no record id (its created_record_id cannot be read back to check it is this prospect).
 *
 * Faults are queued on `POST /v1/leads/resman` only (lead searches and write-status checks are left
 * alone), in waves as the sandbox receives leads, so they hit leads at the start, in the middle and
 * near the end of the burst. Each case then checks the faults really fired: the sandbox's fault
 * queue is drained and the relay logged one matching `propexo.*` warning per fault at least.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../../relay/outbox/delivery/policy.js';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type FaultKind, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY, ROOMY_LIMITS, TOKEN } from './fixtures.js';

const SITE = 'fault-matrix';
const ORIGIN = 'https://www.faultmatrix.example';
const LEADS = 200;
/** The relay's per-request timeout where the fault is a hold: `slow` and `timeout_after_receive` hold the answer longer. */
const UPSTREAM_TIMEOUT_MS = 150;
const HOLD_MS = 300;
/**
 * Its timeout for the other faults, which answer at once: long enough that this busy process (test,
 * relay and sandbox share one event loop) never runs past it, so a 429 or a 502 is seen as such and
 * not as a timeout whose timer happened to fire first.
 */
const ANSWER_TIMEOUT_MS = 5_000;
/**
 * Fault waves: each queues `WAVE` faults once the sandbox has received this many leads. The last comes
 * with some 80 creates still to go, so every fault queued is used up.
 */
const WAVES_AT = [0, 30, 60, 90, 120];
const WAVE = 5;
const FAULTS_PER_CASE = WAVES_AT.length * WAVE;
const CREATE_PATH = '/v1/leads/resman';
const CASE_DEADLINE_MS = 30_000;

/**
 * The production policy with milliseconds for minutes. inDoubtGraceMs is well above HOLD_MS plus the
 * sandbox's write delay, so a create Propexo did store is always found before the relay would send
 * it again; the 429 pause is short so twenty-five of them cost about a second. Rounds come every
 * 100 ms: without read-back a listing never shows a lead, which then waits out listingRounds of them.
 */
const POLICY: Partial<DeliveryPolicy> = { ...REALTIME_POLICY, inDoubtGraceMs: 800, upstreamPerMinute: 1_000_000, listingEveryMs: 100 };

interface FaultCase {
  name: string;
  kind: FaultKind;
  ms?: number;
  /** The warning the relay logs for one such failed create: `propexo.<kind>` and its reason. */
  event: string;
  reason: RegExp;
  /** found: Propexo stored the lead, the relay must find it; resent: it did not, the relay sends again. */
  outcome: 'found' | 'resent' | 'retried';
  /** The fault holds the answer past the relay's timeout (UPSTREAM_TIMEOUT_MS instead of ANSWER_TIMEOUT_MS). */
  holds?: true;
}

const CASES: FaultCase[] = [
  { name: '500 (empty body)', kind: '500', event: 'propexo.unavailable', reason: /^http_500$/, outcome: 'resent' },
  { name: '502 (proxy page)', kind: '502', event: 'propexo.unavailable', reason: /^http_502$/, outcome: 'resent' },
  { name: '503 (proxy page)', kind: '503', event: 'propexo.unavailable', reason: /^http_503$/, outcome: 'resent' },
  {
    name: 'timeout before Propexo received the body',
    kind: 'slow',
    ms: HOLD_MS,
    event: 'propexo.unavailable',
    reason: /^timeout$/,
    outcome: 'resent',
    holds: true,
  },
  {
    name: 'timeout after Propexo received the body',
    kind: 'timeout_after_receive',
    ms: HOLD_MS,
    event: 'propexo.unavailable',
    reason: /^timeout$/,
    outcome: 'found',
    holds: true,
  },
  { name: 'reset before processing', kind: 'reset', event: 'propexo.unavailable', reason: /^network_error/, outcome: 'resent' },
  { name: 'reset after processing', kind: 'reset_after_receive', event: 'propexo.unavailable', reason: /^network_error/, outcome: 'found' },
  { name: '429', kind: '429', event: 'propexo.rate_limited', reason: /^http_429$/, outcome: 'retried' },
  { name: '200 with a garbled body', kind: 'garbled', event: 'propexo.unavailable', reason: /^unreadable_body$/, outcome: 'found' },
];

const READ_BACK = { immediate: 0, delayed: 3 * 3_600_000 } as const;
type ReadBack = keyof typeof READ_BACK;

let sandbox: RunningSandbox;
const sandboxes = {} as Record<ReadBack, RunningSandbox>;
let relay: RunningRelay | undefined;
const tmpDirs: string[] = [];

beforeAll(async () => {
  for (const mode of Object.keys(READ_BACK) as ReadBack[]) {
    sandboxes[mode] = await startSandbox({
      token: TOKEN,
      writeDelayMs: 10,
      readBackDelayMs: READ_BACK[mode],
      slowDownMs: 0,
      rateLimitPerMinute: 1_000_000,
      log: checkedSink(),
    });
  }
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  sandbox.reset();
});
afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((s) => s.close()));
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** `onUpstream` runs after each request the relay sent Propexo has ended (answered, failed or timed out). */
async function startCaseRelay(lines: string[], timeoutMs: number, onUpstream: () => void): Promise<RunningRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-faults-'));
  tmpDirs.push(dataDir);
  const env = {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: JSON.stringify({
      [SITE]: {
        name: 'Fault Matrix Flats',
        ...SANDBOX_IDS,
        allowed_origins: [ORIGIN],
        limits: ROOMY_LIMITS,
      },
    }),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    UPSTREAM_TIMEOUT_MS: String(timeoutMs),
    DATA_DIR: dataDir,
    WIDGET_DIR: dataDir,
  };
  const logger = createLogger({ level: 'info', secrets: [TOKEN], sink: checkedSink(lines) });
  const watched: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, init);
    } finally {
      onUpstream();
    }
  };
  return startRelay(env, { logger, policy: POLICY, fetch: watched });
}

/**
 * The i-th prospect of a case: a distinct email (and for some a distinct phone), so the content
 * dedupe never merges two. Every tenth has a phone and no email, so the relay's search by phone is
 * exercised too; `contactOf` is the key the sandbox is checked by.
 */
function lead(tag: string, i: number): Record<string, unknown> {
  const phone = `737555${String(1000 + i).padStart(4, '0')}`;
  const base = { first_name: 'Robin', last_name: `Tester${tag}`, notes: `fault matrix lead ${i}` };
  if (i % 10 === 9) return { ...base, phone_1: phone };
  if (i % 3 === 0) return { ...base, email_1: `prospect.${i}.${tag}@gmail.com`, phone_1: phone };
  return { ...base, email_1: `prospect.${i}.${tag}@gmail.com` };
}
const contactOf = (body: { email_1?: unknown; phone_1?: unknown }) => String(body.email_1 ?? body.phone_1);

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

const queuedFaults = async () => (await (await sandbox.app.request('/__sandbox/faults')).json()) as unknown[];

describe.each(Object.keys(READ_BACK) as ReadBack[])(
  'fault matrix, %s read-back: 200 leads per fault, each confirmed exactly once',
  (mode) => {
    it.each(CASES)('$name', { timeout: CASE_DEADLINE_MS + 10_000 }, async (fc) => {
      sandbox = sandboxes[mode];
      const tag = fc.kind.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'x';
      const lines: string[] = [];
      // Waves of faults on the create path, queued as the sandbox's received count passes each mark:
      // looked at each time one of the relay's requests to Propexo ends.
      let waves = 0;
      const inject = () => {
        sandbox.injectFault({
          kind: fc.kind,
          times: WAVE,
          path: CREATE_PATH,
          method: 'POST',
          ...(fc.ms === undefined ? {} : { ms: fc.ms }),
        });
        waves += 1;
      };
      inject(); // the first creates of the burst fail
      relay = await startCaseRelay(lines, fc.holds ? UPSTREAM_TIMEOUT_MS : ANSWER_TIMEOUT_MS, () => {
        while (waves < WAVES_AT.length && sandbox.leads().length >= WAVES_AT[waves]!) inject();
      });
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
            const c = await r.store.counts();
            return c.confirmed + c.failed;
          },
          { timeout: CASE_DEADLINE_MS, interval: 25, message: 'every lead confirmed or failed' },
        )
        .toBeGreaterThanOrEqual(LEADS)
        .catch(() => {}); // the counts below say what was left
      const counts = await r.store.counts();

      // Exactly one lead per prospect in the sandbox: none created twice, none lost.
      const stored = sandbox.leads();
      const byContact = new Map<string, typeof stored>();
      for (const l of stored) byContact.set(contactOf(l.body), [...(byContact.get(contactOf(l.body)) ?? []), l]);
      const doubled = [...byContact].filter(([, ls]) => ls.length > 1).map(([c, ls]) => `${c} x${ls.length}`);
      expect(doubled, 'prospects created more than once').toEqual([]);
      expect(counts, `relay store counts after up to ${CASE_DEADLINE_MS / 1000} s`).toEqual({
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
      const records = await r.store.list({ limit: 1000 });
      expect(records).toHaveLength(LEADS);
      expect(records.map((x) => x.id).sort()).toEqual([...ids].sort());
      const expectedId = (rec: (typeof records)[number]) =>
        mode === 'immediate' ? byContact.get(contactOf(rec.submission))?.[0]?.created_record_id : undefined;
      const mismatched = records
        .filter((rec) => (mode === 'immediate' && rec.created_record_id === undefined) || rec.created_record_id !== expectedId(rec))
        .map((rec) => `${rec.id} (${rec.status}, relay ${rec.created_record_id}, attempts ${rec.attempts})`);
      expect(mismatched, 'leads whose created_record_id differs from the sandbox').toEqual([]);

      // The faults fired: every wave was queued and used up, and the relay saw each failure.
      expect(waves).toBe(WAVES_AT.length);
      expect(await queuedFaults()).toEqual([]);
      const logs = lines.map((l) => JSON.parse(l) as { event: string; reason?: string; how?: string });
      const seen = logs.filter((l) => l.event === fc.event && fc.reason.test(l.reason ?? ''));
      expect(seen.length, `${fc.event} ${fc.reason} warnings`).toBeGreaterThanOrEqual(FAULTS_PER_CASE);
      // And the relay took the path the fault calls for: a create Propexo stored was found (its job in
      // the write logs, or the lead by the search), never sent again; one it never handled was looked
      // for first, then sent again; a 429 is retried as is (Propexo certainly did nothing).
      const count = (event: string, how?: string) => logs.filter((l) => l.event === event && (how === undefined || l.how === how)).length;
      if (fc.outcome === 'found')
        expect(
          count('lead.confirmed', 'found_after_doubt') + count('lead.found_in_write_logs'),
          'leads found after doubt',
        ).toBeGreaterThanOrEqual(FAULTS_PER_CASE);
      if (fc.outcome === 'resent')
        expect(count('lead.resending_after_search'), 'leads re-sent after a search').toBeGreaterThanOrEqual(FAULTS_PER_CASE);
      expect(count('lead.confirmed')).toBe(LEADS);
      expect(logs.filter((l) => l.event === 'lead.dead_letter' || l.event === 'deliverer.error')).toEqual([]);
    });
  },
);
