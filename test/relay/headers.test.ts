/**
 * The relay's response headers and body limit come from hono's own middleware (hono/secure-headers,
 * hono/cors, hono/body-limit) with the relay's options: here, what every kind of answer carries.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, type WidgetAssets } from '../../relay/http/widget-assets.js';
import { MAX_BODY_BYTES } from '../../relay/routes/leads.js';
import { ORIGIN, VALID_LEAD, buildRelay, postLead } from './fixtures.js';

/** hono/secure-headers' defaults, as hono itself sets them. */
async function honoDefaults(): Promise<[string, string][]> {
  const bare = new Hono().use(secureHeaders()).get('/', (c) => c.text(''));
  const res = await bare.request('/');
  return [...res.headers].filter(([name]) => name !== 'content-type');
}

const assets: WidgetAssets = {
  get: async (path) => (path === 'widget.js' ? { body: 'export {}', contentType: contentTypeFor(path) } : null),
};

describe('security headers', () => {
  it("every answer carries hono/secure-headers' defaults: successes, refusals, errors, preflights, 404s", async () => {
    const expected = await honoDefaults();
    expect(expected.length).toBeGreaterThanOrEqual(10);
    const { app } = buildRelay({ assets });
    const answers = {
      health: await app.request('/healthz'),
      accepted: await postLead(app, VALID_LEAD),
      invalid: await postLead(app, '{bad json'),
      foreignOrigin: await postLead(app, VALID_LEAD, { origin: 'https://evil.example' }),
      preflight: await app.request('/v1/sites/oak-grove/leads', {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
      }),
      wrongMethod: await app.request('/healthz', { method: 'POST' }),
      unknownPath: await app.request('/nope'),
      missingFile: await app.request('/widget/nope.js'),
    };
    for (const [name, res] of Object.entries(answers)) {
      for (const [header, value] of expected) expect({ name, header, value: res.headers.get(header) }).toEqual({ name, header, value });
    }
  });

  it("the widget's files keep their own cross-origin resource policy; the rest of the set is the same", async () => {
    const { app } = buildRelay({ assets });
    const res = await app.request('/widget.js', { headers: { origin: 'https://anywhere.example' } });
    expect(res.status).toBe(200);
    for (const [header, value] of await honoDefaults()) {
      expect([header, res.headers.get(header)]).toEqual([header, header === 'cross-origin-resource-policy' ? 'cross-origin' : value]);
    }
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('CORS on the site routes', () => {
  it('echoes an allowed origin on answers and errors alike, exposes the limit headers, and varies on Origin', async () => {
    const { app } = buildRelay();
    for (const res of [await postLead(app, VALID_LEAD), await postLead(app, '{bad json')]) {
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After,RateLimit,RateLimit-Policy');
      expect(res.headers.get('vary')).toBe('Origin');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('gives a same-origin request without Origin no Access-Control-Allow-Origin', async () => {
    const { app } = buildRelay();
    const res = await app.request(`${ORIGIN}/v1/sites/oak-grove/form`, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toBe('Origin');
  });
});

describe('body limit', () => {
  /** A chunked body that never ends, counting the chunks read. */
  function endless(size: number) {
    const state = { pulled: 0 };
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          state.pulled += 1;
          controller.enqueue(new Uint8Array(size).fill(0x20));
        },
      },
      { highWaterMark: 0 },
    );
    return { body, state };
  }

  it('takes a body of exactly the limit and refuses one byte more, with a Content-Length or chunked', async () => {
    const lead = JSON.stringify(VALID_LEAD);
    for (const size of [MAX_BODY_BYTES, MAX_BODY_BYTES + 1]) {
      // Trailing whitespace: still the same JSON object, just longer.
      const body = new TextEncoder().encode(lead + ' '.repeat(size - lead.length));
      for (const chunked of [false, true]) {
        const { app } = buildRelay();
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(body.subarray(0, 1000));
            controller.enqueue(body.subarray(1000));
            controller.close();
          },
        });
        const res = await app.request('/v1/sites/oak-grove/leads', {
          method: 'POST',
          headers: { origin: ORIGIN, 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(size) }) },
          body: chunked ? stream : body,
          duplex: 'half',
        } as RequestInit);
        expect({ size, chunked, status: res.status }).toEqual({ size, chunked, status: size > MAX_BODY_BYTES ? 413 : 202 });
      }
    }
  });

  it('refuses a body over the limit by its Content-Length, unread', async () => {
    const { app } = buildRelay();
    const { body, state } = endless(1024);
    const res = await app.request('/v1/sites/oak-grove/leads', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(state.pulled).toBe(0);
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const { app } = buildRelay();
    const { body, state } = endless(1024);
    const res = await app.request('/v1/sites/oak-grove/leads', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(state.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES / 1024 + 2);
  });
});
