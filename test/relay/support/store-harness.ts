/**
 * The four lead stores the shared behaviour suites run against (store.test.ts, store-followups.test.ts):
 * memory, SQLite (Node), the Durable Object store in workerd (Miniflare) and PostgreSQL (a private
 * server, support/postgres.ts, a fresh database per test). The worker and the server are started
 * once per test file, by the first suite that needs them; call stopStoreServers() in its afterAll.
 */
import { createMemoryLeadStore } from '../../../relay/outbox/store/memory.js';
import { openPostgresLeadStore } from '../../../relay/outbox/store/postgres.js';
import { openSqliteLeadStore } from '../../../relay/outbox/store/sqlite.js';
import type { LeadStore } from '../../../relay/outbox/store/types.js';
import { remoteLeadStore } from './store-fixtures.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { startWorker, type Workerd, type WorkerdBundle } from './workerd.js';

/** The test worker in workerd (support/store-worker.ts). Calls go over loopback HTTP, one request per store call. */
let worker: (Workerd & { bundle: WorkerdBundle }) | undefined;
let postgres: TestPostgres | undefined;

export async function startStoreWorker(): Promise<void> {
  worker ??= await startWorker('test/relay/support/store-worker.ts', {
    durableObjects: { STORE: { className: 'StoreObject', useSQLite: true } },
  });
}

/** The bundle the store worker runs (what it was built from). */
export function storeWorkerBundle(): WorkerdBundle {
  if (!worker) throw new Error('store worker not started');
  return worker.bundle;
}

export async function stopStoreServers(): Promise<void> {
  await worker?.dispose();
  await postgres?.stop();
  worker = undefined;
  postgres = undefined;
}

let objects = 0;
/** The lead store of a Durable Object never used before: fresh, empty storage. */
export function durableStore(name = `store-${++objects}`) {
  if (!worker) throw new Error('store worker not started');
  const url = new URL(`/${encodeURIComponent(name)}`, worker.url);
  return remoteLeadStore(async (body) => (await fetch(url, { method: 'POST', body })).text());
}

export interface Harness {
  open(): LeadStore | Promise<LeadStore>;
  /** Once, before the suite's first test. */
  setup?(): Promise<void>;
}

/** For describe.each: each store's name and harness. */
export const STORE_HARNESSES: [string, Harness][] = [
  ['memory', { open: () => createMemoryLeadStore() }],
  ['sqlite', { open: () => openSqliteLeadStore(':memory:') }],
  ['durable object (workerd)', { open: () => durableStore(), setup: startStoreWorker }],
  [
    'postgres',
    {
      setup: async () => {
        postgres ??= await startPostgres();
      },
      // A database of its own for every test: fresh, empty.
      open: async () => openPostgresLeadStore(await postgres!.createDatabase(), { poolSize: 4 }),
    },
  ],
];
