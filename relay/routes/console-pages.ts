/**
 * The operator's console's page, registered before the admin routes: `/admin/` (one HTML
 * page, written here) and `/admin/console.js` (the console's own build, dist/console, from the
 * injected assets). No session is needed to load them: they hold nothing, and the page signs in
 * through the API. They are outside the admin rate limit, like the widget's files.
 *
 * The page runs under a strict CSP: scripts and styles from this origin only, no inline script or
 * style (Lit's styles are constructable stylesheets, which CSP does not block), calls to this origin.
 */
import type { Context, Hono } from 'hono';
import { errorResponse, methodNotAllowed } from '../http/errors.js';
import type { WidgetAssets } from '../http/widget-assets.js';
import type { RelayEnv } from '../types.js';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The page: the element and its script, nothing inline (a form signed in without script would land on this same page). */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="/admin/icon.svg">
<title>Leads console</title>
<script type="module" src="/admin/console.js"></script>
</head>
<body>
<rlf-console></rlf-console>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`;

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0a58a8"/><path d="M4 4h8v2H4zm0 3h8v2H4zm0 3h5v2H4z" fill="#fff"/></svg>';

function consoleHeaders(c: Context<RelayEnv>) {
  c.header('Content-Security-Policy', CONSOLE_CSP);
  // Both follow deploys; an operator's reload must get the new console, so revalidate every time.
  c.header('Cache-Control', 'no-cache');
  c.header('X-Frame-Options', 'DENY');
}

/**
 * Registers the console's routes on the app, before `/admin`'s sub-app: that one's catch-all asks
 * for the Bearer token, and the first handler to answer ends the chain.
 */
export function mountConsolePages(app: Hono<RelayEnv>, assets: WidgetAssets | undefined): void {
  // At `/admin` too, rather than a redirect: every other answer of the relay is 2xx or a JSON error,
  // and the page's URLs are absolute, so it works at either.
  const page = (c: Context<RelayEnv>) => {
    consoleHeaders(c);
    return c.html(PAGE);
  };
  app.get('/admin', page);
  app.get('/admin/', page);
  app.get('/admin/console.js', async (c) => {
    const asset = await assets?.get('console.js');
    if (!asset) return errorResponse(c, 404, 'not_found', 'The console is not built: npm run build.');
    consoleHeaders(c);
    c.header('Content-Type', asset.contentType);
    return c.body(typeof asset.body === 'string' ? asset.body : new Uint8Array(asset.body));
  });
  // Browsers ask for an icon anyway; without one, every visit logs a 404.
  app.get('/admin/icon.svg', (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(ICON, 200, { 'Content-Type': 'image/svg+xml' });
  });
  app.all('/admin/console.js', methodNotAllowed('GET, HEAD'));
}
