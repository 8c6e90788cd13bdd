/**
 * Lead bodies for POST /v1/sites/:site/leads, well formed or not: valid leads with varied names and
 * contacts, one broken contract rule per field, wrong types, and breakage below the contract (JSON
 * truncated or malformed, nesting thousands deep, __proto__/constructor keys, invalid UTF-8, BOMs,
 * UTF-16, NULs, duplicate keys, bodies over the limit). They check that the parser and the contract
 * refuse each with the right envelope, and that nothing reaches Object.prototype.
 */
import { MAX_BODY_BYTES } from '../../../relay/routes/leads.js';
import { EVERY_FIELD, VALID_LEAD } from '../fixtures.js';
import { LINE_BREAKS, REFUSED_CLASSES, TEXT_FIELDS } from './characters.js';
import { concat, utf8, type Refused, type World } from './request.js';

const FIRST = ['Jane', 'José', 'Zoë', 'Łukasz', 'Nguyễn', 'Aoife', "D'Arcy", 'Anne-Marie', '李', 'محمد', 'Ólafur', 'Björk', 'Dmitri'];
const LAST = ['Doe', 'García', 'Smith-Jones', "O'Neil", 'van der Berg', 'Müller', 'Øster', '王', 'Nakamura'];
export const FIELDS = Object.keys(EVERY_FIELD);

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
  // Real dates, but not move-in dates: long past, and far beyond two years ahead.
  ['target_move_in_date', '2020-01-01'],
  ['target_move_in_date', '2099-12-31'],
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

export const WRONG_TYPES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  '',
  ' ',
  'text',
  [],
  {},
  [1, 2],
  { a: 1 },
  ['Jane'],
  { first_name: 'Jane' },
  '2025-07-01',
  '5125550142',
];

export const INVALID_UTF8: number[][] = [
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
  // biome-ignore lint/suspicious/noDuplicateElseIf: a second, independent draw.
  else if (rng.chance(0.2)) delete base.phone_1;
  return base;
}

/** The JSON text of an object, with keys given as raw JSON text (so `"__proto__"` stays a key). */
export function rawObject(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

const entriesOf = (o: Record<string, unknown>): [string, string][] => Object.entries(o).map(([k, v]) => [k, JSON.stringify(v)]);

export function nested(depth: number, kind: 'array' | 'object', inner = '1'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

/** A lead body, well formed or not; `refused` when it hides a character the contract refuses in a field. */
export function leadBody(w: World): { variant: string; bytes: Uint8Array; refused?: Refused } {
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
    [8, 'refused_character'],
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
        return {
          variant,
          bytes: utf8(text.slice(0, at) + rng.pick(['"', '{', '}', ',', ':', '\\', '\n', "'", ']', 'x']) + text.slice(at + rng.int(2))),
        };
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
      JSON.stringify(lead)
        .split('')
        .forEach((ch, i) => {
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
      for (let i = rng.between(1, 50); i > 0; i--)
        lead[
          rng.chance(0.5)
            ? rng.letters(rng.between(1, 12))
            : rng.pick(['id', 'status', 'site', 'lead_source_id', 'employee_id', 'email', 'phone'])
        ] = rng.pick(WRONG_TYPES);
      return { variant, bytes: utf8(JSON.stringify(lead)) };
    }
    case 'not_object':
      return { variant, bytes: utf8(rng.pick(['null', '[]', '[{}]', '"lead"', '1', '-0', 'true', 'false', JSON.stringify([lead]), '""'])) };
    case 'refused_character': {
      // An otherwise valid lead with one invisible, direction, private-use, non- or control character in one text field.
      const field = rng.pick(Object.keys(TEXT_FIELDS));
      const kind = field !== 'notes' && rng.chance(0.1) ? 'line_breaks' : rng.pick(Object.keys(REFUSED_CLASSES));
      const character = rng.pick(kind === 'line_breaks' ? LINE_BREAKS : REFUSED_CLASSES[kind]!);
      lead[field] = TEXT_FIELDS[field]!(character);
      return { variant: `${variant}:${kind}`, bytes: utf8(JSON.stringify(lead)), refused: { field, character } };
    }
    case 'duplicate_keys': {
      const entries = entriesOf(lead);
      entries.push(['first_name', JSON.stringify(rng.pick(WRONG_TYPES))], ['email_1', '"second@gmail.com"']);
      return { variant, bytes: utf8(rawObject(entries)) };
    }
  }
}
