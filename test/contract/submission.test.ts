import { describe, expect, it } from 'vitest';
import {
  FIELD_ERROR_CODES,
  FIELD_NAMES,
  FIELDS,
  errorEnvelope,
  isCalendarDate,
  isErrorEnvelope,
  normalizeUsPhone,
  parseSubmission,
} from '../../contract/index.js';

/** The property's today in these tests: given, so the move-in rule does not depend on the clock. */
const TODAY = '2027-06-01';
const parse = (input: unknown) => parseSubmission(input, TODAY);

const valid = { first_name: 'Ana', last_name: 'García', email_1: 'ana@gmail.com' };

/** The code the contract gives `field` when `value` is put into an otherwise valid submission. */
function codeFor(field: string, value: unknown): string | undefined {
  const result = parse({ ...valid, [field]: value });
  return result.ok ? undefined : result.fields.find((f) => f.field === field)?.code;
}

describe('submission contract', () => {
  it('accepts every prospect field and normalises them', () => {
    const result = parse({
      first_name: '  Ana  María ',
      last_name: 'García',
      email_1: ' Ana.Garcia@GMAIL.COM ',
      phone_1: '+1 (512) 555-0142',
      phone_1_type: 'MOBILE',
      phone_2: '737.555.0187',
      phone_2_type: 'WORK',
      address_1: '12 Elm St',
      address_2: '',
      city: 'Austin',
      state: 'tx',
      zip: '78748-1234',
      notes: 'Two cats.\nAsk for Maria.',
      desired_num_bedrooms: 2,
      desired_num_bathrooms: 1.5,
      desired_max_rent_in_cents: 185_000,
      desired_lease_term_in_months: 12,
      target_move_in_date: '2028-02-29',
      floor_plan_id: 'fp_oakgrove_b1',
      unit_id: 'unit-204',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        first_name: 'Ana María',
        last_name: 'García',
        email_1: 'Ana.Garcia@gmail.com',
        phone_1: '5125550142',
        phone_1_type: 'MOBILE',
        phone_2: '7375550187',
        phone_2_type: 'WORK',
        address_1: '12 Elm St',
        city: 'Austin',
        state: 'TX',
        zip: '78748-1234',
        notes: 'Two cats.\nAsk for Maria.',
        desired_num_bedrooms: 2,
        desired_num_bathrooms: 1.5,
        desired_max_rent_in_cents: 185_000,
        desired_lease_term_in_months: 12,
        target_move_in_date: '2028-02-29',
        floor_plan_id: 'fp_oakgrove_b1',
        unit_id: 'unit-204',
      },
    });
  });

  it('catalogue and schema name the same fields', () => {
    expect(FIELD_NAMES).toHaveLength(20);
    for (const name of FIELD_NAMES) expect(codeFor(name, { nested: true }), name).toBe('invalid_type');
    expect(Object.keys(FIELDS)).toEqual(FIELD_NAMES);
  });

  it('refuses the four Propexo ids and any other unknown key, including __proto__', () => {
    for (const key of ['integration_id', 'property_id', 'employee_id', 'lead_source_id', 'constructor', 'email']) {
      expect(codeFor(key, 'x'), key).toBe('unknown_field');
    }
    const proto = parse(JSON.parse('{"first_name":"a","last_name":"b","email_1":"a@b.co","__proto__":{"x":1}}'));
    expect(proto).toEqual({ ok: false, fields: [{ field: '__proto__', code: 'unknown_field' }] });
  });

  it('requires names, and an email or a phone', () => {
    expect(parse({})).toEqual({
      ok: false,
      fields: [
        { field: 'first_name', code: 'required' },
        { field: 'last_name', code: 'required' },
        { field: 'email_1', code: 'contact_required' },
        { field: 'phone_1', code: 'contact_required' },
      ],
    });
    expect(codeFor('first_name', '   ')).toBe('required');
    expect(parse({ first_name: 'a', last_name: 'b', phone_1: '5125550142' }).ok).toBe(true);
    expect(parse({ first_name: 'a', last_name: 'b', email_1: '', phone_1: '' }).ok).toBe(false);
  });

  it.each([
    ['email_1', 'none@none.com', 'placeholder'],
    ['email_1', 'NOEMAIL@gmail.com', 'placeholder'],
    ['email_1', 'jo@example.com', 'placeholder'],
    ['email_1', 'xxx@gmail.com', 'placeholder'],
    ['email_1', 'ana@', 'invalid_email'],
    ['email_1', 'ana gmail.com', 'invalid_email'],
    ['email_1', 'ana@gmail', 'invalid_email'],
    ['email_1', `${'a'.repeat(250)}@b.co`, 'too_long'],
    ['phone_1', '0000000000', 'placeholder'],
    ['phone_1', '(555) 555-5555', 'placeholder'],
    ['phone_1', '123-456-7890', 'placeholder'],
    ['phone_1', '512-555-014', 'invalid_phone'],
    ['phone_1', '+44 20 7946 0958', 'invalid_phone'],
    ['phone_1', '1 (112) 555-0142', 'invalid_phone'],
    ['phone_1', 'call me', 'invalid_phone'],
    ['phone_2', '2222222222', 'placeholder'],
    ['phone_1_type', 'CELL', 'invalid_choice'],
    ['phone_2_type', 'mobile', 'invalid_choice'],
    ['first_name', '<b>Ana</b>', 'invalid_characters'],
    ['last_name', 'www.cheap-pills.biz', 'invalid_characters'],
    ['first_name', 'Ana\u0000', 'invalid_characters'],
    ['city', 'Austin\nTX', 'invalid_characters'],
    ['first_name', '\u200b', 'invalid_characters'],
    ['first_name', 'Ana\u202e', 'invalid_characters'],
    ['last_name', 'Ruiz\ud800', 'invalid_characters'],
    ['notes', 'ok \udfff', 'invalid_characters'],
    ['first_name', '...', 'invalid_characters'],
    ['last_name', '12', 'invalid_characters'],
    ['first_name', 'A'.repeat(51), 'too_long'],
    ['notes', 'n'.repeat(2001), 'too_long'],
    ['state', 'ZZ', 'invalid_state'],
    ['zip', '7874', 'invalid_zip'],
    ['target_move_in_date', '2027-02-29', 'invalid_date'],
    ['target_move_in_date', '2027-13-01', 'invalid_date'],
    ['target_move_in_date', '04/15/2027', 'invalid_date'],
    ['target_move_in_date', '2027-04-15T00:00:00Z', 'too_long'],
    ['target_move_in_date', '1999-12-31', 'invalid_date'],
    ['desired_num_bedrooms', 1.5, 'not_integer'],
    ['desired_num_bedrooms', -1, 'out_of_range'],
    ['desired_num_bedrooms', 11, 'out_of_range'],
    ['desired_num_bedrooms', '2', 'invalid_type'],
    ['desired_num_bathrooms', 1.25, 'invalid_choice'],
    ['desired_max_rent_in_cents', 1e12, 'out_of_range'],
    ['desired_max_rent_in_cents', 1850.5, 'not_integer'],
    ['desired_lease_term_in_months', null, 'invalid_type'],
    ['floor_plan_id', 'fp/../x', 'invalid_characters'],
    ['unit_id', 'u'.repeat(65), 'too_long'],
  ])('%s = %j is refused with %s', (field, value, code) => {
    expect(codeFor(field, value)).toBe(code);
  });

  it("refuses a move-in date before the property's today or over two years after it, in the catalogue's order", () => {
    expect(codeFor('target_move_in_date', '2027-06-01')).toBeUndefined();
    expect(codeFor('target_move_in_date', '2029-06-01')).toBeUndefined();
    for (const date of ['2027-05-31', '2020-01-01', '2029-06-02', '2099-12-31'])
      expect(codeFor('target_move_in_date', date), date).toBe('date_out_of_range');
    // A real date first: a date that is not one is invalid_date, wherever it would fall.
    expect(codeFor('target_move_in_date', '2019-02-30')).toBe('invalid_date');
    expect(parse({ ...valid, zip: '1', target_move_in_date: '2020-01-01', floor_plan_id: 'fp/../x' })).toEqual({
      ok: false,
      fields: [
        { field: 'zip', code: 'invalid_zip' },
        { field: 'target_move_in_date', code: 'date_out_of_range' },
        { field: 'floor_plan_id', code: 'invalid_characters' },
      ],
    });
    // From a 29 February, two years on is read as a string: the 28th is in, 1 March out.
    const leap = (date: string) => parseSubmission({ ...valid, target_move_in_date: date }, '2028-02-29').ok;
    expect([leap('2028-02-28'), leap('2028-02-29'), leap('2030-02-28'), leap('2030-03-01')]).toEqual([false, true, true, false]);
  });

  it('refuses what JSON cannot carry as a number (NaN and Infinity arrive as null or strings)', () => {
    expect(codeFor('desired_num_bedrooms', Number.NaN)).toBe('invalid_type');
    expect(codeFor('desired_num_bedrooms', Number.POSITIVE_INFINITY)).toBe('invalid_type');
  });

  it('answers non-objects with a field-less issue instead of throwing', () => {
    for (const input of [null, [], 'lead', 42, true, undefined]) {
      const result = parse(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.fields[0]!.code).toBe('invalid_type');
    }
  });

  it('uses only codes from the closed list', () => {
    const inputs = [{}, { first_name: 1, last_name: [], email_1: {}, zzz: 1 }, { ...valid, phone_1: 'x', state: 'zz' }];
    for (const input of inputs) {
      const result = parse(input);
      if (!result.ok) for (const f of result.fields) expect(FIELD_ERROR_CODES).toContain(f.code);
    }
  });

  it('helpers: phones, dates, envelopes', () => {
    expect(normalizeUsPhone('1-512-555-0142')).toBe('5125550142');
    expect(normalizeUsPhone('512 555 01420')).toBe(null);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2100-01-01')).toBe(false);
    const envelope = errorEnvelope('invalid_fields', 'Some fields are invalid.', [{ field: 'zip', code: 'invalid_zip' }]);
    expect(envelope).toEqual({
      error: {
        code: 'invalid_fields',
        message: 'Some fields are invalid.',
        fields: [{ field: 'zip', code: 'invalid_zip', message: 'Enter a 5-digit ZIP code.' }],
      },
    });
    expect(isErrorEnvelope(envelope)).toBe(true);
    expect(isErrorEnvelope({ error: 'nope' })).toBe(false);
    expect(isErrorEnvelope(null)).toBe(false);
  });
});

describe('placeholder phones', () => {
  it('judges only ten-digit numbers as placeholders; short fragments are just invalid', () => {
    for (const fragment of ['12', '345', '0', '0123']) expect(codeFor('phone_1', fragment), fragment).toBe('invalid_phone');
    for (const fake of ['0123456789', '1234567890', '9876543210', '7777777777']) {
      expect(codeFor('phone_1', fake), fake).toBe('placeholder');
    }
  });
});

/**
 * The characters no field may hold, by class: invisible or direction-changing, breaking lines where
 * the field has none, meaning nothing outside one program, or not text at all. Each makes two
 * names that look the same differ, so each would also defeat the duplicate check.
 */
const REFUSED_CHARACTERS: [string, string[]][] = [
  [
    'format characters (Cf)',
    [
      '\u200b', // zero width space
      '\u200e', // left-to-right mark
      '\u200f', // right-to-left mark
      '\u00ad', // soft hyphen
      '\u180e', // Mongolian vowel separator
      '\u061c', // Arabic letter mark
      '\u2060', // word joiner
      '\u2066', // left-to-right isolate
      '\u2067', // right-to-left isolate
      '\u2068', // first strong isolate
      '\u2069', // pop directional isolate
      '\ufeff', // zero width no-break space (BOM)
      '\ufff9', // interlinear annotation anchor
      '\ufffb', // interlinear annotation terminator
      '\u{e0001}', // language tag
      '\u{e0041}', // tag latin capital A
      '\u{e007f}', // cancel tag
    ],
  ],
  ['line and paragraph separators (Zl, Zp)', ['\u2028', '\u2029']],
  ['private use (Co)', ['\ue000', '\uf8ff', '\u{f0000}', '\u{ffffd}', '\u{100000}', '\u{10fffd}']],
  ['noncharacters', ['\ufdd0', '\ufdef', '\ufffe', '\uffff', '\u{1fffe}', '\u{1ffff}', '\u{ffffe}', '\u{10ffff}']],
  ['lone surrogates (Cs)', ['\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d']],
  ['C0 and C1 controls', ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f']],
];

/** A valid value of each text field, with `ch` put inside it. */
const TEXT_FIELDS: Record<string, (ch: string) => string> = {
  first_name: (ch) => `A${ch}na`,
  last_name: (ch) => `Gar${ch}cía`,
  email_1: (ch) => `ana${ch}@gmail.com`,
  phone_1: (ch) => `512${ch}5550142`,
  phone_1_type: (ch) => `MOB${ch}ILE`,
  phone_2: (ch) => `(737) ${ch}555-0187`,
  phone_2_type: (ch) => `WO${ch}RK`,
  address_1: (ch) => `12 Elm${ch} St`,
  address_2: (ch) => `Apt ${ch}4`,
  city: (ch) => `Aus${ch}tin`,
  state: (ch) => `T${ch}X`,
  zip: (ch) => `787${ch}48`,
  notes: (ch) => `Two cats.${ch} Ask for Maria.`,
  target_move_in_date: (ch) => `2028-02${ch}-29`,
  floor_plan_id: (ch) => `fp_${ch}b1`,
  unit_id: (ch) => `unit-${ch}204`,
};

describe('characters no field may hold', () => {
  it('every text field is in the table, and takes its value without the character', () => {
    const strings = FIELD_NAMES.filter((name) => codeFor(name, 'text') !== 'invalid_type');
    expect(Object.keys(TEXT_FIELDS).sort()).toEqual(strings.sort());
    for (const [field, value] of Object.entries(TEXT_FIELDS)) expect(codeFor(field, value('')), field).toBeUndefined();
  });

  it.each(REFUSED_CHARACTERS)('%s are refused in names, email and notes', (_, characters) => {
    for (const ch of characters) {
      const shown = `U+${ch.codePointAt(0)!.toString(16).toUpperCase()}`;
      for (const field of ['first_name', 'last_name', 'email_1', 'notes']) {
        expect(codeFor(field, TEXT_FIELDS[field]!(ch)), `${shown} in ${field}`).toBe('invalid_characters');
        // At either end, it is refused or trimmed away (U+2028, U+2029 and U+FEFF are white space to trim()).
        for (const value of [`${ch}${TEXT_FIELDS[field]!('')}`, `${TEXT_FIELDS[field]!('')}${ch}`]) {
          const result = parse({ ...valid, [field]: value });
          if (result.ok) expect(Object.values(result.value).join(), `${shown} at an end of ${field}`).not.toContain(ch);
        }
      }
    }
  });

  it.each(REFUSED_CHARACTERS)('%s are refused in every other text field', (_, characters) => {
    for (const ch of characters) {
      const shown = `U+${ch.codePointAt(0)!.toString(16).toUpperCase()}`;
      for (const [field, value] of Object.entries(TEXT_FIELDS))
        expect(codeFor(field, value(ch)), `${shown} in ${field}`).toBe('invalid_characters');
    }
  });

  it('keeps ZWJ and ZWNJ: emoji sequences in notes, a Persian name, an Indic name', () => {
    const family = 'We are \u{1f468}\u200d\u{1f469}\u200d\u{1f467} and a \u{1f408}\u200d\u2b1b.';
    const result = parse({
      ...valid,
      first_name: 'علی',
      last_name: 'محمدی\u200cنژاد',
      notes: family,
    });
    expect(result).toEqual({ ok: true, value: { ...valid, first_name: 'علی', last_name: 'محمدی\u200cنژاد', notes: family } });
    expect(codeFor('first_name', 'क्\u200dष')).toBeUndefined();
    // Emoji with variation selectors and skin tones are not format characters either.
    expect(codeFor('notes', 'Thanks \u2764\ufe0f \u{1f44d}\u{1f3fd}')).toBeUndefined();
  });

  it('keeps new lines and tabs in notes, and only there', () => {
    const notes = 'Two cats.\n\tAsk for Maria.\r\nThanks';
    expect(parse({ ...valid, notes })).toEqual({ ok: true, value: { ...valid, notes } });
    for (const ch of ['\n', '\r', '\t']) {
      expect(codeFor('city', `Aus${ch}tin`), JSON.stringify(ch)).toBe('invalid_characters');
      expect(codeFor('address_1', `12 Elm${ch}St`), JSON.stringify(ch)).toBe('invalid_characters');
    }
    for (const ch of ['\u000b', '\u000c', '\u2028']) expect(codeFor('notes', `a${ch}b`), JSON.stringify(ch)).toBe('invalid_characters');
  });
});
