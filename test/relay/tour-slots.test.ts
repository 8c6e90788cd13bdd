/**
 * The tour slot engine: an ordinary week, notice, the window, closed dates, bookings, and the heart
 * of it, daylight saving: America/Chicago across 2027-03-14 (02:00 -> 03:00) and 2027-11-07
 * (02:00 -> 01:00), Phoenix (no DST) on the same dates, zones far from UTC. Every `now` is fixed.
 */
import { describe, expect, it } from 'vitest';
import { appointmentFields, tourNote } from '../../relay/tours/appointment-time.js';
import { withTourDefaults, type TourSettings, type TourSettingsInput } from '../../relay/tours/settings.js';
import { checkSlotStart, openSlots, slotsOfDate, type TourDay, type TourSlot } from '../../relay/tours/slots.js';
import { clockLabel, instantInZone, isoInZone, zonedWallTimeToInstant } from '../../relay/tours/zoned-time.js';

const CHICAGO = 'America/Chicago';
const PHOENIX = 'America/Phoenix';
const MINUTE = 60_000;
const WEEKDAYS = {
  mon: [['09:00', '17:00']],
  tue: [['09:00', '17:00']],
  wed: [['09:00', '17:00']],
  thu: [['09:00', '17:00']],
  fri: [['09:00', '17:00']],
};
const EVERY_DAY = (interval: [string, string]) =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [interval]])) as TourSettingsInput['hours'];
const tours = (input: Omit<Partial<TourSettingsInput>, 'hours'> & { hours?: unknown }): TourSettings =>
  withTourDefaults({ hours: WEEKDAYS, ...input } as TourSettingsInput);
const utc = (iso: string) => Date.parse(iso);
const labels = (slots: TourSlot[]) => slots.map((s) => s.label);
const allSlots = (days: TourDay[]) => days.flatMap((d) => d.slots);
/** The real time between consecutive starts. */
const gaps = (slots: TourSlot[]) => slots.slice(1).map((s, i) => s.start_ms - slots[i]!.start_ms);
const HALF_HOURS_9_TO_5 = Array.from({ length: 16 }, (_, i) =>
  clockLabel(`${String(9 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`),
);

/** What must hold of any slots: unique increasing instants, each written and labelled as the zone says. */
function expectSane(slots: TourSlot[], timeZone: string): void {
  const starts = slots.map((s) => s.start_ms);
  expect(new Set(starts).size).toBe(starts.length);
  expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  // Two slots of one date never read the same to a person.
  expect(new Set(slots.map((s) => `${s.date} ${s.label}`)).size).toBe(slots.length);
  for (const slot of slots) {
    const here = instantInZone(slot.start_ms, timeZone);
    expect(Date.parse(slot.start)).toBe(slot.start_ms);
    expect(slot.start).toBe(isoInZone(slot.start_ms, timeZone));
    expect([slot.date, slot.time, slot.abbreviation]).toEqual([here.date, here.time, here.abbreviation]);
    expect([clockLabel(here.time), `${clockLabel(here.time)} ${here.abbreviation}`]).toContain(slot.label);
  }
}

describe('zoned time', () => {
  it('reads an instant in a zone: date, time, offset, abbreviation', () => {
    expect(instantInZone(utc('2027-03-15T14:00:00Z'), CHICAGO)).toEqual({
      date: '2027-03-15',
      time: '09:00',
      second: 0,
      offsetMinutes: -300,
      abbreviation: 'CDT',
    });
    expect(instantInZone(utc('2027-03-14T23:00:00Z'), 'Asia/Kolkata')).toMatchObject({
      date: '2027-03-15',
      time: '04:30',
      offsetMinutes: 330,
    });
    expect(isoInZone(utc('2027-03-14T23:00:00Z'), 'Asia/Kolkata')).toBe('2027-03-15T04:30:00+05:30');
  });

  it('maps a wall time to its instant; a gap forward to its end, an overlap to the earlier or the later', () => {
    const at = (date: string, time: string, overlap?: 'earlier' | 'later') =>
      new Date(zonedWallTimeToInstant(date, time, CHICAGO, overlap)).toISOString();
    expect(at('2027-03-15', '09:00')).toBe('2027-03-15T14:00:00.000Z');
    expect(at('2027-03-14', '01:59')).toBe('2027-03-14T07:59:00.000Z');
    expect(at('2027-03-14', '02:00')).toBe('2027-03-14T08:00:00.000Z'); // 02:00 CST never happens: 03:00 CDT
    expect(at('2027-03-14', '02:30')).toBe('2027-03-14T08:00:00.000Z');
    expect(at('2027-03-14', '03:00')).toBe('2027-03-14T08:00:00.000Z');
    expect(at('2027-11-07', '01:30')).toBe('2027-11-07T06:30:00.000Z'); // 01:30 CDT
    expect(at('2027-11-07', '01:30', 'later')).toBe('2027-11-07T07:30:00.000Z'); // 01:30 CST
    expect(at('2027-11-07', '02:00', 'later')).toBe('2027-11-07T08:00:00.000Z'); // happens once
    expect(at('2027-03-13', '24:00', 'later')).toBe('2027-03-14T06:00:00.000Z'); // the next date's first instant
    // Havana springs forward at midnight: 2027-03-14 starts at 01:00, and 24:00 the day before is that instant.
    expect(zonedWallTimeToInstant('2027-03-13', '24:00', 'America/Havana')).toBe(utc('2027-03-14T05:00:00Z'));
    expect(isoInZone(utc('2027-03-14T05:00:00Z'), 'America/Havana')).toBe('2027-03-14T01:00:00-04:00');
  });

  it('round-trips every quarter hour of both DST days, but for the hour that does not exist', () => {
    for (const date of ['2027-03-14', '2027-11-07'])
      for (let m = 0; m < 24 * 60; m += 15) {
        const time = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        for (const overlap of ['earlier', 'later'] as const) {
          const back = instantInZone(zonedWallTimeToInstant(date, time, CHICAGO, overlap), CHICAGO);
          expect(back.date).toBe(date);
          expect(back.time).toBe(date === '2027-03-14' && time.startsWith('02:') ? '03:00' : time);
        }
      }
  });
});

describe('open slots, an ordinary week', () => {
  const now = utc('2027-04-04T17:00:00Z'); // Sunday 2027-04-04, 12:00 CDT

  it('gives each weekday its half hours from 9:00 to 4:30, the weekend none', () => {
    const days = openSlots({ settings: tours({}), timeZone: CHICAGO, now, days: 7 });
    expect(days.map((d) => [d.date, d.weekday, d.slots.length])).toEqual([
      ['2027-04-04', 'sun', 0],
      ['2027-04-05', 'mon', 16],
      ['2027-04-06', 'tue', 16],
      ['2027-04-07', 'wed', 16],
      ['2027-04-08', 'thu', 16],
      ['2027-04-09', 'fri', 16],
      ['2027-04-10', 'sat', 0],
    ]);
    expect(days[1]!.slots[0]).toEqual({
      start: '2027-04-05T09:00:00-05:00',
      start_ms: utc('2027-04-05T14:00:00Z'),
      date: '2027-04-05',
      time: '09:00',
      label: '9:00 AM',
      abbreviation: 'CDT',
    });
    expect(labels(days[1]!.slots)).toEqual(HALF_HOURS_9_TO_5);
    expect(days[5]!.slots.at(-1)!.label).toBe('4:30 PM');
    expectSane(allSlots(days), CHICAGO);
  });

  it('never lets a slot run past its interval close, over several intervals', () => {
    const day = (hours: unknown, slot_minutes = 30) =>
      labels(slotsOfDate(tours({ hours: { mon: hours }, slot_minutes }), CHICAGO, '2027-04-05'));
    expect(day([['09:00', '10:45']])).toEqual(['9:00 AM', '9:30 AM', '10:00 AM']);
    expect(day([['09:00', '10:59']], 60)).toEqual(['9:00 AM']);
    expect(day([['09:00', '17:00']], 45)).toHaveLength(10); // 9:00 … 3:45 PM; 4:30 would end at 5:15
    expect(
      day([
        ['09:00', '12:00'],
        ['13:00', '15:00'],
      ]),
    ).toEqual(['9:00 AM', '9:30 AM', '10:00 AM', '10:30 AM', '11:00 AM', '11:30 AM', '1:00 PM', '1:30 PM', '2:00 PM', '2:30 PM']);
    expect(
      day([
        ['09:00', '12:00'],
        ['12:00', '13:00'],
      ]),
    ).toHaveLength(8); // touching: no slot twice
    expect(day([['09:00', '09:20']])).toEqual([]);
  });

  it('keeps min_notice_minutes from now (a slot exactly at the notice is offered)', () => {
    const mondayAt = (time: string) => utc(`2027-04-05T${time}:00-05:00`);
    const first = (now: number, min_notice_minutes: number) =>
      openSlots({ settings: tours({ min_notice_minutes }), timeZone: CHICAGO, now, days: 1 })[0]!.slots[0]?.label;
    expect(first(mondayAt('10:15'), 120)).toBe('12:30 PM');
    expect(first(mondayAt('10:30'), 120)).toBe('12:30 PM');
    expect(first(mondayAt('10:31'), 120)).toBe('1:00 PM');
    expect(first(mondayAt('10:15'), 0)).toBe('10:30 AM');
    expect(first(mondayAt('16:00'), 120)).toBeUndefined();
    // Notice reaches into the next day.
    const days = openSlots({ settings: tours({ min_notice_minutes: 24 * 60 }), timeZone: CHICAGO, now: mondayAt('10:15'), days: 2 });
    expect(days.map((d) => d.slots[0]?.label)).toEqual([undefined, '10:30 AM']);
  });

  it('offers days_ahead dates from the property today, and clamps from and days into them', () => {
    const settings = tours({ days_ahead: 3 });
    const dates = (from?: string, days?: number) => openSlots({ settings, timeZone: CHICAGO, now, from, days }).map((d) => d.date);
    expect(dates()).toEqual(['2027-04-04', '2027-04-05', '2027-04-06']);
    expect(dates('2027-04-05', 10)).toEqual(['2027-04-05', '2027-04-06']);
    expect(dates('2027-04-01', 2)).toEqual(['2027-04-04', '2027-04-05']);
    expect(dates('2027-05-01', 2)).toEqual(['2027-04-06']);
    expect(dates('2027-04-05', 0)).toEqual(['2027-04-05']);
    expect(dates('not a date', 1)).toEqual(['2027-04-04']);
    expect(openSlots({ settings: tours({}), timeZone: CHICAGO, now })).toHaveLength(14);
    // At 23:30 CDT it is still the 4th at the property, though the 5th in UTC.
    expect(openSlots({ settings, timeZone: CHICAGO, now: utc('2027-04-05T04:30:00Z'), days: 1 })[0]!.date).toBe('2027-04-04');
  });

  it('closes closed dates and weekdays without hours', () => {
    const days = openSlots({ settings: tours({ closed_dates: ['2027-04-06'] }), timeZone: CHICAGO, now, days: 4 });
    expect(days.map((d) => d.slots.length)).toEqual([0, 16, 0, 16]);
  });

  it('takes a slot out once per_slot tours have it', () => {
    const monday = (time: string) => utc(`2027-04-05T${time}:00-05:00`);
    const booked = new Map([
      [monday('09:00'), 2],
      [monday('09:30'), 1],
      [monday('10:00'), 3],
    ]);
    const slots = openSlots({
      settings: tours({ per_slot: 2 }),
      timeZone: CHICAGO,
      now,
      from: '2027-04-05',
      days: 1,
      taken: (ms) => booked.get(ms) ?? 0,
    })[0]!.slots;
    expect(labels(slots).slice(0, 2)).toEqual(['9:30 AM', '10:30 AM']);
    expect(slots).toHaveLength(14);
  });
});

describe('checking a start a client sends', () => {
  const now = utc('2027-04-05T15:15:00Z'); // Monday 10:15 CDT
  const settings = tours({ days_ahead: 3, closed_dates: ['2027-04-06'], per_slot: 2 });
  const check = (start: string, taken?: (ms: number) => number) => checkSlotStart({ settings, timeZone: CHICAGO, now, start, taken });

  it('returns the slot, whatever offset names its instant', () => {
    const slot = {
      start: '2027-04-07T09:00:00-05:00',
      start_ms: utc('2027-04-07T14:00:00Z'),
      date: '2027-04-07',
      time: '09:00',
      label: '9:00 AM',
      abbreviation: 'CDT',
    };
    expect(check('2027-04-07T09:00:00-05:00')).toEqual({ ok: true, slot });
    expect(check('2027-04-07T14:00:00Z')).toEqual({ ok: true, slot });
    expect(check('2027-04-07T14:00:00.000Z')).toEqual({ ok: true, slot });
    expect(check('2027-04-05T12:30:00-05:00')).toMatchObject({ ok: true });
  });

  it('says why not', () => {
    expect(check('2027-04-05T12:00:00-05:00')).toEqual({ ok: false, reason: 'too_soon' });
    expect(check('2027-04-01T12:00:00-05:00')).toEqual({ ok: false, reason: 'too_soon' });
    expect(check('2027-04-08T09:00:00-05:00')).toEqual({ ok: false, reason: 'too_far' });
    expect(check('2027-04-06T09:00:00-05:00')).toEqual({ ok: false, reason: 'closed' }); // a closed date
    expect(check('2027-04-10T09:00:00-05:00')).toEqual({ ok: false, reason: 'too_far' });
    expect(checkSlotStart({ settings: tours({}), timeZone: CHICAGO, now, start: '2027-04-10T09:00:00-05:00' })).toEqual({
      ok: false,
      reason: 'closed',
    }); // Saturday
    for (const start of [
      '2027-04-07T09:10:00-05:00',
      '2027-04-07T17:00:00-05:00',
      '2027-04-07T16:45:00-05:00',
      '2027-04-07T09:00:00.500-05:00',
      '2027-04-07T09:00:00',
      '2027-04-07 09:00',
      'tomorrow',
      '',
    ])
      expect(check(start), start).toEqual({ ok: false, reason: 'not_a_slot' });
    expect(check('2027-04-07T09:00:00-05:00', () => 2)).toEqual({ ok: false, reason: 'full' });
    expect(check('2027-04-07T09:00:00-05:00', () => 1)).toMatchObject({ ok: true });
  });
});

describe('daylight saving, America/Chicago', () => {
  const everyDay = (interval: [string, string]) => tours({ hours: EVERY_DAY(interval), min_notice_minutes: 0 });
  const window = (settings: TourSettings, from: string, days: number, timeZone = CHICAGO) =>
    openSlots({ settings, timeZone, now: utc(`${from}T00:00:00Z`) - 86_400_000, from, days });

  for (const [change, from, before, after] of [
    ['spring forward', '2027-03-13', '-06:00', '-05:00'],
    ['fall back', '2027-11-06', '-05:00', '-06:00'],
  ] as const)
    it(`${change}, 09:00-17:00: the same labels every day, the instants moved by the offset`, () => {
      const days = window(everyDay(['09:00', '17:00']), from, 3);
      for (const day of days) expect(labels(day.slots)).toEqual(HALF_HOURS_9_TO_5);
      expect(days.map((d) => d.slots[0]!.start)).toEqual([
        `${days[0]!.date}T09:00:00${before}`,
        `${days[1]!.date}T09:00:00${after}`,
        `${days[2]!.date}T09:00:00${after}`,
      ]);
      expectSane(allSlots(days), CHICAGO);
    });

  it('spring forward, 00:00-24:00: 23 hours, 46 slots, no 2 AM, and the days meet without gap or repeat', () => {
    const days = window(everyDay(['00:00', '24:00']), '2027-03-13', 3);
    expect(days.map((d) => d.slots.length)).toEqual([48, 46, 48]);
    const sunday = days[1]!.slots;
    expect(labels(sunday).slice(0, 6)).toEqual(['12:00 AM', '12:30 AM', '1:00 AM', '1:30 AM', '3:00 AM', '3:30 AM']);
    expect(sunday.some((s) => s.time.startsWith('02:'))).toBe(false);
    const all = allSlots(days);
    expectSane(all, CHICAGO);
    expect(new Set(gaps(all))).toEqual(new Set([30 * MINUTE]));
  });

  it('fall back, 00:00-24:00: 25 hours, 50 slots, the repeated hour labelled CDT then CST', () => {
    const days = window(everyDay(['00:00', '24:00']), '2027-11-06', 3);
    expect(days.map((d) => d.slots.length)).toEqual([48, 50, 48]);
    expect(labels(days[1]!.slots).slice(0, 8)).toEqual([
      '12:00 AM',
      '12:30 AM',
      '1:00 AM CDT',
      '1:30 AM CDT',
      '1:00 AM CST',
      '1:30 AM CST',
      '2:00 AM',
      '2:30 AM',
    ]);
    const all = allSlots(days);
    expectSane(all, CHICAGO);
    expect(new Set(gaps(all))).toEqual(new Set([30 * MINUTE]));
    expect(
      days
        .filter((d) => d.date !== '2027-11-07')
        .flatMap((d) => labels(d.slots))
        .some((l) => / C[DS]T$/.test(l)),
    ).toBe(false);
  });

  it('hours spanning the change: the count is the real time open over slot_minutes', () => {
    const count = (date: string, interval: [string, string], slot_minutes = 30) => {
      const slots = slotsOfDate(tours({ hours: EVERY_DAY(interval), slot_minutes }), CHICAGO, date);
      expectSane(slots, CHICAGO);
      return labels(slots);
    };
    expect(count('2027-03-14', ['01:00', '04:00'])).toEqual(['1:00 AM', '1:30 AM', '3:00 AM', '3:30 AM']); // 2 real hours
    expect(count('2027-11-07', ['01:00', '04:00'])).toEqual([
      '1:00 AM CDT',
      '1:30 AM CDT',
      '1:00 AM CST',
      '1:30 AM CST',
      '2:00 AM',
      '2:30 AM',
      '3:00 AM',
      '3:30 AM',
    ]);
    expect(count('2027-11-07', ['01:00', '04:00'], 60)).toEqual(['1:00 AM CDT', '1:00 AM CST', '2:00 AM', '3:00 AM']);
    // Open or close in the gap: from, or up to, 03:00 CDT.
    expect(count('2027-03-14', ['02:30', '05:00'])).toEqual(['3:00 AM', '3:30 AM', '4:00 AM', '4:30 AM']);
    expect(count('2027-03-14', ['00:00', '02:30'])).toEqual(['12:00 AM', '12:30 AM', '1:00 AM', '1:30 AM']);
    expect(count('2027-03-14', ['02:00', '02:59'])).toEqual([]);
    // Open or close in the overlap: open at the earlier 01:30, close at the later.
    expect(count('2027-11-07', ['01:30', '03:00'])).toEqual(['1:30 AM CDT', '1:00 AM CST', '1:30 AM CST', '2:00 AM', '2:30 AM']);
    expect(count('2027-11-07', ['00:00', '01:30'])).toEqual(['12:00 AM', '12:30 AM', '1:00 AM CDT', '1:30 AM CDT', '1:00 AM CST']);
  });

  it('intervals touching inside the overlap do not repeat its hour', () => {
    const settings = tours({
      hours: {
        sun: [
          ['00:00', '01:30'],
          ['01:30', '03:00'],
        ],
      },
    });
    const slots = slotsOfDate(settings, CHICAGO, '2027-11-07');
    expectSane(slots, CHICAGO);
    // 00:00 CDT to 03:00 CST: 4 real hours, and the second 01:30 told apart though its interval starts there.
    expect(labels(slots)).toEqual([
      '12:00 AM',
      '12:30 AM',
      '1:00 AM CDT',
      '1:30 AM CDT',
      '1:00 AM CST',
      '1:30 AM CST',
      '2:00 AM',
      '2:30 AM',
    ]);
  });

  it('checks a start on the change days by its instant', () => {
    const settings = everyDay(['00:00', '24:00']);
    const now = utc('2027-03-05T00:00:00Z');
    const check = (start: string) => checkSlotStart({ settings, timeZone: CHICAGO, now, start });
    expect(check('2027-03-14T02:00:00-06:00')).toMatchObject({ ok: true, slot: { start: '2027-03-14T03:00:00-05:00', label: '3:00 AM' } });
    const fall = (start: string) =>
      checkSlotStart({ settings: { ...settings, days_ahead: 60 }, timeZone: CHICAGO, now: utc('2027-11-01T00:00:00Z'), start });
    expect(fall('2027-11-07T01:00:00-05:00')).toMatchObject({
      ok: true,
      slot: { label: '1:00 AM CDT', start_ms: utc('2027-11-07T06:00:00Z') },
    });
    expect(fall('2027-11-07T01:00:00-06:00')).toMatchObject({
      ok: true,
      slot: { label: '1:00 AM CST', start_ms: utc('2027-11-07T07:00:00Z') },
    });
  });
});

describe('changes at midnight, and by half an hour', () => {
  // Havana: 2027-03-14 starts at 01:00, 00:xx happens twice on 2027-11-07. Santiago: 23:xx twice on
  // 2027-04-03, 2027-09-05 starts at 01:00. Lord Howe moves by 30 minutes at 02:00 / 02:00.
  for (const [timeZone, from] of [
    ['America/Havana', '2027-03-13'],
    ['America/Havana', '2027-11-06'],
    ['America/Santiago', '2027-04-02'],
    ['America/Santiago', '2027-09-04'],
    ['Australia/Lord_Howe', '2027-04-03'],
    ['Australia/Lord_Howe', '2027-10-02'],
  ] as const)
    it(`${timeZone} from ${from}, 00:00-24:00: days meet without gap or repeat, each slot on its own date`, () => {
      const settings = tours({ hours: EVERY_DAY(['00:00', '24:00']), min_notice_minutes: 0 });
      const days = openSlots({ settings, timeZone, now: utc(`${from}T00:00:00Z`) - 86_400_000, from, days: 3 });
      const all = allSlots(days);
      expectSane(all, timeZone);
      expect(new Set(gaps(all))).toEqual(new Set([30 * MINUTE]));
      for (const day of days) expect(day.slots.every((s) => s.date === day.date)).toBe(true);
      expect(all[0]!.time).toBe('00:00');
      expect(days.map((d) => d.slots.length).reduce((a, b) => a + b)).not.toBe(3 * 48); // one day is short or long
    });
});

describe('no daylight saving: America/Phoenix on the same dates', () => {
  it('the same local schedule every day, the offset always -07:00', () => {
    const settings = tours({ hours: EVERY_DAY(['00:00', '24:00']), min_notice_minutes: 0 });
    for (const from of ['2027-03-13', '2027-11-06']) {
      const days = openSlots({ settings, timeZone: PHOENIX, now: utc(`${from}T00:00:00Z`), from, days: 3 });
      expect(days.map((d) => d.slots.length)).toEqual([48, 48, 48]);
      expect(labels(days[1]!.slots)).toEqual(labels(days[0]!.slots));
      expect(allSlots(days).every((s) => s.start.endsWith('-07:00') && s.abbreviation === 'MST')).toBe(true);
      expectSane(allSlots(days), PHOENIX);
    }
  });
});

describe('appointment fields and the note', () => {
  it('in UTC or property time, each side of both changes', () => {
    const both = (iso: string, timeZone = CHICAGO) => [
      appointmentFields(utc(iso), 'utc', timeZone),
      appointmentFields(utc(iso), 'property', timeZone),
    ];
    expect(both('2027-03-13T09:00:00-06:00')).toEqual([
      { appointment_date: '2027-03-13', appointment_time: '15:00:00' },
      { appointment_date: '2027-03-13', appointment_time: '09:00:00' },
    ]);
    expect(both('2027-03-15T09:00:00-05:00')).toEqual([
      { appointment_date: '2027-03-15', appointment_time: '14:00:00' },
      { appointment_date: '2027-03-15', appointment_time: '09:00:00' },
    ]);
    expect(both('2027-03-14T01:30:00-06:00')[1]).toEqual({ appointment_date: '2027-03-14', appointment_time: '01:30:00' });
    expect(both('2027-03-14T03:00:00-05:00')).toEqual([
      { appointment_date: '2027-03-14', appointment_time: '08:00:00' },
      { appointment_date: '2027-03-14', appointment_time: '03:00:00' },
    ]);
    // The repeated 01:30: two instants, one property wall time; the note tells them apart.
    expect(both('2027-11-07T01:30:00-05:00')).toEqual([
      { appointment_date: '2027-11-07', appointment_time: '06:30:00' },
      { appointment_date: '2027-11-07', appointment_time: '01:30:00' },
    ]);
    expect(both('2027-11-07T01:30:00-06:00')[0]).toEqual({ appointment_date: '2027-11-07', appointment_time: '07:30:00' });
    // An evening tour is the next day in UTC.
    expect(both('2027-11-08T18:00:00-06:00')[0]).toEqual({ appointment_date: '2027-11-09', appointment_time: '00:00:00' });
  });

  it('across the UTC date line: Honolulu behind, Kolkata ahead by a half-hour offset', () => {
    const honolulu = utc('2027-03-15T15:00:00-10:00');
    expect(appointmentFields(honolulu, 'utc', 'Pacific/Honolulu')).toEqual({
      appointment_date: '2027-03-16',
      appointment_time: '01:00:00',
    });
    expect(appointmentFields(honolulu, 'property', 'Pacific/Honolulu')).toEqual({
      appointment_date: '2027-03-15',
      appointment_time: '15:00:00',
    });
    const kolkata = utc('2027-03-15T04:30:00+05:30');
    expect(appointmentFields(kolkata, 'utc', 'Asia/Kolkata')).toEqual({ appointment_date: '2027-03-14', appointment_time: '23:00:00' });
    expect(appointmentFields(kolkata, 'property', 'Asia/Kolkata')).toEqual({
      appointment_date: '2027-03-15',
      appointment_time: '04:30:00',
    });
    const slots = slotsOfDate(tours({ hours: { mon: [['04:30', '05:30']] } }), 'Asia/Kolkata', '2027-03-15');
    expect(slots.map((s) => s.start)).toEqual(['2027-03-15T04:30:00+05:30', '2027-03-15T05:00:00+05:30']);
    expect(slots[0]!.start_ms).toBe(kolkata);
  });

  it('writes the property-local time, its zone and the length for people', () => {
    expect(tourNote(utc('2027-03-15T14:00:00Z'), CHICAGO, 30)).toBe('Tour: Mon, Mar 15, 2027, 9:00 AM CDT (America/Chicago), 30 min');
    expect(tourNote(utc('2027-11-07T06:30:00Z'), CHICAGO, 30)).toBe('Tour: Sun, Nov 7, 2027, 1:30 AM CDT (America/Chicago), 30 min');
    expect(tourNote(utc('2027-11-07T07:30:00Z'), CHICAGO, 30)).toBe('Tour: Sun, Nov 7, 2027, 1:30 AM CST (America/Chicago), 30 min');
    expect(tourNote(utc('2027-03-14T23:00:00Z'), 'Asia/Kolkata', 45)).toBe(
      'Tour: Mon, Mar 15, 2027, 4:30 AM GMT+5:30 (Asia/Kolkata), 45 min',
    );
    expect(tourNote(utc('2027-12-31T18:00:00Z'), CHICAGO, 60)).toBe('Tour: Fri, Dec 31, 2027, 12:00 PM CST (America/Chicago), 60 min');
  });
});
