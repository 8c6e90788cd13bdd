/**
 * Requests on a site's lead routes: POST /v1/sites/:site/leads (a body from bodies.ts wrapped in the
 * transport from transport.ts, mostly for Oak Grove whose limits are out of the way, some for Pine
 * Ridge to meet its rate limit, some for slugs that are no site), the CORS preflight, and receipt
 * lookups by ids the relay gave out, ids it never did and ids that are no id at all.
 */
import { ORIGIN } from '../fixtures.js';
import { leadBody } from './bodies.js';
import { LOCAL_ORIGIN, PINE_ORIGIN, type Hostile, type World } from './request.js';
import { CONTENT_TYPES, METHODS, SPOOFED_ORIGINS, drawClientIp, drawIdempotencyKey, drawLength, drawOrigin } from './transport.js';

const ODD_SLUGS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F',
  '%00',
  'oak-grove%00',
  'constructor',
  '__proto__',
  'prototype',
  'hasOwnProperty',
  'toString',
  'OAK-GROVE',
  'Oak-Grove',
  'oak-grove%20',
  'oak%2Dgrove',
  'oak-grove.',
  'oak-grove;x=1',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(6000),
  '%ff%fe',
  '%E0%A4%A',
  '%',
  '..%2f..%2fadmin',
  '%2e%2e%2fadmin%2fleads',
  'jane.doe@gmail.com',
  'jane.doe%40gmail.com',
  '512-555-0142',
  '5125550142',
  '{{site}}',
  '$%7Bjndi:ldap:%2F%2Fx%7D',
  '\u{1f3e0}',
  'oak grove',
  '',
  '-',
  'pine-ridge%2F..%2Foak-grove',
];

export function leadPost(w: World): Hostile {
  const { rng } = w;
  const siteKind = rng.weighted([
    [86, 'oak'],
    [7, 'pine'],
    [7, 'odd'],
  ] as const);
  const slug = siteKind === 'oak' ? 'oak-grove' : siteKind === 'pine' ? 'pine-ridge' : rng.pick(ODD_SLUGS);
  const headers: [string, string][] = [];
  const right = siteKind === 'pine' ? PINE_ORIGIN : rng.chance(0.9) ? ORIGIN : LOCAL_ORIGIN;
  const originKind = drawOrigin(rng, headers, right);

  const type = rng.chance(0.88) ? 'application/json' : rng.pick(CONTENT_TYPES);
  if (type !== null) headers.push(['content-type', type]);

  const keyKind = drawIdempotencyKey(w, headers);
  const ipHeader = drawClientIp(rng, headers);
  const body = leadBody(w);
  const { variant, bytes, length, stream } = drawLength(rng, headers, body);
  return {
    kind: `lead:${siteKind}:${originKind}:${variant}:${length}${keyKind === 'none' ? '' : `:key_${keyKind}`}`,
    method: 'POST',
    path: `/v1/sites/${slug}/leads`,
    headers,
    body: bytes,
    stream,
    ...(ipHeader ? { ipHeader } : {}),
    ...(body.refused ? { refused: body.refused } : {}),
  };
}

export function leadOptions(w: World): Hostile {
  const { rng } = w;
  const slug = rng.chance(0.85) ? 'oak-grove' : rng.pick(ODD_SLUGS);
  const headers: [string, string][] = [];
  if (rng.chance(0.9)) headers.push(['origin', rng.chance(0.5) ? ORIGIN : rng.pick(SPOOFED_ORIGINS)]);
  if (rng.chance(0.8))
    headers.push(['access-control-request-method', rng.pick(['POST', 'GET', 'PUT', 'DELETE', 'post', '', 'CONNECT', 'X'.repeat(500)])]);
  if (rng.chance(0.6))
    headers.push([
      'access-control-request-headers',
      rng.pick(['content-type', 'content-type, idempotency-key', 'authorization', 'x-evil', '*', '', 'a,'.repeat(300)]),
    ]);
  const path = rng.chance(0.7) ? `/v1/sites/${slug}/leads` : `/v1/sites/${slug}/leads/${rng.pick(['ld_test1', 'x', '..', '%00'])}`;
  return { kind: 'preflight', method: 'OPTIONS', path, headers };
}

export function leadReceipt(w: World): Hostile {
  const { rng } = w;
  const id = rng.weighted([
    [50, w.ids.length > 0 ? rng.pick(w.ids) : 'ld_test1'],
    [10, `ld_test${w.ids.length + rng.between(100, 1000)}`],
    [
      10,
      rng.pick([
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        '..',
        '%2e%2e',
        '%00',
        '%ff',
        '%',
        'ld_test1%00',
        'ld_test1 ',
        'LD_TEST1',
      ]),
    ],
    [5, 'x'.repeat(rng.between(100, 10_000))],
    [5, 'jane.doe@gmail.com'],
    [20, rng.letters(rng.between(1, 40))],
  ] as const);
  const slug = rng.chance(0.85) ? 'oak-grove' : rng.chance(0.5) ? 'pine-ridge' : rng.pick(ODD_SLUGS);
  const headers: [string, string][] = [];
  if (rng.chance(0.85)) headers.push(['origin', rng.chance(0.8) ? ORIGIN : rng.pick(SPOOFED_ORIGINS)]);
  const method = rng.weighted([
    [80, 'GET'],
    [5, 'HEAD'],
    [5, 'OPTIONS'],
    [5, 'DELETE'],
    [5, rng.pick(METHODS)],
  ] as const);
  return { kind: `receipt:${method}`, method, path: `/v1/sites/${slug}/leads/${id}`, headers };
}
