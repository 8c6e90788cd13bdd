import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { createErrorHandler } from '../../relay/http-errors.js';
import { createLogger } from '../../relay/log.js';
import type { LeadStore } from '../../relay/store/types.js';
import { createRelay } from '../../relay/app.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { parseConfig } from '../../relay/config.js';
import { VALID_LEAD, buildRelay, errorOf, fakeUpstream, manualClock, postLead, testEnv, type UpstreamHandler } from './fixtures.js';

const propexo400 = () =>
  Response.json(
    {
      error: {
        code: 'invalid_request',
        message: 'Validation failed',
        details: { issues: [{ code: 'custom', path: ['email_1'], message: 'bad email jane.doe@gmail.com' }, { path: ['phone_1'], message: 'phone 5125550142' }] },
      },
    },
    { status: 400 },
  );

async function mapped(handler: UpstreamHandler) {
  const relay = buildRelay({ handler });
  const res = await postLead(relay.app, VALID_LEAD);
  const error = res.status === 202 ? null : await errorOf(res);
  return { ...relay, res, error, record: relay.store.all()[0] };
}

describe('Propexo answers mapped to relay answers', () => {
  it('400 → 502 upstream_rejected, logged with Propexo’s details masked, lead failed', async () => {
    const { res, error, record, logs } = await mapped(propexo400);
    expect(res.status).toBe(502);
    expect(error!.code).toBe('upstream_rejected');
    expect(error!.message).not.toMatch(/email|phone|Validation/i);
    expect(record).toMatchObject({ status: 'failed', error: 'rejected:http_400' });
    const line = logs().find((l) => l.event === 'propexo.rejected')!;
    expect(line.level).toBe('error');
    expect(line.status).toBe(400);
    expect(JSON.stringify(line.details)).toContain('Validation failed');
    expect(JSON.stringify(line.details)).toContain('j***@gmail.com');
    expect(JSON.stringify(line.details)).toContain('******0142');
    expect(JSON.stringify(line.details)).not.toContain('jane.doe');
    expect(JSON.stringify(line.details)).not.toContain('5125550142');
  });

  for (const status of [401, 403]) {
    it(`${status} → 502 upstream_rejected and an operator alert`, async () => {
      const { res, error, record, logs } = await mapped(() => Response.json({ message: 'Unauthorized' }, { status }));
      expect(res.status).toBe(502);
      expect(error!.code).toBe('upstream_rejected');
      expect(record!.status).toBe('failed');
      const alert = logs().find((l) => l.event === 'propexo.unauthorized')!;
      expect(alert).toMatchObject({ level: 'error', alert: true, status });
    });
  }

  it('429 → 503 upstream_unavailable with Retry-After 60', async () => {
    const { res, error, record } = await mapped(() => new Response('{"message":"Too Many Requests"}', { status: 429, headers: { 'x-ratelimit-remaining': '0' } }));
    expect(res.status).toBe(503);
    expect(error!.code).toBe('upstream_unavailable');
    expect(res.headers.get('retry-after')).toBe('60');
    expect(record).toMatchObject({ status: 'failed', error: 'rate_limited:http_429' });
  });

  it('a Retry-After from Propexo is passed on', async () => {
    const { res } = await mapped(() => new Response('', { status: 429, headers: { 'retry-after': '7' } }));
    expect(res.headers.get('retry-after')).toBe('7');
  });

  for (const [status, body] of [[500, ''], [502, '<html><body>Bad Gateway</body></html>'], [503, '<html>down</html>']] as const) {
    it(`${status} → 503 upstream_unavailable with Retry-After`, async () => {
      const { res, error, record, logs } = await mapped(() => new Response(body, { status }));
      expect(res.status).toBe(503);
      expect(error!.code).toBe('upstream_unavailable');
      expect(res.headers.get('retry-after')).toBe('15');
      expect(record).toMatchObject({ status: 'failed', error: `unavailable:http_${status}` });
      expect(logs().find((l) => l.event === 'propexo.unavailable')).toMatchObject({ level: 'warn', maybe_delivered: true });
    });
  }

  it('a hang past UPSTREAM_TIMEOUT_MS → 503, even when fetch ignores the abort', async () => {
    const started = Date.now();
    const { res, error, record } = await mapped(() => new Promise<Response>(() => {}));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(error!.code).toBe('upstream_unavailable');
    expect(record).toMatchObject({ status: 'failed', error: 'unavailable:timeout' });
  });

  it('a network error → 503', async () => {
    const { res, record } = await mapped(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    expect(res.status).toBe(503);
    expect(record).toMatchObject({ status: 'failed', error: 'unavailable:network_error:ECONNREFUSED' });
  });

  it('a 200 with an unreadable body → 503, flagged as maybe delivered', async () => {
    const { res, record, logs } = await mapped(() => new Response('{"meta":{"job_', { status: 200 }));
    expect(res.status).toBe(503);
    expect(record).toMatchObject({ status: 'failed', error: 'unavailable:unreadable_body' });
    expect(logs().find((l) => l.event === 'propexo.unavailable')).toMatchObject({ maybe_delivered: true });
  });
});

describe('unexpected failures', () => {
  it('a throwing store → 500 internal_error, logged, no stack in the answer', async () => {
    const lines: string[] = [];
    const broken: LeadStore = {
      insert: async () => {
        throw new Error('disk on fire');
      },
      get: async () => null,
      update: async () => null,
      findByIdempotencyKey: async () => null,
    };
    const app = createRelay({
      config: parseConfig(testEnv()),
      fetch: fakeUpstream().fetch,
      clock: manualClock(),
      limiter: createMemoryLimiter(),
      store: broken,
      logger: createLogger({ sink: (l) => lines.push(l) }),
      getClientIp: () => '192.0.2.1',
    });
    const res = await postLead(app, VALID_LEAD);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('internal_error');
    expect(text).not.toMatch(/disk on fire|at .*\.ts/);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'internal_error');
    expect(logged.error.message).toBe('disk on fire');
  });

  it('hono’s own HTTPExceptions keep their status and get the envelope', async () => {
    const app = new Hono();
    app.onError(createErrorHandler(createLogger({ sink: () => {} })));
    app.get('/413', () => {
      throw new HTTPException(413, { message: 'raw text' });
    });
    app.get('/503', () => {
      throw new HTTPException(503, { message: 'raw text' });
    });
    const a = await app.request('/413');
    expect(a.status).toBe(413);
    expect((await errorOf(a)).code).toBe('payload_too_large');
    const b = await app.request('/503');
    expect(b.status).toBe(503);
    const err = await errorOf(b);
    expect(err.code).toBe('internal_error');
    expect(err.message).not.toContain('raw text');
  });
});
