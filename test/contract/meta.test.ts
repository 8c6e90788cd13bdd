import { describe, expect, it } from 'vitest';
import { parseMeta } from '../../contract/index.js';

/** One of each class of character no string may hold (docs/http-api.md, "Lead fields"). */
const REFUSED = [
  '\u200b',
  '\u200e',
  '\u202e',
  '\u00ad',
  '\u2066',
  '\u{e0041}',
  '\u2028',
  '\ue000',
  '\u{f0000}',
  '\ufdd0',
  '\u{1ffff}',
  '\ud800',
  '\u0085',
];

describe('meta', () => {
  it('takes what the widget sends', () => {
    const meta = {
      attribution: {
        utm_source: 'google',
        utm_campaign: 'spring move-in',
        referrer: 'https://www.google.com/search?q=austin+apartments',
        landing_page: 'https://www.oakgrove.example/floor-plans?utm_source=google#tour',
      },
      form_token: 'ft_abc',
      consent: { given: true, version: '2025-01' },
    };
    expect(parseMeta(meta)).toEqual({ ok: true, value: meta });
  });

  // The relay writes the referrer's host and the landing page's path into the notes: a URL it cannot
  // parse goes in as it came, so what the notes may not hold, a URL may not hold either.
  it('refuses the characters no string may hold in the referrer and the landing page', () => {
    for (const ch of REFUSED) {
      for (const [key, url] of [
        ['referrer', `https://www.goo${ch}gle.com/`],
        ['landing_page', `https://www.oakgrove.example/${ch}`],
        ['referrer', `http://[${ch}`],
      ] as const) {
        const shown = `U+${ch.codePointAt(0)!.toString(16).toUpperCase()} in ${url}`;
        expect(parseMeta({ attribution: { [key]: url } }), shown).toEqual({
          ok: false,
          fields: [{ field: `meta.attribution.${key}`, code: 'invalid_characters' }],
        });
      }
    }
  });

  it('keeps campaign words to letters, digits and a little punctuation', () => {
    for (const ch of REFUSED) {
      expect(parseMeta({ attribution: { utm_campaign: `spring${ch}sale` } }).ok, `U+${ch.codePointAt(0)!.toString(16)}`).toBe(false);
    }
  });
});
