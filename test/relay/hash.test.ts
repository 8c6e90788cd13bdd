/**
 * The relay's two hashing implementations (relay/lib/hash.ts: WebCrypto, the Worker's and the default;
 * relay/runtime/node/hash.ts: node:crypto, the Node relay's) give the same bytes on many inputs, unicode
 * included, and the same fingerprints and form tokens: fingerprints are stored and compared across
 * restarts, and a token issued by one relay is checked by another. Values from before the hashing
 * was injectable are pinned, so stored fingerprints and tokens in flight stay valid.
 * test/runtimes/hash.test.ts compares Node's with WebCrypto in workerd itself.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Submission } from '../../contract/submission.js';
import { fingerprints } from '../../relay/outbox/delivery/fingerprint.js';
import { MIN_FILL_MS, createFormTokens } from '../../relay/spam/form-token.js';
import { base64url, hex, utf8Bytes, webCryptoHashing, type Hashing } from '../../relay/lib/hash.js';
import { nodeHashing } from '../../relay/runtime/node/hash.js';
import { hashingInputs, seededRandom } from './support/hash-inputs.js';

const IMPLEMENTATIONS: [string, Hashing][] = [
  ['webcrypto', webCryptoHashing],
  ['node', nodeHashing],
];

describe('hex and base64url', () => {
  it('encode like Buffer on every length from 0 to 100 bytes', () => {
    for (let n = 0; n <= 100; n++) {
      const bytes = randomBytes(n);
      expect(hex(bytes)).toBe(bytes.toString('hex'));
      expect(base64url(bytes)).toBe(bytes.toString('base64url'));
      expect(base64url(bytes)).toBe(
        btoa(String.fromCharCode(...bytes))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, ''),
      );
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hex(all)).toBe(Buffer.from(all).toString('hex'));
    expect(base64url(all)).toBe(Buffer.from(all).toString('base64url'));
  });
});

describe('hashing implementations', () => {
  const texts = hashingInputs(400);

  it.each(IMPLEMENTATIONS)('%s: known answers (FIPS 180-2, RFC 4231)', async (_, hashing) => {
    expect(hex(await hashing.sha256('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(await hashing.sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const key = new Uint8Array(20).fill(0x0b);
    expect(hex(await hashing.hmacSha256(key)('Hi There'))).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(hex(await hashing.hmacSha256(utf8Bytes('Jefe'))('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    // A key longer than SHA-256's block (64 bytes) is hashed first.
    const long = new Uint8Array(131).fill(0xaa);
    expect(hex(await hashing.hmacSha256(long)('Test Using Larger Than Block-Size Key - Hash Key First'))).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });

  it('give the same SHA-256 on every input, as UTF-8 (lone surrogates as U+FFFD, like TextEncoder)', async () => {
    for (const text of texts) {
      const expected = createHash('sha256').update(new TextEncoder().encode(text)).digest('hex');
      for (const [name, hashing] of IMPLEMENTATIONS)
        expect({ name, text, got: hex(await hashing.sha256(text)) }).toEqual({ name, text, got: expected });
    }
  });

  it('give the same HMAC-SHA-256 for keys of 1 to 200 bytes on every input', async () => {
    const random = seededRandom(7);
    for (const [i, text] of texts.entries()) {
      const key = Uint8Array.from({ length: 1 + (i % 200) }, () => Math.floor(random() * 256));
      const expected = createHmac('sha256', key).update(new TextEncoder().encode(text)).digest('hex');
      for (const [name, hashing] of IMPLEMENTATIONS) {
        expect({ name, text, got: hex(await hashing.hmacSha256(key)(text)) }).toEqual({ name, text, got: expected });
      }
    }
  });

  it('sign again and again with one key (a signer is reusable)', async () => {
    for (const [, hashing] of IMPLEMENTATIONS) {
      const sign = hashing.hmacSha256(utf8Bytes('k'));
      const once = hex(await sign('x'));
      expect(hex(await sign('y'))).not.toBe(once);
      expect(hex(await sign('x'))).toBe(once);
    }
  });

  it('node:crypto answers synchronously (no thread-pool hop); WebCrypto with a promise', () => {
    expect(nodeHashing.sha256('x')).toBeInstanceOf(Uint8Array);
    expect(nodeHashing.hmacSha256(utf8Bytes('k'))('x')).toBeInstanceOf(Uint8Array);
    expect(webCryptoHashing.sha256('x')).toBeInstanceOf(Promise);
  });
});

const PINNED_LEAD = {
  first_name: 'Ｊａｎｅ  Ø',
  last_name: 'Doe-Ünïcødé 😀',
  email_1: 'Jane.Doe@Gmail.com',
  phone_1: '+15125550142',
} as Submission;
// Computed by the fingerprints and form tokens of commit 614ac9b (WebCrypto only, before relay/lib/hash.ts).
const PINNED_FINGERPRINTS = [
  'c09f52ef430551f3e5913f63b3d36870a726008a4b4277dd43aa96e99895467a',
  'eca9820127574bf8680b420bcc98c7017eaf623c2366ef84f771441360e377d1',
];
const PINNED_TOKEN = 'ptx_pinned_token_0123456789';
const PINNED_FORM_TOKENS: [string, number, string][] = [
  ['oak-grove', 1767225600000, 'mjuohs00.orTBnKuZ6TrDjBo9_YFrqyiI2QZuU3cfbHkLmnEq4Jc'],
  ['pine-ridge', 1767225600123, 'mjuohs3f.MFxMY6m2FGoviUQRyKQzjT2irM5V89uLGCZjwon3rbA'],
];

describe('fingerprints and form tokens on either implementation', () => {
  it.each(IMPLEMENTATIONS)('%s: the fingerprints stored before hashing was injectable', async (_, hashing) => {
    expect(await fingerprints('oak-grove', PINNED_LEAD, hashing)).toEqual(PINNED_FINGERPRINTS);
  });

  it.each(IMPLEMENTATIONS)('%s: issues the form tokens issued before, and accepts them', async (_, hashing) => {
    const tokens = createFormTokens(PINNED_TOKEN, hashing);
    for (const [site, at, token] of PINNED_FORM_TOKENS) {
      expect(await tokens.issue(site, at)).toBe(token);
      expect(await tokens.check(site, token, at + MIN_FILL_MS)).toBe('ok');
    }
  });

  it('give the same fingerprints for many unicode leads', async () => {
    const texts = hashingInputs(300, 11);
    for (let i = 0; i + 3 < texts.length; i += 4) {
      const lead = {
        first_name: texts[i]!,
        last_name: texts[i + 1]!,
        email_1: texts[i + 2]!,
        ...(i % 8 === 0 ? {} : { phone_1: texts[i + 3]! }),
      } as Submission;
      const site = `site-${i}`;
      expect(await fingerprints(site, lead, nodeHashing)).toEqual(await fingerprints(site, lead, webCryptoHashing));
    }
  });

  it('a token issued with one implementation is checked by the other, with the same verdicts', async () => {
    const texts = hashingInputs(60, 3);
    const now = 1_767_225_600_000;
    for (const [i, secret] of texts.entries()) {
      if (secret === '') continue; // parseConfig requires a Propexo token
      const node = createFormTokens(secret, nodeHashing);
      const web = createFormTokens(secret, webCryptoHashing);
      const site = `site-${i}`;
      const at = now - i * 997;
      const [fromNode, fromWeb] = [await node.issue(site, at), await web.issue(site, at)];
      expect(fromNode).toBe(fromWeb);
      for (const [later, verdict] of [
        [at + MIN_FILL_MS, 'ok'],
        [at + 10, 'too_fast'],
        [at + 25 * 3_600_000, 'expired'],
      ] as const) {
        expect(await node.check(site, fromWeb, later)).toBe(verdict);
        expect(await web.check(site, fromNode, later)).toBe(verdict);
      }
      // Foreign site, tampered signature, another deployment's key: refused by both.
      const tampered = `${fromNode.slice(0, -1)}${fromNode.endsWith('A') ? 'B' : 'A'}`;
      for (const tokens of [node, web]) {
        expect(await tokens.check(`${site}x`, fromNode, at + MIN_FILL_MS)).toBe('invalid');
        expect(await tokens.check(site, tampered, at + MIN_FILL_MS)).toBe('invalid');
      }
      expect(await createFormTokens(`${secret}x`, nodeHashing).check(site, fromWeb, at + MIN_FILL_MS)).toBe('invalid');
    }
  });
});
