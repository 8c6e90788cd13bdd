/**
 * Serving the built widget: the runtime-neutral parts (path safety, content types, cache policy).
 * The bytes come from an injected `WidgetAssets` (fs in Node, the ASSETS binding on Workers).
 */

export interface WidgetAsset {
  body: Uint8Array | string;
  contentType: string;
}

export interface WidgetAssets {
  /** `path` is relative to the widget root and already checked by `safeAssetPath`. */
  get(path: string): Promise<WidgetAsset | null>;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * The relative path when it is safe to look up, else null: plain segments only, none starting with
 * a dot, so `..`, hidden files, backslashes and encoded tricks (already decoded by the router) are out.
 */
export function safeAssetPath(path: string): string | null {
  if (path.length === 0 || path.length > 512) return null;
  const segments = path.split('/');
  if (segments.length > 8 || !segments.every((s) => SEGMENT.test(s))) return null;
  return segments.join('/');
}

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  webp: 'image/webp',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
  txt: 'text/plain; charset=utf-8',
};

export function contentTypeFor(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return (ext !== undefined && CONTENT_TYPES[ext]) || 'application/octet-stream';
}

/** Whether an Accept-Encoding header takes brotli (`br`, or `*`, without `q=0`). */
export function acceptsBrotli(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    return (coding === 'br' || coding === '*') && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/** widget.js: its URL is what sites embed, so it may change under them; five minutes of staleness at most. */
export const CACHE_ENTRY = 'public, max-age=300';
/** Files under widget/: named by content hash at build time. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
