/**
 * A body sent chunked (`Transfer-Encoding: chunked`, no Content-Length, as a browser streams or a
 * proxy re-frames it) gets the same answer as the same body with a Content-Length, on every route
 * that takes a body: the leads POST, Propexo's webhook, the operator's retry. Checked through
 * `app.request` with a ReadableStream body, and over real loopback HTTP to the Node relay.
 */
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitBody } from '../../relay/http/body.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { newLeadRecord, type LeadStore } from '../../relay/outbox/store/types.js';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, TOKEN, VALID_LEAD, buildRelay, fakeUpstream, testEnv } from './fixtures.js';

const ADMIN = 'adm_chunked_0123456789abcdef';
const HOOK = 'whsec_chunked_1';
const ENV = { ADMIN_TOKEN: ADMIN, PROPEXO_WEBHOOK_SECRET: HOOK };
const FAILED_ID = 'ld_failed1';
const SENT_JOB = 'job_sent1';

const json = (value: unknown): Uint8Array<ArrayBuffer> => new TextEncoder().encode(JSON.stringify(value));
const failureEvent = (jobId: string) => json({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: jobId, errors: ['x'] } });
const sign = async (body: Uint8Array<ArrayBuffer>) => hmacSha256Hex(HOOK, body.slice().buffer);

interface Case {
  name: string;
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

/** Every route that reads a body, with bodies that pass and bodies each route refuses. */
async function cases(): Promise<Case[]> {
  const lead = (body: Uint8Array<ArrayBuffer>, extra: Record<string, string> = {}) => ({
    method: 'POST' as const,
    path: '/v1/sites/oak-grove/leads',
    headers: { origin: ORIGIN, 'content-type': 'application/json', ...extra },
    body,
  });
  const hook = async (body: Uint8Array<ArrayBuffer>, signature?: string) => ({
    method: 'POST' as const,
    path: '/v1/propexo/webhooks',
    headers: { 'content-type': 'application/json', 'propexo-signature': signature ?? (await sign(body)) },
    body,
  });
  const retry = (id: string, body: Uint8Array<ArrayBuffer>) => ({
    method: 'POST' as const,
    path: `/admin/leads/${id}/retry`,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body,
  });
  const big = json({ ...VALID_LEAD, notes: 'n'.repeat(20_000) });
  return [
    { name: 'leads: a valid lead', ...lead(json(VALID_LEAD)) },
    { name: 'leads: a valid lead with an Idempotency-Key', ...lead(json(VALID_LEAD), { 'idempotency-key': 'key_chunked_1' }) },
    { name: 'leads: fields that need attention', ...lead(json({ ...VALID_LEAD, email_1: 'nope', phone_1: undefined })) },
    { name: 'leads: not JSON', ...lead(new TextEncoder().encode('{"first_name": ')) },
    { name: 'leads: over the size limit', ...lead(big) },
    { name: 'webhook: a signed write failure', ...(await hook(failureEvent(SENT_JOB))) },
    { name: 'webhook: a wrong signature', ...(await hook(failureEvent(SENT_JOB), '0'.repeat(64))) },
    { name: 'webhook: over the size limit', ...(await hook(json({ pad: 'p'.repeat(70_000) }))) },
    { name: 'admin retry: a failed lead', ...retry(FAILED_ID, json({})) },
    { name: 'admin retry: no such lead', ...retry('ld_nope', json({ reason: 'operator' })) },
  ];
}

/** A failed lead for the operator's retry, and a sent one whose job the webhook names. */
async function seed(store: LeadStore, now: number): Promise<void> {
  const windows = { now, keyWindowMs: 1, dedupeWindowMs: 1 };
  await store.accept(
    newLeadRecord(
      { id: FAILED_ID, site: 'oak-grove', fingerprints: [], submission: { first_name: 'A', last_name: 'B' }, status: 'failed', error: 'x' },
      now,
    ),
    windows,
  );
  await store.accept(
    newLeadRecord(
      { id: 'ld_sent1', site: 'oak-grove', fingerprints: [], submission: { first_name: 'C', last_name: 'D' }, status: 'sent' },
      now,
    ),
    windows,
  );
  await store.update('ld_sent1', { job_id: SENT_JOB, next_attempt_at: now + 60_000 });
}

/** The body in pieces, pulled only when read, so nothing can know its length before reading it. */
function chunked(body: Uint8Array, pieces = 3): ReadableStream<Uint8Array> {
  const size = Math.ceil(body.byteLength / pieces) || 1;
  let at = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (at >= body.byteLength) return controller.close();
        controller.enqueue(body.slice(at, at + size));
        at += size;
      },
    },
    { highWaterMark: 0 },
  );
}

type Answer = { status: number; body: unknown };
const answerOf = async (status: number, text: string): Promise<Answer> => ({ status, body: text === '' ? null : JSON.parse(text) });

describe('a chunked body gets the answer its Content-Length twin gets', () => {
  it('through app.request, on every route that reads a body', async () => {
    for (const c of await cases()) {
      const answers: Answer[] = [];
      for (const stream of [false, true]) {
        // A fresh relay for each: the same state, the same ids, so the answers can be equal.
        const { app, store, clock } = buildRelay({ env: ENV });
        await seed(store, clock.now());
        const init: RequestInit & { duplex?: 'half' } = stream
          ? { method: c.method, headers: c.headers, body: chunked(c.body), duplex: 'half' }
          : { method: c.method, headers: { ...c.headers, 'content-length': String(c.body.byteLength) }, body: c.body };
        const res = await app.request(c.path, init);
        answers.push(await answerOf(res.status, await res.text()));
      }
      expect({ case: c.name, ...answers[1] }).toEqual({ case: c.name, ...answers[0] });
      expect(answers[0]!.status, c.name).toBeLessThan(500);
    }
  });

  describe('over loopback HTTP to the Node relay', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'relay-chunked-'));
    });
    afterAll(() => rm(dataDir, { recursive: true, force: true }));

    async function nodeRelay(): Promise<RunningRelay> {
      const store = createMemoryLeadStore();
      await seed(store, Date.now());
      let n = 0;
      return startRelay(
        { ...testEnv(ENV), PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, WIDGET_DIR: dataDir },
        {
          store,
          fetch: fakeUpstream().fetch,
          logger: createLogger({ secrets: [TOKEN, ADMIN, HOOK], sink: checkedSink() }),
          newId: () => `ld_http${++n}`,
          getClientIp: () => '203.0.113.9',
        },
      );
    }

    /** One request over a socket: framed by Content-Length, or chunked in three writes. */
    function send(url: string, c: Case, stream: boolean): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const headers = {
          ...c.headers,
          ...(stream ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(c.body.byteLength) }),
        };
        const req = httpRequest(new URL(c.path, url), { method: c.method, headers, agent: false }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => void answerOf(res.statusCode ?? 0, Buffer.concat(parts).toString('utf8')).then(resolve, reject));
          res.on('error', reject);
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          // The relay may answer 413 and close before the last chunk is written: that answer counts.
          if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
        });
        if (stream) {
          const third = Math.ceil(c.body.byteLength / 3);
          for (let at = 0; at < c.body.byteLength; at += third) req.write(c.body.subarray(at, at + third));
          req.end();
        } else {
          req.end(c.body);
        }
      });
    }

    it('on every route that reads a body', async () => {
      for (const c of await cases()) {
        const answers: Answer[] = [];
        for (const stream of [false, true]) {
          const relay = await nodeRelay();
          try {
            answers.push(await send(relay.url, c, stream));
          } finally {
            await relay.close();
          }
        }
        expect({ case: c.name, ...answers[1] }).toEqual({ case: c.name, ...answers[0] });
        expect(answers[0]!.status, c.name).toBeLessThan(500);
      }
    });
  });
});

describe("the relay's body limit", () => {
  // What a route written the ordinary hono way sees after it: c.req.json() works for both framings.
  // (The relay's own rewrite, before hono/body-limit, read a chunked body itself and left the route
  // an empty one: c.req.json() threw and the answer was a 500.)
  function app() {
    const a = new Hono();
    a.onError((err, c) => c.json({ error: err.message }, 500));
    a.post('/', limitBody(64), async (c) => c.json(await c.req.json()));
    return a;
  }

  it('leaves the body for c.req.json(), chunked or not', async () => {
    const body = json({ hello: 'world' });
    const sized = await app().request('/', { method: 'POST', body, headers: { 'content-length': String(body.byteLength) } });
    const streamed = await app().request('/', { method: 'POST', body: chunked(body), duplex: 'half' } as RequestInit);
    expect(await answerOf(streamed.status, await streamed.text())).toEqual(await answerOf(sized.status, await sized.text()));
    expect(sized.status).toBe(200);
  });
});
