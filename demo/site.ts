/**
 * The demo communities' websites: Oak Grove at `/` (its tour page at `/tour`) and Vista del Sol at
 * `/vista/` (demo/public),
 * served under a strict Content-Security-Policy (no 'unsafe-inline', no 'unsafe-eval'), in front of
 * the relay, which serves /widget.js and the lead API on the same origin, as a relay would on its
 * own domain. Runtime-neutral: Node reads the pages from disk, the Worker from its static assets.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The policy a careful marketing site runs: the widget must work under it unchanged. */
export const DEMO_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;
/** Reads a page's bytes by its path under demo/public (`index.html`, `images/x.svg`), or null. */
export type PageReader = (path: string) => Promise<Uint8Array | null>;

export function demoSite(relay: { fetch: Fetch }, read: PageReader): Hono {
  const site = new Hono();
  const page = secureHeaders({ contentSecurityPolicy: DEMO_CSP });
  const serve = async (path: string) => {
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)];
    const body = type && /^[a-z0-9-]+(\/[a-z0-9-]+)*\.[a-z]+$/.test(path) ? await read(path) : null;
    if (!body || !type) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(body), { headers: { 'Content-Type': type, 'Cache-Control': 'no-cache' } });
  };
  site.get('/', page, () => serve('index.html'));
  site.get('/tour', page, () => serve('tour.html'));
  site.get('/site.css', page, () => serve('site.css'));
  site.get('/images/:file', page, (c) => serve(`images/${c.req.param('file')}`));
  // The second community, in a folder of its own: its page, its stylesheet, and the shared images.
  site.get('/vista', (c) => c.redirect('/vista/', 301));
  site.get('/vista/', page, () => serve('vista/index.html'));
  site.get('/vista/site.css', page, () => serve('vista/site.css'));
  // The runtime's bindings go along: the relay reads the client's address from them.
  site.all('*', (c) => relay.fetch(c.req.raw, c.env));
  return site;
}
