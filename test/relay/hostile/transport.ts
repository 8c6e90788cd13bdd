/**
 * Everything around a request's body: spoofed and lookalike Origins, odd Content-Types and charsets,
 * idempotency keys that are fresh, reused, malformed or valid-but-odd (`__proto__`), forged client-IP
 * headers, odd methods, and how a lead body's length is told (not at all, honestly, falsely, by
 * streaming, chunked with a Content-Length). They aim at the relay's guards before the parser: CORS,
 * the media type, the key check, the per-IP limit and the body limit.
 */
import { MAX_BODY_BYTES } from '../../../relay/routes/leads.js';
import { ORIGIN } from '../fixtures.js';
import type { Rng } from './prng.js';
import { PINE_ORIGIN, concat, utf8, type World } from './request.js';

export const SPOOFED_ORIGINS = [
  'https://www.oakgrove.example.evil.com',
  'https://www.oakgrove.example.',
  'https://evil.com/https://www.oakgrove.example',
  'null',
  'https://www.oakgrove.example/',
  'HTTPS://WWW.OAKGROVE.EXAMPLE',
  'https://www.OakGrove.example',
  'https://www.oakgrove.example:443',
  'https://www.oakgrove.example:8443',
  'http://www.oakgrove.example',
  'https://oakgrove.example',
  'https://www.oakgrove.example, https://evil.example',
  'https://evil.example',
  'https://www.oakgrove.example%2eevil.com',
  'https://www.oakgrove.example@evil.com',
  'https://xn--oakgrove-example.com',
  'file://',
  'chrome-extension://abcdefghijklmnop',
  '',
  '*',
  PINE_ORIGIN,
  'http://localhost:8788',
  'http://localhost:8787/',
  'http://127.0.0.1:8787',
  'https://www.oakgrove.example\u00a0',
];

export const CONTENT_TYPES: (string | null)[] = [
  null,
  '',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
  'application/json; charset=utf8',
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  'application/json; charset=utf-16',
  'application/json; charset=utf-16le',
  'application/json; charset=',
  'application/json; charset=utf-8; charset=latin1',
  'application/json; charset=latin1; charset=utf-8',
  'APPLICATION/JSON',
  'Application/Json; Charset=UTF-8',
  'application/json ',
  'application/jsonp',
  'application/json-patch+json',
  'application/ld+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----hostile',
  'text/json',
  '*/*',
  'application/json, text/html',
  'application/json;;;',
  'application/json; boundary=x',
  'application/\u00e9json',
  ';charset=utf-8',
  'application/json\t; charset=utf-8',
];

const ODD_KEYS = [
  '',
  'short',
  'a'.repeat(7),
  'a'.repeat(129),
  'a'.repeat(4000),
  'has space in it',
  'caf\u00e9-key-1234',
  '../../etc/passwd',
  '%00%00%00%00%00',
  'key\twith-tab',
  '<script>alert(1)</script>',
  'key.with.dots',
  'key+plus/slash=',
  '\u00ff\u00fe\u00fd\u00fc\u00fb\u00fa\u00f9\u00f8',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, sent as the literal text it is.
  '${jndi:ldap://x}',
  '1;DROP TABLE leads',
];
// Valid by the pattern, and odd anyway: reaching the store's lookup with them must be harmless.
const ODD_VALID_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '________', '--------', 'x'.repeat(128)];

export const IP_HEADERS = ['x-forwarded-for', 'forwarded', 'cf-connecting-ip', 'x-real-ip', 'true-client-ip'];
export const IP_VALUES = [
  '203.0.113.9',
  '198.51.100.4, 203.0.113.9',
  '1.2.3.4,5.6.7.8,9.10.11.12',
  ', , ,',
  ',',
  'unknown',
  '::1',
  '[::1]:80',
  '2001:db8::1',
  'for="[2001:db8::1]:443";proto=https',
  'for=_hidden, for=192.0.2.60',
  'for=',
  'for="',
  'for=1.2.3.4;by="',
  'for=192.0.2.43, for=198.51.100.17;proto=http;by=203.0.113.43',
  '999.999.999.999',
  'a'.repeat(70),
  '127.0.0.1, '.repeat(200),
  '<script>alert(1)</script>',
  '0x7f000001',
  'localhost',
  '\u00ff\u00fe',
  '1.1.1.1;rm -rf /',
  '__proto__',
  'constructor',
  '',
];

export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'PROPFIND',
  'MKCOL',
  'FOO',
  'M-SEARCH',
  'QUERY',
  'BREW',
  'get',
  'post',
  'delete',
  'options',
  'head',
];

/** The Origin of a lead request: the site's own (`right`), a spoofed one, or none; now and then a Referer. */
export function drawOrigin(rng: Rng, headers: [string, string][], right: string): 'right' | 'spoofed' | 'missing' {
  const originKind = rng.weighted([
    [88, 'right'],
    [9, 'spoofed'],
    [3, 'missing'],
  ] as const);
  if (originKind === 'right') headers.push(['origin', right]);
  else if (originKind === 'spoofed') headers.push(['origin', rng.pick(SPOOFED_ORIGINS)]);
  if (rng.chance(0.1)) headers.push(['referer', `${ORIGIN}/apply`]);
  return originKind;
}

/** An Idempotency-Key, or none: fresh (remembered in the world), reused, malformed, or valid and odd. */
export function drawIdempotencyKey(w: World, headers: [string, string][]): 'none' | 'fresh' | 'reused' | 'odd' | 'odd_valid' {
  const { rng } = w;
  const keyKind = rng.weighted([
    [72, 'none'],
    [12, 'fresh'],
    [8, 'reused'],
    [5, 'odd'],
    [3, 'odd_valid'],
  ] as const);
  if (keyKind === 'fresh') {
    const key = rng.letters(rng.between(8, 128), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
    w.usedKeys.push(key);
    headers.push(['idempotency-key', key]);
  } else if (keyKind === 'reused' && w.usedKeys.length > 0) headers.push(['idempotency-key', rng.pick(w.usedKeys)]);
  else if (keyKind === 'odd') headers.push(['idempotency-key', rng.pick(ODD_KEYS)]);
  else if (keyKind === 'odd_valid') headers.push(['idempotency-key', rng.pick(ODD_VALID_KEYS)]);
  return keyKind;
}

/** Forged client-IP headers, and which header the relay is told to trust this time (undefined: none). */
export function drawClientIp(rng: Rng, headers: [string, string][]): string | undefined {
  let ipHeader: string | undefined;
  if (rng.chance(0.35)) {
    for (let i = rng.between(1, 3); i > 0; i--) headers.push([rng.pick(IP_HEADERS), rng.pick(IP_VALUES)]);
    ipHeader = rng.pick(['x-forwarded-for', 'forwarded', 'cf-connecting-ip']);
  }
  return ipHeader;
}

/** How the body's length is told, sometimes with the body blown past the limit; adds the headers it needs. */
export function drawLength(
  rng: Rng,
  headers: [string, string][],
  body: { variant: string; bytes: Uint8Array },
): { variant: string; bytes: Uint8Array; length: string; stream: boolean } {
  let { variant, bytes } = body;
  // Not at all (the usual app.request), honestly, falsely, by streaming.
  const length = rng.weighted([
    [70, 'none'],
    [12, 'honest'],
    [6, 'stream'],
    [4, 'lie_small'],
    [3, 'lie_huge'],
    [3, 'junk'],
    [2, 'chunked_and_length'],
  ] as const);
  if (length !== 'none' && rng.chance(0.3)) {
    // An oversized body, whatever it holds.
    bytes = concat(bytes, utf8(' '.repeat(rng.chance(0.05) ? rng.between(1_000_000, 3_000_000) : rng.between(MAX_BODY_BYTES, 100_000))));
    variant = `${variant}+oversized`;
  }
  let stream = false;
  if (length === 'honest') headers.push(['content-length', String(bytes.length)]);
  else if (length === 'stream') stream = true;
  else if (length === 'lie_small') headers.push(['content-length', String(rng.int(Math.max(1, bytes.length)))]);
  else if (length === 'lie_huge') headers.push(['content-length', rng.pick(['99999999', '16385', '1e10', String(2 ** 53)])]);
  else if (length === 'junk') headers.push(['content-length', rng.pick(['abc', '-1', '', ' 12', '0x10', '1,2', '18446744073709551616'])]);
  else if (length === 'chunked_and_length') {
    headers.push(['transfer-encoding', 'chunked'], ['content-length', String(rng.int(100))]);
    stream = true;
  }
  return { variant, bytes, length, stream };
}
