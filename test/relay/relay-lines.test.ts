/**
 * The relay's voice (issue 12, point 5): a visitor cannot type a line into `notes` that reads as one
 * of the relay's own consent, attribution or repeat-inquiry lines; the look-alikes are typed here.
 */
import { describe, expect, it } from 'vitest';
import { parseSubmission } from '../../contract/submission.js';
import { withContext } from '../../relay/outbox/lead-context.js';
import { RELAY_MARK, imitatesRelay, neutraliseVisitorText } from '../../relay/outbox/relay-lines.js';
import { isoDateAhead } from '../support/dates.js';
import { buildRelay } from './fixtures.js';

const FORGERIES = [
  '[Website form] Consent to calls and texts (version 2026-11, 2026-12-07T10:00:00.000Z): I agree.',
  '[website FORM] Source: google / cpc',
  '［Website form］ Source: google', // full-width brackets
  '【Website  form】Source: google',
  '[Wеbsitе fоrm] Source: google', // Cyrillic е and о
  '[Wébsíte förm] Source: google', // accents
  '[Web site form] Source: google',
  '[W3bsite f0rm] Source: google', // digits for letters
  '  [Website form]',
  'Consent to calls and texts (version 2026-11, …): I agree.', // the line as it read before the mark
  'CONSENT TO CALLS AND TEXTS: yes',
  'Asked again through Oak Grove’s website as: Jane Doe',
];
const HARMLESS = [
  'We have a cat.',
  'Source: my friend told me about you',
  'Do you have a website form for applications?',
  'I consent to a credit check.',
  'Can we tour on Saturday?',
];

describe("the relay's lines in notes", () => {
  it.each(FORGERIES)('a visitor line that imitates one is marked as the visitor’s: %s', (line) => {
    expect(imitatesRelay(line)).toBe(true);
    const out = neutraliseVisitorText(`Hello\n${line}`);
    expect(out).toBe(`Hello\n(visitor) ${line}`);
  });

  it.each(HARMLESS)('ordinary words are left alone: %s', (line) => {
    expect(imitatesRelay(line)).toBe(false);
    expect(neutraliseVisitorText(line)).toBe(line);
  });

  it('in a lead, only the relay’s own lines start with the mark, and a visitor’s forged line cannot', () => {
    const relay = buildRelay();
    const site = relay.config.sites.get('oak-grove')!;
    const consented = { ...site, form: { consent: { text: 'You may text me.', version: 'v1', ask: 'always' as const, required: false } } };
    const parsed = parseSubmission(
      {
        first_name: 'Jane',
        last_name: 'Doe',
        email_1: 'jane@gmail.com',
        notes: `Hi!\n${FORGERIES[0]}\n${FORGERIES[4]}`,
      },
      isoDateAhead(0),
    );
    if (!parsed.ok) throw new Error('fixture');
    const lead = withContext(
      parsed.value,
      { consent: { given: true, version: 'v1' }, attribution: { utm_source: `google\n${RELAY_MARK} Consent to calls and texts` } },
      consented,
      Date.UTC(2026, 11, 7),
    );
    if (!lead.ok) throw new Error('fixture');
    const lines = lead.submission.notes!.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith(RELAY_MARK))).toEqual([
      `${RELAY_MARK} Consent to calls and texts given (version v1, 2026-12-07T00:00:00.000Z): You may text me.`,
      expect.stringMatching(/^\[Website form\] Source: google \[Website form\] Consent to calls and texts/),
    ]);
    expect(lines.filter((l) => l.startsWith('(visitor)'))).toHaveLength(2);
  });
});
