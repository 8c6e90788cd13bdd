// The tour's calendar file (widget/lead-form/tours/ics.ts), as text: RFC 5545's lines, UTC times,
// escaping and folding.
import { expect } from '@open-wc/testing';
import { escapeText, fold, tourCalendar, utcStamp } from '../../widget/lead-form/tours/ics.js';

describe('tour calendar file', () => {
  it('is one VEVENT at the chosen instant, in UTC, every line ending CRLF', () => {
    const ics = tourCalendar({
      id: 'ld_01HX',
      host: 'leads.example-relay.com',
      start: '2027-03-15T14:30:00-05:00',
      end: '2027-03-15T15:00:00-05:00',
      summary: 'Tour: 4100 Oak Grove Blvd',
      location: '4100 Oak Grove Blvd, Austin, TX 78745',
      description: 'Your tour: Monday; at 2:30 PM\nCall the office.',
      now: new Date('2027-03-01T12:00:00Z'),
    });
    expect(ics).to.equal(
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//resman-lead-form//Tour//EN',
        'CALSCALE:GREGORIAN',
        'METHOD:PUBLISH',
        'BEGIN:VEVENT',
        'UID:ld_01HX@leads.example-relay.com',
        'DTSTAMP:20270301T120000Z',
        'DTSTART:20270315T193000Z',
        'DTEND:20270315T200000Z',
        'SUMMARY:Tour: 4100 Oak Grove Blvd',
        'LOCATION:4100 Oak Grove Blvd\\, Austin\\, TX 78745',
        'DESCRIPTION:Your tour: Monday\\; at 2:30 PM\\nCall the office.',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
  });

  it('leaves LOCATION out without an address', () => {
    const ics = tourCalendar({
      id: 'a',
      host: 'h',
      start: '2027-03-15T09:00:00-05:00',
      end: '2027-03-15T09:30:00-05:00',
      summary: 'Tour',
      location: null,
      description: '',
      now: new Date(0),
    });
    expect(ics).to.not.contain('LOCATION');
    expect(ics).to.contain('\r\nDTSTART:20270315T140000Z\r\n');
  });

  it('writes an instant of any offset in UTC', () => {
    expect(utcStamp('2027-11-07T01:30:00-06:00')).to.equal('20271107T073000Z');
    expect(utcStamp(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).to.equal('20270102T030405Z');
  });

  it('escapes backslash, semicolon, comma and line breaks', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf')).to.equal('a\\\\b\\;c\\,d\\ne\\nf');
  });

  it('folds after 75 octets, never inside a character', () => {
    const line = `DESCRIPTION:${'x'.repeat(100)}`;
    const folded = fold(line);
    const [first, second] = folded.split('\r\n');
    expect(first).to.have.length(75);
    expect(second).to.equal(` ${'x'.repeat(line.length - 75)}`);
    expect(folded.replace(/\r\n /g, '')).to.equal(line);
    // ñ is two octets: the first line stops before one would cross 75.
    const spanish = fold(`SUMMARY:${'ñ'.repeat(40)}`);
    const octets = spanish.split('\r\n').map((l) => new TextEncoder().encode(l).length);
    expect(octets.every((n) => n <= 75)).to.equal(true);
    expect(octets[0]).to.equal(74); // 8 for "SUMMARY:", then 33 ñ (66 octets); a 34th would make 76
    expect(spanish.replace(/\r\n /g, '')).to.equal(`SUMMARY:${'ñ'.repeat(40)}`);
  });
});
