/**
 * The admin routes (GET /admin/leads, POST /admin/leads/:id/retry) with the token right, mangled,
 * in the wrong scheme or missing, with odd queries and ids; and anything at all: every method on
 * known, traversal, encoded, overlong and made-up paths, with stray headers and random bodies. The
 * admin routes must answer 401 to anyone without the exact token, and no path may reach a 5xx.
 */
import { ORIGIN } from '../fixtures.js';
import { ADMIN, HOOK, utf8, type Hostile, type World } from './request.js';
import { CONTENT_TYPES, IP_HEADERS, IP_VALUES, METHODS, SPOOFED_ORIGINS } from './transport.js';

const PATHS = [
  '/',
  '/healthz',
  '/healthz/',
  '/HEALTHZ',
  '/healthz?verbose=1',
  '/healthz%00',
  '/widget.js',
  '/widget.js/',
  '/widget.js?v=1',
  '/WIDGET.JS',
  '/widget/form-1a2b3c4d.js',
  '/widget/',
  '/widget',
  '/widget/..%2f..%2fpackage.json',
  '/widget/%2e%2e/%2e%2e/etc/passwd',
  '/widget/..%5c..%5cwindows%5cwin.ini',
  '/widget/.env',
  '/widget/.git/config',
  '/widget/%00',
  '/widget/a%00.js',
  `/widget/${'a/'.repeat(20)}x.js`,
  `/widget/${'x'.repeat(600)}.js`,
  '/widget/%c0%ae%c0%ae/x',
  '/widget/%252e%252e/x',
  '/widget/form-1a2b3c4d.js%3F',
  '/v1',
  '/v1/',
  '/v1/sites',
  '/v1/sites/',
  '/v1/sites/oak-grove',
  '/v1/sites/oak-grove/',
  '/v1/sites/oak-grove/leads/',
  '/v1/sites/oak-grove/leads/x/y',
  '/v1/sites/oak-grove/leads/..%2f..%2f..%2fadmin%2fleads',
  '/v1/sites//leads',
  '/v1//sites/oak-grove/leads',
  '/V1/SITES/OAK-GROVE/LEADS',
  '/v1/propexo/webhooks/',
  '/v1/propexo',
  '/v1/propexo/webhooks/x',
  '/admin',
  '/admin/',
  '/admin/leads',
  '/admin/leads/',
  '/.env',
  '/..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/static/../../etc/passwd',
  '//etc/passwd',
  '/%',
  '/%zz',
  '/%e9',
  '/\u00e9',
  '/index.php?x=<script>',
  `/${'x'.repeat(20_000)}`,
  '/a;b',
  '/a?b#c',
  '/favicon.ico',
  '/robots.txt',
  '/server-status',
];

export function admin(w: World): Hostile {
  const { rng } = w;
  const auth = rng.weighted([
    [30, `Bearer ${ADMIN}`],
    [8, null],
    [4, 'Bearer '],
    [3, 'Bearer'],
    [6, `Bearer ${ADMIN.slice(0, rng.between(1, ADMIN.length - 1))}`],
    [4, `Bearer ${ADMIN}x`],
    [4, `bearer ${ADMIN}`],
    [4, `BEARER ${ADMIN}`],
    [4, `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`],
    [4, ADMIN],
    [3, `Bearer  ${ADMIN}`],
    [3, `Bearer ${ADMIN}, Bearer ${ADMIN}`],
    [3, `Bearer ${HOOK}`],
    [3, `Bearer ${ADMIN.toUpperCase()}`],
    [3, `Bearer ${'a'.repeat(rng.between(100, 20_000))}`],
    [3, `Bearer ${ADMIN}\u00e9`],
    [3, `Bearer\t${ADMIN}`],
    [3, 'Bearer null'],
    [3, 'Bearer undefined'],
  ] as const);
  const headers: [string, string][] = auth === null ? [] : [['authorization', auth]];
  if (rng.chance(0.2)) headers.push(['origin', rng.pick(SPOOFED_ORIGINS)]);
  const target = rng.weighted([
    [45, 'list'],
    [35, 'retry'],
    [20, 'odd'],
  ] as const);
  let method: string;
  let path: string;
  if (target === 'list') {
    const q: string[] = [];
    if (rng.chance(0.6))
      q.push(
        `status=${rng.pick(['failed', 'queued', 'sent', 'confirmed', 'FAILED', 'x', '', '__proto__', 'constructor', 'failed%00', '%ff', 'failed&status=sent'])}`,
      );
    if (rng.chance(0.4)) q.push(`limit=${rng.pick(['0', '-1', '1', '10', '99999', '1e3', 'abc', '', '9'.repeat(400), '1.5'])}`);
    if (rng.chance(0.3)) q.push(`site=${rng.pick(['oak-grove', 'nope', '__proto__', '%00', '', 'a'.repeat(3000)])}`);
    path = `/admin/leads${q.length ? `?${q.join('&')}` : ''}`;
    method = rng.chance(0.85) ? 'GET' : rng.pick(METHODS);
  } else if (target === 'retry') {
    const id =
      rng.chance(0.6) && w.ids.length > 0
        ? rng.pick(w.ids)
        : rng.pick(['nope', '..', '%2e%2e', '__proto__', 'constructor', 'x'.repeat(3000), '%00', '%', 'ld_test0']);
    path = `/admin/leads/${id}/retry`;
    method = rng.chance(0.85) ? 'POST' : rng.pick(METHODS);
  } else {
    path = rng.pick([
      '/admin',
      '/admin/',
      '/admin/leads/',
      '/admin/../admin/leads',
      '/ADMIN/leads',
      '/admin/leads%2f..%2f',
      '/admin/leads/x',
      '/admin/leads/x/retry/y',
      '/admin//leads',
      '/admin/%2e%2e/healthz',
    ]);
    method = rng.pick(METHODS);
  }
  const carriesBody = !['GET', 'HEAD', 'get', 'head'].includes(method) && rng.chance(0.3);
  return {
    kind: `admin:${target}:${auth === `Bearer ${ADMIN}` ? 'valid' : 'forged'}`,
    method,
    path,
    headers,
    ...(carriesBody
      ? { body: utf8(rng.pick(['{}', '{"status":"queued"}', '{"__proto__":{"polluted":"admin"}}', 'x'.repeat(100_000)])) }
      : {}),
  };
}

export function anything(w: World): Hostile {
  const { rng } = w;
  const method = rng.pick(METHODS);
  const path = rng.chance(0.8)
    ? rng.pick(PATHS)
    : `/${Array.from({ length: rng.between(1, 6) }, () => rng.pick([rng.letters(rng.between(1, 10)), '..', '%2e%2e', '%2f', '%00', 'v1', 'sites', 'leads', 'admin', 'widget', '%ff'])).join('/')}`;
  const headers: [string, string][] = [];
  if (rng.chance(0.3)) headers.push(['origin', rng.pick([ORIGIN, ...SPOOFED_ORIGINS])]);
  if (rng.chance(0.2)) headers.push(['content-type', rng.pick(CONTENT_TYPES) ?? 'application/json']);
  if (rng.chance(0.1)) headers.push(['authorization', `Bearer ${rng.chance(0.5) ? ADMIN : 'x'}`]);
  if (rng.chance(0.1)) headers.push([rng.pick(IP_HEADERS), rng.pick(IP_VALUES)]);
  if (rng.chance(0.05)) headers.push(['host', rng.pick(['evil.example', 'localhost:1', '', 'a'.repeat(300)])]);
  if (rng.chance(0.05)) headers.push(['accept', rng.pick(['text/html', '*/*', 'application/xml', ''])]);
  const carriesBody = !['GET', 'HEAD', 'get', 'head'].includes(method) && rng.chance(0.4);
  return { kind: `any:${method}`, method, path, headers, ...(carriesBody ? { body: rng.bytes(rng.between(0, 3000)) } : {}) };
}
