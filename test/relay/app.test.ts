import { describe, expect, it } from 'vitest';
import { isErrorEnvelope } from '../../contract/errors.js';
import { createRelay } from '../../relay/app.js';
import { parseConfig } from '../../relay/config/env.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, VALID_LEAD, accessControlHeaders, buildRelay, errorOf, manualClock, postLead, propexoLike, testEnv } from './fixtures.js';

describe('health and routing', () => {
  it('GET /healthz answers ok and nothing else', async () => {
    const { app } = buildRelay();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('unknown routes are a 404 envelope', async () => {
    const { app } = buildRelay();
    for (const path of ['/', '/nope', '/v1/sites/oak-grove', '/v1/sites/oak-grove/leads/x/extra']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      const body = await res.json();
      expect(isErrorEnvelope(body)).toBe(true);
      expect((body as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('a wrong method on a known path is a 405 envelope with Allow', async () => {
    const { app, upstream } = buildRelay();
    const cases: [string, string, string][] = [
      ['GET', '/v1/sites/oak-grove/leads', 'POST, OPTIONS'],
      ['PUT', '/v1/sites/oak-grove/leads', 'POST, OPTIONS'],
      ['DELETE', '/v1/sites/oak-grove/leads', 'POST, OPTIONS'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['POST', '/widget.js', 'GET, HEAD'],
      ['DELETE', '/widget/chunk.js', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await app.request(path, { method, headers: { origin: ORIGIN } });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect((await errorOf(res)).code).toBe('method_not_allowed');
    }
    expect(upstream.calls).toHaveLength(0);
  });
});

describe('OPTIONS /v1/sites/:site/leads (CORS preflight)', () => {
  const preflight = (app: ReturnType<typeof buildRelay>['app'], origin: string | null, site = 'oak-grove') =>
    app.request(`/v1/sites/${site}/leads`, {
      method: 'OPTIONS',
      headers: {
        ...(origin === null ? {} : { origin }),
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,idempotency-key',
      },
    });

  it('answers 204 for an allowed origin', async () => {
    const { app } = buildRelay();
    for (const origin of [ORIGIN, 'http://localhost:8787']) {
      const res = await preflight(app, origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type,Idempotency-Key');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('vary')).toContain('Origin');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(await res.text()).toBe('');
    }
  });

  it('refuses other origins with 403 and no Access-Control-* header', async () => {
    const { app } = buildRelay();
    for (const origin of ['https://evil.example', 'https://pineridge.example', 'null', null]) {
      const res = await preflight(app, origin);
      expect(res.status, String(origin)).toBe(403);
      expect((await errorOf(res)).code).toBe('origin_not_allowed');
      expect(accessControlHeaders(res)).toEqual([]);
    }
  });

  it('an unknown site is a 404', async () => {
    const { app } = buildRelay();
    const res = await preflight(app, ORIGIN, 'nope');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('site_not_found');
  });
});

describe('POST /v1/sites/:site/leads: success', () => {
  it('answers 202 queued once stored, with CORS and RateLimit headers, before anything reaches Propexo', async () => {
    const { app, upstream, store } = buildRelay();
    const res = await postLead(app, VALID_LEAD);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: 'ld_test1', status: 'queued' });
    expect(store.all()).toMatchObject([{ id: 'ld_test1', site: 'oak-grove', status: 'queued', attempts: 0 }]);
    expect(upstream.calls).toHaveLength(0); // the body Propexo gets is deliverer.test.ts's subject
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    // Only the client's own limit: the site's quota never answers 429, so it is not advertised.
    expect(res.headers.get('ratelimit-policy')).toBe('"ip";q=3;w=600');
    expect(res.headers.get('ratelimit')).toBe('"ip";r=2;t=600');
  });

  it('uses each site’s own ids', async () => {
    const { app, upstream, deliver } = buildRelay();
    const res = await postLead(app, VALID_LEAD, { site: 'pine-ridge', origin: 'https://pineridge.example' });
    expect(res.status).toBe(202);
    await deliver();
    expect(upstream.calls[0]!.body).toMatchObject({
      integration_id: 'int_pine',
      property_id: 'prop_pine',
      employee_id: 'emp_pine',
      lead_source_id: 'src_pine',
    });
  });

  it('accepts a charset parameter and reads job_id from the generic shape too', async () => {
    const { app, store, deliver } = buildRelay({
      handler: propexoLike({ create: () => Response.json({ job_id: 'job_generic', data: {} }) }),
    });
    const res = await postLead(app, VALID_LEAD, { contentType: 'Application/JSON; charset=utf-8' });
    expect(res.status).toBe(202);
    await deliver();
    expect(store.all()[0]!.job_id).toBe('job_generic');
  });
});

describe('POST /v1/sites/:site/leads: refusals in order', () => {
  it('unknown site → 404 site_not_found, before the origin check', async () => {
    const { app, upstream } = buildRelay();
    for (const site of ['nope', 'constructor', '__proto__']) {
      const res = await postLead(app, VALID_LEAD, { site, origin: 'https://evil.example' });
      expect(res.status, site).toBe(404);
      expect((await errorOf(res)).code).toBe('site_not_found');
    }
    expect(upstream.calls).toHaveLength(0);
  });

  it('missing or foreign Origin → 403 with no CORS headers', async () => {
    const { app, upstream } = buildRelay();
    const origins = [null, 'https://evil.example', 'https://pineridge.example', 'null', `${ORIGIN}/`, 'https://WWW.oakgrove.example.evil'];
    for (const origin of origins) {
      const res = await postLead(app, VALID_LEAD, { origin });
      expect(res.status, String(origin)).toBe(403);
      expect((await errorOf(res)).code).toBe('origin_not_allowed');
      expect(accessControlHeaders(res)).toEqual([]);
    }
    expect(upstream.calls).toHaveLength(0);
  });

  it('not application/json → 415, with CORS headers so the browser can read it', async () => {
    const { app } = buildRelay();
    for (const contentType of [
      null,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'application/json; charset=latin1',
      'application/json; charset="utf-16"',
    ]) {
      const res = await postLead(app, VALID_LEAD, { contentType });
      expect(res.status, String(contentType)).toBe(415);
      expect((await errorOf(res)).code).toBe('unsupported_media_type');
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    }
  });

  it('body over 16 KiB → 413, with Content-Length', async () => {
    const { app, upstream } = buildRelay();
    const body = JSON.stringify({ ...VALID_LEAD, notes: 'x'.repeat(17 * 1024) });
    const res = await postLead(app, body, { headers: { 'content-length': String(new TextEncoder().encode(body).length) } });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(upstream.calls).toHaveLength(0);
  });

  it('body over 16 KiB → 413, streamed without Content-Length', async () => {
    const { app, upstream } = buildRelay();
    const chunk = new TextEncoder().encode(`{"notes":"${'y'.repeat(4096)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const req = new Request('http://relay.test/v1/sites/oak-grove/leads', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(req.headers.has('content-length')).toBe(false);
    const res = await app.request(req);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(upstream.calls).toHaveLength(0);
  });

  it('a streamed body under the limit is accepted', async () => {
    const { app } = buildRelay();
    const bytes = new TextEncoder().encode(JSON.stringify(VALID_LEAD));
    const req = new Request('http://relay.test/v1/sites/oak-grove/leads', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(bytes);
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect((await app.request(req)).status).toBe(202);
  });

  it('per-IP limit → 429 with Retry-After and RateLimit headers; other IPs pass', async () => {
    let ip = '198.51.100.1';
    const { app, clock, store } = buildRelay({ ip: () => ip });
    for (let i = 0; i < 3; i++) expect((await postLead(app, VALID_LEAD)).status).toBe(202);
    clock.advance(100_000);
    const res = await postLead(app, VALID_LEAD);
    expect(res.status).toBe(429);
    expect((await errorOf(res)).code).toBe('rate_limited');
    expect(res.headers.get('retry-after')).toBe('500');
    expect(res.headers.get('ratelimit-policy')).toBe('"ip";q=3;w=600');
    expect(res.headers.get('ratelimit')).toBe('"ip";r=0;t=500');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(store.all()).toHaveLength(1); // the same lead three times is one lead, but three requests

    ip = '198.51.100.2';
    expect((await postLead(app, VALID_LEAD)).status).toBe(202);
    clock.advance(500_000);
    ip = '198.51.100.1';
    expect((await postLead(app, VALID_LEAD)).status).toBe(202);
  });

  it('per-site limit: valid leads past it are accepted and held, never refused; junk never counts; other sites unaffected', async () => {
    let n = 0;
    const { app, store, deliver, upstream } = buildRelay({ ip: () => `192.0.2.${++n}` });
    // Junk from many addresses costs each sender its own limit, and the site nothing.
    for (let i = 0; i < 30; i++) expect((await postLead(app, { not: 'a lead' })).status).toBe(400);
    const person = (i: number) => ({ ...VALID_LEAD, email_1: `person${i}@gmail.com` });
    for (let i = 0; i < 12; i++) {
      const res = await postLead(app, person(i));
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ status: 'queued' });
      expect(res.headers.get('ratelimit-policy')).toBe('"ip";q=3;w=600');
    }
    const leads = store.all();
    expect(leads.filter((l) => l.status === 'queued')).toHaveLength(10);
    expect(leads.filter((l) => l.status === 'held').map((l) => l.error)).toEqual(['over_site_limit', 'over_site_limit']);
    expect((await postLead(app, person(99), { site: 'pine-ridge', origin: 'https://pineridge.example' })).status).toBe(202);
    await deliver();
    // Propexo's budget is spent on the site's quota only.
    expect(upstream.calls.filter((c) => c.method === 'POST' && c.url.endsWith('/v1/leads/resman/'))).toHaveLength(11);
  });

  it('an unknown client IP still counts, in a shared bucket', async () => {
    const { app } = buildRelay({ ip: () => undefined });
    for (let i = 0; i < 3; i++) await postLead(app, VALID_LEAD);
    expect((await postLead(app, VALID_LEAD)).status).toBe(429);
  });

  it('invalid JSON, invalid UTF-8 and non-objects → 400 invalid_json', async () => {
    let n = 0;
    const { app, upstream } = buildRelay({
      ip: () => `192.0.2.${++n}`,
      env: {
        SITES_JSON: JSON.stringify({
          'oak-grove': {
            name: 'S',
            integration_id: 'i',
            property_id: 'p',
            employee_id: 'e',
            lead_source_id: 'l',
            allowed_origins: [ORIGIN],
          },
        }),
      },
    });
    const bodies: (string | Uint8Array)[] = [
      '',
      '{',
      '{"first_name": "Jane",}',
      'undefined',
      '[]',
      '"str"',
      'null',
      '42',
      'true',
      '[{"first_name":"x"}]',
      new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"a":"\xff\xfe"}
      new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]), // truncated sequence
    ];
    for (const body of bodies) {
      const res = await postLead(app, body);
      expect(res.status, String(body)).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_json');
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    }
    expect(upstream.calls).toHaveLength(0);
  });

  it('a malformed Idempotency-Key → 400 invalid_idempotency_key', async () => {
    const { app, upstream } = buildRelay({
      env: {
        SITES_JSON: JSON.stringify({
          s: {
            name: 'S',
            integration_id: 'i',
            property_id: 'p',
            employee_id: 'e',
            lead_source_id: 'l',
            allowed_origins: [ORIGIN],
            limits: { per_ip: { max: 100, window_seconds: 60 } },
          },
        }),
      },
    });
    for (const key of ['', 'short', 'has space here', 'ünïcode-key', 'a'.repeat(129), 'semi;colon12']) {
      const res = await postLead(app, VALID_LEAD, { site: 's', key });
      expect(res.status, key).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_idempotency_key');
    }
    expect(upstream.calls).toHaveLength(0);
  });

  it('contract errors → 400 invalid_fields with field codes; unknown keys like integration_id refused', async () => {
    const { app, upstream, store } = buildRelay();
    const res = await postLead(app, {
      first_name: '',
      last_name: 'Doe',
      email_1: 'none@none.com',
      phone_1: '555-1234',
      target_move_in_date: '2025-02-30',
      integration_id: 'int_attacker',
      lead_source_id: 'src_attacker',
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_fields');
    const codes = Object.fromEntries(error.fields.map((f) => [f.field, f.code]));
    expect(codes).toEqual({
      first_name: 'required',
      email_1: 'placeholder',
      phone_1: 'invalid_phone',
      target_move_in_date: 'invalid_date',
      integration_id: 'unknown_field',
      lead_source_id: 'unknown_field',
    });
    expect(error.fields.every((f) => typeof f.message === 'string' && f.message.length > 0)).toBe(true);
    expect(upstream.calls).toHaveLength(0);
    expect(store.all()).toHaveLength(0);
  });
});

describe('unexpected failures', () => {
  it('a store that cannot take the lead → 503 unavailable with Retry-After, logged, no stack in the answer', async () => {
    const lines: string[] = [];
    const app = createRelay({
      config: parseConfig(testEnv()),
      clock: manualClock(),
      limiter: createMemoryLimiter(),
      store: { ...createMemoryLeadStore(), accept: () => Promise.reject(new Error('disk on fire')) },
      logger: createLogger({ sink: checkedSink(lines) }),
      getClientIp: () => '192.0.2.1',
    });
    const res = await postLead(app, VALID_LEAD);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('unavailable');
    expect(text).not.toMatch(/disk on fire|at .*\.ts/);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'store.unavailable');
    expect(logged.error.message).toBe('disk on fire');
  });

  it('a store that cannot answer a receipt or an Idempotency-Key lookup → 503 too', async () => {
    const failing = () => Promise.reject(new Error('disk on fire'));
    const app = createRelay({
      config: parseConfig(testEnv()),
      clock: manualClock(),
      limiter: createMemoryLimiter(),
      store: { ...createMemoryLeadStore(), get: failing, findByIdempotencyKey: failing },
      logger: createLogger({ sink: checkedSink() }),
      getClientIp: () => '192.0.2.1',
    });
    const receipt = await app.request('/v1/sites/oak-grove/leads/ld_1', { headers: { origin: ORIGIN } });
    expect(receipt.status).toBe(503);
    expect((await errorOf(receipt)).code).toBe('unavailable');
    const replay = await postLead(app, VALID_LEAD, { key: 'fill-12345678' });
    expect(replay.status).toBe(503);
  });
});
