/**
 * The characters the contract refuses in every text field (docs/http-api.md, "Lead fields"), by
 * class, a valid value of each text field to hide one in, and an oracle that finds one in any text.
 * The classes come from Unicode, not from the contract's pattern: format characters as the engine's
 * tables list them (all of them, but ZWJ and ZWNJ), noncharacters, private use, surrogates and
 * controls by their code point ranges. Whatever the contract's pattern says, these must be refused.
 */

const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let cp = from; cp <= to; cp += step) out.push(cp);
  return out;
};
const chars = (cps: number[]) => cps.map((cp) => String.fromCodePoint(cp));

/** ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER: format characters that Persian, Indic scripts and emoji need. */
export const JOINERS = ['\u200c', '\u200d'];

/** Every format character (Cf) the engine knows, ZWJ and ZWNJ aside: U+200B, U+200E, U+00AD, tags… */
const FORMAT = chars(range(0, 0x10ffff).filter((cp) => (cp < 0xd800 || cp > 0xdfff) && /\p{Cf}/u.test(String.fromCodePoint(cp)))).filter(
  (ch) => !JOINERS.includes(ch),
);

/** The 66 noncharacters: U+FDD0–U+FDEF, and the last two code points of each of the 17 planes. */
const NONCHARACTERS = chars([
  ...range(0xfdd0, 0xfdef),
  ...range(0, 16).flatMap((plane) => [plane * 0x10000 + 0xfffe, plane * 0x10000 + 0xffff]),
]);

/** Private use: the ends and a stride of the BMP area and of planes 15 and 16. */
const PRIVATE_USE = chars([
  ...range(0xe000, 0xf8ff, 0x1ff),
  0xf8ff,
  ...range(0xf0000, 0xffffd, 0x7fff),
  0xffffd,
  ...range(0x100000, 0x10fffd, 0x7fff),
  0x10fffd,
]);

/** Surrogates alone: high without low, low without high, and a pair the wrong way round. */
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00', '\ude00\ud83d'];

/** C0 and C1 controls but tab, LF and CR (which notes may hold; see LINE_BREAKS). */
const CONTROLS = chars([...range(0, 0x1f).filter((cp) => ![9, 10, 13].includes(cp)), ...range(0x7f, 0x9f)]);

/** Refused everywhere but in notes. */
export const LINE_BREAKS = ['\t', '\n', '\r'];

/** Every class, with all its members (private use and surrogates sampled). */
export const REFUSED_CLASSES: Record<string, readonly string[]> = {
  format: FORMAT,
  separators: ['\u2028', '\u2029'],
  private_use: PRIVATE_USE,
  noncharacters: NONCHARACTERS,
  lone_surrogates: LONE_SURROGATES,
  controls: CONTROLS,
};

/** The examples issue 12 names, and the ends of each range: tried in every field. */
export const NAMED: Record<string, readonly string[]> = {
  format: [
    '\u200b',
    '\u200e',
    '\u200f',
    '\u00ad',
    '\u180e',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
    '\ufeff',
    '\ufff9',
    '\u{e0001}',
    '\u{e0041}',
    '\u{e007f}',
  ],
  separators: ['\u2028', '\u2029'],
  private_use: ['\ue000', '\uf8ff', '\u{f0000}', '\u{ffffd}', '\u{100000}', '\u{10fffd}'],
  noncharacters: ['\ufdd0', '\ufdef', '\ufffe', '\uffff', '\u{1fffe}', '\u{1ffff}', '\u{10ffff}'],
  lone_surrogates: ['\ud800', '\udfff'],
  controls: ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f'],
};

/** A valid value of each text field of the contract, with `ch` inside it (not at an end, where trim() might take it). */
export const TEXT_FIELDS: Record<string, (ch: string) => string> = {
  first_name: (ch) => `Ja${ch}ne`,
  last_name: (ch) => `Do${ch}e`,
  email_1: (ch) => `jane.doe${ch}@gmail.com`,
  phone_1: (ch) => `(512) 555${ch}-0142`,
  phone_1_type: (ch) => `MOB${ch}ILE`,
  phone_2: (ch) => `737${ch}5550187`,
  phone_2_type: (ch) => `W${ch}ORK`,
  address_1: (ch) => `12 Elm${ch} St`,
  address_2: (ch) => `Apt${ch} 4`,
  city: (ch) => `Aus${ch}tin`,
  state: (ch) => `T${ch}X`,
  zip: (ch) => `787${ch}48`,
  notes: (ch) => `We have a cat.${ch} And a dog.`,
  target_move_in_date: (ch) => `2025-07${ch}-01`,
  floor_plan_id: (ch) => `fp_${ch}oakgrove_b1`,
  unit_id: (ch) => `unit${ch}_204`,
};

/** U+XXXX for each code unit or code point of `s`. */
export const codePoints = (s: string) =>
  [...s].map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');

/** The first refused character in `text`, by the classes above (`notes`: tab, LF and CR allowed). */
export function refusedIn(text: string, notes: boolean): string | undefined {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const refused =
      (cp < 0x20 && !(notes && LINE_BREAKS.includes(ch))) ||
      (cp >= 0x7f && cp <= 0x9f) ||
      (cp >= 0xd800 && cp <= 0xdfff) ||
      (cp >= 0xe000 && cp <= 0xf8ff) ||
      cp >= 0xf0000 ||
      (cp >= 0xfdd0 && cp <= 0xfdef) ||
      (cp & 0xfffe) === 0xfffe ||
      cp === 0x2028 ||
      cp === 0x2029 ||
      (/\p{Cf}/u.test(ch) && !JOINERS.includes(ch));
    if (refused) return ch;
  }
  return undefined;
}
