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

const valid = { first_name: 'Ana', last_name: 'García', email_1: 'ana@gmail.com' };

/** The code the contract gives `field` when `value` is put into an otherwise valid submission. */
function codeFor(field: string, value: unknown): string | undefined {
  const result = parseSubmission({ ...valid, [field]: value });
  return result.ok ? undefined : result.fields.find((f) => f.field === field)?.code;
}

describe('submission contract', () => {
  it('accepts every prospect field and normalises them', () => {
    const result = parseSubmission({
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
    const proto = parseSubmission(JSON.parse('{"first_name":"a","last_name":"b","email_1":"a@b.co","__proto__":{"x":1}}'));
    expect(proto).toEqual({ ok: false, fields: [{ field: '__proto__', code: 'unknown_field' }] });
  });

  it('requires names, and an email or a phone', () => {
    expect(parseSubmission({})).toEqual({
      ok: false,
      fields: [
        { field: 'first_name', code: 'required' },
        { field: 'last_name', code: 'required' },
        { field: 'email_1', code: 'contact_required' },
        { field: 'phone_1', code: 'contact_required' },
      ],
    });
    expect(codeFor('first_name', '   ')).toBe('required');
    expect(parseSubmission({ first_name: 'a', last_name: 'b', phone_1: '5125550142' }).ok).toBe(true);
    expect(parseSubmission({ first_name: 'a', last_name: 'b', email_1: '', phone_1: '' }).ok).toBe(false);
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

  it('refuses what JSON cannot carry as a number (NaN and Infinity arrive as null or strings)', () => {
    expect(codeFor('desired_num_bedrooms', Number.NaN)).toBe('invalid_type');
    expect(codeFor('desired_num_bedrooms', Number.POSITIVE_INFINITY)).toBe('invalid_type');
  });

  it('answers non-objects with a field-less issue instead of throwing', () => {
    for (const input of [null, [], 'lead', 42, true, undefined]) {
      const result = parseSubmission(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.fields[0]!.code).toBe('invalid_type');
    }
  });

  it('uses only codes from the closed list', () => {
    const inputs = [{}, { first_name: 1, last_name: [], email_1: {}, zzz: 1 }, { ...valid, phone_1: 'x', state: 'zz' }];
    for (const input of inputs) {
      const result = parseSubmission(input);
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
