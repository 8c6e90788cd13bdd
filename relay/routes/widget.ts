/**
 * The built widget, mounted at `/`: `/widget.js` (what sites embed) and its lazy chunks under
 * `/widget/`, with the CORS and cross-origin resource policy a module script loaded by other
 * sites needs, a content ETag, and the build's brotli copy for browsers that take it.
 */
import { Hono, type Context } from 'hono';
import { errorResponse, methodNotAllowed } from '../http/errors.js';
import { CACHE_ENTRY, CACHE_IMMUTABLE, acceptsBrotli, contentTypeFor, safeAssetPath, type WidgetAssets } from '../http/widget-assets.js';
import type { RelayEnv } from '../types.js';

export function widgetRoutes(assets: WidgetAssets | undefined): Hono<RelayEnv> {
  async function serveAsset(c: Context<RelayEnv>, path: string | null, cacheControl: string) {
    if (path === null || !assets) return errorResponse(c, 404, 'not_found', 'No such file.');
    // A third of the bytes on a phone's network: the copy the build compressed (widget/build/precompress.ts).
    const brotli = acceptsBrotli(c.req.header('accept-encoding')) ? await assets.get(`${path}.br`) : null;
    const asset = brotli ?? (await assets.get(path));
    if (!asset) return errorResponse(c, 404, 'not_found', 'No such file.');
    const body = typeof asset.body === 'string' ? new TextEncoder().encode(asset.body) : new Uint8Array(asset.body);
    // A strong ETag from the content: after its five minutes, a browser revalidates widget.js with
    // one small request and gets 304 until a deploy changes it.
    const etag = `"${await contentHash(body)}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', cacheControl);
    // The widget is a module script loaded cross-origin by marketing sites: it needs CORS and CORP.
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cross-Origin-Resource-Policy', 'cross-origin');
    c.header('Vary', 'Accept-Encoding');
    if (matches(c.req.header('if-none-match'), etag)) return c.body(null, 304);
    c.header('Content-Type', brotli ? contentTypeFor(path) : asset.contentType);
    if (brotli) c.header('Content-Encoding', 'br');
    return c.body(body);
  }

  const widget = new Hono<RelayEnv>();
  widget.get('/widget.js', (c) => serveAsset(c, 'widget.js', CACHE_ENTRY));
  // widget.js imports its lazy chunks as ./widget/<name>-<hash>.js: the URL path is the file's path
  // under the widget root, and the build names every file in widget/ by its content, so they never change.
  widget.get('/widget/*', (c) => serveAsset(c, safeAssetPath(c.req.path.slice(1)), CACHE_IMMUTABLE));
  widget.all('/widget.js', methodNotAllowed('GET, HEAD'));
  widget.all('/widget/*', methodNotAllowed('GET, HEAD'));
  return widget;
}

async function contentHash(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  return btoa(String.fromCharCode(...digest.slice(0, 12)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** If-None-Match: `*`, or a list of (possibly weak) tags, one of which is ours. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
