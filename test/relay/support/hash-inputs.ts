/**
 * Texts to hash for comparing hashing implementations (test/relay/hash.test.ts, and in workerd
 * test/runtimes/hash.test.ts): fixed awkward cases (empty, NUL, combining marks, astral characters,
 * lone surrogates, long texts) and then seeded random strings drawn from every range of UTF-16.
 */

/** A small deterministic PRNG (mulberry32), so a failing input can be reproduced. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIXED = [
  '',
  'a',
  'abc',
  '\u0000',
  'oak-grove\njane\ndoe\nemail:jane.doe@gmail.com',
  'oak-grove\njane\ndoe\nphone:+15125550142',
  'Ｊａｎｅ　Ｄｏｅ',
  'José Ñúñez',
  'Jose\u0301 N\u0303un\u0303ez', // combining marks, not normalised
  'Zoë Ångström Øresund Łódź',
  '山田 太郎',
  'Иван Петров',
  'محمد',
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'a\uD83Db', // a high surrogate not followed by a low one
  '\uDE00\uD83D', // a pair in the wrong order
  '\uFFFD\uFFFE\uFFFF',
  '\u2028\u2029\r\n\t',
  'x'.repeat(55),
  'x'.repeat(56),
  'x'.repeat(63),
  'x'.repeat(64),
  'x'.repeat(65),
  'é'.repeat(5000),
  '😀'.repeat(3000),
];

/** `count` texts: the fixed ones, then random ones of 0 to 300 code units. */
export function hashingInputs(count: number, seed = 1): string[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const unit = (): string => {
    switch (int(6)) {
      case 0:
        return String.fromCharCode(0x20 + int(0x5f)); // ASCII
      case 1:
        return String.fromCharCode(int(0x80)); // controls included
      case 2:
        return String.fromCharCode(0x80 + int(0x780)); // two UTF-8 bytes
      case 3:
        return String.fromCharCode(0x800 + int(0xf800)); // three bytes, surrogates (paired or lone) included
      case 4:
        return String.fromCodePoint(0x10000 + int(0x100000)); // four bytes: a surrogate pair
      default:
        return String.fromCharCode(0xd800 + int(0x800)); // a lone surrogate
    }
  };
  const out = FIXED.slice(0, count);
  while (out.length < count) {
    const length = int(4) === 0 ? int(300) : int(40);
    let text = '';
    for (let i = 0; i < length; i++) text += unit();
    out.push(text);
  }
  return out;
}
