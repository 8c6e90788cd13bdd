/**
 * Hostile input: more than ten thousand generated requests against one relay, every route, every
 * guard, from a seeded PRNG (HOSTILE_SEED, HOSTILE_REQUESTS override the defaults; the seed and the
 * request are printed with any failure; HOSTILE_VERBOSE=1 lists every variant with its answers). Whatever comes in, the relay answers below 500, every
 * refusal is the contract's envelope with codes from its closed lists, no answer carries a stack,
 * an internal path or a secret, nothing reaches Object.prototype, and /healthz still answers.
 * Every log line it writes goes through the hygiene checker (fixtures' checked sink).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it, onTestFailed } from 'vitest';
import { ERROR_CODES, FIELD_ERROR_CODES } from '../../contract/errors.js';
import { MAX_BODY_BYTES } from '../../relay/app.js';
import { ipFromHeader } from '../../relay/client-ip.js';
import { knownSecrets, registerSecret } from '../support/hygiene.js';
import { EVERY_FIELD, ORIGIN, SITES, VALID_LEAD, buildRelay, okResponse, propexoLike } from './fixtures.js';

const ADMIN = 'adm_H0stile_admin_t0ken_5e3d9c';
const HOOK = 'whsec_H0stile_h00k_9a7b1f';
registerSecret(ADMIN, HOOK);

const SEED = Number(process.env.HOSTILE_SEED ?? 0x5eed_2025) >>> 0;
const REQUESTS = Number(process.env.HOSTILE_REQUESTS ?? 10_500);
const MIN_REQUESTS = Math.min(REQUESTS, 10_000);
const PINE_ORIGIN = 'https://pineridge.example';
const LOCAL_ORIGIN = 'http://localhost:8787'; // oak-grove's `http://localhost:{PORT}` with the fixtures' PORT
const WEBHOOK = '/v1/propexo/webhooks';
const MAX_WEBHOOK_BYTES = 64 * 1024;

// ---- A seeded PRNG (mulberry32) and the helpers the generators draw with ----------------------------

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let r = this.next() * table.reduce((sum, [w]) => sum + w, 0);
    for (const [w, v] of table) if ((r -= w) < 0) return v;
    return table[table.length - 1]![1];
  }
  letters(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

// ---- What a generated request is ---------------------------------------------------------------------

interface Hostile {
  /** Which generator made it, and the variant: for the tallies and for reproducing a failure. */
  kind: string;
  method: string;
  path: string;
  headers: [string, string][];
  body?: Uint8Array;
  /** Sent as a ReadableStream in random chunks: no Content-Length, read by the body limit's stream path. */
  stream?: boolean;
  /** The trusted client-IP header the relay reads for this request, when any. */
  ipHeader?: string;
}

const enc = new TextEncoder();
const utf8 = (s: string) => enc.encode(s);
const concat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function toRequest(h: Hostile, rng: Rng): Request {
  let body: BodyInit | undefined = h.body as BodyInit | undefined;
  if (h.body && h.stream) {
    const bytes = h.body;
    const cuts: number[] = [];
    for (let at = 0; at < bytes.length; ) cuts.push((at = Math.min(bytes.length, at + rng.between(1, 8192))));
    let from = 0;
    body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const to = cuts.shift();
        if (to === undefined) return controller.close();
        controller.enqueue(bytes.slice(from, to));
        from = to;
      },
    });
  }
  return new Request(`http://localhost${h.path}`, {
    method: h.method,
    headers: h.headers,
    ...(body === undefined ? {} : { body, duplex: 'half' }),
  } as RequestInit);
}

/** The request as text a person can replay: method, path, headers, and the body (start, size, bytes). */
function describeCase(h: Hostile, index: number): string {
  const body = h.body;
  let shown = '';
  if (body) {
    const head = body.subarray(0, 400);
    let text: string;
    try {
      // Escaped past printable ASCII, so a BOM, a NUL or a lookalike shows as what it is.
      const ascii = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      text = JSON.stringify(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(head)).replace(/[^\x20-\x7e]/g, ascii);
    } catch {
      text = `base64:${Buffer.from(head).toString('base64')}`;
    }
    shown = `\n  body (${body.length} bytes${h.stream ? ', streamed without Content-Length' : ''}): ${text}${body.length > 400 ? ' …' : ''}`;
  }
  const headers = h.headers.map(([k, v]) => `\n  ${k}: ${JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v)}`).join('');
  const path = h.path.length > 300 ? `${h.path.slice(0, 300)}…(${h.path.length} chars)` : h.path;
  return `#${index} [${h.kind}] seed=${SEED}${h.ipHeader ? ` trusted-ip-header=${h.ipHeader}` : ''}\n  ${h.method} ${path}${headers}${shown}`;
}

// ---- Building blocks ---------------------------------------------------------------------------------

const SPOOFED_ORIGINS = [
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

const CONTENT_TYPES: (string | null)[] = [
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
  '${jndi:ldap://x}',
  '1;DROP TABLE leads',
];
// Valid by the pattern, and odd anyway: reaching the store's lookup with them must be harmless.
const ODD_VALID_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '________', '--------', 'x'.repeat(128)];

const IP_HEADERS = ['x-forwarded-for', 'forwarded', 'cf-connecting-ip', 'x-real-ip', 'true-client-ip'];
const IP_VALUES = [
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

const FIRST = ['Jane', 'José', 'Zoë', 'Łukasz', 'Nguyễn', 'Aoife', "D'Arcy", 'Anne-Marie', '李', 'محمد', 'Ólafur', 'Björk', 'Dmitri'];
const LAST = ['Doe', 'García', 'Smith-Jones', "O'Neil", 'van der Berg', 'Müller', 'Øster', '王', 'Nakamura'];
const FIELDS = Object.keys(EVERY_FIELD);

// One bad value per field rule, so every field code of the contract comes back at least once.
const RULE_BREAKERS: [string, unknown][] = [
  ['first_name', ''],
  ['first_name', '   '],
  ['first_name', 'J'.repeat(51)],
  ['first_name', 'http://spam.example'],
  ['first_name', '<b>Jane</b>'],
  ['first_name', '12345'],
  ['first_name', 'Ja\u0000ne'],
  ['first_name', 'Ja\u202ene'],
  ['first_name', 'Ja\ud800ne'],
  ['last_name', 'www.spam.example'],
  ['email_1', 'not-an-email'],
  ['email_1', 'jane@'],
  ['email_1', 'jane@localhost'],
  ['email_1', 'none@none.com'],
  ['email_1', 'noreply@example.com'],
  ['email_1', `${'x'.repeat(250)}@gmail.com`],
  ['phone_1', '123'],
  ['phone_1', '0000000000'],
  ['phone_1', '1234567890'],
  ['phone_1', '(012) 555-0142'],
  ['phone_1', '+44 20 7946 0958'],
  ['phone_1', 'call me maybe'],
  ['phone_1', '5'.repeat(21)],
  ['phone_1_type', 'PAGER'],
  ['phone_2_type', 'mobile'],
  ['state', 'XX'],
  ['state', 'Texas'],
  ['zip', '1234'],
  ['zip', '12345-67'],
  ['target_move_in_date', '2025-02-30'],
  ['target_move_in_date', '01/07/2025'],
  ['target_move_in_date', '1999-01-01'],
  ['desired_num_bedrooms', 2.5],
  ['desired_num_bedrooms', -1],
  ['desired_num_bedrooms', 1e6],
  ['desired_num_bathrooms', 1.25],
  ['desired_max_rent_in_cents', 1e300],
  ['desired_lease_term_in_months', 61],
  ['notes', 'n'.repeat(2001)],
  ['notes', 'bell\u0007'],
  ['floor_plan_id', 'fp/../../x'],
  ['unit_id', 'u'.repeat(65)],
  ['integration_id', 'int_evil'],
  ['property_id', 'prop_evil'],
  ['is_admin', true],
];

const WRONG_TYPES: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, '', ' ', 'text', [], {}, [1, 2], { a: 1 }, ['Jane'], { first_name: 'Jane' }, '2025-07-01', '5125550142'];

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe],
  [0xc3, 0x28],
  [0xa0, 0xa1],
  [0xe2, 0x28, 0xa1],
  [0xe2, 0x82, 0x28],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xf0, 0x90, 0x28, 0xbc],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
];

const BOM = [0xef, 0xbb, 0xbf];

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

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'MKCOL', 'FOO', 'M-SEARCH', 'QUERY', 'BREW', 'get', 'post', 'delete', 'options', 'head'];

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

// ---- The generators ----------------------------------------------------------------------------------

interface World {
  rng: Rng;
  /** Lead ids the relay answered 202 with, the job ids Propexo handed out, keys sent before. */
  ids: string[];
  jobs: () => number;
  usedKeys: string[];
  webhookBodies: Uint8Array[];
  serial: number;
}

function validLead(w: World): Record<string, unknown> {
  const { rng } = w;
  const n = ++w.serial;
  const base: Record<string, unknown> = rng.chance(0.3) ? { ...EVERY_FIELD } : { ...VALID_LEAD };
  base.first_name = rng.pick(FIRST);
  base.last_name = `${rng.pick(LAST)} ${rng.letters(6)}`;
  const area = rng.between(2, 9);
  const phone = `${area}${rng.between(10, 99)}555${String(n % 10_000).padStart(4, '0')}`;
  base.email_1 = `${rng.letters(5)}.${n}@${rng.pick(['gmail.com', 'yahoo.com', 'corp.example.org', 'mail.test'])}`;
  base.phone_1 = rng.pick([phone, `(${phone.slice(0, 3)}) ${phone.slice(3, 6)}-${phone.slice(6)}`, `+1 ${phone}`]);
  if (rng.chance(0.2)) delete base.email_1;
  else if (rng.chance(0.2)) delete base.phone_1;
  return base;
}

/** The JSON text of an object, with keys given as raw JSON text (so `"__proto__"` stays a key). */
function rawObject(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

const entriesOf = (o: Record<string, unknown>): [string, string][] => Object.entries(o).map(([k, v]) => [k, JSON.stringify(v)]);

function nested(depth: number, kind: 'array' | 'object', inner = '1'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

/** A lead body, well formed or not. */
function leadBody(w: World): { variant: string; bytes: Uint8Array } {
  const { rng } = w;
  const variant = rng.weighted([
    [16, 'valid'],
    [10, 'wrong_type'],
    [12, 'rule'],
    [9, 'truncated'],
    [9, 'malformed'],
    [6, 'huge_field'],
    [6, 'deep'],
    [7, 'proto'],
    [7, 'invalid_utf8'],
    [4, 'bom'],
    [4, 'nul'],
    [4, 'unknown_fields'],
    [3, 'not_object'],
    [3, 'duplicate_keys'],
  ] as const);
  const lead = validLead(w);
  switch (variant) {
    case 'valid':
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    case 'wrong_type': {
      for (let i = rng.between(1, 3); i > 0; i--) lead[rng.pick(FIELDS)] = rng.pick(WRONG_TYPES);
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    }
    case 'rule': {
      for (let i = rng.between(1, 2); i > 0; i--) {
        const [field, value] = rng.pick(RULE_BREAKERS);
        lead[field] = value;
      }
      if (rng.chance(0.15)) {
        delete lead.email_1;
        delete lead.phone_1;
      }
      if (rng.chance(0.1)) delete lead.first_name;
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    }
    case 'truncated': {
      const text = utf8(JSON.stringify(lead));
      return { variant, bytes: text.slice(0, rng.int(text.length)) };
    }
    case 'malformed': {
      const text = JSON.stringify(lead);
      const how = rng.int(6);
      if (how === 0) return { variant, bytes: rng.bytes(rng.between(0, 300)) };
      if (how === 1) {
        const at = rng.int(text.length);
        return { variant, bytes: utf8(text.slice(0, at) + rng.pick(['"', '{', '}', ',', ':', '\\', '\n', "'", ']', 'x']) + text.slice(at + rng.int(2))) };
      }
      return {
        variant,
        bytes: utf8(
          rng.pick([
            '',
            ' ',
            '{',
            '}',
            '{"first_name":}',
            "{'first_name':'Jane'}",
            '{"first_name":"Jane",}',
            '{"first_name":"Jane"}{"x":1}',
            '{"first_name":"Jane" /* comment */}',
            '{"first_name":NaN}',
            '{"first_name":Infinity}',
            '{"first_name":undefined}',
            '{"first_name":"\\x41"}',
            '{"first_name":"\\u12"}',
            '{first_name:"Jane"}',
            '\u0000',
            `{"notes":"${'\\'.repeat(3)}"}`,
            'true',
            '{"a":1e999999}',
            `{"n":${'9'.repeat(400)}}`,
          ]),
        ),
      };
    }
    case 'huge_field': {
      const field = rng.pick(FIELDS);
      // Mostly inside the body limit (the contract refuses it), sometimes over it (413).
      const size = rng.chance(0.7) ? rng.between(100, MAX_BODY_BYTES - 600) : rng.between(MAX_BODY_BYTES, 200_000);
      lead[field] = rng.pick(['a', 'é', '\u{1f600}', ' ', '\\', '<', '0']).repeat(size);
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    }
    case 'deep': {
      const kind = rng.pick(['array', 'object'] as const);
      const depth = kind === 'array' ? rng.between(1000, 7_500) : rng.between(500, 2_500);
      const where = rng.int(3);
      if (where === 0) return { variant, bytes: utf8(nested(depth, kind)) };
      const field = where === 1 ? rng.pick(FIELDS) : `x${rng.letters(3)}`;
      return { variant, bytes: utf8(rawObject([...entriesOf(lead), [field, nested(depth, kind)]])) };
    }
    case 'proto': {
      const evil = rng.pick([
        '{"polluted":"yes","first_name":"Eve","isAdmin":true}',
        'null',
        '[]',
        '"string"',
        '{"__proto__":{"polluted":"deep"}}',
        '{"constructor":{"prototype":{"polluted":"ctor"}}}',
      ]);
      const key = rng.pick(['__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString', 'valueOf', 'hasOwnProperty']);
      const entries = entriesOf(lead);
      const shape = rng.int(4);
      if (shape === 0) entries.unshift([key, evil]);
      else if (shape === 1) entries.push([key, evil]);
      else if (shape === 2) entries.push([rng.pick(FIELDS), rawObject([[key, evil]])]);
      else entries.push(['constructor', rawObject([['prototype', evil]])], ['__proto__', evil]);
      return { variant, bytes: utf8(rawObject(entries)) };
    }
    case 'invalid_utf8': {
      const text = utf8(JSON.stringify(lead));
      // Inside a string value (after an opening quote of a value), or anywhere.
      const quote = text.indexOf(0x22, rng.int(text.length));
      const at = quote >= 0 && rng.chance(0.7) ? quote + 1 : rng.int(text.length + 1);
      return { variant, bytes: concat(text.subarray(0, at), rng.pick(INVALID_UTF8), text.subarray(at)) };
    }
    case 'bom': {
      const text = utf8(JSON.stringify(lead));
      const how = rng.int(4);
      if (how === 0) return { variant: 'bom_single', bytes: concat(BOM, text) };
      if (how === 1) return { variant, bytes: concat(BOM, BOM, text) };
      if (how === 2) return { variant, bytes: concat(text.subarray(0, 1), BOM, text.subarray(1)) };
      const utf16 = new Uint8Array(2 + text.length * 2);
      utf16.set([0xff, 0xfe]);
      JSON.stringify(lead).split('').forEach((ch, i) => {
        const code = ch.charCodeAt(0);
        utf16[2 + i * 2] = code & 0xff;
        utf16[3 + i * 2] = code >> 8;
      });
      return { variant, bytes: utf16 };
    }
    case 'nul': {
      const text = JSON.stringify(lead);
      if (rng.chance(0.5)) {
        const at = rng.int(text.length + 1);
        return { variant, bytes: concat(utf8(text.slice(0, at)), [0], utf8(text.slice(at))) };
      }
      lead[rng.pick(['first_name', 'last_name', 'notes', 'city', 'email_1'])] = `a\u0000b`;
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    }
    case 'unknown_fields': {
      for (let i = rng.between(1, 50); i > 0; i--) lead[rng.chance(0.5) ? rng.letters(rng.between(1, 12)) : rng.pick(['id', 'status', 'site', 'lead_source_id', 'employee_id', 'email', 'phone'])] = rng.pick(WRONG_TYPES);
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    }
    case 'not_object':
      return { variant, bytes: utf8(rng.pick(['null', '[]', '[{}]', '"lead"', '1', '-0', 'true', 'false', JSON.stringify([lead]), '""'])) };
    case 'duplicate_keys': {
      const entries = entriesOf(lead);
      entries.push(['first_name', JSON.stringify(rng.pick(WRONG_TYPES))], ['email_1', '"second@gmail.com"']);
      return { variant, bytes: utf8(rawObject(entries)) };
    }
  }
}

function leadPost(w: World): Hostile {
  const { rng } = w;
  const siteKind = rng.weighted([
    [86, 'oak'],
    [7, 'pine'],
    [7, 'odd'],
  ] as const);
  const slug = siteKind === 'oak' ? 'oak-grove' : siteKind === 'pine' ? 'pine-ridge' : rng.pick(ODD_SLUGS);
  const headers: [string, string][] = [];
  const right = siteKind === 'pine' ? PINE_ORIGIN : rng.chance(0.9) ? ORIGIN : LOCAL_ORIGIN;
  const originKind = rng.weighted([
    [88, 'right'],
    [9, 'spoofed'],
    [3, 'missing'],
  ] as const);
  if (originKind === 'right') headers.push(['origin', right]);
  else if (originKind === 'spoofed') headers.push(['origin', rng.pick(SPOOFED_ORIGINS)]);
  if (rng.chance(0.1)) headers.push(['referer', `${ORIGIN}/apply`]);

  const type = rng.chance(0.88) ? 'application/json' : rng.pick(CONTENT_TYPES);
  if (type !== null) headers.push(['content-type', type]);

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

  let ipHeader: string | undefined;
  if (rng.chance(0.35)) {
    for (let i = rng.between(1, 3); i > 0; i--) headers.push([rng.pick(IP_HEADERS), rng.pick(IP_VALUES)]);
    ipHeader = rng.pick(['x-forwarded-for', 'forwarded', 'cf-connecting-ip']);
  }

  let { variant, bytes } = leadBody(w);
  // How the body's length is told: not at all (the usual app.request), honestly, falsely, by streaming.
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
  return {
    kind: `lead:${siteKind}:${originKind}:${variant}:${length}${keyKind === 'none' ? '' : `:key_${keyKind}`}`,
    method: 'POST',
    path: `/v1/sites/${slug}/leads`,
    headers,
    body: bytes,
    stream,
    ...(ipHeader ? { ipHeader } : {}),
  };
}

function leadOptions(w: World): Hostile {
  const { rng } = w;
  const slug = rng.chance(0.85) ? 'oak-grove' : rng.pick(ODD_SLUGS);
  const headers: [string, string][] = [];
  if (rng.chance(0.9)) headers.push(['origin', rng.chance(0.5) ? ORIGIN : rng.pick(SPOOFED_ORIGINS)]);
  if (rng.chance(0.8)) headers.push(['access-control-request-method', rng.pick(['POST', 'GET', 'PUT', 'DELETE', 'post', '', 'CONNECT', 'X'.repeat(500)])]);
  if (rng.chance(0.6)) headers.push(['access-control-request-headers', rng.pick(['content-type', 'content-type, idempotency-key', 'authorization', 'x-evil', '*', '', 'a,'.repeat(300)])]);
  const path = rng.chance(0.7) ? `/v1/sites/${slug}/leads` : `/v1/sites/${slug}/leads/${rng.pick(['ld_test1', 'x', '..', '%00'])}`;
  return { kind: 'preflight', method: 'OPTIONS', path, headers };
}

function leadReceipt(w: World): Hostile {
  const { rng } = w;
  const id = rng.weighted([
    [50, w.ids.length > 0 ? rng.pick(w.ids) : 'ld_test1'],
    [10, `ld_test${w.ids.length + rng.between(100, 1000)}`],
    [10, rng.pick(['__proto__', 'constructor', 'prototype', 'toString', '..', '%2e%2e', '%00', '%ff', '%', 'ld_test1%00', 'ld_test1 ', 'LD_TEST1'])],
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

function webhook(w: World): Hostile {
  const { rng } = w;
  const jobId = rng.chance(0.6) && w.jobs() > 0 ? `job_${rng.between(1, w.jobs())}` : rng.pick(['job_none', '', '__proto__', 'x'.repeat(3000), 'job_1 OR 1=1']);
  const content = rng.weighted([
    [40, 'event'],
    [10, 'other_trigger'],
    [10, 'wrong_types'],
    [10, 'garbage'],
    [8, 'deep'],
    [6, 'proto'],
    [6, 'invalid_utf8'],
    [5, 'huge'],
    [5, 'empty'],
  ] as const);
  let body: Uint8Array;
  switch (content) {
    case 'event':
      body = utf8(JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: jobId, errors: [{ message: 'write failed' }] } }));
      if (rng.chance(0.3)) body = utf8(JSON.stringify({ data: { event: 'WRITE_OPERATION_FAILURE', root_job_id: jobId } }));
      break;
    case 'other_trigger':
      body = utf8(JSON.stringify({ trigger: rng.pick(['WRITE_OPERATION_SUCCESS', 'write_operation_failure', 'x'.repeat(500), 'jane.doe@gmail.com', '512-555-0142', '']), data: { root_job_id: jobId } }));
      break;
    case 'wrong_types':
      body = utf8(JSON.stringify(rng.pick([{ trigger: ['WRITE_OPERATION_FAILURE'] }, { trigger: 'WRITE_OPERATION_FAILURE', data: null }, { trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: 42 } }, { trigger: 'WRITE_OPERATION_FAILURE', data: [jobId] }, null, [], 'WRITE_OPERATION_FAILURE', 7, { data: { event: { x: 1 } } }])));
      break;
    case 'garbage':
      body = rng.chance(0.5) ? rng.bytes(rng.between(1, 2000)) : utf8(rng.pick(['{', 'not json', '{"trigger":', '{"trigger":"WRITE_OPERATION_FAILURE"', "{'a':1}"]));
      break;
    case 'deep':
      body = utf8(rng.chance(0.5) ? nested(rng.between(5_000, 30_000), 'array') : rawObject([['trigger', nested(rng.between(1000, 9_000), 'object')]]));
      break;
    case 'proto':
      body = utf8(rawObject([['__proto__', '{"trigger":"WRITE_OPERATION_FAILURE","polluted":"hook"}'], ['constructor', '{"prototype":{"polluted":"hook"}}'], ['data', rawObject([['__proto__', JSON.stringify({ root_job_id: jobId })]])]]));
      break;
    case 'invalid_utf8':
      body = concat(utf8('{"trigger":"WRITE_OPERATION_FAILURE","data":{"root_job_id":"'), rng.pick(INVALID_UTF8), utf8('"}}'));
      break;
    case 'huge':
      body = utf8(JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: jobId, errors: ['e'.repeat(rng.between(MAX_WEBHOOK_BYTES, 400_000))] } }));
      break;
    case 'empty':
      body = new Uint8Array(0);
      break;
  }
  const sign = (secret: string, bytes: Uint8Array) => createHmac('sha256', secret).update(bytes).digest('hex');
  const good = sign(HOOK, body);
  const signature = rng.weighted([
    [10, 'missing'],
    [5, 'empty'],
    [22, 'valid'],
    [5, 'uppercase'],
    [5, 'whitespace'],
    [5, 'short'],
    [4, 'long'],
    [8, 'wrong_secret'],
    [5, 'prefixed'],
    [8, 'altered_body'],
    [5, 'replayed'],
    [5, 'random_hex'],
    [4, 'not_hex'],
    [4, 'twice'],
    [3, 'latin1'],
  ] as const);
  let sent = body;
  let value: string | undefined;
  switch (signature) {
    case 'missing':
      break;
    case 'empty':
      value = '';
      break;
    case 'valid':
      value = good;
      break;
    case 'uppercase':
      value = good.toUpperCase();
      break;
    case 'whitespace':
      value = `${rng.pick([' ', '\t', '  '])}${good}${rng.pick([' ', '\t', ''])}`;
      break;
    case 'short':
      value = good.slice(0, rng.between(0, 63));
      break;
    case 'long':
      value = `${good}${rng.pick(['0', 'ff', '00'.repeat(32)])}`;
      break;
    case 'wrong_secret':
      value = sign(rng.pick(['whsec_wrong', ADMIN, `${HOOK}x`, HOOK.slice(0, -1), HOOK.toUpperCase()]), body);
      break;
    case 'prefixed':
      value = rng.pick([`sha256=${good}`, `v1,${good}`, `t=1,v1=${good}`]);
      break;
    case 'altered_body': {
      value = good;
      sent = body.length === 0 ? new Uint8Array([0x20]) : body.slice();
      const at = rng.int(sent.length);
      sent[at] = (sent[at]! ^ (1 << rng.int(8))) & 0xff;
      break;
    }
    case 'replayed': {
      const before = w.webhookBodies.length > 0 ? rng.pick(w.webhookBodies) : body;
      value = sign(HOOK, before);
      sent = concat(before, utf8(rng.pick([' ', '\n', '{}', '0'])));
      break;
    }
    case 'random_hex':
      value = rng.letters(64, '0123456789abcdef');
      break;
    case 'not_hex':
      value = rng.letters(64, 'ghijklmnopqrstuvwxyz-_');
      break;
    case 'twice':
      value = `${good}, ${good}`;
      break;
    case 'latin1':
      value = `${good.slice(0, 63)}\u00e9`;
      break;
  }
  if (w.webhookBodies.length < 50 && sent.length < 5000) w.webhookBodies.push(sent);
  const headers: [string, string][] = [['content-type', rng.chance(0.8) ? 'application/json' : rng.pick(CONTENT_TYPES) ?? 'text/plain']];
  if (value !== undefined) headers.push([rng.pick(['propexo-signature', 'Propexo-Signature', 'PROPEXO-SIGNATURE']), value]);
  if (rng.chance(0.1)) headers.push(['x-propexo-signature', good]);
  const stream = rng.chance(0.1);
  if (!stream && rng.chance(0.15)) headers.push(['content-length', rng.chance(0.5) ? String(sent.length) : rng.pick(['1', '70000', 'abc'])]);
  const method = rng.chance(0.92) ? 'POST' : rng.pick(METHODS);
  const path = rng.chance(0.95) ? WEBHOOK : rng.pick([`${WEBHOOK}/`, `${WEBHOOK}?x=1`, '/v1/propexo/webhooks%2f', '/V1/PROPEXO/WEBHOOKS']);
  const carriesBody = method !== 'GET' && method !== 'HEAD' && method !== 'get' && method !== 'head';
  return { kind: `webhook:${content}:${signature}`, method, path, headers, ...(carriesBody ? { body: sent, stream } : {}) };
}

function admin(w: World): Hostile {
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
    if (rng.chance(0.6)) q.push(`status=${rng.pick(['failed', 'queued', 'sent', 'confirmed', 'FAILED', 'x', '', '__proto__', 'constructor', 'failed%00', '%ff', 'failed&status=sent'])}`);
    if (rng.chance(0.4)) q.push(`limit=${rng.pick(['0', '-1', '1', '10', '99999', '1e3', 'abc', '', '9'.repeat(400), '1.5'])}`);
    if (rng.chance(0.3)) q.push(`site=${rng.pick(['oak-grove', 'nope', '__proto__', '%00', '', 'a'.repeat(3000)])}`);
    path = `/admin/leads${q.length ? `?${q.join('&')}` : ''}`;
    method = rng.chance(0.85) ? 'GET' : rng.pick(METHODS);
  } else if (target === 'retry') {
    const id = rng.chance(0.6) && w.ids.length > 0 ? rng.pick(w.ids) : rng.pick(['nope', '..', '%2e%2e', '__proto__', 'constructor', 'x'.repeat(3000), '%00', '%', 'ld_test0']);
    path = `/admin/leads/${id}/retry`;
    method = rng.chance(0.85) ? 'POST' : rng.pick(METHODS);
  } else {
    path = rng.pick(['/admin', '/admin/', '/admin/leads/', '/admin/../admin/leads', '/ADMIN/leads', '/admin/leads%2f..%2f', '/admin/leads/x', '/admin/leads/x/retry/y', '/admin//leads', '/admin/%2e%2e/healthz']);
    method = rng.pick(METHODS);
  }
  const carriesBody = !['GET', 'HEAD', 'get', 'head'].includes(method) && rng.chance(0.3);
  return {
    kind: `admin:${target}:${auth === `Bearer ${ADMIN}` ? 'valid' : 'forged'}`,
    method,
    path,
    headers,
    ...(carriesBody ? { body: utf8(rng.pick(['{}', '{"status":"queued"}', '{"__proto__":{"polluted":"admin"}}', 'x'.repeat(100_000)])) } : {}),
  };
}

function anything(w: World): Hostile {
  const { rng } = w;
  const method = rng.pick(METHODS);
  const path = rng.chance(0.8) ? rng.pick(PATHS) : `/${Array.from({ length: rng.between(1, 6) }, () => rng.pick([rng.letters(rng.between(1, 10)), '..', '%2e%2e', '%2f', '%00', 'v1', 'sites', 'leads', 'admin', 'widget', '%ff'])).join('/')}`;
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

function next(w: World): Hostile {
  return w.rng.weighted([
    [50, leadPost],
    [5, leadOptions],
    [7, leadReceipt],
    [12, webhook],
    [11, admin],
    [15, anything],
  ] as const)(w);
}

// ---- The answer's checks -----------------------------------------------------------------------------

const STACK_OR_PATH = /\n\s+at\s|\bat (?:async )?[\w$.<>[\]]+ \(|node_modules|file:\/\/|\/(?:work|home|root|usr|tmp|opt|srv|app)\/|\.(?:ts|js|mjs|cjs):\d+/;
const ALLOWED_ORIGINS = new Set([ORIGIN, LOCAL_ORIGIN, PINE_ORIGIN]);
const SECRETS = () => knownSecrets();

/** Everything wrong with one answer; empty when it is fine. Returns the tally key. */
async function inspect(h: Hostile, res: Response): Promise<{ key: string; problems: string[]; fieldCodes: string[]; id?: string }> {
  let id: string | undefined;
  const problems: string[] = [];
  const fieldCodes: string[] = [];
  const text = await res.text();
  const status = res.status;
  const head = h.method.toUpperCase() === 'HEAD';
  if (status >= 500) problems.push(`status ${status}`);
  if (status < 200 || (status >= 300 && status < 400)) problems.push(`unexpected status ${status}`);
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const s of SECRETS()) if (text.includes(s) || headerText.includes(s)) problems.push(`answer carries a registered secret (${s.slice(0, 3)}…)`);
  if (STACK_OR_PATH.test(text)) problems.push(`body has a stack trace or an internal path: ${text.slice(0, 300)}`);
  const acao = res.headers.get('access-control-allow-origin');
  if (acao !== null && h.path.startsWith('/v1/') && !ALLOWED_ORIGINS.has(acao)) problems.push(`Access-Control-Allow-Origin: ${acao}`);
  if (acao !== null && h.path.startsWith('/v1/') && acao !== h.headers.find(([k]) => k === 'origin')?.[1]) problems.push(`Access-Control-Allow-Origin ${acao} is not the request's Origin`);

  let key = `${status}`;
  if (status >= 300) {
    if (head || status === 304) {
      key = `${status} (HEAD)`;
      if (text !== '') problems.push('HEAD answer with a body');
    } else {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        problems.push(`not JSON: ${text.slice(0, 200)}`);
      }
      if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) problems.push(`content-type ${res.headers.get('content-type')}`);
      const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
      if (body !== undefined) {
        if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'error' || typeof error !== 'object' || error === null) {
          problems.push(`not the envelope: ${text.slice(0, 200)}`);
        } else {
          const code = error.code;
          key = `${status} ${String(code)}`;
          if (Object.keys(error).sort().join() !== 'code,fields,message') problems.push(`envelope keys ${Object.keys(error).join()}`);
          if (!(ERROR_CODES as readonly unknown[]).includes(code)) problems.push(`code ${String(code)} is not in ERROR_CODES`);
          if (typeof error.message !== 'string' || error.message === '') problems.push('message is not a string');
          if (!Array.isArray(error.fields)) problems.push('fields is not an array');
          else {
            for (const f of error.fields as Record<string, unknown>[]) {
              if (typeof f?.field !== 'string' || typeof f.message !== 'string' || !(FIELD_ERROR_CODES as readonly unknown[]).includes(f.code)) {
                problems.push(`bad field entry ${JSON.stringify(f).slice(0, 200)}`);
              } else fieldCodes.push(f.code as string);
            }
            if (code !== 'invalid_fields' && (error.fields as unknown[]).length > 0) problems.push(`fields on ${String(code)}`);
            if (code === 'invalid_fields' && (error.fields as unknown[]).length === 0) problems.push('invalid_fields without fields');
          }
        }
      }
    }
  } else if (status === 202) {
    // The receipt: id and status, nothing of the prospect.
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      if (Object.keys(body).sort().join() !== 'id,status') problems.push(`202 body ${text.slice(0, 200)}`);
      if (typeof body.id === 'string') id = body.id;
    } catch {
      problems.push(`202 body is not JSON: ${text.slice(0, 200)}`);
    }
  } else if (!head && status !== 204 && (res.headers.get('content-type') ?? '').startsWith('application/json')) {
    try {
      JSON.parse(text);
    } catch {
      problems.push(`${status} body is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { key, problems, fieldCodes, ...(id === undefined ? {} : { id }) };
}

// ---- What the answer must be, whatever the generator meant -------------------------------------------

// A Map, like the relay's: a slug such as `constructor` must not find Object's.
const SITE_ORIGINS = new Map<string, readonly string[]>([
  ['oak-grove', [ORIGIN, LOCAL_ORIGIN]],
  ['pine-ridge', [PINE_ORIGIN]],
]);
const LEAD_ROUTE = /^\/v1\/sites\/([^/]+)\/leads(?:\/([^/]+))?$/;

const decodeSegment = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * The statuses the relay may answer `request` with, judged from the request as the relay receives it
 * (URL normalised, method upper-cased) rather than from what the generator meant: a foreign Origin on
 * a site's lead routes is 403 with no CORS header, a webhook without the right signature is 401 (413
 * when too large), an admin request without the token is 401.
 */
function mustAnswer(request: Request, h: Hostile): { statuses: number[]; noCors?: boolean; why: string } | undefined {
  const { pathname } = new URL(request.url);
  const method = request.method;
  const lead = LEAD_ROUTE.exec(pathname);
  if (lead) {
    const allowed = SITE_ORIGINS.get(decodeSegment(lead[1]!));
    const guarded = lead[2] === undefined ? method === 'POST' || method === 'OPTIONS' : ['GET', 'HEAD', 'OPTIONS'].includes(method);
    const origin = request.headers.get('origin');
    if (allowed && guarded && (origin === null || !allowed.includes(origin))) return { statuses: [403], noCors: true, why: 'a foreign or missing Origin' };
    return undefined;
  }
  if (pathname === WEBHOOK) {
    if (method !== 'POST') return { statuses: [405], why: 'the webhook only takes POST' };
    const given = (request.headers.get('propexo-signature') ?? '').trim().toLowerCase();
    const good = createHmac('sha256', HOOK).update(h.body ?? new Uint8Array(0)).digest('hex');
    return given === good ? { statuses: [200, 400, 413], why: 'a correctly signed webhook' } : { statuses: [401, 413], why: 'a forged webhook' };
  }
  if (pathname === '/admin' || pathname.startsWith('/admin/')) {
    if (request.headers.get('authorization') !== `Bearer ${ADMIN}`) return { statuses: [401], why: 'admin without the token' };
    return undefined;
  }
  if (pathname === '/healthz' && (method === 'GET' || method === 'HEAD')) return { statuses: [200], why: 'health' };
  return undefined;
}

// ---- The run -----------------------------------------------------------------------------------------

describe('hostile input', () => {
  it(`${REQUESTS} generated requests: no 5xx, every refusal in the envelope, nothing leaks, nothing polluted`, { timeout: 120_000 }, async () => {
    onTestFailed(() => {
      console.error(`hostile input failed with HOSTILE_SEED=${SEED} HOSTILE_REQUESTS=${REQUESTS}`);
    });
    const started = Date.now();
    const rng = new Rng(SEED);
    // Per request: which header the relay trusts for the client IP, and the request itself.
    let current: Hostile | undefined;
    let currentRequest: Request | undefined;
    let creates = 0;
    const relay = buildRelay({
      env: {
        ADMIN_TOKEN: ADMIN,
        PROPEXO_WEBHOOK_SECRET: HOOK,
        // Oak Grove's limits out of the way, so bodies reach the parser; Pine Ridge keeps the defaults (429s).
        SITES_JSON: JSON.stringify({
          ...SITES,
          'oak-grove': { ...SITES['oak-grove'], limits: { per_site: { max: 1_000_000, window_seconds: 60 }, per_ip: { max: 1_000_000, window_seconds: 600 } } },
        }),
      },
      ip: () => {
        const header = current?.ipHeader;
        return header === undefined ? '203.0.113.7' : ipFromHeader(header, currentRequest?.headers.get(header) ?? undefined);
      },
      assets: {
        get: async (p) =>
          p === 'widget.js' || p === 'widget/form-1a2b3c4d.js' ? { body: 'export {};', contentType: 'text/javascript; charset=utf-8' } : null,
      },
      // Propexo takes most leads and refuses some (dead letters the admin routes can retry).
      handler: propexoLike({
        create: (call) => {
          creates += 1;
          if (creates % 7 === 0) return Response.json({ error: { code: 'invalid_request', message: 'Invalid lead', details: { received: call.body } } }, { status: 400 });
          if (creates % 11 === 0) return new Response('', { status: 503 });
          return okResponse(`job_${creates}`);
        },
      }),
      logLevel: 'debug',
    });
    const { app, deliver, store } = relay;

    const world: World = { rng, ids: [], jobs: () => creates, usedKeys: [], webhookBodies: [], serial: 0 };

    const tally = new Map<string, number>();
    const byKind = new Map<string, Set<string>>();
    const fieldCodes = new Map<string, number>();
    const ruled = new Map<string, number>();
    const failures: string[] = [];
    let sent = 0;
    let delivered = 0;
    const unbuildable: string[] = [];

    let retried = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const h = next(world);
      let request: Request;
      try {
        request = toRequest(h, rng);
      } catch (err) {
        unbuildable.push(`${describeCase(h, i)}\n  ${(err as Error).message}`);
        continue;
      }
      current = h;
      currentRequest = request;
      let res: Response;
      try {
        res = await app.request(request);
      } catch (err) {
        failures.push(`${describeCase(h, i)}\n  → the relay threw: ${(err as Error).stack ?? String(err)}`);
        continue;
      } finally {
        current = undefined;
        currentRequest = undefined;
      }
      sent += 1;
      const rule = mustAnswer(request, h);
      const { key, problems, fieldCodes: codes, id } = await inspect(h, res);
      if (rule && !rule.statuses.includes(res.status)) problems.push(`${rule.why} must be answered ${rule.statuses.join(' or ')}`);
      if (rule?.noCors && [...res.headers.keys()].some((k) => k.startsWith('access-control-'))) problems.push(`${rule.why} got CORS headers`);
      if (rule) ruled.set(rule.why, (ruled.get(rule.why) ?? 0) + 1);
      if (id !== undefined && !world.ids.includes(id)) world.ids.push(id);
      tally.set(key, (tally.get(key) ?? 0) + 1);
      byKind.set(h.kind, (byKind.get(h.kind) ?? new Set()).add(key));
      if (h.kind === 'admin:retry:valid' && res.status === 200) retried += 1;
      for (const c of codes) fieldCodes.set(c, (fieldCodes.get(c) ?? 0) + 1);
      if (problems.length > 0 && failures.length < 25) failures.push(`${describeCase(h, i)}\n  → ${key}: ${problems.join('; ')}`);
      // Now and then the outbox runs over whatever was accepted (and the clock moves on with it).
      if (rng.chance(1 / 300)) {
        await deliver();
        delivered += 1;
      }
    }
    await deliver();

    const health = await app.request('/healthz');
    const seconds = (Date.now() - started) / 1000;
    const summary = [
      `hostile input: seed ${SEED}, ${sent} requests in ${seconds.toFixed(1)} s, deliverer run ${delivered + 1} times, ${store.all().length} leads stored`,
      `  answers: ${[...tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(', ')}`,
      `  field codes: ${[...fieldCodes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(', ')}`,
      `  lead statuses: ${JSON.stringify(await store.counts())}, log lines: ${relay.lines.length}`,
      `  judged by rule: ${[...ruled].map(([k, n]) => `${k}=${n}`).join(', ')}`,
    ].join('\n');
    console.log(summary);
    // HOSTILE_VERBOSE=1: every generator variant with the answers it got, to review what the mix does.
    if (process.env.HOSTILE_VERBOSE) console.log([...byKind].sort().map(([k, v]) => `${k}: ${[...v].join(', ')}`).join('\n'));

    expect(unbuildable, 'the generator built requests undici refuses').toEqual([]);
    expect(failures, `seed ${SEED}: answers that broke the rules`).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    // Nothing reached Object.prototype through __proto__ / constructor.prototype keys.
    const probe = {} as Record<string, unknown>;
    for (const k of ['polluted', 'isAdmin', 'first_name']) expect(probe[k], k).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);

    // The mix really covered the relay: every refusal code it can give to a stranger, and the successes.
    if (REQUESTS >= 10_000) {
      for (const code of [
        'invalid_fields',
        'invalid_json',
        'unsupported_media_type',
        'payload_too_large',
        'invalid_idempotency_key',
        'unauthorized',
        'site_not_found',
        'origin_not_allowed',
        'rate_limited',
        'not_found',
        'method_not_allowed',
        'conflict',
      ]) {
        const seen = [...tally].filter(([k]) => k.endsWith(` ${code}`)).reduce((n, [, count]) => n + count, 0);
        expect(seen, `${code} seen often enough`).toBeGreaterThanOrEqual(5);
      }
      for (const status of ['200', '202', '204']) expect(tally.get(status), status).toBeGreaterThan(10);
      expect(tally.size).toBeGreaterThanOrEqual(15);
      for (const code of FIELD_ERROR_CODES) expect(fieldCodes.get(code) ?? 0, `field code ${code}`).toBeGreaterThan(0);
      for (const why of ['a foreign or missing Origin', 'a forged webhook', 'a correctly signed webhook', 'admin without the token']) {
        expect(ruled.get(why) ?? 0, why).toBeGreaterThan(50);
      }
      // The outbox saw every fate: confirmed, dead letters, and an operator retry of one.
      const statuses = await store.counts();
      expect(statuses.confirmed).toBeGreaterThan(50);
      expect(statuses.failed).toBeGreaterThan(0);
      expect(retried).toBeGreaterThan(0);
    }
    // No unexpected error was logged on the way (a 5xx would have been too).
    expect(relay.logs().filter((l) => l.event === 'internal_error' || l.event === 'http_exception')).toEqual([]);
  });
});
