/**
 * The demo community's website: static pages from demo/public served under a strict
 * Content-Security-Policy (no 'unsafe-inline', no 'unsafe-eval'), in front of the relay, which
 * serves /widget.js and the lead API on the same origin, as a relay would on its own domain.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
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

export function demoSite(relay: { fetch: Fetch }): Hono {
  const site = new Hono();
  const page = secureHeaders({ contentSecurityPolicy: DEMO_CSP });
  site.get('/', page, (c) => serveFile(c.req.raw, 'index.html'));
  site.get('/site.css', page, (c) => serveFile(c.req.raw, 'site.css'));
  site.get('/images/:file', page, (c) => serveFile(c.req.raw, `images/${c.req.param('file')}`));
  // The runtime's bindings go along: the relay reads the client's socket address from them.
  site.all('*', (c) => relay.fetch(c.req.raw, c.env));
  return site;
}

async function serveFile(request: Request, path: string): Promise<Response> {
  const file = normalize(join(PUBLIC_DIR, path));
  const type = TYPES[extname(file)];
  if (!file.startsWith(PUBLIC_DIR) || !type) return new Response('Not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(request.method === 'HEAD' ? null : body, { headers: { 'Content-Type': type, 'Cache-Control': 'no-cache' } });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}
