/**
 * The relay's own lines in a lead's notes (consent, attribution, a repeat inquiry) and the
 * visitor's words beside them. A leasing agent trusts a line marked `[Website form]` as written by
 * the relay, so a visitor's line that could pass for one (the mark typed, in full-width brackets,
 * with Cyrillic look-alike letters, accents or spacing) is prefixed `(visitor)`: it stays readable,
 * and never reads as the relay's.
 */

/** What starts every line the relay writes into notes. */
export const RELAY_MARK = '[Website form]';

/** One of the relay's lines: one line, whatever the text (attribution comes from the browser). */
export const relayLine = (text: string): string => `${RELAY_MARK} ${text.replace(/\s*[\r\n]+\s*/g, ' ')}`;

/** A prefix no relay line has: a visitor line that imitates one gets it. */
export const VISITOR_PREFIX = '(visitor)';

/**
 * Letters that look like Latin ones (Cyrillic, Greek, digits and signs); enough for the words the
 * relay's lines open with. Applied after NFKD with marks removed and lower-casing.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  ԁ: 'd',
  ԝ: 'w',
  ո: 'n',
  ս: 'u',
  α: 'a',
  β: 'b',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  '0': 'o',
  '1': 'i',
  l: 'i',
  '|': 'i',
  '!': 'i',
  '3': 'e',
  '5': 's',
  $: 's',
  '@': 'a',
  ı: 'i',
};

/** A line's letters as they look: compatibility forms folded, marks dropped, look-alikes mapped, all else removed. */
export function skeleton(line: string): string {
  let out = '';
  for (const ch of line.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()) {
    const mapped = LOOK_ALIKES[ch] ?? ch;
    if (/[a-z]/.test(mapped)) out += mapped;
  }
  return out;
}

const MARK_SKELETON = skeleton(RELAY_MARK);
/** The openings of the relay's lines, as they were written before they carried the mark. */
const OPENINGS = ['Consent to calls and texts', 'Asked again through'].map(skeleton);

/** Whether a visitor's line could be taken for one of the relay's: it opens like one (the relay's lines always open the line). */
export function imitatesRelay(line: string): boolean {
  const s = skeleton(line);
  return [MARK_SKELETON, ...OPENINGS].some((opening) => s.startsWith(opening));
}

/** The visitor's text with every line that imitates the relay's prefixed `(visitor)`. */
export function neutraliseVisitorText(text: string): string {
  return text
    .split('\n')
    .map((line) => (imitatesRelay(line) ? `${VISITOR_PREFIX} ${line}` : line))
    .join('\n');
}
