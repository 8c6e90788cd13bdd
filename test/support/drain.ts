/**
 * The drain benchmark as a function: a burst of leads posted to a real relay (startRelay, loopback
 * HTTP, SQLite outbox in a tmp DATA_DIR) in front of the sandbox with Propexo's documented limit
 * (150 a minute, answers delayed ~2 s past 80%, 429 past 100%), on a scaled clock both share, until
 * every lead is confirmed. test/relay/burst.test.ts asserts on it; bench code can call it too:
 *
 *   const r = await runDrain({ leads: 1000, ratePerMinute: 140 });
 *   // r.scaledMinutes, r.confirmed, r.upstream429, r.sandboxLeads, r.requests, ...
 *
 * Only loopback round trips and the processing in this one Node process run on the wall clock; at a
 * time factor of 100 a scaled minute is 0.6 s, which leaves ~4 ms of real time per upstream request
 * at 140 a minute: enough that the scaled minutes measure the relay's pacing, not this machine.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryPolicy } from '../../relay/outbox/delivery/policy.js';
import { createLogger, type LogSink } from '../../relay/lib/log.js';
import { startRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox } from '../../sandbox/index.js';
import type { LeadStatus } from '../../relay/outbox/store/types.js';
import { freePort } from './free-port.js';
import { registerSecret } from './hygiene.js';
import { scaledTime } from './scaled-time.js';

const TOKEN = 'ptx_drain_T0ken_5c4b3a291807';
registerSecret(TOKEN);
const SITE = 'drain-court';

export interface DrainOptions {
  /** Leads in the burst (default 1000). */
  leads?: number;
  /** The relay's UPSTREAM_RATE_PER_MINUTE (default 140). */
  ratePerMinute?: number;
  /** The sandbox's requests per minute (default 150, Propexo's documented limit). */
  sandboxLimit?: number;
  /** How much faster than the wall clock time runs for relay and sandbox (default 100). */
  factor?: number;
  /** How long a write job stays PENDING, in scaled ms (default 1500). */
  writeDelayMs?: number;
  /** Propexo's delay past 80% of its minute, in scaled ms (default 2000, "about 2 s"). */
  slowDownMs?: number;
  /** Extra DELIVERY_POLICY entries (scaled ms). */
  policy?: Partial<DeliveryPolicy>;
  /** Wall-clock limit for the drain (default 60 s): the result then says how far it got. */
  deadlineMs?: number;
  /** The relay's log lines (default: dropped). Tests pass test/support/hygiene's checkedSink. */
  sink?: LogSink;
  /** The sandbox's log lines (default: dropped). */
  sandboxLog?: (line: string) => void;
  /**
   * Where the tmp DATA_DIR goes. Default /dev/shm when there is one: the outbox is the real SQLite
   * store, but a disk's fsync per commit (~1 ms of wall time, several per lead) would count a
   * hundred times over on the scaled clock and measure the disk instead of the relay.
   */
  dataDirBase?: string;
}

export interface DrainResult {
  leads: number;
  ratePerMinute: number;
  /** From the first POST of the burst to the last lead confirmed, on the scaled clock. */
  scaledMinutes: number;
  /** Leads the relay holds as confirmed at the end. */
  confirmed: number;
  counts: Record<LeadStatus, number>;
  /** 429 answers the sandbox gave the relay. */
  upstream429: number;
  /** Creates the sandbox received. */
  sandboxLeads: number;
  /** Prospects (by email) the sandbox received more than once. */
  duplicates: number;
  /** Upstream requests by kind, as the relay sent them. */
  requests: { creates: number; listings: number; searches: number; writeStatus: number; retryWrite: number; other: number; total: number };
  /** first_name of each create, in the order the relay sent them; and in the order the sandbox stored them. */
  sentOrder: string[];
  receivedOrder: string[];
  /** Leads whose created_record_id is not the id the sandbox gave their prospect. */
  mismatched: number;
  /** Scaled minutes the burst took to post (the relay delivers meanwhile). */
  postingMinutes: number;
  /** Upstream requests sent in each scaled minute from the first POST. */
  perMinute: number[];
  wallMs: number;
}

const defaultDataDirBase = () => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const nameOf = (n: number) => `Lead${String(n).padStart(5, '0')}`;

export async function runDrain(options: DrainOptions = {}): Promise<DrainResult> {
  const leads = options.leads ?? 1000;
  const ratePerMinute = options.ratePerMinute ?? 140;
  const factor = options.factor ?? 100;
  const time = scaledTime(factor);
  const wallStart = Date.now();
  // The sandbox sleeps on the wall clock: Propexo's ~2 s is 2000/factor real ms here.
  const sandbox = await startSandbox({
    token: TOKEN,
    clock: time.clock,
    rateLimitPerMinute: options.sandboxLimit ?? 150,
    writeDelayMs: options.writeDelayMs ?? 1_500,
    slowDownMs: (options.slowDownMs ?? 2_000) / factor,
    log: options.sandboxLog ?? (() => {}),
  });
  const dataDir = await mkdtemp(join(options.dataDirBase ?? defaultDataDirBase(), 'relay-drain-'));
  const requests = { creates: 0, listings: 0, searches: 0, writeStatus: 0, retryWrite: 0, other: 0, total: 0 };
  const sentOrder: string[] = [];
  const sentAt: number[] = [];
  let upstream429 = 0;
  // The relay's upstream fetch, counted: every request it sends the sandbox and every 429 it gets.
  const countingFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    requests.total += 1;
    sentAt.push(time.clock.now());
    if (method === 'POST' && url.pathname === '/v1/leads/resman/') {
      requests.creates += 1;
      sentOrder.push(String((JSON.parse(String(init?.body)) as { first_name?: unknown }).first_name));
    } else if (url.pathname === '/v1/leads/') {
      if (url.searchParams.has('email_1') || url.searchParams.has('phone_1')) requests.searches += 1;
      else requests.listings += 1;
    } else if (url.pathname.startsWith('/v1/admin/write-status/')) requests.writeStatus += 1;
    else if (url.pathname.startsWith('/v1/admin/retry-write/')) requests.retryWrite += 1;
    else requests.other += 1;
    const res = await fetch(input, init);
    if (res.status === 429) upstream429 += 1;
    return res;
  };

  const port = await freePort();
  const relay = await startRelay(
    {
      PROPEXO_API_TOKEN: TOKEN,
      PROPEXO_BASE_URL: sandbox.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      WIDGET_DIR: dataDir,
      UPSTREAM_RATE_PER_MINUTE: String(ratePerMinute),
      ...(options.policy ? { DELIVERY_POLICY: JSON.stringify(options.policy) } : {}),
      SITES_JSON: JSON.stringify({
        [SITE]: {
          name: 'Drain Court',
          ...SANDBOX_IDS,
          allowed_origins: ['http://localhost:{PORT}'],
          limits: { per_site: { max: 1_000_000, window_seconds: 60 }, per_ip: { max: 1_000_000, window_seconds: 60 } },
        },
      }),
    },
    {
      clock: time.clock,
      sleep: time.sleep,
      fetch: countingFetch,
      logger: createLogger({ level: 'info', secrets: [TOKEN], sink: options.sink ?? (() => {}) }),
    },
  );

  try {
    const origin = new URL(relay.url).origin.replace('127.0.0.1', 'localhost');
    const started = time.clock.now();
    // One after another, so the order of acceptance is the order of the names.
    for (let n = 0; n < leads; n++) {
      const answer = await fetch(`${relay.url}/v1/sites/${SITE}/leads`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ first_name: nameOf(n), last_name: 'Drain', email_1: `drain.lead${n}@gmail.com`, notes: 'drain benchmark' }),
      });
      if (answer.status !== 202) throw new Error(`lead ${n}: the relay answered ${answer.status}`);
    }
    const posted = time.clock.now();

    const deadline = wallStart + (options.deadlineMs ?? 60_000);
    let end = time.clock.now();
    while (Date.now() < deadline) {
      const counts = await relay.store.counts();
      end = time.clock.now();
      if (counts.confirmed + counts.failed >= leads) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const counts = await relay.store.counts();
    // The exact moment of the last confirmation, when the store can list them all.
    if (counts.confirmed === leads && leads <= 1000) {
      const confirmed = await relay.store.list({ status: 'confirmed', limit: leads });
      end = Math.max(...confirmed.map((l) => l.confirmed_at ?? end));
    }

    const received = sandbox.leads();
    const byEmail = new Map<string, string[]>();
    for (const l of received) {
      const email = String(l.body.email_1);
      byEmail.set(email, [...(byEmail.get(email) ?? []), l.created_record_id ?? '']);
    }
    const records = leads <= 1000 ? await relay.store.list({ limit: leads }) : [];
    const mismatched = records.filter((r) => {
      const ids = byEmail.get(String(r.submission.email_1));
      return r.status === 'confirmed' && (ids?.length !== 1 || ids[0] !== r.created_record_id);
    }).length;
    return {
      leads,
      ratePerMinute,
      scaledMinutes: (end - started) / 60_000,
      confirmed: counts.confirmed,
      counts,
      upstream429,
      sandboxLeads: received.length,
      duplicates: [...byEmail.values()].filter((ids) => ids.length > 1).length,
      requests,
      sentOrder,
      receivedOrder: received.map((l) => String(l.body.first_name)),
      mismatched,
      postingMinutes: (posted - started) / 60_000,
      perMinute: sentAt.reduce<number[]>((acc, t) => {
        const m = Math.max(0, Math.floor((t - started) / 60_000));
        while (acc.length <= m) acc.push(0);
        acc[m]! += 1;
        return acc;
      }, []),
      wallMs: Date.now() - wallStart,
    };
  } finally {
    await relay.close();
    await sandbox.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
