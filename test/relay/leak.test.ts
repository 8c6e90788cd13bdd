/**
 * The token never leaves the relay: not in an answer (body or header), not in a log line, whatever
 * goes wrong. And log lines never carry a prospect's full email or phone.
 */
import { describe, expect, it } from 'vitest';
import { createRelay } from '../../relay/app.js';
import { parseConfig } from '../../relay/config.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/log.js';
import { createMemoryLeadStore } from '../../relay/store/memory.js';
import type { LeadStore } from '../../relay/store/types.js';
import { ORIGIN, TOKEN, VALID_LEAD, buildRelay, fakeUpstream, manualClock, okResponse, postLead, testEnv, type UpstreamHandler } from './fixtures.js';

const EMAIL = VALID_LEAD.email_1;
const PHONES = ['5125550142', '(512) 555-0142', '512-555-0142'];

// Upstream answers that try hard to leak: echoing the token and the prospect's details back.
const echo400: UpstreamHandler = (call) =>
  Response.json(
    { error: { code: 'invalid_request', message: `Authorization ${call.headers.get('authorization')} rejected`, details: { received: call.body } } },
    { status: 400 },
  );
const UPSTREAM: UpstreamHandler[] = [
  () => okResponse(),
  echo400,
  (call) => new Response(`invalid token ${call.headers.get('authorization')}`, { status: 401 }),
  () => new Response(`forbidden for ${TOKEN}`, { status: 403 }),
  () => new Response('', { status: 429 }),
  () => new Response(`<html>${TOKEN}</html>`, { status: 500 }),
  () => new Promise<Response>(() => {}),
  () => {
    throw new TypeError(`fetch failed for Bearer ${TOKEN}`, { cause: { code: 'ECONNRESET' } });
  },
  () => new Response(`{"meta":{"job_id":"${TOKEN}`, { status: 200 }),
];

async function snapshot(res: Response): Promise<string> {
  return `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await res.text()}`;
}

describe('the token never leaks', () => {
  it('through any answer or log line, across every path', async () => {
    let ipN = 0;
    let ip: string | undefined;
    let upstreamN = 0;
    const assets = { get: async (p: string) => (p === 'widget.js' ? { body: 'export {}', contentType: 'text/javascript' } : null) };
    const relay = buildRelay({ ip: () => ip ?? `192.0.2.${++ipN}`, handler: (call, init) => UPSTREAM[upstreamN++ % UPSTREAM.length]!(call, init), assets, logLevel: 'debug' });
    const { app, clock } = relay;
    const seen: string[] = [];
    const record = async (res: Response | Promise<Response>) => seen.push(await snapshot(await res));

    await record(app.request('/healthz'));
    await record(app.request('/widget.js'));
    await record(app.request('/widget/../../.env'));
    await record(app.request('/widget/%2e%2e/secret'));
    await record(app.request('/nope'));
    await record(app.request('/v1/sites/oak-grove/leads', { method: 'GET' }));
    await record(app.request('/v1/sites/oak-grove/leads', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } }));
    await record(app.request('/v1/sites/oak-grove/leads', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }));
    await record(postLead(app, VALID_LEAD, { site: 'nope' }));
    await record(postLead(app, VALID_LEAD, { origin: null }));
    await record(postLead(app, VALID_LEAD, { contentType: 'text/plain' }));
    await record(postLead(app, JSON.stringify({ notes: 'z'.repeat(20_000) })));
    await record(postLead(app, '{bad json'));
    await record(postLead(app, new Uint8Array([0x7b, 0xff, 0x7d])));
    await record(postLead(app, '[]'));
    await record(postLead(app, VALID_LEAD, { key: 'bad key' }));
    await record(postLead(app, { ...VALID_LEAD, integration_id: TOKEN, email_1: 'none@none.com' }));
    // Every upstream behaviour, twice round, with and without idempotency keys (replays included).
    for (let i = 0; i < UPSTREAM.length * 2; i++) {
      await record(postLead(app, VALID_LEAD, i % 2 ? { key: `key-${i % 3}-abcdef` } : {}));
      clock.advance(61_000); // keep under the per-site limit
    }
    ip = '198.51.100.50';
    for (let i = 0; i < 4; i++) await record(postLead(app, { first_name: 'x' }));

    // A store failure whose message carries the token.
    const lines = relay.lines;
    const broken: LeadStore = { ...createMemoryLeadStore(), insert: async () => { throw new Error(`db rejected ${TOKEN}`); } };
    const brokenApp = createRelay({
      config: parseConfig(testEnv()),
      fetch: fakeUpstream().fetch,
      clock: manualClock(),
      limiter: createMemoryLimiter(),
      store: broken,
      logger: createLogger({ level: 'debug', secrets: [TOKEN], sink: (l) => lines.push(l) }),
      getClientIp: () => '192.0.2.200',
    });
    await record(postLead(brokenApp, VALID_LEAD));

    const statuses = seen.map((s) => Number(s.split('\n')[0]));
    // Every path was really exercised.
    for (const status of [200, 202, 204, 400, 403, 404, 405, 413, 415, 429, 500, 502, 503]) expect(statuses).toContain(status);

    for (const s of seen) expect(s).not.toContain(TOKEN);
    expect(lines.length).toBeGreaterThan(40);
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(EMAIL);
      for (const phone of PHONES) expect(line).not.toContain(phone);
    }
    // Upstream did echo the token; what reached the log was redacted.
    expect(lines.some((l) => l.includes('[redacted]'))).toBe(true);
  });
});
