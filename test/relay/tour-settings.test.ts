/**
 * A site's `tours` key: its defaults, the shape the relay parses it to, every refusal with the words
 * an operator reads, and the JSON Schema an editor checks it with.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseSites } from '../../relay/config/sites.js';
import { SITES_SCHEMA_FILE } from '../../relay/config/sites-schema.js';
import { TOUR_DEFAULTS, type TourSettings } from '../../relay/tours/settings.js';

const site = (tours?: unknown) => ({
  name: 'Oak Grove',
  integration_id: 'int_1',
  property_id: 'prop_1',
  employee_id: 'emp_1',
  lead_source_id: 'lsrc_1',
  allowed_origins: ['https://oak.example'],
  ...(tours === undefined ? {} : { tours }),
});
const weekdays = { mon: [['09:00', '17:00']] };
const parsed = (tours: unknown): TourSettings | undefined => parseSites(JSON.stringify({ oak: site(tours) }), 1).get('oak')!.tours;

/** The relay's message for a bad `tours`, the whole of it. */
function refusal(tours: unknown): string {
  try {
    parseSites(JSON.stringify({ oak: site(tours) }), 1);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error(`accepted ${JSON.stringify(tours)}`);
}

const closedAllWeek = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };

describe('tours settings', () => {
  it('absent: the site offers no tours', () => {
    expect(parsed(undefined)).toBeUndefined();
    expect('tours' in parseSites(JSON.stringify({ oak: site() }), 1).get('oak')!).toBe(false);
  });

  it('fills the defaults, every weekday listed (a missing one closed)', () => {
    expect(parsed({ hours: weekdays })).toEqual({
      hours: { ...closedAllWeek, mon: [['09:00', '17:00']] },
      slot_minutes: 30,
      min_notice_minutes: 120,
      days_ahead: 14,
      closed_dates: [],
      per_slot: 1,
      appointment_clock: 'utc',
    });
    expect(TOUR_DEFAULTS).toEqual({ slot_minutes: 30, min_notice_minutes: 120, days_ahead: 14, per_slot: 1, appointment_clock: 'utc' });
  });

  it('keeps every key given: intervals sorted, closed dates sorted and once, the address trimmed', () => {
    const tours = parsed({
      hours: {
        sat: [
          ['13:00', '24:00'],
          ['00:00', '01:00'],
          ['10:00', '13:00'],
        ],
        sun: [['12:00', '16:00']],
        mon: [],
      },
      slot_minutes: 45,
      min_notice_minutes: 0,
      days_ahead: 60,
      closed_dates: ['2027-12-25', '2027-11-25', '2027-12-25'],
      per_slot: 3,
      appointment_clock: 'property',
      address: '  100 Oak Grove Blvd, Austin, TX 78701 ',
    });
    expect(tours).toEqual({
      hours: {
        ...closedAllWeek,
        sat: [
          ['00:00', '01:00'],
          ['10:00', '13:00'],
          ['13:00', '24:00'],
        ],
        sun: [['12:00', '16:00']],
      },
      slot_minutes: 45,
      min_notice_minutes: 0,
      days_ahead: 60,
      closed_dates: ['2027-11-25', '2027-12-25'],
      per_slot: 3,
      appointment_clock: 'property',
      address: '100 Oak Grove Blvd, Austin, TX 78701',
    });
  });

  it('takes the bounds themselves', () => {
    for (const [key, value] of [
      ['slot_minutes', 10],
      ['slot_minutes', 240],
      ['min_notice_minutes', 10_080],
      ['days_ahead', 1],
      ['per_slot', 20],
    ] as const)
      expect(parsed({ hours: weekdays, [key]: value })![key]).toBe(value);
    expect(parsed({ hours: { fri: [['00:00', '24:00']] } })!.hours.fri).toEqual([['00:00', '24:00']]);
  });

  it('refuses bad hours, naming the key and the interval', () => {
    const at = 'SITES_JSON: oak.tours';
    const hhmm = 'must be a time HH:MM like "09:00" (24-hour; "24:00" may close)';
    expect(refusal({})).toBe(`${at}.hours: required`);
    expect(refusal('yes')).toBe(`${at}: must be an object`);
    expect(refusal({ hours: {} })).toBe(`${at}.hours: must open on at least one weekday, like { "mon": [["09:00", "17:00"]] }`);
    expect(refusal({ hours: { mon: [] } })).toBe(`${at}.hours: must open on at least one weekday, like { "mon": [["09:00", "17:00"]] }`);
    // The typo leaves no weekday open, and both are said.
    expect(refusal({ hours: { monday: [['09:00', '17:00']] } }).split('\n')).toEqual([
      `${at}.hours: unknown key "monday"`,
      `${at}.hours: must open on at least one weekday, like { "mon": [["09:00", "17:00"]] }`,
    ]);
    expect(refusal({ hours: { mon: [['9:00', '17:00']] } })).toBe(`${at}.hours.mon[0][0]: ${hhmm}`);
    expect(refusal({ hours: { tue: [['09:00', '24:30']] } })).toBe(`${at}.hours.tue[0][1]: ${hhmm}`);
    expect(refusal({ hours: { tue: [['09:00', '17:60']] } })).toBe(`${at}.hours.tue[0][1]: ${hhmm}`);
    expect(refusal({ hours: { wed: [['17:00', '09:00']] } })).toBe(`${at}.hours.wed[0][1]: must close after it opens (17:00 to 09:00)`);
    expect(refusal({ hours: { wed: [['09:00', '09:00']] } })).toBe(`${at}.hours.wed[0][1]: must close after it opens (09:00 to 09:00)`);
    expect(refusal({ hours: { thu: [['24:00', '24:00']] } })).toBe(`${at}.hours.thu[0][0]: "24:00" may only close an interval`);
    const interval = 'must be an interval [open, close] like ["09:00", "17:00"]';
    expect(refusal({ hours: { fri: ['09:00-17:00'] } })).toBe(`${at}.hours.fri[0]: ${interval}`);
    expect(refusal({ hours: { fri: [['09:00']] } })).toBe(`${at}.hours.fri[0]: ${interval}`);
    expect(refusal({ hours: { fri: [['09:00', '12:00', '17:00']] } })).toBe(`${at}.hours.fri[0]: ${interval}`);
  });

  it('refuses intervals of a day that share a minute, in whatever order listed; touching ones are fine', () => {
    expect(
      refusal({
        hours: {
          sat: [
            ['09:00', '12:00'],
            ['11:59', '13:00'],
          ],
        },
      }),
    ).toBe('SITES_JSON: oak.tours.hours.sat[1]: overlaps ["09:00","12:00"]');
    expect(
      refusal({
        hours: {
          sat: [
            ['13:00', '17:00'],
            ['09:00', '14:00'],
          ],
        },
      }),
    ).toBe('SITES_JSON: oak.tours.hours.sat[0]: overlaps ["09:00","14:00"]');
    expect(
      refusal({
        hours: {
          sun: [
            ['10:00', '11:00'],
            ['10:00', '11:00'],
          ],
        },
      }),
    ).toMatch(/^SITES_JSON: oak\.tours\.hours\.sun\[1\]: overlaps/);
    expect(
      parsed({
        hours: {
          sat: [
            ['12:00', '17:00'],
            ['09:00', '12:00'],
          ],
        },
      })!.hours.sat,
    ).toEqual([
      ['09:00', '12:00'],
      ['12:00', '17:00'],
    ]);
  });

  it('refuses numbers out of bounds or not whole', () => {
    const at = 'SITES_JSON: oak.tours';
    const cases: [string, unknown, string][] = [
      ['slot_minutes', 5, 'must be at least 10'],
      ['slot_minutes', 241, 'must be at most 240'],
      ['slot_minutes', 30.5, 'must be a whole number'],
      ['slot_minutes', '30', 'must be a whole number'],
      ['min_notice_minutes', -1, 'must be at least 0'],
      ['min_notice_minutes', 10_081, 'must be at most 10080'],
      ['days_ahead', 0, 'must be at least 1'],
      ['days_ahead', 61, 'must be at most 60'],
      ['per_slot', 0, 'must be at least 1'],
      ['per_slot', 21, 'must be at most 20'],
    ];
    for (const [key, value, message] of cases) expect(refusal({ hours: weekdays, [key]: value })).toBe(`${at}.${key}: ${message}`);
  });

  it('refuses bad closed dates, the clock, the address and unknown keys', () => {
    const at = 'SITES_JSON: oak.tours';
    const date = 'must be a date YYYY-MM-DD like "2027-12-25"';
    expect(refusal({ hours: weekdays, closed_dates: ['2027-12-25', '12/25/2027'] })).toBe(`${at}.closed_dates[1]: ${date}`);
    expect(refusal({ hours: weekdays, closed_dates: ['2027-02-29'] })).toBe(`${at}.closed_dates[0]: ${date}`);
    expect(refusal({ hours: weekdays, closed_dates: '2027-12-25' })).toBe(`${at}.closed_dates: must be an array`);
    expect(refusal({ hours: weekdays, closed_dates: Array.from({ length: 501 }, () => '2027-12-25') })).toBe(
      `${at}.closed_dates: must list at most 500 dates`,
    );
    expect(refusal({ hours: weekdays, appointment_clock: 'local' })).toBe(`${at}.appointment_clock: must be "utc" or "property"`);
    expect(refusal({ hours: weekdays, address: '   ' })).toBe(`${at}.address: required`);
    expect(refusal({ hours: weekdays, address: 'x'.repeat(301) })).toBe(`${at}.address: too long (at most 300)`);
    expect(refusal({ hours: weekdays, slots: 30 })).toBe(`${at}: unknown key "slots"`);
  });

  it('lists every problem of a site at once', () => {
    expect(refusal({ hours: { mon: [['9', '17:00']] }, per_slot: 0 }).split('\n')).toEqual([
      'SITES_JSON: oak.tours.hours.mon[0][0]: must be a time HH:MM like "09:00" (24-hour; "24:00" may close)',
      'SITES_JSON: oak.tours.per_slot: must be at least 1',
    ]);
  });
});

describe('tours in sites.schema.json', () => {
  it('the generated JSON Schema takes good tours and refuses what it can see is wrong', async () => {
    const schema = z.fromJSONSchema(JSON.parse(await readFile(join(import.meta.dirname, '../..', SITES_SCHEMA_FILE), 'utf8')));
    const good = {
      hours: {
        mon: [
          ['09:00', '12:00'],
          ['13:00', '24:00'],
        ],
      },
      slot_minutes: 60,
      closed_dates: ['2027-12-25'],
      appointment_clock: 'property',
      address: '100 Oak Grove Blvd',
    };
    expect(schema.safeParse({ oak: site(good) }).success).toBe(true);
    for (const bad of [
      { ...good, hours: { mon: [['9:00', '12:00']] } },
      { ...good, hours: { mon: [['09:00', '12:00', '13:00']] } },
      { ...good, hours: { monday: [['09:00', '12:00']] } },
      { ...good, slot_minutes: 5 },
      { ...good, appointment_clock: 'local' },
      { ...good, colour: 'teal' },
      { slot_minutes: 30 },
    ]) {
      expect(schema.safeParse({ oak: site(bad) }).success, JSON.stringify(bad)).toBe(false);
      expect(() => parseSites(JSON.stringify({ oak: site(bad) }), 1)).toThrow(ConfigError);
    }
  });
});
