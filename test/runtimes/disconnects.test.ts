/**
 * The Worker, like the Node relay (test/relay/disconnects.test.ts): a client that goes away in the
 * middle of its body is logged at info level as 499, with no `internal_error` and no stack. workerd
 * words the broken body "Network connection lost." and does not abort the request's signal.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { startWorker, type Workerd } from '../relay/support/workerd.js';
import { checkText } from '../support/hygiene.js';
import { ORIGIN } from './targets.js';

const ROOT = join(import.meta.dirname, '../..');
const SITES = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional' } };

let worker: Workerd;
const output: string[] = [];

beforeAll(async () => {
  worker = await startWorker(join(ROOT, 'relay/runtime/worker/worker.ts'), {
    durableObjects: { OUTBOX: { className: 'OutboxObject', useSQLite: true }, LIMITER: { className: 'LimiterObject', useSQLite: true } },
    bindings: { PROPEXO_API_TOKEN: 'ptx_disconnect_token_1234', PROPEXO_BASE_URL: 'http://127.0.0.1:9', SITES_JSON: JSON.stringify(SITES) },
    miniflare: {
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        for (const stream of [stdout, stderr]) {
          stream.setEncoding('utf8').on('data', (chunk: string) => {
            checkText(chunk);
            output.push(chunk);
          });
        }
      },
      serviceBindings: { ASSETS: () => new Response('', { status: 404 }) },
    },
  });
}, 60_000);
afterAll(() => worker?.dispose());

const logged = () =>
  output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Sends the headers and part of the body, waits `ms`, then drops the socket. */
async function dropMidBody(path: string, ms: number): Promise<void> {
  const socket = connect(Number(worker.url.port), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: relay.test\r\norigin: ${ORIGIN}\r\ncontent-type: application/json\r\n` +
      `content-length: 4000\r\n\r\n{"first_name":"Ja`,
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.destroy();
}

describe('a client that disconnects mid-body, in workerd', () => {
  it('is logged at info level as 499, with no error and no stack', async () => {
    const path = '/v1/sites/oak-grove/leads';
    // Nothing tells a client when workerd has handed its request on: a request dropped before that
    // leaves no line at all, so the drop waits longer each time until one is logged.
    for (const ms of [300, 1_500, 5_000]) {
      await dropMidBody(path, ms);
      const seen = await expect
        .poll(() => logged().some((l) => l.event === 'request'), { timeout: 3_000, interval: 50 })
        .toBe(true)
        .then(
          () => true,
          () => false,
        );
      if (seen) break;
    }
    const lines = logged();
    expect(lines.find((l) => l.event === 'request')).toMatchObject({ level: 'info', method: 'POST', path, status: 499 });
    expect(lines.filter((l) => l.level !== 'info' && l.level !== 'debug')).toEqual([]);
    expect(output.join('')).not.toMatch(/internal_error|stack/);
  }, 60_000);
});
