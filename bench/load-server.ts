/**
 * A server for the load benchmark, in its own process so autocannon (in the parent) and the server
 * each have a core: `relay` is the Node relay exactly as relay/runtime/node/server.ts runs it (startRelay: SQLite
 * outbox, memory limiter, deliverer sending to the embedded Propexo sandbox, JSON logs on stdout),
 * `bare` a Hono app on @hono/node-server whose route parses the same JSON and answers 200.
 * Talks to the parent over IPC: sends { url } when listening; answers 'counts'; ends on 'close'.
 * `relay-memory` is the relay with its outbox in memory, for diagnosis only.
 * Run by bench/relay-load.ts: node --import tsx bench/load-server.ts relay|relay-memory|bare
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { startRelay } from '../relay/runtime/node/server.js';
import { startSandbox } from '../sandbox/index.js';
import { createMemoryLeadStore } from '../relay/outbox/store/memory.js';
import { freePort } from '../test/support/free-port.js';
import { BENCH_TOKEN, benchSites } from './lead.js';

const mode = process.argv[2];
const send = (message: unknown) => process.send?.(message);

if (mode === 'relay' || mode === 'relay-memory') {
  const sandbox = await startSandbox({ token: BENCH_TOKEN, writeDelayMs: 50, log: () => {} });
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-load-'));
  const relay = await startRelay(
    {
      PROPEXO_API_TOKEN: BENCH_TOKEN,
      PROPEXO_BASE_URL: sandbox.url,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      SITES_JSON: benchSites(),
    },
    // The diagnosis run: everything the same but the outbox, in memory instead of SQLite on disk.
    mode === 'relay-memory' ? { store: createMemoryLeadStore() } : {},
  );
  process.on('message', async (m) => {
    if (m === 'counts') send({ counts: await relay.store.counts(), delivered: sandbox.leads().length });
    if (m === 'close') {
      await relay.close();
      await sandbox.close();
      await rm(dataDir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  send({ url: relay.url });
} else if (mode === 'bare') {
  const app = new Hono();
  app.post('/v1/sites/:site/leads', async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    return c.json({ ok: typeof body === 'object' }, 200);
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server;
  });
  process.on('message', (m) => {
    if (m === 'counts') send({ counts: {} });
    if (m === 'close') server.close(() => process.exit(0));
  });
  send({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
} else {
  process.stderr.write('usage: load-server.ts relay|relay-memory|bare\n');
  process.exit(2);
}
