import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsBrotli, contentTypeFor, safeAssetPath, type WidgetAssets } from '../../relay/http/widget-assets.js';
import { createFsAssets } from '../../relay/runtime/node/assets.js';
import { buildRelay, errorOf } from './fixtures.js';

const FILES: Record<string, string> = {
  'widget.js': 'import("./widget/lead-form-B1x9aZ_q.js");',
  'widget/lead-form-B1x9aZ_q.js': 'export const form = 1;',
  'widget/i18n/es-4f2a9c1d.js': 'export default {};',
  'widget/styles-Dq3-x_Zt.css': ':host{}',
  // The build's brotli copy of widget.js (stand-in bytes: the route sends them as they are).
  'widget.js.br': 'brotli bytes of widget.js',
};

function fakeAssets() {
  const asked: string[] = [];
  const assets: WidgetAssets = {
    async get(path) {
      asked.push(path);
      const body = FILES[path];
      return body === undefined ? null : { body: new TextEncoder().encode(body), contentType: contentTypeFor(path) };
    },
  };
  return { assets, asked };
}

describe('widget assets over HTTP', () => {
  it('GET /widget.js: JS, short cache, CORS and CORP for cross-origin module loads', async () => {
    const { assets } = fakeAssets();
    const { app } = buildRelay({ assets });
    const res = await app.request('/widget.js', { headers: { origin: 'https://anywhere.example' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(FILES['widget.js']);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('chunks under /widget/ are served from widget/ under the root, immutable', async () => {
    const { assets } = fakeAssets();
    const { app } = buildRelay({ assets });
    const hashed = await app.request('/widget/lead-form-B1x9aZ_q.js');
    expect(hashed.status).toBe(200);
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const nested = await app.request('/widget/i18n/es-4f2a9c1d.js');
    expect(nested.status).toBe(200);
    expect(nested.headers.get('cache-control')).toContain('immutable');
    const css = await app.request('/widget/styles-Dq3-x_Zt.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('HEAD works like GET without a body', async () => {
    const { app } = buildRelay({ assets: fakeAssets().assets });
    const res = await app.request('/widget.js', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('a missing file, or no assets at all, is a 404 envelope', async () => {
    const { app } = buildRelay({ assets: fakeAssets().assets });
    const res = await app.request('/widget/nope.js');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
    const bare = buildRelay().app;
    expect((await bare.request('/widget.js')).status).toBe(404);
  });

  it('path traversal attempts never reach the asset store', async () => {
    const { assets, asked } = fakeAssets();
    const { app } = buildRelay({ assets });
    const attempts = [
      '/widget/..%2f..%2fpackage.json',
      '/widget/%2e%2e/%2e%2e/package.json',
      '/widget/%2E%2E%2Frelay%2Fconfig.ts',
      '/widget/.env',
      '/widget/i18n/../../../etc/passwd',
      '/widget/..\\..\\package.json',
      '/widget/%5c..%5cpackage.json',
      '/widget//etc/passwd',
      '/widget/i18n//es-4f2a9c1d.js',
      '/widget/%00widget.js',
    ];
    for (const path of attempts) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
    }
    expect(asked.every((p) => safeAssetPath(p) === p && !p.includes('..'))).toBe(true);
  });
});

describe('brotli copies', () => {
  it("a browser that takes brotli gets the build's copy, with its own ETag; others the file itself", async () => {
    const { app } = buildRelay({ assets: fakeAssets().assets });
    const br = await app.request('/widget.js', { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    expect(await br.text()).toBe(FILES['widget.js.br']);
    for (const acceptEncoding of [undefined, 'gzip, deflate', 'gzip, br;q=0']) {
      const plain = await app.request('/widget.js', { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} });
      expect(plain.headers.get('content-encoding'), acceptEncoding).toBeNull();
      expect(plain.headers.get('vary')).toBe('Accept-Encoding');
      expect(await plain.text()).toBe(FILES['widget.js']);
      expect(plain.headers.get('etag')).not.toBe(br.headers.get('etag'));
    }
    // Revalidated per representation: the brotli ETag matches the brotli answer.
    const again = await app.request('/widget.js', { headers: { 'accept-encoding': 'br', 'if-none-match': br.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('a file without a brotli copy is sent as it is', async () => {
    const { assets, asked } = fakeAssets();
    const { app } = buildRelay({ assets });
    const res = await app.request('/widget/lead-form-B1x9aZ_q.js', { headers: { 'accept-encoding': 'br' } });
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.text()).toBe(FILES['widget/lead-form-B1x9aZ_q.js']);
    expect(asked).toEqual(['widget/lead-form-B1x9aZ_q.js.br', 'widget/lead-form-B1x9aZ_q.js']);
  });

  it('acceptsBrotli reads Accept-Encoding as HTTP means it', () => {
    for (const yes of ['br', 'gzip, deflate, br, zstd', 'BR', 'gzip;q=1.0, br;q=0.5', '*', 'br;q=0.001'])
      expect(acceptsBrotli(yes), yes).toBe(true);
    for (const no of [undefined, '', 'gzip, deflate', 'br;q=0', 'br; q=0.000', '*;q=0', 'brotli', 'gzip, xbr'])
      expect(acceptsBrotli(no), no).toBe(false);
  });
});

describe('asset helpers', () => {
  it('safeAssetPath accepts plain relative paths only', () => {
    expect(safeAssetPath('widget.js')).toBe('widget.js');
    expect(safeAssetPath('i18n/es-1a2b3c4d.js')).toBe('i18n/es-1a2b3c4d.js');
    for (const bad of ['', '..', '../x.js', 'a/../../x', '.hidden', 'a/.git/config', '/abs.js', 'a//b.js', 'a\\b.js', 'a%2fb', 'x.js\0']) {
      expect(safeAssetPath(bad), bad).toBeNull();
    }
  });
});

describe('createFsAssets', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-assets-'));
    await mkdir(join(dir, 'widget', 'i18n'), { recursive: true });
    await writeFile(join(dir, 'widget', 'widget.js'), 'export {};');
    await writeFile(join(dir, 'widget', 'i18n', 'es-4f2a9c1d.js'), 'export default 1;');
    await writeFile(join(dir, 'secret.txt'), 'outside the root');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads files under the root with their content type', async () => {
    const assets = createFsAssets(join(dir, 'widget'));
    const a = await assets.get('widget.js');
    expect(new TextDecoder().decode(a!.body as Uint8Array)).toBe('export {};');
    expect(a!.contentType).toBe('text/javascript; charset=utf-8');
    expect(await assets.get('i18n/es-4f2a9c1d.js')).not.toBeNull();
  });

  it('refuses anything outside the root, directories and missing files', async () => {
    const assets = createFsAssets(join(dir, 'widget'));
    expect(await assets.get('../secret.txt')).toBeNull();
    expect(await assets.get('i18n/../../secret.txt')).toBeNull();
    expect(await assets.get(join(dir, 'secret.txt'))).toBeNull();
    expect(await assets.get('i18n')).toBeNull();
    expect(await assets.get('missing.js')).toBeNull();
  });
});

describe('revalidation', () => {
  it('widget.js carries a content ETag; a matching If-None-Match gets 304 with no body', async () => {
    const { app } = buildRelay({ assets: fakeAssets().assets });
    const first = await app.request('/widget.js');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{16}"$/);
    for (const header of [etag!, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await app.request('/widget.js', { headers: { 'if-none-match': header } });
      expect(again.status, header).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('cache-control')).toBe('public, max-age=300');
    }
    const stale = await app.request('/widget.js', { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
    const other = await app.request('/widget/lead-form-B1x9aZ_q.js');
    expect(other.headers.get('etag')).not.toBe(etag);
  });
});
