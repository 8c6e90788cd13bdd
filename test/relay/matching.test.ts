/**
 * matching.ts: the rules by which the in-doubt search and the confirmation rounds take a Propexo
 * record as one of the relay's leads (who the prospect is, and what `created_at` proves).
 */
import { describe, expect, it } from 'vitest';
import {
  createdSince,
  earliestCreation,
  exactTime,
  nameKey,
  phoneDigits,
  sameContact,
  sameNames,
  samePerson,
} from '../../relay/outbox/delivery/matching.js';
import type { LeadRecord } from '../../relay/outbox/store/types.js';

const lead = (submission: Partial<LeadRecord['submission']>) =>
  ({ submission: { first_name: 'Jane', last_name: 'Doe', ...submission } }) as LeadRecord;
const record = (extra: object) => ({
  id: 'r',
  first_name: 'JANE ',
  last_name: 'doe',
  email_1: null,
  phone_1: null,
  created_at: null,
  ...extra,
});

describe('what a round takes as the same prospect', () => {
  it('folded names and the same email or 10-digit phone', () => {
    expect(samePerson(lead({ email_1: 'Jane@Mail.test' }), record({ email_1: 'jane@mail.test' }))).toBe(true);
    expect(samePerson(lead({ phone_1: '5125550142' }), record({ phone_1: '+1 (512) 555-0142' }))).toBe(true);
    expect(samePerson(lead({ email_1: 'jane@mail.test' }), record({ email_1: 'other@mail.test' }))).toBe(false);
    expect(samePerson(lead({ email_1: 'jane@mail.test' }), record({ first_name: 'Janet', email_1: 'jane@mail.test' }))).toBe(false);
    expect(samePerson(lead({ email_1: 'jane@mail.test' }), record({ phone_1: '5125550142' }))).toBe(false);
  });

  it('only a full creation time is evidence: a bare date or none is not', () => {
    expect(exactTime('2026-01-15T10:00:00.000Z')).toBe(Date.UTC(2026, 0, 15, 10));
    expect(exactTime('2026-01-15')).toBeNaN();
    expect(exactTime(null)).toBeNaN();
    expect(exactTime('yesterday')).toBeNaN();
  });
});

describe('names', () => {
  it('fold case, width and spacing, first and last apart', () => {
    expect(nameKey('  JANE   Ann ', 'DOE')).toBe(nameKey('jane ann', 'doe'));
    expect(nameKey('Ｊａｎｅ', 'Doe')).toBe(nameKey('jane', 'doe')); // full-width, NFKC
    expect(nameKey(null, null)).toBe(nameKey('', ''));
    // The split matters: "Ann Lee" + "Doe" is not "Ann" + "Lee Doe".
    expect(nameKey('Ann Lee', 'Doe')).not.toBe(nameKey('Ann', 'Lee Doe'));
  });

  it('sameNames compares the lead with a record, nothing else', () => {
    expect(sameNames(lead({}), record({ email_1: 'someone@else.test' }))).toBe(true);
    expect(sameNames(lead({}), record({ last_name: 'Doe-Smith' }))).toBe(false);
    expect(sameNames(lead({}), record({ first_name: null }))).toBe(false);
  });
});

describe('contacts', () => {
  it('a phone is its last 10 digits, or nothing with fewer', () => {
    expect(phoneDigits('+1 (512) 555-0142')).toBe('5125550142');
    expect(phoneDigits('512.555.0142')).toBe('5125550142');
    expect(phoneDigits('555-0142')).toBeNull();
    expect(phoneDigits('')).toBeNull();
    expect(phoneDigits(null)).toBeNull();
  });

  it('the same email (folded) or the same phone; a contact only one side has is no match', () => {
    expect(sameContact(lead({ email_1: 'jane@mail.test' }), record({ email_1: ' JANE@MAIL.TEST ' }))).toBe(true);
    expect(
      sameContact(
        lead({ email_1: 'jane@mail.test', phone_1: '5125550142' }),
        record({ email_1: 'old@mail.test', phone_1: '512-555-0142' }),
      ),
    ).toBe(true);
    expect(sameContact(lead({ phone_1: '5125550142' }), record({ email_1: 'jane@mail.test' }))).toBe(false);
    expect(sameContact(lead({ email_1: 'jane@mail.test' }), record({ phone_1: '5125550142' }))).toBe(false);
    expect(sameContact(lead({ phone_1: '5125550142' }), record({ phone_1: '555-0142' }))).toBe(false);
    expect(sameContact(lead({}), record({}))).toBe(false);
  });
});

describe('created no earlier than', () => {
  const since = Date.UTC(2026, 0, 15, 10);
  const iso = (ms: number) => new Date(ms).toISOString();

  it('an exact time answers yes from `since` on (inclusive), no before it', () => {
    expect(createdSince(iso(since), since)).toBe('yes');
    expect(createdSince(iso(since + 1), since)).toBe('yes');
    expect(createdSince(iso(since - 1), since)).toBe('no');
    expect(createdSince('2026-01-15T11:00:00+01:00', since)).toBe('yes'); // an offset is an exact time
  });

  it('a bare date, no date or an unreadable one is no evidence', () => {
    expect(createdSince('2026-01-15', since)).toBe('unknown');
    expect(createdSince(null, since)).toBe('unknown');
    expect(createdSince('soon', since)).toBe('unknown');
  });

  it('for the in-doubt search, a bare date answers for its whole UTC day; none is still unknown', () => {
    expect(createdSince('2026-01-15', since, 'whole_day')).toBe('yes');
    expect(createdSince('2026-01-16', since, 'whole_day')).toBe('yes');
    expect(createdSince('2026-01-14', since, 'whole_day')).toBe('no');
    expect(createdSince(null, since, 'whole_day')).toBe('unknown');
    expect(createdSince('soon', since, 'whole_day')).toBe('unknown');
    expect(createdSince(iso(since - 1), since, 'whole_day')).toBe('no');
  });

  it('the earliest time counted is the send less the clock skew', () => {
    expect(earliestCreation(since, 120_000)).toBe(since - 120_000);
    expect(createdSince(iso(since - 60_000), earliestCreation(since, 120_000))).toBe('yes');
    expect(createdSince(iso(since - 180_000), earliestCreation(since, 120_000))).toBe('no');
  });
});
