/**
 * The three outboxes the fault matrix runs on (test/relay/fault-matrix.test.ts), each behind the same
 * small interface: the Node relay (startRelay) on SQLite in a tmp DATA_DIR, the Node relay on a real
 * PostgreSQL (DATABASE_URL, a new database for every case), and the Worker in workerd with its
 * Durable Object outbox (a new workerd, and so an empty object, for every case). Every relay is
 * configured from the same vars and observed the same way: its admin API for the outbox's counts
 * and leads, its JSON log lines for what it did.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../relay/lib/log.js';
import type { LeadRecord } from '../../../relay/outbox/store/types.js';
import { startRelay } from '../../../relay/runtime/node/server.js';
import { SANDBOX_IDS } from '../../../sandbox/index.js';
import { freePort } from '../../support/free-port.js';
import { checkedSink, registerSecret } from '../../support/hygiene.js';
import { workerdTarget } from '../../runtimes/targets.js';
import { ROOMY_LIMITS, TOKEN } from '../fixtures.js';
import { POLICY } from './fault-cases.js';
import { startPostgres, type TestPostgres } from './postgres.js';

export const SITE = 'fault-matrix';
const ALL_DAY = [['00:00', '24:00']];
const MATRIX_TOUR_HOURS = { sun: ALL_DAY, mon: ALL_DAY, tue: ALL_DAY, wed: ALL_DAY, thu: ALL_DAY, fri: ALL_DAY, sat: ALL_DAY };
export const ORIGIN = 'https://www.faultmatrix.example';
const ADMIN_TOKEN = 'adm_fault_matrix_0123456789';
registerSecret(ADMIN_TOKEN);

export type OutboxCounts = Record<'queued' | 'sent' | 'confirmed' | 'failed' | 'held', number>;
export interface LogLine {
  event: string;
  reason?: string;
  how?: string;
  lead_id?: string;
}

/** A relay running for one case. */
export interface MatrixRelay {
  /** Base URL without a trailing slash. */
  url: string;
  counts(): Promise<OutboxCounts>;
  /** Every lead in its outbox (up to 1000). */
  list(): Promise<LeadRecord[]>;
  /** Its JSON log lines so far. */
  logs(): LogLine[];
  close(): Promise<void>;
}

export interface MatrixStore {
  name: string;
  /** Leads per case: fewer where a case costs more (see the matrix's header). */
  leads: number;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A relay on a fresh, empty outbox of this kind, in front of the sandbox at `sandboxUrl`. */
  start(sandboxUrl: string, upstreamTimeoutMs: number): Promise<MatrixRelay>;
}

/** The configuration every relay of the matrix gets: env vars on Node, bindings in workerd. */
function vars(sandboxUrl: string, upstreamTimeoutMs: number): Record<string, string> {
  return {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandboxUrl,
    SITES_JSON: JSON.stringify({
      [SITE]: {
        name: 'Fault Matrix Flats',
        ...SANDBOX_IDS,
        allowed_origins: [ORIGIN],
        limits: ROOMY_LIMITS,
        form_token: 'optional',
        // For the appointments' matrix (tour-fault-matrix.test.ts): a slot every half hour, day and night.
        tours: { hours: MATRIX_TOUR_HOURS, min_notice_minutes: 0 },
      },
    }),
    ADMIN_TOKEN,
    // The cases poll the admin API every 50 ms: past the default 60 a minute, a slow case's polls got 429.
    ADMIN_RATE_PER_MINUTE: '100000',
    UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
    LOG_LEVEL: 'info',
    DELIVERY_POLICY: JSON.stringify(POLICY),
  };
}

/** Counts and leads through the relay's admin API, the same on every runtime. */
function observed(url: string, logs: () => LogLine[], close: () => Promise<void>): MatrixRelay {
  const admin = async () => {
    const res = await fetch(`${url}/admin/leads?limit=1000`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`GET /admin/leads: ${res.status} ${await res.text()}`);
    return (await res.json()) as { counts: OutboxCounts; leads: LeadRecord[] };
  };
  return { url, counts: async () => (await admin()).counts, list: async () => (await admin()).leads, logs, close };
}

const parseLines = (lines: string[]) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

/** The Node relay in this process, on SQLite in a tmp DATA_DIR, or on `databaseUrl`. */
async function nodeRelay(sandboxUrl: string, upstreamTimeoutMs: number, databaseUrl?: string): Promise<MatrixRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-faults-'));
  const env = {
    ...vars(sandboxUrl, upstreamTimeoutMs),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    WIDGET_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', secrets: [TOKEN, ADMIN_TOKEN], sink: checkedSink(lines) });
  const relay = await startRelay(env, { logger });
  return observed(
    relay.url,
    () => parseLines(lines),
    async () => {
      await relay.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  );
}

export const sqliteStore: MatrixStore = {
  name: 'SQLite',
  leads: 200,
  setup: async () => {},
  teardown: async () => {},
  start: (sandboxUrl, timeoutMs) => nodeRelay(sandboxUrl, timeoutMs),
};

let postgres: TestPostgres | undefined;
export const postgresStore: MatrixStore = {
  name: 'PostgreSQL',
  leads: 60,
  setup: async () => {
    postgres = await startPostgres();
  },
  teardown: async () => {
    await postgres?.stop();
    postgres = undefined;
  },
  start: async (sandboxUrl, timeoutMs) => nodeRelay(sandboxUrl, timeoutMs, await postgres!.createDatabase()),
};

export const durableObjectStore: MatrixStore = {
  name: 'Durable Object (workerd)',
  leads: 60,
  setup: async () => {},
  teardown: async () => {},
  start: async (sandboxUrl, timeoutMs) => {
    // stdout and stderr each cut into lines of their own: a chunk may end mid-line.
    const lines: string[] = [];
    const partial = { stdout: '', stderr: '' };
    const worker = await workerdTarget(vars(sandboxUrl, timeoutMs), {
      onOutput: (chunk, stream) => {
        const parts = (partial[stream] + chunk).split('\n');
        partial[stream] = parts.pop()!;
        lines.push(...parts);
      },
    });
    return observed(worker.url, () => parseLines(lines), worker.close);
  },
};
