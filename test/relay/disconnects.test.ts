/**
 * A client that goes away in the middle of its body is not the relay's error: the request is logged
 * at info level with status 499 (nginx's "client closed request"), with no `internal_error`, no
 * stack and no alert, so anyone opening and dropping connections cannot inflate the error rate.
 * Over real loopback HTTP to the Node relay: a POST announcing more body than it sends, then the
 * socket destroyed.
 */
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, TOKEN, fakeUpstream, testEnv } from './fixtures.js';

const HOOK = 'whsec_disconnect_1';

let dataDir: string;
let relay: RunningRelay;
const lines: string[] = [];
/** Resolved by the next request the relay is handed (its headers are in: the body is what is missing). */
let arrived: () => void = () => {};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'relay-disconnect-'));
  relay = await startRelay(
    {
      ...testEnv({ PROPEXO_WEBHOOK_SECRET: HOOK }),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      WIDGET_DIR: dataDir,
    },
    {
      store: createMemoryLeadStore(),
      fetch: fakeUpstream().fetch,
      logger: createLogger({ level: 'info', secrets: [TOKEN, HOOK], sink: checkedSink(lines) }),
      getClientIp: () => '203.0.113.9',
    },
    {
      wrap: (app) => ({
        fetch: (request, env) => {
          arrived();
          return app.fetch(request, env);
        },
      }),
    },
  );
  // The site check at start is over (this Propexo has no lists: its warnings) before any line is measured.
  await vi.waitFor(() => expect(lines.some((l) => l.includes('"event":"sites.checked"'))).toBe(true), { timeout: 10_000 });
});
afterAll(async () => {
  await relay?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Sends the headers and part of the body, waits until the relay has the request, then drops the socket. */
async function dropMidBody(path: string, headers: Record<string, string>): Promise<void> {
  const { port } = new URL(relay.url);
  const handed = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  const head = Object.entries({ host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': '4000', ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n{"first_name":"Ja`);
  await handed;
  socket.destroy();
}

const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const requestLine = (path: string) => logged().find((l) => l.event === 'request' && l.path === path);

describe('a client that disconnects mid-body', () => {
  it.each([
    ['the leads route', '/v1/sites/oak-grove/leads', { origin: ORIGIN }],
    ['the webhook', '/v1/propexo/webhooks', { 'propexo-signature': '0'.repeat(64) }],
  ])('on %s is logged at info level as 499, with no error and no stack', async (_name, path, headers) => {
    const before = lines.length;
    await dropMidBody(path, headers);
    await expect.poll(() => requestLine(path), { timeout: 5_000, interval: 20 }).toBeDefined();
    expect(requestLine(path)).toMatchObject({ level: 'info', method: 'POST', status: 499 });
    const since = lines.slice(before).join('\n');
    expect(since).not.toContain('internal_error');
    expect(since).not.toMatch(/"level":"(warn|error)"/);
    expect(since).not.toContain('"alert"');
    expect(since).not.toContain('stack');
  });
});
