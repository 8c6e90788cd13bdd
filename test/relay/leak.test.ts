/**
 * Secrets never leave the relay: not the Propexo token, the admin token or the webhook secret, in
 * no answer (body or header) and no log line, whatever goes wrong upstream or in the store. And log
 * lines never carry a prospect's full email or phone.
 */
import { describe, expect, it } from 'vitest';
import { createRelay } from '../../relay/app.js';
import { parseConfig } from '../../relay/config/env.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { checkedSink } from '../support/hygiene.js';
import type { LeadStore } from '../../relay/outbox/store/types.js';
import {
  ORIGIN,
  TOKEN,
  VALID_LEAD,
  buildRelay,
  manualClock,
  okResponse,
  postLead,
  propexoLike,
  testEnv,
  type UpstreamHandler,
} from './fixtures.js';

const ADMIN = 'adm_Sup3r_s3cret_admin_t0ken';
const HOOK = 'whsec_H00k_s3cret_value';
const SECRETS = [TOKEN, ADMIN, HOOK];
const PHONES = ['5125550142', '(512) 555-0142', '512-555-0142'];

// Upstream answers that try hard to leak: echoing the token and the prospect's details back.
const CREATE: UpstreamHandler[] = [
  () => okResponse('job_ok'),
  (call) =>
    Response.json(
      {
        error: {
          code: 'invalid_request',
          message: `Authorization ${call.headers.get('authorization')} rejected`,
          details: { received: call.body },
        },
      },
      { status: 400 },
    ),
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
const STATUS: UpstreamHandler[] = [
  () => Response.json({ write_status: 'FAILURE', errors: [`token ${TOKEN} expired`], created_record_id: null }),
  (call) => Response.json({ error: { message: `no job for ${call.headers.get('authorization')}` } }, { status: 404 }),
  () => Response.json({ write_status: 'SUCCESS', errors: [], created_record_id: 'rec_1' }),
];

async function snapshot(res: Response): Promise<string> {
  return `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await res.text()}`;
}

describe('secrets never leak', () => {
  it('through any answer or log line, across every path', async () => {
    let n = 0;
    let create = 0;
    let status = 0;
    const assets = { get: async (p: string) => (p === 'widget.js' ? { body: 'export {}', contentType: 'text/javascript' } : null) };
    const relay = buildRelay({
      env: { ADMIN_TOKEN: ADMIN, PROPEXO_WEBHOOK_SECRET: HOOK },
      ip: () => `192.0.2.${++n % 250}`,
      handler: propexoLike({
        create: (call, init) => CREATE[create++ % CREATE.length]!(call, init),
        status: (call, init) => STATUS[status++ % STATUS.length]!(call, init),
        search: (call) => Response.json({ results: [{ id: TOKEN, first_name: call.headers.get('authorization') }] }),
      }),
      assets,
      logLevel: 'debug',
    });
    const { app, clock, deliver } = relay;
    const seen: string[] = [];
    const record = async (res: Response | Promise<Response>) => seen.push(await snapshot(await res));

    await record(app.request('/healthz'));
    await record(app.request('/widget.js'));
    await record(app.request('/widget/../../.env'));
    await record(app.request('/nope'));
    await record(app.request('/v1/sites/oak-grove/leads', { method: 'GET' }));
    await record(app.request('/v1/sites/oak-grove/leads', { method: 'GET', headers: { origin: ORIGIN } }));
    await record(
      app.request('/v1/sites/oak-grove/leads', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } }),
    );
    await record(app.request('/v1/sites/oak-grove/leads', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }));
    await record(postLead(app, VALID_LEAD, { site: 'nope' }));
    await record(postLead(app, VALID_LEAD, { origin: null }));
    await record(postLead(app, VALID_LEAD, { contentType: 'text/plain' }));
    await record(postLead(app, JSON.stringify({ notes: 'z'.repeat(20_000) })));
    await record(postLead(app, '{bad json'));
    await record(postLead(app, new Uint8Array([0x7b, 0xff, 0x7d])));
    await record(postLead(app, VALID_LEAD, { key: 'bad key' }));
    await record(postLead(app, { ...VALID_LEAD, integration_id: TOKEN, email_1: 'none@none.com' }));
    // Every upstream behaviour, for leads of different people, each delivered to its end.
    for (let i = 0; i < CREATE.length * 2; i++) {
      await record(postLead(app, { ...VALID_LEAD, last_name: `Doe${'x'.repeat(i)}` }, i % 2 ? { key: `key-${i % 3}-abcdef` } : {}));
      await deliver(5_000);
      clock.advance(61_000); // keep under the per-site limit
    }
    // Past the site's limit: held, not refused (issue 12).
    for (let i = 0; i < 12; i++) await record(postLead(app, { ...VALID_LEAD, first_name: `Ann${'a'.repeat(i)}` }));
    await deliver();
    // Past one client's limit: 429 (another relay with one fixed address).
    const oneClient = buildRelay({ ip: '192.0.2.77' });
    for (let i = 0; i < 4; i++) await record(postLead(oneClient.app, { ...VALID_LEAD, first_name: `Bo${'b'.repeat(i)}` }));
    const leads = relay.store.all();
    const admin = { authorization: `Bearer ${ADMIN}` };
    await record(app.request('/admin/leads?status=failed', { headers: admin }));
    await record(app.request('/admin/leads', { headers: { authorization: `Bearer ${ADMIN}x` } }));
    await record(app.request(`/admin/leads/${leads[0]!.id}/retry`, { method: 'POST', headers: admin }));
    await record(app.request(`/admin/leads/${leads.find((l) => l.status === 'failed')!.id}/retry`, { method: 'POST', headers: admin }));
    const event = JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: 'job_ok', errors: [TOKEN] } });
    const signature = await hmacSha256Hex(HOOK, new TextEncoder().encode(event).buffer as ArrayBuffer);
    await record(app.request('/v1/propexo/webhooks', { method: 'POST', body: event, headers: { 'propexo-signature': signature } }));
    await record(app.request('/v1/propexo/webhooks', { method: 'POST', body: event, headers: { 'propexo-signature': HOOK } }));
    await deliver();

    // A store failure whose message carries the token.
    const lines = relay.lines;
    const broken: LeadStore = {
      ...createMemoryLeadStore(),
      accept: async () => {
        throw new Error(`db rejected ${TOKEN}`);
      },
    };
    const brokenApp = createRelay({
      config: parseConfig(testEnv()),
      clock: manualClock(),
      limiter: createMemoryLimiter(),
      store: broken,
      logger: createLogger({ level: 'debug', secrets: SECRETS, sink: checkedSink(lines) }),
      getClientIp: () => '192.0.2.200',
    });
    await record(postLead(brokenApp, VALID_LEAD));

    const statuses = seen.map((s) => Number(s.split('\n')[0]));
    // Every path was really exercised.
    for (const code of [200, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503]) expect(statuses, String(code)).toContain(code);
    const outcomes = new Set(relay.store.all().map((l) => `${l.status}:${l.error ?? ''}`));
    expect(outcomes).toEqual(new Set(['confirmed:', 'failed:propexo_rejected', 'failed:job_not_found', 'held:over_site_limit']));

    for (const s of seen) for (const secret of SECRETS) expect(s).not.toContain(secret);
    expect(lines.length).toBeGreaterThan(80);
    for (const line of lines) {
      for (const secret of SECRETS) expect(line).not.toContain(secret);
      expect(line).not.toContain(VALID_LEAD.email_1);
      for (const phone of PHONES) expect(line).not.toContain(phone);
    }
    // Upstream did echo the token; what reached the log was redacted.
    expect(lines.some((l) => l.includes('[redacted]'))).toBe(true);
  });
});
