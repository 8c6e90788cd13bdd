/**
 * The relay's own versions of three hono middlewares on the accept path (relay/http/guards.ts): the
 * same headers and refusals as hono/secure-headers, hono/cors and hono/body-limit, without their
 * per-request copies of the response, and with a body read at most once.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { cors as honoCors } from 'hono/cors';
import { secureHeaders as honoSecureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { SECURE_HEADERS, bodyLimit, cors, secureHeaders, type RelayEnv } from '../../relay/http/guards.js';

const ORIGIN = 'https://www.oakgrove.example';
const CORS = { allowMethods: ['GET', 'POST'], allowHeaders: ['Content-Type', 'Idempotency-Key'], exposeHeaders: ['Retry-After', 'RateLimit'], maxAge: 600 };

/** Status, headers (sorted, as Headers iterates) and body of an answer. */
async function answer(res: Response) {
  return { status: res.status, headers: [...res.headers], body: await res.text() };
}

/** One app with the relay's middleware, one with hono's, the same routes on each. */
function pair(ours: MiddlewareHandler<RelayEnv>, theirs: MiddlewareHandler) {
  const build = (mw: MiddlewareHandler<RelayEnv>) => {
    const app = new Hono<RelayEnv>();
    app.use(mw);
    app.on(['GET', 'POST', 'OPTIONS'], '/json', (c) => {
      c.header('X-Route', 'json');
      return c.json({ ok: true }, 202);
    });
    app.get('/own-corp', (c) => {
      c.header('Cross-Origin-Resource-Policy', 'cross-origin');
      return c.body('js');
    });
    // A handler answering with a Response of its own: the context's headers are not in it.
    app.get('/raw', () => new Response('raw', { headers: { 'Cross-Origin-Resource-Policy': 'cross-origin', 'X-Powered-By': 'x' } }));
    app.get('/throws', () => {
      throw new Error('boom');
    });
    app.onError((_, c) => c.json({ error: true }, 500));
    return app;
  };
  return [build(ours), build(theirs as MiddlewareHandler<RelayEnv>)] as const;
}

const REQUESTS: [string, RequestInit][] = [
  ['/json', { headers: { origin: ORIGIN } }],
  ['/json', { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: '{}' }],
  ['/json', {}],
  ['/json', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } }],
  ['/json', { method: 'HEAD', headers: { origin: ORIGIN } }],
  ['/own-corp', { headers: { origin: ORIGIN } }],
  ['/raw', { headers: { origin: ORIGIN } }],
  ['/raw', {}],
  ['/throws', { headers: { origin: ORIGIN } }],
  ['/nowhere', { headers: { origin: ORIGIN } }],
];

describe('secureHeaders', () => {
  it("answers with exactly hono/secure-headers' (overwrite: false) headers, a handler's own CORP kept", async () => {
    const [ours, theirs] = pair(secureHeaders(), honoSecureHeaders({ overwrite: false }));
    for (const [path, init] of REQUESTS) {
      expect({ path, init, ...(await answer(await ours.request(path, init))) }).toEqual({ path, init, ...(await answer(await theirs.request(path, init))) });
    }
    const raw = await ours.request('/raw');
    for (const [name, value] of SECURE_HEADERS) expect(raw.headers.get(name)).toBe(name === 'Cross-Origin-Resource-Policy' ? 'cross-origin' : value);
    expect(raw.headers.has('X-Powered-By')).toBe(false);
  });
});

describe('cors', () => {
  it('answers with exactly the headers of hono/cors echoing the origin, preflights and errors included', async () => {
    const [ours, theirs] = pair(cors(CORS), honoCors({ origin: (origin) => origin, ...CORS }));
    for (const [path, init] of REQUESTS) {
      expect({ path, init, ...(await answer(await ours.request(path, init))) }).toEqual({ path, init, ...(await answer(await theirs.request(path, init))) });
    }
    const form = pair(cors({ allowMethods: ['GET'], maxAge: 600 }), honoCors({ origin: (origin) => origin, allowMethods: ['GET'], maxAge: 600 }));
    const preflight = { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-a, x-b' } };
    expect(await answer(await form[0].request('/json', preflight))).toEqual(await answer(await form[1].request('/json', preflight)));
  });
});

describe('bodyLimit', () => {
  const tooLarge = (): never => {
    throw new Error('too large');
  };
  function app(max: number) {
    const a = new Hono<RelayEnv>();
    a.onError((err, c) => c.json({ error: err.message }, 413));
    a.post('/', bodyLimit(max, tooLarge), async (c) => {
      const kept = c.get('body');
      const bytes = kept ?? new Uint8Array(await c.req.arrayBuffer());
      return c.json({ kept: kept !== undefined, text: new TextDecoder().decode(bytes) });
    });
    return a;
  }
  /** A chunked body (no Content-Length) of `chunks` pieces of `size` bytes, counting the pieces read. */
  function stream(chunks: number, size: number) {
    const state = { pulled: 0, cancelled: false };
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (state.pulled === chunks) return controller.close();
          state.pulled += 1;
          controller.enqueue(new Uint8Array(size).fill(0x61));
        },
        cancel() {
          state.cancelled = true;
        },
      },
      // Pulled only when read.
      { highWaterMark: 0 },
    );
    return { body, state };
  }

  it('with Content-Length: refuses a longer body without reading it; lets a shorter one through unread', async () => {
    const big = stream(3, 10);
    const refused = new Request('http://x/', { method: 'POST', body: big.body, headers: { 'content-length': '30' }, duplex: 'half' } as RequestInit);
    expect((await app(20).fetch(refused)).status).toBe(413);
    expect(big.state.pulled).toBe(0);
    const ok = await app(20).request('/', { method: 'POST', body: 'hello', headers: { 'content-length': '5' } });
    expect(await ok.json()).toEqual({ kept: false, text: 'hello' });
  });

  it('without Content-Length: reads the body once, keeps it for the route; stops at the limit and cancels the rest', async () => {
    const small = stream(3, 5);
    const res = await app(20).fetch(new Request('http://x/', { method: 'POST', body: small.body, duplex: 'half' } as RequestInit));
    expect(await res.json()).toEqual({ kept: true, text: 'a'.repeat(15) });
    // Endless: refused once past the limit, the stream cancelled after at most one chunk more.
    const endless = stream(Number.POSITIVE_INFINITY, 8);
    expect((await app(20).fetch(new Request('http://x/', { method: 'POST', body: endless.body, duplex: 'half' } as RequestInit))).status).toBe(413);
    expect(endless.state.pulled).toBeLessThanOrEqual(4);
    expect(endless.state.cancelled).toBe(true);
  });

  it('refuses and admits the same bodies as hono/body-limit', async () => {
    const theirs = new Hono();
    theirs.post('/', honoBodyLimit({ maxSize: 20, onError: (c) => c.text('too large', 413) }), async (c) => c.text(await c.req.text()));
    for (const size of [0, 1, 19, 20, 21, 100]) {
      for (const chunked of [false, true]) {
        const make = () =>
          chunked
            ? new Request('http://x/', { method: 'POST', body: stream(size === 0 ? 0 : 1, size).body, duplex: 'half' } as RequestInit)
            : new Request('http://x/', { method: 'POST', body: 'a'.repeat(size) });
        expect({ size, chunked, status: (await app(20).fetch(make())).status }).toEqual({ size, chunked, status: (await theirs.fetch(make())).status === 413 ? 413 : 200 });
      }
    }
  });
});
